"""The drill report's "What was simulated": what the drill really had, read from the run's snapshot.

A closed or matured line gives no limit (an archived line enters the drill as closed), though what is drawn on it
still runs off; an archived pool is not in the drill at all. Expected values are worked out by hand below.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contingency.services import scenario_save
from contingency.views.report import drill_report
from tests.factories import FundingChannelFactory, LiquidityPoolFactory
from tests.web.contingency_pages import finished_run, signed_in

pytestmark = pytest.mark.django_db

D = Decimal


def test_what_was_simulated_counts_only_the_limits_the_drill_had(client, company, treasurer, viewer):
    def line(name, limit, drawn, status="active", **extra):
        return FundingChannelFactory(
            company=company, name=name, limit=D(limit), drawn=D(drawn), status=status, annual_rate=D("0"), **extra
        )

    active = line("Active", "1000000", "200000")
    reduced = line("Reduced", "500000", "100000", "reduced")
    line("Frozen", "300000", "0", "frozen")  # keeps its limit: it reopens when the freeze ends
    line("Closed", "400000", "50000", "closed")
    line("Matured", "250000", "0", "matured")
    line("Archived", "600000", "150000", archived_at=timezone.now())  # active, but archived: enters as closed
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=D("2000000"))
    LiquidityPoolFactory(company=company, name="Old fund", kind="cash", amount=D("700000"), archived_at=timezone.now())
    scenario = scenario_save(company=company, by=treasurer, name="Calm", as_of=date(2026, 1, 1), horizon_days=30)
    run = finished_run(company, scenario, by=treasurer)
    assert run.status == "succeeded"

    # Today's database changes afterwards; the report of the past run keeps what it simulated.
    active.status = "closed"
    active.save()
    reduced.archived_at = timezone.now()
    reduced.save()
    LiquidityPoolFactory(company=company, name="New cash", kind="cash", amount=D("900000"))

    simulated = drill_report(run)["snapshot"]
    assert simulated["channel_count"] == 6  # every line: the drawn amounts of the shut ones still run off
    assert simulated["open_channels"] == 2  # Active and Reduced
    assert simulated["total_limit"] == 1_800_000  # 1,000,000 + 500,000 + 300,000 (frozen); not 3,050,000
    assert simulated["total_drawn"] == 500_000  # 200,000 + 100,000 + 50,000 + 150,000
    assert simulated["pool_count"] == 1 and simulated["pool_total"] == 2_000_000  # the archived fund gave nothing
    assert simulated["opening_cash"] == 2_000_000

    signed_in(client, viewer)
    html = client.get(reverse("contingency:drill-detail", args=[run.pk])).content.decode()
    assert "6 (2 open), limit 1,800,000, drawn 500,000" in html
    assert "1, 2,000,000 before haircuts" in html
