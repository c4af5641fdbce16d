"""Build the drill engine's inputs from the database: the exact snapshot a drill run simulates.

Decimal money becomes float64 in the reporting currency here, at the engine's boundary. The snapshot is
stored with the run (`DrillRun.snapshot`), so a run can be rerun and audited and gives the same numbers.
"""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings

from channels_app import ratings, schedules
from channels_app.models import CreditAssessment, FundingChannel
from channels_app.selectors import channel_schedule, fx_rates, to_reporting
from financeplanner.models import Company

from .choices import Frequency, PoolKind
from .engine.inputs import (
    ChannelInput,
    DrillInputs,
    PlanInput,
    PoolInput,
    ScenarioInput,
    ShockInput,
    StepInput,
    TriggerInput,
)
from .models import CashFlowLine, ContingencyPlan, LiquidityPool, Scenario

# Lender triggers the engine simulates; "any overdue" and "borrowing frequency" need payment behaviour it lacks.
SIMULATED_TRIGGERS = ("own_rating_below", "utilisation_above")


def cash_flow_days(line: CashFlowLine, as_of: date, horizon_days: int) -> list[int]:
    """Day indices 0 … H−1 on which a forecast line pays, between its start and end dates (both included)."""
    last = as_of + timedelta(days=horizon_days - 1)
    end = min(line.end_date or last, last)
    if line.frequency == Frequency.ONCE:
        dates = [line.start_date]
    elif line.frequency == Frequency.DAILY:
        dates = [line.start_date + timedelta(days=k) for k in range(max((end - line.start_date).days + 1, 0))]
    elif line.frequency == Frequency.WEEKLY:
        dates = [line.start_date + timedelta(weeks=k) for k in range(max((end - line.start_date).days // 7 + 1, 0))]
    else:
        step = 1 if line.frequency == Frequency.MONTHLY else 3
        dates, k = [], 0
        while (day := schedules.add_months(line.start_date, k * step)) <= end:
            dates.append(day)
            k += 1
    return [(d - as_of).days for d in dates if as_of <= d <= end]


def operating_flows(company: Company, as_of: date, horizon_days: int, rates) -> tuple[np.ndarray, np.ndarray]:
    """Daily net operating flow (without discretionary outflows) and the discretionary outflows a plan may cut."""
    flows, discretionary = np.zeros(horizon_days), np.zeros(horizon_days)
    for line in CashFlowLine.objects.for_company(company):
        amount = float(to_reporting(line.amount, line.currency, rates))
        days = cash_flow_days(line, as_of, horizon_days)
        if line.discretionary and amount < 0:
            np.add.at(discretionary, days, -amount)
        else:
            np.add.at(flows, days, amount)
    return flows, discretionary


def _latest_pd_by_counterparty(company: Company) -> dict[int, float]:
    latest: dict[int, float] = {}
    for cp_id, pd_1y in (
        CreditAssessment.objects.for_company(company)
        .filter(counterparty__isnull=False)
        .order_by("counterparty_id", "-as_of", "-id")
        .values_list("counterparty_id", "pd_1y")
    ):
        latest.setdefault(cp_id, float(pd_1y))
    return latest


def own_rating(company: Company) -> str | None:
    assessment = (
        CreditAssessment.objects.for_company(company)
        .filter(counterparty__isnull=True)
        .order_by("-as_of", "-id")
        .first()
    )
    return assessment.rating if assessment else None


def _channel_input(channel: FundingChannel, as_of: date, horizon: int, rates, pds: dict[int, float]) -> ChannelInput:
    def money(amount: Decimal) -> float:
        return float(to_reporting(amount, channel.currency, rates))

    rows = channel_schedule(channel=channel, as_of=as_of)
    principal, interest = schedules.debt_service_by_day(rows, as_of, horizon)
    principal = np.array([money(Decimal(str(p))) if p else 0.0 for p in principal], dtype=float)
    interest = np.array([money(Decimal(str(i))) if i else 0.0 for i in interest], dtype=float)
    if channel.excess_due and channel.excess_due_date:
        # What a lender's reduction or call left above the limit falls due at the end of the notice period.
        day = max((channel.excess_due_date - as_of).days, 0)
        if day < horizon:
            principal[day] += money(channel.excess_due)
    triggers = []
    for trigger in channel.triggers.all():
        if trigger.kind not in SIMULATED_TRIGGERS:
            continue
        triggers.append(
            TriggerInput(
                kind=trigger.kind,
                action=trigger.action,
                rating_rank=ratings.rank_of(trigger.rating) if trigger.rating else None,
                level=float(trigger.level) if trigger.level is not None else None,
                days=trigger.days,
                reduce_by=float(trigger.reduce_by) if trigger.reduce_by is not None else None,
                freeze_days=trigger.freeze_days,
            )
        )
    return ChannelInput(
        key=str(channel.pk),
        name=channel.name,
        channel_type=channel.channel_type,
        committed=channel.committed,
        status=channel.status,
        limit=money(channel.limit),
        drawn=money(channel.drawn),
        annual_rate=float(channel.annual_rate),
        rolls_over=channel.rolls_over,
        notice_days=channel.notice_days,
        maturity_day=(channel.maturity_date - as_of).days,
        principal_due=principal,
        interest_due=interest,
        counterparty_key=str(channel.counterparty_id),
        counterparty_pd_1y=pds.get(channel.counterparty_id, 0.0),
        action_probability=float(channel.action_probability) if channel.action_probability is not None else None,
        triggers=tuple(triggers),
        revolving=channel.repayment_profile == "revolving" or None,
    )


def build_inputs(
    *, company: Company, scenario: Scenario, plan: ContingencyPlan | None, paths: int, seed: int
) -> DrillInputs:
    """The engine inputs for a scenario and plan as the company stands now."""
    as_of, horizon = scenario.as_of, scenario.horizon_days
    rates = fx_rates(company, as_of)
    flows, discretionary = operating_flows(company, as_of, horizon, rates)
    pools = list(LiquidityPool.objects.for_company(company))
    opening_cash = sum(
        float(to_reporting(p.value_after_haircut, p.currency, rates)) for p in pools if p.kind == PoolKind.CASH
    )
    own = own_rating(company)
    pds = _latest_pd_by_counterparty(company)
    channels = FundingChannel.objects.for_company(company).prefetch_related("triggers").order_by("pk")
    scenario_input = ScenarioInput(
        horizon_days=horizon,
        opening_cash=opening_cash,
        operating_flows=flows,
        discretionary_outflows=discretionary,
        min_cash_buffer=float(company.min_cash_buffer),
        shocks=tuple(
            ShockInput(
                target_type=s.target_type,
                target=s.target,
                action=s.action,
                day=s.day,
                reduce_by=float(s.reduce_by) if s.reduce_by is not None else None,
                freeze_days=s.freeze_days,
            )
            for s in scenario.shocks.all()
        ),
        own_rating_rank=ratings.rank_of(own) if own else None,
        own_downgrade_notches=scenario.own_downgrade_notches,
        market_stress=float(scenario.market_stress),
        kind=scenario.kind,
        paths=paths,
        seed=seed,
        hazard_multiplier=float(scenario.hazard_multiplier),
        target_survival_probability=float(company.target_survival_probability),
        operating_volatility=float(scenario.operating_volatility),
        block_size=settings.DRILL_BLOCK_SIZE,
    )
    plan_input = None
    if plan is not None:
        plan_input = PlanInput(
            trigger=plan.trigger,
            threshold=float(plan.threshold or 0),
            steps=tuple(
                StepInput(
                    order=step.order,
                    action=step.action,
                    pool_key=str(step.pool_id) if step.pool_id else None,
                    amount=float(step.amount) if step.amount is not None else None,
                    lead_time_days=step.lead_time_days,
                    cost_rate=float(step.cost_rate),
                    success_probability=float(step.success_probability),
                )
                for step in plan.steps.all()
            ),
        )
    return DrillInputs(
        scenario=scenario_input,
        channels=tuple(_channel_input(c, as_of, horizon, rates, pds) for c in channels),
        pools=tuple(
            PoolInput(
                key=str(p.pk),
                kind=p.kind,
                amount=float(to_reporting(p.amount, p.currency, rates)),
                haircut=float(p.haircut),
                days_to_cash=p.days_to_cash,
                channel_key=str(p.channel_id) if p.channel_id else None,
            )
            for p in pools
        ),
        plan=plan_input,
    )
