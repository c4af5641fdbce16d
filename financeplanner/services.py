"""Writes on the core: companies, memberships, API tokens, and the generic save every simple model shares."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .choices import Role
from .models import Company, Membership


def tenant_object_save(*, obj: models.Model, company: Company, fields: dict) -> models.Model:
    """Create or update a simple company-owned row: assign, validate in full, save — all or nothing."""
    for name, value in fields.items():
        setattr(obj, name, value)
    if hasattr(obj, "company_id"):
        obj.company = company
    with transaction.atomic():
        obj.full_clean()
        obj.save()
    return obj


@transaction.atomic
def company_create(*, by, slug: str, name: str, **policy) -> Company:
    """A new company; the user who creates it becomes its admin."""
    company = Company(slug=slug, name=name, **policy)
    company.full_clean()
    company.save()
    Membership.objects.create(user=by, company=company, role=Role.ADMIN)
    return company


def company_update(*, company: Company, **fields) -> Company:
    for name, value in fields.items():
        setattr(company, name, value)
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def membership_set(*, company: Company, username: str, role: str) -> Membership:
    """Add a user to the company or change their role."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"There is no user called {username!r}."})
    membership, _ = Membership.objects.get_or_create(user=user, company=company, defaults={"role": role})
    membership.role = role
    membership.full_clean()
    membership.save()
    _keep_an_admin(company)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    company = membership.company
    membership.delete()
    _keep_an_admin(company)


def _keep_an_admin(company: Company) -> None:
    # A company without an admin could never again manage its members or API access.
    if not Membership.objects.filter(company=company, role=Role.ADMIN).exists():
        raise ValidationError({"role": "A company must keep at least one admin."})


# -- API tokens -----------------------------------------------------------------------------------------------------


def api_token_expires_at(*, token: Token) -> datetime:
    return token.created + timedelta(days=settings.API_TOKEN_TTL_DAYS)


def api_token_expired(*, token: Token) -> bool:
    return timezone.now() >= api_token_expires_at(token=token)


@transaction.atomic
def api_token_issue(*, user) -> Token:
    """The user's token for a successful login: the current one while it is valid, else a fresh one."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not api_token_expired(token=token):
        return token
    return api_token_rotate(user=user)


@transaction.atomic
def api_token_rotate(*, user) -> Token:
    """Replace the user's token with a new one; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
