"""Fixtures of the page tests: a signed-in browser client per user, and a company's book of channels."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from channels_app.services import assessment_create, channel_draw
from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory


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
