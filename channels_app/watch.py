"""Trigger watch: how close every lender's risk-control trigger is to firing, in the trigger's own unit.

One row per trigger of every line that is open or frozen (a closed or matured line has nothing left for a lender to
cut), closest first. The distance is what has to happen before the trigger fires:

| kind | threshold | current | distance (unit) | fires now |
|---|---|---|---|---|
| `own_rating_below` | the trigger's rating, on its scale | our rating on that scale | notches of downgrade that fire it (`notches`): from A+ a trigger "below A" needs two (A+ → A → A-) | our rating is already below it |
| `utilisation_above` | level (0–1) | drawn / limit | level − current, in percentage points (`pp`), 0 at or above it | above the level for `days` consecutive days |
| `utilisation_below` | level (0–1) | drawn / limit | current − level (`pp`), 0 at or below it | below the level for `days` consecutive days |
| `borrowing_frequency` | count | draws in the last `window_days` days (today included) | count − draws (`draws`) | draws ≥ count |
| `any_overdue` | grace days | days overdue: 0 | grace_days + 1 (`days`): a missed payment must last longer than the grace | never: no overdue is recorded |
| `inflow_drop` | level (0–1) | none | none (`share`) | never: actual inflows are not recorded, only the forecast |

Ratings compare on the master scale: a domestic-scale trigger's rating maps to the master scale with the company's
`domestic_notch_offset` (`ratings.master_rank`), and our rating (recorded on the master scale) is shown on the
trigger's scale. A downgrade stops at C (DESIGN: it is not a default), so a trigger only a default would fire has no
distance. Utilisation triggers do not count on a line that is not open (a frozen line takes no draws): no current,
no distance. Consecutive days of utilisation are read back from the ledger (what was drawn at the end of each day)
against the current limit. Our rating is the latest own assessment dated on or before `today` (D5).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_noop

from financeplanner.caching import cached_for_company
from financeplanner.models import Company
from financeplanner.translatable import Message, term

from . import ratings
from .choices import OPEN_STATUSES, ChannelStatus, LedgerKind, LenderAction, RatingScale, TriggerKind
from .models import CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger
from .selectors import latest_assessment

WATCHED_STATUSES = (*OPEN_STATUSES, ChannelStatus.FROZEN)
NOTCHES, PERCENTAGE_POINTS, DRAWS, DAYS, SHARE = "notches", "pp", "draws", "days", "share"
SHARE_PLACES = Decimal("0.0001")
PP_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class WatchRow:
    """One trigger of one line: its threshold, where the company stands, and how far it is from firing."""

    channel: int
    channel_name: str
    channel_status: str
    trigger: int
    kind: str
    action: str
    scale: str
    threshold: str | None
    current: str | None
    distance: Decimal | None
    unit: str
    fires_now: bool
    note_text: Message | None = None  # what the row adds, in the reader's language when shown (rows are cached)

    @property
    def note(self) -> str:
        """The note in English (the export's column)."""
        return self.note_text.english() if self.note_text else ""

    @property
    def display_note(self) -> str:
        return self.note_text.rendered() if self.note_text else ""

    @property
    def whole_distance(self) -> int | None:
        """The distance as a whole number, for the units that count (notches, draws, days)."""
        return None if self.distance is None else int(self.distance)

    @property
    def kind_label(self) -> str:
        return str(TriggerKind(self.kind).label)

    @property
    def action_label(self) -> str:
        return str(LenderAction(self.action).label)

    def as_dict(self) -> dict:
        row = asdict(self)  # the fields only (the labels are for pages)
        del row["note_text"]
        row["note"] = self.note
        row["distance"] = None if self.distance is None else format(self.distance, "f")
        return row


def rating_distance(own: str, threshold: str, scale: str, domestic_offset: int) -> int | None:
    """Notches of downgrade of `own` (master scale) that fire a trigger 'below `threshold`' read on `scale`.

    0 when it fires now; None when no downgrade can fire it (the trigger sits at C or below: only a default would)."""
    limit = ratings.master_rank(threshold, scale, domestic_offset)
    rank = ratings.rank_of(own)
    if rank > limit:
        return 0
    needed = limit + 1 - rank
    if limit + 1 > ratings.rank_of(ratings.WORST_BEFORE_DEFAULT):
        return None
    return needed


def _share(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(SHARE_PLACES), "f")


def _pp(value: Decimal) -> Decimal:
    return (value * 100).quantize(PP_PLACES)


class _Ledger:
    """Draws and repayments per channel, newest first, read once for every trigger."""

    def __init__(self, company: Company, since: date):
        self.moves: dict[int, list[tuple[date, str, Decimal]]] = defaultdict(list)
        # Draws the lender saw: a draw that was reversed never happened, and a reversal is no draw.
        self.draw_days: dict[int, list[date]] = defaultdict(list)
        entries = (
            LedgerEntry.objects.for_company(company)
            .filter(kind__in=(LedgerKind.DRAW, LedgerKind.REPAY), date__gte=since)
            .order_by("-date", "-id")
            .values_list("channel_id", "date", "kind", "amount", "reverses_id", "reversal__id")
        )
        for channel_id, day, kind, amount, reverses, reversed_by in entries:
            self.moves[channel_id].append((day, kind, amount))
            if kind == LedgerKind.DRAW and reverses is None and reversed_by is None:
                self.draw_days[channel_id].append(day)

    def draws_within(self, channel_id: int, today: date, window_days: int) -> int:
        first = today - timedelta(days=window_days - 1)
        return sum(1 for day in self.draw_days[channel_id] if first <= day <= today)

    def consecutive_days(self, channel: FundingChannel, today: date, beyond, wanted: int) -> int:
        """Days up to `today` (included), counted back, whose end-of-day utilisation was `beyond` the level (at most
        `wanted`); the balance is rebuilt from the ledger against the current limit."""
        drawn = channel.drawn
        moves = self.moves[channel.pk]
        index = 0
        # Entries dated after today are in `drawn` already: take them out first.
        while index < len(moves) and moves[index][0] > today:
            drawn = _undo(drawn, moves[index])
            index += 1
        count, day = 0, today
        while count < wanted and day >= channel.start_date:
            if not beyond(drawn / channel.limit):
                break
            count += 1
            while index < len(moves) and moves[index][0] == day:
                drawn = _undo(drawn, moves[index])
                index += 1
            day -= timedelta(days=1)
        return count


def _undo(drawn: Decimal, move: tuple[date, str, Decimal]) -> Decimal:
    _, kind, amount = move
    return drawn - amount if kind == LedgerKind.DRAW else drawn + amount


def trigger_watch(*, company: Company, today: date | None = None) -> list[WatchRow]:
    """Every trigger of the company's open and frozen lines, closest to firing first (module docstring).

    Cached per company and day until the company's data changes (financeplanner.caching)."""
    today = today or timezone.localdate()
    key = f"trigger-watch:{today.isoformat()}:{company.domestic_notch_offset}"
    return cached_for_company(company, key, lambda: _trigger_watch(company, today))


def _trigger_watch(company: Company, today: date) -> list[WatchRow]:
    triggers = list(
        LenderTrigger.objects.for_company(company)
        .filter(channel__status__in=WATCHED_STATUSES)
        .select_related("channel")
        .order_by("channel__name", "id")
    )
    if not triggers:
        return []
    longest = max([1, *(t.days or 1 for t in triggers), *(t.window_days or 1 for t in triggers)])
    ledger = _Ledger(company, today - timedelta(days=longest))
    own = latest_assessment(company, as_of=today)  # our own rating as known today
    offset = company.domestic_notch_offset
    rows = [_row(trigger, today=today, own=own, offset=offset, ledger=ledger) for trigger in triggers]
    return sorted(rows, key=lambda r: (not r.fires_now, r.distance is None, r.distance or 0, r.channel_name, r.trigger))


UNITS = {
    TriggerKind.OWN_RATING_BELOW: NOTCHES,
    TriggerKind.UTILISATION_ABOVE: PERCENTAGE_POINTS,
    TriggerKind.UTILISATION_BELOW: PERCENTAGE_POINTS,
    TriggerKind.BORROWING_FREQUENCY: DRAWS,
    TriggerKind.ANY_OVERDUE: DAYS,
    TriggerKind.INFLOW_DROP: SHARE,
}
NEEDED = {
    TriggerKind.OWN_RATING_BELOW: ("rating",),
    TriggerKind.UTILISATION_ABOVE: ("level",),
    TriggerKind.UTILISATION_BELOW: ("level",),
    TriggerKind.BORROWING_FREQUENCY: ("count", "window_days"),
    TriggerKind.INFLOW_DROP: ("level",),
}


def _missing_parameter(trigger: LenderTrigger) -> str:
    return next((name for name in NEEDED.get(trigger.kind, ()) if getattr(trigger, name) in (None, "")), "")


def _row(
    trigger: LenderTrigger, *, today: date, own: CreditAssessment | None, offset: int, ledger: _Ledger
) -> WatchRow:
    channel = trigger.channel
    base = {
        "channel": channel.pk,
        "channel_name": channel.name,
        "channel_status": channel.status,
        "trigger": trigger.pk,
        "kind": trigger.kind,
        "action": trigger.action,
        "scale": trigger.scale if trigger.kind == TriggerKind.OWN_RATING_BELOW else "",
    }
    kind = trigger.kind
    missing = _missing_parameter(trigger)
    if missing:  # recorded before the app asked for every parameter: nothing to measure against
        return WatchRow(**base, threshold=None, current=None, distance=None, unit=UNITS[kind], fires_now=False,
                        note_text=Message(gettext_noop("The trigger has no %(missing)s recorded."),
                                          {"missing": term(LenderTrigger._meta.get_field(missing).verbose_name, lower=True)}))  # fmt: skip
    if kind == TriggerKind.OWN_RATING_BELOW:
        if own is None:
            return WatchRow(**base, threshold=trigger.rating, current=None, distance=None, unit=NOTCHES,
                            fires_now=False, note_text=Message(gettext_noop("No own credit assessment recorded.")))  # fmt: skip
        current = own.rating
        if trigger.scale == RatingScale.DOMESTIC:
            current = ratings.domestic_grade(own.rating, offset)
        notches = rating_distance(own.rating, trigger.rating, trigger.scale, offset)
        note = (
            None
            if notches is not None
            else Message(gettext_noop("A downgrade stops at C: only a default fires this trigger."))
        )
        return WatchRow(**base, threshold=trigger.rating, current=current,
                        distance=None if notches is None else Decimal(notches), unit=NOTCHES,
                        fires_now=notches == 0, note_text=note)  # fmt: skip
    if kind in (TriggerKind.UTILISATION_ABOVE, TriggerKind.UTILISATION_BELOW):
        threshold = _share(trigger.level)
        if not channel.is_open or channel.limit <= 0:
            why = Message(gettext_noop("The line is not open: utilisation does not count.") if not channel.is_open
                          else gettext_noop("The limit is 0."))  # fmt: skip
            return WatchRow(**base, threshold=threshold, current=None, distance=None, unit=PERCENTAGE_POINTS,
                            fires_now=False, note_text=why)  # fmt: skip
        utilisation = channel.drawn / channel.limit
        level = trigger.level
        if kind == TriggerKind.UTILISATION_ABOVE:
            gap, beyond = level - utilisation, (lambda u: u > level)
        else:
            gap, beyond = utilisation - level, (lambda u: u < level)
        wanted = trigger.days or 1
        days = ledger.consecutive_days(channel, today, beyond, wanted) if beyond(utilisation) else 0
        note = (
            Message(gettext_noop("%(days)s of %(wanted)s consecutive day(s) beyond the level."),
                    {"days": days, "wanted": wanted})
            if days else None
        )  # fmt: skip
        return WatchRow(**base, threshold=threshold, current=_share(utilisation), distance=_pp(max(gap, Decimal(0))),
                        unit=PERCENTAGE_POINTS, fires_now=days >= wanted, note_text=note)  # fmt: skip
    if kind == TriggerKind.BORROWING_FREQUENCY:
        draws = ledger.draws_within(channel.pk, today, trigger.window_days)
        return WatchRow(**base, threshold=str(trigger.count), current=str(draws),
                        distance=Decimal(max(trigger.count - draws, 0)), unit=DRAWS, fires_now=draws >= trigger.count,
                        note_text=Message(gettext_noop("Draws in the last %(days)s day(s)."),
                                          {"days": trigger.window_days}))  # fmt: skip
    if kind == TriggerKind.ANY_OVERDUE:
        grace = trigger.grace_days or 0
        return WatchRow(**base, threshold=str(grace), current="0", distance=Decimal(grace + 1), unit=DAYS,
                        fires_now=False, note_text=Message(gettext_noop("No overdue payment is recorded.")))  # fmt: skip
    # inflow_drop
    return WatchRow(**base, threshold=_share(trigger.level), current=None, distance=None, unit=SHARE, fires_now=False,
                    note_text=Message(gettext_noop("Actual inflows are not recorded (only the forecast): the drop "
                                                   "cannot be measured.")))  # fmt: skip


def closest_by_channel(rows: list[WatchRow]) -> dict[int, WatchRow]:
    """The closest trigger of each line (rows come closest first)."""
    closest: dict[int, WatchRow] = {}
    for row in rows:
        closest.setdefault(row.channel, row)
    return closest
