"""The per-company cache (financeplanner.caching) on the real Redis of `make test`: a cached read is served without
its queries, is fresh again after any write — through the API, a service, or a bulk write that reports itself — and
one company's writes neither invalidate nor ever show in another company's reads."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_app import services
from channels_app.models import FundingChannel, LenderTrigger
from channels_app.watch import trigger_watch
from contingency import drills
from contingency.dashboard import dashboard_for
from financeplanner import caching
from financeplanner.models import Company
from tests.contingency.drill_fixtures import worked_example
from tests.factories import CounterpartyFactory, FundingChannelFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def redis_cache(settings):
    """The shared cache production uses: Redis (the test broker's database), under a prefix of this test's own."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("These tests need Redis: run them with CELERY_BROKER_URL (make test sets it).")
    prefix = f"test-caching-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": prefix,
        }
    }
    assert caching.enabled()
    yield
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def read_tables(captured) -> set[str]:
    return {table for query in captured.captured_queries for table in _TABLES if table in query["sql"]}


_TABLES = ("channels_app_lendertrigger", "channels_app_ledgerentry", "channels_app_creditassessment")


def watched(company):
    """The trigger watch of the company and the tables it read to answer."""
    with CaptureQueriesContext(connection) as captured:
        rows = trigger_watch(company=company)
    return {row.trigger: (row.current, row.distance) for row in rows}, read_tables(captured)


def line_with_trigger(company, drawn="500000.00"):
    """A 1,000,000 line drawn to `drawn`, with a trigger on utilisation above 90 %."""
    today = timezone.localdate()
    channel = FundingChannelFactory(
        company=company, limit=D("1000000.00"), start_date=today - timedelta(days=100),
        maturity_date=today + timedelta(days=700),
    )  # fmt: skip
    services.channel_draw(channel=channel, amount=D(drawn), date=today - timedelta(days=3), by=None)
    trigger = LenderTrigger.objects.create(channel=channel, kind="utilisation_above", level=D("0.90"), days=1,
                                           action="freeze", freeze_days=5)  # fmt: skip
    return channel, trigger


def test_a_second_read_is_served_from_the_cache(company):
    _, trigger = line_with_trigger(company)
    first, tables = watched(company)
    assert first == {trigger.pk: ("0.5000", D("40.00"))}  # 500,000 / 1,000,000; 90 % - 50 %
    assert "channels_app_lendertrigger" in tables
    second, tables = watched(company)
    assert second == first and tables == set()


def test_a_draw_through_the_api_is_seen_at_once(company, treasurer, api_as):
    channel, trigger = line_with_trigger(company)
    client = api_as(treasurer)
    before = client.get("/api/v1/trigger-watch/").json()
    assert [(row["current"], row["distance"]) for row in before] == [("0.5000", "40.00")]
    assert client.get("/api/v1/trigger-watch/").json() == before  # cached
    today = timezone.localdate().isoformat()
    drawn = client.post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "350000.00", "date": today}, format="json")
    assert drawn.status_code == 201, drawn.content
    after = client.get("/api/v1/trigger-watch/").json()
    assert [(row["current"], row["distance"]) for row in after] == [("0.8500", "5.00")]
    assert after[0]["trigger"] == trigger.pk


def test_a_trigger_changed_through_the_api_is_seen_at_once(company, analyst, api_as):
    channel, trigger = line_with_trigger(company)
    client = api_as(analyst)
    assert client.get("/api/v1/trigger-watch/").json()[0]["threshold"] == "0.9000"
    body = {"triggers": [{"kind": "utilisation_above", "level": "0.60", "days": 1, "action": "freeze",
                          "freeze_days": 5}]}  # fmt: skip
    assert client.patch(f"/api/v1/channels/{channel.pk}/", body, format="json").status_code == 200
    rows = client.get("/api/v1/trigger-watch/").json()
    assert [(row["threshold"], row["distance"]) for row in rows] == [("0.6000", "10.00")]


def test_a_service_write_is_seen_at_once(company):
    channel, trigger = line_with_trigger(company)
    watched(company)
    services.channel_repay(channel=channel, amount=D("100000.00"), date=timezone.localdate(), by=None)
    rows, tables = watched(company)
    assert rows == {trigger.pk: ("0.4000", D("50.00"))} and "channels_app_lendertrigger" in tables


def test_a_bulk_write_is_seen_once_it_is_reported(company):
    """`QuerySet.update()` sends no signal: a service that uses it calls `company_changed`."""
    channel, trigger = line_with_trigger(company)
    watched(company)
    FundingChannel.objects.filter(pk=channel.pk).update(drawn=D("950000.00"))
    caching.company_changed(company.pk)
    rows, _ = watched(company)
    assert rows == {trigger.pk: ("0.9500", D("0.00"))}


def test_another_companys_writes_neither_invalidate_nor_leak(company, other_company):
    _, ours = line_with_trigger(company, drawn="500000.00")
    their_channel, theirs = line_with_trigger(other_company, drawn="200000.00")
    assert watched(company)[0] == {ours.pk: ("0.5000", D("40.00"))}
    assert watched(other_company)[0] == {theirs.pk: ("0.2000", D("70.00"))}
    services.channel_draw(channel=their_channel, amount=D("100000.00"), date=timezone.localdate(), by=None)
    rows, tables = watched(company)
    assert rows == {ours.pk: ("0.5000", D("40.00"))} and tables == set()  # still cached, still ours
    assert watched(other_company)[0] == {theirs.pk: ("0.3000", D("60.00"))}


def test_an_outsider_never_reads_a_cached_answer_of_another_company(company, outsider, treasurer, api_as):
    line_with_trigger(company)
    assert len(api_as(treasurer).get("/api/v1/trigger-watch/").json()) == 1
    assert api_as(outsider).get("/api/v1/trigger-watch/").json() == []


def test_the_day_is_part_of_the_key(company):
    channel, trigger = line_with_trigger(company)
    today = timezone.localdate()
    services.channel_draw(channel=channel, amount=D("450000.00"), date=today, by=None)
    assert trigger_watch(company=company, today=today)[0].fires_now  # 95 % today, one day wanted
    # Yesterday the line was at 50 %: the same company's answer for another day is computed, not reused.
    yesterday = trigger_watch(company=company, today=today - timedelta(days=1))[0]
    assert not yesterday.fires_now and yesterday.note == ""


def test_a_new_member_of_the_company_does_not_need_a_fresh_cache_but_gets_the_same_rows(company, api_as):
    line_with_trigger(company)
    first = api_as(MembershipFactory(company=company, role="viewer", user=UserFactory()).user)
    second = api_as(MembershipFactory(company=company, role="viewer", user=UserFactory()).user)
    assert first.get("/api/v1/trigger-watch/").json() == second.get("/api/v1/trigger-watch/").json()


def test_without_a_shared_cache_nothing_is_cached(company, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not caching.enabled()
    line_with_trigger(company)
    watched(company)
    assert "channels_app_lendertrigger" in watched(company)[1]


# -- the dashboard -----------------------------------------------------------------------------------------------


def dashboard(company):
    """The company's dashboard as a request builds it (the company loaded afresh), and whether building it read the
    company's channels."""
    with CaptureQueriesContext(connection) as captured:
        board = dashboard_for(Company.objects.get(pk=company.pk))
    return board, any("channels_app_fundingchannel" in q["sql"] for q in captured.captured_queries)


def test_the_dashboard_is_cached_and_fresh_after_a_draw_through_the_api(company, treasurer, api_as):
    channel, _ = line_with_trigger(company)
    board, read = dashboard(company)
    assert board.funding.total_drawn == D("500000.00") and read
    board, read = dashboard(company)
    assert board.funding.total_drawn == D("500000.00") and not read and board.company == company
    today = timezone.localdate().isoformat()
    body = {"amount": "125000.50", "date": today}
    assert api_as(treasurer).post(f"/api/v1/channels/{channel.pk}/draw/", body, format="json").status_code == 201
    board, read = dashboard(company)
    assert board.funding.total_drawn == D("625000.50") and read
    # The closest-triggers card reads the trigger watch: 62.50 % drawn, 27.50 points from the 90 % trigger.
    assert [(row.current, row.distance) for row in board.closest_triggers] == [("0.6250", D("27.50"))]


def test_a_drill_finished_by_the_drill_service_is_on_the_dashboard_at_once(company):
    """A drill's status is written with `QuerySet.update()` (a claimed, conditional write): drills.py reports it."""
    example = worked_example(company)
    assert dashboard(company)[0].drills == []
    run = drills.drill_start(company=company, scenario=example["line_closes"], enqueue=False)
    drills.drill_run_here(drills.claim(run.pk))
    board, _ = dashboard(company)
    # The line closes on day 0 and no plan is drawn on: 1,000,000 of cash at -100,000 a day lasts 10 days.
    assert [(outcome.run.pk, outcome.report.runway) for outcome in board.drills] == [(run.pk, 10)]


def test_a_policy_change_of_the_company_is_seen_at_once(company, company_admin, api_as):
    assert dashboard(company)[0].company.survival_horizon_days == 90
    body = {"survival_horizon_days": 120}
    assert api_as(company_admin).patch(f"/api/v1/companies/{company.slug}/", body, format="json").status_code == 200
    assert dashboard(company)[0].company.survival_horizon_days == 120


def test_another_companys_draw_leaves_our_cached_dashboard_alone(company, other_company):
    line_with_trigger(company, drawn="500000.00")
    theirs, _ = line_with_trigger(other_company, drawn="200000.00")
    assert dashboard(company)[0].funding.total_drawn == D("500000.00")
    assert dashboard(other_company)[0].funding.total_drawn == D("200000.00")
    services.channel_draw(channel=theirs, amount=D("1.00"), date=timezone.localdate(), by=None)
    board, read = dashboard(company)
    assert board.funding.total_drawn == D("500000.00") and not read
    board, read = dashboard(other_company)
    assert board.funding.total_drawn == D("200001.00") and read and board.company == other_company


def test_channels_imported_in_bulk_are_on_the_dashboard_at_once(company, analyst, api_as):
    """The import inserts with `bulk_create` (no post_save): its commit reports the change itself."""
    line_with_trigger(company)
    CounterpartyFactory(company=company, name="Bank of Ningbo")
    assert dashboard(company)[0].funding.total_limit == D("1000000.00")
    header = [
        "name", "counterparty", "channel_type", "currency", "limit", "committed", "rate_type", "base_rate", "spread",
        "annual_rate", "fee_rate", "day_count", "start_date", "maturity_date", "repayment_profile",
        "payment_frequency", "rolls_over", "notice_days", "action_probability", "notes",
    ]  # fmt: skip
    row = ["Ningbo term loan", "Bank of Ningbo", "bank_term_loan", "", "500000", "", "", "", "", "0.045", "", "",
           "2026-01-01", "2028-01-01", "", "", "", "", "", ""]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, row])
    upload = SimpleUploadedFile("channels.csv", buffer.getvalue().encode(), content_type="text/csv")
    response = api_as(analyst).post("/api/v1/imports/channels/", {"file": upload, "commit": "true"}, format="multipart")
    assert response.status_code == 201, response.content
    assert dashboard(company)[0].funding.total_limit == D("1500000.00")
