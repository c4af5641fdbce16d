"""The oracle's time and money, and the schedules (D1) -- see the package docstring for the whole drill.

Time and money
  * Day t = as_of + t calendar days, t = 0 .. H-1. Every amount is converted to the reporting currency at the latest
    FX rate dated on or before as_of (D5; ties: the last created); a missing rate is an error.
  * Opening cash = sum over `cash` pools of round_cent(amount x (1 - haircut)) x fx. Other pools count only through
    plan steps.
  * A cash-flow line pays its signed amount on each date its frequency hits from start_date to end_date (both
    included) that falls in the horizon: once = the start date; daily; weekly = start + 7k days; monthly / quarterly
    = start + k / 3k months (months added to the START date, day clamped to the month's end, as D1).


Schedules (D1)
  * Grid = start + k periods (k = 1, 2, ...; months added to the start date, clamped), the last row on maturity.
    Anchor = the latest of start and the grid dates strictly before as_of; the as-of drawn is scheduled over the
    grid dates on or after as_of: bullet and revolving all principal at maturity; linear round_cent(B / n) per row,
    the last row clears; annuity a level instalment A = round_cent(B / sum_j prod_{i<=j} 1 / (1 + r f_i)) (the
    exact level payment for the rows' own day-count fractions f_i; = the textbook annuity when all f_i are equal),
    principal = A - interest, the last row clears. Interest = round_cent(balance x rate x f(previous date, date)).
  * Day counts: ACT/360 = days / 360; ACT/365F = days / 365; 30/360 = the ISDA bond basis (D1 = min(D1, 30); D2 = 30
    when D2 = 31 and D1 = 30).
  * Rows are in the channel's currency, rounded, then converted. A row dated on as_of is due on day 0.
  * A rolling line that is open on the row's day refinances the row's principal (not its interest) (D1).
    CONSERVATIVE: scheduled interest is paid in full while any recorded balance is outstanding, even after an early
    demand (reduction, call) has repaid part of it; principal rows are capped at what is still outstanding.
  * Fees (D11): on each grid date in the horizon, on or before maturity, round_cent(limit_day0 x fee_rate x
    f(previous grid date or start, date)) for lines not closed or matured on day 0. CONSERVATIVE: kept on lines D7
    cancels (the lender, not the company, withdrew).

"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


def dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(start: date, months: int) -> date:
    """start + months, the day clamped to the month's end (Jan 31 + 1 = Feb 28, + 2 = Mar 31)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def year_fraction(day_count: str, d1: date, d2: date) -> Decimal:
    if day_count == "ACT/360":
        return Decimal((d2 - d1).days) / 360
    if day_count == "ACT/365F":
        return Decimal((d2 - d1).days) / 365
    if day_count == "30/360":  # ISDA bond basis
        day1, day2 = min(d1.day, 30), d2.day
        if day2 == 31 and day1 == 30:
            day2 = 30
        return Decimal(360 * (d2.year - d1.year) + 30 * (d2.month - d1.month) + (day2 - day1)) / 360
    raise ValueError(f"unknown day count {day_count!r}")


def daily_basis(day_count: str) -> int:
    """D9: interest on the drill's own draws accrues rate / 360 (ACT/360, 30/360) or rate / 365 (ACT/365F) a day."""
    return 365 if day_count == "ACT/365F" else 360


def payment_grid(start: date, maturity: date, frequency: str) -> list[date]:
    """D1: start + k whole periods, k = 1, 2, ..., before maturity, then the maturity date itself."""
    months = MONTHS[frequency]
    grid, k = [], 1
    while (when := add_months(start, k * months)) < maturity:
        grid.append(when)
        k += 1
    grid.append(maturity)
    return grid


def schedule_rows(
    *, balance: Decimal, rate: Decimal, day_count: str, start: date, maturity: date, frequency: str, profile: str,
    as_of: date,
) -> list[tuple[date, Decimal, Decimal]]:  # fmt: skip
    """D1: the as-of outstanding scheduled from the anchor over the remaining grid: rows (date, interest, principal)."""
    grid = payment_grid(start, maturity, frequency)
    anchor = max([start] + [when for when in grid if when < as_of])
    remaining = [when for when in grid if when >= as_of]
    if balance <= 0 or not remaining:
        return []
    fractions, previous = [], anchor
    for when in remaining:
        fractions.append(year_fraction(day_count, previous, when))
        previous = when
    n = len(remaining)
    instalment = None
    if profile == "annuity":
        # The level (French) instalment at the periodic rate annual rate / payments a year, as the contract's
        # schedule states it (DESIGN: 100,000 over 12 months at 6 % -> 8,606.64); interest stays day-count based.
        periodic = rate / {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}[frequency]
        instalment = cent(balance / n if periodic == 0 else balance * periodic / (1 - (1 + periodic) ** -n))
    rows, outstanding = [], balance
    for index, (when, fraction) in enumerate(zip(remaining, fractions, strict=True)):
        interest = cent(outstanding * rate * fraction)
        last = index == n - 1
        if profile in ("bullet", "revolving"):
            principal = outstanding if last else Decimal(0)
        elif profile == "linear":
            principal = outstanding if last else min(cent(balance / n), outstanding)
        elif profile == "annuity":
            principal = outstanding if last else max(min(instalment - interest, outstanding), Decimal(0))
        else:
            raise ValueError(f"unknown repayment profile {profile!r}")
        rows.append((when, interest, principal))
        outstanding -= principal
    return rows


def flow_dates(start: date, end: date | None, frequency: str, first: date, last: date) -> list[date]:
    """The dates a cash-flow line hits in [first, last] (both included)."""
    end = last if end is None else min(end, last)
    if frequency == "once":
        return [start] if first <= start <= end else []
    if frequency == "daily":
        begin = max(start, first)
        return [begin + timedelta(days=k) for k in range((end - begin).days + 1)]
    out, k = [], 0
    while True:
        if frequency == "weekly":
            when = start + timedelta(days=7 * k)
        elif frequency in ("monthly", "quarterly"):
            when = add_months(start, k * (1 if frequency == "monthly" else 3))
        else:
            raise ValueError(f"unknown frequency {frequency!r}")
        if when > end:
            return out
        if when >= first:
            out.append(when)
        k += 1
