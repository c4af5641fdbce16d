"""The drill schedule form: a plain builder (daily / weekly on a weekday / monthly on a day, at a time, in a time
zone) beside the raw cron field. The builder's choice makes the cron (static/js/schedule_builder.js shows it as
it is chosen; this form computes it again, so the page works without scripts); "a cron expression" takes the cron
as typed. Each error names its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import CompanyConstraintsFormMixin

from . import schedule_times
from .forms import CompanyFormMixin
from .models import ContingencyPlan, DrillSchedule, Scenario
from .models.runs import known_timezones

#: What the schedule service takes (the builder's own fields only make the cron).
SCHEDULE_FIELDS = ["name", "scenario", "plan", "cron", "timezone", "enabled"]
#: The zones a Chinese treasury team schedules in most, first in the list.
COMMON_TIMEZONES = [
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "UTC", "Europe/London",
    "Europe/Berlin", "America/New_York",
]  # fmt: skip


def timezone_choices() -> list:
    common = [zone for zone in COMMON_TIMEZONES if zone in known_timezones()]
    others = sorted(zone for zone in known_timezones() if zone not in common and "/" in zone)
    return [
        (_("Common"), [(zone, zone) for zone in common]),
        (_("All time zones"), [(zone, zone) for zone in others]),
    ]


class DrillScheduleForm(CompanyConstraintsFormMixin, CompanyFormMixin, forms.ModelForm):
    company_querysets = {"scenario": Scenario, "plan": ContingencyPlan}

    repeat = forms.ChoiceField(label=_("Repeat"), choices=schedule_times.REPEAT_CHOICES, initial=schedule_times.WEEKLY)
    at = forms.TimeField(
        label=_("At"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("The time of day, in the schedule's time zone (HH:MM)"),
    )
    weekday = forms.ChoiceField(label=_("Weekday"), choices=schedule_times.WEEKDAY_CHOICES, required=False, initial="1")
    day_of_month = forms.IntegerField(
        label=_("Day of the month"),
        required=False,
        min_value=1,
        max_value=schedule_times.LAST_BUILDER_DAY,
        help_text=_("1 to 28, days every month has"),
    )

    class Meta:
        model = DrillSchedule
        fields = ["name", "scenario", "plan", "repeat", "at", "weekday", "day_of_month", "cron", "timezone", "enabled"]
        widgets = {"timezone": forms.Select}

    field_order = Meta.fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget.choices = timezone_choices()
        self.fields["cron"].required = False
        self.fields["cron"].help_text = _(
            'Filled in by the choice above; for "a cron expression": minute hour day-of-month month day-of-week, '
            'e.g. "0 6 * * 1" is Mondays at 06:00'
        )
        self.fields["day_of_month"].error_messages["max_value"] = _(
            "Choose a day from 1 to 28, which every month has; for another day, use a cron expression."
        )
        if not self.is_bound:
            reading = schedule_times.repeat_of(self.instance.cron if self.instance.pk else "0 8 * * 1")
            self.initial.setdefault("repeat", reading.repeat)
            if reading.at is not None:
                self.initial.setdefault("at", reading.at)
            if reading.weekday is not None:
                self.initial.setdefault("weekday", reading.weekday)
            if reading.day_of_month is not None:
                self.initial.setdefault("day_of_month", reading.day_of_month)

    def clean(self):
        data = super().clean()
        repeat = data.get("repeat")
        if repeat == schedule_times.CUSTOM:
            if not (data.get("cron") or "").strip() and "cron" not in self.errors:
                self.add_error("cron", _("Give the cron expression, or choose daily, weekly or monthly above."))
            return data
        if repeat not in (schedule_times.DAILY, schedule_times.WEEKLY, schedule_times.MONTHLY):
            return data
        if data.get("at") is None and "at" not in self.errors:
            self.add_error("at", _("Give the time of day the drill runs (HH:MM)."))
        if repeat == schedule_times.WEEKLY and not data.get("weekday") and "weekday" not in self.errors:
            self.add_error("weekday", _("Choose the weekday."))
        if repeat == schedule_times.MONTHLY and data.get("day_of_month") is None and "day_of_month" not in self.errors:
            self.add_error("day_of_month", _("Choose the day of the month (1 to 28)."))
        if not self.errors:
            data["cron"] = schedule_times.cron_of(
                schedule_times.Repeat(repeat, data["at"], data.get("weekday"), data.get("day_of_month"))
            )
            self.instance.cron = data["cron"]
        return data

    def schedule_fields(self) -> dict:
        """The cleaned fields the schedule service takes."""
        return {name: self.cleaned_data[name] for name in SCHEDULE_FIELDS if name in self.cleaned_data}
