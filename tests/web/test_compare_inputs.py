"""The compare page explains its results: the two runs' input differences, read from their stored snapshots."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from channels_app.services import channel_event_record
from contingency.services import scenario_save
from tests.web.contingency_pages import finished_run

pytestmark = pytest.mark.django_db


def differences(client, a, b):
    response = client.get(reverse("contingency:drill-compare"), {"a": a.pk, "b": b.pk})
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="input-differences"') :]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", section)
    return rows, section


def test_compare_lists_what_differs_in_the_inputs(book, company, viewer, web_as):
    with_plan = finished_run(company, book["scenario"], book["plan"])
    channel_event_record(channel=book["line"], kind="reduce", date=date(2025, 12, 20), reason="Cut",
                         new_limit=Decimal("1500000"), by=None)  # fmt: skip
    without_plan = finished_run(company, book["scenario"])
    rows, _ = differences(web_as(viewer), with_plan, without_plan)
    assert ("plan", "—", "plan", "a plan", "none") in rows
    steps = next(r for r in rows if r[:3] == ("plan", "—", "steps"))
    assert "action liquidate_pool" in steps[3] and "lead_time_days 3" in steps[3] and steps[4] == "—"
    assert ("channel", "Revolver", "limit", "2,000,000", "1,500,000") in rows
    assert ("channel", "Revolver", "status", "active", "reduced") in rows
    # Nothing else moved: the scenario, its shock, the pools and the spending are the same.
    assert {r[0] for r in rows} == {"plan", "channel"}


def test_equal_inputs_are_said_to_be_equal(book, company, viewer, web_as):
    first = finished_run(company, book["scenario"], book["plan"])
    second = finished_run(company, book["scenario"], book["plan"])
    rows, section = differences(web_as(viewer), first, second)
    assert rows == []
    assert "the same inputs give the same results" in section


def test_a_different_scenario_shows_its_fields_and_shocks(book, company, viewer, web_as, treasurer):
    first = finished_run(company, book["scenario"], book["plan"])
    other = scenario_save(
        company=company, by=treasurer, name="Freeze", as_of=date(2026, 1, 1), horizon_days=90,
        shocks=[{"target_type": "channel", "target": str(book["line"].pk), "action": "freeze", "day": 2,
                 "freeze_days": 5}],
    )  # fmt: skip
    second = finished_run(company, other, book["plan"])
    rows, _ = differences(web_as(viewer), first, second)
    assert ("scenario", "—", "horizon_days", "60", "90") in rows
    shocks = next(r for r in rows if r[0] == "shocks")
    assert "action close" in shocks[3] and "action freeze" in shocks[4] and "freeze_days 5" in shocks[4]
    # 90 days of 100,000 out instead of 60: the operating flows' total differs by 3,000,000.
    assert ("scenario", "—", "total operating flows", "-6,000,000", "-9,000,000") in rows
