"""The company's settings pages in the core: the liquidity policy, FX rates, members and roles, API keys.

Each page mirrors its API's permission rule (financeplanner.api): any member reads the policy, the FX rates and the
members; an admin changes the policy, the members and the API keys (and alone sees the keys); an analyst records FX
rates (the API's default write role); any member may leave. The writes call the same services as the API, so the
rules (a company keeps an admin, a key is shown once) live once. The early-warning settings (thresholds, alert
e-mails, webhooks, robots) are the contingency app's (contingency.views.settings).
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from financeplanner import apikeys, services
from financeplanner.choices import Role
from financeplanner.currencies import common_first
from financeplanner.forms import DateInput, MoneyField, PercentInput, apply_service_errors
from financeplanner.fx import rates_in_use
from financeplanner.models import ApiKey, Company, FxRate, Invitation, Membership

from .base import CompanyViewMixin, can
from .generic import ObjectDeleteView, ObjectFormView, ObjectListView, ObjectMixin

# -- the settings overview --------------------------------------------------------------------------------------------


class SettingsView(ObjectMixin, CompanyViewMixin, TemplateView):
    """The company's settings at a glance: the policy, and the pages that set up the rest."""

    template_name = "financeplanner/settings/index.html"
    list_title = gettext_lazy("Settings")
    lead = gettext_lazy("How the company measures its liquidity, and who and what works with it.")

    def get_actions(self):
        if not can(self.request, Role.ADMIN):
            return []
        return [{"label": _("Change the policy"), "url": reverse("settings:policy"), "style": "", "post": False}]

    def get_breadcrumbs(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policy"] = self.request.company
        context["is_admin"] = can(self.request, Role.ADMIN)
        return context


# -- the liquidity policy ---------------------------------------------------------------------------------------------


def percent_field(**kwargs) -> forms.Field:
    """A share typed and shown as a percentage (99 for 0.99); the form divides by 100."""
    return forms.DecimalField(
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=6,
        decimal_places=2,
        widget=PercentInput(),  # the "%" after the input, as on every rate and share of the pages
        **kwargs,
    )


class PolicyForm(forms.ModelForm):
    target_survival_percent = percent_field(
        label=gettext_lazy("Target survival probability (%)"),
        help_text=gettext_lazy(
            "The share of Monte Carlo paths that must keep the minimum cash buffer over the horizon, in percent "
            "(99 = 99 %)."
        ),
    )

    class Meta:
        model = Company
        fields = [
            "survival_horizon_days",
            "min_cash_buffer",
            "credit_uncommitted_under_stress",
            "domestic_notch_offset",
        ]
        field_classes = {"min_cash_buffer": MoneyField}  # typed with thousands separators, as every amount
        help_texts = {
            "survival_horizon_days": gettext_lazy("How many days the company must survive a drill (30, 90, 365 …)."),
            "min_cash_buffer": gettext_lazy("Cash the company never wants to fall below, in the reporting currency."),
        }

    field_order = ["survival_horizon_days", "min_cash_buffer", "target_survival_percent"]

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.target_survival_probability is not None:
            value = self.fields["target_survival_percent"]
            value.initial = self._shown(self.instance.target_survival_probability)

    def _shown(self, fraction: Decimal) -> Decimal:
        return (fraction * 100).quantize(Decimal("0.01")).normalize()

    def target_survival_probability(self) -> Decimal:
        return self.cleaned_data["target_survival_percent"] / 100


class PolicyFormView(ObjectMixin, CompanyViewMixin, TemplateView):
    """The company's liquidity policy (admin, as the API's company update): horizon, buffer, target probability."""

    template_name = "generic/object_form.html"
    required_role = Role.ADMIN
    list_title = gettext_lazy("Settings")
    url_names = {"list": "settings:index"}

    def get_title(self) -> str:
        return _("Liquidity policy")

    def get_lead(self) -> str:
        return _("Drills judge the company against this policy: every report says whether it was met.")

    def get_breadcrumbs(self):
        return [(str(self.list_title), reverse("settings:index"))]

    def form(self, data=None) -> PolicyForm:
        # A copy: a refused form must not change the company the rest of the page shows.
        company = Company.objects.get(pk=self.request.company.pk)
        return PolicyForm(data, instance=company)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context.update(cancel_url=reverse("settings:index"), submit_label=_("Save the policy"), narrow=True)
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in PolicyForm.Meta.fields}
            fields["target_survival_probability"] = form.target_survival_probability()
            try:
                services.company_update(company=Company.objects.get(pk=request.company.pk), **fields)
            except ValidationError as exc:
                if "target_survival_probability" in getattr(exc, "error_dict", {}):
                    exc.error_dict["target_survival_percent"] = exc.error_dict.pop("target_survival_probability")
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved the liquidity policy."))
                return HttpResponseRedirect(reverse("settings:index"))
        return self.render_to_response(self.get_context_data(form=form))


# -- FX rates ---------------------------------------------------------------------------------------------------------


class FxRateFilterSet(django_filters.FilterSet):
    """The FX rates list's filter: the currency (as the API's `?currency=`)."""

    class Meta:
        model = FxRate
        fields = ["currency"]


class FxRateForm(forms.ModelForm):
    class Meta:
        model = FxRate
        fields = ["currency", "as_of", "rate"]
        widgets = {"as_of": DateInput(), "rate": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})}

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = common_first(self.fields["currency"].choices)
        if company is not None:
            self.fields["rate"].help_text = _(
                "Units of %(reporting)s per one unit of the currency (e.g. 7.1 for USD when reporting in CNY)."
            ) % {"reporting": company.reporting_currency}


class FxRateViews:
    model = FxRate
    url_base = "settings:fxrate"
    list_title = gettext_lazy("FX rates")


def day_asked(request) -> tuple:
    """The day `?as_of=` asks for (today when absent or not a date), and what was typed."""
    typed = request.GET.get("as_of", "")
    try:
        day = parse_date(typed) if typed else None
    except ValueError:
        day = None
    return day or timezone.localdate(), typed


class FxRateListView(FxRateViews, ObjectListView):
    """Every rate recorded, and per currency the rate a drill as of a day converts at."""

    filterset_class = FxRateFilterSet
    template_name = "financeplanner/settings/fxrate_list.html"
    results_template_name = "financeplanner/settings/fxrate_table.html"
    sort_fields = {"currency": "currency", "-as_of": "-as_of", "as_of": "as_of"}
    add_label = gettext_lazy("Add a rate")
    empty_message = gettext_lazy("No FX rates yet.")

    def get_lead(self) -> str:
        return _(
            "Units of %(reporting)s per one unit of each currency. A drill converts every line at the latest rate "
            "on or before its day 0; a line in a currency without one is left out of the dashboard's totals, and "
            "drills are refused until it has a rate."
        ) % {"reporting": self.request.company.reporting_currency}

    def get_add_url_query(self) -> str:
        currency = self.request.GET.get("currency", "")
        return f"?currency={currency}" if currency.isalpha() and len(currency) == 3 else ""

    def get_actions(self):
        actions = super().get_actions()
        query = self.get_add_url_query()
        for action in actions:
            if action["url"] == self.url_for("add"):
                action["url"] += query
        return actions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day, typed = day_asked(self.request)
        in_use = rates_in_use(self.request.company, day)
        context.update(in_use=in_use, in_use_day=day, as_of_typed=typed or day.isoformat())
        context["in_use_ids"] = {row.rate.pk for row in in_use if row.rate is not None}
        context["missing"] = [row for row in in_use if row.rate is None]
        return context


class FxRateFormView(FxRateViews, ObjectFormView):
    """Add or correct a rate (analyst, as the API)."""

    form_class = FxRateForm
    add_title = gettext_lazy("Add an FX rate")
    success_action = "list"
    success_message = gettext_lazy("Saved the rate %(name)s.")

    def get_initial(self):
        initial = super().get_initial()
        currency = self.request.GET.get("currency", "")
        if self.object is None and currency:
            initial["currency"] = currency
        if self.object is None:
            initial["as_of"] = timezone.localdate()
        return initial


# -- members and roles ------------------------------------------------------------------------------------------------


class MemberViews:
    model = Membership
    url_base = "settings:member"
    list_title = gettext_lazy("Members and roles")

    def get_queryset(self):
        # Memberships are the company's through their company (not a TenantModel).
        return Membership.objects.filter(company=self.request.company).select_related("user")


class MemberListView(MemberViews, ObjectListView):
    results_template_name = "financeplanner/settings/member_table.html"
    template_name = "financeplanner/settings/member_list.html"
    sort_fields = {"username": "user__username", "role": "role"}
    default_sort = "username"
    add_label = gettext_lazy("Invite a member")
    add_role = Role.ADMIN
    empty_message = gettext_lazy("No members.")

    def get_lead(self) -> str:
        return _(
            "Viewers read everything; analysts also edit channels, pools, forecasts, plans and scenarios and run "
            "drills; treasurers also approve plans, record lender actions and manage schedules; admins also manage "
            "members and API access."
        )

    def get_queryset(self):
        # No FilterSet: a company has few members; sorted from the whitelist.
        sort = self.request.GET.get("sort") or self.default_sort
        self.sort = sort if sort in self.sort_fields else ""
        self.filterset = None
        order = self.sort_fields.get(sort, "user__username")
        return MemberViews.get_queryset(self).order_by(order, "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_admin"] = can(self.request, Role.ADMIN)
        if context["is_admin"]:
            context["invitations"] = Invitation.objects.filter(
                company=self.request.company, status=Invitation.Status.PENDING
            ).select_related("user", "invited_by")
        return context


class MemberInviteForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)


class MemberInviteView(MemberViews, ObjectFormView):
    """An admin invites a user by username; they join when they accept (the API's members POST)."""

    form_class = MemberInviteForm
    required_role = Role.ADMIN
    add_title = gettext_lazy("Invite a member")
    lead = gettext_lazy("The user joins with this role once they accept the invitation on their Invitations page.")
    submit_label = gettext_lazy("Invite")
    success_action = "list"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def save(self, form):
        data = form.cleaned_data
        services.member_invite(
            company=self.request.company, username=data["username"], role=data["role"], by=self.request.user
        )
        return data

    def saved_message(self, saved) -> None:
        # The same answer whether or not the username exists (no enumeration), as the API's.
        messages.success(
            self.request,
            _(
                "If %(username)s has an account and is not yet a member, they are invited as %(role)s; they join "
                "when they accept."
            )
            % {"username": saved["username"], "role": Role(saved["role"]).label},
        )


class MemberRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)


class MemberRoleView(MemberViews, ObjectFormView):
    """An admin changes a member's role; the company keeps at least one admin (services.membership_role_set)."""

    form_class = MemberRoleForm
    required_role = Role.ADMIN
    edit_title = gettext_lazy("Role of %(name)s")
    success_action = "list"
    success_message = gettext_lazy("Changed the role of %(name)s.")

    def get_title(self) -> str:
        return str(self.edit_title) % {"name": self.object.user.username}

    def get_breadcrumbs(self):
        return [(str(self.list_title), reverse("settings:member-list"))]

    def get_cancel_url(self):
        return reverse("settings:member-list")

    def save(self, form):
        membership = Membership.objects.get(pk=self.object.pk)
        return services.membership_role_set(membership=membership, role=form.cleaned_data["role"])

    def saved_message(self, saved) -> None:
        messages.success(self.request, str(self.success_message) % {"name": saved.user.username})


class MemberRemoveView(MemberViews, ObjectDeleteView):
    """An admin removes a member; any member may leave (the API's members DELETE). The last admin can do neither."""

    required_role = Role.ADMIN

    def leaving(self) -> bool:
        return self.get_queryset().filter(pk=self.kwargs.get("pk"), user=self.request.user).exists()

    def get_required_role(self) -> str:
        return Role.VIEWER if self.leaving() else Role.ADMIN

    def get_title(self) -> str:
        if self.object.user_id == self.request.user.pk:
            return _("Leave %(company)s?") % {"company": self.request.company.name}
        return _("Remove %(name)s from the company?") % {"name": self.object.user.username}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("settings:member-list")
        return context

    def delete(self, obj) -> None:
        services.membership_remove(membership=obj)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        left = self.object.user_id == request.user.pk
        try:
            self.delete(self.object)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages))
        if left:
            messages.success(request, _("You left %(company)s.") % {"company": request.company.name})
            return HttpResponseRedirect(reverse("dashboard"))
        messages.success(request, _("Removed %(name)s.") % {"name": self.object.user.username})
        return HttpResponseRedirect(reverse("settings:member-list"))


# -- API keys ---------------------------------------------------------------------------------------------------------


class ApiKeyViews:
    model = ApiKey
    url_base = "settings:apikey"
    list_title = gettext_lazy("API keys")
    required_role = Role.ADMIN  # the API's action_roles: admins alone list, create and revoke keys


class ApiKeyListView(ApiKeyViews, ObjectListView):
    queryset = ApiKey.objects.select_related("created_by", "revoked_by")
    results_template_name = "financeplanner/settings/apikey_table.html"
    add_label = gettext_lazy("Create an API key")
    add_role = Role.ADMIN
    empty_message = gettext_lazy("No API keys yet.")
    lead = gettext_lazy(
        "Read-only keys an ERP uses to pull the exports. A key is shown once, when it is created; here only its "
        "start is listed."
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What uses the key, e.g. 'SAP nightly pull'"),
    )

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)


class ApiKeyCreateView(ApiKeyViews, ObjectFormView):
    """Create a key; the answer shows it once (never stored in plain text, never shown again)."""

    form_class = ApiKeyForm
    add_title = gettext_lazy("Create an API key")
    submit_label = gettext_lazy("Create the key")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def form_valid(self, form):
        try:
            issued = apikeys.apikey_create(
                company=self.request.company, name=form.cleaned_data["name"], by=self.request.user
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        context = self.get_context_data(form=form, issued=issued, title=_("Your new API key"))
        response = render(self.request, "financeplanner/settings/apikey_issued.html", context)
        response["Cache-Control"] = "no-store"  # the one page that shows the key must not be kept anywhere
        return response


class ApiKeyRevokeView(ApiKeyViews, ObjectDeleteView):
    delete_title = gettext_lazy("Revoke the key %(name)s?")
    success_message = gettext_lazy("Revoked the key %(name)s.")

    def delete(self, obj) -> None:
        apikeys.apikey_revoke(key=obj, by=self.request.user)
