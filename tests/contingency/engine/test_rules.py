"""Hand-computed drills, one rule at a time (DESIGN.md "Drill semantics, exactly")."""

import numpy as np
import pytest

from contingency.engine import (
    DrillInputs,
    PlanInput,
    PoolInput,
    ShockInput,
    StepInput,
    TriggerInput,
    channel_impact,
    run,
)
from tests.contingency.engine.builders import close, line, scenario, worked_example


def drill(sc, channels=(), pools=(), plan=None):
    return run(DrillInputs(sc, tuple(channels), tuple(pools), plan), with_channel_impact=False)


def liquidity(result):
    """Daily liquidity of a one-path drill (its fan collapses onto the path)."""
    assert result.fan["p5"] == result.fan["p95"]
    return result.fan["p50"]


# --- the worked example -------------------------------------------------------------------------------------------


def test_worked_example_a_no_shock_runs_out_on_day_30():
    result = run(worked_example(line_closes=False))
    # 1,000,000 covers days 0-9; the 2,000,000 line covers days 10-29; day 30 falls short.
    assert result.runway_days == 30
    assert result.survived is False
    assert result.plan_activation_day is None
    assert result.contingency_used == 0


def test_worked_example_b_line_closes_fund_arrives_day_3_runway_14():
    result = run(worked_example(line_closes=True))
    assert result.runway_days == 14
    assert result.plan_activation_day == 0
    assert result.contingency_used == 490_000.00
    # Cash 900k, 800k, 700k, then 600k + 490k delivered on day 3; 90k on day 13; -10k on day 14.
    assert liquidity(result)[:5] == [900_000, 800_000, 700_000, 1_090_000, 990_000]
    assert liquidity(result)[13:15] == [90_000, -10_000]
    assert result.gap_day == 10  # without the fund, cash would have run out on day 10
    assert result.closing_step is None  # the fund alone does not close that gap


def test_a_big_enough_fund_closes_the_gap_and_says_which_step_did():
    inputs = worked_example(line_closes=True, horizon=50)
    inputs = DrillInputs(
        inputs.scenario, inputs.channels, (PoolInput(key="mmf", kind="money_market_fund", amount=5_000_000,
                                                     haircut=0.02, days_to_cash=3),), inputs.plan,
    )  # fmt: skip
    result = run(inputs)
    assert result.survived is True and result.runway_days is None
    assert result.gap_day == 10
    assert result.closing_step == 1


def test_extra_liquidity_needed_is_exactly_what_makes_the_path_survive():
    result = run(worked_example(line_closes=True))
    # Day 59: 1,000,000 + 490,000 - 60 x 100,000 = -4,510,000.
    assert result.extra_liquidity_needed == 4_510_000.00
    assert result.deepest_deficit == 4_510_000.00
    enough = worked_example(line_closes=True, horizon=60)
    enough = enough.replace_scenario(opening_cash=1_000_000 + result.extra_liquidity_needed)
    assert run(enough).survived is True
    short = enough.replace_scenario(opening_cash=1_000_000 + result.extra_liquidity_needed - 0.01)
    assert run(short).runway_days == 59


# --- lender actions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("notice", "runway"), [(3, 5), (0, 2)])
def test_reduce_makes_the_excess_fall_due_after_the_notice(notice, runway):
    sc = scenario(10, 100, shocks=(ShockInput(target_type="channel", target="rcf", action="reduce", day=2,
                                              reduce_by=0.5),))  # fmt: skip
    result = drill(sc, [line("rcf", limit=1000, drawn=800, notice_days=notice)])
    # Limit 1000 -> 500 on day 2; the 300 drawn above it is due on day 2 + notice: 100 - 300 = -200.
    assert result.runway_days == runway
    assert liquidity(result)[:2] == [300, 300]
    assert liquidity(result)[runway] == -200


def test_freeze_stops_draws_for_k_days_then_the_line_reopens():
    flows = np.zeros(10)
    flows[[3, 6]] = -50
    sc = scenario(10, 0, flows, shocks=(ShockInput(target_type="channel", target="rcf", action="freeze", day=2,
                                                   freeze_days=3),))  # fmt: skip
    result = drill(sc, [line("rcf", limit=100)])
    # Frozen on days 2, 3, 4: day 3's payment cannot be drawn; day 5 the line reopens and covers it.
    assert liquidity(result) == [100, 100, 0, -50, -50, 50, 0, 0, 0, 0]
    assert result.runway_days == 3
    assert result.deepest_deficit == 50


@pytest.mark.parametrize(("due_day", "liquidity_day_5"), [(3, 600), (5, 600)])
def test_a_frozen_line_does_not_roll_over(due_day, liquidity_day_5):
    principal = np.zeros(8)
    principal[due_day] = 500
    sc = scenario(8, 600, shocks=(ShockInput(target_type="channel", target="rcf", action="freeze", day=2,
                                             freeze_days=3),))  # fmt: skip
    result = drill(sc, [line("rcf", limit=500, drawn=500, rolls_over=True, principal_due=principal)])
    liq = liquidity(result)
    if due_day == 3:  # during the freeze: repaid from cash; after reopening the repaid 500 is headroom again
        assert liq[3] == 100
    else:  # after reopening: rolled over, cash untouched
        assert liq[3] == 600
    assert liq[5] == liquidity_day_5


def test_call_closes_the_line_and_everything_drawn_falls_due_after_the_notice():
    sc = scenario(6, 1000, shocks=(ShockInput(target_type="channel", target="rcf", action="call", day=1),))
    result = drill(sc, [line("rcf", limit=1000, drawn=600, notice_days=2)])
    assert liquidity(result)[:4] == [1400, 1000, 1000, 400]
    assert result.min_liquidity == 400 and result.min_liquidity_day == 3
    assert result.survived is True


@pytest.mark.parametrize(
    ("channel_type", "rolls_over", "shock", "runway"),
    [
        ("revolving_credit", True, None, None),  # an open rolling line refinances its own maturity
        ("bank_term_loan", False, None, 2),  # repaid from cash; a term loan's repaid principal is not headroom
        ("revolving_credit", True, 1, 2),  # closed the day before: no longer rolls over
        ("revolving_credit", False, None, None),  # repaid, then the restored headroom is drawn again
    ],
)
def test_rollover_only_while_the_line_is_open(channel_type, rolls_over, shock, runway):
    principal = np.zeros(5)
    principal[2] = 500
    sc = scenario(5, 300, shocks=(close("rcf", shock),) if shock is not None else ())
    channel = line("rcf", channel_type=channel_type, limit=500, drawn=500, rolls_over=rolls_over,
                   principal_due=principal)  # fmt: skip
    result = drill(sc, [channel])
    assert result.runway_days == runway
    if runway is not None:
        assert liquidity(result)[2] == -200


def test_maturity_repays_everything_drawn_and_removes_the_headroom():
    sc = scenario(5, 400)
    result = drill(sc, [line("loan", channel_type="bank_term_loan", limit=300, drawn=300, maturity_day=3),
                        line("rcf", limit=500, maturity_day=2)])  # fmt: skip
    assert liquidity(result) == [900, 900, 400, 100, 100]


# --- lenders' risk control -----------------------------------------------------------------------------------------


def _downgrade_drill(rank, notches, plan=None):
    sc = scenario(30, 0, -10, own_rating_rank=rank, own_downgrade_notches=notches)
    channels = [
        line("a", limit=100, triggers=(TriggerInput(kind="own_rating_below", rating_rank=10, action="close"),)),
        line("b", limit=50, triggers=(TriggerInput(kind="own_rating_below", rating_rank=12, action="close"),)),
    ]
    return drill(sc, channels, plan=plan)


def test_own_downgrade_fires_the_triggers_whose_rating_it_falls_below():
    plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="other", amount=0.0),))
    # BBB (9) down two notches to 11 crosses line a's trigger at 10, not line b's at 12: only b's 50 is left.
    result = _downgrade_drill(9, 2, plan)
    assert result.runway_days == 5
    assert result.plan_activation_day == 0
    assert _downgrade_drill(9, 0).runway_days == 15  # no downgrade: 150 of lines at 10 a day
    # Already worse than 10 on day 0 (rank 11), the clause of line a is breached: its lender may act at once, and a
    # careful drill assumes it does (DESIGN: numbers are never optimistic by accident). 12 is not worse than 12.
    assert _downgrade_drill(11, 0).runway_days == 5
    assert _downgrade_drill(11, 1).runway_days == 5
    assert _downgrade_drill(11, 2).runway_days == 0  # 13 is worse than both: nothing is left to draw on day 0
    assert _downgrade_drill(19, 5).runway_days == 0  # CC down five stops at C, still worse than both


@pytest.mark.parametrize(("days", "runway"), [(None, 3), (1, 3), (2, 4), (9, 5)])
def test_utilisation_trigger_fires_after_its_consecutive_days(days, runway):
    trigger = TriggerInput(kind="utilisation_above", level=0.5, days=days, action="close")
    plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="other", amount=0.0),))
    # Draws of 20 a day: utilisation seen in step 2 is 0, .2, .4, .6, .8 on days 0-4; the limit is gone on day 5.
    result = drill(scenario(10, 0, -20), [line("rcf", limit=100, triggers=(trigger,))], plan=plan)
    assert result.runway_days == runway
    if runway < 5:
        assert result.plan_activation_day == runway


def test_supply_chain_finance_snaps_back_at_once_not_after_notice():
    scf = line("scf", channel_type="supply_chain_finance", limit=500, drawn=400, notice_days=30, rolls_over=True)
    rcf = line("scf", limit=500, drawn=400, notice_days=30, rolls_over=True)
    closed = scenario(5, 300, shocks=(close("scf", 2),))
    assert drill(closed, [scf]).runway_days == 2  # 300 - 400: the financed payables fall due on the shock day
    assert drill(closed, [rcf]).survived is True  # a closed revolver runs off on its (empty) schedule
    frozen = scenario(5, 300, shocks=(ShockInput(target_type="all", action="freeze", day=1, freeze_days=2),))
    assert liquidity(drill(frozen, [scf])) == [400, -100, -100, 400, 400]  # reopens on day 3 with 500 headroom
    reduced = scenario(5, 300, shocks=(ShockInput(target_type="all", action="reduce", day=1, reduce_by=0.5),))
    assert liquidity(drill(reduced, [scf])) == [400, 150, 150, 150, 150]  # 150 above the new 250 limit, at once


# --- the plan ------------------------------------------------------------------------------------------------------


def test_deterministic_drill_counts_a_step_with_zero_success_probability_as_failing():
    inputs = worked_example(line_closes=True)
    failing = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="liquidate_pool", pool_key="mmf",
                                                             success_probability=0.0),))  # fmt: skip
    result = run(DrillInputs(inputs.scenario, inputs.channels, inputs.pools, failing))
    assert result.runway_days == 10
    assert result.contingency_used == 0


def test_monte_carlo_step_failure_is_drawn_per_path():
    inputs = worked_example(line_closes=True, horizon=30)
    base = inputs.replace_scenario(kind="monte_carlo", paths=400, seed=3, block_size=128)
    never_acts = (line("rcf", limit=2_000_000, action_probability=0.0),)
    for success, share in ((0.0, 0.0), (0.5, 0.5), (1.0, 1.0)):
        plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="liquidate_pool", pool_key="mmf",
                                                              success_probability=success),))  # fmt: skip
        result = run(DrillInputs(base.scenario, never_acts, inputs.pools, plan), with_channel_impact=False)
        assert result.survival_probability == 0
        rescued = result.contingency_used / 490_000  # mean delivered / 490,000 = share of paths whose step worked
        assert rescued == pytest.approx(share, abs=0.08)
        assert result.runway_days["p1"] == (14 if success == 1.0 else 10)
        assert result.runway_days["p50"] in (10, 14)


def test_buffer_draws_go_to_the_cheapest_line_first_and_accrue_interest():
    flows = np.array([-5_000_000.0, 0.0, 0.0])
    sc = scenario(3, 10_000_000, flows, min_cash_buffer=10_000_000)
    result = drill(sc, [line("expensive", limit=10_000_000, annual_rate=0.10),
                        line("cheap", limit=3_000_000, annual_rate=0.02),
                        line("middle", limit=10_000_000, annual_rate=0.05)])  # fmt: skip
    # Day 0: 5,000,000 drawn: 3,000,000 cheap + 2,000,000 middle. Day 1: interest (60,000 + 100,000) / 365,
    # drawn again from the middle line to hold the buffer.
    interest = (3_000_000 * 0.02 + 2_000_000 * 0.05) / 365
    assert liquidity(result)[0] == 28_000_000
    assert liquidity(result)[1] == round(28_000_000 - interest, 2)


def test_scheduled_interest_is_paid_even_on_a_rolling_line():
    interest = np.full(3, 5.0)
    result = drill(scenario(3, 100), [line("rcf", limit=1000, drawn=1000, rolls_over=True, interest_due=interest)])
    assert liquidity(result) == [95, 90, 85]


def _backup_drill(shock, flow=0.0, cash=1000.0):
    pool = PoolInput(key="standby", kind="backup_line", amount=400, channel_key="standby")
    plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="draw_backup_line", pool_key="standby",
                                                          lead_time_days=2),))  # fmt: skip
    channels = [line("standby", limit=500), line("other", limit=0)]
    return drill(scenario(5, cash, flow, shocks=(shock,) if shock else ()), channels, [pool], plan)


def test_backup_line_delivers_by_drawing_its_channel():
    result = _backup_drill(close("other", 1))
    assert result.contingency_used == 400
    assert liquidity(result) == [1000, 1000, 1000, 1400, 1400]  # the standby line is contingency, not liquidity


@pytest.mark.parametrize(
    "shock",
    [close("standby", 1), ShockInput(target_type="channel", target="standby", action="freeze", day=1, freeze_days=5)],
)
def test_backup_line_delivers_nothing_when_its_channel_is_shut(shock):
    result = _backup_drill(shock)
    assert result.plan_activation_day == 1
    assert result.contingency_used == 0


def test_backup_line_is_only_drawn_by_its_plan_step():
    assert _backup_drill(None, flow=-10, cash=0).runway_days == 0


@pytest.mark.parametrize("lead", [2, 0])
def test_below_threshold_plan_activates_on_the_first_day_liquidity_is_below(lead):
    pool = PoolInput(key="mmf", kind="money_market_fund", amount=300, days_to_cash=lead)
    plan = PlanInput(trigger="below_threshold", threshold=500,
                     steps=(StepInput(order=1, action="liquidate_pool", pool_key="mmf"),))  # fmt: skip
    result = drill(scenario(20, 1000, -100), pools=[pool], plan=plan)
    # Cash after day t is 900 - 100 t: 500 on day 4 (not below), 400 on day 5: activation day 5.
    assert result.plan_activation_day == 5
    assert liquidity(result)[5 + lead] == 1000 - 100 * (6 + lead) + 300
    assert result.runway_days == 13  # 1,300 lasts through day 12
    assert drill(scenario(20, 1000, -100)).runway_days == 10


@pytest.mark.parametrize(("capacity", "runway", "used"), [(100.0, 7, 100), (None, 8, 30 * 7)])
def test_cut_discretionary_cancels_outflows_from_activation_plus_lead(capacity, runway, used):
    plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="cut_discretionary", amount=capacity,
                                                          lead_time_days=1),))  # fmt: skip
    sc = scenario(10, 500, -50, discretionary_outflows=np.full(10, 30.0), shocks=(close("x", 2),))
    result = drill(sc, [line("x")], plan=plan)
    # -80 a day; from day 3 the cut gives 30 back a day (capacity 100: 30, 30, 30, 10).
    assert liquidity(result)[3] == 500 - 4 * 80 + 30
    assert result.runway_days == runway
    assert result.contingency_used == used


def test_channel_impact_ranks_the_channel_whose_loss_hurts_most_first():
    inputs = DrillInputs(scenario(200, 0, -10_000), (line("small", limit=100_000), line("big", limit=1_000_000)))
    ranking = channel_impact(inputs)
    assert [r["channel_key"] for r in ranking] == ["big", "small"]
    assert ranking[0]["runway_days"] == 10 and ranking[0]["runway_impact_days"] == 100
    assert ranking[1]["runway_days"] == 100 and ranking[1]["runway_impact_days"] == 10
    assert ranking[0]["min_liquidity_impact"] == 1_000_000


def test_channel_impact_is_not_masked_by_an_on_shock_plan_reacting_to_the_closure():
    # Without a shock the plan never runs; if the test closure activated it, losing a line would look helpful.
    pool = PoolInput(key="mmf", kind="money_market_fund", amount=5_000_000)
    plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="liquidate_pool", pool_key="mmf"),))
    inputs = DrillInputs(scenario(200, 0, -10_000), (line("small", limit=100_000), line("big", limit=1_000_000)),
                         (pool,), plan)  # fmt: skip
    assert [r["runway_impact_days"] for r in channel_impact(inputs)] == [100, 10]
