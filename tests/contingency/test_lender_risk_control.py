"""Every lender trigger a treasurer can record is rehearsed (issue 10; DESIGN.md "Lender risk control").

Hand-computed drills through `run_drill --json` (the public contract): each expected number is worked out in the
comments from DESIGN.md's day order and docs/drill-rules.md. Day 0 is 2026-03-10 throughout.
"""

import json
from datetime import date
from decimal import Decimal

import pytest

from channels_app import services as channel_services
from channels_app.models import FundingChannel
from contingency import services
from tests.contingency.hand_drills import AS_OF, cash, daily_outflow, liquidity, zero_buffer_30_day_policy
from tests.contingency.hand_drills import drill as json_drill
from tests.factories import CashFlowLineFactory, CounterpartyFactory, CreditAssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(company):
    return zero_buffer_30_day_policy(company)


def drill(company, **scenario) -> dict:
    name = f"S{services.Scenario.objects.count()}"
    scenario.setdefault("horizon_days", 30)
    return json_drill(company, services.scenario_save(company=company, by=None, name=name, as_of=AS_OF, **scenario))


def line(company, name="Line", *, limit="1000000", channel_type="revolving_credit", triggers=(), **fields):
    kind = "platform" if channel_type == "small_loan_platform" else "bank"
    return channel_services.channel_create(
        company=company, by=None, name=name, counterparty=CounterpartyFactory(company=company, kind=kind),
        channel_type=channel_type, limit=Decimal(limit), annual_rate=Decimal("0"), start_date=date(2026, 1, 1),
        maturity_date=date(2028, 1, 1), repayment_profile="revolving", triggers=list(triggers), **fields,
    )  # fmt: skip


def test_an_unused_line_is_cut_by_its_utilisation_below_trigger(acme):
    # 1,000,000 cash pays 100,000 a day on days 0-9; the 500,000 line is unused (0 % < 10 %) at the start of days
    # 0, 1 and 2, so on day 2 it is closed: nothing is left for day 10. Without the clause it pays days 10-14.
    cash(acme, "1000000")
    daily_outflow(acme, "100000")
    line(acme, limit="500000", triggers=[{"kind": "utilisation_below", "level": "0.1", "days": 3, "action": "close"}])
    results = drill(acme)
    assert liquidity(results, 1) == 1_300_000.00
    assert liquidity(results, 2) == 700_000.00
    assert results["runway_days"] == 10


def test_cross_default_closes_a_frozen_line_before_it_reopens(acme):
    # 100,000 cash, 50,000 out a day: the first shortfall is day 2 (cash -50,000), -200,000 by day 5. The line's
    # recorded freeze ends on day 5; its cross-default clause (grace 0) fires on day 3, the day after the missed
    # payment, and closes it.
    cash(acme, "100000")
    daily_outflow(acme, "50000")
    frozen = line(acme, limit="500000", triggers=[{"kind": "any_overdue", "grace_days": 0, "action": "close"}])
    channel_services.channel_event_record(channel=frozen, kind="freeze", date=date(2026, 3, 5), freeze_days=10,
                                          reason="risk review", by=None)  # fmt: skip
    results = drill(acme)
    assert results["runway_days"] == 2
    assert liquidity(results, 5) == -200_000.00  # without the clause the reopened line would leave 300,000
    assert results["min_liquidity"] == -1_400_000.00  # 100,000 - 30 x 50,000: the line never comes back


@pytest.mark.parametrize(("grace", "day_5", "day_6"), [(2, -200_000.00, -250_000.00), (3, 300_000.00, 250_000.00)])
def test_grace_days_delay_the_cross_default(acme, grace, day_5, day_6):
    # The payments missed on days 2, 3 and 4 are an overdue of three days when day 5 begins. With 2 grace days
    # that is more than the grace: the clause closes the line on day 5 before it can be drawn. With 3 it is not:
    # the line reopens on day 5, 200,000 is drawn (300,000 left), the shortfall is cured, nothing fires later.
    cash(acme, "100000")
    daily_outflow(acme, "50000")
    frozen = line(acme, limit="500000", triggers=[{"kind": "any_overdue", "grace_days": grace, "action": "close"}])
    channel_services.channel_event_record(channel=frozen, kind="freeze", date=date(2026, 3, 5), freeze_days=10,
                                          reason="risk review", by=None)  # fmt: skip
    results = drill(acme)
    assert results["runway_days"] == 2
    assert (liquidity(results, 5), liquidity(results, 6)) == (day_5, day_6)


def test_a_frequency_trigger_is_fired_by_the_drills_own_draws(acme):
    # No cash, 100,000 out a day from a 1,000,000 platform line: draws on days 0, 1 and 2 are three draws within
    # the 5-day window, so the platform closes on day 3 before that day's draw: the shortfall is on day 3.
    daily_outflow(acme, "100000")
    line(acme, channel_type="small_loan_platform",
         triggers=[{"kind": "borrowing_frequency", "count": 3, "window_days": 5, "action": "close"}])  # fmt: skip
    results = drill(acme)
    assert liquidity(results, 2) == 700_000.00
    assert results["runway_days"] == 3


def test_recorded_draws_count_towards_the_frequency_trigger(acme):
    # Two draws recorded on the two days before day 0 and the drill's own draw on day 0 make three within the
    # window on day 1: the line closes then.
    daily_outflow(acme, "100000")
    platform = line(acme, channel_type="small_loan_platform",
                    triggers=[{"kind": "borrowing_frequency", "count": 3, "window_days": 5, "action": "close"}])  # fmt: skip
    for day in (date(2026, 3, 8), date(2026, 3, 9)):
        channel_services.channel_draw(channel=platform, amount=Decimal("10000"), date=day, by=None)
    results = drill(acme)
    assert liquidity(results, 0) == 880_000.00  # 1,000,000 - 20,000 recorded - 100,000 drawn on day 0
    assert results["runway_days"] == 1


def test_a_downgrade_on_day_5_closes_a_platform_before_that_days_draw(acme):
    # Rated BBB; the platform closes when the rating falls below BBB-. A 2-notch downgrade on day 5 (BBB -> BB+)
    # closes it in step 2 of day 5, before step 4's draw: days 0-4 were drawn (500,000), day 5 falls short.
    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 1, 1), rating="BBB")
    daily_outflow(acme, "100000")
    line(acme, channel_type="small_loan_platform",
         triggers=[{"kind": "own_rating_below", "rating": "BBB-", "action": "close"}])  # fmt: skip
    results = drill(acme, shocks=[{"target_type": "company", "action": "downgrade", "notches": 2, "day": 5}])
    assert liquidity(results, 4) == 500_000.00
    assert results["runway_days"] == 5
    # The report says what the lenders did: the platform's trigger closed it on day 5, costing its 500,000 of
    # headroom; the own rating went from BBB (rank 8) to BB+ (rank 10) that day, and after the missed payment of
    # day 5 the spiral rates the company C (rank 20) on day 6.
    platform = FundingChannel.objects.get(company=acme, name="Line")
    assert results["lender_actions"] == [
        {"channel": str(platform.pk), "name": "Line", "source": "trigger", "kind": "own_rating_below",
         "action": "close", "day": 5, "liquidity_lost": 500_000.00},
    ]  # fmt: skip
    assert results["own_rating"] == {"start_rank": 8, "changes": [{"day": 5, "rank": 10}, {"day": 6, "rank": 20}]}
    assert (
        drill(acme, shocks=[{"target_type": "company", "action": "downgrade", "notches": 1, "day": 5}])["runway_days"]
        == 10
    )  # BBB- is not below BBB-: the line pays days 0-9


def test_a_domestic_grade_trigger_reads_the_rating_through_the_notch_offset(acme):
    # Domestic AA sits six notches above the master scale: "below AA (domestic)" is "below BBB". Rated BBB, the
    # platform stays open; one notch down (BBB-) it closes on day 0.
    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 1, 1), rating="BBB")
    daily_outflow(acme, "100000")
    line(acme, channel_type="small_loan_platform",
         triggers=[{"kind": "own_rating_below", "rating": "AA", "scale": "domestic", "action": "close"}])  # fmt: skip
    assert drill(acme)["runway_days"] == 10
    assert drill(acme, own_downgrade_notches=1)["runway_days"] == 0
    acme.domestic_notch_offset = 7  # then domestic AA is master BBB-: one notch down is not below it
    acme.save()
    assert drill(acme, own_downgrade_notches=1)["runway_days"] == 10


def test_an_inflow_trigger_never_fires_in_a_deterministic_drill(acme):
    # Without operating noise realised inflows are the forecast: 100 % is never below 95 % of it.
    cash(acme, "0")
    CashFlowLineFactory(company=acme, amount=Decimal("100000"), start_date=AS_OF, frequency="daily")
    daily_outflow(acme, "150000")
    line(acme, limit="2000000", triggers=[{"kind": "inflow_drop", "level": "0.95", "days": 3, "action": "close"}])
    assert drill(acme)["runway_days"] is None  # 50,000 a day net for 30 days from a 2,000,000 line


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"kind": "borrowing_frequency", "count": 3, "action": "close"}, "triggers[0].window_days"),
        ({"kind": "borrowing_frequency", "window_days": 5, "action": "close"}, "triggers[0].count"),
        ({"kind": "inflow_drop", "level": "0.8", "action": "close"}, "triggers[0].days"),
        ({"kind": "utilisation_below", "days": 30, "action": "close"}, "triggers[0].level"),
    ],
)
def test_every_trigger_kind_refuses_a_missing_parameter(acme, analyst, api_as, trigger, field):
    body = {
        "name": "Line", "counterparty": CounterpartyFactory(company=acme).pk, "channel_type": "revolving_credit",
        "currency": "CNY", "limit": "1000000.00", "annual_rate": "0.04", "start_date": "2026-01-01",
        "maturity_date": "2027-01-01", "repayment_profile": "revolving", "triggers": [trigger],
    }  # fmt: skip
    response = api_as(analyst).post("/api/v1/channels/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in json.dumps(response.json())


def test_a_company_downgrade_shock_needs_its_notches(acme, analyst, api_as):
    body = {"name": "Downgrade", "as_of": "2026-03-10", "horizon_days": 30,
            "shocks": [{"target_type": "company", "action": "downgrade", "day": 5}]}  # fmt: skip
    response = api_as(analyst).post("/api/v1/scenarios/", body, format="json")
    assert response.status_code == 400
    assert "notches" in json.dumps(response.json())
    body["shocks"][0]["notches"] = 3
    assert api_as(analyst).post("/api/v1/scenarios/", body, format="json").status_code == 201


def test_a_chinese_agency_grade_is_recorded_on_the_master_scale_through_the_offset(acme, analyst, api_as):
    # Domestic AA from a Chinese agency, at the default offset of 6 notches: master BBB (and its PD, 0.18 %).
    body = {
        "counterparty": None,
        "as_of": "2026-03-01",
        "source": "rating_agency",
        "agency": "cn",
        "agency_grade": "AA",
    }
    response = api_as(analyst).post("/api/v1/credit-assessments/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rating"] == "BBB"
    assert response.json()["pd_1y"] == "0.001800"


def test_the_drill_report_page_says_what_the_lenders_did(acme, viewer, client):
    from django.urls import reverse

    from contingency.models import DrillRun

    CreditAssessmentFactory(company=acme, counterparty=None, as_of=date(2026, 1, 1), rating="BBB")
    daily_outflow(acme, "100000")
    line(acme, "Quick platform", channel_type="small_loan_platform",
         triggers=[{"kind": "own_rating_below", "rating": "BBB-", "action": "close"}])  # fmt: skip
    drill(acme, shocks=[{"target_type": "company", "action": "downgrade", "notches": 2, "day": 5}])
    client.force_login(viewer)
    page = client.get(reverse("contingency:drill-detail", args=[DrillRun.objects.latest("pk").pk])).content.decode()
    assert "lender-actions" in page
    section = page[page.index('id="lender-actions"') :]
    section = section[: section.index("</section>")]
    assert "Quick platform" in section and "Lender&#x27;s trigger" in section and "Close" in section
    assert "500,000" in section  # the headroom the closure cost
    assert "Our rating starts at BBB; BB+ from day 5; C from day 6." in " ".join(section.split())
