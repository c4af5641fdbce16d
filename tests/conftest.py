"""The fixed cast (Healthchecks' habit): company A with a member of each role, and an outsider from company B."""

import gc

import pytest
from django.utils import translation
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
def company_admin(company):
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


@pytest.fixture
def start_worker(django_db_setup, settings):
    """`start_worker(name)` starts a real Celery worker on the test database; all are stopped after the test."""
    from tests.workers import Worker, purge_queue

    if not settings.CELERY_BROKER_URL:
        pytest.fail("These tests need a broker: run them with CELERY_BROKER_URL (make test sets it).")
    purge_queue()
    workers = []

    def start(name: str = "w1", **kwargs):
        worker = Worker(name, **kwargs)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(autouse=True)
def _tasks_inline_unless_a_worker_runs(request):
    """Tests without a real worker run tasks inline; tests that start workers send them through Redis."""
    from financeplanner.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = "start_worker" not in request.fixturenames
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in Chinese leaves its language active in the thread (LocaleMiddleware activates it and nothing
    resets it), so a later test would read Chinese messages: every test starts in the default language."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; the test cast needs none of it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def close_unread_exports(db):
    """A streamed export that a test never reads holds a server-side cursor; close it while the test's transaction
    still exists (a real WSGI server always closes the response)."""
    yield
    gc.collect()
