"""Pages of drills: list, start, progress (polled by htmx), report with its checklist, comparison of two runs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View, generic
from django_htmx.http import HttpResponseClientRedirect

from financeplanner.choices import Role
from financeplanner.labels import FIELD_LABELS
from financeplanner.web import CompanyViewMixin

from .. import drills
from ..choices import DrillStatus
from ..filtersets import DrillRunFilterSet
from ..forms import ChecklistItemForm, DrillStartForm, apply_service_errors
from ..models import ChecklistItem, DrillRun, LiquidityPool
from .base import CompanyDetailView, CompanyListView
from .report import compare_rows, drill_report

FINISHED = (DrillStatus.SUCCEEDED, DrillStatus.FAILED)


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
            from ..compare_inputs import input_differences

            pools = LiquidityPool.objects.for_company(company).values_list("pk", "name")
            context["input_differences"] = input_differences(
                runs[0].snapshot, runs[1].snapshot, pool_names={str(pk): name for pk, name in pools}
            )
        return context
