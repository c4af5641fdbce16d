"""Helpers of the contingency page tests: a drill run start to finish without a broker, a signed-in client, and the
count of a page's queries. The book they work on is a fixture of tests/web/conftest.py."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from contingency import drills
from contingency.models import DrillRun


def finished_run(company, scenario, plan=None, by=None) -> DrillRun:
    """A drill run simulated here, start to finish, without a broker."""
    run = drills.drill_start(company=company, scenario=scenario, plan=plan, by=by, enqueue=False)
    drills.drill_run_here(drills.claim(run.pk))
    run.refresh_from_db()
    return run


def signed_in(client, user):
    client.force_login(user)
    return client


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)
