"""Pages of drill schedules: list, add/edit, delete."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic

from financeplanner.choices import Role
from financeplanner.web import CompanyViewMixin

from .. import drills
from ..forms import DrillScheduleForm
from ..models import DrillSchedule
from .base import PAGE_SIZE, CompanyFormView


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
