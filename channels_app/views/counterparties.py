"""Counterparty pages: the list with each lender's current rating, a lender's page, add and edit."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as gettext
from django.utils.translation import gettext_lazy as _

from financeplanner.choices import Role
from financeplanner.history import history_for
from financeplanner.views.generic import (
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    PageAction,
    correction_actions,
)

from ..choices import Outlook
from ..filtersets import CounterpartyFilterSet
from ..forms import CounterpartyForm
from ..models import Counterparty, CreditAssessment, FundingChannel
from ..selectors import latest_assessment_of_row
from .ratings import rating_chart


class CounterpartyViews:
    model = Counterparty
    url_base = "channels:counterparty"
    list_title = _("Counterparties")
    context_object_name = "counterparty"


class CounterpartyListView(CounterpartyViews, ObjectListView):
    queryset = Counterparty.objects.annotate(
        current_rating=latest_assessment_of_row("rating"),
        current_outlook=latest_assessment_of_row("outlook"),
        rated_on=latest_assessment_of_row("as_of"),
        channel_count=Count("channels"),
    ).order_by("name")
    context_object_name = "counterparties"
    filterset_class = CounterpartyFilterSet
    results_template_name = "channels_app/counterparty_table.html"
    filter_labels = {"name": _("Name contains")}
    archive_filter = "archived"
    export_dataset = "counterparties"
    sort_fields = {"name": "name", "-name": "-name", "kind": "kind", "-kind": "-kind"}
    actions = (
        PageAction(_("Our own rating"), "channels:own-rating", style="quiet"),
        PageAction(_("Altman calculator"), "channels:altman", style="quiet"),
    )
    add_label = _("Add counterparty")
    empty_message = _("No counterparties yet.")
    empty_filtered_message = _("No counterparty matches these filters.")
    extra_context = {"outlooks": dict(Outlook.choices)}


class CounterpartyDetailView(CounterpartyViews, ObjectDetailView):
    template_name = "channels_app/counterparty_detail.html"
    actions = (
        PageAction(_("Edit"), "edit", Role.ANALYST, with_object=True),
        PageAction(_("Add assessment"), "channels:assessment-add", Role.ANALYST, with_object=True),
        PageAction(_("Altman calculator"), "channels:altman", Role.ANALYST, "quiet", query="counterparty={pk}"),
        PageAction(_("Add channel"), "channels:channel-add", Role.ANALYST, "quiet", query="counterparty={pk}"),
        *correction_actions(),
    )  # fmt: skip

    def get_lead(self) -> str:
        if self.object.archived_at is None:
            return ""
        return _("Archived: left out of the lists until it is restored.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counterparty: Counterparty = self.object
        company = self.request.company
        assessments = list(CreditAssessment.objects.for_company(company).filter(counterparty=counterparty))
        context["assessments"] = assessments
        context["rating_chart"] = rating_chart(
            assessments, gettext("Rating history of %(name)s") % {"name": counterparty}
        )
        context["channels"] = list(FundingChannel.objects.for_company(company).filter(counterparty=counterparty))
        context["history"] = history_for(counterparty, CreditAssessment.objects.filter(counterparty=counterparty))
        return context


class CounterpartyFormView(CounterpartyViews, ObjectFormView):
    form_class = CounterpartyForm
    add_title = _("Add a counterparty")
    success_message = _("Counterparty saved.")
