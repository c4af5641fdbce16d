"""Pages of scenarios: list, detail with shocks and recent drills, add/edit with shocks."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from channels_app.choices import ChannelType
from channels_app.models import Counterparty, FundingChannel
from financeplanner.choices import Role
from financeplanner.labels import field_label
from financeplanner.views.generic import (
    FormsetEditView,
    ObjectDetailView,
    ObjectListView,
    PageAction,
    correction_actions,
)

from .. import services
from ..filtersets import ScenarioFilterSet
from ..forms import ScenarioForm, ScenarioShockFormSet, shock_initial
from ..models import Scenario
from . import PAGE_SIZE
from .drills import recent_runs


class ScenarioViews:
    model = Scenario
    url_base = "contingency:scenario"
    list_title = _("Scenarios")


class ScenarioListView(ScenarioViews, ObjectListView):
    queryset = Scenario.objects.annotate(shock_count=Count("shocks")).order_by(
        "name", "pk"
    )  # GROUP BY drops Meta.ordering
    filterset_class = ScenarioFilterSet
    filter_labels = {"kind": field_label(Scenario, "kind")}
    results_template_name = "contingency/scenario_table.html"
    archive_filter = "archived"
    export_dataset = "scenarios"
    paginate_by = PAGE_SIZE
    lead = _(
        "What a drill does to the company: lenders closing, freezing, reducing or calling lines, market-wide "
        "tightening and a downgrade of our own rating."
    )
    add_label = _("Add a scenario")
    empty_message = _("No scenarios yet.")


class ScenarioDetailView(ScenarioViews, ObjectDetailView):
    queryset = Scenario.objects.prefetch_related("shocks")
    template_name = "contingency/scenario_detail.html"
    actions = (
        PageAction(_("Edit"), "edit", Role.ANALYST, with_object=True),
        PageAction(_("Run a drill"), "contingency:drill-add", Role.ANALYST, query="scenario={pk}"),
        *correction_actions(),
    )  # fmt: skip

    def get_lead(self) -> str:
        if self.object.archived_at is None:
            return ""
        return _("Archived: its drills stay readable; no new drill runs it until it is restored.")

    def get_context_data(self, **kwargs):
        company = self.request.company
        shocks = list(self.object.shocks.all())
        names = {
            "channel": dict(FundingChannel.objects.for_company(company).values_list("pk", "name")),
            "counterparty": dict(Counterparty.objects.for_company(company).values_list("pk", "name")),
        }
        for shock in shocks:
            if shock.target_type == "channel_type":
                shock.target_name = (
                    ChannelType(shock.target).label if shock.target in ChannelType.values else shock.target
                )
            elif shock.target_type in names and shock.target.isdigit():
                shock.target_name = names[shock.target_type].get(int(shock.target), shock.target)
            else:
                shock.target_name = ""
        runs = recent_runs(company, scenario=self.object).select_related("plan")
        return super().get_context_data(shocks=shocks, recent_runs=runs, **kwargs)


class ScenarioFormView(ScenarioViews, FormsetEditView):
    form_class = ScenarioForm
    formset_class = ScenarioShockFormSet
    formset_prefix = "shocks"
    template_name = "contingency/scenario_form.html"
    error_aliases = {"target": "target_choice", "target_type": "target_choice"}
    add_title = _("Add a scenario")

    def formset_initial(self) -> list[dict]:
        return shock_initial(self.object)

    def save_with_rows(self, form, rows):
        return services.scenario_save(
            company=self.request.company,
            by=self.request.user,
            scenario=self.object,
            shocks=[row.shock() for row in rows],
            **form.cleaned_data,
        )
