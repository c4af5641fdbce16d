"""Pages of scenarios: list, detail with shocks and recent drills, add/edit with shocks."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse

from financeplanner.labels import FIELD_LABELS

from .. import services
from ..filtersets import ScenarioFilterSet
from ..forms import ScenarioForm, ScenarioShockFormSet, shock_initial
from ..models import DrillRun, Scenario
from .base import CompanyDetailView, CompanyListView, FormsetEditView
from .drills import VERDICT


class ScenarioListView(CompanyListView):
    model = Scenario
    filterset_class = ScenarioFilterSet
    template_name = "contingency/scenario_list.html"
    filter_labels = {"kind": FIELD_LABELS["kind"]}

    def get_queryset(self):
        return super().get_queryset().annotate(shock_count=Count("shocks")).order_by("name", "pk")


class ScenarioDetailView(CompanyDetailView):
    model = Scenario
    template_name = "contingency/scenario_detail.html"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("shocks")

    def get_context_data(self, **kwargs):
        from channels_app.choices import ChannelType
        from channels_app.models import Counterparty, FundingChannel

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
        runs = (
            DrillRun.objects.for_company(company)
            .filter(scenario=self.object)
            .select_related("plan")
            .defer("snapshot", "results")
            .annotate(verdict=VERDICT)[:10]
        )
        return super().get_context_data(shocks=shocks, recent_runs=runs, **kwargs)


class ScenarioFormView(FormsetEditView):
    model = Scenario
    form_class = ScenarioForm
    formset_class = ScenarioShockFormSet
    formset_prefix = "shocks"
    template_name = "contingency/scenario_form.html"
    error_aliases = {"target": "target_choice", "target_type": "target_choice"}

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

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:scenario-detail", args=[saved.pk])
