"""The published contract answers: every path and field of DESIGN.md's table, and a valid OpenAPI 3 schema."""

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

# DESIGN.md's public contract: resource -> fields it must have.
CONTRACT = {
    "/api/v1/companies/": ["id", "slug", "name", "reporting_currency", "survival_horizon_days", "min_cash_buffer",
                           "target_survival_probability"],
    "/api/v1/counterparties/": ["id", "name", "kind", "country"],
    "/api/v1/credit-assessments/": ["id", "counterparty", "as_of", "source", "rating", "score", "pd_1y"],
    "/api/v1/channels/": ["id", "name", "counterparty", "channel_type", "currency", "limit", "drawn", "headroom",
                          "committed", "status", "annual_rate", "day_count", "start_date", "maturity_date",
                          "repayment_profile", "rolls_over", "notice_days", "updated_at"],
    "/api/v1/ledger/": ["id", "channel", "date", "kind", "amount", "reference"],
    "/api/v1/pools/": ["id", "name", "kind", "currency", "amount", "haircut", "days_to_cash", "channel"],
    "/api/v1/cash-flows/": ["id", "name", "category", "amount", "currency", "start_date", "end_date", "frequency",
                            "discretionary"],
    "/api/v1/plans/": ["id", "name", "status", "trigger", "threshold", "steps"],
    "/api/v1/scenarios/": ["id", "name", "kind", "as_of", "horizon_days", "paths", "seed", "own_downgrade_notches",
                           "market_stress", "shocks"],
    "/api/v1/drills/": ["id", "status", "progress", "results", "scenario", "plan", "paths", "seed"],
    "/api/v1/alerts/": ["id", "indicator", "severity", "value", "message", "created_at", "acknowledged_at"],
}  # fmt: skip
NESTED = {
    ("/api/v1/plans/", "steps"): ["order", "action", "pool", "amount", "lead_time_days", "cost_rate",
                                  "success_probability"],
    ("/api/v1/scenarios/", "shocks"): ["target_type", "target", "action", "day", "reduce_by", "freeze_days"],
}  # fmt: skip
OTHER_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/companies/{slug}/members/",
    "/api/v1/channels/{id}/draw/",
    "/api/v1/channels/{id}/repay/",
    "/api/v1/channels/{id}/events/",
    "/api/v1/schedules/preview/",
    "/api/v1/exports/{dataset}/",
    "/api/v1/trigger-watch/",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def _properties(schema, ref_or_schema):
    if "$ref" in ref_or_schema:
        name = ref_or_schema["$ref"].rsplit("/", 1)[-1]
        ref_or_schema = schema["components"]["schemas"][name]
    if "allOf" in ref_or_schema:
        merged = {}
        for part in ref_or_schema["allOf"]:
            merged.update(_properties(schema, part))
        return merged
    return ref_or_schema.get("properties", {})


def _item_schema(schema, path):
    item_path = path + "{id}/" if "{slug}" not in path else path
    if path == "/api/v1/companies/":
        item_path = "/api/v1/companies/{slug}/"
    content = schema["paths"][item_path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return _properties(schema, content)


@pytest.mark.parametrize("path", list(CONTRACT))
def test_every_contract_field_is_published(schema, path):
    assert path in schema["paths"]
    properties = _item_schema(schema, path)
    missing = [field for field in CONTRACT[path] if field not in properties]
    assert not missing, f"{path} lacks {missing}"
    for (nested_path, field), nested_fields in NESTED.items():
        if nested_path == path:
            item = properties[field]["items"]
            nested = _properties(schema, item)
            assert [f for f in nested_fields if f not in nested] == []


@pytest.mark.parametrize("path", OTHER_PATHS)
def test_every_contract_path_is_published(schema, path):
    assert path in schema["paths"]


def test_trigger_watch_rows_publish_the_contract_fields(schema):
    content = schema["paths"]["/api/v1/trigger-watch/"]["get"]["responses"]["200"]["content"]["application/json"]
    row = _properties(schema, content["schema"]["items"])
    fields = ["channel", "trigger", "kind", "action", "threshold", "current", "distance", "unit", "fires_now"]
    assert [f for f in fields if f not in row] == []


def test_error_responses_are_documented(schema):
    draw = schema["paths"]["/api/v1/channels/{id}/draw/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404"} <= set(draw)


def test_docs_page_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content and b"unpkg" not in response.content
