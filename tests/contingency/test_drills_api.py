"""Drills through the API and the command line: the worked example of DESIGN.md must come out exactly."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from contingency.models import DrillRun
from tests.contingency.drill_fixtures import worked_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(company):
    return worked_example(company)


def start(client, capture, **body):
    with capture(execute=True):
        response = client.post("/api/v1/drills/", body, format="json")
    assert response.status_code == 202, response.json()
    # A deterministic drill this small is simulated within the request: the answer already carries the results.
    assert response.json()["status"] == "succeeded" and response.json()["results"]
    run = client.get(f"/api/v1/drills/{response.json()['id']}/").json()
    assert run == {**response.json(), "updated_at": run["updated_at"]}
    return run


def test_worked_example_without_shock_runs_30_days(example, analyst, api_as, django_capture_on_commit_callbacks):
    run = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=example["no_shock"].pk,
                plan=example["plan"].pk)  # fmt: skip
    assert run["status"] == "succeeded" and run["progress"] == 100
    results = run["results"]
    assert results["runway_days"] == 30
    assert results["survived"] is False and results["paths"] == 1
    assert results["horizon_days"] == 60
    for key in ["seed", "min_liquidity", "min_liquidity_day", "liquidity_at_risk_95", "liquidity_at_risk_99",
                "extra_liquidity_needed", "contingency_used"]:  # fmt: skip
        assert key in results
    assert run["passed_policy"] is True  # the policy horizon is 30 days: days 0–29 are met


def test_worked_example_line_closes_runs_14_days(example, analyst, api_as, django_capture_on_commit_callbacks):
    run = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=example["line_closes"].pk,
                plan=example["plan"].pk)  # fmt: skip
    results = run["results"]
    assert results["runway_days"] == 14
    assert results["contingency_used"] == 490000.0
    assert run["passed_policy"] is False
    assert [item["title"] for item in run["checklist"]][0].startswith("Confirm same-day redemption terms")


def test_the_snapshot_reruns_to_the_same_numbers(example, analyst, api_as, django_capture_on_commit_callbacks):
    from contingency import engine
    from contingency.engine.inputs import DrillInputs

    run = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=example["line_closes"].pk,
                plan=example["plan"].pk)  # fmt: skip
    stored = DrillRun.objects.get(pk=run["id"])
    rerun = json.loads(json.dumps(engine.run(DrillInputs.from_dict(stored.snapshot)).to_dict(), default=float))
    assert stored.results == rerun


def test_run_drill_command_prints_the_same_object(example, company):
    out = StringIO()
    call_command("run_drill", company="acme", scenario="B: line closes", plan="Plan", json=True, stdout=out)
    results = json.loads(out.getvalue())
    assert results["runway_days"] == 14
    summary = StringIO()
    call_command("run_drill", company="acme", scenario=str(example["no_shock"].pk), plan="Plan", stdout=summary)
    assert "runway 30 days" in summary.getvalue()


def test_run_drill_names_what_it_cannot_find(example):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No scenario 'nope'"):
        call_command("run_drill", company="acme", scenario="nope")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"paths": 0}, "paths"), ({"paths": "many"}, "paths"), ({"seed": -1}, "seed"), ({"scenario": 999999}, "scenario")],
)
def test_bad_drill_requests_are_refused(example, analyst, api_as, body, field):
    payload = {"scenario": example["no_shock"].pk, **body}
    response = api_as(analyst).post("/api/v1/drills/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not DrillRun.objects.exists()


def test_drills_are_scoped_and_viewers_cannot_start_them(example, viewer, outsider, api_as, analyst,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    run = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=example["no_shock"].pk)
    assert api_as(outsider).get(f"/api/v1/drills/{run['id']}/").status_code == 404
    assert api_as(outsider).post("/api/v1/drills/", {"scenario": example["no_shock"].pk}).status_code == 400
    assert api_as(viewer).post("/api/v1/drills/", {"scenario": example["no_shock"].pk}).status_code == 403
    assert api_as(viewer).get(f"/api/v1/drills/{run['id']}/").status_code == 200


def test_checklist_outcomes_are_recorded_beside_the_result(example, analyst, api_as,
                                                           django_capture_on_commit_callbacks):  # fmt: skip
    client = api_as(analyst)
    run = start(client, django_capture_on_commit_callbacks, scenario=example["line_closes"].pk, plan=example["plan"].pk)
    item = run["checklist"][0]
    response = client.patch(f"/api/v1/drills/{run['id']}/checklist/{item['id']}/",
                            {"outcome": "passed", "minutes_taken": 45, "notes": "Fund redeemed T+1"}, format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["done_by"] == "ana-analyst" and response.json()["done_at"]
    bad = client.patch(f"/api/v1/drills/{run['id']}/checklist/{item['id']}/", {"outcome": "maybe"}, format="json")
    assert bad.status_code == 400 and "outcome" in bad.json()


def test_a_drill_that_cannot_run_is_marked_failed_with_a_readable_error(example, company):
    from contingency import drills
    from contingency.tasks import run_drill_task

    run = drills.drill_start(company=company, scenario=example["no_shock"], enqueue=False)
    snapshot = run.snapshot
    snapshot["scenario"]["operating_flows"] = snapshot["scenario"]["operating_flows"][:5]  # a corrupted snapshot
    DrillRun.objects.filter(pk=run.pk).update(snapshot=snapshot)
    with pytest.raises(ValueError):
        run_drill_task.delay(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "Operating flows must have one value per day" in run.error
    run_drill_task.delay(run.pk)  # redelivered: a finished run is left alone
    run.refresh_from_db()
    assert run.status == "failed"
