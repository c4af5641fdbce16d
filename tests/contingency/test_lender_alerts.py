"""Alerts on the events that matter: a recorded lender action at once; a failed or policy-missing drill whether
scheduled or on demand; a freeze is not a recovery of a line's utilisation."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from channels_app import services as channel_services
from contingency import drills
from contingency.early_warnings import alerts
from contingency.models import Alert, DrillRun
from tests.factories import FundingChannelFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

D = Decimal


def open_alerts(company, indicator):
    return Alert.objects.for_company(company).filter(indicator=indicator, resolved_at__isnull=True)


@pytest.fixture
def platform(company):
    channel = FundingChannelFactory(
        company=company, name="QuickLoan", channel_type="small_loan_platform", limit=D("1000000.00")
    )
    channel_services.channel_draw(channel=channel, amount=D("950000.00"), date=date(2026, 2, 1), by=None)
    return channel


def test_a_recorded_lender_action_raises_an_alert_at_once(
    platform, treasurer, api_as, company, settings, django_capture_on_commit_callbacks
):
    settings.WARNINGS_DEBOUNCE_SECONDS = 0
    body = {"kind": "reduce", "date": "2026-03-01", "new_limit": "960000.00", "reason": "Score dropped"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(treasurer).post(f"/api/v1/channels/{platform.pk}/events/", body)
    assert response.status_code == 201, response.content
    alert = open_alerts(company, "lender_action").get()
    assert alert.severity == "amber" and alert.value == D("960000.00")
    assert "reduced QuickLoan on 2026-03-01" in alert.message and "Score dropped" in alert.message
    # The alert is delivered like every other: the treasurer (an alert e-mail role) has been mailed.
    assert any("lender action" in m.subject and "tom-treasurer@example.com" in m.to for m in mail.outbox)
    listed = api_as(treasurer).get("/api/v1/alerts/", {"indicator": "lender_action"}).json()["results"]
    assert [a["id"] for a in listed] == [alert.pk]
    # A close is red, and is a second alert; reopening raises none; no evaluation resolves them.
    channel_services.channel_event_record(channel=platform, kind="close", date=date(2026, 3, 2), reason="Exit", by=None)
    channel_services.channel_event_record(
        channel=platform, kind="reopen", date=date(2026, 3, 3), reason="Talks", new_limit=D("960000.00"), by=None
    )
    assert sorted(open_alerts(company, "lender_action").values_list("severity", flat=True)) == ["amber", "red"]
    alerts.evaluate_company(company=company)
    assert open_alerts(company, "lender_action").count() == 2


def test_a_freeze_does_not_resolve_the_utilisation_alert_of_the_line(platform, company):
    alerts.evaluate_company(company=company)
    alert = open_alerts(company, "platform_utilisation").get()  # 95 % against the default 90 %: red
    assert alert.severity == "red"
    channel_services.channel_event_record(
        channel=platform, kind="freeze", date=date(2026, 3, 1), reason="Risk", by=None
    )
    alerts.evaluate_company(company=company)
    assert open_alerts(company, "platform_utilisation").get().pk == alert.pk
    # Repaying below the level is a recovery, frozen or not.
    channel_services.channel_repay(channel=platform, amount=D("500000.00"), date=date(2026, 3, 2), by=None)
    alerts.evaluate_company(company=company)
    assert not open_alerts(company, "platform_utilisation").exists()


def test_a_drill_on_demand_that_fails_raises_an_alert_when_it_ends(
    company, settings, django_capture_on_commit_callbacks
):
    settings.WARNINGS_DEBOUNCE_SECONDS = 0
    scenario = ScenarioFactory(company=company, name="Platform exit")
    run = drills.drill_start(company=company, scenario=scenario, enqueue=False)
    DrillRun.objects.filter(pk=run.pk).update(status="running")
    with django_capture_on_commit_callbacks(execute=True):
        drills.drill_fail(run.pk, RuntimeError("boom"))
    alert = open_alerts(company, "failed_drill").get()
    assert (alert.key, alert.severity) == (f"scenario:{scenario.pk}", "red")
    assert "could not run" in alert.message and "Platform exit" in alert.message


@pytest.mark.parametrize(("verdict", "severity"), [("not_met", "red"), ("inconclusive", "amber"), ("met", None),
                                                   ("not_tested", None)])  # fmt: skip
def test_a_drill_on_demand_that_misses_the_policy_is_an_alert(verdict, severity, company):
    scenario = ScenarioFactory(company=company)
    DrillRun.objects.create(
        company=company, scenario=scenario, paths=1000, seed=0, status="succeeded", passed_policy=verdict == "met",
        results={"runway_days": {"p1": 20}, "policy": {"verdict": verdict}},
    )  # fmt: skip
    alerts.evaluate_company(company=company)
    found = open_alerts(company, "failed_drill").first()
    assert (found.severity if found else None) == severity
