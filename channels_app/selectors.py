"""Reads on channels that are more than a filter: schedules of what is drawn, totals for dashboards."""

from datetime import date

from django.utils import timezone
from django.utils.dateparse import parse_date

from . import schedules
from .models import FundingChannel

# A revolving line is repaid at maturity unless it rolls over: for the schedule it is a bullet.
PROFILE_FOR_SCHEDULE = {"bullet": "bullet", "linear": "linear", "annuity": "annuity", "revolving": "bullet"}


def channel_schedule(*, channel: FundingChannel, as_of: date | str | None = None) -> list[schedules.ScheduleRow]:
    """The interest and repayment schedule of what is drawn now, from `as_of` (default today) to maturity."""
    if isinstance(as_of, str):
        as_of = parse_date(as_of)
    as_of = as_of or timezone.localdate()
    start = max(as_of, channel.start_date)
    if channel.drawn <= 0 or start >= channel.maturity_date:
        return []
    return schedules.build_schedule(
        principal=channel.drawn,
        annual_rate=channel.annual_rate,
        start_date=start,
        maturity_date=channel.maturity_date,
        frequency=channel.payment_frequency,
        profile=PROFILE_FOR_SCHEDULE[channel.repayment_profile],
        day_count=channel.day_count,
    )
