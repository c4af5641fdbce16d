"""Writes on the core: companies, memberships and invitations, API tokens, and the generic save of simple models."""

from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from .choices import Role
from .models import Company, Invitation, Membership
from .tenancy import TenantModel

TenantRow = TypeVar("TenantRow", bound=TenantModel)


def tenant_object_save(*, obj: TenantRow, company: Company, fields: dict) -> TenantRow:
    """Create or update a simple company-owned row: assign, validate in full, save — all or nothing."""
    for name, value in fields.items():
        setattr(obj, name, value)
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
def member_invite(*, company: Company, username: str, role: str, by) -> Invitation | None:
    """Invite a user to the company with a role; they join when they accept (`invitation_accept`).

    Says nothing about whether the username exists: an unknown name, or someone already in the company, is quietly
    not invited (None), so the answer to the inviting admin is the same in every case. Inviting again while an
    invitation is pending changes its role.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of %(roles)s.") % {"roles": ", ".join(Role.values)}})
    user = get_user_model().objects.filter(username=username).first()
    if user is None or Membership.objects.filter(company=company, user=user).exists():
        return None
    invitation, created = Invitation.objects.select_for_update().get_or_create(
        company=company, user=user, status=Invitation.Status.PENDING, defaults={"role": role, "invited_by": by}
    )
    if not created:
        invitation.role, invitation.invited_by = role, by
        invitation.save(update_fields=["role", "invited_by"])
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, by) -> Membership:
    """The invitee says yes: they become a member with the invited role."""
    invitation = _pending_invitation_of(invitation, by)
    membership, _created = Membership.objects.get_or_create(
        user=by, company=invitation.company, defaults={"role": invitation.role}
    )
    invitation.status, invitation.responded_at = Invitation.Status.ACCEPTED, timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, by) -> Invitation:
    invitation = _pending_invitation_of(invitation, by)
    invitation.status, invitation.responded_at = Invitation.Status.DECLINED, timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    return invitation


def _pending_invitation_of(invitation: Invitation, user) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("company").get(pk=invitation.pk)
    if invitation.user_id != user.pk:
        raise ValidationError({"invitation": _("This invitation is addressed to someone else.")})
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(
            {
                "invitation": _("This invitation was already %(status)s.")
                % {"status": invitation.get_status_display().lower()}
            }
        )
    return invitation


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str) -> Membership:
    """Change a member's role (an admin's decision); the company keeps at least one admin."""
    membership.role = role
    membership.full_clean()
    membership.save()
    _keep_an_admin(membership.company)
    return membership


@transaction.atomic
def membership_alert_emails_set(*, membership: Membership, alert_emails: bool | None) -> Membership:
    """A member's own choice of alert e-mails (None: as their role has it); nobody chooses for another member."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    membership.alert_emails = alert_emails
    membership.full_clean()
    membership.save(update_fields=["alert_emails"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """An admin removes a member, or a member leaves; the last admin can do neither."""
    company = membership.company
    membership.delete()
    _keep_an_admin(company)


def _keep_an_admin(company: Company) -> None:
    # A company without an admin could never again manage its members or API access.
    if not Membership.objects.filter(company=company, role=Role.ADMIN).exists():
        raise ValidationError({"role": _("A company must keep at least one admin.")})


# -- API tokens -----------------------------------------------------------------------------------------------------


def api_token_expires_at(*, token: Token) -> datetime:
    return token.created + timedelta(days=settings.API_TOKEN_TTL_DAYS)


def api_token_expired(*, token: Token) -> bool:
    return timezone.now() >= api_token_expires_at(token=token)


@transaction.atomic
def api_token_issue(*, user) -> Token:
    """The user's token for a successful login: the current one while it is valid, else a fresh one."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one issue or rotation at a time
    token = Token.objects.filter(user=user).first()
    if token is not None and not api_token_expired(token=token):
        return token
    return api_token_rotate(user=user)


@transaction.atomic
def api_token_rotate(*, user) -> Token:
    """Replace the user's token with a new one; the old one stops working at once."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
