"""Drill schedules on django-celery-beat, and a scheduled drill that fails the policy raising an alert and e-mails."""

import json
from datetime import UTC, datetime

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from contingency.models import Alert, DrillRun
from contingency.tasks import scheduled_drill_task
from financeplanner.models import Membership
from tests.contingency.drill_fixtures import worked_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(company):
    return worked_example(company)


def test_a_treasurer_schedules_a_drill_on_beat(example, treasurer, analyst, api_as):
    body = {"name": "Weekly", "scenario": example["line_closes"].pk, "plan": example["plan"].pk, "cron": "30 6 * * 1"}
    assert api_as(analyst).post("/api/v1/drill-schedules/", body, format="json").status_code == 403
    response = api_as(treasurer).post("/api/v1/drill-schedules/", body, format="json")
    assert response.status_code == 201, response.json()
    task = PeriodicTask.objects.get(name=f"drill-schedule-{response.json()['id']}")
    assert task.task == "contingency.tasks.scheduled_drill_task" and json.loads(task.args) == [response.json()["id"]]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "6", "1")

    api_as(treasurer).patch(f"/api/v1/drill-schedules/{response.json()['id']}/", {"enabled": False}, format="json")
    task.refresh_from_db()
    assert task.enabled is False
    api_as(treasurer).delete(f"/api/v1/drill-schedules/{response.json()['id']}/")
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize("cron", ["every monday", "61 * * * *", "* * * *"])
def test_a_bad_cron_is_refused_naming_the_field(example, treasurer, api_as, cron):
    body = {"name": "Bad", "scenario": example["no_shock"].pk, "cron": cron}
    response = api_as(treasurer).post("/api/v1/drill-schedules/", body, format="json")
    assert response.status_code == 400 and "cron" in response.json()
    assert not PeriodicTask.objects.filter(name__startswith="drill-schedule-").exists()


def test_a_scheduled_drill_that_fails_the_policy_alerts_once_and_mails_who_asked(
    example, company, treasurer, analyst, django_capture_on_commit_callbacks
):
    from contingency import drills

    Membership.objects.filter(user=analyst).update(notify_on_failed_drill=True)  # asked, though not a treasurer
    analyst.email, treasurer.email = "ana@example.com", ""
    analyst.save()
    treasurer.save()
    schedule = drills.schedule_save(
        company=company, by=treasurer, name="Daily", scenario=example["line_closes"], plan=example["plan"],
        cron="0 6 * * *",
    )  # fmt: skip
    for day in (1, 2):  # two beat ticks, a day apart
        with django_capture_on_commit_callbacks(execute=True):
            sent = datetime(2026, 3, day, 7, tzinfo=UTC).timestamp()
            scheduled_drill_task.apply((schedule.pk,), headers={"published_at": sent})

    runs = DrillRun.objects.filter(schedule=schedule)
    assert [run.passed_policy for run in runs] == [False, False]
    alert = Alert.objects.get(indicator="failed_drill")  # one alert for the breach, not one per run
    assert alert.severity == "red" and "Daily" in alert.message
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]  # raised once: no mail per run while it lasts
    assert runs[0].checklist.count() == 3
