"""Tenancy beyond one endpoint at a time: another company's ids in a payload, a user of two companies, new companies.

That an outsider can neither read nor change company A's data, and that each write needs its role, is checked for
every routed endpoint and page by tests/security/test_tenancy_api.py and test_tenancy_pages.py.
"""

import pytest

from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = pytest.mark.django_db


def test_another_companys_ids_in_a_payload_are_refused(company, outsider, api_as, other_company):
    channel = FundingChannelFactory(company=company)
    pool = LiquidityPoolFactory(company=company)
    foreign_cp = CounterpartyFactory(company=other_company)
    client = api_as(outsider)
    body = {
        "name": "Sneaky", "counterparty": channel.counterparty.pk, "channel_type": "other", "limit": "1.00",
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
    assert members == [
        {"username": "ana-analyst", "role": "admin", "notify_on_failed_drill": False, "alert_emails": None}
    ]
