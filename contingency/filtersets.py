"""One FilterSet per list, shared by the HTML pages and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from financeplanner.archive import ArchivedFilter
from financeplanner.filters import BOOLEAN_OVERRIDES, YesNoFilter

from .choices import DrillStatus, PlanStatus, PoolKind
from .models import Alert, CashFlowLine, ContingencyPlan, DrillRun, LiquidityPool, Scenario


class LiquidityPoolFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=PoolKind.choices)
    archived = ArchivedFilter()

    class Meta:
        model = LiquidityPool
        fields = ["kind", "currency", "channel"]


class CashFlowLineFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    category = django_filters.CharFilter(lookup_expr="iexact")
    starts_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")

    class Meta:
        model = CashFlowLine
        fields = ["name", "category", "frequency", "discretionary", "currency"]
        filter_overrides = BOOLEAN_OVERRIDES


class ContingencyPlanFilterSet(django_filters.FilterSet):
    archived = ArchivedFilter(
        archived=Q(status=PlanStatus.RETIRED), label=_("Retired"), labels=(_("Not retired"), _("Retired"))
    )

    class Meta:
        model = ContingencyPlan
        fields = ["status", "trigger"]


class ScenarioFilterSet(django_filters.FilterSet):
    archived = ArchivedFilter()

    class Meta:
        model = Scenario
        fields = ["kind"]


class DrillRunFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DrillStatus.choices)

    class Meta:
        model = DrillRun
        fields = ["scenario", "plan", "status", "schedule"]


class AlertFilterSet(django_filters.FilterSet):
    open = YesNoFilter(field_name="resolved_at", lookup_expr="isnull")
    acknowledged = YesNoFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alert
        fields = ["indicator", "severity", "open", "acknowledged"]
