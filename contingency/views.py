"""Pages for backup liquidity, the forecast, plans, scenarios, drills, schedules, alerts and spreadsheet import.

Thin by design: every view resolves the company through `CompanyViewMixin` (another company's row is a 404, a
write below the required role a 403), parses a form, calls one service and renders. `drill_report` at the bottom
shapes a run's results, read once through the typed `contingency.report.DrillReport`, for the report and the comparison.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View, generic
from django_htmx.http import HttpResponseClientRedirect

from channels_app import ratings
from channels_app.choices import ChannelType
from channels_app.selectors import fx_rates
from financeplanner.choices import Role
from financeplanner.labels import FIELD_LABELS
from financeplanner.services import tenant_object_save
from financeplanner.views import FilteredListMixin
from financeplanner.web import CompanyViewMixin

from . import charts, drills, services
from .choices import DrillStatus, PlanStatus, ShockAction, ShockTarget, StepAction
from .filtersets import (
    AlertFilterSet,
    CashFlowLineFilterSet,
    ContingencyPlanFilterSet,
    DrillRunFilterSet,
    LiquidityPoolFilterSet,
    ScenarioFilterSet,
)
from .forms import (
    IMPORT_DATASETS,
    CashFlowLineForm,
    ChecklistItemForm,
    ContingencyPlanForm,
    DrillScheduleForm,
    DrillStartForm,
    ImportForm,
    LiquidityPoolForm,
    PlanStepFormSet,
    ScenarioForm,
    ScenarioShockFormSet,
    apply_service_errors,
    plan_step_initial,
    shock_initial,
)
from .models import (
    Alert,
    CashFlowLine,
    ChecklistItem,
    ContingencyPlan,
    DrillRun,
    DrillSchedule,
    LiquidityPool,
    PlanStep,
    Scenario,
)
from .report import DrillReport, report_of
from .snapshot import operating_flows

PAGE_SIZE = 50
FORECAST_DAYS = 90
MAX_EXTRA_ROWS = 20
FINISHED = (DrillStatus.SUCCEEDED, DrillStatus.FAILED)


# -- shared bases -----------------------------------------------------------------------------------------------


class CompanyListView(FilteredListMixin, CompanyViewMixin, generic.ListView):
    """A filtered, paginated list of the company's rows (the FilterSet is the one the API uses)."""

    paginate_by = PAGE_SIZE


class CompanyDetailView(CompanyViewMixin, generic.DetailView):
    pass


class CompanyFormView(CompanyViewMixin, generic.FormView):
    """Add (no pk) or edit (pk) one of the company's rows through a service; 404 for another company's row."""

    model: type = LiquidityPool
    required_role = Role.ANALYST

    def get_queryset(self) -> QuerySet:
        return self.model.objects.for_company(self.request.company)

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["company"] = self.request.company
        if hasattr(self.get_form_class(), "_meta"):
            kwargs["instance"] = self.object or self.model(company=self.request.company)
        return kwargs

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return super().get_context_data(object=self.object, **kwargs)

    def save(self, form) -> Any:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            saved = self.save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved %(name)s.") % {"name": saved})
        return HttpResponseRedirect(self.get_success_url_for(saved))

    def get_success_url_for(self, saved) -> str:
        raise NotImplementedError


def extra_rows(request: HttpRequest, default: int = 2) -> int:
    """How many blank rows a formset editor shows (`?rows=N` asks for more)."""
    try:
        return max(0, min(int(request.GET.get("rows", default)), MAX_EXTRA_ROWS))
    except ValueError:
        return default


# -- liquidity pools --------------------------------------------------------------------------------------------


class PoolListView(CompanyListView):
    model = LiquidityPool
    filterset_class = LiquidityPoolFilterSet
    template_name = "contingency/pool_list.html"
    filter_labels = {
        "kind": FIELD_LABELS["kind"],
        "currency": FIELD_LABELS["currency"],
        "channel": FIELD_LABELS["channel"],
    }

    def get_queryset(self):
        return super().get_queryset().select_related("channel")


class PoolDetailView(CompanyDetailView):
    model = LiquidityPool
    template_name = "contingency/pool_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("channel")

    def get_context_data(self, **kwargs):
        steps = PlanStep.objects.for_company(self.request.company).filter(pool=self.object).select_related("plan")
        return super().get_context_data(plan_steps=steps, **kwargs)


class PoolFormView(CompanyFormView):
    model = LiquidityPool
    form_class = LiquidityPoolForm
    template_name = "contingency/pool_form.html"

    def save(self, form):
        return tenant_object_save(
            obj=self.object or LiquidityPool(), company=self.request.company, fields=form.cleaned_data
        )

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:pool-detail", args=[saved.pk])


# -- cash-flow forecast -----------------------------------------------------------------------------------------


class CashFlowListView(CompanyListView):
    model = CashFlowLine
    filterset_class = CashFlowLineFilterSet
    template_name = "contingency/cashflow_list.html"
    filter_labels = {
        "name": gettext_lazy("Name contains"),
        "category": gettext_lazy("Category"),
        "frequency": gettext_lazy("Frequency"),
        "discretionary": gettext_lazy("Discretionary"),
        "currency": FIELD_LABELS["currency"],
        "starts_after": gettext_lazy("Starts on or after"),
    }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        company = self.request.company
        today = timezone.localdate()
        try:
            flows, discretionary, _fees = operating_flows(company, today, FORECAST_DAYS, fx_rates(company, today))
        except ValidationError as exc:
            context["forecast_error"] = " ".join(exc.messages)
            return context
        net = flows - discretionary
        context["forecast_chart"] = mark_safe(
            charts.daily_net_chart(  # noqa: S308 — matplotlib's escaped SVG
                start=today,
                net=net.tolist(),
                title=_("Daily net operating flow, next %(days)s days") % {"days": FORECAST_DAYS},
            )
        )
        context["forecast_inflow"] = float(flows[flows > 0].sum())
        context["forecast_outflow"] = float(-flows[flows < 0].sum() + discretionary.sum())
        context["forecast_net"] = float(net.sum())
        context["forecast_days"] = FORECAST_DAYS
        return context


class CashFlowFormView(CompanyFormView):
    model = CashFlowLine
    form_class = CashFlowLineForm
    template_name = "contingency/cashflow_form.html"

    def save(self, form):
        return tenant_object_save(
            obj=self.object or CashFlowLine(), company=self.request.company, fields=form.cleaned_data
        )

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:cashflow-list")


# -- contingency plans ------------------------------------------------------------------------------------------


class PlanListView(CompanyListView):
    model = ContingencyPlan
    filterset_class = ContingencyPlanFilterSet
    template_name = "contingency/plan_list.html"
    filter_labels = {"status": FIELD_LABELS["status"], "trigger": gettext_lazy("Trigger")}

    def get_queryset(self):
        # A GROUP BY drops the model's default ordering; pages must stay stable.
        return (
            super()
            .get_queryset()
            .select_related("approved_by")
            .annotate(step_count=Count("steps"))
            .order_by("name", "pk")
        )


class PlanDetailView(CompanyDetailView):
    model = ContingencyPlan
    template_name = "contingency/plan_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("approved_by")
            .prefetch_related(Prefetch("steps", queryset=PlanStep.objects.select_related("pool").order_by("order")))
        )

    def get_context_data(self, **kwargs):
        runs = (
            DrillRun.objects.for_company(self.request.company)
            .filter(plan=self.object)
            .select_related("scenario")
            .defer("snapshot", "results")
            .annotate(verdict=VERDICT)[:10]
        )
        return super().get_context_data(recent_runs=runs, **kwargs)


class FormsetEditView(CompanyFormView):
    """An object with an ordered list of child rows edited in one page (plan + steps, scenario + shocks)."""

    formset_class: Any = None
    formset_prefix = ""

    def formset_initial(self) -> list[dict]:
        raise NotImplementedError

    def get_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        initial = self.formset_initial() if self.object else None
        formset_class = self.formset_class
        if data is None:
            formset_class = type(formset_class.__name__, (formset_class,), {"extra": extra_rows(self.request)})
        return formset_class(data, prefix=self.formset_prefix, initial=initial, company=self.request.company)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.get_formset())
        more = extra_rows(self.request) + 3
        return super().get_context_data(more_rows=min(more, MAX_EXTRA_ROWS), **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form()
        formset = self.get_formset()
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        rows = self.ordered_rows(formset)
        try:
            saved = self.save_with_rows(form, rows)
        except ValidationError as exc:
            if self.object is not None:
                self.object.refresh_from_db()  # the service may have changed it in memory before refusing
            apply_service_errors(form, exc, {self.formset_prefix: (formset, rows)}, aliases=self.error_aliases)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        self.saved_message(saved)
        return HttpResponseRedirect(self.get_success_url_for(saved))

    error_aliases: dict[str, str] = {}

    def ordered_rows(self, formset) -> list:
        return formset.kept_forms()

    def save_with_rows(self, form, rows: list):
        raise NotImplementedError

    def saved_message(self, saved) -> None:
        messages.success(self.request, _("Saved %(name)s.") % {"name": saved})


class PlanFormView(FormsetEditView):
    model = ContingencyPlan
    form_class = ContingencyPlanForm
    formset_class = PlanStepFormSet
    formset_prefix = "steps"
    template_name = "contingency/plan_form.html"

    def formset_initial(self) -> list[dict]:
        return plan_step_initial(self.object)

    def ordered_rows(self, formset) -> list:
        # plan_save ranks the steps by their order and names errors by that rank: keep the same order here.
        return sorted(formset.kept_forms(), key=lambda row: row.cleaned_data["order"])

    def save_with_rows(self, form, rows):
        self.was_approved = bool(self.object and self.object.status == PlanStatus.APPROVED)
        return services.plan_save(
            company=self.request.company,
            by=self.request.user,
            plan=self.object,
            steps=[row.step() for row in rows],
            **form.cleaned_data,
        )

    def saved_message(self, saved) -> None:
        if self.was_approved:
            messages.warning(
                self.request,
                _("Saved %(name)s. It was approved; the change returned it to draft and it needs a fresh approval.")
                % {"name": saved},
            )
        else:
            super().saved_message(saved)

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:plan-detail", args=[saved.pk])


class PlanApproveView(CompanyViewMixin, View):
    required_role = Role.TREASURER

    def post(self, request, pk: int):
        plan = get_object_or_404(ContingencyPlan.objects.for_company(request.company), pk=pk)
        try:
            services.plan_approve(plan=plan, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Approved %(name)s.") % {"name": plan})
        return redirect("contingency:plan-detail", pk=plan.pk)


# -- scenarios --------------------------------------------------------------------------------------------------


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


# -- drills -----------------------------------------------------------------------------------------------------


#: A run's verdict read inside the database (lists defer the results JSON).
VERDICT = KeyTextTransform("verdict", KeyTransform("policy", "results"))


def runs_for_list(queryset: QuerySet) -> QuerySet:
    """Runs with the few result figures a list shows, read inside the database instead of loading the JSON."""
    return (
        queryset.select_related("scenario", "plan", "created_by", "schedule")
        .defer("snapshot", "results", "error")
        .annotate(
            runway=KeyTransform("runway_days", "results"),
            verdict=VERDICT,
            survival_probability=KeyTransform("survival_probability", "results"),
            min_liquidity=KeyTransform("min_liquidity", "results"),
        )
    )


class DrillListView(CompanyListView):
    model = DrillRun
    filterset_class = DrillRunFilterSet
    template_name = "contingency/drill_list.html"
    filter_labels = {
        "scenario": gettext_lazy("Scenario"),
        "plan": gettext_lazy("Contingency plan"),
        "status": FIELD_LABELS["status"],
        "schedule": gettext_lazy("Schedule"),
    }

    def get_queryset(self):
        return runs_for_list(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["finished_runs"] = [run for run in context["object_list"] if run.status == DrillStatus.SUCCEEDED]
        return context


class DrillStartView(CompanyViewMixin, generic.FormView):
    form_class = DrillStartForm
    template_name = "contingency/drill_start.html"
    required_role = Role.ANALYST

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "company": self.request.company}

    def get_initial(self):
        return {key: self.request.GET[key] for key in ("scenario", "plan") if self.request.GET.get(key)}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            run = drills.drill_start(
                company=self.request.company,
                scenario=data["scenario"],
                plan=data["plan"],
                paths=data["paths"],
                seed=data["seed"],
                by=self.request.user,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        return redirect("contingency:drill-progress", pk=run.pk)


class DrillProgressView(CompanyDetailView):
    """The run's progress; polled by htmx every second, it sends the browser to the report once finished."""

    model = DrillRun
    template_name = "contingency/drill_progress.html"

    def get_queryset(self):
        return super().get_queryset().select_related("scenario", "plan").defer("snapshot", "results")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        report = reverse("contingency:drill-detail", args=[self.object.pk])
        if self.object.status in FINISHED:
            return HttpResponseClientRedirect(report) if request.htmx else HttpResponseRedirect(report)
        if request.htmx:
            self.template_name = "contingency/partials/drill_progress.html"
        return self.render_to_response(self.get_context_data(object=self.object))


class DrillDetailView(CompanyDetailView):
    """The drill report: verdict against the policy, runway, the gap and what closes it, the fan, the checklist."""

    model = DrillRun
    template_name = "contingency/drill_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("scenario", "plan", "created_by", "schedule")
            .prefetch_related(
                Prefetch("checklist", queryset=ChecklistItem.objects.select_related("done_by").order_by("order"))
            )
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.status not in FINISHED:
            return redirect("contingency:drill-progress", pk=self.object.pk)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        context["report"] = drill_report(run)
        context["checklist"] = [
            (item, ChecklistItemForm(initial=_item_initial(item), prefix=f"item-{item.pk}"))
            for item in run.checklist.all()
        ]
        return context


def _item_initial(item: ChecklistItem) -> dict:
    return {"outcome": item.outcome, "minutes_taken": item.minutes_taken, "notes": item.notes}


class ChecklistRecordView(CompanyViewMixin, View):
    """Record one live-drill task's outcome; answers htmx with the item's row, a plain post with the report."""

    required_role = Role.ANALYST

    def post(self, request, pk: int, item_pk: int):
        item = get_object_or_404(
            ChecklistItem.objects.for_company(request.company).select_related("run", "done_by"), pk=item_pk, run_id=pk
        )
        form = ChecklistItemForm(request.POST, prefix=f"item-{item.pk}")
        if form.is_valid():
            try:
                item = drills.checklist_record(item=item, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                form = ChecklistItemForm(initial=_item_initial(item), prefix=f"item-{item.pk}")
                form.saved = True
        if request.htmx:
            return render(
                request, "contingency/partials/checklist_item.html", {"item": item, "form": form, "run": item.run}
            )
        if form.errors:
            messages.error(
                request, _("The checklist item was not saved: %(errors)s") % {"errors": form.errors.as_text()}
            )
        return HttpResponseRedirect(reverse("contingency:drill-detail", args=[pk]) + f"#item-{item.pk}")


class DrillCompareView(CompanyViewMixin, generic.TemplateView):
    """Two runs side by side: what changed between plans, scenarios or dates."""

    template_name = "contingency/drill_compare.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        company = self.request.company
        choices = list(
            DrillRun.objects.for_company(company)
            .filter(status=DrillStatus.SUCCEEDED)
            .select_related("scenario", "plan")
            .only("pk", "created_at", "scenario__name", "plan__name", "paths", "status")
            .order_by("-created_at", "-id")[:100]
        )
        context["choices"] = choices
        ids = [self.request.GET.get("a"), self.request.GET.get("b")]
        if all(ids):
            if not all(value.isascii() and value.isdigit() for value in ids):
                raise Http404
            queryset = DrillRun.objects.for_company(company).select_related("scenario", "plan")
            runs = [get_object_or_404(queryset, pk=value) for value in ids]
            context["runs"] = runs
            context["a"], context["b"] = runs
            reports = [drill_report(run) for run in runs]
            context["verdicts"] = [report["verdict"] for report in reports]
            context["passed"] = [run.passed_policy for run in runs]
            context["rows"] = compare_rows(*reports)
            # What differs in their inputs (stored snapshots), so equal or unequal results are explained.
            from .compare_inputs import input_differences

            pools = LiquidityPool.objects.for_company(company).values_list("pk", "name")
            context["input_differences"] = input_differences(
                runs[0].snapshot, runs[1].snapshot, pool_names={str(pk): name for pk, name in pools}
            )
        return context


# -- schedules --------------------------------------------------------------------------------------------------


class ScheduleListView(CompanyViewMixin, generic.ListView):
    model = DrillSchedule
    template_name = "contingency/schedule_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return super().get_queryset().select_related("scenario", "plan").order_by("name", "pk")


class ScheduleFormView(CompanyFormView):
    model = DrillSchedule
    form_class = DrillScheduleForm
    template_name = "contingency/schedule_form.html"
    required_role = Role.TREASURER

    def save(self, form):
        return drills.schedule_save(
            company=self.request.company, by=self.request.user, schedule=self.object, **form.cleaned_data
        )

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:schedule-list")


class ScheduleDeleteView(CompanyFormView):
    model = DrillSchedule
    template_name = "contingency/schedule_confirm_delete.html"
    required_role = Role.TREASURER

    form_class = forms.Form  # a confirmation: nothing to fill in

    def get_form_kwargs(self) -> dict[str, Any]:
        return generic.FormView.get_form_kwargs(self)  # a plain Form takes no company

    def form_valid(self, form):
        name = str(self.object)
        drills.schedule_delete(schedule=self.object, by=self.request.user)
        messages.success(self.request, _("Deleted the schedule %(name)s.") % {"name": name})
        return redirect("contingency:schedule-list")


# -- alerts -----------------------------------------------------------------------------------------------------


class AlertListView(CompanyListView):
    model = Alert
    filterset_class = AlertFilterSet
    template_name = "contingency/alert_list.html"
    filter_labels = {
        "indicator": gettext_lazy("Indicator"),
        "severity": gettext_lazy("Severity"),
        "open": gettext_lazy("Open"),
        "acknowledged": gettext_lazy("Acknowledged"),
    }

    def get_queryset(self):
        return super().get_queryset().select_related("acknowledged_by")

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


# The early-warning indicators of contingency.warnings, named in the user's language.
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
        from . import warnings

        alert = get_object_or_404(Alert.objects.for_company(request.company), pk=pk)
        try:
            alert = warnings.alert_acknowledge(alert=alert, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        if request.htmx:
            alert = Alert.objects.select_related("acknowledged_by").get(pk=alert.pk)
            alert.indicator_label = INDICATOR_LABELS.get(alert.indicator, alert.indicator)
            return render(request, "contingency/partials/alert_row.html", {"alert": alert})
        return HttpResponseRedirect(request.POST.get("next") or reverse("contingency:alert-list"))


# -- spreadsheet import -----------------------------------------------------------------------------------------

IMPORT_SESSION_KEY = "contingency_import"


def import_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "financeplanner-imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


class ImportView(CompanyViewMixin, generic.FormView):
    """Upload → a dry run listing every bad row → commit the very file that was checked.

    The checked file waits in a private temp directory under a random token kept in the user's session, so the
    commit cannot be pointed at another user's upload and nothing has to be uploaded twice.
    """

    form_class = ImportForm
    template_name = "contingency/import.html"
    required_role = Role.ANALYST

    def get_context_data(self, **kwargs):
        datasets = [
            {
                "name": name,
                "label": label,
                "xlsx": reverse("import-template", args=[name]) + "?format=xlsx",
                "csv": reverse("import-template", args=[name]) + "?format=csv",
            }
            for name, label in IMPORT_DATASETS
        ]
        return super().get_context_data(datasets=datasets, **kwargs)

    def post(self, request, *args, **kwargs):
        if "commit" in request.POST and "job" in request.POST:
            return self.commit_job(request)
        if "commit" in request.POST:
            return self.commit(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        from financeplanner.importing import async_bytes, import_rows

        upload = form.cleaned_data["file"]
        dataset = form.cleaned_data["dataset"]
        if upload.size > async_bytes():
            return self.start_job(form, upload, dataset)
        token = uuid.uuid4().hex
        path = import_dir() / token
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        with path.open("rb") as file:
            report = import_rows(
                company=self.request.company, dataset=dataset, file=file, filename=upload.name, by=self.request.user,
                commit=False,
            )  # fmt: skip
        if report.errors:
            path.unlink(missing_ok=True)
            token = ""
        else:
            self.request.session[IMPORT_SESSION_KEY] = {
                "token": token, "filename": upload.name, "dataset": dataset, "company": self.request.company.pk,
            }  # fmt: skip
        return self.render_to_response(
            self.get_context_data(form=form, report=report, token=token, filename=upload.name, dataset=dataset)
        )

    def start_job(self, form, upload, dataset):
        """A big file is checked by a worker, outside this process: the job's page shows its progress."""
        from financeplanner.importing import (
            MAX_BYTES,
            ImportFileError,
            ImportQueueUnavailable,
            import_job_create,
            precheck,
        )

        content = upload.read(MAX_BYTES + 1)
        try:
            precheck(content, upload.name)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        try:
            job = import_job_create(
                company=self.request.company, dataset=dataset, content=content, filename=upload.name,
                by=self.request.user, commit=False,
            )  # fmt: skip
        except ImportQueueUnavailable as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return redirect("contingency:import-job", pk=job.pk)

    def commit_job(self, request):
        from financeplanner.importing import ImportQueueUnavailable, import_job_commit
        from financeplanner.models import ImportJob

        job_id = request.POST.get("job", "")
        if not job_id.isdigit():
            raise Http404
        # Only the user who uploaded the file commits its check, and only within their company.
        checked = get_object_or_404(
            ImportJob.objects.for_company(request.company).defer("file"), pk=job_id, created_by=request.user
        )
        try:
            job = import_job_commit(job=checked, by=request.user)
        except (ValidationError, ImportQueueUnavailable) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
            return redirect("contingency:import")
        return redirect("contingency:import-job", pk=job.pk)

    def commit(self, request):
        from financeplanner.importing import import_rows

        pending = request.session.get(IMPORT_SESSION_KEY) or {}
        token = request.POST.get("token", "")
        if not token or pending.get("token") != token or pending.get("company") != request.company.pk:
            messages.error(request, _("That upload has expired; please upload the file again."))
            return redirect("contingency:import")
        path = import_dir() / token
        if not path.exists():
            messages.error(request, _("That upload has expired; please upload the file again."))
            return redirect("contingency:import")
        with path.open("rb") as file:
            report = import_rows(
                company=request.company, dataset=pending["dataset"], file=file, filename=pending["filename"],
                by=request.user, commit=True,
            )  # fmt: skip
        path.unlink(missing_ok=True)
        del request.session[IMPORT_SESSION_KEY]
        if report.committed:
            messages.success(
                request,
                _("Imported %(count)s rows from %(file)s.") % {"count": report.created, "file": pending["filename"]},
            )
            return redirect("contingency:import")
        form = ImportForm(initial={"dataset": pending["dataset"]})
        return self.render_to_response(
            self.get_context_data(
                form=form, report=report, token="", filename=pending["filename"], dataset=pending["dataset"]
            )
        )


class ImportJobView(CompanyDetailView):
    """A background import: its progress, polled by htmx every second, then its report (and the commit button)."""

    template_name = "contingency/import_job.html"
    required_role = Role.ANALYST

    def get_queryset(self):
        from financeplanner.models import ImportJob

        return ImportJob.objects.for_company(self.request.company).defer("file")

    def get(self, request, *args, **kwargs):
        from financeplanner.choices import ImportJobStatus

        self.object = self.get_object()
        finished = self.object.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)
        if request.htmx:
            if finished:
                return HttpResponseClientRedirect(request.path)
            self.template_name = "contingency/partials/import_job_progress.html"
        return self.render_to_response(self.get_context_data(object=self.object, finished=finished))


# -- drill results, shaped for the report -----------------------------------------------------------------------


LENDER_ACTION_SOURCES = {
    "shock": gettext_lazy("Scenario shock"),
    "trigger": gettext_lazy("Lender's trigger"),
    "random": gettext_lazy("Drawn at random"),
}


def _own_rating(own: dict, on_day) -> dict | None:
    """The company's rating over the drill with master-scale symbols: where it started and each change."""
    start = own.get("start_rank")
    if not isinstance(start, int):
        return None
    changes = [
        {"day": change["day"], "date": on_day(change["day"]), "rating": ratings.rating_at(change["rank"])}
        for change in own.get("changes") or []
        if isinstance(change.get("rank"), int)
    ]
    return {"start": ratings.rating_at(start), "changes": changes, "downgraded_paths": own.get("downgraded_paths"),
            "share": own.get("share")}  # fmt: skip


def fan_chart(run: DrillRun, fan: dict, as_of) -> str:
    """A finished run's results never change: draw its fan once per language and keep it."""
    key = f"contingency:fan:{run.pk}:{run.finished_at and run.finished_at.timestamp()}:{get_language()}"
    svg = cache.get_or_set(key, lambda: charts.fan_chart(fan, as_of=as_of, paths=run.paths), timeout=24 * 3600)
    return mark_safe(svg)  # noqa: S308 — matplotlib's escaped SVG (financeplanner.charts)


def drill_report(run: DrillRun) -> dict[str, Any]:
    """Everything the report shows: the typed results (``contingency.report``) and what the snapshot adds."""
    report = report_of(run)
    snapshot: dict[str, Any] = run.snapshot or {}
    scenario_input: dict[str, Any] = snapshot.get("scenario") or {}
    many = report.many
    as_of = run.as_of  # the snapshot's day 0 (a scenario without as_of runs as of the run date)
    plan_steps = {
        step.get("order"): {**step, "action": _label(StepAction, step.get("action"))}
        for step in ((snapshot.get("plan") or {}).get("steps") or [])
    }

    def on_day(day):
        return as_of + timedelta(days=day) if isinstance(day, int) and as_of else None

    closing_rows: list[dict] = []
    if many:
        for order, count in (report.closing.get("closed_by_step") or {}).items():
            step = plan_steps.get(int(order)) if str(order).isdigit() else None
            closing_rows.append({"order": order, "action": (step or {}).get("action"), "paths": count})
    channels = snapshot.get("channels") or []
    channel_names = {channel.get("key"): channel.get("name") for channel in channels}
    pools = snapshot.get("pools") or []
    policy = report.policy
    return {
        "run": run,
        "typed": report,
        "policy": policy,
        "verdict": report.verdict,
        "many": many,
        "paths": report.paths,
        "horizon_days": report.horizon_days or scenario_input.get("horizon_days"),
        "survived": report.survived,
        "survival_probability": report.survival_probability,
        "runway": report.runway,
        "runway_date": on_day(report.runway),
        "runway_percentiles": report.runway_percentiles,
        "shortfall_paths": report.shortfall_paths,
        "breach_date": on_day(policy.buffer_breach_day),
        "gap": report.gap if many else report.gap_day,
        "gap_date": on_day(report.gap_day),
        "closing_step": report.closing_step if not many else None,
        "closing_step_detail": plan_steps.get(report.closing_step) if report.closing_step is not None else None,
        "closing_rows": closing_rows,
        "closing_summary": report.closing if many and report.closing else None,
        "activation": (report.activation or None) if many else report.plan_activation_day,
        "min_liquidity": report.min_liquidity,
        "min_liquidity_day": report.min_liquidity_day,
        "min_liquidity_date": on_day(report.min_liquidity_day),
        "lar95": report.liquidity_at_risk_95,
        "lar99": report.liquidity_at_risk_99,
        "extra_liquidity_needed": report.extra_liquidity_needed,
        "deepest_deficit": report.deepest_deficit,
        "contingency_used": report.contingency_used,
        "contingency_cost": report.contingency_cost,
        "channel_impact": report.channel_impact,
        "lender_actions": [
            {
                **row,
                "date": on_day(row.get("day")),
                "action_label": _label(ShockAction, row.get("action")),
                "source_label": LENDER_ACTION_SOURCES.get(row.get("source"), row.get("source")),
            }
            for row in report.lender_actions
        ],  # fmt: skip
        "own_rating": _own_rating(report.own_rating, on_day),
        "fan_chart": fan_chart(run, report.fan, as_of) if report.fan else "",
        "snapshot": {
            "opening_cash": scenario_input.get("opening_cash"),
            "min_cash_buffer": scenario_input.get("min_cash_buffer"),
            "kind": scenario_input.get("kind"),
            "seed": report.seed if report.seed is not None else run.seed,
            "own_downgrade_notches": scenario_input.get("own_downgrade_notches"),
            "market_stress": scenario_input.get("market_stress"),
            "hazard_multiplier": scenario_input.get("hazard_multiplier"),
            "shocks": [
                {
                    **shock,
                    "action": _label(ShockAction, shock.get("action")),
                    "target_type": _label(ShockTarget, shock.get("target_type")),
                    "target": _shock_target(shock, channel_names),
                }
                for shock in scenario_input.get("shocks") or []
            ],
            "channel_count": len(channels),
            "total_limit": sum(float(c.get("limit") or 0) for c in channels),
            "total_drawn": sum(float(c.get("drawn") or 0) for c in channels),
            "open_channels": sum(1 for c in channels if c.get("status") in ("active", "reduced")),
            "pool_count": len(pools),
            "pool_total": sum(float(p.get("amount") or 0) for p in pools),
            "plan_steps": list(plan_steps.values()),
            "operating_net": sum(scenario_input.get("operating_flows") or [])
            - sum(scenario_input.get("discretionary_outflows") or []),
        },
    }


def _shock_target(shock: dict, channel_names: dict) -> str:
    target = shock.get("target") or ""
    if shock.get("target_type") == ShockTarget.CHANNEL:
        return channel_names.get(target, target)
    if shock.get("target_type") == ShockTarget.CHANNEL_TYPE:
        return _label(ChannelType, target)
    return target


def _label(choices, value) -> str:
    """The translated label of a stored choice value; the value itself when the choice is unknown."""
    return choices(value).label if value in choices.values else (value or "")


COMPARED = [
    ("survival_probability", "percent"),
    ("policy_probability", "percent"),
    ("ci", "interval"),
    ("runway", "runway"),
    ("shortfall_paths", "count"),
    ("breach_day", "day"),
    ("min_liquidity", "money"),
    ("lar95", "money"),
    ("lar99", "money"),
    ("extra_liquidity_needed", "money"),
    ("contingency_used", "money"),
    ("contingency_cost", "money"),
]


def compare_rows(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure (from two ``drill_report`` dicts): both values and, for plain numbers, the difference b − a.

    The runway is each report's headline (Monte Carlo: the quantile at the policy's confidence), shown with the paths
    that fall short, so a run where paths fall short never reads "survives" without saying how many do not.
    """
    labels = {
        "survival_probability": _("Survival probability (no shortfall)"),
        "policy_probability": _("Paths keeping the buffer over the policy horizon"),
        "ci": _("95% confidence interval"),
        "runway": _("Runway (days)"),
        "shortfall_paths": _("Paths that fall short"),
        "breach_day": _("First buffer breach (day)"),
        "min_liquidity": _("Minimum liquidity"),
        "lar95": _("Liquidity at risk 95%"),
        "lar99": _("Liquidity at risk 99%"),
        "extra_liquidity_needed": _("Extra liquidity needed"),
        "contingency_used": _("Contingency used"),
        "contingency_cost": _("Contingency cost"),
    }

    def figure(report: dict[str, Any], key: str) -> Any:
        typed: DrillReport = report["typed"]
        policy = typed.policy
        if key == "policy_probability":
            return policy.probability
        if key == "ci":
            if policy.ci_low is None or policy.ci_high is None:
                return None
            return {"low": policy.ci_low, "high": policy.ci_high, "se": policy.standard_error}
        if key == "runway":
            return {
                "days": typed.runway,
                "many": typed.many,
                "horizon": typed.horizon_days,
                "confidence": policy.target_survival_probability,
                "short": typed.shortfall_paths,
            }
        if key == "breach_day":
            return policy.buffer_breach_day
        return report.get(key)

    rows = []
    for key, kind in COMPARED:
        left, right = figure(a, key), figure(b, key)
        if key == "runway":
            both = isinstance(left["days"], int) and isinstance(right["days"], int)
            delta = right["days"] - left["days"] if both else None
        else:
            delta = right - left if isinstance(left, int | float) and isinstance(right, int | float) else None
        delta_kind = "count" if kind in ("runway", "day") else kind  # a difference of days is a number of days
        rows.append(
            {"label": labels[key], "kind": kind, "values": [left, right], "delta": delta, "delta_kind": delta_kind}
        )
    return rows
