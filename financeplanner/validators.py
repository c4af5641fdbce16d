"""Validators shared by the models of every app, so forms, the API and imports all refuse the same values.

Dates: a treasury record dated in year 9999 is a typo, and readers add horizons to dates (a maturity plus a year of
schedule, an as-of date plus the drill horizon), which overflows Python's date range near 9999-12-31. Every date a
user enters lies between EARLIEST_DATE and LATEST_DATE.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)


def validate_treasury_date(value: date) -> None:
    """A date between 1900-01-01 and 2200-12-31, both included."""
    if isinstance(value, date) and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


# Nested lists in one request (a scenario's shocks, a plan's steps, a channel's triggers): a request of a million
# items would hold a worker for minutes; a real book has a handful.
MAX_ITEMS_PER_REQUEST = 100
