"""Reads on channels that are more than a filter: schedules of what is drawn, totals for dashboards, and the one
rule of which credit assessment is the current one."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from financeplanner.currencies import Unconverted
from financeplanner.fx import fx_rates  # the one rule of which rate a day uses; read here by the drill and pages
from financeplanner.models import Company

from . import schedules
from .choices import ChannelStatus
from .models import CreditAssessment, FundingChannel

CENT = Decimal("0.01")


# -- the current credit assessment -------------------------------------------------------------------------------
# DESIGN.md: "The latest assessment is the current one; history is kept." Latest means the latest `as_of`; of two
# dated the same day, the one recorded last (the higher id). As of a day: only what was dated on or before it (a
# drill's day 0, the trigger watch's today). Every page, drill, warning and the dashboard read it here.

LATEST_FIRST = ("-as_of", "-id")


def assessments_latest_first(company: Company, *, as_of: date | None = None) -> QuerySet[CreditAssessment]:
    """The company's assessments (its lenders' and its own), the current one of each subject first."""
    queryset = CreditAssessment.objects.for_company(company)
    if as_of is not None:
        queryset = queryset.filter(as_of__lte=as_of)
    return queryset.order_by(*LATEST_FIRST)


def latest_assessment(company: Company, counterparty=None, *, as_of: date | None = None) -> CreditAssessment | None:
    """The current assessment of one counterparty — with `counterparty` None, of the company itself."""
    queryset = assessments_latest_first(company, as_of=as_of)
    if counterparty is None:
        return queryset.filter(counterparty__isnull=True).first()
    return queryset.filter(counterparty=counterparty).first()


def latest_assessments(
    company: Company,
    *,
    as_of: date | None = None,
    per_subject: int = 1,
    order_by: tuple[str, ...] = ("counterparty_id", "position"),
) -> list[CreditAssessment]:
    """The current assessment of each subject (each counterparty, and the company itself under counterparty None),
    or with `per_subject=2` the current one and the one before it (`position` 1 and 2). One query."""
    position = Window(RowNumber(), partition_by=[F("counterparty_id")], order_by=[F("as_of").desc(), F("id").desc()])
    return list(
        assessments_latest_first(company, as_of=as_of)
        .annotate(position=position)
        .filter(position__lte=per_subject)
        .select_related("counterparty")
        .order_by(*order_by)
    )


def latest_pd_by_counterparty(company: Company, *, as_of: date | None = None) -> dict[int, Decimal]:
    """Each lender's one-year PD from its current assessment (as of `as_of`)."""
    return {a.counterparty_id: a.pd_1y for a in latest_assessments(company, as_of=as_of) if a.counterparty_id}


def latest_assessment_of_row(field: str) -> Subquery:
    """For annotating counterparties: `field` of each one's current assessment (the list of counterparties)."""
    latest = CreditAssessment.objects.filter(counterparty=OuterRef("pk")).order_by(*LATEST_FIRST)
    return Subquery(latest.values(field)[:1])


# A revolving line is repaid at maturity unless it rolls over: for the schedule it is a bullet.
PROFILE_FOR_SCHEDULE = {"bullet": "bullet", "linear": "linear", "annuity": "annuity", "revolving": "bullet"}


def channel_schedule(*, channel: FundingChannel, as_of: date | str | None = None) -> list[schedules.ScheduleRow]:
    """The interest and repayment schedule of what is drawn now, on the loan's own grid (start date plus whole
    periods), from `as_of` (default today) to maturity: the same dates whatever day it is read."""
    if isinstance(as_of, str):
        try:
            parsed = parse_date(as_of)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError({"as_of": f"Not a date (YYYY-MM-DD): {as_of!r}."})
        as_of = parsed
    as_of = as_of or timezone.localdate()
    return schedules.outstanding_schedule(
        principal=channel.drawn,
        annual_rate=channel.annual_rate,
        start_date=channel.start_date,
        maturity_date=channel.maturity_date,
        frequency=channel.payment_frequency,
        profile=PROFILE_FOR_SCHEDULE[channel.repayment_profile],
        day_count=channel.day_count,
        as_of=as_of,
    )


# -- funding in the reporting currency: totals, concentration, maturity ladder ----------------------------------

PLATFORM_TYPES = ("small_loan_platform",)
# Labelled in the reader's language (lazy): the dashboard's maturity ladder shows them as they are.
MATURITY_BUCKETS = (
    (30, gettext_lazy("≤ 30 days")),
    (90, gettext_lazy("31–90 days")),
    (180, gettext_lazy("91–180 days")),
    (365, gettext_lazy("181–365 days")),
)
LATER_BUCKET = gettext_lazy("> 365 days")
# Lines with a limit the company still has (frozen ones get it back when the freeze ends); a closed or matured line
# keeps no limit, though what is drawn on it still runs off.
LIVE_STATUSES = ("active", "reduced", "frozen")


def to_reporting(amount: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal:
    if currency not in rates:
        raise ValidationError({"currency": missing_rate_message(currency, None)})
    return (amount * rates[currency]).quantize(CENT, rounding=ROUND_HALF_UP)


def missing_rate_message(currency: str, as_of: date | None) -> str:
    """What a page or the API says about a currency without a rate (the FX rates page is where to add one)."""
    if as_of is None:
        return _("No FX rate from %(currency)s to the reporting currency: add one on the FX rates page.") % {
            "currency": currency
        }
    return _(
        "No FX rate from %(currency)s to the reporting currency known on %(day)s: add one on the FX rates page."
    ) % {"currency": currency, "day": as_of.isoformat()}


def convertible(
    lines: Iterable[Any], rates: dict[str, Decimal], unconverted: list[Unconverted] | None, kind: str
) -> Iterator[Any]:
    """The lines whose currency has a rate; the others are noted in `unconverted` (None: refuse them, naming the
    first currency without a rate)."""
    for line in lines:
        if line.currency in rates:
            yield line
        elif unconverted is None:
            raise ValidationError({"currency": missing_rate_message(line.currency, None)})
        else:
            unconverted.append(Unconverted(kind=kind, pk=line.pk, name=str(line.name), currency=line.currency))


def funding_frame(
    company: Company, as_of: date | None = None, *, unconverted: list[Unconverted] | None = None
) -> pd.DataFrame:
    """One row per channel with limit, drawn and headroom in the reporting currency (Decimal columns).

    Rates are the latest on or before `as_of` (None: the latest of all). With `unconverted` (a list), a channel
    whose currency has no rate is left out and noted there, so a total can say what it excludes; without it such a
    channel is refused (ValidationError naming the currency)."""
    rates = fx_rates(company, as_of)
    rows = []
    channels = FundingChannel.objects.for_company(company).select_related("counterparty")
    for channel in convertible(channels, rates, unconverted, "fundingchannel"):
        rows.append(
            {
                "id": channel.pk,
                "name": channel.name,
                "lender": channel.counterparty.name,
                "channel_type": channel.channel_type,
                # An archived line counts as closed, as it does in drills: no limit, no headroom; its drawn runs off.
                "status": ChannelStatus.CLOSED if channel.archived_at is not None else channel.status,
                "maturity_date": channel.maturity_date,
                "limit": to_reporting(channel.limit, channel.currency, rates),
                "drawn": to_reporting(channel.drawn, channel.currency, rates),
                "headroom": to_reporting(channel.headroom, channel.currency, rates),
            }
        )
    columns = ["id", "name", "lender", "channel_type", "status", "maturity_date", "limit", "drawn", "headroom"]
    return pd.DataFrame(rows, columns=columns)


def hhi(amounts: list[Decimal]) -> Decimal:
    """Herfindahl–Hirschman index of shares (0–10,000); 0 when there is nothing."""
    total = sum(amounts, Decimal("0"))
    if total <= 0:
        return Decimal("0")
    return sum(((a / total * 100) ** 2 for a in amounts), Decimal("0")).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class FundingSummary:
    total_limit: Decimal
    total_drawn: Decimal
    total_headroom: Decimal
    by_type: list[dict]
    by_lender: list[dict]
    hhi_by_lender: Decimal
    hhi_by_type: Decimal
    hhi_by_maturity: Decimal  # of what is drawn, by the maturity bucket of its line (MATURITY_BUCKETS)
    platform_share: Decimal  # share of drawn funding from online platforms, 0–1


def funding_summary(
    company: Company, as_of: date | None = None, *, frame: pd.DataFrame | None = None
) -> FundingSummary:
    """Totals and concentration of what is drawn, by channel type, by lender and by maturity bucket (DESIGN.md: HHI,
    platform share)."""
    frame = funding_frame(company) if frame is None else frame
    zero = Decimal("0")
    if frame.empty:
        return FundingSummary(zero, zero, zero, [], [], zero, zero, zero, zero)
    # Total and per-row limits are those the company still has: a closed or matured line's limit is gone.
    frame = frame.assign(
        limit=[lim if st in LIVE_STATUSES else zero for lim, st in zip(frame["limit"], frame["status"], strict=True)]
    )

    def grouped(key: str) -> list[dict]:
        sums = frame.groupby(key)[["limit", "drawn", "headroom"]].agg(lambda s: sum(s, zero))
        return [{key: name, **row} for name, row in sums.sort_values("drawn", ascending=False).iterrows()]

    by_type, by_lender = grouped("channel_type"), grouped("lender")
    total_drawn = sum(frame["drawn"], zero)
    platform_drawn = sum(frame.loc[frame["channel_type"].isin(PLATFORM_TYPES), "drawn"], zero)
    return FundingSummary(
        total_limit=sum(frame["limit"], zero),
        total_drawn=total_drawn,
        total_headroom=sum(frame["headroom"], zero),
        by_type=by_type,
        by_lender=by_lender,
        hhi_by_lender=hhi([row["drawn"] for row in by_lender]),
        hhi_by_type=hhi([row["drawn"] for row in by_type]),
        hhi_by_maturity=hhi([row["drawn"] for row in maturity_ladder(company, as_of, frame=frame, principal=False)]),
        platform_share=(platform_drawn / total_drawn) if total_drawn else zero,  # rounded once, where it is shown
    )


def maturity_ladder(
    company: Company, as_of: date | None = None, *, frame: pd.DataFrame | None = None, principal: bool = True
) -> list[dict]:
    """By how soon it falls due, in the reporting currency, per bucket (MATURITY_BUCKETS, then beyond a year):

    - `principal_due`: principal repaid in the bucket on the channels' own repayment schedules (`channel_schedule`,
      the schedule the channel page and the drills use: linear and annuity instalments, bullets at maturity), what a
      lender demanded (a reduction's excess, a call) on its recorded date, and what is past its maturity at once;
      never more than what is drawn;
    - `limits_expiring`: the limits of the lines that mature in the bucket, closed and matured lines left out;
    - `drawn`: what is drawn on the lines that mature in the bucket (the maturity HHI).

    `principal=False` leaves `principal_due` at 0 and reads no schedules (the HHI needs only `drawn`).
    """
    as_of = as_of or timezone.localdate()
    frame = funding_frame(company) if frame is None else frame
    zero = Decimal("0")
    buckets: list[dict] = [
        {"bucket": label, "max_days": days, "drawn": zero, "principal_due": zero, "limits_expiring": zero}
        for days, label in MATURITY_BUCKETS
    ]
    later = {"bucket": LATER_BUCKET, "max_days": None, "drawn": zero, "principal_due": zero, "limits_expiring": zero}

    def bucket_of(days: int) -> dict:
        return next((b for b, (limit, _label) in zip(buckets, MATURITY_BUCKETS, strict=True) if days <= limit), later)

    for maturity, drawn, limit, status in zip(
        frame.get("maturity_date", []), frame.get("drawn", []), frame.get("limit", []), frame.get("status", []),
        strict=True,
    ):  # fmt: skip
        target = bucket_of((maturity - as_of).days)
        target["drawn"] += drawn
        if status in LIVE_STATUSES:
            target["limits_expiring"] += limit
    if principal:
        for days, amount in principal_falling_due(company, as_of, channel_ids=set(frame.get("id", []))):
            bucket_of(days)["principal_due"] += amount
    return [*buckets, later]


def principal_falling_due(company: Company, as_of: date, *, channel_ids: set[int]) -> list[tuple[int, Decimal]]:
    """(days from `as_of`, principal in the reporting currency) for what is drawn on the given channels: the
    schedule's repayments, a lender's demand on its date, and what is past maturity at once (day 0). A channel's
    amounts add up to at most what is drawn (the schedule amortises the whole balance, a demand included)."""
    rates = fx_rates(company, as_of)
    due: list[tuple[int, Decimal]] = []
    for channel in FundingChannel.objects.for_company(company).filter(drawn__gt=0, pk__in=channel_ids):
        dated = [(row.date, row.principal) for row in channel_schedule(channel=channel, as_of=as_of)]
        if channel.excess_due and channel.excess_due_date:
            dated.append((max(channel.excess_due_date, as_of), channel.excess_due))
        if channel.maturity_date < as_of:
            dated.append((as_of, channel.drawn))  # overdue: the schedule has nothing left to date it
        left = channel.drawn
        for day, amount in sorted(dated):
            paid = min(amount, left)
            if paid > 0:
                due.append(((day - as_of).days, to_reporting(paid, channel.currency, rates)))
                left -= paid
    return due
