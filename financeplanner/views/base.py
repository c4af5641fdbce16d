"""The base of every company-scoped page: the page-side twin of financeplanner.api.base.

Every page stands on it, directly or through the generic views of `financeplanner.views.generic`.

`CompanyViewMixin` resolves the company from the session (or the only membership), restricts every
queryset with `for_company`, and refuses writes below `write_role` with 403. Another company's object
is never in the queryset, so it is a 404.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from financeplanner.choices import Role
from financeplanner.models import Membership
from financeplanner.tenancy import CompanyNotChosen, resolve_membership


class CompanyViewMixin(LoginRequiredMixin):
    """Set `required_role` on views that change data (analyst by default for forms, viewer for reads)."""

    required_role: str = Role.VIEWER

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            request.membership = resolve_membership(request)
        except CompanyNotChosen:
            return HttpResponseRedirect(reverse("choose-company") + f"?next={request.get_full_path()}")
        request.company = request.membership.company
        if not request.membership.has_role(self.get_required_role()):
            raise PermissionDenied("Your role in this company does not allow this.")
        return super().dispatch(request, *args, **kwargs)

    def get_required_role(self) -> str:
        return self.required_role

    def get_queryset(self):
        return super().get_queryset().for_company(self.request.company)


def safe_next_url(request, candidate: str | None, default: str) -> str:
    """Where a form sends the browser after it: its `next` when that is a page of this site, else `default`.

    Never a URL on another host (an open redirect would lend our address to a phishing page)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def can(request, role: str) -> bool:
    """Whether the current member holds at least `role` (templates hide buttons with it)."""
    membership: Membership | None = getattr(request, "membership", None)
    return membership is not None and membership.has_role(role)


def company_context(request) -> dict:
    """Context processor: the current company, the member's role and what they may do."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "company": membership.company,
        "membership": membership,
        "can_edit": membership.has_role(Role.ANALYST),
        "can_treasure": membership.has_role(Role.TREASURER),
        "can_admin": membership.has_role(Role.ADMIN),
    }
