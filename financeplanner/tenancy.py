"""The one place where tenancy is enforced.

Every tenant-owned model uses `TenantQuerySet`; every view and API viewset gets its queryset through
`for_company(company)`, where `company` comes from `resolve_company()` and the user's membership.
Another company's object is therefore never in the queryset: it is a 404, never a 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from .models import Company, Membership

COMPANY_HEADER = "HTTP_X_COMPANY"
SESSION_KEY = "company_slug"


class TenantQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> TenantQuerySet:
        return self.filter(**{self.model.company_lookup: company})


class TenantModel(models.Model):
    """Abstract base of everything that belongs to one company."""

    company = models.ForeignKey("financeplanner.Company", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    company_lookup = "company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class CompanyNotChosen(Exception):
    """The user belongs to several companies and the request does not say which."""


def resolve_membership(request) -> Membership:
    """The membership the request acts through: `X-Company` header, then the session, then the only one.

    Raises Http404 for a company the user is not a member of (or that does not exist) and
    CompanyNotChosen when the user has several companies and named none.
    """
    from .models import Membership

    user = request.user
    if not user.is_authenticated:
        raise Http404
    slug = request.META.get(COMPANY_HEADER) or getattr(request, "session", {}).get(SESSION_KEY)
    memberships = Membership.objects.filter(user=user).select_related("company")
    if slug:
        membership = memberships.filter(company__slug=slug).first()
        if membership is None:
            raise Http404("No such company.")
        return membership
    found = list(memberships[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise Http404("You are not a member of any company.")
    raise CompanyNotChosen("You belong to several companies: say which one in the X-Company header.")
