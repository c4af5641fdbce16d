"""Faults that would strand a drill, performed for real: the broker stopped and started (a private Redis of our own,
never the shared one), a worker SIGKILLed mid-drill and another finishing it through the sweeper on beat, a beat
tick delivered twice, and one company's big drills against another's (queues by size, a window of blocks)."""

import shutil
import socket
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contingency import drills
from contingency.models import DrillBlock, DrillRun
from contingency.tasks import scheduled_drill_task
from tests.contingency.drill_fixtures import monte_carlo_scenario, worked_example
from tests.factories import CompanyFactory, FundingChannelFactory, MembershipFactory, UserFactory
from tests.workers import token_client, wait_for_drill

PRIVATE_PORT = 6390
QUICK_SWEEP = {"DRILL_SWEEP_SECONDS": "1", "DRILL_REQUEUE_SECONDS": "2", "DRILL_STALL_SECONDS": "3"}


def _use_broker(url: str) -> None:
    """Point this process's Celery app (the web side of the test) at another broker, dropping pooled connections."""
    from financeplanner.celery import app

    app.conf.update(broker_url=url, broker_write_url=url, broker_read_url=url)
    app._pool = None
    app.amqp._producer_pool = None


class PrivateRedis:
    """A redis-server of this test alone on 127.0.0.1:6390, stopped and started at will."""

    def __init__(self, port: int = PRIVATE_PORT):
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_broker(settings):
    from financeplanner.celery import app

    shared = app.conf.broker_url
    redis = PrivateRedis()
    redis.start()
    settings.CELERY_BROKER_URL = redis.url  # workers started after this use it too
    _use_broker(redis.url)
    yield redis
    redis.stop()
    _use_broker(shared)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_drill_start_answers_503_while_the_broker_is_down_and_runs_once_it_is_back(
    company, analyst, private_broker, start_worker
):
    example = worked_example(company)
    start_worker("faults-w1")
    client = token_client(analyst)
    body = {"scenario": example["line_closes"].pk, "plan": example["plan"].pk}

    private_broker.stop()
    started = time.monotonic()
    response = client.post("/api/v1/drills/", body, format="json")
    answered_in = time.monotonic() - started
    assert response.status_code == 503, response.content
    assert "queue is unreachable" in response.json()["detail"] and response["Retry-After"] == "30"
    assert not DrillRun.objects.exists()  # nothing stored that nobody would run
    assert answered_in < 5

    private_broker.start()
    response = client.post("/api/v1/drills/", body, format="json")
    assert response.status_code == 202, response.content
    run = wait_for_drill(response.json()["id"], timeout=60)  # the worker reconnected by itself
    assert run.status == "succeeded" and run.results["runway_days"] == 14


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_queued_run_whose_message_was_lost_is_started_by_the_sweeper(company, analyst, start_worker):
    example = worked_example(company)
    # Stored and committed, but its message never reached the broker (what a broker failing after the check does).
    run = drills.drill_start(company=company, scenario=example["line_closes"], plan=example["plan"], enqueue=False)
    DrillRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    start_worker("sweeper", extra_env=QUICK_SWEEP, beat=True)
    run = wait_for_drill(run.pk, timeout=30)
    assert run.status == "succeeded" and run.results["runway_days"] == 14


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_worker_killed_mid_drill_is_finished_by_another_through_the_sweeper(company, analyst, start_worker, settings):
    """No quick redelivery: the broker would give the killed worker's messages back only after an hour."""
    settings.DRILL_BLOCK_SIZE = 512
    worked_example(company)
    for _ in range(10):  # enough channels and days that each block takes a noticeable time
        FundingChannelFactory(company=company, limit=Decimal("10000"), maturity_date=date(2028, 1, 1))
    scenario = monte_carlo_scenario(company, paths=512 * 30, horizon_days=120)
    victim = start_worker("victim")
    run_id = token_client(analyst).post("/api/v1/drills/", {"scenario": scenario.pk}, format="json").json()["id"]
    deadline = time.monotonic() + 60
    while DrillBlock.objects.filter(run_id=run_id).count() < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.kill()  # SIGKILL, main process and pool child: the messages it held are never acknowledged
    done_by_victim = DrillBlock.objects.filter(run_id=run_id).count()
    assert 3 <= done_by_victim < 30 and DrillRun.objects.get(pk=run_id).status == "running"

    start_worker("rescuer", extra_env=QUICK_SWEEP, beat=True)
    rescue_started = time.monotonic()
    run = wait_for_drill(run_id, timeout=90)
    rescued_in = time.monotonic() - rescue_started

    assert run.status == "succeeded", run.error
    blocks = list(run.blocks.values_list("index", "worker"))
    assert sorted(i for i, _ in blocks) == list(range(30))  # nothing lost, nothing duplicated
    assert {w.split("@")[0] for _, w in blocks} == {"victim", "rescuer"}
    assert rescued_in < 60, rescued_in
    print(f"killed after {done_by_victim}/30 blocks; finished {rescued_in:.1f}s after the rescuer was up")


@pytest.mark.django_db
def test_a_beat_tick_delivered_twice_starts_one_drill(company, treasurer, django_capture_on_commit_callbacks):
    example = worked_example(company)
    schedule = drills.schedule_save(
        company=company, by=treasurer, name="Daily", scenario=example["line_closes"], cron="0 6 * * *"
    )
    sent = datetime(2026, 3, 2, 0, 0, 5, tzinfo=UTC)  # 08:00:05 in Shanghai: the 06:00 tick of 2 March
    deliveries = [sent, sent, sent + timedelta(seconds=40), sent + timedelta(hours=20)]  # redelivered, re-sent
    for at in deliveries:
        with django_capture_on_commit_callbacks(execute=True):
            scheduled_drill_task.apply((schedule.pk,), headers={"published_at": at.timestamp()})
    assert [r.schedule_tick.isoformat() for r in DrillRun.objects.filter(schedule=schedule)] == [
        "2026-03-01T22:00:00+00:00"  # 06:00 Shanghai on 2 March, once
    ]
    with django_capture_on_commit_callbacks(execute=True):  # the next morning's tick is a new run
        scheduled_drill_task.apply((schedule.pk,), headers={"published_at": (sent + timedelta(days=1)).timestamp()})
    assert DrillRun.objects.filter(schedule=schedule).count() == 2


def _member_of_new_company(slug: str, role: str = "analyst"):
    company = CompanyFactory(slug=slug, name=slug.title())
    user = UserFactory(username=f"{slug}-{role}")
    MembershipFactory(company=company, user=user, role=role)
    return company, user


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_big_drill_does_not_delay_another_companys_small_or_big_drill(company, analyst, start_worker, settings):
    """Company A starts two big drills; B a one-path drill and a small big one. B's finish long before A's."""
    settings.DRILL_BLOCK_SIZE = 256
    worked_example(company)
    big = monte_carlo_scenario(company, paths=256 * 60, horizon_days=60)
    other, other_analyst = _member_of_new_company("other")
    b_example = worked_example(other)
    b_big = monte_carlo_scenario(other, paths=256 * 4, horizon_days=60)
    start_worker("small", queues=["drills-small", "celery"])
    start_worker("large", queues=["drills-large"])
    a, b = token_client(analyst), token_client(other_analyst)

    a_first = a.post("/api/v1/drills/", {"scenario": big.pk}, format="json").json()["id"]
    a_second = a.post("/api/v1/drills/", {"scenario": big.pk}, format="json").json()["id"]
    deadline = time.monotonic() + 60
    while DrillBlock.objects.filter(run_id=a_first).count() < 2:
        assert time.monotonic() < deadline and DrillRun.objects.get(pk=a_first).status != "failed"
        time.sleep(0.02)
    b_started = time.monotonic()
    b_one_path = b.post("/api/v1/drills/", {"scenario": b_example["line_closes"].pk}, format="json").json()["id"]
    b_four_blocks = b.post("/api/v1/drills/", {"scenario": b_big.pk}, format="json").json()["id"]
    assert DrillRun.objects.get(pk=a_second).status == "queued"  # one big run per company at a time

    one_path = wait_for_drill(b_one_path)
    one_path_in = time.monotonic() - b_started
    four_blocks = wait_for_drill(b_four_blocks)
    four_blocks_in = time.monotonic() - b_started
    a_done = DrillBlock.objects.filter(run_id=a_first).count()
    assert one_path.status == four_blocks.status == "succeeded"
    assert a_done < 60 and DrillRun.objects.get(pk=a_first).status == "running"  # B did not wait for A's 60 blocks
    assert DrillRun.objects.get(pk=a_second).status == "queued"

    first, second = wait_for_drill(a_first, timeout=120), wait_for_drill(a_second, timeout=120)
    assert first.status == second.status == "succeeded" and second.started_at >= first.finished_at
    print(f"B's one-path drill in {one_path_in:.2f}s, its 4-block drill in {four_blocks_in:.2f}s, "
          f"while A's first 60-block drill had {a_done} blocks")  # fmt: skip
