"""Pages of drills: list, start, progress (polled by htmx), report with its checklist, comparison of two runs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View, generic
from django_htmx.http import HttpResponseClientRedirect

from financeplanner.choices import Role
from financeplanner.currencies import missing_currencies
from financeplanner.forms import apply_service_errors
from financeplanner.fx import unconverted_lines
from financeplanner.labels import field_label
from financeplanner.views.base import CompanyViewMixin
from financeplanner.views.generic import ObjectDetailView, ObjectFormView, ObjectListView, ObjectMixin, PageAction

from .. import drills
from ..choices import DrillStatus
from ..compare_inputs import input_differences
from ..filtersets import DrillRunFilterSet
from ..forms import ChecklistItemForm, DrillStartForm
from ..models import ChecklistItem, DrillRun, LiquidityPool
from . import PAGE_SIZE
from .report import compare_rows, drill_report

FINISHED = (DrillStatus.SUCCEEDED, DrillStatus.FAILED)
RECENT_RUNS = 10

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


def recent_runs(company, **filters) -> QuerySet:
    """The latest runs of one plan or scenario, for its page (contingency/includes/run_table.html)."""
    runs = DrillRun.objects.for_company(company).filter(**filters).select_related("scenario", "plan")
    return runs.defer("snapshot", "results").annotate(verdict=VERDICT)[:RECENT_RUNS]


class DrillViews:
    model = DrillRun
    url_base = "contingency:drill"
    list_title = gettext_lazy("Drills")

    def get_title(self) -> str:
        run = self.page_object()
        if run is None:
            return super().get_title()
        return _("Drill #%(pk)s: %(scenario)s") % {"pk": run.pk, "scenario": run.scenario.name}


class DrillListView(DrillViews, ObjectListView):
    filterset_class = DrillRunFilterSet
    filter_labels = {
        "scenario": gettext_lazy("Scenario"),
        "plan": gettext_lazy("Contingency plan"),
        "status": field_label(DrillRun, "status"),
        "schedule": gettext_lazy("Schedule"),
    }
    template_name = "contingency/drill_list.html"
    results_template_name = "contingency/drill_table.html"
    export_dataset = "drills"
    paginate_by = PAGE_SIZE
    add_label = gettext_lazy("Run a drill")
    actions = (PageAction(gettext_lazy("Schedules"), "contingency:schedule-list"),)
    empty_message = gettext_lazy("No drills yet.")

    def get_queryset(self):
        return runs_for_list(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["finished_runs"] = [run for run in context["object_list"] if run.status == DrillStatus.SUCCEEDED]
        return context


class DrillStartView(DrillViews, ObjectFormView):
    """A drill snapshots the company now and runs on a worker: the next page is its progress."""

    form_class = DrillStartForm
    add_title = gettext_lazy("Run a drill")
    lead = gettext_lazy(
        "The drill takes a snapshot of the company as it stands now — channels, pools, forecast, plan — and runs "
        "the scenario against it day by day."
    )
    submit_label = gettext_lazy("Start the drill")
    success_message = ""

    def get_initial(self):
        return {key: self.request.GET[key] for key in ("scenario", "plan") if self.request.GET.get(key)}

    template_name = "contingency/drill_start.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # A line without an FX rate today refuses the drill: say so before it is started, with the way out.
        context["fx_missing"] = missing_currencies(unconverted_lines(self.request.company, timezone.localdate()))
        context["fx_refused"] = getattr(self, "fx_refused", False)
        return context

    def save(self, form):
        data = form.cleaned_data
        try:
            return drills.drill_start(
                company=self.request.company,
                scenario=data["scenario"],
                plan=data["plan"],
                paths=data["paths"],
                seed=data["seed"],
                by=self.request.user,
            )
        except ValidationError as exc:
            self.fx_refused = "currency" in getattr(exc, "error_dict", {})
            raise

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:drill-progress", args=[saved.pk])


class DrillProgressView(DrillViews, ObjectDetailView):
    """The run's progress; polled by htmx every second, it sends the browser to the report once finished."""

    queryset = DrillRun.objects.select_related("scenario", "plan").defer("snapshot", "results")
    template_name = "contingency/drill_progress.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        report = reverse("contingency:drill-detail", args=[self.object.pk])
        if self.object.status in FINISHED:
            return HttpResponseClientRedirect(report) if request.htmx else HttpResponseRedirect(report)
        if request.htmx:
            self.template_name = "contingency/partials/drill_progress.html"
        return self.render_to_response(self.get_context_data(object=self.object))


class DrillDetailView(DrillViews, ObjectDetailView):
    """The drill report: verdict against the policy, runway, the gap and what closes it, the fan, the checklist."""

    queryset = DrillRun.objects.select_related("scenario", "plan", "created_by", "schedule").prefetch_related(
        Prefetch("checklist", queryset=ChecklistItem.objects.select_related("done_by").order_by("order"))
    )
    template_name = "contingency/drill_detail.html"

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


class DrillCompareView(DrillViews, ObjectMixin, CompanyViewMixin, generic.TemplateView):
    """Two runs side by side: what changed between plans, scenarios or dates."""

    template_name = "contingency/drill_compare.html"

    def get_title(self) -> str:
        return _("Compare two drills")

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
            pools = LiquidityPool.objects.for_company(company).values_list("pk", "name")
            context["input_differences"] = input_differences(
                runs[0].snapshot, runs[1].snapshot, pool_names={str(pk): name for pk, name in pools}
            )
        return context
