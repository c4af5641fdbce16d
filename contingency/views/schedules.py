"""Pages of drill schedules: list and detail with the next run (in the schedule's time zone) and the last run with
its verdict, add/edit with the plain builder beside cron, delete (treasurers), and "run now" (analysts, as for
starting a drill)."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from financeplanner.choices import Role
from financeplanner.views.base import CompanyViewMixin
from financeplanner.views.generic import ObjectDeleteView, ObjectDetailView, ObjectFormView, ObjectListView, PageAction

from .. import drills, schedule_times
from ..models import DrillRun, DrillSchedule
from ..schedule_forms import DrillScheduleForm
from . import PAGE_SIZE
from .drills import VERDICT, recent_runs

REQUEST_KEY = re.compile(r"^[0-9a-f]{32}$")


def with_last_run(queryset: QuerySet) -> QuerySet:
    """Schedules with their latest run's id, status, verdict and time, read in the same query."""
    latest = DrillRun.objects.filter(schedule=OuterRef("pk")).order_by("-created_at", "-id")
    return queryset.annotate(
        last_run_id=Subquery(latest.values("pk")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
        last_run_at=Subquery(latest.values("created_at")[:1]),
        last_run_verdict=Subquery(latest.annotate(verdict=VERDICT).values("verdict")[:1]),
        last_run_passed=Subquery(latest.values("passed_policy")[:1]),
    )


def timing(schedule: DrillSchedule, now=None) -> dict:
    """What a page says of a schedule's timing: the cron in words (None when only cron says it) and the next run."""
    return {
        "description": schedule_times.describe(schedule.cron),
        "next_run": schedule_times.next_run(schedule.cron, schedule.timezone, now or timezone.now())
        if schedule.enabled
        else None,
    }


class ScheduleViews:
    model = DrillSchedule
    url_base = "contingency:schedule"
    list_title = gettext_lazy("Drill schedules")
    required_role = Role.TREASURER


class ScheduleListView(ScheduleViews, ObjectListView):
    queryset = DrillSchedule.objects.select_related("scenario", "plan").order_by("name", "pk")
    required_role = Role.VIEWER
    results_template_name = "contingency/schedule_table.html"
    export_dataset = "drill-schedules"
    paginate_by = PAGE_SIZE
    lead = gettext_lazy(
        "Scenarios drilled on a timetable. A drill that fails the liquidity policy raises an alert and e-mails the "
        "members who asked for it."
    )
    add_label = gettext_lazy("Add a schedule")
    add_role = Role.TREASURER
    empty_message = gettext_lazy("No drill schedules yet.")

    def get_queryset(self):
        return with_last_run(super().get_queryset())

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        return [(str(gettext_lazy("Drills")), reverse("contingency:drill-list"))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        for schedule in context["object_list"]:
            schedule.timing = timing(schedule, now)
        context["run_key"] = uuid.uuid4().hex
        return context


class ScheduleDetailView(ScheduleViews, ObjectDetailView):
    queryset = DrillSchedule.objects.select_related("scenario", "plan")
    required_role = Role.VIEWER
    template_name = "contingency/schedule_detail.html"
    actions = (
        PageAction(gettext_lazy("Edit"), "edit", Role.TREASURER, with_object=True),
        PageAction(gettext_lazy("Delete"), "delete", Role.TREASURER, with_object=True, style="warn"),
    )

    def get_queryset(self):
        return with_last_run(super().get_queryset())

    def get_context_data(self, **kwargs):
        schedule = self.object
        return super().get_context_data(
            timing=timing(schedule),
            run_key=uuid.uuid4().hex,
            recent_runs=recent_runs(self.request.company, schedule=schedule),
            **kwargs,
        )


class ScheduleFormView(ScheduleViews, ObjectFormView):
    form_class = DrillScheduleForm
    template_name = "contingency/schedule_form.html"
    add_title = gettext_lazy("Add a schedule")

    def save(self, form):
        return drills.schedule_save(
            company=self.request.company, by=self.request.user, schedule=self.object, **form.schedule_fields()
        )


class ScheduleRunView(CompanyViewMixin, View):
    """Run the schedule's drill now. The button's form carries a key made when the page was shown: a double click
    (or the form sent again) starts one drill, and both answers lead to it."""

    model = DrillSchedule
    required_role = Role.ANALYST

    def post(self, request, pk: int):
        schedule = get_object_or_404(
            DrillSchedule.objects.for_company(request.company).select_related("company", "scenario", "plan"), pk=pk
        )
        key = request.POST.get("request_key", "")
        if not REQUEST_KEY.match(key):
            messages.error(request, _("The page was out of date: press “Run now” again."))
            return redirect("contingency:schedule-detail", pk=schedule.pk)
        try:
            run = drills.schedule_run_now(schedule=schedule, by=request.user, request_key=f"schedule-{pk}-{key}")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("contingency:schedule-detail", pk=schedule.pk)
        return redirect("contingency:drill-progress", pk=run.pk)


class ScheduleDeleteView(ScheduleViews, ObjectDeleteView):
    delete_title = gettext_lazy("Delete the schedule %(name)s?")
    lead = gettext_lazy("Past drills of this schedule are kept; no new ones will run.")
    success_message = gettext_lazy("Deleted the schedule %(name)s.")

    def delete(self, obj) -> None:
        drills.schedule_delete(schedule=obj, by=self.request.user)
