"""API tokens expire and rotate; page sessions have a set lifetime."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-123"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def get_token(client, username):
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def as_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_expires_after_the_configured_days_and_a_new_login_gives_a_fresh_one(company, viewer, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    issued = get_token(APIClient(), "vera-viewer")
    token = Token.objects.get(key=issued["token"])
    assert issued["expires_at"].startswith((token.created + timedelta(days=30)).date().isoformat())
    assert as_token(issued["token"]).get("/api/v1/companies/").status_code == 200

    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=30, seconds=1))
    expired = as_token(issued["token"]).get("/api/v1/companies/")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    fresh = get_token(APIClient(), "vera-viewer")
    assert fresh["token"] != issued["token"]
    assert as_token(fresh["token"]).get("/api/v1/companies/").status_code == 200
    assert as_token(issued["token"]).get("/api/v1/companies/").status_code == 401


def test_a_valid_token_is_returned_again_until_it_expires(company, viewer):
    assert get_token(APIClient(), "vera-viewer")["token"] == get_token(APIClient(), "vera-viewer")["token"]


def test_rotating_replaces_the_token_at_once(company, viewer):
    old = get_token(APIClient(), "vera-viewer")["token"]
    rotated = as_token(old).post("/api/v1/auth/token/rotate/")
    assert rotated.status_code == 200
    new = rotated.json()["token"]
    assert new != old and rotated.json()["expires_at"]
    assert as_token(old).get("/api/v1/companies/").status_code == 401
    assert as_token(new).get("/api/v1/companies/").status_code == 200
    assert APIClient().post("/api/v1/auth/token/rotate/").status_code == 401  # not without a credential


def test_page_session_lasts_eight_hours_by_default(client):
    UserFactory(username="clerk")
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 8 * 3600
