"""Celery tasks of the core: take ids, load, call one service. Safe to redeliver (the service claims the job)."""

from celery import shared_task

from . import importing


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_job_task(job_id: int) -> None:
    """Parse, check and (unless a dry run) commit an uploaded spreadsheet outside the web process."""
    importing.import_job_run(job_id)


@shared_task
def sweep_import_jobs_task() -> dict:
    """On beat: import jobs whose message was lost or whose worker died are handed out again."""
    return importing.import_jobs_sweep()
