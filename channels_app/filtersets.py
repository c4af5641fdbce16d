"""One FilterSet per list, shared by the HTML pages and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from financeplanner.archive import ArchivedFilter
from financeplanner.filters import BOOLEAN_OVERRIDES, YesNoFilter

from .choices import ChannelStatus, ChannelType, CounterpartyKind, LedgerKind
from .models import Counterparty, CreditAssessment, FundingChannel, LedgerEntry


class CounterpartyFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.MultipleChoiceFilter(choices=CounterpartyKind.choices)
    archived = ArchivedFilter()

    class Meta:
        model = Counterparty
        fields = ["name", "kind", "country"]


class CreditAssessmentFilterSet(django_filters.FilterSet):
    own = YesNoFilter(field_name="counterparty", lookup_expr="isnull", label=_("Own company"))
    as_of_after = django_filters.DateFilter(field_name="as_of", lookup_expr="gte")
    as_of_before = django_filters.DateFilter(field_name="as_of", lookup_expr="lte")

    class Meta:
        model = CreditAssessment
        fields = ["counterparty", "source", "rating", "own"]


class FundingChannelFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    channel_type = django_filters.MultipleChoiceFilter(choices=ChannelType.choices)
    status = django_filters.MultipleChoiceFilter(choices=ChannelStatus.choices)
    maturity_before = django_filters.DateFilter(field_name="maturity_date", lookup_expr="lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    archived = ArchivedFilter()

    class Meta:
        model = FundingChannel
        fields = ["name", "counterparty", "channel_type", "status", "currency", "committed"]
        filter_overrides = BOOLEAN_OVERRIDES


class LedgerEntryFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=LedgerKind.choices)
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = LedgerEntry
        fields = ["channel", "kind"]
