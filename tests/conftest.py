"""The fixed cast (Healthchecks' habit): company A with a member of each role, and an outsider from company B."""

import pytest
from rest_framework.test import APIClient

from tests.factories import CompanyFactory, MembershipFactory, UserFactory


@pytest.fixture
def company(db):
    return CompanyFactory(slug="acme", name="Acme Manufacturing")


@pytest.fixture
def other_company(db):
    return CompanyFactory(slug="rival", name="Rival Trading")


def _member(company, role, username):
    return MembershipFactory(company=company, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def viewer(company):
    return _member(company, "viewer", "vera-viewer")


@pytest.fixture
def analyst(company):
    return _member(company, "analyst", "ana-analyst")


@pytest.fixture
def treasurer(company):
    return _member(company, "treasurer", "tom-treasurer")


@pytest.fixture
def admin_user(company):
    return _member(company, "admin", "ada-admin")


@pytest.fixture
def outsider(other_company):
    return _member(other_company, "admin", "otto-outsider")


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api_as():
    """`api_as(user)` is an API client signed in as that user."""
    return _client_for
