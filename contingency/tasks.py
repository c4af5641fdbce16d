"""Celery tasks: take ids, load, call one service. All are acks_late and safe to redeliver."""

from celery import shared_task

from . import drills

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(bind=True, **TASK_OPTIONS)
def run_drill_task(self, run_id: int) -> None:
    """Claim a run; simulate it here when small (or without a broker), else fan its blocks out to the workers."""
    try:
        run = drills.claim(run_id)
        if run is None:
            return
        missing = drills.missing_blocks(run)
        if self.request.is_eager or len(missing) <= 1:
            drills.drill_run_here(run)
            return
        for index in missing:
            run_block_task.delay(run_id, index)
        drills.drill_finish(run_id)  # a redelivered run whose blocks were all done finishes here
    except Exception as exc:
        drills.drill_fail(run_id, exc)
        raise


@shared_task(**TASK_OPTIONS)
def run_block_task(run_id: int, index: int) -> None:
    """Simulate one block; whoever stores the last block combines the run."""
    try:
        drills.block_execute(run_id, index)
        drills.drill_finish(run_id)
    except Exception as exc:
        drills.drill_fail(run_id, exc)
        raise


@shared_task(**TASK_OPTIONS)
def scheduled_drill_task(schedule_id: int) -> None:
    drills.scheduled_drill_start(schedule_id)
