"""Hardening: `check --deploy` is clean with production values, secrets come only from the environment, security
headers are set. Password guessing: tests/financeplanner/test_brute_force.py."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

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
    "CACHE_URL": "redis://127.0.0.1:6379/0",  # login attempts and throttles shared by every process
}


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(64), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key_from_the_environment():
    result = manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_security_headers_are_set(client):
    response = client.get("/api/v1/companies/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_check_deploy_warns_when_login_attempts_would_be_counted_per_process():
    production_without_shared_cache = {k: v for k, v in PRODUCTION.items() if k != "CACHE_URL"}
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(64),
        **production_without_shared_cache, CACHE_URL="locmemcache://",
    )  # fmt: skip
    assert result.returncode != 0
    assert "axes.W001" in result.stdout + result.stderr
