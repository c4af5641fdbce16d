"""Background imports: a big upload is stored as an ImportJob and parsed, checked and committed by a worker.

The job's progress is written on a database connection of its own: the commit's one transaction is invisible to
others until it ends, and the page polling the job should see the rows being written.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import F
from django.utils import timezone

from ..choices import ImportJobStatus
from ..models import Company, ImportJob
from .report import ImportReport
from .rows import import_rows
from .specs import get_dataset

ASYNC_BYTES = 1024 * 1024  # settings.IMPORT_ASYNC_BYTES overrides it: a bigger file is parsed by a worker
JOB_STALL_SECONDS = 300  # settings.IMPORT_JOB_STALL_SECONDS: a running job untouched this long may be claimed again
QUEUE_UNREACHABLE = "The task queue is unreachable right now, so the import was not started. Try again shortly."
JOB_FAULT = "The import stopped on an unexpected fault; nothing was imported. Try again or contact support."


class ImportQueueUnavailable(Exception):
    """The job could not be handed to a worker: it is marked failed and nothing was imported."""


def async_bytes() -> int:
    return int(getattr(settings, "IMPORT_ASYNC_BYTES", ASYNC_BYTES))


def import_job_create(*, company: Company, dataset: str, content: bytes, filename: str, by, commit: bool) -> ImportJob:
    """Store the upload as a queued job and hand it to a worker (call it outside a transaction: the worker must see
    the row). Raises ImportQueueUnavailable, with the job marked failed, when the broker does not take it."""
    get_dataset(dataset)
    job = ImportJob.objects.create(
        company=company, created_by=by, dataset=dataset, filename=filename[:255], file=content, dry_run=not commit
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db(fields=["status", "error"])
    if job.status == ImportJobStatus.FAILED and job.error == QUEUE_UNREACHABLE:
        raise ImportQueueUnavailable(QUEUE_UNREACHABLE)
    return job


def import_job_commit(*, job: ImportJob, by) -> ImportJob:
    """Commit the very file a dry-run job checked: a new job on the same bytes; the checked job lets go of them."""
    with transaction.atomic():
        checked = ImportJob.objects.select_for_update().get(pk=job.pk)
        content = bytes(checked.file or b"")
        if not (checked.dry_run and checked.status == ImportJobStatus.SUCCEEDED and content):
            raise DjangoValidationError("That check has expired or was already imported; upload the file again.")
        ImportJob.objects.filter(pk=checked.pk).update(file=b"", updated_at=timezone.now())
    return import_job_create(
        company=checked.company, dataset=checked.dataset, content=content, filename=checked.filename, by=by, commit=True
    )


def _enqueue(job_id: int) -> None:
    from kombu.exceptions import OperationalError

    from ..tasks import import_job_task

    try:
        import_job_task.apply_async((job_id,), retry=False)
    except (OperationalError, ConnectionError, OSError):
        now = timezone.now()
        ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
            status=ImportJobStatus.FAILED, error=QUEUE_UNREACHABLE, file=b"", finished_at=now, updated_at=now
        )


def import_jobs_sweep() -> dict:
    """Hand out again the jobs whose queue message was lost (queued and untouched for IMPORT_JOB_REQUEUE_SECONDS)
    or whose worker died (running and untouched for IMPORT_JOB_STALL_SECONDS), and let go of the files of checks
    never committed within a day: a fault strands nothing. On beat, beside the drill sweeper."""
    now = timezone.now()
    due = {
        ImportJobStatus.QUEUED: now - timedelta(seconds=float(getattr(settings, "IMPORT_JOB_REQUEUE_SECONDS", 60))),
        ImportJobStatus.RUNNING: now
        - timedelta(seconds=float(getattr(settings, "IMPORT_JOB_STALL_SECONDS", JOB_STALL_SECONDS))),
    }
    counts = {"requeued": 0, "expired": 0}
    for status, before in due.items():
        for job in ImportJob.objects.filter(status=status, updated_at__lt=before).order_by("created_at")[:100]:
            # A queued job is touched first (one sweeper wins it); a running one keeps its stalled time, which is
            # what lets the redelivered task claim it again.
            if status == ImportJobStatus.QUEUED and not ImportJob.objects.filter(
                pk=job.pk, status=status, updated_at=job.updated_at
            ).update(updated_at=now):
                continue
            _enqueue(job.pk)
            counts["requeued"] += 1
    counts["expired"] = (
        ImportJob.objects.filter(
            status=ImportJobStatus.SUCCEEDED, dry_run=True, finished_at__lt=now - timedelta(days=1)
        )
        .exclude(file=b"")
        .update(file=b"", updated_at=now)
    )
    return counts


def import_job_claim(job_id: int) -> ImportJob | None:
    """Claim a queued job, or one whose worker died (running, untouched for JOB_STALL_SECONDS); None otherwise.

    Each claim numbers itself (`attempt`); only the latest claim can finish the job (see import_job_run)."""
    now = timezone.now()
    claim = {"status": ImportJobStatus.RUNNING, "attempt": F("attempt") + 1, "updated_at": now}
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(**claim, started_at=now)
    if not claimed:
        stall = float(getattr(settings, "IMPORT_JOB_STALL_SECONDS", JOB_STALL_SECONDS))
        claimed = ImportJob.objects.filter(
            pk=job_id, status=ImportJobStatus.RUNNING, updated_at__lt=now - timedelta(seconds=stall)
        ).update(**claim)
    if not claimed:
        return None
    return ImportJob.objects.select_related("company", "created_by").get(pk=job_id)


def import_job_run(job_id: int) -> None:
    """Run a claimed job through import_rows, telling its progress; a duplicate or retried task does nothing.

    A commit and the job's `succeeded` are written in one transaction, and only by the latest claim: two workers
    on one job can never both commit its rows."""
    job = import_job_claim(job_id)
    if job is None:
        return
    mine = ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.RUNNING, attempt=job.attempt)
    progress = _ProgressWriter(job)
    try:
        report = import_rows(
            company=job.company,
            dataset=job.dataset,
            file=io.BytesIO(bytes(job.file)),
            filename=job.filename,
            by=job.created_by,
            commit=not job.dry_run,
            progress=progress,
            seal=lambda report: _job_finish(mine, report, job.dry_run),
        )
    except Exception:
        now = timezone.now()
        mine.update(status=ImportJobStatus.FAILED, error=JOB_FAULT, file=b"", finished_at=now, updated_at=now)
        raise
    finally:
        progress.close()
    if not report.committed:
        _job_finish(mine, report, job.dry_run)


class _ProgressWriter:
    """`progress(percent)` of one claim of a job, each written and committed at once on its own connection (opened
    on first use), so it shows while the commit's transaction is open and keeps the job from looking stalled."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.connection = None

    def __call__(self, percent: int) -> None:
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.connection.ops.quote_name(ImportJob._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress = %s, updated_at = %s WHERE id = %s AND status = %s AND attempt = %s",
                [percent, timezone.now(), self.job.pk, ImportJobStatus.RUNNING, self.job.attempt],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _job_finish(mine: models.QuerySet, report: ImportReport, dry_run: bool) -> bool:
    passed = not report.errors
    error = "" if passed else "The file has problems, listed in the report; nothing was imported."
    now = timezone.now()
    return bool(
        mine.update(
            status=ImportJobStatus.SUCCEEDED if passed else ImportJobStatus.FAILED,
            progress=100,
            report=report.as_dict(),
            error=error,
            # A dry run that passed keeps the file for its commit; otherwise the bytes are no longer needed.
            **({} if passed and dry_run else {"file": b""}),
            finished_at=now,
            updated_at=now,
        )
    )
