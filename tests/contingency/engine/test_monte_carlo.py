"""Monte Carlo drills: limits that must equal deterministic drills, convergence, and exact block combination."""

import json
import math

import numpy as np
import pytest

from contingency.engine import (
    BlockResult,
    DrillInputs,
    PlanInput,
    PoolInput,
    ShockInput,
    StepInput,
    block_layout,
    combine,
    run,
    simulate_block,
)
from contingency.engine.randomness import action_probability, draw_block
from contingency.engine.sketch import quantile_rank
from tests.contingency.engine.builders import line, paths, random_inputs, scenario

COMPARABLE = (
    "horizon_days", "target_survival_probability", "min_liquidity", "min_liquidity_day", "liquidity_at_risk_95",
    "liquidity_at_risk_99", "extra_liquidity_needed", "deepest_deficit", "contingency_used", "contingency_cost", "fan",
)  # fmt: skip


def company(probability, **scenario_overrides):
    """A platform-heavy company with a plan; every channel's lender acts with the given probability."""
    channels = (
        line("bank", limit=3_000, drawn=1_000, annual_rate=0.04, action_probability=probability),
        line("platform", channel_type="small_loan_platform", committed=False, limit=2_000, drawn=1_500,
             annual_rate=0.12, notice_days=5, action_probability=probability),
        line("scf", channel_type="supply_chain_finance", limit=1_500, drawn=1_200, rolls_over=True,
             annual_rate=0.06, action_probability=probability),
    )  # fmt: skip
    pools = (PoolInput(key="mmf", kind="money_market_fund", amount=2_000, haircut=0.02, days_to_cash=3),)
    plan = PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="liquidate_pool", pool_key="mmf"),))
    sc = scenario(90, 1_000, -60, min_cash_buffer=200, **scenario_overrides)
    return DrillInputs(sc, channels, pools, plan)


def monte_carlo(inputs, **overrides):
    return inputs.replace_scenario(kind="monte_carlo", **{"paths": 300, "seed": 11, "block_size": 64, **overrides})


def assert_same_as_deterministic(mc_result, det_result):
    for name in COMPARABLE:
        assert getattr(mc_result, name) == getattr(det_result, name), name
    runway = det_result.runway_days
    assert mc_result.survival_probability == (1.0 if det_result.survived else 0.0)
    assert mc_result.runway_days["p1"] == mc_result.runway_days["p50"] == runway


def test_no_lender_ever_acting_equals_the_no_shock_deterministic_drill():
    inputs = company(0.0)
    mc = run(monte_carlo(inputs), with_channel_impact=False)
    assert_same_as_deterministic(mc, run(inputs, with_channel_impact=False))
    assert mc.plan_activation_day["activated_paths"] == 0


def test_every_lender_closing_on_day_0_equals_the_all_closed_deterministic_drill():
    inputs = company(1.0)
    mc = run(monte_carlo(inputs, mc_action_kind="close", mc_action_day=0), with_channel_impact=False)
    all_closed = inputs.replace_scenario(shocks=(ShockInput(target_type="all", action="close", day=0),))
    det = run(all_closed, with_channel_impact=False)
    assert det.survived is False  # the SCF snap-back alone takes 1,200 out on day 0
    assert_same_as_deterministic(mc, det)
    assert mc.plan_activation_day["share"] == 1.0


def survival_case(paths, seed=5, hazard_multiplier=1.0, horizon=365):
    """One platform line carries the company; if its lender closes it on day 0 the company fails.

    ``action_probability`` 0.3 is a chance per year (DESIGN.md): over a horizon of H days the line is closed with
    probability 1 - 0.7 ** (H / 365), so the closed-form survival probability is 0.7 ** (H / 365).
    """
    platform = line("p", channel_type="small_loan_platform", limit=20 * horizon, action_probability=0.3)
    sc = scenario(horizon, 0, -10, kind="monte_carlo", paths=paths, seed=seed, block_size=4096,
                  mc_action_kind="close", mc_action_day=0, hazard_multiplier=hazard_multiplier)  # fmt: skip
    return DrillInputs(sc, (platform,))


def test_survival_probability_converges_as_paths_grow():
    errors = []
    for n in (500, 5_000, 50_000):
        estimate = run(survival_case(n), with_channel_impact=False).survival_probability
        sigma = math.sqrt(0.3 * 0.7 / n)
        assert abs(estimate - 0.7) < 4 * sigma, (n, estimate)
        errors.append(abs(estimate - 0.7))
    assert errors[2] < 0.01


@pytest.mark.parametrize("horizon", [30, 73, 182])
def test_action_probability_is_per_year_and_gives_the_closed_form_survival(horizon):
    expected = 0.7 ** (horizon / 365)  # 30 days: 0.97111; 73 days: 0.93114; 182 days: 0.83702
    n = 40_000
    estimate = run(survival_case(n, horizon=horizon), with_channel_impact=False).survival_probability
    assert abs(estimate - expected) < 4 * math.sqrt(expected * (1 - expected) / n), (estimate, expected)


def test_hazard_multiplier_scales_the_probability_of_acting():
    # Over a year p = 1 - (1 - 0.3) ** 2 = 0.51, so survival 0.49.
    assert run(survival_case(20_000, hazard_multiplier=2.0), with_channel_impact=False).survival_probability == (
        pytest.approx(0.49, abs=0.015)
    )


def test_platforms_act_far_more_readily_than_committed_bank_lines():
    inputs = company(None)
    bank = line("b", channel_type="bank_term_loan", counterparty_pd_1y=0.002)
    platform = line("p", channel_type="small_loan_platform", committed=False, counterparty_pd_1y=0.002)
    assert action_probability(platform, inputs) > 10 * action_probability(bank, inputs)
    stressed = inputs.replace_scenario(market_stress=2.0)
    assert action_probability(platform, stressed) > action_probability(platform, inputs)


def test_market_stress_makes_lenders_act_together():
    channels = tuple(line(f"c{i}", action_probability=0.2) for i in range(10))

    def share_of_paths_with_five_or_more_hits(stress):
        sc = scenario(30, 0, kind="monte_carlo", paths=4000, seed=1, market_stress=stress)
        draws = draw_block(DrillInputs(sc, channels), 0, 4000)
        return ((draws.event_day < 30).sum(axis=1) >= 5).mean()

    # Stress raises each probability too; correlation shows in the tail far beyond that.
    assert share_of_paths_with_five_or_more_hits(3.0) > 3 * share_of_paths_with_five_or_more_hits(0.0)


def test_same_seed_gives_the_same_numbers_however_blocks_are_run_and_combined():
    inputs = monte_carlo(company(None), paths=1000, block_size=96, market_stress=1.5, operating_volatility=0.2)
    whole = run(inputs).to_dict()
    layout = block_layout(inputs)
    assert len(layout) == 11 and layout[-1] == (10, 40)
    # Each block separately, stored as JSON as a worker would, combined in reverse order.
    stored = [json.loads(json.dumps(simulate_block(inputs, i, n).to_dict())) for i, n in reversed(layout)]
    assert combine(stored, inputs).to_dict() == whole
    # Two processes.
    assert run(inputs, workers=2).to_dict() == whole
    # A snapshot rebuilt from JSON reruns to the same numbers.
    assert run(DrillInputs.from_dict(json.loads(json.dumps(inputs.to_dict())))).to_dict() == whole


def test_combine_refuses_a_missing_or_repeated_block():
    inputs = monte_carlo(company(None), paths=200, block_size=64)
    blocks = [simulate_block(inputs, i) for i, _ in block_layout(inputs)]
    with pytest.raises(ValueError, match="missing"):
        combine(blocks[:-1], inputs)
    with pytest.raises(ValueError, match="twice"):
        combine([*blocks, blocks[0]], inputs)
    with pytest.raises(ValueError, match="paths"):
        simulate_block(inputs, 0, 10)


def test_block_results_survive_a_json_round_trip():
    inputs = monte_carlo(company(None), paths=100, block_size=100)
    block = simulate_block(inputs, 0)
    again = BlockResult.from_dict(json.loads(json.dumps(block.to_dict())))
    assert again.to_dict() == block.to_dict()


def test_sketched_quantiles_are_within_their_bucket_of_the_exact_ones():
    inputs = monte_carlo(company(None), paths=3000, block_size=3000, operating_volatility=0.5, market_stress=2.0)
    outcomes = paths(inputs)
    result = run(inputs, with_channel_impact=False)

    def exact(values, q):
        return np.sort(values)[quantile_rank(q, values.size) - 1]

    lar = exact(outcomes.min_liquidity, 0.05)
    assert lar - abs(lar) * 1e-4 - 0.01 <= result.liquidity_at_risk_95 <= lar + 0.01  # rounded down, never up
    assert result.policy["probability"] == (outcomes.breach_day < 0).mean()
    days = np.array(result.fan["days"])
    for pct in (5, 50, 95):
        fan = np.array(result.fan[f"p{pct}"])
        truth = np.array([exact(day, pct / 100) for day in outcomes.liquidity[days]])
        np.testing.assert_allclose(fan, truth, rtol=1 / 32, atol=0.01)  # within the fan grid's 3.1 % buckets
    assert result.survival_probability == (outcomes.runway < 0).mean()
    assert result.contingency_used == round(outcomes.contingency_used.mean(), 2)


def test_operating_volatility_spreads_the_fan():
    result = run(monte_carlo(company(0.0), operating_volatility=0.5), with_channel_impact=False)
    last = -1
    assert result.fan["p5"][last] < result.fan["p50"][last] < result.fan["p95"][last]


def test_a_deterministic_drill_is_one_path_whatever_paths_says():
    inputs = random_inputs(np.random.default_rng(7), monte_carlo=False).replace_scenario(paths=5000)
    assert inputs.scenario.paths == 1
    assert run(inputs).paths == 1
