"""Pages of contingency plans: list, detail with recent drills, add/edit with steps, approval."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from financeplanner.choices import Role
from financeplanner.labels import FIELD_LABELS
from financeplanner.web import CompanyViewMixin

from .. import services
from ..choices import PlanStatus
from ..filtersets import ContingencyPlanFilterSet
from ..forms import ContingencyPlanForm, PlanStepFormSet, plan_step_initial
from ..models import ContingencyPlan, DrillRun, PlanStep
from .base import CompanyDetailView, CompanyListView, FormsetEditView
from .drills import VERDICT


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
