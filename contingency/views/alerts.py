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
from ..early_warnings.indicators import INDICATOR_LABELS, indicator_label
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
            alert.indicator_label = indicator_label(alert.indicator)
        return context


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
            alert.indicator_label = indicator_label(alert.indicator)
            return render(request, "contingency/partials/alert_state.html", {"alert": alert})
        return HttpResponseRedirect(safe_next_url(request, request.POST.get("next"), reverse("contingency:alert-list")))
