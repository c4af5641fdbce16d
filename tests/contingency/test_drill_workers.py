"""Drills on real Celery workers over Redis: end to end and split across workers (a worker killed mid-drill:
test_drill_faults.py).

Same seed, same numbers: a run gives the same results inline, on one worker and split across two.
"""

import json

import pytest

from contingency import engine
from contingency.engine.inputs import DrillInputs
from contingency.models import DrillBlock, DrillRun
from tests.contingency.drill_fixtures import monte_carlo_scenario, worked_example
from tests.workers import token_client, wait_for_drill

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def inline_results(run: DrillRun) -> dict:
    """The same snapshot simulated in this process, in one go."""
    return json.loads(json.dumps(engine.run(DrillInputs.from_dict(run.snapshot)).to_dict(), default=float))


def test_a_worker_runs_the_worked_example_end_to_end(company, analyst, start_worker, settings):
    settings.DRILL_INLINE_MAX_CHANNEL_DAYS = 0  # not simulated within the request: through the queue
    example = worked_example(company)
    worker = start_worker("w1")
    response = token_client(analyst).post("/api/v1/drills/", {"scenario": example["line_closes"].pk,
                                                             "plan": example["plan"].pk}, format="json")  # fmt: skip
    assert response.status_code == 202
    run = wait_for_drill(response.json()["id"])
    assert run.status == "succeeded", run.error
    assert run.results["runway_days"] == 14 and run.progress == 100
    assert "w1@" in DrillBlock.objects.get(run=run).worker
    assert "run_drill_task" in worker.output()


def test_same_seed_same_numbers_inline_one_worker_and_two_workers(company, analyst, start_worker, settings):
    settings.DRILL_BLOCK_SIZE = 128
    worked_example(company)
    scenario = monte_carlo_scenario(company, paths=1280)
    client = token_client(analyst)

    one = start_worker("solo")
    first = wait_for_drill(client.post("/api/v1/drills/", {"scenario": scenario.pk}, format="json").json()["id"])
    one.stop()
    start_worker("left")
    start_worker("right")
    second = wait_for_drill(client.post("/api/v1/drills/", {"scenario": scenario.pk}, format="json").json()["id"])

    assert first.status == second.status == "succeeded"
    assert first.blocks_total == second.blocks_total == 10
    assert {w.split("@")[0] for w in second.blocks.values_list("worker", flat=True)} == {"left", "right"}
    assert first.results == second.results  # to the last digit
    assert first.results == inline_results(first)
    assert 0 < first.results["survival_probability"] < 1
