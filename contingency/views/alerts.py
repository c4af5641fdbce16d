"""Pages of early-warning alerts: the list and acknowledging one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views import View

from financeplanner.choices import Role
from financeplanner.views.base import CompanyViewMixin, safe_next_url
from financeplanner.views.generic import ObjectListView

from ..early_warnings.alerts import alert_acknowledge
from ..filtersets import AlertFilterSet
from ..models import Alert
from . import PAGE_SIZE


class AlertListView(ObjectListView):
    model = Alert
    url_base = "contingency:alert"
    list_title = gettext_lazy("Alerts")
    lead = gettext_lazy(
        "Early warnings: an indicator crossed its amber or red level. One alert per breach; it is resolved when the "
        "indicator recovers."
    )
    queryset = Alert.objects.select_related("acknowledged_by")
    filterset_class = AlertFilterSet
    results_template_name = "contingency/alert_table.html"
    export_dataset = "alerts"
    paginate_by = PAGE_SIZE
    empty_message = gettext_lazy("No alerts.")
    filter_labels = {
        "indicator": gettext_lazy("Indicator"),
        "severity": gettext_lazy("Severity"),
        "open": gettext_lazy("Open"),
        "acknowledged": gettext_lazy("Acknowledged"),
    }

    def get_filterset(self, queryset):
        filterset = super().get_filterset(queryset)
        # The shared FilterSet takes any indicator code; the page offers the known ones by name.
        choices = [("", "---------"), *INDICATOR_LABELS.items()]
        filterset.form.fields["indicator"] = forms.ChoiceField(
            label=self.filter_labels["indicator"], choices=choices, required=False
        )
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for alert in context["object_list"]:
            alert.indicator_label = INDICATOR_LABELS.get(alert.indicator, alert.indicator)
        return context


# The early-warning indicators of contingency.early_warnings.indicators, named in the user's language.
INDICATOR_LABELS = {
    "headroom_ratio": gettext_lazy("Headroom ratio"),
    "hhi_lender": gettext_lazy("Funding concentration by lender (HHI)"),
    "hhi_type": gettext_lazy("Funding concentration by channel type (HHI)"),
    "platform_share": gettext_lazy("Share of funding from online platforms"),
    "maturity_wall_30": gettext_lazy("Maturity wall, 30 days"),
    "maturity_wall_90": gettext_lazy("Maturity wall, 90 days"),
    "counterparty_downgrade": gettext_lazy("Lender downgrade"),
    "counterparty_pd_rise": gettext_lazy("Lender default probability rise"),
    "own_rating_trigger": gettext_lazy("Our rating against lenders' triggers"),
    "platform_utilisation": gettext_lazy("Platform line utilisation against its trigger"),
    "runway": gettext_lazy("Runway of the latest drill"),
    "failed_drill": gettext_lazy("Failed drill"),
    "lender_action": gettext_lazy("Lender action recorded"),
}


class AlertAcknowledgeView(CompanyViewMixin, View):
    required_role = Role.ANALYST

    def post(self, request, pk: int):
        alert = get_object_or_404(Alert.objects.for_company(request.company), pk=pk)
        try:
            alert = alert_acknowledge(alert=alert, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        if request.htmx:
            alert = Alert.objects.select_related("acknowledged_by").get(pk=alert.pk)
            alert.indicator_label = INDICATOR_LABELS.get(alert.indicator, alert.indicator)
            return render(request, "contingency/partials/alert_state.html", {"alert": alert})
        return HttpResponseRedirect(safe_next_url(request, request.POST.get("next"), reverse("contingency:alert-list")))
