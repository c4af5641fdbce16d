"""The channels app's export datasets (channels, ledger, schedules, trigger watch), registered into the core's
`registry["exports"]` from `ChannelsAppConfig.ready()`."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import DateTimeField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from financeplanner.exports import (
    BOOLEAN,
    CHUNK_SIZE,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    STRING,
    Column,
    Dataset,
    ExportRequest,
    register_export,
    since,
)
from financeplanner.models import Company

from .filtersets import CounterpartyFilterSet, FundingChannelFilterSet, LedgerEntryFilterSet
from .models import Counterparty, FundingChannel, LedgerEntry
from .selectors import channel_schedule


def channels_with_change_time(company: Company) -> QuerySet:
    """Channels with `changed_at`: a draw or repayment changes `drawn` without touching the channel's updated_at."""
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
    Column("archived_at", DATETIME, "Set when archived: kept for its history, no headroom (0) until restored."),
)


def channel_rows(request: ExportRequest) -> Iterator[tuple]:
    queryset = since(channels_with_change_time(request.company), request, "changed_at")
    for channel in queryset.select_related("counterparty").order_by("id").iterator(chunk_size=CHUNK_SIZE):
        yield (
            channel.pk, channel.name, channel.counterparty_id, channel.counterparty.name, channel.channel_type,
            channel.currency, channel.limit, channel.drawn, channel.headroom, channel.committed, channel.status,
            channel.annual_rate, channel.day_count, channel.start_date, channel.maturity_date,
            channel.repayment_profile, channel.payment_frequency, channel.rolls_over, channel.notice_days,
            channel.excess_due, channel.excess_due_date, channel.changed_at, channel.archived_at,
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
    Column("reverses", INTEGER, "Set on a reversal: the id of the entry it cancels (a draw by a repay, a repay by a "
                                "draw, interest or a fee by its own kind)."),
)  # fmt: skip


def ledger_rows(request: ExportRequest) -> Iterator[tuple]:
    queryset = since(LedgerEntry.objects.for_company(request.company), request)
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
            "reverses_id",
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
    queryset = since(channels_with_change_time(request.company), request, "changed_at").filter(drawn__gt=0)
    rows = []
    for channel in queryset.order_by("id"):
        for row in channel_schedule(channel=channel, as_of=request.as_of):
            rows.append(
                (channel.pk, channel.name, channel.currency, row.date, row.interest, row.principal, row.payment,
                 row.balance, channel.changed_at)
            )  # fmt: skip
    rows.sort(key=lambda r: (r[3], r[0]))
    yield from rows


COUNTERPARTY_COLUMNS = (
    Column("id", INTEGER, "Counterparty id (the key)."),
    Column("name", STRING),
    Column("kind", STRING, "bank, platform, scf_provider, bond_investors, shareholder, lessor, other."),
    Column("country", STRING, "ISO 3166 alpha-2."),
    Column("archived_at", DATETIME, "Set when archived."),
    Column("updated_at", DATETIME),
)


def counterparty_rows(request: ExportRequest) -> Iterator[tuple]:
    yield from (
        since(Counterparty.objects.for_company(request.company), request)
        .order_by("id")
        .values_list(*[c.name for c in COUNTERPARTY_COLUMNS])
        .iterator(chunk_size=CHUNK_SIZE)
    )


TRIGGER_WATCH_COLUMNS = (
    Column("trigger", INTEGER, "Lender trigger id (the key)."),
    Column("channel", INTEGER, "Funding channel id."),
    Column("channel_name", STRING),
    Column("channel_status", STRING),
    Column("kind", STRING, "own_rating_below, utilisation_above, utilisation_below, any_overdue, "
                           "borrowing_frequency, inflow_drop."),
    Column("action", STRING, "close, freeze, reduce, call."),
    Column("scale", STRING, "master or domestic (rating triggers)."),
    Column("threshold", STRING, "A rating on the trigger's scale, a level 0–1, a number of draws, or grace days."),
    Column("current", STRING, "Where the company stands in the same terms; empty when it cannot be measured."),
    Column("distance", DECIMAL, "How far from firing, in `unit`; 0 when it fires now."),
    Column("unit", STRING, "notches, pp (percentage points), draws, days, share."),
    Column("fires_now", BOOLEAN),
    Column("note", STRING),
)  # fmt: skip


def trigger_watch_rows(request: ExportRequest) -> Iterator[tuple]:
    from .watch import trigger_watch

    for row in trigger_watch(company=request.company):
        yield (
            row.trigger, row.channel, row.channel_name, row.channel_status, row.kind, row.action, row.scale,
            row.threshold, row.current, row.distance, row.unit, row.fires_now, row.note,
        )  # fmt: skip


TRIGGER_WATCH = Dataset(
    "trigger-watch",
    "Trigger watch",
    "trigger",
    TRIGGER_WATCH_COLUMNS,
    trigger_watch_rows,
    snapshot=True,
    description="How close every lender trigger of the open and frozen lines is to firing, closest first (as "
    "`GET /api/v1/trigger-watch/`). A snapshot, always whole: the watch moves with the calendar (draw windows, "
    "days beyond a level) as well as with the data.",
    weight=100,
)


def register() -> None:
    register_export(
        Dataset(
            "channels",
            "Funding channels",
            "id",
            CHANNEL_COLUMNS,
            channel_rows,
            ("channels_app.fundingchannel",),
            weight=10,
            filterset=FundingChannelFilterSet,
        ),
        Dataset(
            "ledger",
            "Ledger",
            "id",
            LEDGER_COLUMNS,
            ledger_rows,
            ("channels_app.ledgerentry",),
            weight=20,
            filterset=LedgerEntryFilterSet,
        ),
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
            weight=30,
        ),  # fmt: skip
        TRIGGER_WATCH,
        Dataset(
            "counterparties",
            "Counterparties",
            "id",
            COUNTERPARTY_COLUMNS,
            counterparty_rows,
            ("channels_app.counterparty",),
            weight=110,
            filterset=CounterpartyFilterSet,
        ),
    )
