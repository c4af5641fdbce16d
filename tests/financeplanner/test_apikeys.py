"""Read-only API keys: an admin issues one (shown once, stored hashed), an ERP pulls exports with it, every use is
logged, and it works nowhere else, for nothing but reads, and not after it is revoked."""

import hashlib

import pytest
from rest_framework.test import APIClient

from financeplanner.apikeys import apikey_create
from financeplanner.models import ApiKey, ApiKeyUse
from tests.factories import LiquidityPoolFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("close_unread_exports")]


@pytest.fixture
def issued(company, company_admin, api_as):
    response = api_as(company_admin).post("/api/v1/api-keys/", {"name": "SAP nightly pull"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def with_key(plain, **headers):
    client = APIClient(REMOTE_ADDR="10.1.2.3")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}", **headers)
    return client


def test_the_key_is_shown_once_and_only_its_hash_is_stored(issued, company_admin, api_as):
    plain = issued["key"]
    assert plain.startswith(issued["prefix"] + ".")
    stored = ApiKey.objects.get(pk=issued["id"])
    secret = plain.split(".", 1)[1]
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=stored.pk).values().get())
    listed = api_as(company_admin).get("/api/v1/api-keys/").json()["results"]
    assert [row["id"] for row in listed] == [issued["id"]] and "key" not in listed[0]
    assert "key" not in api_as(company_admin).get(f"/api/v1/api-keys/{issued['id']}/").json()


def test_an_erp_pulls_exports_with_the_key_and_every_use_is_logged(issued, company):
    pool = LiquidityPoolFactory(company=company)
    response = with_key(issued["key"]).get("/api/v1/exports/pools/", {"format": "csv"})
    assert response.status_code == 200
    assert str(pool.pk) in b"".join(response.streaming_content).decode()
    use = ApiKeyUse.objects.get(key_id=issued["id"])
    assert (use.path, use.ip, use.method) == ("/api/v1/exports/pools/?format=csv", "10.1.2.3", "GET")
    assert ApiKey.objects.get(pk=issued["id"]).last_used_at is not None


def test_the_key_is_scoped_to_its_company_whatever_the_header_says(issued, company, other_company):
    LiquidityPoolFactory(company=other_company, name="Rival cash")
    response = with_key(issued["key"], HTTP_X_COMPANY=other_company.slug).get("/api/v1/exports/pools/")
    assert response.status_code == 200
    assert b"Rival cash" not in b"".join(response.streaming_content)


def test_the_key_works_only_on_export_endpoints_and_only_for_reads(issued):
    client = with_key(issued["key"])
    for url in ("/api/v1/channels/", "/api/v1/companies/", "/api/v1/api-keys/", "/api/v1/alerts/"):
        assert client.get(url).status_code == 401, url
    assert client.post("/api/v1/exports/pools/").status_code == 403
    assert client.post("/api/v1/api-keys/", {"name": "escalate"}).status_code == 401


def test_a_revoked_key_is_refused_at_once(issued, company_admin, api_as):
    assert with_key(issued["key"]).get("/api/v1/exports/pools/").status_code == 200
    response = api_as(company_admin).post(f"/api/v1/api-keys/{issued['id']}/revoke/")
    assert response.status_code == 200 and response.json()["active"] is False
    assert with_key(issued["key"]).get("/api/v1/exports/pools/").status_code == 401
    assert api_as(company_admin).delete(f"/api/v1/api-keys/{issued['id']}/").status_code == 204
    assert ApiKey.objects.filter(pk=issued["id"], revoked_at__isnull=False).exists()  # kept, for the log


@pytest.mark.parametrize("header", ["Api-Key fp_nothing.here", "Api-Key", "Api-Key a b", "Api-Key fp_12345678.wrong"])
def test_wrong_keys_are_401(header, issued):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/exports/pools/").status_code == 401


def test_a_guessed_secret_with_a_real_prefix_is_refused(issued):
    prefix = issued["prefix"]
    assert with_key(f"{prefix}.not-the-secret").get("/api/v1/exports/pools/").status_code == 401
    assert not ApiKeyUse.objects.exists()


def test_the_use_log_is_listed_for_the_admin(issued, company_admin, api_as):
    with_key(issued["key"]).get("/api/v1/exports/ledger/", {"format": "xlsx"})
    uses = api_as(company_admin).get(f"/api/v1/api-keys/{issued['id']}/uses/").json()["results"]
    assert [u["path"] for u in uses] == ["/api/v1/exports/ledger/?format=xlsx"]


def test_viewers_download_exports_with_their_own_login(viewer, api_as):
    assert api_as(viewer).get("/api/v1/exports/ledger/", {"format": "xlsx"}).status_code == 200


def test_keys_are_throttled_per_key(issued, company, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "exports": "2/minute"}
    )
    try:
        other = apikey_create(company=company, name="Other ERP", by=None).plain
        client = with_key(issued["key"])
        assert [client.get("/api/v1/exports/pools/").status_code for _ in range(3)] == [200, 200, 429]
        assert with_key(other).get("/api/v1/exports/pools/").status_code == 200  # its own budget
    finally:
        cache.clear()
