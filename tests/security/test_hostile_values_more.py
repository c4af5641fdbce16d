"""Issue 9 item 9, the dates and sizes: far-future dates are refused at every door (API, page, import) with a 400
naming the field, readers survive a row stored before the rule, date query parameters are checked, and nested lists
in one request are capped. Every attack is a real request."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import FundingChannel, LedgerEntry
from contingency.early_warnings.alerts import evaluate_company
from contingency.models import CashFlowLine, Scenario
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db

FAR = "9999-12-31"
RANGE = "Enter a date between 1900-01-01 and 2200-12-31."


def channel_body(lender, **changes) -> dict:
    return {
        "name": "Revolver", "counterparty": lender.pk, "channel_type": "revolving_credit", "currency": "CNY",
        "limit": "1000000.00", "annual_rate": "0.045", "start_date": "2026-01-01", "maturity_date": "2028-01-01",
        "repayment_profile": "revolving", **changes,
    }  # fmt: skip


@pytest.mark.parametrize("field", ["maturity_date", "start_date"])
def test_a_channel_dated_9999_12_31_is_a_400_naming_the_date(field, company, analyst, api_as):
    lender = CounterpartyFactory(company=company)
    body = channel_body(lender, **{field: FAR}, **({"maturity_date": FAR} if field == "start_date" else {}))
    response = api_as(analyst).post("/api/v1/channels/", body, format="json")
    assert response.status_code == 400
    assert response.json()[field] == [RANGE]
    assert not FundingChannel.objects.exists()


def test_a_channel_moved_to_year_2201_by_patch_is_refused(company, analyst, api_as):
    channel = FundingChannelFactory(company=company)
    response = api_as(analyst).patch(f"/api/v1/channels/{channel.pk}/", {"maturity_date": "2201-01-01"}, format="json")
    assert response.status_code == 400 and response.json()["maturity_date"] == [RANGE]
    response = api_as(analyst).patch(f"/api/v1/channels/{channel.pk}/", {"maturity_date": "2200-12-31"}, format="json")
    assert response.status_code == 200  # the last day allowed is allowed


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_a_cash_flow_line_dated_9999_is_a_400_naming_the_date(field, company, analyst, api_as):
    body = {"name": "Payroll", "category": "operations", "amount": "-1000.00", "currency": "CNY",
            "start_date": "2026-01-25", "frequency": "monthly", field: FAR}  # fmt: skip
    response = api_as(analyst).post("/api/v1/cash-flows/", body, format="json")
    assert response.status_code == 400 and response.json()[field] == [RANGE]
    assert not CashFlowLine.objects.exists()


def test_a_scenario_as_of_9999_is_a_400_naming_as_of(company, analyst, api_as):
    response = api_as(analyst).post("/api/v1/scenarios/", {"name": "Far", "as_of": "9999-12-30"}, format="json")
    assert response.status_code == 400 and response.json()["as_of"] == [RANGE]
    assert not Scenario.objects.exists()


def test_a_lender_action_dated_9999_is_a_400_naming_the_date(company, treasurer, api_as):
    channel = FundingChannelFactory(company=company)
    response = api_as(treasurer).post(
        f"/api/v1/channels/{channel.pk}/events/", {"kind": "freeze", "date": FAR, "reason": "typo"}, format="json"
    )
    assert response.status_code == 400 and response.json()["date"] == [RANGE]
    assert not channel.events.exists()


def test_a_draw_and_a_ledger_entry_dated_9999_are_400s_naming_the_date(company, treasurer, api_as):
    channel = FundingChannelFactory(company=company, maturity_date=date(2200, 12, 31))
    api = api_as(treasurer)
    draw = api.post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "100.00", "date": FAR}, format="json")
    assert draw.status_code == 400 and draw.json()["date"] == [RANGE]
    entry = api.post(
        "/api/v1/ledger/", {"channel": channel.pk, "date": FAR, "kind": "fee", "amount": "10.00"}, format="json"
    )
    assert entry.status_code == 400 and entry.json()["date"] == [RANGE]
    assert not LedgerEntry.objects.exists()
    channel.refresh_from_db()
    assert channel.drawn == 0


def test_a_schedule_preview_to_9999_is_a_400_not_a_500(company, viewer, api_as):
    body = {"principal": "100000.00", "annual_rate": "0.05", "start_date": "9999-01-01", "maturity_date": FAR,
            "frequency": "monthly", "profile": "annuity", "day_count": "ACT/365F"}  # fmt: skip
    response = api_as(viewer).post("/api/v1/schedules/preview/", body, format="json")
    assert response.status_code == 400
    assert response.json()["maturity_date"] == [RANGE] and response.json()["start_date"] == [RANGE]


def test_an_imported_channel_maturing_in_9999_is_refused_on_its_row(company, analyst, api_as):
    lender = CounterpartyFactory(company=company, name="Bank of Ningbo")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [
            ["name", "counterparty", "channel_type", "limit", "annual_rate", "start_date", "maturity_date"],
            ["Revolver", lender.name, "revolving_credit", "1000000", "0.045", "2026-01-01", FAR],
        ]
    )
    upload = SimpleUploadedFile("channels.csv", buffer.getvalue().encode(), content_type="text/csv")
    response = api_as(analyst).post("/api/v1/imports/channels/", {"file": upload, "commit": "true"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 2, "column": "maturity_date", "message": RANGE}]
    assert not FundingChannel.objects.exists()


def test_the_channel_form_refuses_a_maturity_in_9999(company, analyst, client):
    lender = CounterpartyFactory(company=company)
    client.force_login(analyst)
    body = channel_body(lender, maturity_date=FAR, day_count="ACT/365F", rate_type="fixed", payment_frequency="monthly")
    body.update({"triggers-TOTAL_FORMS": "0", "triggers-INITIAL_FORMS": "0"})
    response = client.post("/channels/new/", body)
    assert response.status_code == 200  # the form again, with the error, not a redirect
    assert RANGE in response.content.decode()
    assert not FundingChannel.objects.exists()


def test_pages_the_schedules_export_and_alert_evaluation_survive_a_maturity_stored_as_9999(
    company, treasurer, api_as, client
):
    """A row saved before the rule existed (or by SQL): readers must not overflow adding periods to it. (Starts in
    9999 keep the schedules short; monthly grids from there step past the calendar's last day.)"""
    for profile, start in (("bullet", date(9999, 1, 31)), ("annuity", date(9999, 1, 1)), ("linear", date(9998, 12, 5))):
        FundingChannelFactory(
            company=company, name=f"Far {profile}", repayment_profile=profile, payment_frequency="monthly",
            start_date=start, maturity_date=date(9999, 12, 31), drawn=1000,
        )  # fmt: skip
    client.force_login(treasurer)
    for channel in FundingChannel.objects.all():
        assert client.get(f"/channels/{channel.pk}/").status_code == 200
    for url in ("/", "/channels/", "/alerts/"):
        assert client.get(url).status_code == 200
    for fmt in ("json", "csv", "xlsx"):
        response = api_as(treasurer).get("/api/v1/exports/schedules/", {"format": fmt})
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert content
    evaluate_company(company=company)  # the company's alert evaluation runs to the end


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/channels/{channel}/schedule/?as_of=garbage", "as_of"),
        ("/api/v1/exports/schedules/?as_of=2026-02-30", "as_of"),
        ("/api/v1/exports/channels/?updated_since=garbage", "updated_since"),
        ("/api/v1/exports/plans/?updated_since=2026-13-45", "updated_since"),
        ("/api/v1/exports/cash-flows/?as_of=garbage", "as_of"),
        ("/api/v1/exports/cash-flows/?days=garbage", "days"),
        ("/api/v1/channels/?updated_since=garbage", "updated_since"),
        ("/api/v1/channels/?maturity_before=garbage", "maturity_before"),
        ("/api/v1/ledger/?date_after=garbage", "date_after"),
        ("/api/v1/credit-assessments/?as_of_after=garbage", "as_of_after"),
        ("/api/v1/cash-flows/?starts_after=garbage", "starts_after"),
    ],
)
def test_a_garbage_date_query_parameter_is_a_400_naming_it(url, parameter, company, viewer, api_as):
    channel = FundingChannelFactory(company=company)
    response = api_as(viewer).get(url.format(channel=channel.pk))
    assert response.status_code == 400, response.content[:200]
    assert parameter in response.json()


def _shock(day: int) -> dict:
    return {"target_type": "all", "action": "freeze", "day": day, "freeze_days": 1}


def test_a_scenario_with_101_shocks_is_a_400_naming_shocks(company, analyst, api_as):
    too_many = {"name": "Flood", "shocks": [_shock(day % 30) for day in range(101)]}
    response = api_as(analyst).post("/api/v1/scenarios/", too_many, format="json")
    assert response.status_code == 400
    assert response.json()["shocks"] == {"non_field_errors": ["Ensure this field has no more than 100 elements."]}
    assert not Scenario.objects.exists()
    enough = api_as(analyst).post("/api/v1/scenarios/", {**too_many, "shocks": too_many["shocks"][:100]}, format="json")
    assert enough.status_code == 201, enough.content[:300]


def test_a_plan_with_101_steps_is_a_400_naming_steps(company, analyst, api_as):
    steps = [{"order": n, "action": "other", "amount": "1.00"} for n in range(1, 102)]
    response = api_as(analyst).post("/api/v1/plans/", {"name": "Long", "steps": steps}, format="json")
    assert response.status_code == 400
    assert response.json()["steps"] == {"non_field_errors": ["Ensure this field has no more than 100 elements."]}


def test_a_channel_with_101_triggers_is_a_400_naming_triggers(company, analyst, api_as):
    lender = CounterpartyFactory(company=company)
    triggers = [{"kind": "utilisation_above", "threshold": "0.9", "action": "freeze"}] * 101
    response = api_as(analyst).post("/api/v1/channels/", channel_body(lender, triggers=triggers), format="json")
    assert response.status_code == 400
    assert response.json()["triggers"] == {"non_field_errors": ["Ensure this field has no more than 100 elements."]}
    assert not FundingChannel.objects.exists()
