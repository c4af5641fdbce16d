"""Pages of the core: the dashboard and the company switcher; and the view helpers every app's pages share.

Shared helpers (used by the channel pages and the contingency pages):

* `FilteredListMixin` — a list page driven by the app's FilterSet (the same one the API uses): the filter form
  with translated labels and checkboxes, company-scoped choices, whitelisted sorting, pagination, and an htmx
  partial for in-place updates.
* `ServiceFormMixin` — a form page whose `perform(form)` calls a service; a `ValidationError` goes back next to
  its field with everything typed kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from . import charts, services
from .dashboard import dashboard_for
from .forms import DateInput, add_service_errors
from .models import Invitation, Membership
from .tenancy import SESSION_KEY
from .web import CompanyViewMixin


class FilteredListMixin:
    """Put before CompanyViewMixin: `class PoolList(FilteredListMixin, CompanyViewMixin, ListView)`.

    Set `filterset_class`; optionally `filter_labels` ({field: label}), `hidden_filters` (API-only filters such
    as `updated_since`), `sort_fields` ({param: order_by expression}) and `partial_template_name` (rendered for
    htmx requests, so the filter form can refresh only the results).
    """

    filterset_class: Any = None
    filter_labels: dict[str, Any] = {}
    hidden_filters: tuple[str, ...] = ("updated_since",)
    sort_fields: dict[str, str] = {}
    default_sort: str = ""
    paginate_by = 25
    partial_template_name: str | None = None

    def get_filterset(self, queryset):
        filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        form = filterset.form
        for name in self.hidden_filters:
            form.fields.pop(name, None)
        for name, field in form.fields.items():
            if name in self.filter_labels:
                field.label = self.filter_labels[name]
            if isinstance(field.widget, forms.SelectMultiple):
                field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
            elif type(field.widget) is forms.DateInput:
                field.widget = DateInput()
            queryset_of_choices = getattr(field, "queryset", None)
            if queryset_of_choices is not None and hasattr(queryset_of_choices, "for_company"):
                # The FilterSet is shared with the API and lists every row; the page offers only this company's.
                field.queryset = queryset_of_choices.for_company(self.request.company)
        return filterset

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = self.get_filterset(queryset)
        queryset = self.filterset.qs
        sort = self.request.GET.get("sort") or self.default_sort
        if sort in self.sort_fields:
            self.sort = sort
            queryset = queryset.order_by(self.sort_fields[sort], "pk")
        else:
            self.sort = ""
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["filter_form"] = self.filterset.form
        context["sort"] = self.sort
        context["filters_active"] = any(
            key not in ("page", "sort") and value for key, value in self.request.GET.items()
        )
        return context

    def get_template_names(self):
        if self.partial_template_name and getattr(self.request, "htmx", False):
            return [self.partial_template_name]
        return super().get_template_names()


class ServiceFormMixin:
    """`perform(form)` calls the service and returns what it made; `success_message` / `get_success_url()`."""

    success_message: str = ""
    service_error_elsewhere: tuple[str, ...] = ()

    def perform(self, form):  # pragma: no cover — every view defines it
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except ValidationError as exc:
            self.elsewhere_errors = add_service_errors(form, exc, elsewhere=self.service_error_elsewhere)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.get_success_message())
        return HttpResponseRedirect(self.get_success_url())

    def get_success_message(self) -> str:
        return str(self.success_message)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("elsewhere_errors", getattr(self, "elsewhere_errors", []))
        return context


class DashboardView(CompanyViewMixin, TemplateView):
    template_name = "financeplanner/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = dashboard_for(self.request.company)
        context["board"] = board
        context.update(self._charts(board))
        return context

    def _charts(self, board) -> dict[str, str]:
        empty = _("Nothing drawn yet")
        funding = board.funding
        by_type = funding.by_type if funding else []
        by_lender = funding.by_lender if funding else []
        return {
            "chart_by_type": mark_safe(  # noqa: S308 — matplotlib's escaped SVG (financeplanner.charts)
                charts.bar_chart_svg(
                    [row["channel_type_label"] for row in by_type],
                    [row["drawn"] for row in by_type],
                    _("Drawn by channel type"),
                    empty_message=empty,
                )
            ),
            "chart_by_lender": mark_safe(  # noqa: S308
                charts.bar_chart_svg(
                    [row["lender"] for row in by_lender],
                    [row["drawn"] for row in by_lender],
                    _("Drawn by lender"),
                    empty_message=empty,
                )
            ),
            "chart_ladder": mark_safe(  # noqa: S308
                charts.ladder_chart_svg(
                    [str(bucket["label"]) for bucket in board.ladder],
                    [bucket["drawn"] for bucket in board.ladder],
                    _("Drawn by time to maturity"),
                    empty_message=empty,
                )
            ),
        }


class ChooseCompanyView(LoginRequiredMixin, TemplateView):
    """Which company the session works in, for users who belong to several (financeplanner.tenancy.SESSION_KEY)."""

    template_name = "financeplanner/choose_company.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = Membership.objects.filter(user=self.request.user).select_related("company")
        context["next"] = self._next_url(self.request.GET.get("next"))
        context["current_slug"] = self.request.session.get(SESSION_KEY, "")
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        slug = request.POST.get("company", "")
        membership = Membership.objects.filter(user=request.user, company__slug=slug).select_related("company").first()
        if membership is None:
            messages.error(request, _("Choose one of your companies."))
            return redirect("choose-company")
        request.session[SESSION_KEY] = membership.company.slug
        messages.success(request, _("You are now working in %(company)s.") % {"company": membership.company.name})
        return HttpResponseRedirect(self._next_url(request.POST.get("next")) or reverse("dashboard"))

    def _next_url(self, candidate: str | None) -> str:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return candidate
        return ""


class InvitationsView(LoginRequiredMixin, TemplateView):
    """The signed-in user's pending invitations to join companies, each to accept or decline."""

    template_name = "financeplanner/invitations.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = Invitation.objects.filter(
            user=self.request.user, status=Invitation.Status.PENDING
        ).select_related("company", "invited_by")
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        pk, answer = request.POST.get("invitation", ""), request.POST.get("answer")
        invitation = get_object_or_404(
            Invitation, pk=int(pk) if pk.isdigit() else 0, user=request.user, status=Invitation.Status.PENDING
        )
        if answer == "accept":
            services.invitation_accept(invitation=invitation, by=request.user)
            messages.success(request, _("You joined %(company)s.") % {"company": invitation.company.name})
        elif answer == "decline":
            services.invitation_decline(invitation=invitation, by=request.user)
            messages.info(
                request, _("You declined the invitation to %(company)s.") % {"company": invitation.company.name}
            )
        else:
            messages.error(request, _("Accept or decline the invitation."))
        return redirect("invitations")
