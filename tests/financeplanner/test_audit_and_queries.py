"""Every change leaves an audit trail; lists keep a fixed number of queries as rows grow."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.services import channel_draw
from contingency import services as plan_services
from tests.factories import (
    CashFlowLineFactory,
    CounterpartyFactory,
    CreditAssessmentFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
    PlanStepFactory,
    ScenarioFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_channel_event_plan_and_ledger_changes_are_audited_with_the_actor(
    company, analyst, treasurer, api_as, django_capture_on_commit_callbacks
):
    channel = FundingChannelFactory(company=company)
    api_as(analyst).patch(f"/api/v1/channels/{channel.pk}/", {"notice_days": 7}, format="json")
    api_as(analyst).post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "10", "date": "2026-02-01"})
    api_as(treasurer).post(
        f"/api/v1/channels/{channel.pk}/events/", {"kind": "freeze", "date": "2026-02-02", "reason": "overdue"}
    )
    plan = api_as(analyst).post("/api/v1/plans/", {"name": "P", "trigger": "on_shock"}, format="json").json()

    channel_log = LogEntry.objects.get_for_object(channel).order_by("timestamp")
    update = channel_log.filter(action=LogEntry.Action.UPDATE).first()
    assert update.actor.username == "ana-analyst" and update.changes_dict["notice_days"] == ["0", "7"]
    assert channel_log.filter(actor__username="tom-treasurer", changes__icontains="frozen").exists()
    assert LogEntry.objects.filter(content_type__model="ledgerentry", actor__username="ana-analyst").exists()
    assert LogEntry.objects.filter(content_type__model="channelevent", actor__username="tom-treasurer").exists()
    assert LogEntry.objects.filter(
        content_type__model="contingencyplan", object_pk=str(plan["id"]), action=LogEntry.Action.CREATE
    ).exists()


def test_the_audit_trail_is_visible_in_admin(company, admin_client):
    channel = FundingChannelFactory(company=company)
    channel_draw(channel=channel, amount=Decimal("1"), date=date(2026, 2, 1), by=None)
    response = admin_client.get("/admin/auditlog/logentry/")
    assert response.status_code == 200
    assert channel.name.encode() in response.content


def test_approval_is_a_treasurers_and_editing_returns_the_plan_to_draft(company, analyst, treasurer, api_as):
    pool = LiquidityPoolFactory(company=company, kind="money_market_fund")  # a cash pool is opening cash, not a step
    body = {"name": "P", "trigger": "on_shock",
            "steps": [{"order": 1, "action": "liquidate_pool", "pool": pool.pk, "lead_time_days": 2}]}  # fmt: skip
    plan = api_as(analyst).post("/api/v1/plans/", body, format="json").json()
    approved = api_as(treasurer).post(f"/api/v1/plans/{plan['id']}/approve/").json()
    assert approved["status"] == "approved" and approved["approved_by"] == "tom-treasurer"
    edited = api_as(analyst).patch(f"/api/v1/plans/{plan['id']}/", {"description": "faster"}, format="json").json()
    assert edited["status"] == "draft" and edited["approved_by"] is None
    assert edited["steps"][0]["pool"] == pool.pk  # steps untouched by a partial edit


def test_a_plan_with_bad_steps_writes_nothing(company, analyst, api_as):
    body = {"name": "P", "trigger": "on_shock", "steps": [
        {"order": 1, "action": "other", "amount": "5"},
        {"order": 2, "action": "liquidate_pool"},
    ]}  # fmt: skip
    response = api_as(analyst).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400 and "steps[1].pool" in response.json()
    from contingency.models import ContingencyPlan, PlanStep

    assert not ContingencyPlan.objects.exists() and not PlanStep.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "p", "kind": "cash", "amount": "5", "haircut": "1.5"}, "haircut"),
        ({"name": "p", "kind": "cash", "amount": "-5"}, "amount"),
        ({"name": "p", "kind": "cash", "amount": "5", "currency": "ABC"}, "currency"),
        ({"name": "\x00", "kind": "cash", "amount": "5"}, "name"),
    ],
)
def test_bad_pool_input_is_refused(company, analyst, api_as, body, field):
    response = api_as(analyst).post("/api/v1/pools/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_schedule_preview_matches_the_design_example(company, viewer, api_as):
    body = {"principal": "100000", "annual_rate": "0.06", "start_date": "2026-01-15", "maturity_date": "2027-01-15",
            "frequency": "monthly", "profile": "annuity", "day_count": "30/360"}  # fmt: skip
    response = api_as(viewer).post("/api/v1/schedules/preview/", body, format="json")
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert len(rows) == 12
    assert rows[0] == {"date": "2026-02-15", "interest": "500.00", "principal": "8106.64", "payment": "8606.64",
                       "balance": "91893.36"}  # fmt: skip
    assert rows[-1]["balance"] == "0.00"
    bad = api_as(viewer).post("/api/v1/schedules/preview/", {**body, "maturity_date": "2025-01-01"}, format="json")
    assert bad.status_code == 400 and "maturity_date" in bad.json()


def _grow(company, n):
    for _ in range(n):
        cp = CounterpartyFactory(company=company)
        CreditAssessmentFactory(company=company, counterparty=cp)
        channel = FundingChannelFactory(company=company, counterparty=cp)
        channel.triggers.create(kind="own_rating_below", rating="BB", action="close")
        channel_draw(channel=channel, amount=Decimal("1"), date=date(2026, 2, 1), by=None)
        LiquidityPoolFactory(company=company)
        CashFlowLineFactory(company=company)
        plan = plan_services.plan_save(company=company, by=None, name=f"plan {channel.pk}", trigger="on_shock")
        PlanStepFactory(plan=plan)
        PlanStepFactory(plan=plan)
        scenario = ScenarioFactory(company=company)
        scenario.shocks.create(target_type="all", action="close", day=0)


LISTS = ["counterparties", "credit-assessments", "channels", "ledger", "pools", "cash-flows", "plans", "scenarios"]


@pytest.mark.parametrize("resource", LISTS)
def test_api_lists_keep_a_fixed_number_of_queries(company, viewer, api_as, resource):
    client = api_as(viewer)
    _grow(company, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/api/v1/{resource}/").status_code == 200
    _grow(company, 12)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"/api/v1/{resource}/").json()["results"]) >= 14
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


ADMIN_LISTS = ["channels_app/fundingchannel", "channels_app/ledgerentry", "channels_app/creditassessment",
               "channels_app/channelevent", "contingency/liquiditypool", "contingency/contingencyplan",
               "contingency/scenario", "financeplanner/membership"]  # fmt: skip


@pytest.mark.parametrize("path", ADMIN_LISTS)
def test_admin_lists_keep_a_fixed_number_of_queries(company, path):
    from django.test import Client

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    _grow(company, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/admin/{path}/").status_code == 200
    _grow(company, 12)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"/admin/{path}/").status_code == 200
    assert len(many) == len(few)


def test_steps_with_the_same_order_are_a_400_not_a_500(company, analyst, api_as):
    body = {"name": "P", "trigger": "on_shock", "steps": [
        {"order": 1, "action": "other", "amount": "5"},
        {"order": 1, "action": "other", "amount": "6"},
    ]}  # fmt: skip
    response = api_as(analyst).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400 and "steps" in response.json()


def test_a_draw_moves_the_channels_updated_at(company, analyst, api_as):
    channel = FundingChannelFactory(company=company)
    before = channel.updated_at
    api_as(analyst).post(f"/api/v1/channels/{channel.pk}/draw/", {"amount": "10", "date": "2026-02-01"})
    channel.refresh_from_db()
    assert channel.updated_at > before


def _drills(company, n):
    """`n` finished drills, each with a signed-off checklist item and a snapshot of inputs it does not answer."""
    from django.utils import timezone

    from contingency.models import ChecklistItem, DrillRun

    scenario = ScenarioFactory(company=company)
    signer = UserFactory()
    for _ in range(n):
        run = DrillRun.objects.create(company=company, scenario=scenario, paths=1, seed=1, status="succeeded",
                                      snapshot={"inputs": "x" * 1000}, results={"survived": True})  # fmt: skip
        ChecklistItem.objects.create(run=run, order=1, title="Contacts confirmed", outcome="passed", done_by=signer,
                                     done_at=timezone.now())  # fmt: skip
    return signer


def test_the_drill_list_keeps_a_fixed_number_of_queries_and_never_reads_the_snapshots(company, viewer, api_as):
    client = api_as(viewer)
    _drills(company, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/drills/").status_code == 200
    signer = _drills(company, 12)
    with CaptureQueriesContext(connection) as many:
        runs = client.get("/api/v1/drills/").json()["results"]
    assert len(runs) == 14 and runs[0]["checklist"][0]["done_by"] == signer.username
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as poll:
        assert client.get(f"/api/v1/drills/{runs[0]['id']}/").json()["results"] == {"survived": True}
    assert not any("snapshot" in q["sql"] for q in [*many.captured_queries, *poll.captured_queries])


def test_the_trigger_watch_keeps_a_fixed_number_of_queries(company, viewer, api_as):
    client = api_as(viewer)
    _grow(company, 2)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/trigger-watch/").json()) == 2
    _grow(company, 12)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/trigger-watch/").json()) == 14
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
