"""Channels, draws, repayments, lender events and bad input over the API."""

from decimal import Decimal

import pytest

from channels_app.models import ChannelEvent, FundingChannel, LedgerEntry
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(company):
    return FundingChannelFactory(company=company, limit=Decimal("1000.00"), notice_days=15)


def valid_channel(company, **overrides):
    body = {
        "name": "Platform line", "counterparty": CounterpartyFactory(company=company).pk,
        "channel_type": "small_loan_platform", "currency": "CNY", "limit": "500000.00", "committed": False,
        "annual_rate": "0.098", "day_count": "ACT/365F", "start_date": "2026-01-01", "maturity_date": "2027-01-01",
        "repayment_profile": "annuity", "rolls_over": True, "notice_days": 0,
    }  # fmt: skip
    body.update(overrides)
    return body


def test_contract_fields_of_a_channel(company, analyst, api_as):
    response = api_as(analyst).post("/api/v1/channels/", valid_channel(company), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    for field in ["id", "name", "counterparty", "channel_type", "currency", "limit", "drawn", "headroom", "committed",
                  "status", "annual_rate", "day_count", "start_date", "maturity_date", "repayment_profile",
                  "rolls_over", "notice_days", "updated_at"]:  # fmt: skip
        assert field in data
    assert data["limit"] == "500000.00" and data["drawn"] == "0.00" and data["headroom"] == "500000.00"
    assert data["status"] == "active"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "NaN"}, "limit"),
        ({"maturity_date": "2025-01-01"}, "maturity_date"),
        ({"currency": "XXY"}, "currency"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"notes": "y" * 10_000}, "notes"),
        ({"channel_type": "loan_shark"}, "channel_type"),
        ({"day_count": "ACT/ACT"}, "day_count"),
        ({"action_probability": "1.5"}, "action_probability"),
        ({"annual_rate": "-0.01"}, "annual_rate"),
    ],
)
def test_bad_channel_input_is_a_400_naming_the_field(company, analyst, api_as, overrides, field):
    response = api_as(analyst).post("/api/v1/channels/", valid_channel(company, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not FundingChannel.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5", "date": "2026-02-01"}, "amount"),
        ({"amount": "0", "date": "2026-02-01"}, "amount"),
        ({"amount": "ten", "date": "2026-02-01"}, "amount"),
        ({"amount": "1e400", "date": "2026-02-01"}, "amount"),
        ({"amount": "5", "date": "not a date"}, "date"),
        ({"amount": "5", "date": "2026-02-01", "reference": "\x00"}, "reference"),
        ({"amount": "1000.01", "date": "2026-02-01"}, "amount"),
        ({"amount": "5", "date": "2030-01-01"}, "date"),
    ],
)
def test_bad_draws_are_refused_and_write_nothing(channel, analyst, api_as, body, field):
    response = api_as(analyst).post(f"/api/v1/channels/{channel.pk}/draw/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not LedgerEntry.objects.exists()
    channel.refresh_from_db()
    assert channel.drawn == 0


def test_draw_and_repay_keep_ledger_and_drawn_in_step(channel, analyst, api_as):
    client = api_as(analyst)
    assert (
        client.post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "600", "date": "2026-02-01"}).status_code == 201
    )
    assert (
        client.post(f"/api/v1/channels/{channel.pk}/repay/", {"amount": "250.50", "date": "2026-03-01"}).status_code
        == 201
    )
    too_much = client.post(f"/api/v1/channels/{channel.pk}/repay/", {"amount": "400", "date": "2026-03-02"})
    assert too_much.status_code == 400 and "amount" in too_much.json()
    data = client.get(f"/api/v1/channels/{channel.pk}/").json()
    assert data["drawn"] == "349.50" and data["headroom"] == "650.50"
    ledger = client.get("/api/v1/ledger/", {"channel": channel.pk}).json()["results"]
    assert [(e["kind"], e["amount"]) for e in ledger] == [("repay", "250.50"), ("draw", "600.00")]


def test_draw_on_a_closed_line_is_refused_with_a_reason(channel, analyst, treasurer, api_as):
    event = {"kind": "close", "date": "2026-02-01", "reason": "Platform score dropped below 600"}
    assert api_as(treasurer).post(f"/api/v1/channels/{channel.pk}/events/", event).status_code == 201
    response = api_as(analyst).post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "1", "date": "2026-02-02"})
    assert response.status_code == 400 and "closed" in response.json()["amount"][0]


def test_reduce_below_drawn_leaves_excess_due_after_notice(channel, analyst, treasurer, api_as):
    api_as(analyst).post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "800", "date": "2026-02-01"})
    event = {"kind": "reduce", "date": "2026-03-01", "new_limit": "500.00", "reason": "policy tightened"}
    response = api_as(treasurer).post(f"/api/v1/channels/{channel.pk}/events/", event)
    assert response.status_code == 201, response.json()
    assert response.json()["old_limit"] == "1000.00" and response.json()["created_by"] == "tom-treasurer"
    channel.refresh_from_db()
    assert channel.status == "reduced" and channel.limit == Decimal("500.00")
    assert channel.excess_due == Decimal("300.00") and str(channel.excess_due_date) == "2026-03-16"
    assert channel.headroom == 0
    assert (
        api_as(analyst).post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "1", "date": "2026-03-02"}).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "reduce", "date": "2026-03-01", "reason": "x"}, "new_limit"),
        ({"kind": "reduce", "date": "2026-03-01", "new_limit": "2000", "reason": "x"}, "new_limit"),
        ({"kind": "unfreeze", "date": "2026-03-01", "reason": "x"}, "kind"),
        ({"kind": "close", "date": "2026-03-01", "reason": ""}, "reason"),
        ({"kind": "explode", "date": "2026-03-01", "reason": "x"}, "kind"),
    ],
)
def test_invalid_lender_events_are_refused(channel, treasurer, api_as, body, field):
    response = api_as(treasurer).post(f"/api/v1/channels/{channel.pk}/events/", body)
    assert response.status_code == 400 and field in response.json()
    assert not ChannelEvent.objects.exists()


def test_status_is_read_only_through_the_channel_endpoint(channel, analyst, api_as):
    response = api_as(analyst).patch(
        f"/api/v1/channels/{channel.pk}/", {"status": "closed", "drawn": "5"}, format="json"
    )
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.status == "active" and channel.drawn == 0


def test_freeze_then_unfreeze_history(channel, treasurer, api_as):
    client = api_as(treasurer)
    client.post(f"/api/v1/channels/{channel.pk}/events/", {"kind": "freeze", "date": "2026-02-01", "reason": "overdue"})
    client.post(f"/api/v1/channels/{channel.pk}/events/", {"kind": "unfreeze", "date": "2026-02-10", "reason": "paid"})
    history = client.get(f"/api/v1/channels/{channel.pk}/events/").json()["results"]
    assert [(e["kind"], e["old_status"], e["new_status"]) for e in history] == [
        ("unfreeze", "frozen", "active"),
        ("freeze", "active", "frozen"),
    ]
