"""Fixtures of the attack tests: a signed-in browser-like client (session and CSRF, as a person's browser)."""

import pytest
from django.test import Client


@pytest.fixture
def web_as(db):
    """`web_as(user)` is a Django test client signed in as that user."""

    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return signed_in
