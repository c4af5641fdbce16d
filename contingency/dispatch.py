"""Handing drill runs to the workers, fairly and without stranding any.

- **Queues by size.** A run of one block (every deterministic drill, Monte Carlo up to DRILL_BLOCK_SIZE paths) goes
  to `drills-small` and is simulated in one task; a bigger run and its blocks go to `drills-large`. Workers that
  consume only `drills-small` are never behind a million-path drill.
- **A window of blocks.** A big run keeps at most DRILL_BLOCK_WINDOW blocks in the queue; each stored block hands
  out the next. Two companies' big runs therefore take turns on the large workers instead of queueing one after
  the other, and a company runs at most DRILL_LARGE_RUNS_PER_COMPANY big runs at once (the next waits queued and
  starts when one finishes).
- **Small what-ifs in the request.** A deterministic drill of at most DRILL_INLINE_MAX_CHANNEL_DAYS channel-days is
  simulated by the process that starts it (`runs_in_request`): the API's answer (still 202) already says succeeded
  and carries the results. Should that process die mid-drill, the sweeper resumes the run like any stalled one.
- **No stranded run.** A start is refused (QueueUnavailable, a 503 in the API) while the broker cannot be reached,
  before anything is stored; a run whose message is lost anyway, or whose worker was killed, is picked up by the
  sweeper (`sweep`, on beat every DRILL_SWEEP_SECONDS): queued runs untouched for DRILL_REQUEUE_SECONDS are
  enqueued again, running runs with no stored block for DRILL_STALL_SECONDS are resumed (their missing blocks
  handed out again). Claims, blocks and finishing are idempotent, so a duplicate message costs a lookup.
"""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from financeplanner.models import Company, IdempotencyKey

from .choices import DrillStatus
from .models import DrillRun

logger = logging.getLogger(__name__)

SMALL_QUEUE = "drills-small"
LARGE_QUEUE = "drills-large"
BROKER_ERRORS = (OperationalError, ConnectionError, OSError)


class QueueUnavailable(ValidationError):
    """The task queue cannot be reached: nothing was stored, the caller may try again shortly."""

    def __init__(self):
        super().__init__("The task queue is unreachable right now, so the drill was not started. Try again shortly.")


def runs_in_request(inputs) -> bool:
    """Is this drill simulated within the request that starts it? A deterministic drill (one path, one block) of at
    most DRILL_INLINE_MAX_CHANNEL_DAYS channel-days costs about what a worker's round trip would add (the queue, the
    worker loading the run again, the client polling), so the treasurer's what-if answers at once."""
    scenario = inputs.scenario
    work = max(len(inputs.channels), 1) * scenario.horizon_days
    return scenario.paths == 1 and work <= settings.DRILL_INLINE_MAX_CHANNEL_DAYS


def is_large(run: DrillRun) -> bool:
    return run.blocks_total > 1


def queue_for(run: DrillRun) -> str:
    return LARGE_QUEUE if is_large(run) else SMALL_QUEUE


def broker_check() -> None:
    """Raise QueueUnavailable unless the broker answers (tasks run inline without one: nothing to check)."""
    from financeplanner.celery import app

    if app.conf.task_always_eager:
        return
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CHECK_SECONDS)
    except BROKER_ERRORS as exc:
        logger.warning("Broker unreachable, drill start refused: %s", type(exc).__name__)
        raise QueueUnavailable() from exc


def enqueue_run(run: DrillRun) -> bool:
    """Publish the run's task on its queue. A broker error is logged, not raised: the sweeper enqueues it later."""
    from .tasks import run_drill_task

    try:
        run_drill_task.apply_async((run.pk,), queue=queue_for(run))
    except BROKER_ERRORS as exc:
        logger.warning("Drill %s not enqueued (%s); the sweeper will enqueue it", run.pk, type(exc).__name__)
        return False
    return True


def enqueue_blocks(run_id: int, indexes: list[int]) -> None:
    from .tasks import run_block_task

    for index in indexes:
        run_block_task.apply_async((run_id, index), queue=LARGE_QUEUE)


@transaction.atomic
def large_slot_free(run: DrillRun) -> bool:
    """May this big run start now? Locks the company row, so two workers cannot both take its last slot."""
    Company.objects.select_for_update().filter(pk=run.company_id).first()
    running = (
        DrillRun.objects.filter(company_id=run.company_id, status=DrillStatus.RUNNING, blocks_total__gt=1)
        .exclude(pk=run.pk)
        .count()
    )
    return running < settings.DRILL_LARGE_RUNS_PER_COMPANY


def start_next_large(company_id: int) -> None:
    """A big run of the company ended: enqueue its oldest waiting big run, if any."""
    run = (
        DrillRun.objects.filter(company_id=company_id, status=DrillStatus.QUEUED, blocks_total__gt=1)
        .order_by("created_at", "id")
        .first()
    )
    if run is not None:
        enqueue_run(run)


@transaction.atomic
def window_fill(run_id: int) -> list[int]:
    """The blocks to hand out for a claimed big run: those handed out but not stored (lost with a killed worker,
    or still on their way), and enough new ones to fill the window."""
    run = DrillRun.objects.select_for_update().filter(pk=run_id, status=DrillStatus.RUNNING).first()
    if run is None:
        return []
    done = set(run.blocks.values_list("index", flat=True))
    pending = [i for i in range(run.blocks_dispatched) if i not in done]
    room = max(0, settings.DRILL_BLOCK_WINDOW - len(pending))
    cursor, fresh = run.blocks_dispatched, []
    while room and cursor < run.blocks_total:
        if cursor not in done:
            fresh.append(cursor)
            room -= 1
        cursor += 1
    DrillRun.objects.filter(pk=run_id).update(blocks_dispatched=cursor)
    return pending + fresh


@transaction.atomic
def window_next(run_id: int) -> int | None:
    """A block was stored: the next block of the run to hand out, if any is left."""
    run = DrillRun.objects.select_for_update().filter(pk=run_id, status=DrillStatus.RUNNING).first()
    if run is None:
        return None
    done = set(run.blocks.values_list("index", flat=True))
    cursor = run.blocks_dispatched
    while cursor < run.blocks_total and cursor in done:
        cursor += 1
    if cursor >= run.blocks_total:
        DrillRun.objects.filter(pk=run_id).update(blocks_dispatched=cursor)
        return None
    DrillRun.objects.filter(pk=run_id).update(blocks_dispatched=cursor + 1)
    return cursor


def sweep() -> dict:
    """Enqueue queued runs nobody touched for a while, resume running runs whose blocks stalled, drop old keys."""
    now = timezone.now()
    due = {
        DrillStatus.QUEUED: now - timedelta(seconds=settings.DRILL_REQUEUE_SECONDS),
        DrillStatus.RUNNING: now - timedelta(seconds=settings.DRILL_STALL_SECONDS),
    }
    counts = {"requeued": 0, "resumed": 0}
    for status, before in due.items():
        for run in DrillRun.objects.filter(status=status, updated_at__lt=before).order_by("created_at")[:500]:
            # Touch it first (one sweeper wins the row), so it is not handed out again before it had its chance.
            touched = DrillRun.objects.filter(pk=run.pk, status=status, updated_at=run.updated_at).update(
                updated_at=now
            )
            if touched and enqueue_run(run):
                counts["requeued" if status == DrillStatus.QUEUED else "resumed"] += 1
                logger.info("Sweeper: drill %s %s again", run.pk, status)
    IdempotencyKey.objects.filter(created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)).delete()
    return counts


# -- schedules ---------------------------------------------------------------------------------------------------


def schedule_tick(cron: str, timezone_name: str, at: datetime) -> datetime:
    """The latest time at or before `at` at which the five-field cron fires (a beat tick's identity)."""
    minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
    c = crontab(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
    )
    zone = ZoneInfo(timezone_name)
    local = at.astimezone(zone)
    day = local.date()
    for _ in range(366 * 8):  # a cron that fires at all fires within eight years (29 February on a given weekday)
        if day.month in c.month_of_year and day.day in c.day_of_month and day.isoweekday() % 7 in c.day_of_week:
            today = day == local.date()
            hours = [h for h in c.hour if not today or h <= local.hour]
            for h in sorted(hours, reverse=True):
                minutes = [m for m in c.minute if not (today and h == local.hour) or m <= local.minute]
                if minutes:
                    return datetime(day.year, day.month, day.day, h, max(minutes), tzinfo=zone)
        day = date.fromordinal(day.toordinal() - 1)
    raise ValueError(f"The cron {cron!r} never fires.")
