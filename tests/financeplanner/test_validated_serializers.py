"""The API's serializers run the model's own checks (NetBox's ValidatedModelSerializer): one rule, one message, in the
reader's language, naming the field; the importer's bulk mode leaves out the per-row queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.api.serializers import CounterpartySerializer
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db


def test_the_api_gives_the_models_own_messages_in_the_readers_language(company, analyst, api_as):
    client = api_as(analyst)
    body = {"name": "Rent", "category": "rent", "amount": "-10.00", "currency": "CNY", "start_date": "2026-02-01",
            "end_date": "2026-01-01", "frequency": "monthly"}  # fmt: skip
    response = client.post("/api/v1/cash-flows/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"end_date": ["The end date cannot be before the start date."]}
    chinese = client.post("/api/v1/cash-flows/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.json() == {"end_date": ["结束日期不能早于开始日期。"]}
    plan = client.post("/api/v1/plans/", {"name": "P", "trigger": "below_threshold"}, format="json")
    assert plan.status_code == 400
    assert plan.json() == {"threshold": ["A plan triggered below a threshold needs the threshold."]}
    lender = client.post("/api/v1/counterparties/", {"name": "X", "kind": "bank", "country": "C1"})
    assert lender.json() == {"country": ["Use the two-letter ISO 3166 country code, e.g. CN."]}


def test_bulk_validation_makes_no_query_per_row(company):
    """The importer's mode: field rules and clean() still run, the uniqueness queries are left to the importer."""
    CounterpartyFactory(company=company, name="Bank A")
    bulk = CounterpartySerializer(context={"company": company, "bulk": True})
    with CaptureQueriesContext(connection) as queries:
        assert bulk.run_validation({"name": "bank a", "kind": "bank", "country": "cn"})["country"] == "CN"
    assert len(queries) == 0
    single = CounterpartySerializer(data={"name": "bank a", "kind": "bank"}, context={"company": company})
    assert not single.is_valid() and single.errors["name"] == ["There is already a counterparty called bank a."]


def test_a_cut_to_a_negative_limit_is_refused_by_the_models_rule(company, treasurer, api_as):
    channel = FundingChannelFactory(company=company, limit=Decimal("100.00"), start_date=date(2026, 1, 1))
    body = {"kind": "reduce", "date": "2026-02-01", "new_limit": "-1", "reason": "x"}
    response = api_as(treasurer).post(f"/api/v1/channels/{channel.pk}/events/", body)
    assert response.status_code == 400
    assert response.json() == {"new_limit": ["Ensure this value is greater than or equal to 0."]}
