"""ERP exports: every dataset as a table with stable column names, streamed as JSON, CSV or XLSX.

An ERP mirrors the company with a full pull, then incremental pulls with `updated_since` (the `X-Export-Watermark`
of the previous pull). A dataset is one of two kinds:

* **row datasets** (channels, ledger, schedules, cash-flow-lines, pools, plans, drills, alerts) return the rows
  changed at or after `updated_since`, plus one *tombstone* row per deleted object: only the key column and
  `deleted_at` filled. Rows are keyed by the dataset's `key` column; an ERP upserts rows by key and deletes the key
  of a tombstone. `plans` and `schedules` have several rows per key (a plan's steps, a channel's payments): the ERP
  replaces all rows of a key it receives.
* **snapshot datasets** (cash-flows: the daily forecast) are computed as of a date; with `updated_since` they return
  the whole table when any input changed since (else nothing), and the ERP replaces its copy.

Rows are read with `QuerySet.iterator(chunk_size=…)` and written one by one (csv writer per row, an openpyxl
write-only workbook), so an export of 100,000 ledger rows runs in constant memory (benchmarks/bench_exports.py).

Deletions are recorded by the post_delete receivers at the bottom, which only keep the Tombstone table (derived
data) fresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .models import Company, FxRate, Tombstone

CHUNK_SIZE = 2000
CENT = Decimal("0.01")
MAX_FORECAST_DAYS = 3650

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Column kinds: how a value is written and how the OpenAPI schema describes it.
INTEGER, STRING, DECIMAL, NUMBER, DATE, DATETIME, BOOLEAN = (
    "integer", "string", "decimal", "number", "date", "datetime", "boolean",
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class ExportRequest:
    """What the caller asked for, parsed and validated."""

    company: Company
    updated_since: dt.datetime | None = None
    as_of: dt.date | None = None
    days: int | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    key: str
    columns: tuple[Column, ...]
    rows: Callable[[ExportRequest], Iterable[tuple]]
    deleted_models: tuple[str, ...] = ()
    snapshot: bool = False
    description: str = ""
    parameters: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


DELETED_AT = Column("deleted_at", DATETIME, "Set on tombstone rows only: the object was deleted at this time.")


# -- parsing --------------------------------------------------------------------------------------------------------


def parse_updated_since(value: str | None) -> dt.datetime | None:
    """An ISO 8601 date-time (or date, meaning its midnight in the server's zone); naive means the server's zone."""
    if value in (None, ""):
        return None
    parsed: dt.datetime | None = None
    try:
        parsed = parse_datetime(value.strip().replace(" ", "+", 1) if "T" in value and " " in value else value.strip())
        if parsed is None:
            day = parse_date(value.strip())
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({"updated_since": "Give an ISO 8601 date-time, e.g. 2026-01-31T18:00:00+08:00."})
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        # Compare in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
        parsed = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationError({"updated_since": "That date-time is out of range."}) from None
    return parsed


def parse_as_of(value: str | None) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({"as_of": "Give an ISO 8601 date, e.g. 2026-01-31."})
    if not dt.date(1900, 1, 1) <= parsed <= dt.date(2199, 12, 31):
        raise ValidationError({"as_of": "Give a date between 1900 and 2199."})
    return parsed


def parse_days(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_FORECAST_DAYS:
        raise ValidationError({"days": f"Give a whole number of days from 1 to {MAX_FORECAST_DAYS}."})
    return int(value)


# -- the datasets ---------------------------------------------------------------------------------------------------


def _since(queryset: QuerySet, request: ExportRequest, field_name: str = "updated_at") -> QuerySet:
    if request.updated_since is None:
        return queryset
    return queryset.filter(**{f"{field_name}__gte": request.updated_since})


def _channels_with_change_time(company: Company) -> QuerySet:
    """Channels with `changed_at`: a draw or repayment changes `drawn` without touching the channel's updated_at."""
    from channels_app.models import FundingChannel, LedgerEntry

    last_entry = (
        LedgerEntry.objects.filter(channel=OuterRef("pk")).order_by().values("channel").annotate(m=Max("updated_at"))
    )
    return FundingChannel.objects.for_company(company).annotate(
        changed_at=Greatest(
            "updated_at", Coalesce(Subquery(last_entry.values("m"), output_field=DateTimeField()), "updated_at")
        )
    )


CHANNEL_COLUMNS = (
    Column("id", INTEGER, "Channel id (the key)."),
    Column("name", STRING),
    Column("counterparty", INTEGER, "Counterparty id."),
    Column("counterparty_name", STRING),
    Column("channel_type", STRING, "bank_term_loan, revolving_credit, supply_chain_finance, small_loan_platform, …"),
    Column("currency", STRING, "ISO 4217; the amounts of the row are in this currency."),
    Column("limit", DECIMAL),
    Column("drawn", DECIMAL),
    Column("headroom", DECIMAL, "Undrawn limit of an open line; 0 when frozen, closed or matured."),
    Column("committed", BOOLEAN),
    Column("status", STRING, "active, reduced, frozen, closed, matured."),
    Column("annual_rate", DECIMAL),
    Column("day_count", STRING),
    Column("start_date", DATE),
    Column("maturity_date", DATE),
    Column("repayment_profile", STRING),
    Column("payment_frequency", STRING),
    Column("rolls_over", BOOLEAN),
    Column("notice_days", INTEGER),
    Column("excess_due", DECIMAL, "Drawn above a reduced limit (or called), due on excess_due_date."),
    Column("excess_due_date", DATE),
    Column("updated_at", DATETIME, "Last change of the channel or of its ledger."),
)


def channel_rows(request: ExportRequest) -> Iterator[tuple]:
    queryset = _since(_channels_with_change_time(request.company), request, "changed_at")
    for channel in queryset.select_related("counterparty").order_by("id").iterator(chunk_size=CHUNK_SIZE):
        yield (
            channel.pk, channel.name, channel.counterparty_id, channel.counterparty.name, channel.channel_type,
            channel.currency, channel.limit, channel.drawn, channel.headroom, channel.committed, channel.status,
            channel.annual_rate, channel.day_count, channel.start_date, channel.maturity_date,
            channel.repayment_profile, channel.payment_frequency, channel.rolls_over, channel.notice_days,
            channel.excess_due, channel.excess_due_date, channel.changed_at,
        )  # fmt: skip


LEDGER_COLUMNS = (
    Column("id", INTEGER, "Ledger entry id (the key)."),
    Column("channel", INTEGER, "Channel id."),
    Column("channel_name", STRING),
    Column("currency", STRING, "The channel's currency."),
    Column("date", DATE),
    Column("kind", STRING, "draw, repay, interest, fee."),
    Column("amount", DECIMAL, "Always positive; the kind says the direction."),
    Column("reference", STRING),
    Column("created_by", STRING, "Username."),
    Column("created_at", DATETIME),
    Column("updated_at", DATETIME),
)


def ledger_rows(request: ExportRequest) -> Iterator[tuple]:
    from channels_app.models import LedgerEntry

    queryset = _since(LedgerEntry.objects.for_company(request.company), request)
    yield from (
        queryset.order_by("id")
        .values_list(
            "id",
            "channel_id",
            "channel__name",
            "channel__currency",
            "date",
            "kind",
            "amount",
            "reference",
            "created_by__username",
            "created_at",
            "updated_at",
        )  # fmt: skip
        .iterator(chunk_size=CHUNK_SIZE)
    )


SCHEDULE_COLUMNS = (
    Column("channel", INTEGER, "Channel id (the key: a pull replaces all rows of the channels it returns)."),
    Column("channel_name", STRING),
    Column("currency", STRING),
    Column("date", DATE, "Payment date."),
    Column("interest", DECIMAL),
    Column("principal", DECIMAL),
    Column("payment", DECIMAL),
    Column("balance", DECIMAL, "Balance after the payment."),
    Column("updated_at", DATETIME, "Last change of the channel or of its ledger."),
)


def schedule_rows(request: ExportRequest) -> Iterator[tuple]:
    """What every channel owes, by date: the schedule of what is drawn now, from `as_of` (default today)."""
    from channels_app.selectors import channel_schedule

    queryset = _since(_channels_with_change_time(request.company), request, "changed_at").filter(drawn__gt=0)
    rows = []
    for channel in queryset.order_by("id"):
        for row in channel_schedule(channel=channel, as_of=request.as_of):
            rows.append(
                (channel.pk, channel.name, channel.currency, row.date, row.interest, row.principal, row.payment,
                 row.balance, channel.changed_at)
            )  # fmt: skip
    rows.sort(key=lambda r: (r[3], r[0]))
    yield from rows


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
    from channels_app.selectors import fx_rates, to_reporting
    from contingency.models import CashFlowLine
    from contingency.snapshot import cash_flow_days

    rates = fx_rates(company, as_of)
    dates = pd.date_range(as_of, periods=days, freq="D").date
    zero = Decimal("0.00")
    columns = {"inflows": [zero] * days, "outflows": [zero] * days, "discretionary_outflows": [zero] * days}
    for line in CashFlowLine.objects.for_company(company).order_by("id"):
        amount = to_reporting(line.amount, line.currency, rates)
        column = "inflows" if amount >= 0 else ("discretionary_outflows" if line.discretionary else "outflows")
        for day in cash_flow_days(line, as_of, days):
            columns[column][day] += amount
    frame = pd.DataFrame({"date": dates, "currency": company.reporting_currency, **columns})
    frame["net"] = frame["inflows"] + frame["outflows"] + frame["discretionary_outflows"]
    frame["cumulative_net"] = frame["net"].cumsum()
    return frame[[c.name for c in CASH_FLOW_COLUMNS]]


def _forecast_inputs_changed(request: ExportRequest) -> bool:
    from contingency.models import CashFlowLine

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
    from contingency.models import CashFlowLine

    yield from (
        _since(CashFlowLine.objects.for_company(request.company), request)
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
)


def pool_rows(request: ExportRequest) -> Iterator[tuple]:
    from contingency.models import LiquidityPool

    for pool in _since(LiquidityPool.objects.for_company(request.company), request).order_by("id").iterator():
        yield (
            pool.pk, pool.name, pool.kind, pool.currency, pool.amount, pool.haircut, pool.value_after_haircut,
            pool.days_to_cash, pool.channel_id, pool.updated_at,
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
    from contingency.models import ContingencyPlan

    plans = _since(ContingencyPlan.objects.for_company(request.company), request)
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
    from contingency.models import DrillRun
    from contingency.report import report_of

    # Status changes may be written with .update(); started/finished times move with them.
    runs = DrillRun.objects.for_company(request.company).annotate(
        changed_at=Greatest("updated_at", Coalesce("finished_at", "updated_at"), Coalesce("started_at", "updated_at"))
    )
    for run in _since(runs, request, "changed_at").select_related("scenario").order_by("id").iterator():
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
    Column("indicator", STRING, "See GET /api/v1/alerts/ and contingency.warnings for the indicators."),
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
    from contingency.models import Alert

    yield from (
        _since(Alert.objects.for_company(request.company), request)
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


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("channels", "Funding channels", "id", CHANNEL_COLUMNS, channel_rows, ("channels_app.fundingchannel",)),
        Dataset("ledger", "Ledger", "id", LEDGER_COLUMNS, ledger_rows, ("channels_app.ledgerentry",)),
        Dataset(
            "schedules",
            "Repayment schedules",
            "channel",
            SCHEDULE_COLUMNS,
            schedule_rows,
            ("channels_app.fundingchannel",),
            parameters=("as_of",),
            description="Every channel's interest and principal payments on what is drawn now, from `as_of` "
            "(default today) to maturity, ordered by date. Pull with a fixed `as_of` for an exact incremental mirror.",
        ),  # fmt: skip
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
        ),  # fmt: skip
        Dataset(
            "cash-flow-lines",
            "Cash-flow lines",
            "id",
            CASH_FLOW_LINE_COLUMNS,
            cash_flow_line_rows,
            ("contingency.cashflowline",),
        ),  # fmt: skip
        Dataset("pools", "Liquidity pools", "id", POOL_COLUMNS, pool_rows, ("contingency.liquiditypool",)),
        Dataset("plans", "Contingency plans", "plan", PLAN_COLUMNS, plan_rows, ("contingency.contingencyplan",)),
        Dataset("drills", "Drill runs", "id", DRILL_COLUMNS, drill_rows, ("contingency.drillrun",)),
        Dataset("alerts", "Alerts", "id", ALERT_COLUMNS, alert_rows, ("contingency.alert",)),
    )
}


def export_columns(dataset: Dataset) -> tuple[Column, ...]:
    return (*dataset.columns, DELETED_AT)


def export_rows(dataset: Dataset, request: ExportRequest) -> Iterator[tuple]:
    """The dataset's rows, each ending with `deleted_at` (None), then one tombstone row per deletion since."""
    for row in dataset.rows(request):
        yield (*row, None)
    if request.updated_since is None or not dataset.deleted_models:
        return
    key_index = dataset.column_names.index(dataset.key)
    width = len(dataset.columns)
    tombstones = (
        Tombstone.objects.for_company(request.company)
        .filter(model__in=dataset.deleted_models, deleted_at__gte=request.updated_since)
        .order_by("deleted_at", "id")
        .values_list("object_id", "deleted_at")
    )
    for object_id, deleted_at in tombstones.iterator(chunk_size=CHUNK_SIZE):
        row: list[Any] = [None] * width
        row[key_index] = object_id
        yield (*row, deleted_at)


# -- writers --------------------------------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    """A value as JSON/CSV carry it: money as a decimal string, dates ISO 8601, times in UTC."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Echo:
    """A file-like object whose write() returns what it was given: csv.writer then formats one row at a time."""

    def write(self, value: str) -> str:
        return value


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_KINDS = (INTEGER, DECIMAL, NUMBER)


def neutralise_formula(text: str) -> str:
    """User text that a spreadsheet would run as a formula gets OWASP's single-quote prefix; other text is as is.

    Only text columns go through here: numbers (negative amounts included) stay numbers.
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text_columns(columns: tuple[Column, ...]) -> list[int]:
    return [i for i, c in enumerate(columns) if c.kind not in NUMERIC_KINDS]


def csv_chunks(columns: tuple[Column, ...], rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow([c.name for c in columns])
    booleans = [i for i, c in enumerate(columns) if c.kind == BOOLEAN]
    texts = _text_columns(columns)
    for row in rows:
        values = [_text(v) for v in row]
        for i in texts:
            if isinstance(row[i], str):
                values[i] = neutralise_formula(values[i])
        for i in booleans:
            if values[i] is not None:
                values[i] = "true" if values[i] else "false"
        yield writer.writerow(["" if v is None else v for v in values])


def json_chunks(columns: tuple[Column, ...], rows: Iterable[tuple]) -> Iterator[str]:
    names = [c.name for c in columns]
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(dict(zip(names, (_text(v) for v in row), strict=True)), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def _cell(value: Any, text: bool) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write UTC wall time (the column says so in the schema).
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        # XML 1.0 cannot carry most control characters (openpyxl refuses them): they are dropped.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return neutralise_formula(value) if text else value
    return value


def xlsx_chunks(
    columns: tuple[Column, ...], rows: Iterable[tuple], title: str, chunk: int = 64 * 1024
) -> Iterator[bytes]:
    """A write-only workbook: openpyxl streams rows to a temporary file, which we then send in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.name for c in columns])
    texts = [c.kind not in NUMERIC_KINDS for c in columns]
    for row in rows:
        sheet.append([_cell(v, text) for v, text in zip(row, texts, strict=True)])
    with tempfile.TemporaryFile() as buffer:
        workbook.save(buffer)
        buffer.seek(0)
        while block := buffer.read(chunk):
            yield block


def export_stream(dataset: Dataset, request: ExportRequest, fmt: str) -> Iterator[str | bytes]:
    columns, rows = export_columns(dataset), export_rows(dataset, request)
    # Compute the first row now, so that a refusal (a missing FX rate, say) is a 400 before any byte is sent.
    first = next(rows, None)
    rows = itertools.chain([] if first is None else [first], rows)
    if fmt == "csv":
        return csv_chunks(columns, rows)
    if fmt == "xlsx":
        return xlsx_chunks(columns, rows, dataset.title)
    return json_chunks(columns, rows)


def export_filename(dataset: Dataset, company: Company, fmt: str) -> str:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return f"{company.slug}-{dataset.name}-{stamp}.{fmt}"


# -- tombstones: derived data kept fresh by signals -----------------------------------------------------------------

TOMBSTONED = (
    "channels_app.fundingchannel",
    "channels_app.ledgerentry",
    "contingency.cashflowline",
    "contingency.liquiditypool",
    "contingency.contingencyplan",
    "contingency.drillrun",
    "contingency.alert",
    "financeplanner.fxrate",
)


@receiver(post_delete, dispatch_uid="financeplanner.exports.tombstone")
def record_tombstone(sender, instance, **kwargs) -> None:
    label = sender._meta.label_lower
    if label in TOMBSTONED and getattr(instance, "company_id", None):
        Tombstone.objects.create(company_id=instance.company_id, model=label, object_id=instance.pk)


@receiver(pre_delete, dispatch_uid="financeplanner.exports.touch_set_null")
def touch_rows_losing_a_reference(sender, instance, **kwargs) -> None:
    """SET_NULL rewrites the referring rows without touching updated_at; touch them so the change is pulled."""
    label = sender._meta.label_lower
    now = timezone.now()
    if label == "channels_app.fundingchannel":
        from contingency.models import LiquidityPool

        LiquidityPool.objects.filter(channel=instance).update(updated_at=now)
    elif label == "contingency.drillschedule":
        from contingency.models import DrillRun

        DrillRun.objects.filter(schedule=instance).update(updated_at=now)
