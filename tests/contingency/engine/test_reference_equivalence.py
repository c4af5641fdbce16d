"""The vectorised engine and the plain per-path loop are two statements of the same rules: they must agree."""

import re
from pathlib import Path

import numpy as np
import pytest

import contingency
from contingency.engine.model import prepare
from contingency.engine.randomness import draw_block
from contingency.engine.simulate import simulate_paths
from tests.contingency.engine.builders import random_inputs, worked_example
from tests.contingency.engine.reference import simulate_paths_reference

INTEGER_OUTCOMES = (
    "runway", "min_liquidity_day", "gap_day", "closing_step", "activation_day", "breach_day", "own_rank", "action_day",
    "action_code",
)  # fmt: skip
MONEY_OUTCOMES = (
    "min_liquidity", "deepest_deficit", "contingency_used", "contingency_cost", "final_cash", "liquidity",
    "buffer_margin", "action_lost",
)  # fmt: skip


def assert_same_paths(inputs, block_index=0):
    n_paths = min(inputs.scenario.paths, inputs.scenario.block_size)
    draws = draw_block(inputs, block_index, n_paths)
    fast = simulate_paths(prepare(inputs), draws, policy_days=inputs.scenario.policy_days)
    slow = simulate_paths_reference(inputs, draws)
    for name in MONEY_OUTCOMES:
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-9, atol=1e-6, err_msg=name)
    for name in INTEGER_OUTCOMES:
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)


@pytest.mark.parametrize("line_closes", [False, True])
def test_worked_example_agrees_with_reference_loop(line_closes):
    assert_same_paths(worked_example(line_closes=line_closes))


@pytest.mark.parametrize("case", range(150))
def test_random_deterministic_drills_agree_with_reference_loop(case):
    assert_same_paths(random_inputs(np.random.default_rng([1, case]), monte_carlo=False))


@pytest.mark.parametrize("case", range(40))
def test_random_drills_judged_on_a_shorter_policy_horizon_agree_with_reference_loop(case):
    inputs = random_inputs(np.random.default_rng([3, case]), monte_carlo=case % 2 == 1)
    horizon = inputs.scenario.horizon_days
    assert_same_paths(inputs.replace_scenario(policy_horizon_days=max(1, horizon // 2)), block_index=case % 3)


@pytest.mark.parametrize("case", range(150))
def test_random_monte_carlo_blocks_agree_with_reference_loop(case):
    assert_same_paths(random_inputs(np.random.default_rng([2, case]), monte_carlo=True), block_index=case % 3)


def test_the_reference_loop_is_a_test_oracle_the_product_does_not_ship_or_import():
    product = Path(contingency.__file__).parent
    assert not (product / "engine" / "reference.py").exists()
    importing_tests = re.compile(r"^\s*(from|import)\s+tests\b", re.M)
    assert [p for p in product.rglob("*.py") if importing_tests.search(p.read_text(encoding="utf-8"))] == []
