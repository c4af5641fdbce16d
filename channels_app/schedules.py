"""Interest and repayment schedules of a funding channel: bullet, linear and annuity loans.

Pure Python on `Decimal` money (no Django import), so the API preview, the exports, the selectors and the drill
engine all get the same rows, and the rows can be checked against QuantLib and the ACTUS reference cases without a
database (tests/channels_app/test_schedules_quantlib.py and test_schedules_actus.py; docs/actus.md).

Conventions, exactly:

* **Payment dates** are the start date plus whole periods, unadjusted (no business-day calendar). Each date is
  computed from the anchor (the start date, or ``first_payment_date`` when given) by calendar-month arithmetic —
  anchor + k periods, never the previous date + 1 period — and a day past the end of the month is clamped to its last
  day: Jan 31 + 1 month = Feb 28/29, + 2 months = Mar 31. This is QuantLib's ``Schedule`` with ``NullCalendar``,
  ``Unadjusted`` and ``DateGeneration.Forward`` (and dateutil's ``relativedelta``).
* **The final date is the maturity date.** If maturity is not on the grid the last period is a short stub; ACTUS's
  "long stub" (``L0`` cycles) is available with ``final_stub="long"``, which drops the last grid date before maturity.
* **Interest** for a period is opening balance × annual rate × day-count fraction of the period.
* **Bullet**: interest only, all principal at maturity. **Linear**: the same principal every period (principal / n,
  rounded to the cent). **Annuity** (French): a level instalment computed with the periodic rate
  annual_rate / periods_per_year over the n periods of the schedule, ``P·r / (1 − (1 + r)^−n)``; each row's principal
  is instalment − interest (the day-count interest, so it varies with month lengths on ACT day counts). In every
  profile **the last row clears the balance.** Example from DESIGN.md: 100,000 over 12 months at 6 %, monthly, 30/360
  → instalment 8,606.64, first interest 500.00, first principal 8,106.64.
* **Rounding**: every interest amount, the instalment and the linear principal step are rounded to the cent with
  ROUND_HALF_UP — QuantLib's ``ClosestRounding(2)`` (rounding digit 5 rounds away from zero), the way banks quote
  money; the balance is therefore always a whole number of cents.
* An explicit ``instalment`` (ACTUS's ``nextPrincipalRedemptionPayment``) overrides the computed one. If it repays the
  loan before maturity the schedule ends with the row that clears it; if it is ever smaller than a period's interest,
  the shortfall is capitalised (negative principal), as ACTUS does.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import TypeVar

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class DayCount(StrEnum):
    """Day-count conventions offered for a channel's interest.

    * ``ACT/360``: actual days / 360 (ACTUS ``A360``, QuantLib ``Actual360``).
    * ``ACT/365F``: actual days / 365, leap years included (ACTUS ``A365``, QuantLib ``Actual365Fixed``).
    * ``30/360``: the 30/360 **Bond Basis** of ISDA 2006 §4.16(f) — QuantLib ``Thirty360(Thirty360.BondBasis)``, not
      ``Thirty360.USA``: a start on the 31st counts as the 30th; an end on the 31st counts as the 30th only when the
      start is the 30th or 31st; February gets no special treatment. ACTUS's ``30E360`` (Eurobond basis) maps here:
      the two agree on every period except one that ends on a 31st after starting before the 30th, which none of the
      ACTUS cases we compare against has. The US variant would count Feb 28 → Mar 30 as 30 days where both ACTUS and
      Bond Basis count 32.
    """

    ACT_360 = "ACT/360"
    ACT_365F = "ACT/365F"
    THIRTY_360 = "30/360"


class Frequency(StrEnum):
    """How often interest and principal fall due."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        return _MONTHS[self]

    @property
    def periods_per_year(self) -> int:
        return 12 // _MONTHS[self]


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.SEMIANNUAL: 6, Frequency.ANNUAL: 12}


class Profile(StrEnum):
    """How the principal is repaid."""

    BULLET = "bullet"
    LINEAR = "linear"
    ANNUITY = "annuity"


class Stub(StrEnum):
    """Where an off-grid maturity leaves the odd period: a short last period (default) or a long one (ACTUS L0)."""

    SHORT = "short"
    LONG = "long"


# ACTUS dayCountConvention codes that a plain schedule can honour (docs/actus.md).
ACTUS_DAY_COUNTS: dict[str, DayCount] = {
    "A360": DayCount.ACT_360,
    "A365": DayCount.ACT_365F,
    "30E360": DayCount.THIRTY_360,
}


@dataclass(frozen=True)
class ScheduleRow:
    """One payment date: the interest and principal due then, their sum, and the balance left after paying it."""

    date: dt.date
    interest: Decimal
    principal: Decimal
    payment: Decimal
    balance: Decimal


# -- parsing and validation -------------------------------------------------------------------------------------

E = TypeVar("E", bound=StrEnum)


def _parse_enum(enum_cls: type[E], value: object, field: str, aliases: dict[str, E] | None = None) -> E:
    if isinstance(value, enum_cls):
        return value
    text = str(value).strip()
    candidates = {member.value.upper(): member for member in enum_cls}
    candidates.update({member.name.upper(): member for member in enum_cls})
    candidates.update({key.upper(): member for key, member in (aliases or {}).items()})
    try:
        return candidates[text.upper()]
    except KeyError:
        expected = ", ".join(member.value for member in enum_cls)
        raise ValueError(f"{field}: unknown value {value!r}; expected one of {expected}") from None


def parse_day_count(value: DayCount | str) -> DayCount:
    """Our codes (``ACT/360``, ``ACT/365F``, ``30/360``), the enum names, or the ACTUS codes (``A360``, ...)."""
    return _parse_enum(DayCount, value, "day_count", ACTUS_DAY_COUNTS)


def as_decimal(value: object, field: str) -> Decimal:
    """A number the caller passed (Decimal, int, float or text), or a ValueError naming `field`."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a number, got {value!r}")
    try:
        # str() first so that a float arrives as the number its user typed, not its binary expansion.
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{field}: expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{field}: expected a finite number, got {value!r}")
    return number


def _date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"{field}: expected a date, got {value!r}")


def round_money(amount: Decimal) -> Decimal:
    """Round to the cent, half up (QuantLib ``ClosestRounding(2)``)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# -- dates and day counts ---------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar-month arithmetic with end-of-month clamping: Jan 31 + 1 month = Feb 28 (29 in a leap year).

    Beyond the calendar's range the answer is its last (or first) day: a loan stored as maturing on 9999-12-31 then
    ends its grid there instead of failing every page that reads it."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    if year > dt.MAXYEAR:
        return dt.date.max
    if year < dt.MINYEAR:
        return dt.date.min
    month = month_index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _thirty_360_days(start: dt.date, end: dt.date) -> int:
    # Bond Basis (ISDA 2006 4.16(f)); see DayCount.
    d1 = 30 if start.day == 31 else start.day
    d2 = 30 if end.day == 31 and d1 == 30 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def _fraction_parts(day_count: DayCount, start: dt.date, end: dt.date) -> tuple[int, int]:
    """The day-count fraction as (days, basis), so that interest can be computed without rounding the fraction."""
    if day_count is DayCount.THIRTY_360:
        return _thirty_360_days(start, end), 360
    return (end - start).days, 360 if day_count is DayCount.ACT_360 else 365


def year_fraction(day_count: DayCount | str, start: dt.date, end: dt.date) -> Decimal:
    """The day-count fraction of the period [start, end) (negative if end is before start)."""
    days, basis = _fraction_parts(parse_day_count(day_count), _date(start, "start"), _date(end, "end"))
    with localcontext() as ctx:
        ctx.prec = 34
        return Decimal(days) / Decimal(basis)


def payment_dates(
    *,
    start_date: dt.date,
    maturity_date: dt.date,
    frequency: Frequency | str,
    first_payment_date: dt.date | None = None,
    final_stub: Stub | str = Stub.SHORT,
) -> list[dt.date]:
    """The payment dates after `start_date`, the last being `maturity_date` (see the module docstring)."""
    months = _parse_enum(Frequency, frequency, "frequency").months
    stub = _parse_enum(Stub, final_stub, "final_stub")
    anchor = first_payment_date or start_date
    step = 0 if first_payment_date else 1
    dates: list[dt.date] = []
    while True:
        grid_date = add_months(anchor, step * months)
        if grid_date >= maturity_date:
            break
        dates.append(grid_date)
        step += 1
    off_grid = grid_date != maturity_date
    # A long stub swallows the last generated date, never an explicitly agreed first payment date.
    if stub is Stub.LONG and off_grid and dates and dates[-1] != first_payment_date:
        dates.pop()
    dates.append(maturity_date)
    return dates


# -- amounts ----------------------------------------------------------------------------------------------------


def annuity_instalment(
    *, principal: Decimal, annual_rate: Decimal, frequency: Frequency | str, periods: int
) -> Decimal:
    """Level (French) instalment P·r / (1 − (1 + r)^−n), r = annual_rate / periods_per_year, rounded to the cent."""
    freq = _parse_enum(Frequency, frequency, "frequency")
    if periods < 1:
        raise ValueError(f"periods: must be at least 1, got {periods}")
    with localcontext() as ctx:
        ctx.prec = 40
        rate = Decimal(annual_rate) / freq.periods_per_year
        if rate == 0:
            level = Decimal(principal) / periods
        else:
            level = Decimal(principal) * rate / (1 - (1 + rate) ** -periods)
    return round_money(level)


def build_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    start_date: dt.date,
    maturity_date: dt.date,
    frequency: Frequency | str,
    profile: Profile | str,
    day_count: DayCount | str,
    first_payment_date: dt.date | None = None,
    final_stub: Stub | str = Stub.SHORT,
    instalment: Decimal | None = None,
) -> list[ScheduleRow]:
    """The rows of a loan of `principal` drawn on `start_date` and repaid by `maturity_date`.

    `annual_rate` is a fraction (0.06 for 6 %). The three optional arguments exist for contracts whose first payment
    is not one period after the drawdown (`first_payment_date`, ACTUS's cycle anchor), whose odd period is long
    (`final_stub`), or whose annuity instalment is agreed rather than computed (`instalment`). Raises ValueError
    naming the offending field.
    """
    amount = as_decimal(principal, "principal")
    if amount <= 0:
        raise ValueError(f"principal: must be greater than 0, got {principal}")
    amount = round_money(amount)
    if amount <= 0:
        raise ValueError(f"principal: must be at least one cent, got {principal}")
    rate = as_decimal(annual_rate, "annual_rate")
    if rate < 0:
        raise ValueError(f"annual_rate: must not be negative, got {annual_rate}")
    start = _date(start_date, "start_date")
    maturity = _date(maturity_date, "maturity_date")
    if maturity <= start:
        raise ValueError(f"maturity_date: must be after start_date ({start.isoformat()}), got {maturity.isoformat()}")
    freq = _parse_enum(Frequency, frequency, "frequency")
    repayment = _parse_enum(Profile, profile, "profile")
    basis = parse_day_count(day_count)
    stub = _parse_enum(Stub, final_stub, "final_stub")
    first = None
    if first_payment_date is not None:
        first = _date(first_payment_date, "first_payment_date")
        if not start < first <= maturity:
            raise ValueError("first_payment_date: must be after start_date and not after maturity_date")
    level = None
    if instalment is not None:
        if repayment is not Profile.ANNUITY:
            raise ValueError("instalment: only an annuity has a level instalment")
        level = round_money(as_decimal(instalment, "instalment"))
        if level <= 0:
            raise ValueError(f"instalment: must be greater than 0, got {instalment}")

    dates = payment_dates(
        start_date=start, maturity_date=maturity, frequency=freq, first_payment_date=first, final_stub=stub
    )
    return _rows(amount=amount, rate=rate, freq=freq, repayment=repayment, basis=basis, accrual_start=start,
                 dates=dates, level=level)  # fmt: skip


def outstanding_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    start_date: dt.date,
    maturity_date: dt.date,
    frequency: Frequency | str,
    profile: Profile | str,
    day_count: DayCount | str,
    as_of: dt.date,
) -> list[ScheduleRow]:
    """What is outstanding on `as_of` (`principal`), repaid on the loan's own grid from its start date.

    The payment dates stay the start date plus whole periods — never re-anchored on `as_of`, so the rows do not
    depend on the day they are read. The balance is scheduled from the *anchor* (the latest of the start date and the
    grid dates strictly before `as_of`: the first period after `as_of` accrues from the previous contract date) over
    the remaining dates; a payment dated on `as_of` itself is still due. Linear and annuity amounts are those of a
    loan of `principal` over the remaining periods.
    """
    amount = round_money(as_decimal(principal, "principal"))
    start = _date(start_date, "start_date")
    maturity = _date(maturity_date, "maturity_date")
    day = _date(as_of, "as_of")
    if amount <= 0 or day > maturity or maturity <= start:
        return []
    freq = _parse_enum(Frequency, frequency, "frequency")
    repayment = _parse_enum(Profile, profile, "profile")
    rate = as_decimal(annual_rate, "annual_rate")
    dates = payment_dates(start_date=start, maturity_date=maturity, frequency=freq)
    earlier = [d for d in dates if d < day]
    remaining = dates[len(earlier) :]
    level = None
    if repayment is Profile.ANNUITY:
        level = annuity_instalment(principal=amount, annual_rate=rate, frequency=freq, periods=len(remaining))
    return _rows(amount=amount, rate=rate, freq=freq, repayment=repayment, basis=parse_day_count(day_count),
                 accrual_start=earlier[-1] if earlier else start, dates=remaining, level=level)  # fmt: skip


def _rows(
    *,
    amount: Decimal,
    rate: Decimal,
    freq: Frequency,
    repayment: Profile,
    basis: DayCount,
    accrual_start: dt.date,
    dates: list[dt.date],
    level: Decimal | None,
) -> list[ScheduleRow]:
    periods = len(dates)
    if repayment is Profile.ANNUITY and level is None:
        level = annuity_instalment(principal=amount, annual_rate=rate, frequency=freq, periods=periods)
    step = round_money(amount / periods) if repayment is Profile.LINEAR else ZERO

    rows: list[ScheduleRow] = []
    balance = amount
    period_start = accrual_start
    for index, pay_date in enumerate(dates):
        days, basis_days = _fraction_parts(basis, period_start, pay_date)
        interest = round_money(balance * rate * days / basis_days)
        if index == periods - 1:
            repaid = balance
        elif repayment is Profile.BULLET:
            repaid = ZERO
        elif repayment is Profile.LINEAR:
            repaid = min(step, balance)
        else:
            assert level is not None
            repaid = min(level - interest, balance)
        balance -= repaid
        rows.append(
            ScheduleRow(date=pay_date, interest=interest, principal=repaid, payment=interest + repaid, balance=balance)
        )
        if balance == 0:
            break  # an agreed instalment larger than needed repays the loan early
        period_start = pay_date
    return rows


def debt_service_by_day(
    rows: Iterable[ScheduleRow], as_of: dt.date, horizon_days: int
) -> tuple[list[float], list[float]]:
    """Principal due and interest due on each day index 0 … H−1 from `as_of`, as floats for the drill engine.

    Rows dated before `as_of` or on/after `as_of + horizon_days` are left out; rows on the same day add up.
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days: must not be negative, got {horizon_days}")
    principal_due = [0.0] * horizon_days
    interest_due = [0.0] * horizon_days
    for row in rows:
        index = (row.date - as_of).days
        if 0 <= index < horizon_days:
            principal_due[index] += float(row.principal)
            interest_due[index] += float(row.interest)
    return principal_due, interest_due
