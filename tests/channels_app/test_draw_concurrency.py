"""A draw never exceeds headroom, even with many requests at once (real threads, separate connections)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.utils import IntegrityError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from channels_app.models import FundingChannel, LedgerEntry
from tests.factories import FundingChannelFactory
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_draws_stop_exactly_at_the_limit(company, analyst):
    assert connection.vendor == "postgresql", "this race is only meaningful on PostgreSQL"
    channel = FundingChannelFactory(company=company, limit=Decimal("1000000.00"))
    token = Token.objects.create(user=analyst).key
    amount = Decimal("30000.00")  # 33 fit; 50 are attempted
    responses: list = []
    barrier = threading.Barrier(50)

    def draw():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            responses.append(
                client.post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": str(amount), "date": "2026-03-01"})
            )
        finally:
            connections.close_all()

    run_in_threads(draw, 50)

    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 400]
    assert len(responses) == 50
    assert len(accepted) == 33 and len(refused) == 17
    assert all("headroom" in r.json()["amount"][0] for r in refused)
    channel.refresh_from_db()
    ledger_total = sum(e.amount for e in LedgerEntry.objects.filter(channel=channel, kind="draw"))
    assert channel.drawn == ledger_total == Decimal("990000.00") <= channel.limit


def test_database_constraint_refuses_drawn_above_limit_on_an_open_line(company):
    channel = FundingChannelFactory(company=company, limit=Decimal("100.00"))
    with pytest.raises(IntegrityError):
        FundingChannel.objects.filter(pk=channel.pk).update(drawn=Decimal("100.01"))
