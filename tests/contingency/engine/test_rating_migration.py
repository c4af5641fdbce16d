"""Monte Carlo migration of the company's own rating (issue 10 item 2).

Expected probabilities are computed here by hand from the published one-year transition rates of S&P's study (the
BBB row: to BB 3.43 %, B 0.42 %, CCC/C 0.09 %, D 0.15 %, not rated 6.01 %), not from the engine's functions.
"""

import math

import numpy as np
import pytest

from contingency.engine import DrillInputs, TriggerInput
from contingency.engine.model import prepare
from contingency.engine.randomness import NEVER, draw_block
from contingency.engine.simulate import simulate_paths
from tests.contingency.engine.builders import line, scenario

BBB = 8
# Downgraded within a year, given still rated: (3.43 + 0.42 + 0.09 + 0.15) / (100 - 6.01).
P_BBB_YEAR = 4.09 / 93.99
N = 40_000


def migrating(horizon=365, market_stress=0.0, rank=BBB, triggers=()):
    sc = scenario(horizon, 1_000_000, 0.0, kind="monte_carlo", paths=N, block_size=N, seed=11, own_rating_rank=rank,
                  market_stress=market_stress)  # fmt: skip
    # action_probability 0: the line's lender acts only through its trigger, never at random.
    return DrillInputs(sc, (line("p", channel_type="small_loan_platform", action_probability=0.0, triggers=triggers),))


def downgraded_share(inputs) -> float:
    draws = draw_block(inputs, 0, N)
    return float((draws.rating_day < NEVER).mean())


def test_share_of_paths_downgraded_in_a_year_is_the_transition_matrix_rate():
    share = downgraded_share(migrating())
    assert abs(share - P_BBB_YEAR) < 4 * math.sqrt(P_BBB_YEAR * (1 - P_BBB_YEAR) / N), share


@pytest.mark.parametrize("horizon", [90, 182])
def test_the_downgrade_rate_is_scaled_to_the_horizon(horizon):
    expected = 1 - (1 - P_BBB_YEAR) ** (horizon / 365)  # 90 days: 1.09 %; 182 days: 2.19 %
    share = downgraded_share(migrating(horizon))
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / N), (share, expected)


def test_market_stress_makes_downgrades_likelier():
    calm, stressed = downgraded_share(migrating()), downgraded_share(migrating(market_stress=1.0))
    # Stress scale 1 + 1 = 2 on the intensity: 1 - (1 - 4.35 %) ** 2 = 8.51 %.
    expected = 1 - (1 - P_BBB_YEAR) ** 2
    assert stressed > calm + 0.03
    assert abs(stressed - expected) < 4 * math.sqrt(expected * (1 - expected) / N)


def test_a_migrated_rating_fires_the_rating_trigger_on_its_day():
    inputs = migrating(triggers=(TriggerInput(kind="own_rating_below", rating_rank=BBB, action="close"),))
    draws = draw_block(inputs, 0, N)
    out = simulate_paths(prepare(inputs), draws)
    moved = draws.rating_day < NEVER
    assert 0.03 < moved.mean() < 0.06
    # Every downgraded path ends worse than BBB (at most C), every other path stays BBB.
    assert np.all(out.own_rank[-1][moved] > BBB) and np.all(out.own_rank[-1][moved] <= 20)
    assert np.all(out.own_rank[-1][~moved] == BBB)
    # The trigger ("below BBB") acts exactly on the downgraded paths, on the day of the downgrade.
    trigger_source = 0
    np.testing.assert_array_equal(out.action_day[trigger_source], np.where(moved, draws.rating_day, NEVER))


def test_no_migration_without_a_known_rating_or_in_a_deterministic_drill():
    assert draw_block(migrating(rank=None), 0, 10).rating_day is None
    det = DrillInputs(scenario(30, 0.0, own_rating_rank=BBB), (line(),))
    assert draw_block(det, 0, 1).rating_day is None


def test_the_report_counts_the_paths_each_lender_acted_on_and_what_it_cost():
    # A 365-day drill whose platform (limit 10,000, nothing drawn) is closed on day 0 with probability 0.3 a year:
    # the report's random row has about 30 % of the paths, its median day 0, and 10,000 of headroom lost each time.
    from contingency.engine import run

    sc = scenario(365, 1_000_000, 0.0, kind="monte_carlo", paths=20_000, block_size=5_000, seed=3,
                  mc_action_kind="close", mc_action_day=0, rating_migration=False)  # fmt: skip
    result = run(DrillInputs(sc, (line("p", channel_type="small_loan_platform", limit=10_000, action_probability=0.3),)),
                 with_channel_impact=False)  # fmt: skip
    (row,) = result.lender_actions
    assert (row["channel"], row["source"], row["action"], row["p50_day"]) == ("p", "random", "close", 0)
    assert abs(row["share"] - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 20_000)
    assert row["paths"] == round(row["share"] * 20_000)
    assert row["liquidity_lost"] == 10_000.00
    assert row["by_action"] == {"close": row["paths"]}
