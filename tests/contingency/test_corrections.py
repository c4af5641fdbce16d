"""Correcting mistakes on the contingency set-up: deletes refused where drills or plans depend on the object,
archiving (retiring a plan), and what archived objects do to drills from then on."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from channels_app import services as channel_services
from contingency import drills, services
from contingency.models import CashFlowLine, ContingencyPlan, LiquidityPool, Scenario
from tests.factories import (
    CashFlowLineFactory,
    ContingencyPlanFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
    PlanStepFactory,
    ScenarioFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_cash_flow_line_is_deleted(company, analyst):
    line = CashFlowLineFactory(company=company)
    services.cashflow_delete(line=line, by=analyst)
    assert not CashFlowLine.objects.filter(pk=line.pk).exists()


def test_a_pool_a_plan_step_uses_is_refused_until_the_plan_is_retired(company, analyst):
    pool = LiquidityPoolFactory(company=company, name="MMF", kind="money_market_fund")
    plan = ContingencyPlanFactory(company=company, name="Playbook A")
    PlanStepFactory(plan=plan, pool=pool, action="liquidate_pool", amount=None)
    with pytest.raises(ValidationError, match="Playbook A"):
        services.pool_delete(pool=pool, by=analyst)
    with pytest.raises(ValidationError, match="Playbook A"):
        services.pool_archive(pool=pool, by=analyst)
    services.plan_archive(plan=plan, by=analyst)
    services.pool_archive(pool=pool, by=analyst)
    assert LiquidityPool.objects.get(pk=pool.pk).archived_at is not None
    services.pool_restore(pool=pool, by=analyst)
    assert LiquidityPool.objects.get(pk=pool.pk).archived_at is None


def test_an_unused_pool_is_deleted(company, analyst):
    pool = LiquidityPoolFactory(company=company)
    services.pool_delete(pool=pool, by=analyst)
    assert not LiquidityPool.objects.filter(pk=pool.pk).exists()


def test_a_plan_or_scenario_with_drill_runs_is_archived_not_deleted_and_the_run_stays(company, analyst):
    LiquidityPoolFactory(company=company, amount=D("1000000.00"))
    scenario = ScenarioFactory(company=company, name="Stress A")
    plan = ContingencyPlanFactory(company=company, name="Plan A")
    PlanStepFactory(plan=plan)
    run = drills.drill_start(company=company, scenario=scenario, plan=plan, enqueue=False)
    with pytest.raises(ValidationError, match="drill runs"):
        services.plan_delete(plan=plan, by=analyst)
    with pytest.raises(ValidationError, match="drill runs"):
        services.scenario_delete(scenario=scenario, by=analyst)
    services.plan_archive(plan=plan, by=analyst)
    services.scenario_archive(scenario=scenario, by=analyst)
    assert ContingencyPlan.objects.get(pk=plan.pk).status == "retired"
    run.refresh_from_db()
    assert run.scenario_id == scenario.pk and run.plan_id == plan.pk  # the run is still readable


def test_a_scheduled_plan_or_scenario_is_refused_with_the_schedule_named(company, treasurer):
    scenario = ScenarioFactory(company=company)
    plan = ContingencyPlanFactory(company=company)
    PlanStepFactory(plan=plan)
    drills.schedule_save(company=company, by=treasurer, name="Monday drill", scenario=scenario, plan=plan,
                         cron="0 6 * * 1")  # fmt: skip
    for refuse in (
        lambda: services.plan_delete(plan=plan, by=treasurer),
        lambda: services.scenario_delete(scenario=scenario, by=treasurer),
        lambda: services.plan_archive(plan=plan, by=treasurer),
        lambda: services.scenario_archive(scenario=scenario, by=treasurer),
    ):
        with pytest.raises(ValidationError, match="Monday drill"):
            refuse()


def test_an_unused_plan_and_scenario_are_deleted(company, analyst):
    plan = ContingencyPlanFactory(company=company)
    scenario = ScenarioFactory(company=company)
    services.plan_delete(plan=plan, by=analyst)
    services.scenario_delete(scenario=scenario, by=analyst)
    assert not ContingencyPlan.objects.filter(pk=plan.pk).exists()
    assert not Scenario.objects.filter(pk=scenario.pk).exists()


def test_archived_scenarios_and_retired_plans_are_not_drilled_until_restored(company, analyst):
    scenario = ScenarioFactory(company=company, name="Archived one")
    plan = ContingencyPlanFactory(company=company, name="Old playbook")
    PlanStepFactory(plan=plan)
    scenario = services.scenario_archive(scenario=scenario, by=analyst)
    with pytest.raises(ValidationError, match="archived"):
        drills.drill_start(company=company, scenario=scenario, enqueue=False)
    scenario = services.scenario_restore(scenario=scenario, by=analyst)
    plan = services.plan_archive(plan=plan, by=analyst)
    with pytest.raises(ValidationError, match="retired"):
        drills.drill_start(company=company, scenario=scenario, plan=plan, enqueue=False)
    plan = services.plan_restore(plan=plan, by=analyst)
    assert ContingencyPlan.objects.get(pk=plan.pk).status == "draft"
    drills.drill_start(company=company, scenario=scenario, plan=plan, enqueue=False)


def _one_path(company, scenario):
    run = drills.drill_start(company=company, scenario=scenario, enqueue=False)
    drills.drill_run_in_request(run)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return run.results


def test_an_archived_channel_gives_no_liquidity_in_a_drill(company, analyst):
    # Cash 1,000,000; −100,000 a day from day 0; an undrawn line of 2,000,000 at 0 %; buffer 0 (DESIGN's example).
    LiquidityPoolFactory(company=company, kind="cash", amount=D("1000000.00"))
    CashFlowLineFactory(company=company, amount=D("-100000.00"), start_date=date(2026, 1, 1), frequency="daily")
    channel = FundingChannelFactory(
        company=company, limit=D("2000000.00"), annual_rate=D("0"), start_date=date(2025, 1, 1),
        maturity_date=date(2028, 1, 1),
    )  # fmt: skip
    scenario = ScenarioFactory(company=company, as_of=date(2026, 1, 1), horizon_days=60)
    assert _one_path(company, scenario)["runway_days"] == 30  # 1,000,000 + 2,000,000 lasts days 0–29
    channel_services.channel_archive(channel=channel, by=analyst)
    assert _one_path(company, scenario)["runway_days"] == 10  # cash alone lasts days 0–9


def test_an_archived_cash_pool_is_no_opening_cash(company, analyst):
    LiquidityPoolFactory(company=company, kind="cash", amount=D("1000000.00"))
    spare = LiquidityPoolFactory(company=company, kind="cash", amount=D("500000.00"))
    CashFlowLineFactory(company=company, amount=D("-100000.00"), start_date=date(2026, 1, 1), frequency="daily")
    scenario = ScenarioFactory(company=company, as_of=date(2026, 1, 1), horizon_days=60)
    assert _one_path(company, scenario)["runway_days"] == 15  # 1,500,000 lasts days 0–14
    services.pool_archive(pool=spare, by=analyst)
    assert _one_path(company, scenario)["runway_days"] == 10  # 1,000,000 lasts days 0–9
