"""Fixtures of the page tests: a signed-in browser client per user, a company's book of channels, and the contingency
pages' book (DESIGN.md's worked example with a finished drill, a schedule and an alert)."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from channels_app.services import assessment_create, channel_draw
from contingency import drills
from contingency.models import Alert
from contingency.services import plan_approve, plan_save, scenario_save
from tests.factories import CashFlowLineFactory, CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory
from tests.web.contingency_pages import finished_run


@pytest.fixture
def web_as(db):
    """`web_as(user)` is a Django test client signed in as that user (session, CSRF and all, like a browser)."""

    def signed_in(user, **headers) -> Client:
        client = Client(**headers)
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def make_channels(db):
    """`make_channels(company, n)` adds n drawn channels over n lenders, each with two credit assessments."""

    def make(company, n: int, *, prefix: str = "Line"):
        channels = []
        for i in range(n):
            lender = CounterpartyFactory(
                company=company, name=f"{prefix} lender {i}", kind="platform" if i % 3 else "bank"
            )
            assessment_create(
                company=company, by=None, counterparty=lender, as_of=date(2025, 6, 1), source="internal", rating="A"
            )
            assessment_create(
                company=company,
                by=None,
                counterparty=lender,
                as_of=date(2026, 1, 1),
                source="internal",
                rating="BBB" if i % 2 else "A+",
            )
            channel = FundingChannelFactory(
                company=company,
                counterparty=lender,
                name=f"{prefix} {i}",
                channel_type="small_loan_platform" if i % 3 else "bank_term_loan",
                limit=Decimal("1000000.00"),
                maturity_date=date(2026 + i % 3, 12, 31) if i % 3 else date(2028, 1, 1),
            )
            channel_draw(channel=channel, amount=Decimal("250000.00"), date=date(2026, 2, 1), by=None)
            channels.append(channel)
        LiquidityPoolFactory(company=company, name=f"{prefix} cash", kind="cash", amount=Decimal("500000"))
        return channels

    return make


@pytest.fixture
def book(company, treasurer, analyst):
    """The worked example of DESIGN.md: 1m cash, 100k a day out, a 2m line that closes, a fund that delivers on day 3.

    The analyst writes the plan and the treasurer approves it (four-eyes: nobody approves their own change)."""
    line = FundingChannelFactory(company=company, name="Revolver", limit=Decimal("2000000"), annual_rate=Decimal("0"))
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal("1000000"))
    fund = LiquidityPoolFactory(
        company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"), haircut=Decimal("0.02")
    )
    CashFlowLineFactory(company=company, name="Spending", amount=Decimal("-100000"), start_date=date(2026, 1, 1))
    plan = plan_save(
        company=company,
        by=analyst,
        name="Plan A",
        trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3}],
    )
    plan = plan_approve(plan=plan, by=treasurer)
    scenario = scenario_save(
        company=company,
        by=treasurer,
        name="Line closes",
        as_of=date(2026, 1, 1),
        horizon_days=60,
        shocks=[{"target_type": "channel", "target": str(line.pk), "action": "close", "day": 0}],
    )
    run = finished_run(company, scenario, plan, by=treasurer)
    schedule = drills.schedule_save(
        company=company, by=treasurer, name="Weekly", scenario=scenario, plan=plan, cron="0 6 * * 1"
    )
    alert = Alert.objects.create(company=company, indicator="runway", severity="red", message="Runway is short.")
    return {"line": line, "pool": fund, "plan": plan, "scenario": scenario, "run": run, "schedule": schedule,
            "alert": alert}  # fmt: skip
