"""The oracle against numbers worked out by hand from DESIGN.md and docs/drill-rules.md (no database, no engine)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.oracle.cases import AS_OF, cash_pool, channel, company, worked_example
from tests.oracle.drill import add_months, drill, payment_grid, schedule_rows, year_fraction


def test_worked_example_without_a_shock_has_a_runway_of_30_days():
    # Days 0-9 live on the 1,000,000 of cash, days 10-29 on the 2,000,000 line; day 30 is short by 100,000.
    result = drill(worked_example([]))
    assert result["runway_days"] == 30
    assert result["survived"] is False
    assert result["plan_activation_day"] is None  # no shock: an on_shock plan never activates
    # Liquidity = cash + headroom = 3,000,000 - 100,000 x (t + 1): -3,000,000 on day 59.
    assert result["liquidity"][0] == pytest.approx(2_900_000)
    assert result["min_liquidity"] == pytest.approx(-3_000_000)
    assert result["min_liquidity_day"] == 59
    # 60 days of 100,000 against 3,000,000: 3,000,000 more day-0 cash keeps cash >= 0 to day 59.
    assert result["extra_liquidity_needed"] == pytest.approx(3_000_000)
    # Step 4 draws up to the buffer (0): days 10-29 end at exactly 0, so the first breach is day 30.
    assert result["policy"] == {"verdict": "not_tested", "horizon_days": 90, "buffer_breach_day": 30}


def test_worked_example_with_the_line_closed_on_day_0_has_a_runway_of_14_days():
    result = drill(worked_example([{"target_type": "channel", "target": "rev", "action": "close", "day": 0}]))
    assert result["runway_days"] == 14
    assert result["plan_activation_day"] == 0
    assert result["contingency_used"] == pytest.approx(490_000)  # 500,000 less the 2 % haircut
    # 900k, 800k, 700k, then 600k + 490k on day 3; day 13 ends at 90,000, day 14 at -10,000.
    assert result["cash"][:4] == pytest.approx([900_000, 800_000, 700_000, 1_090_000])
    assert result["cash"][13] == pytest.approx(90_000)
    assert result["cash"][14] == pytest.approx(-10_000)
    assert result["min_liquidity"] == pytest.approx(1_490_000 - 6_000_000)
    assert result["extra_liquidity_needed"] == pytest.approx(4_510_000)


def test_recorded_reduction_on_a_rolling_line_falls_due_after_the_notice():
    # D2: drawn 800,000, limit cut to 500,000 five days before as-of with 10 days' notice: 300,000 due on day 5,
    # although the line rolls over. 400,000 - 300,000 = 100,000 < the 200,000 buffer, and no headroom to draw.
    spec = company(
        policy={"survival_horizon_days": 30, "min_cash_buffer": "200000"},
        channels=[
            channel(
                limit="1000000",
                rolls_over=True,
                notice_days=10,
                draws=[{"date": date(2025, 6, 1), "amount": "800000"}],
                events=[{"kind": "reduce", "date": AS_OF - timedelta(days=5), "new_limit": "500000"}],
            )
        ],
        pools=[cash_pool("400000")],
        scenario={"as_of": AS_OF, "horizon_days": 30, "shocks": []},
    )
    result = drill(spec)
    assert result["cash"][4] == pytest.approx(400_000)
    assert result["cash"][5] == pytest.approx(100_000)
    assert result["survived"] is True
    assert result["min_liquidity"] == pytest.approx(100_000)
    assert result["min_liquidity_day"] == 5
    assert result["policy"] == {"verdict": "not_met", "horizon_days": 30, "buffer_breach_day": 5}
    assert result["extra_liquidity_needed"] == pytest.approx(100_000)


def test_payment_grid_adds_months_to_the_start_date():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)
    grid = payment_grid(date(2025, 11, 30), date(2026, 11, 30), "monthly")
    assert grid[:4] == [date(2025, 12, 30), date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30)]
    assert grid[-1] == date(2026, 11, 30) and len(grid) == 12


def test_design_annuity_example():
    # DESIGN: 100,000 over 12 months at 6 %, monthly, 30/360: instalment 8,606.64, first interest 500.00.
    rows = schedule_rows(
        balance=Decimal("100000"), rate=Decimal("0.06"),
        day_count="30/360", start=date(2026, 1, 15), maturity=date(2027, 1, 15), frequency="monthly",
        profile="annuity", as_of=date(2026, 1, 15),
    )  # fmt: skip
    assert len(rows) == 12
    assert rows[0][1] == Decimal("500.00")
    assert rows[0][1] + rows[0][2] == Decimal("8606.64")
    assert sum(row[2] for row in rows) == Decimal("100000")


def test_linear_loan_started_before_as_of_keeps_its_contract_dates():
    # D1: start 2025-11-30, 12 months, 30/360, 6 %, 120,000 outstanding on as-of 2026-02-10. Grid 12-30, 01-30,
    # 02-28, 03-30, 04-30 ...; anchor 01-30; 10 rows left of 12,000 principal each.
    #   02-28 (day 18): interest 120,000 x 6 % x 28/360 = 560.00  (30/360: 01-30 -> 02-28 is 28 days)
    #   03-30 (day 48): interest 108,000 x 6 % x 32/360 = 576.00  (02-28 -> 03-30 is 32 days)
    #   04-30 (day 79): interest  96,000 x 6 % x 30/360 = 480.00
    as_of = date(2026, 2, 10)
    assert year_fraction("30/360", date(2026, 1, 30), date(2026, 2, 28)) * 360 == 28
    spec = company(
        channels=[
            channel(
                "term", channel_type="bank_term_loan", limit="120000", annual_rate="0.06", day_count="30/360",
                start_date=date(2025, 11, 30), maturity_date=date(2026, 11, 30), repayment_profile="linear",
                draws=[{"date": date(2025, 11, 30), "amount": "120000"}],
            )
        ],
        pools=[cash_pool("1000000")],
        scenario={"as_of": as_of, "horizon_days": 80, "shocks": []},
    )  # fmt: skip
    cash = drill(spec)["cash"]
    assert cash[17] == pytest.approx(1_000_000)
    assert cash[18] == pytest.approx(1_000_000 - 12_560)
    assert cash[47] == pytest.approx(987_440)
    assert cash[48] == pytest.approx(987_440 - 12_576)
    assert cash[79] == pytest.approx(974_864 - 12_480)


def test_recorded_freeze_ends_when_recorded_and_a_future_line_opens_on_its_start_day():
    # Cash 100,000, outflow 50,000 a day, buffer 0. Line A (5 %) frozen two days before as-of for 5 days: reopens on
    # day 3. Line B (1 %, ACT/360) starts on day 2. Day 1 ends at exactly 0; day 2 draws 50,000 on B; day 3 pays
    # B's interest 50,000 x 1 % / 360 = 1.39 and draws again on B, the cheaper line, although A has reopened.
    spec = company(
        policy={"survival_horizon_days": 5, "min_cash_buffer": "0"},
        channels=[
            channel(
                "a",
                limit="1000000",
                annual_rate="0.05",
                events=[{"kind": "freeze", "date": AS_OF - timedelta(days=2), "freeze_days": 5}],
            ),
            channel(
                "b", limit="1000000", annual_rate="0.01", day_count="ACT/360", start_date=AS_OF + timedelta(days=2)
            ),
        ],  # fmt: skip
        pools=[cash_pool("100000")],
        cash_flows=[
            {
                "name": "opex",
                "amount": "-50000",
                "currency": "CNY",
                "start_date": AS_OF,
                "end_date": None,
                "frequency": "daily",
                "discretionary": False,
            }
        ],  # fmt: skip
        scenario={"as_of": AS_OF, "horizon_days": 6, "shocks": []},
    )
    result = drill(spec)
    assert result["liquidity"][:4] == pytest.approx([50_000, 0, 950_000, 1_000_000 + 950_000 - 50_001.3889])
    assert result["min_liquidity"] == pytest.approx(0)
    assert result["min_liquidity_day"] == 1
    assert result["survived"] is True
    assert result["policy"] == {"verdict": "met", "horizon_days": 5, "buffer_breach_day": None}
    assert result["extra_liquidity_needed"] == 0


def test_own_rating_known_on_as_of_fires_a_call_at_once_on_supply_chain_finance():
    # D5: the BB assessment dated after as-of is ignored: BBB, one notch down = BBB-. The SCF line's trigger
    # "below BBB" fires on day 0 and calls it: 300,000 due at once (SCF). The bank line's "below BB" does not fire.
    spec = company(
        own_assessments=[{"as_of": date(2025, 12, 1), "rating": "BBB"}, {"as_of": date(2026, 3, 1), "rating": "BB"}],
        channels=[
            channel(
                "scf",
                channel_type="supply_chain_finance",
                limit="500000",
                notice_days=30,
                draws=[{"date": date(2025, 6, 1), "amount": "300000"}],
                triggers=[{"kind": "own_rating_below", "rating": "BBB", "action": "call"}],
            ),
            channel("bank", limit="200000", triggers=[{"kind": "own_rating_below", "rating": "BB", "action": "close"}]),
        ],  # fmt: skip
        pools=[cash_pool("1000000")],
        scenario={"as_of": AS_OF, "horizon_days": 20, "own_downgrade_notches": 1, "shocks": []},
    )
    result = drill(spec)
    assert result["cash"][0] == pytest.approx(700_000)
    assert result["liquidity"][0] == pytest.approx(900_000)  # the bank line's 200,000 headroom stays
    assert result["min_liquidity"] == pytest.approx(900_000)
    assert result["policy"]["verdict"] == "not_tested"  # 20 days < the 90-day policy
