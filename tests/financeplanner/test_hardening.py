"""Hardening: `check --deploy` is clean with production values, secrets come only from the environment, security
headers are set, and password guessing is throttled on the HTML login form and on the token endpoint."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # What the test process itself set (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests) is no deployment's.
    dropped = ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DATABASE_URL": "sqlite:///:memory:", "CELERY_BROKER_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
}


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(64), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key_from_the_environment():
    result = manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_security_headers_are_set(client):
    response = client.get("/api/v1/companies/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_html_login_is_throttled_per_address_and_per_username(client, fresh_cache, settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for attempt in range(allowed):
        response = client.post("/accounts/login/", {"username": f"guess{attempt}", "password": "x"})
        assert response.status_code != 429
    refused = client.post("/accounts/login/", {"username": "someone", "password": "x"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    # Another address may still try another account; the same account from anywhere is refused past the rate.
    assert (
        client.post("/accounts/login/", {"username": "fresh", "password": "x"}, REMOTE_ADDR="10.9.9.9").status_code
        != 429
    )
    for _ in range(allowed):
        client.post("/accounts/login/", {"username": "victim", "password": "x"}, REMOTE_ADDR="10.8.0.1")
    assert (
        client.post("/accounts/login/", {"username": "victim", "password": "x"}, REMOTE_ADDR="10.8.0.2").status_code
        == 429
    )
    assert client.get("/accounts/login/").status_code != 429  # reading the form is never throttled


@pytest.mark.django_db
def test_token_endpoint_is_throttled(client, fresh_cache, settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    codes = [
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code for _ in range(allowed + 1)
    ]
    assert codes[:allowed] == [400] * allowed
    assert codes[-1] == 429
