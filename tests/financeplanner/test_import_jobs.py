"""Big spreadsheets are parsed by a real Celery worker, not the web process (issue 9 item 5): a 202 with a job, its
progress polled over the API and on the page (htmx), company-scoped, and a redelivered task that does no harm."""

import csv
import io
import re
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from channels_app.models import Counterparty
from financeplanner import importing
from financeplanner.models import ImportJob
from financeplanner.tasks import import_job_task

WORKER = "fpleft-imports"  # own log file under .pytest-workers: other suites' workers use other names
NOTES = "Relationship bank for the working-capital lines; reviewed each quarter. " * 4  # ~290 characters


def counterparty_csv(count: int, *, bad_row: int | None = None, name: str = "lenders.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "kind", "country", "notes"])
    for number in range(1, count + 1):
        writer.writerow([f"Bank {number:05d}", "no-such-kind" if number == bad_row else "bank", "CN", NOTES])
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def finished(api, job_id: int, timeout: float = 90) -> tuple[dict, list[int]]:
    """Poll the job as a client would; the job once finished and every progress value seen on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get(f"/api/v1/import-jobs/{job_id}/")
        assert response.status_code == 200
        job = response.json()
        seen.append(job["progress"])
        if job["status"] in ("succeeded", "failed"):
            return job, seen
        time.sleep(0.1)
    raise AssertionError(f"import job {job_id} did not finish within {timeout} s: {job}")


@pytest.mark.django_db(transaction=True)
def test_a_file_above_one_megabyte_is_checked_by_a_worker_and_then_committed(company, analyst, api_as, start_worker):
    start_worker(WORKER)
    api = api_as(analyst)
    upload = counterparty_csv(3_600)
    assert upload.size > 1024 * 1024  # above the threshold without any switch

    response = api.post("/api/v1/imports/counterparties/", {"file": upload, "commit": "false"}, format="multipart")
    assert response.status_code == 202, response.content[:300]
    assert response["Location"].endswith(f"/api/v1/import-jobs/{response.json()['id']}/")
    assert response.json()["status"] == "queued" and response.json()["dry_run"] is True
    job, seen = finished(api, response.json()["id"])
    assert job["status"] == "succeeded" and job["error"] == ""
    assert job["report"]["total_rows"] == 3_600 and job["report"]["valid_rows"] == 3_600
    assert job["report"]["committed"] is False and job["report"]["errors"] == []
    assert seen == sorted(seen) and seen[-1] == 100  # progress only goes forward, and ends at 100
    assert Counterparty.objects.count() == 0  # a dry run writes nothing

    response = api.post(
        "/api/v1/imports/counterparties/?async=1", {"file": counterparty_csv(50), "commit": "true"}, format="multipart"
    )
    assert response.status_code == 202
    job, _ = finished(api, response.json()["id"])
    assert job["status"] == "succeeded" and job["report"]["created"] == 50
    assert Counterparty.objects.filter(company=company).count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_background_commit_with_one_bad_row_fails_and_writes_nothing(company, analyst, api_as, start_worker):
    start_worker(WORKER)
    api = api_as(analyst)
    response = api.post(
        "/api/v1/imports/counterparties/?async=1",
        {"file": counterparty_csv(30, bad_row=17), "commit": "true"},
        format="multipart",
    )
    assert response.status_code == 202
    job, _ = finished(api, response.json()["id"])
    assert job["status"] == "failed" and "nothing was imported" in job["error"]
    assert [(error["row"], error["column"]) for error in job["report"]["errors"]] == [(18, "kind")]  # header = row 1
    assert Counterparty.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_import_task_delivered_twice_commits_the_rows_once(company, analyst, api_as, start_worker):
    start_worker(WORKER, concurrency=2)
    api = api_as(analyst)
    response = api.post(
        "/api/v1/imports/counterparties/?async=1", {"file": counterparty_csv(400), "commit": "true"}, format="multipart"
    )
    assert response.status_code == 202
    import_job_task.delay(response.json()["id"])  # the broker hands the same job out again, at once
    job, _ = finished(api, response.json()["id"])
    time.sleep(1)  # the duplicate has had time to run
    assert job["status"] == "succeeded" and job["report"]["created"] == 400
    assert Counterparty.objects.filter(company=company).count() == 400
    import_job_task.delay(job["id"])  # and once more, long after it finished
    time.sleep(1.5)
    assert Counterparty.objects.filter(company=company).count() == 400
    assert ImportJob.objects.get(pk=job["id"]).attempt == 1  # only the first delivery claimed it


def test_a_job_left_running_by_a_dead_worker_is_claimed_again_only_once_stalled(company, analyst, settings):
    settings.IMPORT_JOB_STALL_SECONDS = 60
    job = ImportJob.objects.create(
        company=company, created_by=analyst, dataset="counterparties", filename="lenders.csv",
        file=counterparty_csv(5).read(), dry_run=False, status="running", attempt=1,
    )  # fmt: skip
    importing.import_job_run(job.pk)  # its first worker may still be at it: leave it
    assert Counterparty.objects.count() == 0 and ImportJob.objects.get(pk=job.pk).status == "running"
    ImportJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at.replace(year=2000))
    importing.import_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempt, job.report["created"]) == ("succeeded", 2, 5)
    assert Counterparty.objects.count() == 5 and bytes(job.file) == b""


def test_another_companys_import_job_is_a_404(company, analyst, outsider, viewer, api_as):
    job = ImportJob.objects.create(company=company, created_by=analyst, dataset="channels", filename="x.csv", file=b"")
    assert api_as(outsider).get(f"/api/v1/import-jobs/{job.pk}/").status_code == 404
    assert job.pk not in [row["id"] for row in api_as(outsider).get("/api/v1/import-jobs/").json()["results"]]
    assert api_as(viewer).get(f"/api/v1/import-jobs/{job.pk}/").json()["status"] == "queued"
    outsider_page = Client()
    outsider_page.force_login(outsider)
    assert outsider_page.get(f"/import/jobs/{job.pk}/").status_code == 404


def test_a_broken_workbook_above_the_threshold_is_refused_at_once_not_queued(company, analyst, api_as):
    upload = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\0" * (1024 * 1024 + 10))
    response = api_as(analyst).post("/api/v1/imports/channels/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The file is not a valid .xlsx workbook."
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_import_page_shows_a_big_files_progress_with_htmx_and_commits_it(company, analyst, settings, start_worker):
    settings.IMPORT_ASYNC_BYTES = 20_000  # the web process's threshold (1 MB is tried over the API above)
    start_worker(WORKER)
    page = Client()
    page.force_login(analyst)
    response = page.post("/import/", {"dataset": "counterparties", "file": counterparty_csv(300)})
    assert response.status_code == 302
    job_url = response["Location"]
    assert re.fullmatch(r"/import/jobs/\d+/", job_url)

    first = page.get(job_url)
    html = first.content.decode()
    assert 'hx-get="' + job_url + '"' in html and 'hx-trigger="every 1s"' in html
    assert "<progress" in html
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)  # under the CSP: no inline script
    deadline = time.monotonic() + 90
    while (poll := page.get(job_url, headers={"HX-Request": "true"})).get("HX-Redirect") is None:
        assert poll.status_code == 200 and 'id="import-job-progress"' in poll.content.decode()
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.2)
    assert poll["HX-Redirect"] == job_url
    report = page.get(job_url).content.decode()
    assert "300 of 300 rows are valid." in report and "Import 300 rows" in report
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]

    response = page.post("/import/", {"job": job_id, "commit": "1"})
    assert response.status_code == 302 and response["Location"] != job_url
    commit_url = response["Location"]
    deadline = time.monotonic() + 90
    while page.get(commit_url, headers={"HX-Request": "true"}).get("HX-Redirect") is None:
        assert time.monotonic() < deadline, "the commit did not finish"
        time.sleep(0.2)
    assert "Imported 300 rows." in page.get(commit_url).content.decode()
    assert Counterparty.objects.filter(company=company).count() == 300
    again = page.post("/import/", {"job": job_id, "commit": "1"}, follow=True)  # the checked file is used up
    assert "upload the file again" in again.content.decode()
    assert Counterparty.objects.filter(company=company).count() == 300


def test_an_import_job_whose_queue_message_was_lost_is_handed_out_again_by_the_sweeper(company, analyst):
    # As if the broker took the upload's row but lost its message: queued, untouched for two minutes.
    job = ImportJob.objects.create(
        company=company, created_by=analyst, dataset="counterparties", filename="lenders.csv",
        file=counterparty_csv(4).read(), dry_run=False,
    )  # fmt: skip
    assert importing.import_jobs_sweep()["requeued"] == 0  # a fresh job has its own message still coming
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    assert importing.import_jobs_sweep()["requeued"] == 1  # tasks run inline here: the job runs at once
    job.refresh_from_db()
    assert (job.status, job.report["created"]) == ("succeeded", 4)
    assert Counterparty.objects.count() == 4
    assert importing.import_jobs_sweep()["requeued"] == 0  # nothing left to hand out, nothing imported twice


def test_a_check_never_committed_lets_go_of_its_file_after_a_day(company, analyst):
    old = timezone.now() - timedelta(days=2)
    job = ImportJob.objects.create(
        company=company, created_by=analyst, dataset="counterparties", filename="lenders.csv", file=b"a,b",
        dry_run=True, status="succeeded", finished_at=old,
    )  # fmt: skip
    assert importing.import_jobs_sweep()["expired"] == 1
    job.refresh_from_db()
    assert bytes(job.file) == b""
