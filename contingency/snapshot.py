"""Build the drill engine's inputs from the database: the exact snapshot a drill run simulates.

Decimal money becomes float64 in the reporting currency here, at the engine's boundary. The snapshot is
stored with the run (`DrillRun.snapshot`), so a run can be rerun and audited and gives the same numbers.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app import ratings, schedules
from channels_app.choices import ChannelStatus, EventKind, LedgerKind
from channels_app.models import FundingChannel
from channels_app.selectors import (
    channel_schedule,
    fx_rates,
    latest_assessment,
    latest_pd_by_counterparty,
    to_reporting,
)
from financeplanner.models import Company

from .choices import Frequency, PlanStatus, PoolKind, ScenarioKind
from .engine import inputs as ei
from .models import CashFlowLine, ContingencyPlan, LiquidityPool, Scenario


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


@dataclass(frozen=True)
class DailyForecast:
    """The operating forecast, day by day from `start`, in the reporting currency (Decimal, exact to the cent).

    Signed as DESIGN.md's lines are (+ inflow, − outflow): `inflows` ≥ 0; `outflows` (those a plan cannot cut) and
    `discretionary_outflows` (those it may cut) ≤ 0; `net` is their sum. The one computation of the forecast: the
    drill's inputs (`operating_flows`), the cash-flow page and the cash-flow export all read it.
    """

    start: date
    inflows: list[Decimal]
    outflows: list[Decimal]
    discretionary_outflows: list[Decimal]

    @property
    def net(self) -> list[Decimal]:
        return [sum(day) for day in zip(self.inflows, self.outflows, self.discretionary_outflows, strict=True)]


def daily_forecast(company: Company, as_of: date, days: int, rates=None) -> DailyForecast:
    """Each line's signed amount on the days its frequency hits (DESIGN.md "Drill semantics"), converted at the
    latest FX rate on or before `as_of` (`rates`: fx_rates(company, as_of), if the caller has them)."""
    rates = fx_rates(company, as_of) if rates is None else rates
    zero = Decimal("0.00")
    columns = {"inflows": [zero] * days, "outflows": [zero] * days, "discretionary_outflows": [zero] * days}
    for line in CashFlowLine.objects.for_company(company).order_by("id"):
        amount = to_reporting(line.amount, line.currency, rates)
        column = "inflows" if amount >= 0 else ("discretionary_outflows" if line.discretionary else "outflows")
        for day in cash_flow_days(line, as_of, days):
            columns[column][day] += amount
    return DailyForecast(start=as_of, **columns)


def operating_flows(
    company: Company, as_of: date, horizon_days: int, rates
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forecast as the engine takes it (float64): the daily net operating flow without discretionary outflows,
    the discretionary outflows a plan may cut *as positive amounts* (what a cut saves), and the forecast gross
    inflows (what an inflow-drop trigger compares realised inflows with)."""
    forecast = daily_forecast(company, as_of, horizon_days, rates)
    inflows = np.array([float(v) for v in forecast.inflows], dtype=float)
    flows = np.array([float(i + o) for i, o in zip(forecast.inflows, forecast.outflows, strict=True)], dtype=float)
    discretionary = np.array([float(-v) for v in forecast.discretionary_outflows], dtype=float) + 0.0  # no −0.0
    return flows, discretionary, inflows


def _freeze_end(channel: FundingChannel) -> date | None:
    """When the recorded freeze of a frozen line ends (None: no end recorded)."""
    event = channel.events.filter(kind=EventKind.FREEZE).order_by("-date", "-id").first()
    if event is None or not event.freeze_days:
        return None
    return event.date + timedelta(days=event.freeze_days)


def _fees(channel: FundingChannel, as_of: date, horizon: int) -> list[tuple[int, Decimal]]:
    """Fees on the limit, paid on the line's payment dates (day index, amount in the channel's currency)."""
    if not channel.fee_rate or channel.status in (ChannelStatus.CLOSED, ChannelStatus.MATURED):
        return []
    dates = schedules.payment_dates(
        start_date=channel.start_date, maturity_date=channel.maturity_date, frequency=channel.payment_frequency
    )
    fees, previous = [], channel.start_date
    for pay_date in dates:
        day = (pay_date - as_of).days
        if 0 <= day < horizon:
            fraction = schedules.year_fraction(channel.day_count, previous, pay_date)
            fees.append((day, schedules.round_money(channel.limit * channel.fee_rate * fraction)))
        previous = pay_date
    return fees


def _channel_input(
    channel: FundingChannel, as_of: date, horizon: int, rates, pds: dict[int, float], domestic_offset: int
) -> ei.ChannelInput:
    def money(amount: Decimal) -> float:
        return float(to_reporting(amount, channel.currency, rates))

    def days_from_as_of(day: date) -> int:
        return max((day - as_of).days, 0)

    rows = channel_schedule(channel=channel, as_of=as_of)
    principal, interest = schedules.debt_service_by_day(rows, as_of, horizon)
    principal = np.array([money(Decimal(str(p))) if p else 0.0 for p in principal], dtype=float)
    interest = np.array([money(Decimal(str(i))) if i else 0.0 for i in interest], dtype=float)
    fees = np.zeros(horizon)
    for day, fee in _fees(channel, as_of, horizon):
        fees[day] += money(fee)
    limit, demand_day = channel.limit, None
    if channel.excess_due and channel.excess_due_date:
        # A lender's recorded demand (what a reduction or call left above the limit) falls due on its recorded date
        # (overdue: at once), whether or not the line rolls over; a called line may keep nothing drawn.
        demand_day = days_from_as_of(channel.excess_due_date)
        limit = min(limit, max(channel.drawn - channel.excess_due, Decimal("0")))
    frozen_until = None
    if channel.status == ChannelStatus.FROZEN and (end := _freeze_end(channel)) is not None:
        frozen_until = days_from_as_of(end)
    triggers = tuple(
        ei.TriggerInput(
            kind=trigger.kind,
            action=trigger.action,
            rating_rank=ratings.master_rank(trigger.rating, trigger.scale, domestic_offset) if trigger.rating else None,
            level=float(trigger.level) if trigger.level is not None else None,
            days=trigger.days,
            count=trigger.count,
            window_days=trigger.window_days,
            grace_days=trigger.grace_days,
            reduce_by=float(trigger.reduce_by) if trigger.reduce_by is not None else None,
            freeze_days=trigger.freeze_days,
        )
        for trigger in channel.triggers.all()
    )
    # Recorded draws inside the longest borrowing-frequency window: the lender counts them too.
    window = max((t.window_days or 0 for t in triggers if t.kind == "borrowing_frequency"), default=0)
    recent_draws = ()
    if window:
        recent_draws = tuple(
            (day - as_of).days
            for day in channel.ledger.filter(
                kind=LedgerKind.DRAW, date__lte=as_of, date__gte=as_of - timedelta(days=window)
            )
            .filter(reverses__isnull=True, reversal__isnull=True)  # a reversed draw never happened
            .values_list("date", flat=True)
        )
    return ei.ChannelInput(
        key=str(channel.pk),
        name=channel.name,
        channel_type=channel.channel_type,
        committed=channel.committed,
        # An archived line is no liquidity (conservative): closed, so what is drawn on it still runs off.
        status=ChannelStatus.CLOSED if channel.archived_at is not None else channel.status,
        limit=money(limit),
        drawn=money(channel.drawn),
        annual_rate=float(channel.annual_rate),
        rolls_over=channel.rolls_over,
        notice_days=channel.notice_days,
        maturity_day=(channel.maturity_date - as_of).days,
        principal_due=principal,
        interest_due=interest,
        counterparty_key=str(channel.counterparty_id),
        counterparty_kind=channel.counterparty.kind,
        counterparty_pd_1y=pds.get(channel.counterparty_id, 0.0),
        action_probability=float(channel.action_probability) if channel.action_probability is not None else None,
        triggers=triggers,
        revolving=channel.repayment_profile == "revolving" or None,
        day_count=channel.day_count,
        start_day=days_from_as_of(channel.start_date),
        frozen_until_day=frozen_until,
        demand_day=demand_day,
        fee_due=fees,
        recent_draw_days=recent_draws,
    )


def _refuse_archived(scenario: Scenario, plan: ContingencyPlan | None) -> None:
    """Archived scenarios and retired plans are kept for their runs, never drilled again until restored."""
    if scenario.archived_at is not None:
        raise ValidationError(
            {"scenario": _("The scenario %(name)s is archived: restore it to drill it.") % {"name": scenario}}
        )
    if plan is None:
        return
    if plan.status == PlanStatus.RETIRED:
        raise ValidationError({"plan": _("The plan %(name)s is retired: restore it to drill it.") % {"name": plan}})
    archived = plan.steps.filter(pool__archived_at__isnull=False).select_related("pool").first()
    if archived is not None:
        raise ValidationError(
            {
                "plan": _(
                    "The plan's step %(order)s draws on the archived pool %(pool)s: restore the pool or change the step."
                )
                % {"order": archived.order, "pool": archived.pool}
            }
        )


def drill_as_of(scenario: Scenario) -> date:
    """Day 0 of a drill: the scenario's as-of date, or the day the drill runs when it has none."""
    return scenario.as_of or timezone.localdate()


def build_inputs(
    *,
    company: Company,
    scenario: Scenario,
    plan: ContingencyPlan | None,
    paths: int,
    seed: int,
    as_of: date | None = None,
) -> ei.DrillInputs:
    """The engine inputs for a scenario and plan as the company stands now, with what was known on day 0.

    Day 0 is `as_of` when given (scheduled drills: the run date), else the scenario's (empty: the run date)."""
    _refuse_archived(scenario, plan)
    as_of, horizon = as_of or drill_as_of(scenario), scenario.horizon_days
    rates = fx_rates(company, as_of)
    flows, discretionary, inflows = operating_flows(company, as_of, horizon, rates)
    pools = list(LiquidityPool.objects.for_company(company).filter(archived_at__isnull=True))
    opening_cash = sum(
        float(to_reporting(p.value_after_haircut, p.currency, rates)) for p in pools if p.kind == PoolKind.CASH
    )
    own = latest_assessment(company, as_of=as_of)  # our own rating as known on day 0
    pds = {cp: float(pd_1y) for cp, pd_1y in latest_pd_by_counterparty(company, as_of=as_of).items()}
    channels = (
        FundingChannel.objects.for_company(company)
        .select_related("counterparty")
        .prefetch_related("triggers")
        .order_by("pk")
    )
    scenario_input = ei.ScenarioInput(
        horizon_days=horizon,
        opening_cash=opening_cash,
        operating_flows=flows,
        operating_inflows=inflows,
        discretionary_outflows=discretionary,
        min_cash_buffer=float(company.min_cash_buffer),
        shocks=tuple(
            ei.ShockInput(
                target_type=s.target_type,
                target=s.target,
                action=s.action,
                day=s.day,
                reduce_by=float(s.reduce_by) if s.reduce_by is not None else None,
                freeze_days=s.freeze_days,
                notches=s.notches,
            )
            for s in scenario.shocks.all()
        ),
        own_rating_rank=ratings.rank_of(own.rating) if own and own.rating else None,
        own_downgrade_notches=scenario.own_downgrade_notches,
        market_stress=float(scenario.market_stress),
        kind=scenario.kind,
        paths=paths,
        seed=seed,
        hazard_multiplier=float(scenario.hazard_multiplier),
        target_survival_probability=float(company.target_survival_probability),
        policy_horizon_days=company.survival_horizon_days,
        operating_volatility=float(scenario.operating_volatility),
        block_size=settings.DRILL_BLOCK_SIZE,
        no_credit_uncommitted=(
            scenario.kind == ScenarioKind.DETERMINISTIC
            and scenario.market_stress > 0
            and not company.credit_uncommitted_under_stress
        ),
        as_of=as_of.isoformat(),
    )
    plan_input = None
    if plan is not None:
        plan_input = ei.PlanInput(
            trigger=plan.trigger,
            threshold=float(plan.threshold or 0),
            steps=tuple(
                ei.StepInput(
                    order=step.order,
                    action=step.action,
                    pool_key=str(step.pool_id) if step.pool_id else None,
                    # A step's amount is in its pool's currency (the reporting currency without a pool).
                    amount=(
                        float(
                            to_reporting(
                                step.amount, step.pool.currency if step.pool else company.reporting_currency, rates
                            )
                        )
                        if step.amount is not None
                        else None
                    ),  # fmt: skip
                    lead_time_days=step.lead_time_days,  # None: the pool's days to cash
                    cost_rate=float(step.cost_rate),
                    success_probability=float(step.success_probability),
                )
                for step in plan.steps.select_related("pool")
            ),
        )
    return ei.DrillInputs(
        scenario=scenario_input,
        channels=tuple(_channel_input(c, as_of, horizon, rates, pds, company.domestic_notch_offset) for c in channels),
        pools=tuple(
            ei.PoolInput(
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
