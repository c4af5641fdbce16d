"""Our schedules against the ACTUS reference test cases for PAM, ANN and LAM contracts (docs/actus.md).

The cases are the ACTUS Financial Research Foundation's (actusfrf/actus-tests, CC BY-SA 4.0), kept in
tests/reference/actus with their licence. A case is compared when no rule in `exclusion_reasons` fires:
the selection is computed from the contract terms and the expected events, never picked by hand, and
`test_selection_is_the_documented_one` pins it to the list in docs/actus.md.

What is compared: per payment date, the ACTUS IP payoffs against our interest, and the PR + MD payoffs against our
principal (a missing event or row counts as zero). ACTUS does not round; we round to the cent. Tolerances, derived in
docs/actus.md: interest within ½ cent, principal within ½ cent + δ, the row that clears the loan within 1 cent + D,
where δ is the rounding of the per-period amount (instalment or linear step) and D the balance drift it can cause;
interest and principal are widened by the interest on D.

Inputs that ACTUS derives itself are derived here from the ACTUS specification, independently of our module: the
maturity of an ANN or LAM without one (`actus_maturity`) and the ANN instalment when the terms do not give
nextPrincipalRedemptionPayment (`actus_annuity_instalment`, ACTUS RedemptionUtils).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from channels_app.schedules import ScheduleRow, build_schedule, year_fraction

ACTUS_DIR = Path(__file__).resolve().parents[1] / "reference" / "actus"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "actus.md"


def load_cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for kind in ("pam", "ann", "lam"):
        cases.update(json.loads((ACTUS_DIR / f"actus-tests-{kind}.json").read_text()))
    return cases


CASES = load_cases()

# The cases our schedule generator must reproduce; everything else is excluded by a rule below (docs/actus.md).
COVERED = [
    "pam01", "pam04", "pam05", "pam15", "pam16",
    "ann01", "ann02", "ann04", "ann05", "ann06", "ann07", "ann08", "ann10", "ann11", "ann12", "ann13", "ann20",
    "ann22", "ann30", "ann31",
    "lam06", "lam27", "lam28", "lam29", "lam30", "lam31",
]  # fmt: skip

ACTUS_TO_OURS = {"A365": "ACT/365F", "A360": "ACT/360", "30E360": "30/360"}
MONTHS_TO_FREQUENCY = {1: "monthly", 3: "quarterly", 6: "semiannual", 12: "annual"}
PROFILE = {"PAM": "bullet", "LAM": "linear", "ANN": "annuity"}
HALF_CENT = Decimal("0.005")
EPSILON = Decimal("1e-9")  # ACTUS prints about 13 significant digits


# -- reading ACTUS values (the traps: padded strings, numbers as strings or numbers, dates without seconds) -------


def number(value: Any) -> Decimal:
    return Decimal(str(value).strip())


def timestamp(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).strip())


def day(value: Any) -> date:
    return timestamp(value).date()


def term(terms: dict[str, Any], name: str) -> Any:
    value = terms.get(name)
    return None if value is None or str(value).strip() == "" else value


def cycle(value: str) -> tuple[int | None, str, bool]:
    """'P1ML0' -> (1 month, '1M', long stub). Day and week cycles have no month count."""
    body, stub = value.strip()[1:].split("L")
    count, unit = int(body[:-1]), body[-1]
    months = count * {"M": 1, "Q": 3, "H": 6, "Y": 12}[unit] if unit in "MQHY" else None
    return months, body, stub == "0"


def events(case: dict[str, Any]) -> set[str]:
    return {event["eventType"] for event in case["results"]}


def main_cycle_keys(contract_type: str) -> tuple[str, str]:
    if contract_type == "PAM":
        return "cycleOfInterestPayment", "cycleAnchorDateOfInterestPayment"
    return "cycleOfPrincipalRedemption", "cycleAnchorDateOfPrincipalRedemption"


# -- which cases apply to a plain schedule generator -------------------------------------------------------------


def exclusion_reasons(case: dict[str, Any]) -> list[str]:
    """Why a case is outside what a plain, unadjusted fixed-rate schedule generator can reproduce (empty: covered)."""
    terms = case["terms"]
    contract_type = terms["contractType"]
    seen = events(case)
    reasons = []
    if seen & {"RR", "RRF"} or case["dataObserved"]:
        reasons.append("rate reset from observed market data (RR/RRF)")
    if term(terms, "businessDayConvention") not in (None, "NOS"):
        reasons.append(f"business-day shift ({terms['businessDayConvention']} on calendar {terms.get('calendar')})")
    if terms["dayCountConvention"].strip() not in ACTUS_TO_OURS:
        reasons.append(f"day count {terms['dayCountConvention']} (Actual/Actual ISDA) is not offered")
    cycle_names = ["cycleOfInterestPayment"] if contract_type == "PAM" else ["cycleOfPrincipalRedemption"]
    if contract_type != "PAM" and term(terms, "cycleOfInterestPayment"):
        cycle_names.append("cycleOfInterestPayment")
    for name in cycle_names:
        months, body, _ = cycle(terms[name])
        if months not in MONTHS_TO_FREQUENCY:
            reasons.append(f"cycle P{body} is not one of our frequencies")
            break
    if "IPCI" in seen or term(terms, "capitalizationEndDate"):
        reasons.append("interest capitalisation (IPCI)")
    if seen & {"PRD", "TD"}:
        reasons.append("purchase or termination (PRD/TD) changes the cash flows")
    if "IPCB" in seen:
        reasons.append("interest calculation base (IPCB)")
    if "SC" in seen:
        reasons.append("scaling index (SC)")
    for name in ("maturityDate", "amortizationDate", "terminationDate"):
        if term(terms, name) and timestamp(terms[name]).time() != datetime.min.time():
            reasons.append(f"{name} at {timestamp(terms[name]).time()}: ACTUS accrues a fraction of a day")
    if day(terms["initialExchangeDate"]) < day(terms["statusDate"]):
        reasons.append("contract already running at the status date")
    if term(terms, "accruedInterest") and number(terms["accruedInterest"]) != 0:
        reasons.append("accrued interest at the status date is paid as an extra flow")
    if contract_type != "PAM":
        if term(terms, "cycleAnchorDateOfPrincipalRedemption") and day(
            terms["cycleAnchorDateOfPrincipalRedemption"]
        ) == day(terms["initialExchangeDate"]):
            reasons.append("first instalment due on the drawdown date (PR anchor = IED)")
        same_cycle = terms.get("cycleOfInterestPayment") == terms.get("cycleOfPrincipalRedemption")
        same_anchor = terms.get("cycleAnchorDateOfInterestPayment") == terms.get("cycleAnchorDateOfPrincipalRedemption")
        if not (same_cycle and same_anchor):
            reasons.append("interest and principal on different cycles (interest-only period)")
    return reasons


# -- ACTUS-side derivations, from the specification, not from our module ----------------------------------------


def actus_year_fraction(code: str, start: date, end: date) -> Decimal:
    if code == "A365":
        return Decimal((end - start).days) / 365
    if code == "A360":
        return Decimal((end - start).days) / 360
    assert code == "30E360", code
    d1, d2 = min(start.day, 30), min(end.day, 30)
    return Decimal(360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1) / 360


def actus_cycle_dates(anchor: date, end: date, months: int, long_stub: bool) -> list[date]:
    """ACTUS ScheduleFactory: anchor + k cycles (same day, clamped to month end), then the end date."""
    dates = []
    step = 0
    while (grid_date := anchor + relativedelta(months=step * months)) < end:
        dates.append(grid_date)
        step += 1
    if long_stub and grid_date != end and len(dates) > 1:
        dates.pop()
    return [*dates, end]


def actus_maturity(terms: dict[str, Any]) -> date:
    """MD, else the amortization date, else the maturity ACTUS derives from the redemption amount."""
    for name in ("maturityDate", "amortizationDate"):
        if term(terms, name):
            return day(terms[name])
    months, _, _ = cycle(terms["cycleOfPrincipalRedemption"])
    assert months is not None
    anchor = day(terms["cycleAnchorDateOfPrincipalRedemption"])
    notional = number(terms["notionalPrincipal"])
    redemption = number(terms["nextPrincipalRedemptionPayment"])
    if terms["contractType"] == "ANN":
        # ACTUS spec (ANN, MD not given): the instalment less one period's interest repays the notional.
        one_period = actus_year_fraction(
            terms["dayCountConvention"].strip(), anchor, anchor + relativedelta(months=months)
        )
        redemption -= one_period * number(terms["nominalInterestRate"]) * notional
    periods = math.ceil(notional / redemption)
    return anchor + relativedelta(months=(periods - 1) * months)


def actus_annuity_instalment(terms: dict[str, Any]) -> Decimal:
    """ACTUS RedemptionUtils for ANN at the PRF event, the day before the first redemption.

    scale = N + accrued interest + Y(s, t0)·r·N;  A = scale · Π_{i≥1}(1 + r·Y(t_{i−1}, t_i)) / (1 + Σ_i Π_{j≥i} …)
    over the redemption dates t0 … t_{m−1} from the PR anchor to the amortization (or maturity) date.
    """
    code = terms["dayCountConvention"].strip()
    months, _, long_stub = cycle(terms["cycleOfPrincipalRedemption"])
    assert months is not None
    end = day(term(terms, "amortizationDate") or terms["maturityDate"])
    dates = actus_cycle_dates(day(terms["cycleAnchorDateOfPrincipalRedemption"]), end, months, long_stub)
    notional = number(terms["notionalPrincipal"])
    rate = number(terms["nominalInterestRate"])
    status = dates[0] - timedelta(days=1)
    accrued = notional * rate * actus_year_fraction(code, day(terms["initialExchangeDate"]), status)
    scale = notional + accrued + actus_year_fraction(code, status, dates[0]) * rate * notional
    growth = [1 + rate * actus_year_fraction(code, dates[i - 1], dates[i]) for i in range(1, len(dates))]

    def product(lower: int) -> Decimal:
        return math.prod(growth[lower - 1 :], start=Decimal(1))

    total = sum((product(i) for i in range(1, len(dates))), Decimal(0))
    return scale * product(1) / (1 + total)


def schedule_arguments(case: dict[str, Any], *, own_instalment: bool = False) -> dict[str, Any]:
    """build_schedule arguments for an ACTUS case; `own_instalment` leaves an annuity's instalment to us."""
    terms = case["terms"]
    contract_type = terms["contractType"]
    cycle_name, anchor_name = main_cycle_keys(contract_type)
    months, _, long_stub = cycle(terms[cycle_name])
    assert months is not None
    start = day(terms["initialExchangeDate"])
    arguments: dict[str, Any] = {
        "principal": number(terms["notionalPrincipal"]),
        "annual_rate": number(terms["nominalInterestRate"]),
        "start_date": start,
        "maturity_date": actus_maturity(terms) if contract_type != "PAM" else day(terms["maturityDate"]),
        "frequency": MONTHS_TO_FREQUENCY[months],
        "profile": PROFILE[contract_type],
        "day_count": terms["dayCountConvention"].strip(),  # the ACTUS code itself: build_schedule maps it
        "final_stub": "long" if long_stub else "short",
    }
    if term(terms, anchor_name) and day(terms[anchor_name]) > start:
        arguments["first_payment_date"] = day(terms[anchor_name])
    if contract_type == "ANN" and not own_instalment:
        given = term(terms, "nextPrincipalRedemptionPayment")
        arguments["instalment"] = number(given) if given else actus_annuity_instalment(terms)
    return arguments


def periodic_amount(case: dict[str, Any], arguments: dict[str, Any], rows: list[ScheduleRow]) -> Decimal:
    """The unrounded per-period amount ACTUS uses: the annuity instalment or the linear principal."""
    terms = case["terms"]
    if terms["contractType"] == "ANN":
        given = term(terms, "nextPrincipalRedemptionPayment")
        return number(given) if given else actus_annuity_instalment(terms)
    if terms["contractType"] == "LAM":
        given = term(terms, "nextPrincipalRedemptionPayment")
        return number(given) if given else arguments["principal"] / len(rows)
    return Decimal(0)


def expected_flows(case: dict[str, Any]) -> dict[date, tuple[Decimal, Decimal]]:
    """date -> (interest, principal) from the ACTUS results, from the lender's side, up to the case's `to` date."""
    sign = -1 if case["terms"].get("contractRole") == "RPL" else 1
    until = day(case["to"]) if str(case["to"]).strip() else None
    flows: dict[date, tuple[Decimal, Decimal]] = {}
    for event in case["results"]:
        when = day(event["eventDate"])
        if until and when > until:
            continue
        payoff = number(event["payoff"]) * sign
        interest, principal = flows.get(when, (Decimal(0), Decimal(0)))
        if event["eventType"] == "IP":
            interest += payoff
        elif event["eventType"] in ("PR", "MD"):
            principal += payoff
        else:
            # The drawdown and the instalment fixing are not rows of a repayment schedule.
            assert event["eventType"] in ("IED", "PRF"), event
            continue
        flows[when] = (interest, principal)
    return flows


def assert_schedule_matches(case: dict[str, Any], arguments: dict[str, Any]) -> None:
    rows = build_schedule(**arguments)
    expected = expected_flows(case)
    until = day(case["to"]) if str(case["to"]).strip() else None
    ours = {row.date: row for row in rows if until is None or row.date <= until}
    rate = arguments["annual_rate"]
    code = case["terms"]["dayCountConvention"].strip()
    periods = len(rows)
    # δ: what rounding the per-period amount to the cent moves each row; D: the most it can move the balance,
    # compounded at the loan rate, plus the interest roundings (±½ cent each) adding up like a random walk.
    delta = abs(our_periodic_amount(case, rows) - periodic_amount(case, arguments, rows))
    years = Decimal((rows[-1].date - arguments["start_date"]).days) / 365
    drift = periods * delta * Decimal(math.exp(rate * years)) + Decimal("0.01") * Decimal(math.sqrt(periods))
    if case["terms"]["contractType"] == "PAM":
        drift = Decimal(0)  # nothing is repaid before maturity, so nothing can drift
    previous = arguments["start_date"]
    for when in sorted(set(expected) | set(ours)):
        expected_interest, expected_principal = expected.get(when, (Decimal(0), Decimal(0)))
        row = ours.get(when)
        interest = row.interest if row else Decimal(0)
        principal = row.principal if row else Decimal(0)
        drift_interest = drift * rate * actus_year_fraction(code, previous, when)
        assert abs(interest - expected_interest) <= HALF_CENT + drift_interest + EPSILON, (
            f"{when}: interest {interest} vs ACTUS {expected_interest}"
        )
        clearing = row is not None and row.balance == 0
        allowed = drift + Decimal("0.01") if clearing else HALF_CENT + delta + drift_interest
        assert abs(principal - expected_principal) <= allowed + EPSILON, (
            f"{when}: principal {principal} vs ACTUS {expected_principal} (allowed {allowed:.4f})"
        )
        previous = when
    assert ours, "no schedule row falls inside the ACTUS case"


def our_periodic_amount(case: dict[str, Any], rows: list[ScheduleRow]) -> Decimal:
    """Our rounded counterpart of `periodic_amount`, read off the first (non-clearing) row."""
    contract_type = case["terms"]["contractType"]
    if contract_type == "PAM" or len(rows) == 1:
        return Decimal(0)
    return rows[0].payment if contract_type == "ANN" else rows[0].principal


# -- tests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", COVERED)
def test_schedule_matches_actus_case(case_id: str) -> None:
    case = CASES[case_id]
    assert exclusion_reasons(case) == []
    assert_schedule_matches(case, schedule_arguments(case))


@pytest.mark.parametrize("case_id", ["ann02", "ann08"])
def test_our_own_annuity_instalment_matches_actus_on_30e360_whole_months(case_id: str) -> None:
    # Where the ACTUS day-count annuity and our periodic-rate annuity coincide (30/360, whole months), our
    # computed instalment must reproduce ACTUS without being told the instalment.
    case = CASES[case_id]
    arguments = schedule_arguments(case, own_instalment=True)
    assert "instalment" not in arguments
    rows = build_schedule(**arguments)
    assert abs(rows[0].payment - actus_annuity_instalment(case["terms"])) <= HALF_CENT
    assert_schedule_matches(case, arguments)


def test_selection_is_the_documented_one() -> None:
    selected = [case_id for case_id, case in CASES.items() if not exclusion_reasons(case)]
    assert selected == COVERED
    assert len(CASES) == 87
    docs = DOCS.read_text(encoding="utf-8")
    for case_id, case in CASES.items():
        assert f"`{case_id}`" in docs, f"{case_id} is not accounted for in docs/actus.md"
        for reason in exclusion_reasons(case):
            assert reason in docs, f"{case_id}: reason {reason!r} is not in docs/actus.md"


def test_actus_instalment_formula_reproduces_the_instalments_actus_publishes() -> None:
    # ann07/ann10 are ann01/ann04 without nextPrincipalRedemptionPayment: our transcription of the ACTUS
    # formula must give back the instalment ACTUS printed in the twin case.
    for derived, published in (("ann07", "ann01"), ("ann10", "ann04")):
        instalment = actus_annuity_instalment(CASES[derived]["terms"])
        given = number(CASES[published]["terms"]["nextPrincipalRedemptionPayment"])
        assert abs(instalment - given) < Decimal("1e-9")


def test_derived_maturities_are_the_ones_actus_reports() -> None:
    for case_id in ("ann11", "lam06"):
        case = CASES[case_id]
        md_events = [day(event["eventDate"]) for event in case["results"] if event["eventType"] == "MD"]
        assert md_events == [actus_maturity(case["terms"])]


def test_bond_basis_agrees_with_30e360_on_every_covered_period() -> None:
    # DayCount.THIRTY_360 is Bond Basis; ACTUS's 30E360 differs only for periods ending on a 31st that start
    # before the 30th. No covered case has one, so the mapping is exact here.
    for case_id in COVERED:
        case = CASES[case_id]
        if case["terms"]["dayCountConvention"].strip() != "30E360":
            continue
        arguments = schedule_arguments(case)
        previous = arguments["start_date"]
        for row in build_schedule(**arguments):
            ours = year_fraction("30/360", previous, row.date)
            assert abs(ours - actus_year_fraction("30E360", previous, row.date)) < Decimal("1e-20")
            previous = row.date
