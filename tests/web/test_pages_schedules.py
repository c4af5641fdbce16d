"""Drill schedule pages: the plain builder beside cron, the next run in the schedule's time zone, the last run with
its verdict, and "run now" (one drill however often it is pressed)."""

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from contingency import drills, schedule_times
from contingency.models import DrillRun, DrillSchedule
from contingency.tasks import scheduled_drill_task
from tests.web.contingency_pages import signed_in

pytestmark = pytest.mark.django_db


# -- the builder form ----------------------------------------------------------------------------------------------


def _post(client, url, **fields):
    return client.post(url, fields, follow=True)


def test_the_builder_makes_the_cron_in_the_chosen_time_zone(client, treasurer, book):
    signed_in(client, treasurer)
    response = _post(
        client, reverse("contingency:schedule-add"), name="Monday drill", scenario=book["scenario"].pk,
        plan=book["plan"].pk, repeat="weekly", at="08:00", weekday="1", day_of_month="", cron="",
        timezone="Asia/Shanghai", enabled="on",
    )  # fmt: skip
    schedule = DrillSchedule.objects.get(name="Monday drill")
    assert (schedule.cron, schedule.timezone) == ("0 8 * * 1", "Asia/Shanghai")
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (
        "0",
        "8",
        "1",
        "Asia/Shanghai",
    )
    page = response.content.decode()
    assert "Every Monday at 08:00" in page and "Asia/Shanghai" in page

    # Its edit page reads the cron back into the builder.
    edit = client.get(reverse("contingency:schedule-edit", args=[schedule.pk])).content.decode()
    assert '<option value="weekly" selected>' in edit and 'value="08:00"' in edit
    assert '<option value="1" selected>' in edit


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"repeat": "weekly", "at": ""}, "at", "Give the time of day the drill runs (HH:MM)."),
        ({"repeat": "monthly", "at": "09:00", "day_of_month": "31"}, "day_of_month", "Choose a day from 1 to 28"),
        ({"repeat": "custom", "cron": "61 * * * *"}, "cron", "Not a valid cron expression"),
        ({"repeat": "custom", "cron": "every monday"}, "cron", "Five fields"),
        ({"repeat": "daily", "at": "08:00", "timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
    ],
)
def test_builder_and_cron_errors_name_their_field(client, treasurer, book, fields, field, message):
    signed_in(client, treasurer)
    body = {"name": "Bad", "scenario": book["scenario"].pk, "weekday": "1", "timezone": "Asia/Shanghai", **fields}
    response = client.post(reverse("contingency:schedule-add"), body)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not DrillSchedule.objects.filter(name="Bad").exists()


def test_a_custom_cron_is_kept_as_typed(client, treasurer, book):
    signed_in(client, treasurer)
    _post(
        client, reverse("contingency:schedule-add"), name="Workdays", scenario=book["scenario"].pk,
        repeat="custom", cron="*/30 9-17 * * 1-5", timezone="UTC", enabled="on",
    )  # fmt: skip
    assert DrillSchedule.objects.get(name="Workdays").cron == "*/30 9-17 * * 1-5"


def test_beat_ticks_are_read_in_the_schedules_time_zone(company, book, django_capture_on_commit_callbacks):
    schedule = drills.schedule_save(
        company=company, by=None, name="New York", scenario=book["scenario"], cron="0 6 * * *",
        timezone="America/New_York",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        sent = datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp()  # 07:00 in New York (EST, UTC-5)
        scheduled_drill_task.apply((schedule.pk,), headers={"published_at": sent})
    run = DrillRun.objects.get(schedule=schedule)
    assert run.schedule_tick == datetime(2026, 3, 2, 11, tzinfo=UTC)  # 06:00 in New York


# -- list, detail, run now -----------------------------------------------------------------------------------------


def test_the_list_and_detail_show_next_and_last_run_with_its_verdict(client, viewer, company, book):
    schedule = book["schedule"]  # "0 6 * * 1", made in beat's zone
    run = book["run"]
    DrillRun.objects.filter(pk=run.pk).update(schedule=schedule)
    signed_in(client, viewer)
    for url in (reverse("contingency:schedule-list"), reverse("contingency:schedule-detail", args=[schedule.pk])):
        page = client.get(url).content.decode()
        assert "Every Monday at 06:00" in page and schedule.timezone in page
        assert reverse("contingency:drill-detail", args=[run.pk]) in page
        assert "Not tested" in page  # a 60-day drill against the 90-day policy horizon (DESIGN: not tested)
        assert "data-next-run" in page
        assert "Run now" not in page  # a viewer may not start drills


def test_run_now_starts_one_drill_however_often_it_is_pressed(client, analyst, viewer, book):
    schedule = book["schedule"]
    url = reverse("contingency:schedule-run", args=[schedule.pk])
    signed_in(client, viewer)
    assert client.post(url, {"request_key": "a" * 32}).status_code == 403
    signed_in(client, analyst)
    page = client.get(reverse("contingency:schedule-detail", args=[schedule.pk])).content.decode()
    assert "Run now" in page
    key = page.split('name="request_key" value="')[1][:32]
    first = client.post(url, {"request_key": key})
    second = client.post(url, {"request_key": key})  # the double click
    runs = DrillRun.objects.filter(schedule=schedule, created_by=analyst)
    assert runs.count() == 1
    run = runs.get()
    assert first["Location"] == second["Location"] == reverse("contingency:drill-progress", args=[run.pk])
    assert (run.plan_id, run.scenario_id, run.schedule_tick) == (schedule.plan_id, schedule.scenario_id, None)
    # A new press (the page shown again) is a new drill; a made-up key is refused.
    client.post(url, {"request_key": "b" * 32})
    assert runs.count() == 2
    refused = client.post(url, {"request_key": "not-a-key"}, follow=True)
    assert "press “Run now” again" in refused.content.decode() and runs.count() == 2


def test_the_builder_time_reads_back(company, book):
    schedule = drills.schedule_save(
        company=company, by=None, name="Monthly", scenario=book["scenario"], cron="15 7 5 * *", timezone="UTC"
    )
    assert schedule_times.repeat_of(schedule.cron) == schedule_times.Repeat("monthly", time(7, 15), day_of_month=5)


def test_a_scheduled_drill_runs_as_of_the_day_in_the_schedules_time_zone(client, analyst, company, book):
    from datetime import date as date_type
    from zoneinfo import ZoneInfo

    signed_in(client, analyst)
    # UTC+14 and UTC-11 are 25 hours apart: their dates always differ, whenever the test runs.
    days = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        schedule = drills.schedule_save(
            company=company, by=None, name=zone, scenario=book["scenario"], cron="0 6 * * *", timezone=zone
        )
        expected = datetime.now(ZoneInfo(zone)).date()
        client.post(reverse("contingency:schedule-run", args=[schedule.pk]), {"request_key": "c" * 32})
        run = DrillRun.objects.get(schedule=schedule)
        days[zone] = date_type.fromisoformat(run.snapshot["scenario"]["as_of"])
        assert days[zone] == expected
    assert days["Pacific/Kiritimati"] > days["Pacific/Pago_Pago"]
