"""The contingency app's export datasets (the cash-flow forecast and lines, pools, plans, drills, alerts), registered
into the core's `registry["exports"]` from `ContingencyConfig.ready()`; and the receiver that keeps their
incremental pulls right when a reference they hold is set to null."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from financeplanner.exports import (
    BOOLEAN,
    CHUNK_SIZE,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    NUMBER,
    STRING,
    Column,
    Dataset,
    ExportRequest,
    record_deletions_of,
    register_export,
    since,
)
from financeplanner.models import Company, FxRate, Tombstone

from .filtersets import (
    AlertFilterSet,
    CashFlowLineFilterSet,
    ContingencyPlanFilterSet,
    DrillRunFilterSet,
    LiquidityPoolFilterSet,
    ScenarioFilterSet,
)
from .models import Alert, CashFlowLine, ContingencyPlan, DrillRun, DrillSchedule, LiquidityPool, Scenario
from .report import report_of
from .snapshot import daily_forecast

CENT = Decimal("0.01")

CASH_FLOW_COLUMNS = (
    Column("date", DATE, "The day (the key)."),
    Column("currency", STRING, "The company's reporting currency; lines in other currencies converted at FxRate."),
    Column("inflows", DECIMAL),
    Column("outflows", DECIMAL, "Non-discretionary outflows, as a negative amount."),
    Column("discretionary_outflows", DECIMAL, "Outflows a contingency plan may cut, as a negative amount."),
    Column("net", DECIMAL, "inflows + outflows + discretionary_outflows."),
    Column("cumulative_net", DECIMAL, "Running total of net from the first day."),
)


def cash_flow_forecast_frame(*, company: Company, as_of: dt.date, days: int) -> pd.DataFrame:
    """The daily operating forecast in the reporting currency: one row per day from `as_of` for `days` days.

    Each line pays its signed amount on the days its frequency hits (DESIGN.md "Drill semantics"), converted with the
    latest FX rate on or before `as_of`. Money stays Decimal (object columns) so totals are exact to the cent.
    """
    forecast = daily_forecast(company, as_of, days)  # the one forecast (contingency.snapshot)
    dates = pd.date_range(as_of, periods=days, freq="D").date
    columns = {
        "inflows": forecast.inflows,
        "outflows": forecast.outflows,
        "discretionary_outflows": forecast.discretionary_outflows,
    }
    frame = pd.DataFrame({"date": dates, "currency": company.reporting_currency, **columns})
    frame["net"] = frame["inflows"] + frame["outflows"] + frame["discretionary_outflows"]
    frame["cumulative_net"] = frame["net"].cumsum()
    return frame[[c.name for c in CASH_FLOW_COLUMNS]]


def _forecast_inputs_changed(request: ExportRequest) -> bool:
    since, company = request.updated_since, request.company
    return (
        CashFlowLine.objects.for_company(company).filter(updated_at__gte=since).exists()
        or FxRate.objects.for_company(company).filter(updated_at__gte=since).exists()
        or Tombstone.objects.for_company(company)
        .filter(model__in=["contingency.cashflowline", "financeplanner.fxrate"], deleted_at__gte=since)
        .exists()
    )


def cash_flow_rows(request: ExportRequest) -> Iterator[tuple]:
    if request.updated_since is not None and not _forecast_inputs_changed(request):
        return
    company = request.company
    frame = cash_flow_forecast_frame(
        company=company,
        as_of=request.as_of or timezone.localdate(),
        days=request.days or company.survival_horizon_days,
    )
    yield from frame.itertuples(index=False, name=None)


CASH_FLOW_LINE_COLUMNS = (
    Column("id", INTEGER, "Cash-flow line id (the key)."),
    Column("name", STRING),
    Column("category", STRING),
    Column("amount", DECIMAL, "Signed: + inflow, − outflow, per occurrence."),
    Column("currency", STRING),
    Column("start_date", DATE),
    Column("end_date", DATE),
    Column("frequency", STRING, "once, daily, weekly, monthly, quarterly."),
    Column("discretionary", BOOLEAN),
    Column("updated_at", DATETIME),
)


def cash_flow_line_rows(request: ExportRequest) -> Iterator[tuple]:
    yield from (
        since(CashFlowLine.objects.for_company(request.company), request)
        .order_by("id")
        .values_list(*[c.name for c in CASH_FLOW_LINE_COLUMNS])
        .iterator(chunk_size=CHUNK_SIZE)
    )


POOL_COLUMNS = (
    Column("id", INTEGER, "Pool id (the key)."),
    Column("name", STRING),
    Column("kind", STRING, "cash, deposit, money_market_fund, backup_line, receivables, shareholder_support, other."),
    Column("currency", STRING),
    Column("amount", DECIMAL),
    Column("haircut", DECIMAL, "0–1."),
    Column("value_after_haircut", DECIMAL),
    Column("days_to_cash", INTEGER),
    Column("channel", INTEGER, "For a backup line: the channel it draws on."),
    Column("updated_at", DATETIME),
    Column("archived_at", DATETIME, "Set when archived: no liquidity in drills until restored."),
)


def pool_rows(request: ExportRequest) -> Iterator[tuple]:
    for pool in since(LiquidityPool.objects.for_company(request.company), request).order_by("id").iterator():
        yield (
            pool.pk, pool.name, pool.kind, pool.currency, pool.amount, pool.haircut, pool.value_after_haircut,
            pool.days_to_cash, pool.channel_id, pool.updated_at, pool.archived_at,
        )  # fmt: skip


PLAN_COLUMNS = (
    Column("plan", INTEGER, "Plan id (the key: a pull replaces all rows of the plans it returns)."),
    Column("plan_name", STRING),
    Column("status", STRING, "draft, approved, retired."),
    Column("trigger", STRING, "on_shock, below_threshold."),
    Column("threshold", DECIMAL),
    Column("approved_by", STRING),
    Column("approved_at", DATETIME),
    Column("step_order", INTEGER, "Empty for a plan without steps."),
    Column("action", STRING),
    Column("pool", INTEGER),
    Column("amount", DECIMAL),
    Column("lead_time_days", INTEGER),
    Column("cost_rate", DECIMAL),
    Column("success_probability", DECIMAL),
    Column("updated_at", DATETIME),
)


def plan_rows(request: ExportRequest) -> Iterator[tuple]:
    plans = since(ContingencyPlan.objects.for_company(request.company), request)
    for plan in plans.select_related("approved_by").prefetch_related("steps").order_by("id"):
        head = (
            plan.pk, plan.name, plan.status, plan.trigger, plan.threshold,
            plan.approved_by.username if plan.approved_by else None, plan.approved_at,
        )  # fmt: skip
        steps = sorted(plan.steps.all(), key=lambda s: s.order)
        if not steps:
            yield (*head, None, None, None, None, None, None, None, plan.updated_at)
        for step in steps:
            yield (
                *head, step.order, step.action, step.pool_id, step.amount, step.lead_time_days, step.cost_rate,
                step.success_probability, plan.updated_at,
            )  # fmt: skip


DRILL_COLUMNS = (
    Column("id", INTEGER, "Drill run id (the key)."),
    Column("scenario", INTEGER),
    Column("scenario_name", STRING),
    Column("plan", INTEGER),
    Column("schedule", INTEGER, "The drill schedule that started the run, if any."),
    Column("status", STRING, "queued, running, succeeded, failed."),
    Column("progress", INTEGER, "0–100."),
    Column("paths", INTEGER),
    Column("seed", INTEGER),
    Column("passed_policy", BOOLEAN, "True only when the policy verdict is met."),
    Column("created_at", DATETIME),
    Column("started_at", DATETIME),
    Column("finished_at", DATETIME),
    Column("horizon_days", INTEGER),
    Column("survived", BOOLEAN, "One-path drills."),
    Column("survival_probability", NUMBER, "0–1."),
    Column("runway_days", INTEGER, "One-path drills: the first day with a shortfall; empty = survived."),
    Column("runway_days_p1", INTEGER, "Monte Carlo: 1st percentile of runway over paths."),
    Column("runway_days_p5", INTEGER, "Monte Carlo: 5th percentile."),
    Column("runway_days_p50", INTEGER, "Monte Carlo: median."),
    Column("min_liquidity", DECIMAL, "Reporting currency."),
    Column("min_liquidity_day", INTEGER),
    Column("liquidity_at_risk_95", DECIMAL),
    Column("liquidity_at_risk_99", DECIMAL),
    Column("extra_liquidity_needed", DECIMAL),
    Column("contingency_used", DECIMAL),
    Column("results", STRING, "The complete results object, as JSON text."),
    Column("updated_at", DATETIME),
    Column(
        "verdict", STRING, "Policy verdict: met, not_met, inconclusive, not_tested (empty: judged before verdicts)."
    ),
    Column("policy_horizon_days", INTEGER, "The policy horizon the verdict was judged on (days)."),
    Column(
        "runway_days_at_target",
        INTEGER,
        "Monte Carlo headline runway: the (1 - target) quantile of per-path runway; empty = survives the horizon.",
    ),
    Column("policy_probability", NUMBER, "Share of paths keeping the minimum buffer over the policy horizon, 0–1."),
    Column("standard_error", NUMBER, "Monte Carlo: standard error of that share."),
    Column("ci_low", NUMBER, "Monte Carlo: 95 % Wilson interval of that share, lower end."),
    Column("ci_high", NUMBER, "Monte Carlo: upper end."),
    Column("buffer_breach_day", INTEGER, "First day cash is below the buffer (Monte Carlo: median over such paths)."),
)


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return None


def drill_rows(request: ExportRequest) -> Iterator[tuple]:
    # Status changes may be written with .update(); started/finished times move with them.
    runs = DrillRun.objects.for_company(request.company).annotate(
        changed_at=Greatest("updated_at", Coalesce("finished_at", "updated_at"), Coalesce("started_at", "updated_at"))
    )
    for run in since(runs, request, "changed_at").select_related("scenario").order_by("id").iterator():
        r = report_of(run)
        p = r.policy
        yield (
            run.pk, run.scenario_id, run.scenario.name, run.plan_id, run.schedule_id, run.status, run.progress,
            run.paths, run.seed, run.passed_policy, run.created_at, run.started_at, run.finished_at,
            r.horizon_days, r.survived, r.survival_probability, None if r.many else r.runway,
            r.runway_percentiles.get("p1"), r.runway_percentiles.get("p5"), r.runway_percentiles.get("p50"),
            _money(r.min_liquidity), r.min_liquidity_day,
            _money(r.liquidity_at_risk_95), _money(r.liquidity_at_risk_99),
            _money(r.extra_liquidity_needed), _money(r.contingency_used),
            json.dumps(run.results, sort_keys=True, default=str) if run.results is not None else None, run.changed_at,
            p.verdict, p.horizon_days, r.runway if r.many else None, p.probability, p.standard_error, p.ci_low,
            p.ci_high, p.buffer_breach_day,
        )  # fmt: skip


ALERT_COLUMNS = (
    Column("id", INTEGER, "Alert id (the key)."),
    Column(
        "indicator", STRING, "See GET /api/v1/alerts/ and contingency.early_warnings.indicators for the indicators."
    ),
    Column("key", STRING, "What the breach is about, e.g. a channel or counterparty id."),
    Column("severity", STRING, "amber, red."),
    Column("value", DECIMAL),
    Column("message", STRING),
    Column("created_at", DATETIME),
    Column("acknowledged_at", DATETIME),
    Column("acknowledged_by", STRING),
    Column("resolved_at", DATETIME),
    Column("updated_at", DATETIME),
)


def alert_rows(request: ExportRequest) -> Iterator[tuple]:
    yield from (
        since(Alert.objects.for_company(request.company), request)
        .order_by("id")
        .values_list(
            "id",
            "indicator",
            "key",
            "severity",
            "value",
            "message",
            "created_at",
            "acknowledged_at",
            "acknowledged_by__username",
            "resolved_at",
            "updated_at",
        )  # fmt: skip
        .iterator(chunk_size=CHUNK_SIZE)
    )


SCENARIO_COLUMNS = (
    Column("id", INTEGER, "Scenario id (the key)."),
    Column("name", STRING),
    Column("kind", STRING, "deterministic, monte_carlo."),
    Column("as_of", DATE, "Day 0; empty: the day the drill runs."),
    Column("horizon_days", INTEGER),
    Column("paths", INTEGER),
    Column("seed", INTEGER),
    Column("own_downgrade_notches", INTEGER),
    Column("market_stress", DECIMAL),
    Column("archived_at", DATETIME, "Set when archived."),
    Column("updated_at", DATETIME),
)


def scenario_rows(request: ExportRequest) -> Iterator[tuple]:
    yield from (
        since(Scenario.objects.for_company(request.company), request)
        .order_by("id")
        .values_list(*[c.name for c in SCENARIO_COLUMNS])
        .iterator(chunk_size=CHUNK_SIZE)
    )


DRILL_SCHEDULE_COLUMNS = (
    Column("id", INTEGER, "Drill schedule id (the key)."),
    Column("name", STRING),
    Column("scenario", INTEGER),
    Column("scenario_name", STRING),
    Column("plan", INTEGER),
    Column("cron", STRING, "minute hour day-of-month month day-of-week."),
    Column("timezone", STRING, "IANA time zone the cron is read in."),
    Column("enabled", BOOLEAN),
    Column("updated_at", DATETIME),
)


def drill_schedule_rows(request: ExportRequest) -> Iterator[tuple]:
    yield from (
        since(DrillSchedule.objects.for_company(request.company), request)
        .order_by("id")
        .values_list(
            "id", "name", "scenario_id", "scenario__name", "plan_id", "cron", "timezone", "enabled", "updated_at"
        )  # fmt: skip
        .iterator(chunk_size=CHUNK_SIZE)
    )


def register() -> None:
    register_export(
        Dataset(
            "cash-flows",
            "Cash-flow forecast",
            "date",
            CASH_FLOW_COLUMNS,
            cash_flow_rows,
            snapshot=True,
            parameters=("as_of", "days"),
            description="The daily operating forecast in the reporting currency from `as_of` (default today) for "
            "`days` days (default the company's survival horizon). A snapshot: with `updated_since` it is returned "
            "whole when a cash-flow line or FX rate changed since, else empty.",
            weight=40,
        ),  # fmt: skip
        Dataset(
            "cash-flow-lines",
            "Cash-flow lines",
            "id",
            CASH_FLOW_LINE_COLUMNS,
            cash_flow_line_rows,
            ("contingency.cashflowline",),
            weight=50,
            filterset=CashFlowLineFilterSet,
        ),  # fmt: skip
        Dataset(
            "pools",
            "Liquidity pools",
            "id",
            POOL_COLUMNS,
            pool_rows,
            ("contingency.liquiditypool",),
            weight=60,
            filterset=LiquidityPoolFilterSet,
        ),
        Dataset(
            "plans",
            "Contingency plans",
            "plan",
            PLAN_COLUMNS,
            plan_rows,
            ("contingency.contingencyplan",),
            weight=70,
            filterset=ContingencyPlanFilterSet,
        ),
        Dataset(
            "drills",
            "Drill runs",
            "id",
            DRILL_COLUMNS,
            drill_rows,
            ("contingency.drillrun",),
            weight=80,
            filterset=DrillRunFilterSet,
        ),
        Dataset(
            "alerts",
            "Alerts",
            "id",
            ALERT_COLUMNS,
            alert_rows,
            ("contingency.alert",),
            weight=90,
            filterset=AlertFilterSet,
        ),  # fmt: skip
        Dataset(
            "scenarios",
            "Scenarios",
            "id",
            SCENARIO_COLUMNS,
            scenario_rows,
            ("contingency.scenario",),
            weight=120,
            filterset=ScenarioFilterSet,
        ),
        Dataset(
            "drill-schedules",
            "Drill schedules",
            "id",
            DRILL_SCHEDULE_COLUMNS,
            drill_schedule_rows,
            ("contingency.drillschedule",),
            weight=130,
        ),  # fmt: skip
    )
    # The forecast snapshot is computed from the cash-flow lines and the FX rates: their deletions change it too.
    record_deletions_of("contingency.cashflowline", "financeplanner.fxrate")


@receiver(pre_delete, dispatch_uid="contingency.exports.touch_set_null")
def touch_rows_losing_a_reference(sender, instance, **kwargs) -> None:
    """SET_NULL rewrites the referring rows without touching updated_at; touch them so the change is pulled."""
    label = sender._meta.label_lower
    now = timezone.now()
    if label == "channels_app.fundingchannel":
        LiquidityPool.objects.filter(channel=instance).update(updated_at=now)
    elif label == "contingency.drillschedule":
        DrillRun.objects.filter(schedule=instance).update(updated_at=now)
