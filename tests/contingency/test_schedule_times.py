"""When a drill schedule runs: its next run in the schedule's time zone (hand-computed), and its cron in words."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from contingency import schedule_times

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- the next run, hand-computed ----------------------------------------------------------------------------------


def test_weekly_monday_0800_shanghai_next_run_from_a_tuesday_evening():
    # 2026-12-01 13:45 UTC is Tuesday 21:45 in Shanghai (UTC+8, no summer time): the next Monday is 7 December.
    after = datetime(2026, 12, 1, 13, 45, tzinfo=UTC)
    assert schedule_times.next_run("0 8 * * 1", "Asia/Shanghai", after) == datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
    # At the very minute it fires, the next run is the following week; a second before, it is that minute.
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
    assert schedule_times.next_run("0 8 * * 1", "Asia/Shanghai", monday) == datetime(2026, 12, 14, 8, tzinfo=SHANGHAI)
    just_before = datetime(2026, 12, 7, 7, 59, 59, tzinfo=SHANGHAI)
    assert schedule_times.next_run("0 8 * * 1", "Asia/Shanghai", just_before) == monday
    # Monday 08:00 in Shanghai is Monday 00:00 UTC.
    assert monday.astimezone(UTC) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def test_next_run_skips_a_time_the_spring_clock_change_skips():
    # London springs forward on Sunday 29 March 2026 at 01:00 GMT: 01:30 does not happen that night.
    after = datetime(2026, 3, 28, 12, tzinfo=UTC)
    assert schedule_times.next_run("30 1 * * *", "Europe/London", after) == datetime(
        2026, 3, 30, 1, 30, tzinfo=ZoneInfo("Europe/London")
    )


def test_monthly_next_run_and_a_cron_that_cannot_be_read():
    after = datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert schedule_times.next_run("0 9 15 * *", "UTC", after) == datetime(2026, 2, 15, 9, tzinfo=UTC)
    assert schedule_times.next_run("61 * * * *", "UTC", after) is None
    assert schedule_times.next_run("0 9 * * 1", "Mars/Olympus", after) is None


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 8 * * 1", "Every Monday at 08:00"),
        ("30 6 * * *", "Every day at 06:30"),
        ("0 9 15 * *", "On day 15 of every month at 09:00"),
        ("0 9 31 * *", None),  # not a builder day
        ("*/15 9-17 * * 1-5", None),
    ],
)
def test_a_cron_in_words_when_the_builder_can_say_it(cron, words):
    with translation.override("en"):
        assert schedule_times.describe(cron) == words


def test_a_cron_in_words_in_chinese():
    with translation.override("zh-hans"):
        assert schedule_times.describe("0 8 * * 1") == "每星期一 08:00"
        assert schedule_times.describe("30 6 * * *") == "每天 06:30"
        assert schedule_times.describe("0 9 15 * *") == "每月 15 日 09:00"
