"""The early-warning settings pages: thresholds, who receives alert e-mails, webhooks and chat robots.

The roles mirror the API (contingency.api.alerts, contingency.api.robots): any member reads the thresholds, a
treasurer changes them; webhooks and robots are an admin's alone, to read as to change; every member chooses for
themselves whether they receive alert e-mails. The writes call the API's services, so the address rules (https,
no internal host, the robot's token in the address) are checked once, and a secret is never shown back: a webhook's
signing secret is shown once when it is made, a robot's address and secret are write-only.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from financeplanner.choices import Role
from financeplanner.forms import PercentField, apply_service_errors, percent_text
from financeplanner.models import Membership
from financeplanner.views.base import CompanyViewMixin, can
from financeplanner.views.generic import ObjectDeleteView, ObjectFormView, ObjectListView, ObjectMixin

from ..early_warnings import indicators, notifications, robots
from ..models import AlertRobot, WarningThreshold, Webhook
from .alerts import INDICATOR_LABELS


class SettingsCrumbs:
    """Settings pages sit under the settings overview; a form or a delete page also under its list."""

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        crumbs = [(_("Settings"), reverse("settings:index"))]
        if not isinstance(self, (ObjectListView, TemplateView)):
            crumbs.append((str(self.list_title), self.url_for("list")))
        return crumbs


# -- early-warning thresholds -----------------------------------------------------------------------------------------

# The unit each indicator's levels are typed and shown in (the value column of contingency.early_warnings.indicators'
# table). Shares and ratios are typed in percent (25 for 0.25, a PercentField) and kept as the fraction the indicator
# computes, between the plausible bounds given here in percent; the others keep their own unit.
PERCENT_LEVELS: dict[str, tuple[int, int, str]] = {
    "headroom_ratio": (0, 100, gettext_lazy("% of the limit of open lines")),
    "platform_share": (0, 100, gettext_lazy("% of drawn funding")),
    "maturity_wall_30": (0, 10000, gettext_lazy("% of open headroom")),
    "maturity_wall_90": (0, 10000, gettext_lazy("% of open headroom")),
    "counterparty_pd_rise": (
        0, 10000, gettext_lazy("% rise of a lender's one-year default probability over its lowest of the year before")
    ),
    "platform_utilisation": (
        -100, 100, gettext_lazy("percentage points of utilisation above the line's trigger (-10: ten points below it)")
    ),
    "runway": (0, 1000, gettext_lazy("% of the survival horizon")),
}  # fmt: skip
LEVEL_UNITS: dict[str, str] = {
    "hhi_lender": gettext_lazy("HHI points (0–10,000)"),
    "hhi_type": gettext_lazy("HHI points (0–10,000)"),
    "counterparty_downgrade": gettext_lazy("notches below the lender's best rating of the year before"),
    "own_rating_trigger": gettext_lazy("notches of downgrade before a lender's rating trigger fires"),
    "failed_drill": gettext_lazy("0.5: an inconclusive verdict, 1: a drill failed or missed the policy"),
}


def level_unit(code: str) -> str:
    """What an indicator's levels are counted in, for the pages."""
    if code in PERCENT_LEVELS:
        return PERCENT_LEVELS[code][2]
    return LEVEL_UNITS.get(code, "")


def threshold_rows(company) -> list[dict]:
    """Every indicator with its documented levels, the company's own (None: the default) and what applies."""
    own = {row.indicator: row for row in WarningThreshold.objects.for_company(company)}
    applied = indicators.thresholds_for(company)
    rows = []
    for code, definition in indicators.INDICATORS.items():
        row = own.get(code)
        rows.append(
            {
                "code": code,
                "label": INDICATOR_LABELS.get(code, definition.title),
                "worse": definition.worse,
                "default_amber": definition.amber,
                "default_red": definition.red,
                "amber": row.amber if row else None,
                "red": row.red if row else None,
                "enabled": row.enabled if row else True,
                "applied": applied[code],
                "percent": code in PERCENT_LEVELS,
                "unit": level_unit(code),
            }
        )
    return rows


class ThresholdViews(SettingsCrumbs):
    model = WarningThreshold
    url_base = "contingency:threshold"
    list_title = gettext_lazy("Early-warning thresholds")


class ThresholdListView(ThresholdViews, ObjectMixin, CompanyViewMixin, TemplateView):
    """The levels each indicator warns at (any member reads them)."""

    template_name = "contingency/settings/threshold_list.html"
    lead = gettext_lazy(
        "An indicator turns amber, then red, when its value passes these levels. Empty: the documented default. "
        "Shares and ratios are in percent (25 for 25 %), the other levels in the unit shown beside them."
    )

    def get_actions(self):
        if not can(self.request, Role.TREASURER):
            return []
        return [{"label": _("Change the thresholds"), "url": self.url_for("edit"), "style": "", "post": False}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=threshold_rows(self.request.company), **kwargs)


class ThresholdsForm(forms.Form):
    """Amber, red and on/off for every indicator at once (fields `<code>-amber`, `<code>-red`, `<code>-enabled`)."""

    def __init__(self, *args, rows: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            code, label = row["code"], row["label"]
            for part, title in (("amber", _("%(indicator)s: amber")), ("red", _("%(indicator)s: red"))):
                self.fields[f"{code}-{part}"] = _level_field(
                    code, title % {"indicator": label}, row[part], row[f"default_{part}"]
                )
            self.fields[f"{code}-enabled"] = forms.BooleanField(
                label=_("%(indicator)s: on") % {"indicator": label}, initial=row["enabled"], required=False
            )

    def grouped(self) -> list[tuple[str, list]]:
        """(indicator label, its three bound fields), for the page."""
        return [
            (row["label"], [self[f"{row['code']}-{part}"] for part in ("amber", "red", "enabled")]) for row in self.rows
        ]

    def changed_rows(self) -> list[tuple[str, Decimal | None, Decimal | None, bool]]:
        """(indicator, amber, red, enabled) of each indicator whose levels differ from what is stored."""
        changed = []
        for row in self.rows:
            code = row["code"]
            typed = (
                self.cleaned_data[f"{code}-amber"],
                self.cleaned_data[f"{code}-red"],
                self.cleaned_data[f"{code}-enabled"],
            )
            if typed != (row["amber"], row["red"], row["enabled"]):
                changed.append((code, *typed))
        return changed


def _level(code: str, value: Decimal | None) -> str:
    """A level as it is typed in the form: 25 for a share of 0.25, 2500 for an HHI."""
    if value is None:
        return "—"
    if code in PERCENT_LEVELS:
        return percent_text(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _level_field(code: str, label: str, initial: Decimal | None, default: Decimal | None) -> forms.DecimalField:
    """One level's field: in percent for a share or a ratio, else a plain number (the model keeps 6 places)."""
    help_text = _("Unit: %(unit)s. Default: %(level)s.") % {"unit": level_unit(code), "level": _level(code, default)}
    common = {"label": label, "initial": initial, "help_text": help_text, "required": False}
    if code in PERCENT_LEVELS:
        low, high, _unit = PERCENT_LEVELS[code]
        return PercentField(min_percent=low, max_percent=high, max_digits=24, decimal_places=6, **common)
    if initial is not None:
        common["initial"] = _level(code, initial)  # 3000, not the stored 3000.000000
    return forms.DecimalField(max_digits=24, decimal_places=6, **common)


class ThresholdEditView(ThresholdViews, ObjectMixin, CompanyViewMixin, TemplateView):
    """A treasurer changes the levels (the API's write role for thresholds); all or nothing."""

    template_name = "contingency/settings/threshold_form.html"
    required_role = Role.TREASURER

    def get_title(self) -> str:
        return _("Change the thresholds")

    def form(self, data=None) -> ThresholdsForm:
        return ThresholdsForm(data, rows=threshold_rows(self.request.company))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.form())
        kwargs.update(cancel_url=self.url_for("list"), submit_label=_("Save the thresholds"))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            code = None
            try:
                with transaction.atomic():
                    for code, amber, red, enabled in form.changed_rows():
                        indicators.threshold_set(
                            company=request.company, indicator=code, amber=amber, red=red, enabled=enabled
                        )
            except ValidationError as exc:
                field = f"{code}-amber" if code else None
                form.add_error(field, exc.messages)
            else:
                messages.success(request, _("Saved the thresholds."))
                return HttpResponseRedirect(self.url_for("list"))
        return self.render_to_response(self.get_context_data(form=form))


# -- who receives alert e-mails ---------------------------------------------------------------------------------------

CHOICE_BY_ROLE, CHOICE_YES, CHOICE_NO = "role", "yes", "no"


class AlertEmailsForm(forms.Form):
    alert_emails = forms.ChoiceField(
        label=gettext_lazy("Send me alert e-mails"),
        choices=[
            (CHOICE_BY_ROLE, gettext_lazy("As my role has it (admins and treasurers receive them)")),
            (CHOICE_YES, gettext_lazy("Yes")),
            (CHOICE_NO, gettext_lazy("No")),
        ],
        widget=forms.RadioSelect,
    )
    notify_on_failed_drill = forms.BooleanField(
        label=gettext_lazy("Also e-mail me when a drill fails or misses the policy"), required=False
    )

    def choice(self) -> bool | None:
        return {CHOICE_YES: True, CHOICE_NO: False}.get(self.cleaned_data["alert_emails"])


def _choice_of(membership: Membership) -> str:
    return {True: CHOICE_YES, False: CHOICE_NO}.get(membership.alert_emails, CHOICE_BY_ROLE)


class AlertEmailsView(SettingsCrumbs, ObjectMixin, CompanyViewMixin, TemplateView):
    """Who receives alert e-mails, and the signed-in member's own choice (any member chooses for themselves)."""

    template_name = "contingency/settings/alert_emails.html"
    list_title = gettext_lazy("Alert e-mails")
    lead = gettext_lazy(
        "Alerts are e-mailed when they are raised or turn red. Each member chooses for themselves; members without "
        "an e-mail address receive nothing."
    )

    def form(self, data=None) -> AlertEmailsForm:
        me = self.request.membership
        initial = {"alert_emails": _choice_of(me), "notify_on_failed_drill": me.notify_on_failed_drill}
        return AlertEmailsForm(data, initial=initial)

    def get_context_data(self, **kwargs):
        members = Membership.objects.filter(company=self.request.company).select_related("user")
        rows = [
            {
                "membership": m,
                "email": m.user.email,
                "receives": bool(m.user.email) and notifications.receives_alert_emails(m),
                "by_role": m.alert_emails is None,
            }
            for m in members.order_by("user__username")
        ]
        kwargs.setdefault("form", self.form())
        return super().get_context_data(rows=rows, submit_label=_("Save my choice"), **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                notifications.alert_emails_choose(
                    membership=request.membership,
                    alert_emails=form.choice(),
                    notify_on_failed_drill=form.cleaned_data["notify_on_failed_drill"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved your alert e-mail choice."))
                return HttpResponseRedirect(reverse("contingency:alert-emails"))
        return self.render_to_response(self.get_context_data(form=form))


# -- webhooks ---------------------------------------------------------------------------------------------------------


class WebhookViews(SettingsCrumbs):
    model = Webhook
    url_base = "contingency:webhook"
    list_title = gettext_lazy("Webhooks")
    required_role = Role.ADMIN  # the API's: admins alone list, read and change webhooks


class WebhookListView(WebhookViews, ObjectListView):
    results_template_name = "contingency/settings/webhook_table.html"
    add_label = gettext_lazy("Add a webhook")
    add_role = Role.ADMIN
    empty_message = gettext_lazy("No webhooks yet.")
    lead = gettext_lazy(
        "Every alert is POSTed as JSON to these addresses, signed with HMAC-SHA256 in a signature header. Addresses "
        "must be public https:// ones."
    )


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        assume_scheme="https",
        max_length=500,
        label=gettext_lazy("URL"),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "enabled"]

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)


class WebhookFormView(WebhookViews, ObjectFormView):
    """Add a webhook (its signing secret is shown once, on the next page) or change its name, address, on/off."""

    form_class = WebhookForm
    add_title = gettext_lazy("Add a webhook")
    success_action = "list"

    def save(self, form):
        data = {name: form.cleaned_data[name] for name in WebhookForm.Meta.fields}
        if self.object is None:
            return notifications.webhook_create(company=self.request.company, **data)
        return notifications.webhook_update(webhook=Webhook.objects.get(pk=self.object.pk), **data)

    def form_valid(self, form):
        created = self.object is None
        try:
            saved = self.save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        if not created:
            self.saved_message(saved)
            return HttpResponseRedirect(self.url_for("list"))
        context = self.get_context_data(form=form, webhook=saved, title=_("Webhook added"))
        response = render(self.request, "contingency/settings/webhook_secret.html", context)
        response["Cache-Control"] = "no-store"  # the one page that shows the secret must not be kept
        return response


class WebhookDeleteView(WebhookViews, ObjectDeleteView):
    def delete(self, obj) -> None:
        obj.delete()  # as the API's destroy: its deliveries go with it


# -- chat robots (DingTalk, WeCom) ------------------------------------------------------------------------------------


class RobotViews(SettingsCrumbs):
    model = AlertRobot
    url_base = "contingency:alertrobot"
    list_title = gettext_lazy("Chat robots")
    required_role = Role.ADMIN  # the API's: admins alone list, read and change robots


class RobotListView(RobotViews, ObjectListView):
    results_template_name = "contingency/settings/robot_table.html"
    add_label = gettext_lazy("Add a robot")
    add_role = Role.ADMIN
    empty_message = gettext_lazy("No chat robots yet.")
    lead = gettext_lazy(
        "Alerts are posted to these DingTalk and WeCom groups. A robot's address carries its credential, so only "
        "its host and path are shown."
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for robot in context["object_list"]:
            robot.url_hint = robots.url_hint(robot.url)
            robot.signed = robot.kind == AlertRobot.Kind.DINGTALK and bool(robot.secret)
        return context


class RobotForm(forms.Form):
    """A robot's address and secret are write-only: an edit leaves them as they are unless typed again."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AlertRobot.Kind.choices)
    url = forms.URLField(
        assume_scheme="https",
        label=gettext_lazy("Webhook address"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("The robot's address with its access_token (DingTalk) or key (WeCom)."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    secret = forms.CharField(
        label=gettext_lazy("Signing secret"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("DingTalk: the signing secret (SEC…) of a robot whose security setting is 'sign'."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_secret = forms.BooleanField(label=gettext_lazy("Remove the signing secret"), required=False)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)

    def __init__(self, *args, company=None, robot: AlertRobot | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.robot = robot
        if robot is None:
            self.fields["url"].required = True
            del self.fields["clear_secret"]
        else:
            hint = robots.url_hint(robot.url)
            self.fields["url"].help_text = _("Now %(hint)s. Leave empty to keep it.") % {"hint": hint}
            self.fields["secret"].help_text = (
                _("A secret is set. Leave empty to keep it.") if robot.secret else _("No secret is set.")
            )

    def changes(self) -> dict:
        data = {"name": self.cleaned_data["name"], "kind": self.cleaned_data["kind"]}
        data["enabled"] = self.cleaned_data["enabled"]
        if self.cleaned_data["url"]:
            data["url"] = self.cleaned_data["url"]
        if self.cleaned_data.get("clear_secret"):
            data["secret"] = ""
        elif self.cleaned_data["secret"]:
            data["secret"] = self.cleaned_data["secret"]
        return data


class RobotFormView(RobotViews, ObjectFormView):
    form_class = RobotForm
    add_title = gettext_lazy("Add a robot")
    success_action = "list"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        kwargs["robot"] = self.object
        return kwargs

    def get_initial(self):
        if self.object is None:
            return {"enabled": True}
        return {"name": self.object.name, "kind": self.object.kind, "enabled": self.object.enabled}

    def save(self, form):
        if self.object is None:
            return robots.robot_create(company=self.request.company, **form.changes())
        return robots.robot_update(robot=AlertRobot.objects.get(pk=self.object.pk), **form.changes())


class RobotDeleteView(RobotViews, ObjectDeleteView):
    def delete(self, obj) -> None:
        obj.delete()  # as the API's destroy: its deliveries go with it
