"""Early warnings: each indicator grades against its thresholds; an alert is raised once per breach, follows the
value, escalates, resolves on recovery and is acknowledged through the API."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.models import LenderTrigger
from contingency.early_warnings import alerts, indicators
from contingency.models import Alert, DrillRun, DrillSchedule, WarningThreshold
from financeplanner.celery import app
from tests.factories import (
    CounterpartyFactory,
    CreditAssessmentFactory,
    FundingChannelFactory,
    ScenarioFactory,
)
from tests.threads import run_in_threads

D = Decimal
TODAY = date(2026, 6, 1)


def open_alerts(company, indicator=None):
    found = Alert.objects.for_company(company).filter(resolved_at__isnull=True)
    return found.filter(indicator=indicator) if indicator else found


def evaluate(company):
    return alerts.evaluate_company(company=company, today=TODAY)


def platform_line(company, drawn="950000.00", **kwargs):
    channel = FundingChannelFactory(
        company=company, name=kwargs.pop("name", "QuickLoan"), channel_type="small_loan_platform",
        limit=D("1000000.00"), **kwargs,
    )  # fmt: skip
    if D(drawn):
        channel_services.channel_draw(channel=channel, amount=D(drawn), date=date(2026, 2, 1), by=None)
    return channel


@pytest.mark.django_db
class TestIndicators:
    def test_platform_line_near_its_utilisation_trigger_is_amber_and_over_it_red(self, company):
        amber = platform_line(company, drawn="850000.00", name="Amber line")
        red = platform_line(company, drawn="100000.00", name="Red line")
        LenderTrigger.objects.create(channel=red, kind="utilisation_above", level=D("0.05"), action="reduce")
        readings, _ = indicators.read_indicators(company=company, today=TODAY)
        by_key = {r.key: r for r in readings if r.indicator == "platform_utilisation"}
        assert by_key[f"channel:{amber.pk}"].severity == "amber"  # 85% against the default 90%
        assert by_key[f"channel:{amber.pk}"].value == D("-0.050000")
        assert by_key[f"channel:{red.pk}"].severity == "red"  # 10% against its own 5% trigger

    def test_concentration_and_platform_share(self, company):
        platform_line(company, drawn="500000.00")
        bank = FundingChannelFactory(company=company, name="Bank line", limit=D("2000000.00"))
        channel_services.channel_draw(channel=bank, amount=D("1500000.00"), date=date(2026, 2, 1), by=None)
        readings = {r.indicator: r for r in indicators.read_indicators(company=company, today=TODAY)[0]}
        # Shares 25% / 75% → HHI 625 + 5625 = 6250 (red by lender and by type); platforms 25% (amber).
        assert (readings["hhi_lender"].value, readings["hhi_lender"].severity) == (D("6250.000000"), "red")
        assert readings["hhi_type"].severity == "red"
        assert (readings["platform_share"].value, readings["platform_share"].severity) == (D("0.250000"), "amber")
        # Headroom 500k + 500k of 3m: 33% → green.
        assert readings["headroom_ratio"].severity == "green"

    def test_maturity_wall_counts_principal_due_against_headroom(self, company):
        term = FundingChannelFactory(
            company=company, name="Term", channel_type="bank_term_loan", repayment_profile="bullet",
            limit=D("1000000.00"), start_date=date(2025, 1, 1), maturity_date=TODAY + timedelta(days=20),
        )  # fmt: skip
        channel_services.channel_draw(channel=term, amount=D("1000000.00"), date=date(2025, 1, 2), by=None)
        revolver = FundingChannelFactory(company=company, name="Revolver", limit=D("800000.00"), rolls_over=True)
        channel_services.channel_draw(channel=revolver, amount=D("100000.00"), date=date(2026, 2, 1), by=None)
        readings = {r.indicator: r for r in indicators.read_indicators(company=company, today=TODAY)[0]}
        # 1,000,000 falls due in 20 days; the revolver rolls over; headroom 700,000 → 1.43: red on both walls.
        assert readings["maturity_wall_30"].value == (D("1000000") / D("700000")).quantize(D("0.000001"))
        assert readings["maturity_wall_30"].severity == readings["maturity_wall_90"].severity == "red"

    def test_lender_downgrade_and_pd_rise_against_the_year_before(self, company):
        bank = CounterpartyFactory(company=company, name="Bank")
        CreditAssessmentFactory(
            company=company, counterparty=bank, as_of=date(2025, 9, 1), rating="A", pd_1y=D("0.0006")
        )
        CreditAssessmentFactory(
            company=company, counterparty=bank, as_of=date(2026, 5, 1), rating="BBB", pd_1y=D("0.0018")
        )
        readings = {r.indicator: r for r in indicators.read_indicators(company=company, today=TODAY)[0]}
        assert (readings["counterparty_downgrade"].value, readings["counterparty_downgrade"].severity) == (3, "red")
        assert readings["counterparty_downgrade"].key == f"counterparty:{bank.pk}"
        assert (readings["counterparty_pd_rise"].value, readings["counterparty_pd_rise"].severity) == (2, "red")

    def test_own_rating_against_lenders_triggers(self, company):
        near = platform_line(company, drawn="0", name="Near")
        fired = platform_line(company, drawn="0", name="Fired")
        LenderTrigger.objects.create(channel=near, kind="own_rating_below", rating="BBB-", action="close")
        LenderTrigger.objects.create(channel=fired, kind="own_rating_below", rating="A", action="close")
        CreditAssessmentFactory(company=company, counterparty=None, rating="BBB", pd_1y=D("0.0018"))
        readings = {r.key: r for r in indicators.read_indicators(company=company, today=TODAY)[0]
                    if r.indicator == "own_rating_trigger"}  # fmt: skip
        # From BBB a trigger "below BBB-" needs two downgrades (BBB- does not fire it, BB+ does): 2, amber.
        assert (readings[f"channel:{near.pk}:BBB-"].value, readings[f"channel:{near.pk}:BBB-"].severity) == (2, "amber")
        assert (readings[f"channel:{fired.pk}:A"].value, readings[f"channel:{fired.pk}:A"].severity) == (0, "red")

    def test_runway_of_the_latest_drill_against_the_survival_horizon(self, company):
        scenario = ScenarioFactory(company=company)
        earlier = timezone.now() - timedelta(days=1)
        DrillRun.objects.create(company=company, scenario=scenario, paths=1, seed=0, status="succeeded",
                                finished_at=earlier, results={"runway_days": 10})  # fmt: skip
        DrillRun.objects.create(company=company, scenario=scenario, paths=1, seed=0, status="succeeded",
                                finished_at=timezone.now(), results={"runway_days": 100})  # fmt: skip
        reading = next(
            r for r in indicators.read_indicators(company=company, today=TODAY)[0] if r.indicator == "runway"
        )
        assert (reading.value, reading.severity) == (
            (D("100") / D("90")).quantize(D("0.000001")),
            "amber",
        )  # 100 of 90 days: < 1.25

    def test_failed_scheduled_drill_is_red_until_the_next_run_passes(self, company):
        scenario = ScenarioFactory(company=company)
        schedule = DrillSchedule.objects.create(company=company, name="Weekly", scenario=scenario)
        DrillRun.objects.create(company=company, scenario=scenario, schedule=schedule, paths=1, seed=0,
                                status="failed", error="boom")  # fmt: skip
        evaluate(company)
        assert open_alerts(company, "failed_drill").get().key == f"schedule:{schedule.pk}"
        DrillRun.objects.create(company=company, scenario=scenario, schedule=schedule, paths=1, seed=0,
                                status="succeeded", passed_policy=True, results={"runway_days": None})  # fmt: skip
        evaluate(company)
        assert not open_alerts(company, "failed_drill").exists()


@pytest.mark.django_db
class TestAlertLifecycle:
    def test_a_breach_raises_one_alert_however_often_it_is_evaluated(self, company):
        platform_line(company)
        first = evaluate(company)
        second = evaluate(company)
        assert open_alerts(company, "platform_utilisation").count() == 1
        assert any(e.event == "raised" and e.alert.indicator == "platform_utilisation" for e in first.events)
        assert not [e for e in second.events if e.event == "raised"]

    def test_alert_resolves_when_the_value_recovers_and_a_new_breach_is_a_new_alert(self, company):
        channel = platform_line(company)
        evaluate(company)
        alert = open_alerts(company, "platform_utilisation").get()
        channel_services.channel_repay(channel=channel, amount=D("900000.00"), date=date(2026, 3, 1), by=None)
        outcome = evaluate(company)
        alert.refresh_from_db()
        assert alert.resolved_at is not None
        assert ("resolved", alert.pk) in {(e.event, e.alert.pk) for e in outcome.events}
        channel_services.channel_draw(channel=channel, amount=D("900000.00"), date=date(2026, 3, 2), by=None)
        evaluate(company)
        assert Alert.objects.filter(company=company, indicator="platform_utilisation").count() == 2
        assert open_alerts(company, "platform_utilisation").get().pk != alert.pk

    def test_amber_to_red_is_an_escalation_of_the_same_alert(self, company):
        channel = platform_line(company, drawn="850000.00")
        evaluate(company)
        alert = open_alerts(company, "platform_utilisation").get()
        assert alert.severity == "amber"
        channel_services.channel_draw(channel=channel, amount=D("100000.00"), date=date(2026, 3, 2), by=None)
        outcome = evaluate(company)
        alert.refresh_from_db()
        assert (alert.severity, alert.value) == ("red", D("0.050000"))
        assert ("escalated", alert.pk) in {(e.event, e.alert.pk) for e in outcome.events}

    def test_company_thresholds_override_the_defaults_and_can_silence_an_indicator(self, company):
        platform_line(company, drawn="100000.00")  # 10% drawn: green by default
        evaluate(company)
        assert not open_alerts(company, "platform_utilisation").exists()
        indicators.threshold_set(company=company, indicator="platform_utilisation", amber=D("-0.85"), red=None)
        evaluate(company)
        assert open_alerts(company, "platform_utilisation").get().severity == "amber"
        indicators.threshold_set(company=company, indicator="platform_utilisation", amber=None, red=None, enabled=False)
        evaluate(company)
        assert not open_alerts(company, "platform_utilisation").exists()

    def test_thresholds_in_the_wrong_order_are_refused(self, company):
        with pytest.raises(Exception, match="amber"):
            indicators.threshold_set(company=company, indicator="headroom_ratio", amber=D("0.05"), red=D("0.10"))
        assert not WarningThreshold.objects.exists()

    def test_an_indicator_that_cannot_be_read_leaves_its_alerts_alone(self, company):
        platform_line(company)
        evaluate(company)
        FundingChannelFactory(company=company, name="Euro line", currency="EUR")  # no EUR rate: funding unreadable
        outcome = evaluate(company)
        assert "headroom_ratio" in outcome.skipped
        assert open_alerts(company, "hhi_lender").exists()  # not resolved for want of data

    def test_a_change_through_the_services_triggers_an_evaluation(self, company, django_capture_on_commit_callbacks):
        channel = platform_line(company, drawn="0")
        with django_capture_on_commit_callbacks(execute=True):
            channel_services.channel_draw(channel=channel, amount=D("990000.00"), date=date(2026, 3, 2), by=None)
        assert open_alerts(company, "platform_utilisation").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_raise_one_alert(company):
    platform_line(company)
    barrier, errors = threading.Barrier(4), []

    def run():
        try:
            barrier.wait()
            evaluate(company)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    run_in_threads(run, 4)
    assert not errors
    assert open_alerts(company, "platform_utilisation").count() == 1


@pytest.mark.django_db
class TestAlertsApi:
    @pytest.fixture
    def alert(self, company):
        platform_line(company)
        evaluate(company)
        return open_alerts(company, "platform_utilisation").get()

    def test_list_has_the_contract_fields_and_filters(self, alert, viewer, api_as):
        client = api_as(viewer)
        rows = client.get("/api/v1/alerts/", {"indicator": "platform_utilisation", "open": "true"}).json()["results"]
        assert [r["id"] for r in rows] == [alert.pk]
        assert {"id", "indicator", "severity", "value", "message", "created_at", "acknowledged_at"} <= set(rows[0])
        assert rows[0]["value"] == "0.050000"
        assert client.get("/api/v1/alerts/", {"open": "false"}).json()["results"] == []
        assert (
            client.get("/api/v1/alerts/", {"severity": "amber", "indicator": "platform_utilisation"}).json()["results"]
            == []
        )

    def test_analyst_acknowledges_and_viewer_may_not(self, alert, viewer, analyst, api_as):
        url = f"/api/v1/alerts/{alert.pk}/acknowledge/"
        assert api_as(viewer).post(url).status_code == 403
        response = api_as(analyst).post(url)
        assert response.status_code == 200
        assert response.json()["acknowledged_at"] and response.json()["acknowledged_by"] == analyst.username
        first = response.json()["acknowledged_at"]
        assert api_as(analyst).post(url).json()["acknowledged_at"] == first
        rows = api_as(viewer).get("/api/v1/alerts/", {"acknowledged": "true"}).json()["results"]
        assert [r["id"] for r in rows] == [alert.pk]

    def test_alerts_are_not_made_changed_or_deleted_by_hand(self, alert, company_admin, api_as):
        client = api_as(company_admin)
        assert client.post("/api/v1/alerts/", {"indicator": "x", "severity": "red", "message": "m"}).status_code == 405
        assert client.patch(f"/api/v1/alerts/{alert.pk}/", {"message": "m"}).status_code == 405
        assert client.delete(f"/api/v1/alerts/{alert.pk}/").status_code == 405

    def test_treasurer_overrides_a_threshold_and_an_analyst_may_not(self, company, treasurer, analyst, api_as):
        body = {"indicator": "platform_share", "amber": "0.05", "red": "0.50"}
        assert api_as(analyst).post("/api/v1/warning-thresholds/", body).status_code == 403
        response = api_as(treasurer).post("/api/v1/warning-thresholds/", body)
        assert response.status_code == 201, response.json()
        assert response.json()["default_amber"] == "0.15" and response.json()["worse"] == "higher"
        assert indicators.thresholds_for(company)["platform_share"].amber == D("0.05")


def test_the_tasks_keep_the_names_that_beat_and_queued_messages_use(settings):
    """The early-warning tasks are named by the module they were first registered from; the schedule and messages
    already in the queue call them so, wherever their code lives now."""
    names = ("evaluate_company_task", "evaluate_all_companies_task", "deliver_webhook_task", "deliver_robot_task")
    for name in (*names, "send_alert_email_task"):
        assert f"contingency.tasks_warnings.{name}" in app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["evaluate-early-warnings"]["task"] in app.tasks
