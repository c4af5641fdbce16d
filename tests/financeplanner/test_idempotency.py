"""`Idempotency-Key` on drill starts and draws: a retried POST (same key, same company) gets the first answer and has
no second effect, also when both copies arrive at once; the key is per company, and reusing it for another request
is refused."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from channels_app.models import FundingChannel, LedgerEntry
from contingency.models import DrillRun
from tests.contingency.drill_fixtures import worked_example
from tests.factories import FundingChannelFactory
from tests.threads import run_in_threads


def _draw(client, channel, key, amount="1000.00"):
    body = {"amount": amount, "date": "2026-02-01"}
    return client.post(f"/api/v1/channels/{channel.pk}/draw/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retried_drill_start_with_the_same_key_starts_one_drill(company, analyst, api_as):
    example = worked_example(company)
    body = {"scenario": example["line_closes"].pk, "plan": example["plan"].pk}
    client = api_as(analyst)
    first = client.post("/api/v1/drills/", body, format="json", HTTP_IDEMPOTENCY_KEY="start-7f3a")
    again = client.post("/api/v1/drills/", body, format="json", HTTP_IDEMPOTENCY_KEY="start-7f3a")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert DrillRun.objects.count() == 1
    other = client.post("/api/v1/drills/", body, format="json", HTTP_IDEMPOTENCY_KEY="start-8b1c")
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    assert client.post("/api/v1/drills/", body, format="json").status_code == 202  # no key: no replay
    assert DrillRun.objects.count() == 3


@pytest.mark.django_db
def test_a_retried_draw_with_the_same_key_draws_once(company, treasurer, api_as):
    channel = FundingChannelFactory(company=company, limit=Decimal("5000"), start_date=date(2026, 1, 1))
    client = api_as(treasurer)
    first, again = _draw(client, channel, "draw-1"), _draw(client, channel, "draw-1")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    channel.refresh_from_db()
    assert channel.drawn == Decimal("1000.00") and LedgerEntry.objects.filter(channel=channel).count() == 1


@pytest.mark.django_db
def test_the_same_key_for_a_different_request_is_refused(company, treasurer, api_as):
    channel = FundingChannelFactory(company=company, limit=Decimal("5000"), start_date=date(2026, 1, 1))
    client = api_as(treasurer)
    assert _draw(client, channel, "draw-2").status_code == 201
    response = _draw(client, channel, "draw-2", amount="2000.00")
    assert response.status_code == 422 and "Idempotency-Key" in response.json()
    channel.refresh_from_db()
    assert channel.drawn == Decimal("1000.00")


@pytest.mark.django_db
def test_keys_belong_to_one_company(company, other_company, treasurer, outsider, api_as):
    ours = FundingChannelFactory(company=company, limit=Decimal("5000"), start_date=date(2026, 1, 1))
    theirs = FundingChannelFactory(company=other_company, limit=Decimal("5000"), start_date=date(2026, 1, 1))
    assert _draw(api_as(treasurer), ours, "shared-key").status_code == 201
    response = _draw(api_as(outsider), theirs, "shared-key")
    assert response.status_code == 201 and response.json()["channel"] == theirs.pk  # not our replay
    assert "Idempotent-Replayed" not in response


@pytest.mark.django_db
def test_a_refused_draw_stores_no_key_so_the_retry_can_succeed(company, treasurer, api_as):
    channel = FundingChannelFactory(company=company, limit=Decimal("500"), start_date=date(2026, 1, 1))
    client = api_as(treasurer)
    assert _draw(client, channel, "draw-3").status_code == 400  # above the headroom
    FundingChannel.objects.filter(pk=channel.pk).update(limit=Decimal("5000"))
    assert _draw(client, channel, "draw-3").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "schlüssel", "two words"])
def test_a_malformed_key_is_a_400_naming_the_header(company, treasurer, api_as, key):
    channel = FundingChannelFactory(company=company, limit=Decimal("5000"), start_date=date(2026, 1, 1))
    response = _draw(api_as(treasurer), channel, key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not LedgerEntry.objects.filter(channel=channel).exists()


@pytest.mark.django_db(transaction=True)
def test_two_copies_of_a_draw_arriving_at_once_draw_once(company, treasurer):
    channel = FundingChannelFactory(company=company, limit=Decimal("5000"), start_date=date(2026, 1, 1))
    token = Token.objects.create(user=treasurer).key
    barrier, answers = threading.Barrier(4), []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            answers.append(_draw(client, channel, "race-key"))
        finally:
            connection.close()

    run_in_threads(send, 4, timeout=30)
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    channel.refresh_from_db()
    assert channel.drawn == Decimal("1000.00") and LedgerEntry.objects.filter(channel=channel).count() == 1
