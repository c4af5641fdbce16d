"""Repayment schedules: the conventions in channels_app/schedules.py, checked on hand-computed loans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from channels_app.schedules import (
    DayCount,
    Frequency,
    Profile,
    ScheduleRow,
    add_months,
    annuity_instalment,
    build_schedule,
    debt_service_by_day,
    parse_day_count,
    payment_dates,
    year_fraction,
)

D = Decimal


def loan(**overrides: object) -> list[ScheduleRow]:
    terms: dict[str, object] = {
        "principal": D("100000"),
        "annual_rate": D("0.06"),
        "start_date": date(2024, 1, 15),
        "maturity_date": date(2025, 1, 15),
        "frequency": "monthly",
        "profile": "annuity",
        "day_count": "30/360",
    }
    terms.update(overrides)
    return build_schedule(**terms)  # type: ignore[arg-type]


# -- the reference example and the invariants ---------------------------------------------------------------------


def test_design_example_annuity_instalment_and_first_row() -> None:
    rows = loan()
    assert len(rows) == 12
    assert rows[0] == ScheduleRow(date(2024, 2, 15), D("500.00"), D("8106.64"), D("8606.64"), D("91893.36"))
    assert all(row.payment == D("8606.64") for row in rows[:-1])


def test_annuity_last_row_clears_the_balance() -> None:
    rows = loan()
    assert rows[-1].balance == 0
    assert rows[-1].principal == rows[-2].balance
    assert sum(row.principal for row in rows) == D("100000")
    assert rows[-1].payment == rows[-1].principal + rows[-1].interest


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("day_count", list(DayCount))
@pytest.mark.parametrize("frequency", list(Frequency))
def test_every_schedule_repays_exactly_the_principal_in_cents(profile: str, day_count: str, frequency: str) -> None:
    rows = loan(
        principal=D("1234567.89"),
        annual_rate=D("0.0725"),
        start_date=date(2023, 1, 31),
        maturity_date=date(2026, 2, 14),
        frequency=frequency,
        profile=profile,
        day_count=day_count,
    )
    assert sum(row.principal for row in rows) == D("1234567.89")
    assert rows[-1].balance == 0
    for row in rows:
        assert row.payment == row.interest + row.principal
        for amount in (row.interest, row.principal, row.payment, row.balance):
            assert amount == amount.quantize(D("0.01"))
    assert [row.balance for row in rows] == sorted((row.balance for row in rows), reverse=True)


def test_bullet_pays_interest_only_until_maturity() -> None:
    rows = loan(profile="bullet", frequency="quarterly", maturity_date=date(2025, 1, 15))
    assert [row.principal for row in rows] == [D("0.00")] * 3 + [D("100000.00")]
    assert [row.balance for row in rows] == [D("100000.00")] * 3 + [D("0.00")]
    assert rows[0].interest == D("1500.00")  # 100,000 × 6 % × 90/360


def test_linear_repays_equal_principal_and_the_last_row_absorbs_the_cents() -> None:
    rows = loan(principal=D("1000.00"), profile="linear", maturity_date=date(2024, 4, 15))
    assert [row.principal for row in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert [row.interest for row in rows] == [D("5.00"), D("3.33"), D("1.67")]


def test_zero_rate_annuity_is_principal_over_periods() -> None:
    rows = loan(principal=D("1200"), annual_rate=D("0"))
    assert {row.payment for row in rows} == {D("100.00")}
    assert all(row.interest == 0 for row in rows)


def test_annuity_interest_follows_the_day_count_not_the_periodic_rate() -> None:
    # The instalment uses 6 %/12; February's interest on ACT/365F uses 29 days (2024 is a leap year).
    rows = loan(day_count="ACT/365F", start_date=date(2024, 1, 31), maturity_date=date(2025, 1, 31))
    assert rows[0].payment == D("8606.64")
    assert rows[0].date == date(2024, 2, 29)
    assert rows[0].interest == D("476.71")  # 100,000 × 0.06 × 29/365 = 476.712…
    assert rows[0].principal == D("8129.93")


def test_interest_is_rounded_half_up() -> None:
    # 1,001 × 6 % × 30/360 = 5.005 exactly: half up gives 5.01 (banker's rounding would give 5.00).
    rows = loan(principal=D("1001"), profile="bullet", maturity_date=date(2024, 3, 15))
    assert rows[0].interest == D("5.01")


def test_act_360_and_act_365f_interest() -> None:
    common = {"profile": "bullet", "frequency": "annual", "start_date": date(2024, 1, 1)}
    act360 = loan(day_count="ACT/360", maturity_date=date(2025, 1, 1), **common)
    act365 = loan(day_count="ACT/365F", maturity_date=date(2025, 1, 1), **common)
    assert act360[0].interest == D("6100.00")  # 366 days / 360
    assert act365[0].interest == D("6016.44")  # 366 days / 365


# -- payment dates ------------------------------------------------------------------------------------------------


def test_month_end_dates_are_computed_from_the_start_not_chained() -> None:
    dates = payment_dates(start_date=date(2024, 1, 31), maturity_date=date(2024, 5, 31), frequency="monthly")
    assert dates == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_off_grid_maturity_makes_a_short_final_period() -> None:
    rows = loan(profile="bullet", frequency="quarterly", maturity_date=date(2024, 8, 1))
    assert [row.date for row in rows] == [date(2024, 4, 15), date(2024, 7, 15), date(2024, 8, 1)]
    assert rows[-1].interest == D("266.67")  # 100,000 × 6 % × 16/360


def test_long_final_stub_drops_the_last_grid_date() -> None:
    rows = loan(profile="bullet", frequency="quarterly", maturity_date=date(2024, 8, 1), final_stub="long")
    assert [row.date for row in rows] == [date(2024, 4, 15), date(2024, 8, 1)]
    on_grid = loan(profile="bullet", frequency="quarterly", maturity_date=date(2024, 7, 15), final_stub="long")
    assert [row.date for row in on_grid] == [date(2024, 4, 15), date(2024, 7, 15)]


def test_first_payment_date_anchors_the_grid() -> None:
    rows = loan(
        profile="linear",
        frequency="quarterly",
        start_date=date(2024, 1, 1),
        first_payment_date=date(2024, 2, 1),
        maturity_date=date(2024, 11, 1),
    )
    assert [row.date for row in rows] == [date(2024, 2, 1), date(2024, 5, 1), date(2024, 8, 1), date(2024, 11, 1)]
    assert rows[0].interest == D("500.00")  # one month of 30/360 on the full balance
    assert {row.principal for row in rows} == {D("25000.00")}


def test_single_period_loan() -> None:
    rows = loan(maturity_date=date(2024, 2, 1))
    assert rows == [ScheduleRow(date(2024, 2, 1), D("266.67"), D("100000.00"), D("100266.67"), D("0.00"))]


# -- agreed instalments -------------------------------------------------------------------------------------------


def test_agreed_instalment_leaves_a_balloon_at_maturity() -> None:
    rows = loan(instalment=D("5000"), maturity_date=date(2024, 7, 15))
    assert all(row.payment == D("5000.00") for row in rows[:-1])
    assert rows[-1].principal > D("70000")
    assert rows[-1].balance == 0


def test_agreed_instalment_that_repays_early_ends_the_schedule() -> None:
    rows = loan(instalment=D("50000"))
    assert len(rows) == 3
    assert rows[-1].balance == 0
    assert rows[-1].payment < D("50000")


def test_instalment_is_only_for_annuities() -> None:
    with pytest.raises(ValueError, match="instalment"):
        loan(profile="linear", instalment=D("100"))


# -- inputs -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"principal": D("0")}, "principal"),
        ({"principal": D("-5")}, "principal"),
        ({"principal": "lots"}, "principal"),
        ({"principal": D("0.001")}, "principal"),
        ({"annual_rate": D("-0.01")}, "annual_rate"),
        ({"annual_rate": None}, "annual_rate"),
        ({"maturity_date": date(2024, 1, 15)}, "maturity_date"),
        ({"maturity_date": date(2023, 1, 15)}, "maturity_date"),
        ({"start_date": "2024-01-15"}, "start_date"),
        ({"frequency": "weekly"}, "frequency"),
        ({"profile": "revolving"}, "profile"),
        ({"day_count": "ACT/ACT"}, "day_count"),
        ({"final_stub": "medium"}, "final_stub"),
        ({"first_payment_date": date(2024, 1, 15)}, "first_payment_date"),
        ({"first_payment_date": date(2025, 2, 1)}, "first_payment_date"),
        ({"instalment": D("0")}, "instalment"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        loan(**overrides)


def test_enums_and_strings_are_interchangeable() -> None:
    by_enum = loan(frequency=Frequency.MONTHLY, profile=Profile.ANNUITY, day_count=DayCount.THIRTY_360)
    assert by_enum == loan(frequency="Monthly", profile="ANNUITY", day_count="30/360")
    assert loan(principal="100000", annual_rate="0.06") == by_enum
    assert Frequency("quarterly").months == 3
    assert Frequency.SEMIANNUAL.periods_per_year == 2


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A365", DayCount.ACT_365F),
        ("A360", DayCount.ACT_360),
        ("30E360", DayCount.THIRTY_360),
        ("act/365f", DayCount.ACT_365F),
        ("THIRTY_360", DayCount.THIRTY_360),
    ],
)
def test_day_count_codes_map_to_ours(code: str, expected: DayCount) -> None:
    assert parse_day_count(code) is expected


def test_thirty_360_is_bond_basis() -> None:
    assert year_fraction("30/360", date(2024, 1, 31), date(2024, 2, 29)) * 360 == 29
    assert year_fraction("30/360", date(2023, 2, 28), date(2023, 3, 31)) * 360 == 33  # US rules would give 30
    assert year_fraction("30/360", date(2024, 3, 30), date(2024, 3, 31)) == 0
    assert year_fraction("30/360", date(2024, 1, 15), date(2025, 1, 15)) == 1


def test_annuity_instalment_formula() -> None:
    assert annuity_instalment(principal=D("100000"), annual_rate=D("0.06"), frequency="monthly", periods=12) == D(
        "8606.64"
    )
    assert annuity_instalment(principal=D("100"), annual_rate=D("0"), frequency="annual", periods=3) == D("33.33")
    with pytest.raises(ValueError, match="periods"):
        annuity_instalment(principal=D("100"), annual_rate=D("0.05"), frequency="annual", periods=0)


# -- what the drill engine consumes -------------------------------------------------------------------------------


def test_debt_service_by_day_places_rows_on_their_day_index() -> None:
    rows = loan(profile="linear", frequency="monthly", maturity_date=date(2024, 4, 15), principal=D("3000"))
    principal_due, interest_due = debt_service_by_day(rows, as_of=date(2024, 2, 1), horizon_days=45)
    assert len(principal_due) == len(interest_due) == 45
    assert principal_due[14] == 1000.0 and interest_due[14] == 15.0  # Feb 15
    assert principal_due[43] == 1000.0 and interest_due[43] == 10.0  # Mar 15
    assert sum(principal_due) == 2000.0  # Apr 15 is day 74, beyond the horizon
    assert isinstance(principal_due[0], float)


def test_debt_service_by_day_leaves_out_what_fell_due_before_as_of() -> None:
    rows = loan(profile="bullet", maturity_date=date(2024, 3, 15))
    principal_due, interest_due = debt_service_by_day(rows, as_of=date(2024, 2, 16), horizon_days=30)
    assert sum(interest_due) == 500.0 and principal_due[28] == 100000.0  # only Mar 15
    assert debt_service_by_day(rows, as_of=date(2024, 2, 16), horizon_days=0) == ([], [])
    with pytest.raises(ValueError, match="horizon_days"):
        debt_service_by_day(rows, as_of=date(2024, 2, 16), horizon_days=-1)
