"""Our schedules against QuantLib, the test-only oracle (DESIGN.md: "must agree with QuantLib to the cent").

Everything the oracle needs is computed by QuantLib: the payment dates (`Schedule`, NullCalendar, Unadjusted,
DateGeneration.Forward), the day-count fractions and coupon amounts (`FixedRateCoupon`, `AmortizingFixedRateBond`),
the annuity factor (`InterestRate` discount factors at the periodic rate) and the rounding (`ClosestRounding(2)`).
The only thing the test does itself is the bookkeeping our contract prescribes and QuantLib leaves to its user: the
linear step is principal / n, an annuity's principal is instalment − interest, the last row clears the balance.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from channels_app.schedules import annuity_instalment, build_schedule, year_fraction

ql = pytest.importorskip("QuantLib")

QL_DAY_COUNTERS = {
    "ACT/360": ql.Actual360(),
    "ACT/365F": ql.Actual365Fixed(),
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
}
QL_FREQUENCIES = {"monthly": ql.Monthly, "quarterly": ql.Quarterly, "semiannual": ql.Semiannual, "annual": ql.Annual}
PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
PROFILES = ("bullet", "linear", "annuity")
CENT = Decimal("0.01")
to_cent = ql.ClosestRounding(2)


def to_ql(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)


def from_ql(day: ql.Date) -> date:
    return date(day.year(), day.month(), day.dayOfMonth())


@dataclass(frozen=True)
class Loan:
    principal: Decimal
    rate: Decimal
    start: date
    maturity: date
    frequency: str
    profile: str
    day_count: str

    @property
    def label(self) -> str:
        terms = f"{self.principal}@{self.rate} {self.start}..{self.maturity}"
        return f"{self.profile}-{self.frequency}-{self.day_count} {terms}"


def generate_loans(count: int = 300, seed: int = 20240615) -> list[Loan]:
    """Principals 1,000–10,000,000, rates 0–15 %, terms 1–120 months, every frequency × profile × day count.

    A third of the maturities are off the payment grid (a short final stub) and a fifth of the loans start on a
    month end, where calendar-month arithmetic and 30/360 are most easily got wrong.
    """
    rng = random.Random(seed)
    combinations = [(f, p, d) for f in QL_FREQUENCIES for p in PROFILES for d in QL_DAY_COUNTERS]
    loans = []
    for index in range(count):
        frequency, profile, day_count = combinations[index % len(combinations)]
        principal = Decimal(rng.randint(100_000, 1_000_000_000)) / 100
        rate = Decimal(0) if index % 20 == 0 else Decimal(rng.randint(1, 15_000)) / 100_000
        start = date(2012, 1, 1) + timedelta(days=rng.randint(0, 4000))
        if rng.random() < 0.2:
            start = from_ql(ql.Date.endOfMonth(to_ql(start)))
        maturity = from_ql(to_ql(start) + ql.Period(rng.randint(1, 120), ql.Months))
        if rng.random() < 0.33:
            maturity += timedelta(days=rng.randint(1, 27))
        loans.append(Loan(principal, rate, start, maturity, frequency, profile, day_count))
    return loans


LOANS = generate_loans()


def quantlib_annuity_instalment(principal: float, rate: float, frequency: str, periods: int) -> float:
    """principal / Σ discount factors at the periodic rate (QuantLib InterestRate, compounded per period)."""
    interest_rate = ql.InterestRate(
        rate, ql.Thirty360(ql.Thirty360.BondBasis), ql.Compounded, QL_FREQUENCIES[frequency]
    )
    per_year = PERIODS_PER_YEAR[frequency]
    annuity_factor = sum(interest_rate.discountFactor(k / per_year) for k in range(1, periods + 1))
    return to_cent(principal / annuity_factor)


def quantlib_rows(loan: Loan) -> list[tuple[date, float, float, float]]:
    """(date, interest, principal, balance) per payment date, as QuantLib computes them."""
    day_counter = QL_DAY_COUNTERS[loan.day_count]
    schedule = ql.Schedule(
        to_ql(loan.start),
        to_ql(loan.maturity),
        ql.Period(QL_FREQUENCIES[loan.frequency]),
        ql.NullCalendar(),
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Forward,
        False,
    )
    dates = list(schedule)
    periods = len(dates) - 1
    principal = float(loan.principal)
    rate = float(loan.rate)
    if loan.profile == "bullet":
        notionals = [principal] * periods
    elif loan.profile == "linear":
        step = to_cent(principal / periods)
        notionals = [to_cent(principal - k * step) for k in range(periods)]
    else:
        instalment = quantlib_annuity_instalment(principal, rate, loan.frequency, periods)
        notionals = [principal]
        for k in range(periods - 1):
            coupon = ql.FixedRateCoupon(dates[k + 1], notionals[-1], rate, day_counter, dates[k], dates[k + 1])
            notionals.append(to_cent(notionals[-1] - (instalment - to_cent(coupon.amount()))))
    bond = ql.AmortizingFixedRateBond(0, notionals, schedule, [rate], day_counter, ql.Unadjusted)
    interest: dict[date, float] = {}
    repaid: dict[date, float] = {}
    for cash_flow in bond.cashflows():
        when = from_ql(cash_flow.date())
        if ql.as_coupon(cash_flow) is not None:
            interest[when] = interest.get(when, 0.0) + to_cent(cash_flow.amount())
        else:
            repaid[when] = repaid.get(when, 0.0) + to_cent(cash_flow.amount())
    rows = []
    balance = principal
    for pay_date in dates[1:]:
        when = from_ql(pay_date)
        balance = to_cent(balance - repaid.get(when, 0.0))
        rows.append((when, interest.get(when, 0.0), repaid.get(when, 0.0), balance))
    return rows


def test_generated_loans_cover_every_combination_and_stubs() -> None:
    assert {(loan.frequency, loan.profile, loan.day_count) for loan in LOANS} == {
        (f, p, d) for f in QL_FREQUENCIES for p in PROFILES for d in QL_DAY_COUNTERS
    }
    assert sum(loan.rate == 0 for loan in LOANS) >= 10
    assert sum(loan.start.day >= 29 for loan in LOANS) >= 30


def our_schedule(loan: Loan) -> list:
    return build_schedule(
        principal=loan.principal,
        annual_rate=loan.rate,
        start_date=loan.start,
        maturity_date=loan.maturity,
        frequency=loan.frequency,
        profile=loan.profile,
        day_count=loan.day_count,
    )


@pytest.mark.parametrize("loan", LOANS, ids=[f"loan{i:03d}" for i in range(len(LOANS))])
def test_schedule_agrees_with_quantlib_to_the_cent(loan: Loan) -> None:
    ours = our_schedule(loan)
    theirs = quantlib_rows(loan)
    assert [row.date for row in ours] == [row[0] for row in theirs], loan.label
    for row, (when, interest, principal, balance) in zip(ours, theirs, strict=True):
        # A cent of slack only for a half-cent tie that binary floating point sees on the other side.
        assert abs(float(row.interest) - interest) <= 0.0100001, (loan.label, when, row.interest, interest)
        assert abs(float(row.principal) - principal) <= 0.0100001, (loan.label, when, row.principal, principal)
        assert abs(float(row.payment) - (interest + principal)) <= 0.0200001, (loan.label, when)
        assert abs(float(row.balance) - balance) <= 0.0100001, (loan.label, when, row.balance, balance)
    assert ours[-1].balance == 0


def test_quantlib_agreement_is_exact_almost_everywhere() -> None:
    # The cent of slack above must not hide a systematic error: nearly every amount agrees exactly.
    compared = exact = 0
    for loan in LOANS:
        ours = our_schedule(loan)
        for row, (_, interest, principal, balance) in zip(ours, quantlib_rows(loan), strict=True):
            for mine, oracle in ((row.interest, interest), (row.principal, principal), (row.balance, balance)):
                compared += 1
                exact += Decimal(str(round(oracle, 2))).quantize(CENT) == mine
    assert compared > 20_000
    assert exact / compared >= 0.999


@pytest.mark.parametrize("seed", range(40))
def test_annuity_instalment_agrees_with_quantlib_sinking_notionals(seed: int) -> None:
    # QuantLib's own French-annuity notionals (sinkingNotionals, periodic rate = coupon / frequency) imply the
    # instalment: first interest + first principal. Ours is that, rounded to the cent.
    rng = random.Random(seed)
    frequency = rng.choice(list(QL_FREQUENCIES))
    per_year = PERIODS_PER_YEAR[frequency]
    periods = rng.randint(1, 120 // (12 // per_year) or 1)
    principal = rng.randint(100_000, 1_000_000_000) / 100
    rate = 0.0 if seed % 10 == 0 else rng.randint(1, 15_000) / 100_000
    notionals = ql.sinkingNotionals(
        ql.Period(periods * (12 // per_year), ql.Months), QL_FREQUENCIES[frequency], rate, principal
    )
    exact = principal * rate / per_year + (notionals[0] - notionals[1])
    ours = annuity_instalment(
        principal=Decimal(str(principal)), annual_rate=Decimal(str(rate)), frequency=frequency, periods=periods
    )
    assert abs(float(ours) - exact) <= 0.005 + 1e-6


def test_year_fractions_agree_with_quantlib_day_counters() -> None:
    rng = random.Random(7)
    month_ends = [from_ql(ql.Date.endOfMonth(ql.Date(1, m, y))) for y in (2023, 2024) for m in range(1, 13)]
    pairs = [(a, b) for a in month_ends for b in month_ends if a < b]
    for _ in range(3000):
        start = date(2010, 1, 1) + timedelta(days=rng.randint(0, 6000))
        pairs.append((start, start + timedelta(days=rng.randint(1, 800))))
    for code, day_counter in QL_DAY_COUNTERS.items():
        for start, end in pairs:
            ours = float(year_fraction(code, start, end))
            assert math.isclose(ours, day_counter.yearFraction(to_ql(start), to_ql(end)), abs_tol=1e-12), (
                code,
                start,
                end,
            )
