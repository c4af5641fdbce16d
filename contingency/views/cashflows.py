"""Pages of the cash-flow forecast: the lines with the next days' net flow chart, add/edit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from financeplanner.labels import field_label
from financeplanner.views.generic import ObjectFormView, ObjectListView

from .. import charts
from ..filtersets import CashFlowLineFilterSet
from ..forecast import cash_position
from ..forms import CashFlowLineForm
from ..models import CashFlowLine
from . import PAGE_SIZE

FORECAST_DAYS = 90


class CashFlowViews:
    model = CashFlowLine
    url_base = "contingency:cashflow"
    list_title = gettext_lazy("Cash-flow forecast")


class CashFlowListView(CashFlowViews, ObjectListView):
    """The forecast lines, and above them what they add up to over the next days (not redrawn by a filter)."""

    template_name = "contingency/cashflow_list.html"
    results_template_name = "contingency/cashflow_table.html"
    export_dataset = "cash-flow-lines"
    filterset_class = CashFlowLineFilterSet
    filter_labels = {
        "name": gettext_lazy("Name contains"),
        "category": gettext_lazy("Category"),
        "frequency": gettext_lazy("Frequency"),
        "discretionary": gettext_lazy("Discretionary"),
        "currency": field_label(CashFlowLine, "currency"),
        "starts_after": gettext_lazy("Starts on or after"),
    }
    paginate_by = PAGE_SIZE
    add_label = gettext_lazy("Add a line")
    empty_message = gettext_lazy("No forecast lines yet.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.get_template_names() == [self.results_template_name]:
            return context  # htmx asks for the results only
        company = self.request.company
        today = timezone.localdate()
        try:
            # The drills' forecast, signed as the lines are, from the drills' opening cash (the cash pools).
            position = cash_position(company, today, FORECAST_DAYS)
        except ValidationError as exc:
            context["forecast_error"] = " ".join(exc.messages)
            return context
        context["forecast_chart"] = mark_safe(
            charts.daily_net_chart(  # noqa: S308 — matplotlib's escaped SVG
                start=today,
                net=[float(day.net) for day in position.days],
                opening=float(position.opening),
                title=_("Daily net operating flow and cash balance, next %(days)s days") % {"days": FORECAST_DAYS},
            )
        )
        # Gross amounts: every inflow, and every outflow (those a plan may cut included), over the days shown.
        context["forecast_inflow"] = position.inflows
        context["forecast_outflow"] = position.outflows
        context["forecast_net"] = position.net
        context["forecast_days"] = FORECAST_DAYS
        context["position"] = position
        return context


class CashFlowFormView(CashFlowViews, ObjectFormView):
    form_class = CashFlowLineForm
    add_title = gettext_lazy("Add a forecast line")
    lead = gettext_lazy("Amounts are signed: + for an inflow, − for an outflow.")
    success_action = "list"
