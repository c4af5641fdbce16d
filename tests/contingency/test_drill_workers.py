"""Drills on real Celery workers over Redis: end to end, split across workers, and a worker killed mid-drill.

Same seed, same numbers: a run gives the same results inline, on one worker and split across two.
"""

import json
import time
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contingency import engine
from contingency.engine.inputs import DrillInputs
from contingency.models import DrillBlock, DrillRun
from tests.contingency.drill_fixtures import monte_carlo_scenario, worked_example
from tests.factories import FundingChannelFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def wait_for(run_id: int, timeout: float = 90) -> DrillRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = DrillRun.objects.get(pk=run_id)
        if run.status in ("succeeded", "failed"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"drill {run_id} still {run.status} after {timeout}s (progress {run.progress})")


def inline_results(run: DrillRun) -> dict:
    """The same snapshot simulated in this process, in one go."""
    return json.loads(json.dumps(engine.run(DrillInputs.from_dict(run.snapshot)).to_dict(), default=float))


def test_a_worker_runs_the_worked_example_end_to_end(company, analyst, start_worker):
    example = worked_example(company)
    worker = start_worker("w1")
    response = client_for(analyst).post("/api/v1/drills/", {"scenario": example["line_closes"].pk,
                                                             "plan": example["plan"].pk}, format="json")  # fmt: skip
    assert response.status_code == 202
    run = wait_for(response.json()["id"])
    assert run.status == "succeeded", run.error
    assert run.results["runway_days"] == 14 and run.progress == 100
    assert "w1@" in DrillBlock.objects.get(run=run).worker
    assert "run_drill_task" in worker.output()


def test_same_seed_same_numbers_inline_one_worker_and_two_workers(company, analyst, start_worker, settings):
    settings.DRILL_BLOCK_SIZE = 128
    worked_example(company)
    scenario = monte_carlo_scenario(company, paths=1280)
    client = client_for(analyst)

    one = start_worker("solo")
    first = wait_for(client.post("/api/v1/drills/", {"scenario": scenario.pk}, format="json").json()["id"])
    one.stop()
    start_worker("left")
    start_worker("right")
    second = wait_for(client.post("/api/v1/drills/", {"scenario": scenario.pk}, format="json").json()["id"])

    assert first.status == second.status == "succeeded"
    assert first.blocks_total == second.blocks_total == 10
    assert {w.split("@")[0] for w in second.blocks.values_list("worker", flat=True)} == {"left", "right"}
    assert first.results == second.results  # to the last digit
    assert first.results == inline_results(first)
    assert 0 < first.results["survival_probability"] < 1


def test_a_worker_killed_mid_drill_leaves_the_run_to_another_worker(company, analyst, start_worker, settings):
    settings.DRILL_BLOCK_SIZE = 1024
    worked_example(company)
    for _ in range(40):  # enough channels and days that each block takes a noticeable time
        FundingChannelFactory(company=company, limit=Decimal("10000"), maturity_date=date(2028, 1, 1))
    scenario = monte_carlo_scenario(company, paths=1024 * 40, horizon_days=365)
    quick_redelivery = {
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    victim = start_worker("victim", extra_env=quick_redelivery)
    run_id = client_for(analyst).post("/api/v1/drills/", {"scenario": scenario.pk}, format="json").json()["id"]
    deadline = time.monotonic() + 60
    while DrillBlock.objects.filter(run_id=run_id).count() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.kill()  # SIGKILL, main process and pool child: the message it held is never acknowledged
    done_by_victim = DrillBlock.objects.filter(run_id=run_id).count()
    assert 3 <= done_by_victim < 40 and DrillRun.objects.get(pk=run_id).status == "running"

    start_worker("rescuer", extra_env=quick_redelivery)
    run = wait_for(run_id, timeout=120)

    assert run.status == "succeeded", run.error
    blocks = list(run.blocks.values_list("index", "worker"))
    assert sorted(i for i, _ in blocks) == list(range(40))  # nothing lost, nothing duplicated
    assert {w.split("@")[0] for _, w in blocks} == {"victim", "rescuer"}
    assert run.results == inline_results(run)
