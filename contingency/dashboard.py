"""The dashboard's reads: funding, liquidity, the latest drills, open alerts and falling ratings of one company.

A selector module (STYLE.md): a fixed number of queries however many channels, pools, drills or assessments the
company has, so the page stays fast as the data grows. Amounts are in the company's reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import get_language

from channels_app import ratings
from channels_app.choices import OPEN_STATUSES, ChannelStatus, ChannelType
from channels_app.models import Counterparty, CreditAssessment
from channels_app.selectors import (
    FundingSummary,
    convertible,
    funding_frame,
    funding_summary,
    fx_rates,
    latest_assessments,
    maturity_ladder,
    to_reporting,
)
from channels_app.watch import WatchRow, trigger_watch
from financeplanner.archive import in_use
from financeplanner.caching import cached_for_company
from financeplanner.currencies import Unconverted, missing_currencies
from financeplanner.models import Company

from .choices import DrillStatus, PoolKind
from .fx import unconverted_lines
from .models import Alert, DrillRun, LiquidityPool
from .report import DrillReport, report_of

if TYPE_CHECKING:
    import pandas as pd

ZERO = Decimal("0.00")
OPEN_ALERTS_SHOWN = 10
CLOSEST_TRIGGERS_SHOWN = 5


@dataclass(frozen=True)
class Liquidity:
    """Backup liquidity after haircut: cash counts at once; the other pools only when a plan liquidates them."""

    cash: Decimal
    other_pools: Decimal  # non-cash pools, backup lines left out
    pools: int
    # Pools that stand for a committed backup line (a pool linked to its funding channel): the line's undrawn limit
    # is counted once, in headroom, so these pools are not added to `other_pools` (and a shut line's pool is gone).
    backup_lines: Decimal = ZERO


@dataclass(frozen=True)
class Headroom:
    """Undrawn limits, each counted once: `available` on open lines (active, reduced: may be drawn today), committed
    backup lines included (`backup_lines` of it); `frozen` on frozen lines (back when the freeze ends, not available
    now). Closed and matured lines have none; `shut_lines` counts them (left out of total limits)."""

    available: Decimal
    frozen: Decimal
    backup_lines: Decimal
    frozen_lines: int
    shut_lines: int


@dataclass(frozen=True)
class DrillOutcome:
    """The latest succeeded drill of one scenario and its typed results (``contingency.report``).

    The runway shown is the report's headline: one path's runway, or for Monte Carlo the quantile at the policy's
    confidence (``runway_days.at_target``) — the same figure as on the drill report.
    """

    run: DrillRun
    report: DrillReport


@dataclass(frozen=True)
class RatingChange:
    """A counterparty (or, with `counterparty` None, our own company) whose latest assessment is worse than before."""

    counterparty: Counterparty | None
    previous: CreditAssessment
    current: CreditAssessment

    @property
    def notches(self) -> int:
        return ratings.rank_of(self.current.rating) - ratings.rank_of(self.previous.rating)


@dataclass
class Dashboard:
    company: Company
    funding: FundingSummary | None
    ladder: list[dict] = field(default_factory=list)
    liquidity: Liquidity | None = None
    drills: list[DrillOutcome] = field(default_factory=list)
    open_alerts: list[Alert] = field(default_factory=list)
    open_alert_count: int = 0
    downgrades: list[RatingChange] = field(default_factory=list)
    closest_triggers: list[WatchRow] = field(default_factory=list)
    unconverted: list[Unconverted] = field(default_factory=list)  # lines the totals leave out: no FX rate today
    headroom: Headroom | None = None
    computed_at: datetime | None = None  # when these figures were computed (the page's "as of")

    @property
    def missing_currencies(self) -> list[str]:
        return missing_currencies(self.unconverted)


def dashboard_for(company: Company, *, as_of: date | None = None) -> Dashboard:
    """The company's dashboard as of `as_of` (default today), cached per company, day and language until the
    company's data changes (financeplanner.caching)."""
    day = as_of or timezone.localdate()
    key = f"dashboard:{day.isoformat()}:{get_language()}"  # labels and alert texts in the reader's language
    board = cached_for_company(company, key, lambda: _dashboard(company, day))
    board.company = company  # the caller's, as it stands now
    return board


def _dashboard(company: Company, as_of: date) -> Dashboard:
    # A line in a currency without a rate known today is left out of every total, and the page says which.
    unconverted = unconverted_lines(company, as_of)
    frame = funding_frame(company, as_of, unconverted=[])  # one frame for the totals and the ladder, as of one day
    funding: FundingSummary | None = funding_summary(company, as_of, frame=frame)
    ladder = maturity_ladder(company, as_of, frame=frame)
    if funding is not None:
        _add_shares(funding)
    liquidity: Liquidity | None = liquidity_for(company, as_of)
    headroom = headroom_for(company, frame)
    alerts = open_alerts(company)
    return Dashboard(
        company=company,
        funding=funding,
        ladder=ladder,
        liquidity=liquidity,
        drills=latest_drills(company),
        open_alerts=alerts[:OPEN_ALERTS_SHOWN],
        open_alert_count=len(alerts),
        downgrades=rating_downgrades(company),
        closest_triggers=trigger_watch(company=company)[:CLOSEST_TRIGGERS_SHOWN],
        unconverted=unconverted,
        headroom=headroom,
        computed_at=timezone.now(),
    )


def _add_shares(funding: FundingSummary) -> None:
    """Each row's share of what is drawn, and the channel type's name in the reader's language."""
    total = funding.total_drawn
    for row in funding.by_type:
        row["channel_type_label"] = ChannelType(row["channel_type"]).label
    for row in [*funding.by_type, *funding.by_lender]:
        row["share"] = (row["drawn"] / total) if total else ZERO


def liquidity_for(company: Company, as_of: date | None = None) -> Liquidity:
    """Pools after haircut at the rates known on `as_of`; a pool in a currency without one is left out."""
    rates = fx_rates(company, as_of)
    cash = other = ZERO
    # An archived pool is no liquidity, as in drills.
    pools = in_use(LiquidityPool.objects.for_company(company)).only(
        "name", "kind", "currency", "amount", "haircut", "channel_id"
    )
    count, backup_lines = 0, ZERO
    for pool in convertible(pools, rates, [], "liquiditypool"):
        count += 1
        value = to_reporting(pool.value_after_haircut, pool.currency, rates)
        if pool.kind == PoolKind.CASH:
            cash += value
        elif pool.channel_id is not None:
            backup_lines += value
        else:
            other += value
    return Liquidity(cash=cash, other_pools=other, pools=count, backup_lines=backup_lines)


def headroom_for(company: Company, frame: pd.DataFrame) -> Headroom:
    """Available and frozen headroom from the funding frame (reporting currency); the backup lines' share of the
    available headroom (the channels that a non-cash pool names)."""
    backup_ids = set(
        in_use(LiquidityPool.objects.for_company(company))
        .exclude(kind=PoolKind.CASH)
        .filter(channel__isnull=False)
        .values_list("channel_id", flat=True)
    )
    available = frozen = backup = ZERO
    frozen_lines = shut_lines = 0
    for row in frame.itertuples(index=False):
        if row.status in OPEN_STATUSES:
            available += row.headroom
            if row.id in backup_ids:
                backup += row.headroom
        elif row.status == ChannelStatus.FROZEN:
            frozen += max(row.limit - row.drawn, ZERO)
            frozen_lines += 1
        else:
            shut_lines += 1
    return Headroom(
        available=available, frozen=frozen, backup_lines=backup, frozen_lines=frozen_lines, shut_lines=shut_lines
    )


def latest_drills(company: Company) -> list[DrillOutcome]:
    """The latest succeeded run of every scenario (one query, on SQLite and PostgreSQL alike)."""
    succeeded = DrillRun.objects.filter(company=company, status=DrillStatus.SUCCEEDED)
    latest = succeeded.filter(scenario=OuterRef("scenario")).order_by("-finished_at", "-id").values("pk")[:1]
    runs = (
        succeeded.filter(pk=Subquery(latest))
        .select_related("scenario", "plan")
        .defer("snapshot")
        .order_by("scenario__name")
    )
    return [drill_outcome(run) for run in runs]


def drill_outcome(run: DrillRun) -> DrillOutcome:
    return DrillOutcome(run=run, report=report_of(run))


def open_alerts(company: Company) -> list[Alert]:
    severity_order = Case(
        When(severity="red", then=Value(0)),
        When(severity="amber", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        Alert.objects.for_company(company)
        .filter(resolved_at__isnull=True)
        .annotate(severity_order=severity_order)
        .order_by("severity_order", "-created_at", "-id")
    )


def rating_downgrades(company: Company) -> list[RatingChange]:
    """Subjects whose latest assessment sits lower on the master scale than the one before it (one query)."""
    latest_two = latest_assessments(
        company, per_subject=2, order_by=("counterparty__name", "counterparty_id", "position")
    )
    by_subject: dict[int | None, list[CreditAssessment]] = {}
    for assessment in latest_two:
        by_subject.setdefault(assessment.counterparty_id, []).append(assessment)
    changes = []
    for assessments in by_subject.values():
        if len(assessments) < 2:
            continue
        current, previous = assessments[0], assessments[1]
        try:
            worse = ratings.is_worse(current.rating, previous.rating)
        except ValueError:
            continue
        if worse:
            changes.append(RatingChange(counterparty=current.counterparty, previous=previous, current=current))
    # Our own downgrade first: the lenders' triggers watch it.
    changes.sort(key=lambda change: (change.counterparty is not None, -change.notches))
    return changes
