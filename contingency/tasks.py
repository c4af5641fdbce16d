"""Celery tasks: take ids, load, call one service. All are acks_late and safe to redeliver.

Queues (see `dispatch`): one-block runs on `drills-small`, big runs and their blocks on `drills-large`, the sweeper
and everything else on the default `celery` queue.
"""

from datetime import UTC, datetime

from celery import shared_task

from . import dispatch, drills

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(bind=True, **TASK_OPTIONS)
def run_drill_task(self, run_id: int) -> None:
    """Claim a run; simulate it here when small (or without a broker), else hand its blocks out a window at a time."""
    run = None
    try:
        run = drills.claim(run_id)
        if run is None:
            return
        if self.request.is_eager or len(drills.missing_blocks(run)) <= 1:
            drills.drill_run_here(run)
        else:
            dispatch.enqueue_blocks(run_id, dispatch.window_fill(run_id))
            drills.drill_finish(run_id)  # a redelivered run whose blocks were all done finishes here
    except Exception as exc:
        drills.drill_fail(run_id, exc)
        raise
    finally:
        _next_if_over(run)


@shared_task(**TASK_OPTIONS)
def run_block_task(run_id: int, index: int) -> None:
    """Simulate one block and hand out the next; whoever stores the last block combines the run."""
    try:
        if drills.block_execute(run_id, index):
            next_index = dispatch.window_next(run_id)
            if next_index is not None:
                dispatch.enqueue_blocks(run_id, [next_index])
        if drills.drill_finish(run_id):
            _next_if_over(drills.DrillRun.objects.filter(pk=run_id).first())
    except Exception as exc:
        drills.drill_fail(run_id, exc)
        _next_if_over(drills.DrillRun.objects.filter(pk=run_id).first())
        raise


def _next_if_over(run) -> None:
    """A big run that ended frees its company's slot: start the company's next waiting big run."""
    if run is None or not dispatch.is_large(run):
        return
    run.refresh_from_db(fields=["status"])
    if run.status not in (drills.DrillStatus.QUEUED, drills.DrillStatus.RUNNING):
        dispatch.start_next_large(run.company_id)


@shared_task(bind=True, **TASK_OPTIONS)
def scheduled_drill_task(self, schedule_id: int) -> None:
    """Beat's tick of a schedule. The publish time (stamped on the message, so a redelivery keeps it) names the tick."""
    published = getattr(self.request, "published_at", None) or (self.request.headers or {}).get("published_at")
    at = datetime.fromtimestamp(float(published), tz=UTC) if published else None
    drills.scheduled_drill_start(schedule_id, published_at=at)


@shared_task(expires=60)
def sweep_drills_task() -> dict:
    """Beat, every DRILL_SWEEP_SECONDS: no queued run forgotten, no run left half-done by a dead worker."""
    return dispatch.sweep()
