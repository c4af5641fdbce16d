"""Engine inputs: a JSON snapshot reruns to the same numbers, and bad inputs are refused with a clear message."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from contingency.engine import ChannelInput, DrillInputs, PlanInput, PoolInput, ScenarioInput, StepInput, run
from tests.contingency.engine.builders import line, random_inputs, scenario


@pytest.mark.parametrize("case", range(5))
def test_a_json_snapshot_reruns_to_the_same_numbers(case):
    inputs = random_inputs(np.random.default_rng([3, case]), monte_carlo=case % 2 == 1)
    snapshot = json.loads(json.dumps(inputs.to_dict()))
    assert DrillInputs.from_dict(snapshot).to_dict() == inputs.to_dict()
    assert run(DrillInputs.from_dict(snapshot)).to_dict() == run(inputs).to_dict()


def test_results_are_plain_json():
    inputs = random_inputs(np.random.default_rng(4), monte_carlo=True)
    result = run(inputs).to_dict()
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: scenario(10, 0, np.zeros(9)), "one value per day"),
        (lambda: line("x", status="open"), "status must be one of"),
        (lambda: line("x", limit=-1), "limit must be at least 0"),
        (lambda: StepInput(order=1, action="liquidate_pool", success_probability=1.5), "at most 1"),
        (lambda: ScenarioInput(horizon_days=0, opening_cash=0, operating_flows=[]), "at least one day"),
        (lambda: DrillInputs(scenario(5, 0), (line("a"), line("a"))), "same key"),
        (lambda: DrillInputs(scenario(5, 0), (line("a", principal_due=[1.0, 2.0]),)), "principal_due"),
        (
            lambda: DrillInputs(
                scenario(5, 0),
                (),
                (),
                PlanInput(trigger="on_shock", steps=(StepInput(order=1, action="liquidate_pool", pool_key="nope"),)),
            ),  # fmt: skip
            "pool 'nope'",
        ),
        (
            lambda: DrillInputs(
                scenario(5, 0), (), (PoolInput(key="b", kind="backup_line", amount=1, channel_key="gone"),)
            ),
            "channel 'gone'",
        ),  # fmt: skip
        (lambda: ChannelInput.from_dict({**line("a").to_dict(), "colour": "red"}), "Unknown field"),
    ],
)
def test_bad_inputs_are_refused_with_a_clear_message(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_the_engine_imports_nothing_from_django():
    code = "import sys, contingency.engine; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[3]).returncode == 0
