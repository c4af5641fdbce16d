"""Pages of contingency plans: list, detail with recent drills, add/edit with steps, approval."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from financeplanner.choices import Role
from financeplanner.labels import field_label
from financeplanner.views.base import CompanyViewMixin, can
from financeplanner.views.generic import FormsetEditView, ObjectDetailView, ObjectListView, PageAction

from .. import plan_versions, services
from ..approval_forms import PlanApprovalForm
from ..choices import PlanStatus
from ..filtersets import ContingencyPlanFilterSet
from ..forms import ContingencyPlanForm, PlanStepFormSet, plan_step_initial
from ..models import ContingencyPlan, PlanStep
from . import PAGE_SIZE
from .drills import recent_runs


class PlanViews:
    model = ContingencyPlan
    url_base = "contingency:plan"
    list_title = gettext_lazy("Contingency plans")


class PlanListView(PlanViews, ObjectListView):
    # A GROUP BY drops the model's default ordering; pages must stay stable.
    queryset = (
        ContingencyPlan.objects.select_related("approved_by").annotate(step_count=Count("steps")).order_by("name", "pk")
    )
    filterset_class = ContingencyPlanFilterSet
    filter_labels = {"status": field_label(ContingencyPlan, "status"), "trigger": gettext_lazy("Trigger")}
    results_template_name = "contingency/plan_table.html"
    archive_filter = "archived"
    export_dataset = "plans"
    paginate_by = PAGE_SIZE
    lead = gettext_lazy(
        "Ranked playbooks that raise cash when a channel is lost: each step with its capacity, lead time, cost and "
        "chance of working."
    )
    add_label = gettext_lazy("Add a plan")
    empty_message = gettext_lazy("No contingency plans yet.")


class PlanDetailView(PlanViews, ObjectDetailView):
    queryset = ContingencyPlan.objects.select_related("approved_by").prefetch_related(
        Prefetch("steps", queryset=PlanStep.objects.select_related("pool").order_by("order"))
    )
    template_name = "contingency/plan_detail.html"
    # Approval is a form in the page (its comment, or why this member may not approve), not a header button.
    actions = (
        PageAction(gettext_lazy("Edit"), "edit", Role.ANALYST, with_object=True),
        PageAction(gettext_lazy("Drill this plan"), "contingency:drill-add", Role.ANALYST, query="plan={pk}"),
        PageAction(
            gettext_lazy("Retire"), "archive", Role.ANALYST, "quiet", with_object=True, post=True,
            when=lambda plan: plan.status != PlanStatus.RETIRED,
        ),
        PageAction(
            gettext_lazy("Restore"), "restore", Role.ANALYST, with_object=True, post=True,
            when=lambda plan: plan.status == PlanStatus.RETIRED,
        ),
        PageAction(gettext_lazy("Delete"), "delete", Role.ANALYST, "quiet", with_object=True),
    )  # fmt: skip

    def get_context_data(self, **kwargs):
        plan = self.object
        runs = recent_runs(self.request.company, plan=plan).select_related("scenario")
        approved, diff = plan_versions.diff_to_approved(plan)
        may_approve = can(self.request, Role.TREASURER) and plan.status == PlanStatus.DRAFT
        return super().get_context_data(
            recent_runs=runs,
            approved_version=approved,
            approved_diff=diff,
            versions=plan_versions.plan_history(plan),
            approval_form=PlanApprovalForm() if may_approve else None,
            approval_refusal=services.approval_refusal(plan, self.request.user) if may_approve else None,
            **kwargs,
        )


class PlanFormView(PlanViews, FormsetEditView):
    form_class = ContingencyPlanForm
    formset_class = PlanStepFormSet
    formset_prefix = "steps"
    template_name = "contingency/plan_form.html"
    add_title = gettext_lazy("Add a plan")

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
        # A save that changed nothing leaves the approval standing (services.plan_save).
        if self.was_approved and saved.status != PlanStatus.APPROVED:
            messages.warning(
                self.request,
                _("Saved %(name)s. It was approved; the change returned it to draft and it needs a fresh approval.")
                % {"name": saved},
            )
        else:
            super().saved_message(saved)


class PlanApproveView(CompanyViewMixin, View):
    """Approve the plan's current version with an optional comment; a refusal (four-eyes, no steps) is said on the
    plan's page."""

    required_role = Role.TREASURER

    def post(self, request, pk: int):
        plan = get_object_or_404(ContingencyPlan.objects.for_company(request.company), pk=pk)
        form = PlanApprovalForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors.get("comment") or [_("Check the approval comment.")])
            plan = services.plan_approve(plan=plan, by=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Approved version %(version)s of %(name)s.") % {"version": plan.version, "name": plan}
            )
        return redirect("contingency:plan-detail", pk=plan.pk)
