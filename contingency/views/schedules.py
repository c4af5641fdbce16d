"""Pages of drill schedules: list, add/edit, delete (treasurers only)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from financeplanner.choices import Role
from financeplanner.views.generic import ObjectDeleteView, ObjectFormView, ObjectListView

from .. import drills
from ..forms import DrillScheduleForm
from ..models import DrillSchedule
from . import PAGE_SIZE


class ScheduleViews:
    model = DrillSchedule
    url_base = "contingency:schedule"
    list_title = _("Drill schedules")
    required_role = Role.TREASURER


class ScheduleListView(ScheduleViews, ObjectListView):
    queryset = DrillSchedule.objects.select_related("scenario", "plan").order_by("name", "pk")
    required_role = Role.VIEWER
    results_template_name = "contingency/schedule_table.html"
    paginate_by = PAGE_SIZE
    lead = _(
        "Scenarios drilled on a timetable. A drill that fails the liquidity policy raises an alert and e-mails the "
        "members who asked for it."
    )
    add_label = _("Add a schedule")
    add_role = Role.TREASURER
    empty_message = _("No drill schedules yet.")

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        return [(str(_("Drills")), reverse("contingency:drill-list"))]


class ScheduleFormView(ScheduleViews, ObjectFormView):
    form_class = DrillScheduleForm
    add_title = _("Add a schedule")
    success_action = "list"

    def save(self, form):
        return drills.schedule_save(
            company=self.request.company, by=self.request.user, schedule=self.object, **form.cleaned_data
        )


class ScheduleDeleteView(ScheduleViews, ObjectDeleteView):
    delete_title = _("Delete the schedule %(name)s?")
    lead = _("Past drills of this schedule are kept; no new ones will run.")
    success_message = _("Deleted the schedule %(name)s.")

    def delete(self, obj) -> None:
        drills.schedule_delete(schedule=obj, by=self.request.user)
