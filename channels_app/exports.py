"""The channels app's export datasets, registered into financeplanner.exports from `ChannelsAppConfig.ready()`."""

from __future__ import annotations

from collections.abc import Iterator

from financeplanner.exports import BOOLEAN, DECIMAL, INTEGER, STRING, Column, Dataset, ExportRequest

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
)
