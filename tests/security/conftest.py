"""Fixtures of the attack tests: a signed-in browser-like client (session and CSRF, as a person's browser)."""

import pytest
from django.test import Client

from tests.security.tenancy_cast import CompanyA


@pytest.fixture
def web_as(db):
    """`web_as(user)` is a Django test client signed in as that user."""

    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def acme(company):
    """Company A of the generated tenancy tests, with a member of each role (tests/security/tenancy_cast.py)."""
    return CompanyA(company)
