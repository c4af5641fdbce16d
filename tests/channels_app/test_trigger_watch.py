"""Trigger watch: every trigger's distance to firing, computed by hand, through the API, the export and the alert."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channels_app import services
from channels_app.models import CreditAssessment, LenderTrigger
from contingency.early_warnings import alerts
from contingency.models import Alert
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db

D = Decimal


def today():
    return timezone.localdate()


def draw(channel, amount, days_ago):
    services.channel_draw(channel=channel, amount=D(amount), date=today() - timedelta(days=days_ago), by=None)


def trigger(channel, **fields):
    return LenderTrigger.objects.create(channel=channel, **fields)


def own_rating(company, rating, days_ago=30):
    return CreditAssessment.objects.create(
        company=company, counterparty=None, as_of=today() - timedelta(days=days_ago), source="rating_agency",
        rating=rating, pd_1y=D("0.001"),
    )  # fmt: skip


@pytest.fixture
def book(company):
    """Our rating A+ (master). Four lines; the distances below are worked out by hand in each test."""
    start, maturity = today() - timedelta(days=400), today() + timedelta(days=700)
    lender = CounterpartyFactory(company=company, name="Platform Co", kind="platform")
    platform = FundingChannelFactory(
        company=company, counterparty=lender, name="Platform", channel_type="small_loan_platform",
        limit=D("1000000.00"), start_date=start, maturity_date=maturity,
    )  # fmt: skip
    draw(platform, "500000.00", 40)  # outside the 30-day window
    draw(platform, "200000.00", 10)
    draw(platform, "150000.00", 2)  # 850,000 drawn: 85 %
    bank = FundingChannelFactory(
        company=company, name="Bank loan", channel_type="bank_term_loan", start_date=start, maturity_date=maturity
    )
    hot = FundingChannelFactory(
        company=company, name="Hot line", limit=D("100000.00"), start_date=start, maturity_date=maturity
    )
    draw(hot, "50000.00", 20)
    draw(hot, "45000.00", 1)  # 95 % since yesterday: two days above 90 %
    frozen = FundingChannelFactory(
        company=company, name="Frozen line", limit=D("100000.00"), start_date=start, maturity_date=maturity
    )
    draw(frozen, "99000.00", 5)
    services.channel_event_record(channel=frozen, kind="freeze", date=today(), reason="Risk review", by=None)
    closed = FundingChannelFactory(company=company, name="Closed line", start_date=start, maturity_date=maturity)
    services.channel_event_record(channel=closed, kind="close", date=today(), reason="Exit", by=None)
    own_rating(company, "A+")
    own_rating(company, "CCC", days_ago=-5)  # dated after today: not known yet, ignored
    return {
        "platform_util": trigger(platform, kind="utilisation_above", level=D("0.90"), days=3, action="close"),
        "platform_freq": trigger(platform, kind="borrowing_frequency", count=5, window_days=30, action="freeze",
                                 freeze_days=10),
        "platform_rating": trigger(platform, kind="own_rating_below", rating="A", action="close"),
        "bank_overdue": trigger(bank, kind="any_overdue", grace_days=3, action="call"),
        "bank_domestic": trigger(bank, kind="own_rating_below", rating="AA", scale="domestic", action="reduce",
                                 reduce_by=D("0.5")),
        "bank_unused": trigger(bank, kind="utilisation_below", level=D("0.10"), days=30, action="reduce",
                               reduce_by=D("0.5")),
        "bank_inflow": trigger(bank, kind="inflow_drop", level=D("0.70"), days=30, action="close"),
        "hot_util": trigger(hot, kind="utilisation_above", level=D("0.90"), days=3, action="close"),
        "frozen_util": trigger(frozen, kind="utilisation_above", level=D("0.90"), days=1, action="close"),
        "frozen_rating": trigger(frozen, kind="own_rating_below", rating="AA", action="close"),
        "closed_rating": trigger(closed, kind="own_rating_below", rating="AAA", action="close"),
    }  # fmt: skip


def watch_rows(client):
    response = client.get("/api/v1/trigger-watch/")
    assert response.status_code == 200, response.content
    return {row["trigger"]: row for row in response.json()}, [row["trigger"] for row in response.json()]


def test_distances_are_those_worked_out_by_hand(book, viewer, api_as):
    rows, order = watch_rows(api_as(viewer))
    t = {name: trig.pk for name, trig in book.items()}

    def at(name):
        row = rows[t[name]]
        return row["threshold"], row["current"], row["distance"], row["unit"], row["fires_now"]

    # A+ (rank 4) to "below A" (rank 5): A+ -> A does not fire, A -> A- does: two downgrades.
    assert at("platform_rating") == ("A", "A+", "2", "notches", False)
    # 85 % drawn against 90 %: 5 percentage points.
    assert at("platform_util") == ("0.9000", "0.8500", "5.00", "pp", False)
    # Two draws within the last 30 days (the one 40 days ago is outside): 5 - 2 = 3 draws to go.
    assert at("platform_freq") == ("5", "2", "3", "draws", False)
    # A missed payment fires the clause once it lasts longer than the 3 grace days: 4 days.
    assert at("bank_overdue") == ("3", "0", "4", "days", False)
    # Domestic AA at an offset of 6 is master BBB (rank 8); from A+ (rank 4): 8 + 1 - 4 = 5 notches. Our A+ reads
    # domestic AAA (4 - 6, stopped at AAA).
    assert at("bank_domestic") == ("AA", "AAA", "5", "notches", False)
    # Nothing drawn on the bank loan for the 400 days it has run: below 10 % for 30 days, it fires now.
    assert at("bank_unused") == ("0.1000", "0.0000", "0.00", "pp", True)
    # No actual inflows are recorded: the drop cannot be measured.
    assert at("bank_inflow") == ("0.7000", None, None, "share", False)
    # 95 % since yesterday: at the level (0 pp) but for 2 of the 3 days the lender waits.
    assert at("hot_util") == ("0.9000", "0.9500", "0.00", "pp", False)
    assert "2 of 3" in rows[t["hot_util"]]["note"]
    # The frozen line: its utilisation does not count; its rating trigger ("below AA", our A+) has fired.
    assert at("frozen_util") == ("0.9000", None, None, "pp", False)
    assert at("frozen_rating") == ("AA", "A+", "0", "notches", True)
    # A closed line has nothing left to cut: not watched.
    assert t["closed_rating"] not in rows
    # Closest first: what fires now, then by distance (ties by line name), what cannot be measured last.
    assert order == [
        t["bank_unused"], t["frozen_rating"], t["hot_util"], t["platform_rating"], t["platform_freq"],
        t["bank_overdue"], t["bank_domestic"], t["platform_util"], t["bank_inflow"], t["frozen_util"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("ours", "below", "notches"),
    [("A+", "A", 2), ("A", "A", 1), ("A-", "A", 0), ("AAA", "BBB-", 10), ("CCC-", "CC", 2), ("B", "C", None)],
)
def test_rating_distance_is_the_number_of_downgrades_that_fire_it(ours, below, notches, company, viewer, api_as):
    channel = FundingChannelFactory(company=company)
    trigger(channel, kind="own_rating_below", rating=below, action="close")
    own_rating(company, ours)
    row = api_as(viewer).get("/api/v1/trigger-watch/").json()[0]
    # "below C" can only fire on a default, and a downgrade stops at C (DESIGN): no distance.
    assert row["distance"] == (None if notches is None else str(notches))
    assert row["fires_now"] is (notches == 0)


def test_the_domestic_offset_is_the_companys(company, viewer, api_as):
    company.domestic_notch_offset = 7
    company.save()
    channel = FundingChannelFactory(company=company)
    trigger(channel, kind="own_rating_below", rating="AA-", scale="domestic", action="close")
    # Domestic AA- (rank 3) + 7 = master BB+ (rank 10): fires below BB+. From BBB- (rank 9): BB+ does not fire, BB
    # does: two downgrades. BBB- reads domestic 9 - 7 = rank 2: AA.
    own_rating(company, "BBB-")
    row = api_as(viewer).get("/api/v1/trigger-watch/").json()[0]
    assert (row["current"], row["distance"], row["scale"]) == ("AA", "2", "domestic")


def test_another_companys_watch_is_invisible(book, outsider, api_as, company):
    client = api_as(outsider)
    assert client.get("/api/v1/trigger-watch/").json() == []
    assert client.get("/api/v1/trigger-watch/", HTTP_X_COMPANY=company.slug).status_code == 404
    export = client.get("/api/v1/exports/trigger-watch/", {"format": "json"})
    assert json.loads(b"".join(export.streaming_content)) == []


def test_anonymous_cannot_read_the_watch(book, client):
    assert client.get("/api/v1/trigger-watch/").status_code in (401, 403)


def test_the_export_has_the_same_rows(book, viewer, api_as):
    client = api_as(viewer)
    response = client.get("/api/v1/exports/trigger-watch/", {"format": "json"})
    assert response.status_code == 200 and response["X-Export-Mode"] == "snapshot"
    exported = json.loads(b"".join(response.streaming_content))
    api = client.get("/api/v1/trigger-watch/").json()
    assert [(r["trigger"], r["distance"], r["fires_now"]) for r in exported] == [
        (r["trigger"], r["distance"], r["fires_now"]) for r in api
    ]


def test_the_notches_away_alert_counts_the_downgrades_that_fire(company):
    channel = FundingChannelFactory(company=company, name="Platform")
    trigger(channel, kind="own_rating_below", rating="A", action="close")
    own_rating(company, "A+")
    evaluation = alerts.evaluate_company(company=company)
    reading = next(r for r in evaluation.readings if r.indicator == "own_rating_trigger")
    assert reading.value == D(2) and reading.severity == "amber"
    assert "fires after 2 notch(es) of downgrade" in reading.message
    own_rating(company, "A-", days_ago=1)
    alerts.evaluate_company(company=company)
    alert = Alert.objects.get(company=company, indicator="own_rating_trigger", resolved_at__isnull=True)
    assert (alert.value, alert.severity) == (D(0), "red")
    assert "has fired" in alert.message


def test_the_watch_of_one_channel_and_a_bad_channel_parameter(book, viewer, api_as):
    client = api_as(viewer)
    bank = book["bank_overdue"].channel
    rows = client.get("/api/v1/trigger-watch/", {"channel": bank.pk}).json()
    assert sorted(r["trigger"] for r in rows) == sorted(
        book[name].pk for name in ("bank_overdue", "bank_domestic", "bank_unused", "bank_inflow")
    )
    refused = client.get("/api/v1/trigger-watch/", {"channel": "x1"})
    assert refused.status_code == 400 and "channel" in refused.json()


def test_a_trigger_recorded_without_its_parameters_is_shown_not_measured(company, viewer, api_as):
    # Rows stored before the app asked for every parameter (the model's clean() now refuses them).
    channel = FundingChannelFactory(company=company)
    trigger(channel, kind="borrowing_frequency", action="close")
    trigger(channel, kind="utilisation_above", action="close")
    rows = api_as(viewer).get("/api/v1/trigger-watch/").json()
    assert [(r["unit"], r["distance"], r["fires_now"], r["note"]) for r in rows] == [
        ("draws", None, False, "The trigger has no draws recorded."),
        ("pp", None, False, "The trigger has no utilisation level recorded."),
    ]
