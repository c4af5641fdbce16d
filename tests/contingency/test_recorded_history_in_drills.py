"""Recorded history enters a drill exactly as recorded (DESIGN.md "Drill semantics, exactly"; issue 8 items 1-12, 18).

Every expected number below is computed by hand in the comments, from DESIGN.md's rules and the decisions the
engine docstring lists; the drills run through `run_drill --json` (the public contract) or the REST API.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channels_app import services as channel_services
from contingency import services
from contingency.models import DrillRun
from financeplanner.models import FxRate
from tests.contingency.hand_drills import AS_OF, cash, daily_outflow, drill, liquidity, zero_buffer_30_day_policy
from tests.factories import (
    CashFlowLineFactory,
    CounterpartyFactory,
    CreditAssessmentFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(company):
    return zero_buffer_30_day_policy(company)


def scenario(company, name="S", horizon=30, **fields):
    fields.setdefault("as_of", AS_OF)
    return services.scenario_save(company=company, by=None, name=name, horizon_days=horizon, **fields)


def record(channel, kind, on, **fields):
    return channel_services.channel_event_record(
        channel=channel, kind=kind, date=on, reason="lender", by=None, **fields
    )


# -- 1. payment dates: the start date plus whole periods -------------------------------------------------------


@pytest.fixture
def term_loan(acme):
    # 600,000 drawn on Jan 31, linear monthly to Jul 31 at 6 % ACT/360. The grid is Feb 28, Mar 31, Apr 30, May 31,
    # Jun 30, Jul 31 (Jan 31 + whole months, clamped to the month's end).
    loan = FundingChannelFactory(
        company=acme, name="Term loan", channel_type="bank_term_loan", limit=Decimal("600000"),
        annual_rate=Decimal("0.06"), day_count="ACT/360", start_date=date(2026, 1, 31),
        maturity_date=date(2026, 7, 31), repayment_profile="linear", payment_frequency="monthly",
    )  # fmt: skip
    channel_services.channel_draw(channel=loan, amount=Decimal("600000"), date=date(2026, 1, 31), by=None)
    return loan


def test_schedule_keeps_the_loans_own_payment_dates_whatever_day_it_is_read(term_loan, analyst, api_as):
    # On Mar 10 the previous contract date is Feb 28: 600,000 over the 5 remaining periods is 120,000 a month, and
    # the first period accrues from Feb 28: 600,000 x 6 % x 31/360 = 3,100.00.
    client = api_as(analyst)

    def rows_on(day: str) -> list[dict]:
        body = client.get(f"/api/v1/channels/{term_loan.pk}/schedule/?as_of={day}").json()
        return body["results"] if isinstance(body, dict) else body

    rows = rows_on("2026-03-10")
    assert [r["date"] for r in rows] == ["2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"]
    assert [r["principal"] for r in rows] == ["120000.00"] * 5
    assert rows[0]["interest"] == "3100.00"
    assert [r["date"] for r in rows_on("2026-03-25")] == [r["date"] for r in rows]
    assert client.get(f"/api/v1/channels/{term_loan.pk}/schedule/?as_of=garbage").status_code == 400


def test_drill_pays_a_loan_on_its_contract_dates_not_on_the_as_of_day_of_month(acme, term_loan):
    cash(acme, "1000000")
    results = drill(acme, scenario(acme, horizon=60))
    # Mar 31 is day 21: 120,000 + 3,100 leave; Apr 30 is day 51: 120,000 + 480,000 x 6 % x 30/360 = 122,400.
    assert liquidity(results, 20) == 1_000_000.00
    assert liquidity(results, 21) == 876_900.00
    assert liquidity(results, 50) == 876_900.00
    assert liquidity(results, 51) == 754_500.00
    assert (results["min_liquidity"], results["min_liquidity_day"]) == (754_500.00, 51)


# -- 2. a recorded reduction falls due, rolling line or not -----------------------------------------------------


def test_recorded_reduction_falls_due_after_the_notice_on_a_rolling_line(acme):
    line = FundingChannelFactory(
        company=acme, limit=Decimal("1000000"), annual_rate=Decimal("0"), rolls_over=True, notice_days=10
    )
    channel_services.channel_draw(channel=line, amount=Decimal("800000"), date=date(2026, 1, 5), by=None)
    record(line, "reduce", date(2026, 3, 8), new_limit=Decimal("500000"))  # 300,000 due on Mar 18 = day 8
    cash(acme, "1000000")
    results = drill(acme, scenario(acme))
    assert liquidity(results, 7) == 1_000_000.00  # nothing left to draw: 800,000 drawn on a 500,000 limit
    assert liquidity(results, 8) == 700_000.00
    assert results["min_liquidity"] == 700_000.00


def test_recorded_reduction_of_supply_chain_finance_falls_due_at_once(acme):
    line = FundingChannelFactory(
        company=acme, channel_type="supply_chain_finance", limit=Decimal("1000000"), annual_rate=Decimal("0"),
        rolls_over=True, notice_days=10,
    )  # fmt: skip
    channel_services.channel_draw(channel=line, amount=Decimal("800000"), date=date(2026, 1, 5), by=None)
    record(line, "reduce", date(2026, 3, 8), new_limit=Decimal("500000"))
    line.refresh_from_db()
    assert line.excess_due_date == date(2026, 3, 8)  # the payables it financed fall due on their terms
    cash(acme, "1000000")
    assert liquidity(drill(acme, scenario(acme)), 0) == 700_000.00  # already due on the as-of date: day 0


# -- 3, 4. a recorded freeze ends when recorded; a line that has not started is no liquidity yet --------------------


def _burning_company(acme):
    # 300,000 cash and 50,000 out a day: cash 250,000 ... 50,000 on days 0-4 and 0 on day 5; from day 6 a
    # 500,000 line at 0 % pays for 10 days (days 6-15), so the first shortfall is day 16.
    cash(acme, "300000")
    daily_outflow(acme, "50000")


def test_recorded_freeze_ends_when_recorded(acme):
    _burning_company(acme)
    line = FundingChannelFactory(company=acme, limit=Decimal("500000"), annual_rate=Decimal("0"))
    record(line, "freeze", date(2026, 3, 5), freeze_days=10)  # reopens on Mar 15 = day 5
    results = drill(acme, scenario(acme))
    assert [liquidity(results, d) for d in range(6)] == [250_000, 200_000, 150_000, 100_000, 50_000, 500_000]
    assert results["runway_days"] == 16


def test_freeze_without_a_recorded_end_lasts_the_horizon(acme):
    _burning_company(acme)
    line = FundingChannelFactory(company=acme, limit=Decimal("500000"), annual_rate=Decimal("0"))
    record(line, "freeze", date(2026, 3, 5))
    assert drill(acme, scenario(acme))["runway_days"] == 6


def test_line_that_has_not_started_is_no_liquidity_before_its_start_date(acme):
    _burning_company(acme)
    FundingChannelFactory(
        company=acme, limit=Decimal("500000"), annual_rate=Decimal("0"), start_date=date(2026, 3, 15)
    )  # day 5
    results = drill(acme, scenario(acme))
    assert [liquidity(results, d) for d in range(6)] == [250_000, 200_000, 150_000, 100_000, 50_000, 500_000]
    assert results["runway_days"] == 16


# -- 5. ratings and PDs known on the as-of date ---------------------------------------------------------------


def _platform_with_rating_trigger(acme):
    # 100,000 cash, 50,000 out a day: days 0-1 paid from cash, then a 1,000,000 platform line pays days 2-21,
    # first shortfall day 22. If the line closes on day 0 the shortfall comes on day 2.
    cash(acme, "100000")
    daily_outflow(acme, "50000")
    return channel_services.channel_create(
        company=acme, by=None, name="Platform", counterparty=CounterpartyFactory(company=acme, kind="platform"),
        channel_type="small_loan_platform", limit=Decimal("1000000"), annual_rate=Decimal("0"),
        start_date=date(2026, 1, 1), maturity_date=date(2027, 1, 1), repayment_profile="revolving",
        triggers=[{"kind": "own_rating_below", "rating": "BBB-", "action": "close"}],
    )  # fmt: skip


def test_own_rating_is_the_one_known_on_the_as_of_date(acme):
    platform = _platform_with_rating_trigger(acme)
    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 3, 1), rating="BBB+")
    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 3, 20), rating="BBB-")  # the future
    # Known on Mar 10: BBB+; one notch down is BBB, not below BBB-: the line stays open. (From the future BBB- one
    # notch would be BB+, below BBB-: the line would close on day 0 and the runway be 2.)
    results = drill(acme, scenario(acme, own_downgrade_notches=1))
    assert results["runway_days"] == 22
    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 3, 9), rating="BBB-")
    assert drill(acme, scenario(acme, name="S2", own_downgrade_notches=1))["runway_days"] == 2
    assert platform.triggers.count() == 1


def test_lender_pd_is_the_one_known_on_the_as_of_date(acme):
    line = FundingChannelFactory(company=acme, annual_rate=Decimal("0"))
    CreditAssessmentFactory(company=acme, counterparty=line.counterparty, as_of=date(2026, 2, 1), rating="A",
                            pd_1y=Decimal("0.0006"))  # fmt: skip
    CreditAssessmentFactory(company=acme, counterparty=line.counterparty, as_of=date(2026, 4, 1), rating="B",
                            pd_1y=Decimal("0.0376"))  # fmt: skip
    cash(acme, "100")
    drill(acme, scenario(acme, kind="monte_carlo", paths=10))
    snapshot = DrillRun.objects.latest("pk").snapshot
    assert snapshot["channels"][0]["counterparty_pd_1y"] == 0.0006


# -- 6. pools in plans ----------------------------------------------------------------------------------------


def _worked_example_b(acme, *, step: dict):
    """DESIGN.md's worked example B: 1,000,000 cash, -100,000 a day, a 2,000,000 line closed on day 0."""
    cash(acme, "1000000")
    daily_outflow(acme, "100000")
    line = FundingChannelFactory(company=acme, limit=Decimal("2000000"), annual_rate=Decimal("0"))
    plan = services.plan_save(company=acme, by=None, name="Plan", trigger="on_shock", steps=[step])
    closes = scenario(acme, horizon=60, shocks=[{"target_type": "channel", "target": str(line.pk), "action": "close"}])
    return closes, plan


def test_omitted_lead_time_is_the_pools_days_to_cash(acme):
    mmf = LiquidityPoolFactory(company=acme, name="MMF", kind="money_market_fund", amount=Decimal("500000"),
                               haircut=Decimal("0.02"), days_to_cash=3)  # fmt: skip
    closes, plan = _worked_example_b(acme, step={"order": 1, "action": "liquidate_pool", "pool": mmf})
    assert plan.steps.get().lead_time_days is None
    results = drill(acme, closes, plan)
    assert results["runway_days"] == 14  # the fund's 490,000 arrive on day 3, as in DESIGN's example
    assert liquidity(results, 3) == 1_090_000.00  # 1,000,000 - 4 x 100,000 + 490,000


def test_a_step_faster_than_its_pool_is_refused_naming_the_lead_time(acme, analyst, api_as):
    mmf = LiquidityPoolFactory(company=acme, name="MMF", kind="money_market_fund", days_to_cash=3)
    body = {"name": "Fast", "trigger": "on_shock",
            "steps": [{"order": 1, "action": "liquidate_pool", "pool": mmf.pk, "lead_time_days": 1}]}  # fmt: skip
    response = api_as(analyst).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400
    assert "lead_time_days" in json.dumps(response.json())


def test_a_step_on_the_cash_pool_is_refused(acme, analyst, api_as):
    pool = cash(acme, "1000000")
    body = {
        "name": "Twice",
        "trigger": "on_shock",
        "steps": [{"order": 1, "action": "liquidate_pool", "pool": pool.pk}],
    }
    response = api_as(analyst).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400
    assert "pool" in json.dumps(response.json())


def test_backup_line_pool_is_gone_when_its_channel_is_shut_whatever_the_action(acme):
    cash(acme, "1000000")
    daily_outflow(acme, "100000")
    standby = FundingChannelFactory(company=acme, name="Standby", limit=Decimal("500000"), annual_rate=Decimal("0"))
    pool = LiquidityPoolFactory(company=acme, name="Standby pool", kind="backup_line", amount=Decimal("500000"),
                                channel=standby)  # fmt: skip
    plan = services.plan_save(company=acme, by=None, name="Plan", trigger="on_shock",
                              steps=[{"order": 1, "action": "liquidate_pool", "pool": pool}])  # fmt: skip
    closes = scenario(acme, shocks=[{"target_type": "channel", "target": str(standby.pk), "action": "close"}])
    results = drill(acme, closes, plan)
    assert results["contingency_used"] == 0.0
    assert results["runway_days"] == 10  # 1,000,000 of cash pays days 0-9


def test_step_amount_is_in_the_pools_currency(acme):
    FxRate.objects.create(company=acme, currency="USD", as_of=date(2026, 3, 1), rate=Decimal("7"))
    FxRate.objects.create(company=acme, currency="USD", as_of=date(2026, 3, 20), rate=Decimal("9"))  # the future
    usd = LiquidityPoolFactory(company=acme, name="USD deposit", kind="deposit", currency="USD",
                               amount=Decimal("100000"), days_to_cash=0)  # fmt: skip
    closes, plan = _worked_example_b(
        acme,
        step={"order": 1, "action": "liquidate_pool", "pool": usd, "amount": Decimal("10000"), "lead_time_days": 0},
    )
    results = drill(acme, closes, plan)
    assert results["contingency_used"] == 70_000.00  # USD 10,000 at 7 CNY (the rate known on Mar 10)
    assert liquidity(results, 0) == 970_000.00


# -- 7. no credit under stress for uncommitted lines -----------------------------------------------------------


def test_uncommitted_lines_count_for_nothing_under_market_wide_stress(acme):
    cash(acme, "100000")
    FundingChannelFactory(company=acme, name="At will", committed=False, limit=Decimal("1000000"))
    FundingChannelFactory(company=acme, name="Committed", committed=True, limit=Decimal("300000"))
    calm = drill(acme, scenario(acme, name="Calm"))
    stressed = drill(acme, scenario(acme, name="Market-wide", market_stress=Decimal("0.5")))
    assert liquidity(calm, 0) == 1_400_000.00
    assert liquidity(stressed, 0) == 400_000.00  # BCBS: no credit for lines the lender can cancel at will
    acme.credit_uncommitted_under_stress = True
    acme.save()
    assert liquidity(drill(acme, scenario(acme, name="Credited", market_stress=Decimal("0.5"))), 0) == 1_400_000.00


# -- 9. interest on the drill's own draws follows the line's day count ------------------------------------------


@pytest.mark.parametrize(
    ("day_count", "day_1"), [("ACT/360", 899_990.00), ("ACT/365F", 899_990.14), ("30/360", 899_990.00)]
)
def test_interest_on_the_drills_own_draws_follows_the_day_count(acme, day_count, day_1):
    # 100,000 paid on day 0 is drawn on a 1,000,000 line at 3.6 %; on day 1 its interest is 100,000 x 3.6 % / 360
    # = 10.00 (ACT/365F: / 365 = 9.86), drawn too: headroom 900,000 - interest.
    CashFlowLineFactory(company=acme, amount=Decimal("-100000"), start_date=AS_OF, frequency="once")
    FundingChannelFactory(company=acme, limit=Decimal("1000000"), annual_rate=Decimal("0.036"), day_count=day_count)
    results = drill(acme, scenario(acme))
    assert liquidity(results, 0) == 900_000.00
    assert liquidity(results, 1) == day_1


# -- 10. a downgrade stops at C --------------------------------------------------------------------------------


def test_a_downgrade_stops_at_c_and_never_fires_a_below_c_trigger(acme):
    platform = _platform_with_rating_trigger(acme)
    channel_services.channel_update(channel=platform, by=None, triggers=[
        {"kind": "own_rating_below", "rating": "C", "action": "close"}])  # fmt: skip
    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 3, 1), rating="CC")
    assert drill(acme, scenario(acme, own_downgrade_notches=5))["runway_days"] == 22  # CC -> C, not D


# -- 11. a trigger without its parameter is refused at input ---------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"kind": "utilisation_above", "level": "0.9", "action": "reduce"}, "triggers[0].reduce_by"),
        ({"kind": "utilisation_above", "level": "0.9", "action": "freeze"}, "triggers[0].freeze_days"),
        ({"kind": "utilisation_above", "action": "close"}, "triggers[0].level"),
        ({"kind": "own_rating_below", "action": "close"}, "triggers[0].rating"),
    ],
)
def test_a_trigger_without_its_parameter_is_a_400_naming_the_field(acme, analyst, api_as, trigger, field):
    counterparty = CounterpartyFactory(company=acme)
    body = {
        "name": "Line", "counterparty": counterparty.pk, "channel_type": "revolving_credit", "currency": "CNY",
        "limit": "1000000.00", "annual_rate": "0.04", "start_date": "2026-01-01", "maturity_date": "2027-01-01",
        "repayment_profile": "revolving", "triggers": [trigger],
    }  # fmt: skip
    response = api_as(analyst).post("/api/v1/channels/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in json.dumps(response.json())


# -- 12. fees are outflows on their dates ----------------------------------------------------------------------


def test_fees_are_paid_on_the_lines_payment_dates(acme):
    # 1.2 % a year on a 1,000,000 limit, ACT/360, monthly from Jan 31: Mar 31 (day 21) pays for Feb 28 - Mar 31,
    # 1,000,000 x 1.2 % x 31/360 = 1,033.33; Apr 30 (day 51) 30/360 of it = 1,000.00.
    cash(acme, "500000")
    FundingChannelFactory(
        company=acme, limit=Decimal("1000000"), annual_rate=Decimal("0"), fee_rate=Decimal("0.012"),
        day_count="ACT/360", start_date=date(2026, 1, 31), payment_frequency="monthly",
    )  # fmt: skip
    results = drill(acme, scenario(acme, horizon=60))
    assert liquidity(results, 20) == 1_500_000.00
    assert liquidity(results, 21) == 1_498_966.67
    assert liquidity(results, 51) == 1_497_966.67


# -- 18. a scenario without an as-of date runs as of the day the drill runs --------------------------------------


def test_scenario_without_as_of_runs_as_of_the_run_date(acme, analyst, api_as, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    cash(acme, "1000")
    CashFlowLineFactory(company=acme, amount=Decimal("-400"), start_date=today, frequency="once")
    CashFlowLineFactory(company=acme, amount=Decimal("-50"), start_date=today - timedelta(days=1), frequency="once")
    client = api_as(analyst)
    response = client.post("/api/v1/scenarios/", {"name": "Rolling", "horizon_days": 10}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["as_of"] is None
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/v1/drills/", {"scenario": response.json()["id"]}, format="json")
    run = DrillRun.objects.get(pk=started.json()["id"])
    assert run.as_of == today
    assert run.results["fan"]["p50"][0] == 600.00  # today's flow counts on day 0, yesterday's not at all


def test_a_scheduled_drill_rehearses_the_run_date_not_the_scenarios_fixed_as_of(acme):
    from contingency import drills

    today = timezone.localdate()
    cash(acme, "1000")
    CashFlowLineFactory(company=acme, amount=Decimal("-400"), start_date=today, frequency="once")
    fixed = scenario(acme, name="Fixed", horizon=10)  # as of Mar 10, 2026
    schedule = drills.schedule_save(company=acme, by=None, name="Weekly", scenario=fixed, cron="0 6 * * 1")
    run = drills.scheduled_drill_start(schedule.pk)
    assert run is not None and run.as_of == today
    assert run.snapshot["scenario"]["operating_flows"][0] == -400.0  # today's payment is day 0 of the drill


def test_a_scenario_stored_near_the_calendars_end_is_a_400_not_a_500(acme, analyst, api_as):
    # New dates are bounded at input; a row stored before that (here forced past the validators) must not crash.
    daily_outflow(acme, "100")  # the drill's days run past 9999-12-31
    made = scenario(acme, name="Far", horizon=30)
    type(made).objects.filter(pk=made.pk).update(as_of=date(9999, 12, 20))
    response = api_as(analyst).post("/api/v1/drills/", {"scenario": made.pk}, format="json")
    assert response.status_code == 400
    assert "scenario" in json.dumps(response.json()) and "calendar" in json.dumps(response.json())
