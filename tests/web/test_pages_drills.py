"""The drill pages: start, progress, the report and its checklist, compare; schedules, alerts and the import.

The fixed cast of tests/conftest.py: a viewer, analyst and treasurer of company A, and an outsider from company B.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_app.models import Counterparty
from contingency import drills
from contingency.models import Alert, ChecklistItem, DrillRun, DrillSchedule
from tests.factories import (
    FundingChannelFactory,
    LiquidityPoolFactory,
    PlanStepFactory,
    ScenarioFactory,
)
from tests.web.contingency_pages import count_queries, finished_run, signed_in

pytestmark = pytest.mark.django_db


# -- drills -----------------------------------------------------------------------------------------------------


def test_starting_a_drill_runs_it_and_leads_to_the_report(client, analyst, book, django_capture_on_commit_callbacks):
    signed_in(client, analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contingency:drill-add"), {"scenario": book["scenario"].pk, "plan": book["plan"].pk}
        )
    run = DrillRun.objects.exclude(pk=book["run"].pk).get()
    assert response.url == reverse("contingency:drill-progress", args=[run.pk])
    run.refresh_from_db()
    assert run.status == "succeeded"
    progress = client.get(response.url)
    assert progress.status_code == 302 and progress.url == reverse("contingency:drill-detail", args=[run.pk])
    polled = client.get(response.url, headers={"HX-Request": "true"})
    assert polled["HX-Redirect"] == reverse("contingency:drill-detail", args=[run.pk])


def test_the_progress_page_polls_while_the_run_is_queued(client, analyst, book):
    run = drills.drill_start(company=book["run"].company, scenario=book["scenario"], by=analyst, enqueue=False)
    signed_in(client, analyst)
    page = client.get(reverse("contingency:drill-progress", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'data-status="queued"' in page
    partial = client.get(reverse("contingency:drill-progress", args=[run.pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode().lower()
    assert 'value="0"' in partial.content.decode()
    # The report of an unfinished run sends the reader to its progress.
    report = client.get(reverse("contingency:drill-detail", args=[run.pk]))
    assert report.url == reverse("contingency:drill-progress", args=[run.pk])


def test_the_report_shows_the_verdict_runway_gap_and_closing_step(client, viewer, book):
    run = book["run"]
    assert run.results["runway_days"] == 14  # the worked example of DESIGN.md, with a 60-day horizon
    signed_in(client, viewer)
    html = client.get(reverse("contingency:drill-detail", args=[run.pk])).content.decode()
    # A 60-day drill under the company's 90-day policy horizon does not test the policy (D13).
    assert run.company.survival_horizon_days == 90 and run.results["policy"]["verdict"] == "not_tested"
    assert "Not tested: the drill is shorter than the policy horizon" in html
    assert "14 days" in html and "the first shortfall is on day 14" in html
    assert f"The gap opens on day {run.results['gap_day']}" in html
    assert "Step 1 of the plan closes it" in html or "No step of the plan closes it" in html
    assert "<svg" in html and 'data-action="print"' in html
    assert "Revolver" in html  # the channel ranking
    assert "Lender and bank contacts confirmed" in html  # the live-drill checklist


def test_a_monte_carlo_report_renders_percentiles(client, viewer, company, book):
    scenario = ScenarioFactory(company=company, name="MC", kind="monte_carlo", paths=64, seed=7, horizon_days=30)
    run = finished_run(company, scenario, book["plan"])
    signed_in(client, viewer)
    html = client.get(reverse("contingency:drill-detail", args=[run.pk])).content.decode()
    assert "Survival probability" in html and "64 paths" in html


def test_a_failed_run_shows_its_error(client, viewer, book):
    run = book["run"]
    DrillRun.objects.filter(pk=run.pk).update(status="failed", error="ValueError: no cash", results=None)
    signed_in(client, viewer)
    html = client.get(reverse("contingency:drill-detail", args=[run.pk])).content.decode()
    assert "The drill could not run" in html and "ValueError: no cash" in html


def record_first_item(client, run, **fields):
    """Post the first checklist item of `run` as htmx does; `fields` are the item form's fields without the prefix."""
    item = run.checklist.first()
    data = {f"item-{item.pk}-{name}": value for name, value in fields.items()}
    url = reverse("contingency:checklist-record", args=[run.pk, item.pk])
    return item, client.post(url, data, headers={"HX-Request": "true"})


def test_an_analyst_records_a_checklist_item_with_htmx(client, analyst, book):
    signed_in(client, analyst)
    item, response = record_first_item(
        client, book["run"], outcome="passed", minutes_taken="25", notes="Drew 1 CNY on the line."
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li") and "Passed" in html and "25 minutes" in html
    item.refresh_from_db()
    assert (item.outcome, item.minutes_taken, item.done_by) == ("passed", 25, analyst)


def test_a_bad_checklist_entry_is_answered_with_the_error(client, analyst, book):
    signed_in(client, analyst)
    item, response = record_first_item(client, book["run"], outcome="perhaps", minutes_taken="-3")
    assert "Select a valid choice" in response.content.decode()
    assert ChecklistItem.objects.get(pk=item.pk).outcome == "pending"


def test_compare_puts_two_runs_side_by_side(client, viewer, company, book):
    other = finished_run(company, book["scenario"], None)
    signed_in(client, viewer)
    response = client.get(reverse("contingency:drill-compare"), {"a": book["run"].pk, "b": other.pk})
    html = response.content.decode()
    assert f"#{book['run'].pk}" in html and f"#{other.pk}" in html
    assert "Runway (days)" in html and "B − A" in html


def test_compare_with_another_companys_run_is_not_found(client, outsider, book):
    signed_in(client, outsider)
    response = client.get(reverse("contingency:drill-compare"), {"a": book["run"].pk, "b": book["run"].pk})
    assert response.status_code == 404


# -- schedules and alerts ---------------------------------------------------------------------------------------


#: The schedule form's builder set to "a cron expression": the cron is taken as typed.
CRON = {"repeat": "custom", "timezone": "Asia/Shanghai"}


def test_a_treasurer_adds_edits_and_deletes_a_schedule(client, treasurer, book):
    signed_in(client, treasurer)
    bad = client.post(
        reverse("contingency:schedule-add"),
        {"name": "Daily", "scenario": book["scenario"].pk, "plan": "", "cron": "every day", "enabled": "on", **CRON},
    )
    assert bad.status_code == 200 and "Five fields" in bad.content.decode()
    client.post(
        reverse("contingency:schedule-add"),
        {"name": "Daily", "scenario": book["scenario"].pk, "plan": "", "cron": "0 7 * * *", "enabled": "on", **CRON},
    )
    schedule = DrillSchedule.objects.get(name="Daily")
    assert schedule.periodic_task.enabled
    client.post(
        reverse("contingency:schedule-edit", args=[schedule.pk]),
        {"name": "Daily", "scenario": book["scenario"].pk, "plan": "", "cron": "0 7 * * *", **CRON},
    )
    schedule.refresh_from_db()
    assert not schedule.enabled and not schedule.periodic_task.enabled
    client.post(reverse("contingency:schedule-delete", args=[schedule.pk]))
    assert not DrillSchedule.objects.filter(pk=schedule.pk).exists()


def test_an_analyst_acknowledges_an_alert(client, analyst, book):
    alert = book["alert"]
    signed_in(client, analyst)
    response = client.post(reverse("contingency:alert-acknowledge", args=[alert.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "acknowledged by ana-analyst" in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == analyst


def test_alerts_filter_by_severity(client, viewer, book, company):
    Alert.objects.create(company=company, indicator="platform_share", key="x", severity="amber", message="Amber one")
    signed_in(client, viewer)
    html = client.get(reverse("contingency:alert-list"), {"severity": "amber"}).content.decode()
    assert "Amber one" in html and "Runway is short." not in html


# -- import -----------------------------------------------------------------------------------------------------


def test_the_import_page_links_templates_that_download(client, analyst, company):
    signed_in(client, analyst)
    html = client.get(reverse("contingency:import-add")).content.decode()
    link = reverse("import-template", args=["cash-flows"]) + "?format=xlsx"
    assert f'href="{link}"' in html
    download = client.get(link)
    assert download.status_code == 200 and download.content[:2] == b"PK"  # an .xlsx is a zip


def test_an_import_with_a_bad_row_names_the_row_and_saves_nothing(client, analyst, company):
    signed_in(client, analyst)
    content = b"name,kind,country,notes\nGood Bank,bank,CN,\nBad Lender,loan shark,CN,\n"
    upload = SimpleUploadedFile("lenders.csv", content, content_type="text/csv")
    response = client.post(reverse("contingency:import-add"), {"dataset": "counterparties", "file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Row 3" in html and "Nothing was imported" in html
    assert 'name="commit"' not in html
    assert not Counterparty.objects.for_company(company).exists()


def test_a_clean_import_is_checked_then_committed(client, analyst, company):
    signed_in(client, analyst)
    upload = SimpleUploadedFile(
        "lenders.csv", b"name,kind,country,notes\nGood Bank,bank,CN,\n", content_type="text/csv"
    )
    response = client.post(reverse("contingency:import-add"), {"dataset": "counterparties", "file": upload})
    html = response.content.decode()
    assert "1 of 1 rows are valid" in html and 'name="commit"' in html
    assert not Counterparty.objects.for_company(company).exists()
    token = client.session["contingency_import"]["token"]
    done = client.post(reverse("contingency:import-add"), {"commit": "1", "token": token}, follow=True)
    assert "Imported 1 rows" in done.content.decode()
    assert Counterparty.objects.for_company(company).filter(name="Good Bank").exists()
    # The same token cannot be committed twice.
    again = client.post(reverse("contingency:import-add"), {"commit": "1", "token": token}, follow=True)
    assert "expired" in again.content.decode()
    assert Counterparty.objects.for_company(company).count() == 1


# -- queries do not grow with rows ------------------------------------------------------------------------------


def test_the_drill_report_runs_a_fixed_number_of_queries(client, viewer, company, book):
    signed_in(client, viewer)
    url = reverse("contingency:drill-detail", args=[book["run"].pk])
    before = count_queries(client, url)
    plan = book["plan"]
    for n in range(5):
        extra = LiquidityPoolFactory(company=company, name=f"Extra {n}", kind="deposit")
        PlanStepFactory(plan=plan, order=10 + n, pool=extra, action="liquidate_pool")
        FundingChannelFactory(company=company)
    bigger = finished_run(company, book["scenario"], plan, by=viewer)
    assert bigger.checklist.count() > book["run"].checklist.count()
    assert count_queries(client, reverse("contingency:drill-detail", args=[bigger.pk])) == before
