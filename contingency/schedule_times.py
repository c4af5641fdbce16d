"""When a drill schedule runs: the plain builder (daily, weekly on a weekday, monthly on a day, at a time) and its
cron, the cron read back into the builder, said in words, and the next run in the schedule's time zone.

Cron's five fields are read as beat reads them (celery's crontab, as `dispatch.schedule_tick` does): a time fires
when its minute, hour, day of month, month and day of week all match (0 or 7 = Sunday).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery.schedules import crontab
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DAILY, WEEKLY, MONTHLY, CUSTOM = "daily", "weekly", "monthly", "custom"
REPEAT_CHOICES = [
    (DAILY, gettext_lazy("Every day")),
    (WEEKLY, gettext_lazy("Every week, on a weekday")),
    (MONTHLY, gettext_lazy("Every month, on a day")),
    (CUSTOM, gettext_lazy("A cron expression")),
]
#: Weekdays in cron's numbers (0 = Sunday), Monday first, with Django's translated names.
WEEKDAY_CHOICES = [(str((index + 1) % 7), WEEKDAYS[index]) for index in range(7)]
#: The builder offers the days every month has; cron skips a month without the day, which nobody expects.
LAST_BUILDER_DAY = 28

_NUMBER = r"(0|[1-9][0-9]?)"
_PATTERNS = {
    DAILY: re.compile(rf"^{_NUMBER} {_NUMBER} \* \* \*$"),
    WEEKLY: re.compile(rf"^{_NUMBER} {_NUMBER} \* \* ([0-7])$"),
    MONTHLY: re.compile(rf"^{_NUMBER} {_NUMBER} {_NUMBER} \* \*$"),
}


@dataclass(frozen=True)
class Repeat:
    """A schedule as the builder says it: how often, at what time, on which weekday (cron number) or day."""

    repeat: str
    at: time | None = None
    weekday: str | None = None
    day_of_month: int | None = None


def cron_of(repeat: Repeat) -> str:
    """The five-field cron of a builder schedule (`repeat.repeat` is daily, weekly or monthly)."""
    if repeat.at is None:
        raise ValueError("A time of day is needed.")
    minute, hour = repeat.at.minute, repeat.at.hour
    if repeat.repeat == DAILY:
        return f"{minute} {hour} * * *"
    if repeat.repeat == WEEKLY:
        return f"{minute} {hour} * * {repeat.weekday}"
    if repeat.repeat == MONTHLY:
        return f"{minute} {hour} {repeat.day_of_month} * *"
    raise ValueError(f"No builder for {repeat.repeat!r}.")


def repeat_of(cron: str) -> Repeat:
    """The builder's reading of a cron: daily, weekly or monthly when it is one of those, else custom."""
    cron = " ".join((cron or "").split())
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(cron)
        if not match:
            continue
        minute, hour = int(match.group(1)), int(match.group(2))
        if minute > 59 or hour > 23:
            break
        at = time(hour, minute)
        if kind == DAILY:
            return Repeat(DAILY, at)
        if kind == WEEKLY:
            return Repeat(WEEKLY, at, weekday=str(int(match.group(3)) % 7))
        day = int(match.group(3))
        if 1 <= day <= LAST_BUILDER_DAY:
            return Repeat(MONTHLY, at, day_of_month=day)
        break
    return Repeat(CUSTOM)


def describe(cron: str) -> str | None:
    """The cron in words when the builder can say it ("Every Monday at 08:00"); None for any other cron."""
    repeat = repeat_of(cron)
    if repeat.repeat == CUSTOM or repeat.at is None:
        return None
    at = repeat.at.strftime("%H:%M")
    if repeat.repeat == DAILY:
        return _("Every day at %(time)s") % {"time": at}
    if repeat.repeat == WEEKLY:
        weekday = dict(WEEKDAY_CHOICES)[repeat.weekday or "0"]
        return _("Every %(weekday)s at %(time)s") % {"weekday": weekday, "time": at}
    return _("On day %(day)d of every month at %(time)s") % {"day": repeat.day_of_month, "time": at}


def next_run(cron: str, timezone_name: str, after: datetime) -> datetime | None:
    """The first time strictly after `after`, to the minute, at which the cron fires in the zone (an aware datetime
    in that zone); None for a cron that cannot be read or never fires. A local time that a clock change skips is
    skipped too."""
    try:
        minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
        c = crontab(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
        )
        zone = ZoneInfo(timezone_name)
    except (ValueError, TypeError, KeyError):
        return None
    local = after.astimezone(zone)
    day = local.date()
    for _day in range(366 * 8):  # a cron that fires at all fires within eight years (29 February on a given weekday)
        if day.month in c.month_of_year and day.day in c.day_of_month and day.isoweekday() % 7 in c.day_of_week:
            for h in sorted(c.hour):
                for m in sorted(c.minute):
                    candidate = datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
                    if candidate > local.replace(second=0, microsecond=0) and _exists(candidate):
                        return candidate
        day = day + timedelta(days=1)
        if day > date.max - timedelta(days=1):
            return None
    return None


def _exists(local: datetime) -> bool:
    """Whether the wall-clock time happens in its zone (not in the hour a spring clock change skips)."""
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)
