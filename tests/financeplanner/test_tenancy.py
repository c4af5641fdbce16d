"""For every endpoint: an outsider can neither read nor change company A's data; a viewer cannot write."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import (
    CashFlowLineFactory,
    ContingencyPlanFactory,
    CounterpartyFactory,
    CreditAssessmentFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
    PlanStepFactory,
    ScenarioFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(company):
    """One object of each resource in company A, and a valid body to create another."""
    channel = FundingChannelFactory(company=company)
    from channels_app.services import channel_draw

    entry = channel_draw(channel=channel, amount=Decimal("100.00"), date=date(2026, 2, 1), by=None)
    plan = ContingencyPlanFactory(company=company)
    PlanStepFactory(plan=plan)
    scenario = ScenarioFactory(company=company)
    from contingency import drills
    from financeplanner.models import FxRate

    run = drills.drill_start(company=company, scenario=scenario, enqueue=False)
    schedule = drills.schedule_save(company=company, by=None, name="Weekly", scenario=scenario, cron="0 6 * * 1")
    return {
        "counterparties": (CounterpartyFactory(company=company), {"name": "New bank", "kind": "bank"}),
        "credit-assessments": (
            CreditAssessmentFactory(company=company),
            {"as_of": "2026-03-01", "source": "internal", "rating": "BB", "counterparty": None},
        ),
        "channels": (channel, None),
        "ledger": (entry, {"channel": channel.pk, "date": "2026-02-02", "kind": "fee", "amount": "10.00"}),
        "pools": (LiquidityPoolFactory(company=company), {"name": "New pool", "kind": "cash", "amount": "5.00"}),
        "cash-flows": (
            CashFlowLineFactory(company=company),
            {"name": "Rent", "category": "rent", "amount": "-5.00", "start_date": "2026-01-01"},
        ),
        "plans": (plan, {"name": "Another plan", "trigger": "on_shock"}),
        "scenarios": (scenario, {"name": "Another", "as_of": "2026-01-01"}),
        "drills": (run, {"scenario": scenario.pk}),
        "drill-schedules": (schedule, {"name": "Daily", "scenario": scenario.pk, "cron": "0 7 * * *"}),
        "fx-rates": (
            FxRate.objects.create(company=company, currency="USD", as_of="2026-01-01", rate="7.1"),
            {"currency": "EUR", "as_of": "2026-01-01", "rate": "7.8"},
        ),
    }


RESOURCES = [
    "counterparties", "credit-assessments", "channels", "ledger", "pools", "cash-flows", "plans", "scenarios", "drills",
    "drill-schedules", "fx-rates",
]  # fmt: skip


@pytest.mark.parametrize("resource", RESOURCES)
def test_outsider_cannot_see_or_change_another_companys_objects(resource, objects, outsider, api_as):
    obj, _ = objects[resource]
    client = api_as(outsider)
    listed = client.get(f"/api/v1/{resource}/")
    assert listed.status_code == 200
    assert obj.pk not in [row["id"] for row in listed.json()["results"]]
    detail = f"/api/v1/{resource}/{obj.pk}/"
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"name": "hijacked"}, format="json").status_code in (404, 405)
    assert client.delete(detail).status_code in (404, 405)
    # Naming company A in the header does not help: the outsider is not a member.
    assert client.get(f"/api/v1/{resource}/", HTTP_X_COMPANY="acme").status_code == 404
    type(obj).objects.get(pk=obj.pk)  # still there, unchanged


@pytest.mark.parametrize("resource", RESOURCES)
def test_viewer_reads_but_cannot_write(resource, objects, viewer, api_as):
    obj, body = objects[resource]
    client = api_as(viewer)
    assert client.get(f"/api/v1/{resource}/{obj.pk}/").status_code == 200
    if body is not None:
        assert client.post(f"/api/v1/{resource}/", body, format="json").status_code == 403
    assert client.patch(f"/api/v1/{resource}/{obj.pk}/", {"name": "x"}, format="json").status_code in (403, 405)
    assert client.delete(f"/api/v1/{resource}/{obj.pk}/").status_code in (403, 405)


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r not in ("channels", "drill-schedules")])
def test_analyst_creates_in_own_company(resource, objects, analyst, api_as, company):
    _, body = objects[resource]
    response = api_as(analyst).post(f"/api/v1/{resource}/", body, format="json")
    assert response.status_code in (201, 202), response.json()


def test_channel_actions_are_scoped(objects, outsider, viewer, api_as):
    channel, _ = objects["channels"]
    outsider_client, viewer_client = api_as(outsider), api_as(viewer)
    body = {"amount": "10.00", "date": "2026-02-01"}
    for suffix in ("draw/", "repay/", "events/", "schedule/"):
        assert outsider_client.get(f"/api/v1/channels/{channel.pk}/{suffix}").status_code in (404, 405)
        assert outsider_client.post(f"/api/v1/channels/{channel.pk}/{suffix}", body).status_code in (404, 405)
    assert viewer_client.post(f"/api/v1/channels/{channel.pk}/draw/", body).status_code == 403
    assert viewer_client.post(f"/api/v1/channels/{channel.pk}/repay/", body).status_code == 403
    event = {"kind": "freeze", "date": "2026-02-01", "reason": "test"}
    assert viewer_client.post(f"/api/v1/channels/{channel.pk}/events/", event).status_code == 403
    assert viewer_client.get(f"/api/v1/channels/{channel.pk}/events/").status_code == 200
    channel.refresh_from_db()
    assert channel.drawn == Decimal("100.00") and channel.status == "active"


def test_analyst_cannot_record_lender_action_or_approve(objects, analyst, api_as):
    channel, _ = objects["channels"]
    plan, _ = objects["plans"]
    client = api_as(analyst)
    event = {"kind": "close", "date": "2026-02-01", "reason": "platform risk control"}
    assert client.post(f"/api/v1/channels/{channel.pk}/events/", event).status_code == 403
    assert client.post(f"/api/v1/plans/{plan.pk}/approve/").status_code == 403


def test_another_companys_ids_in_a_payload_are_refused(objects, outsider, api_as, other_company):
    channel, _ = objects["channels"]
    pool, _ = objects["pools"]
    foreign_cp = CounterpartyFactory(company=other_company)
    client = api_as(outsider)
    body = {
        "name": "Sneaky", "counterparty": objects["counterparties"][0].pk, "channel_type": "other", "limit": "1.00",
        "annual_rate": "0.01", "start_date": "2026-01-01", "maturity_date": "2027-01-01",
    }  # fmt: skip
    response = client.post("/api/v1/channels/", body, format="json")
    assert response.status_code == 400 and "counterparty" in response.json()
    response = client.post("/api/v1/ledger/", {"channel": channel.pk, "date": "2026-02-02", "kind": "fee",
                                                "amount": "1.00"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "channel" in response.json()
    plan = {"name": "p", "trigger": "on_shock", "steps": [{"order": 1, "action": "liquidate_pool", "pool": pool.pk}]}
    response = client.post("/api/v1/plans/", plan, format="json")
    assert response.status_code == 400 and "steps" in response.json()
    scenario = {
        "name": "s",
        "as_of": "2026-01-01",
        "shocks": [{"target_type": "channel", "target": str(channel.pk), "action": "close", "day": 0}],
    }
    response = client.post("/api/v1/scenarios/", scenario, format="json")
    assert response.status_code == 400 and "shocks[0].target" in response.json()
    assert foreign_cp.company == other_company


def test_user_in_two_companies_must_name_one(company, other_company, api_as):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="both")
    MembershipFactory(user=user, company=company, role="viewer")
    MembershipFactory(user=user, company=other_company, role="viewer")
    CounterpartyFactory(company=company, name="A's bank")
    CounterpartyFactory(company=other_company, name="B's bank")
    client = api_as(user)
    response = client.get("/api/v1/counterparties/")
    assert response.status_code == 400 and "X-Company" in response.json()["detail"]
    names = [r["name"] for r in client.get("/api/v1/counterparties/", HTTP_X_COMPANY="rival").json()["results"]]
    assert names == ["B's bank"]


def test_companies_list_shows_only_own_and_creator_becomes_admin(company, other_company, analyst, api_as):
    client = api_as(analyst)
    slugs = [c["slug"] for c in client.get("/api/v1/companies/").json()["results"]]
    assert slugs == ["acme"]
    assert client.get("/api/v1/companies/rival/").status_code == 404
    created = client.post("/api/v1/companies/", {"slug": "newco", "name": "NewCo"}, format="json")
    assert created.status_code == 201 and created.json()["role"] is None or created.json()["slug"] == "newco"
    members = client.get("/api/v1/companies/newco/members/").json()
    assert members == [{"username": "ana-analyst", "role": "admin", "notify_on_failed_drill": False}]


def test_only_admins_manage_members(company, analyst, company_admin, viewer, api_as):
    assert (
        api_as(analyst)
        .post("/api/v1/companies/acme/members/", {"username": "vera-viewer", "role": "admin"})
        .status_code
        == 403
    )
    response = api_as(company_admin).patch(
        "/api/v1/companies/acme/members/vera-viewer/", {"role": "analyst"}, format="json"
    )
    assert response.status_code == 200 and response.json()["role"] == "analyst"
    assert api_as(company_admin).delete("/api/v1/companies/acme/members/ada-admin/").status_code == 400  # last admin
    assert api_as(company_admin).delete("/api/v1/companies/acme/members/vera-viewer/").status_code == 204
