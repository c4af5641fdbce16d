"""Inputs of a funding channel: the line itself (:class:`ChannelInput`) and its lenders' triggers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .checks import InputRecord, _array, _check_action_params, _choice, _finite, _opt_float, _opt_int
from .vocabulary import (
    CHANNEL_STATUSES,
    CHANNEL_TYPES,
    DAY_COUNT_BASIS,
    LENDER_ACTIONS,
    NON_REVOLVING_TYPES,
    TRIGGER_KINDS,
)


@dataclass(frozen=True)
class TriggerInput(InputRecord):
    """A lender's risk-control rule on one channel (DESIGN.md "Lender risk control"), checked in step 2 of each day.

    ``own_rating_below``: fires on the first day the company's own rating is worse than ``rating_rank`` (master
    scale; already worse on day 0: fires on day 0 — a breached clause lets the lender act at once); the rating moves
    by ``own_downgrade_notches`` on day 0, by company downgrade shocks, by Monte Carlo migration and by the spiral
    (an overdue sends it to C). ``utilisation_above`` / ``utilisation_below``: drawn above / below ``level`` x limit
    at the start of the day for ``days`` consecutive days (None: 1; below counts only while the line is open).
    ``any_overdue``: the company has had a shortfall (cash below 0 at the end of the day) on more than
    ``grace_days`` consecutive days up to the day before — the cross-default that spreads one missed payment.
    ``borrowing_frequency``: ``count`` or more days with a draw on the line within the last ``window_days`` days
    (days t - window_days .. t - 1, recorded draws before the drill and the drill's own draws included).
    ``inflow_drop``: operating inflows over the last ``days`` days (t - days .. t - 1) below ``level`` x their
    forecast (only operating noise moves inflows, so it fires on Monte Carlo paths only).
    A trigger fires at most once per path and only on a line that is not shut (closed, called or matured).
    ``action`` is what the lender then does, with ``reduce_by`` (share of the limit, 0-1) or ``freeze_days``.
    """

    kind: str
    action: str
    rating_rank: int | None = None
    level: float | None = None
    days: int | None = None
    reduce_by: float | None = None
    freeze_days: int | None = None
    count: int | None = None
    window_days: int | None = None
    grace_days: int | None = None

    def __post_init__(self) -> None:
        _choice(self.kind, TRIGGER_KINDS, "Trigger kind")
        _choice(self.action, LENDER_ACTIONS, "Trigger action")
        for name in ("rating_rank", "days", "freeze_days", "count", "window_days", "grace_days"):
            object.__setattr__(self, name, _opt_int(getattr(self, name)))
        object.__setattr__(self, "level", _opt_float(self.level))
        object.__setattr__(self, "reduce_by", _opt_float(self.reduce_by))
        if self.kind == "own_rating_below" and self.rating_rank is None:
            raise ValueError("An own-rating trigger needs the rating rank it watches.")
        if self.kind in ("utilisation_above", "utilisation_below", "inflow_drop"):
            if self.level is None:
                raise ValueError(f"A {self.kind} trigger needs its level (a share, e.g. 0.9).")
            _finite(self.level, "Trigger level", low=0.0)
        if self.days is not None and self.days < 1:
            raise ValueError("A trigger's number of days must be at least 1.")
        if self.kind == "inflow_drop" and self.days is None:
            raise ValueError("An inflow trigger needs the window of days its inflows are summed over.")
        if self.kind == "borrowing_frequency" and not (self.count and self.count >= 1 and self.window_days):
            raise ValueError("A borrowing-frequency trigger needs a count and a window of at least one day.")
        if self.grace_days is not None and self.grace_days < 0:
            raise ValueError("Grace days cannot be negative.")
        _check_action_params(self.action, self.reduce_by, self.freeze_days, "Trigger")


@dataclass(frozen=True, eq=False)
class ChannelInput(InputRecord):
    """One funding channel (facility) as it stands on day 0.

    ``drawn`` is the outstanding balance of existing draws; ``principal_due`` / ``interest_due`` are their
    schedule per day (computed by the Django side). ``annual_rate`` ranks channels for draws (cheapest first) and
    prices the engine's own draws (simple interest rate/365 per day, paid daily). ``rolls_over``: while the line
    is open, principal falling due is refinanced by the line itself. ``maturity_day``: day index on which the
    facility matures (None or >= horizon: not within the drill); from that day it is shut and everything still
    drawn falls due. ``revolving``: whether repaid principal restores headroom; None derives it from the type
    (term loans, bonds, shareholder loans and leasing do not). ``action_probability``: probability of a lender
    action *per year* for Monte Carlo drills (within a horizon of H days: ``1 - (1 - p) ** (H / 365)``); None derives
    it from ``counterparty_pd_1y`` and the type. ``day_count`` prices the engine's own draws (annual_rate / 360 or
    / 365 per calendar day). Recorded history: ``start_day`` — a line that has not started is no liquidity before
    that day; ``frozen_until_day`` — a frozen line reopens on that day (None: frozen through the horizon);
    ``demand_day`` — a lender's recorded demand (what a reduction or call left drawn above ``limit``) falls due on
    that day, whether or not the line rolls over; ``fee_due`` — fees paid per day (fixed, like ``interest_due``);
    ``recent_draw_days`` — the days (0 = the as-of date, -1 the day before, ...) with a recorded draw, for
    borrowing-frequency triggers; ``counterparty_kind`` — the lender's kind (an ``all_platforms`` shock hits
    every line of an online platform, whatever the line's type).
    """

    key: str
    name: str
    channel_type: str
    committed: bool
    status: str
    limit: float
    drawn: float
    annual_rate: float = 0.0
    rolls_over: bool = False
    notice_days: int = 0
    maturity_day: int | None = None
    principal_due: np.ndarray = field(default_factory=lambda: _array((), "principal_due"))
    interest_due: np.ndarray = field(default_factory=lambda: _array((), "interest_due"))
    counterparty_key: str = ""
    counterparty_pd_1y: float = 0.0
    action_probability: float | None = None
    triggers: tuple[TriggerInput, ...] = ()
    revolving: bool | None = None
    day_count: str = "ACT/365F"
    start_day: int = 0
    frozen_until_day: int | None = None
    demand_day: int | None = None
    fee_due: np.ndarray = field(default_factory=lambda: _array((), "fee_due"))
    recent_draw_days: tuple[int, ...] = ()
    counterparty_kind: str = ""

    def __post_init__(self) -> None:
        what = f"Channel {self.key!r}"
        if not self.key:
            raise ValueError("Every channel needs a non-empty key.")
        _choice(self.channel_type, CHANNEL_TYPES, f"{what} type")
        _choice(self.status, CHANNEL_STATUSES, f"{what} status")
        object.__setattr__(self, "committed", bool(self.committed))
        object.__setattr__(self, "rolls_over", bool(self.rolls_over))
        object.__setattr__(self, "limit", _finite(self.limit, f"{what} limit", low=0.0))
        object.__setattr__(self, "drawn", _finite(self.drawn, f"{what} drawn amount", low=0.0))
        object.__setattr__(self, "annual_rate", _finite(self.annual_rate, f"{what} annual rate"))
        object.__setattr__(self, "notice_days", int(self.notice_days))
        if self.notice_days < 0:
            raise ValueError(f"{what} notice days cannot be negative.")
        object.__setattr__(self, "maturity_day", _opt_int(self.maturity_day))
        object.__setattr__(self, "principal_due", _array(self.principal_due, f"{what} principal_due"))
        object.__setattr__(self, "interest_due", _array(self.interest_due, f"{what} interest_due"))
        object.__setattr__(self, "fee_due", _array(self.fee_due, f"{what} fee_due"))
        if np.any(self.principal_due < 0) or np.any(self.interest_due < 0) or np.any(self.fee_due < 0):
            raise ValueError(f"{what}: amounts due must not be negative.")
        _choice(self.day_count, tuple(DAY_COUNT_BASIS), f"{what} day count")
        object.__setattr__(self, "start_day", int(self.start_day))
        object.__setattr__(self, "frozen_until_day", _opt_int(self.frozen_until_day))
        object.__setattr__(self, "demand_day", _opt_int(self.demand_day))
        if self.start_day < 0 or (self.demand_day is not None and self.demand_day < 0):
            raise ValueError(f"{what}: start and demand days cannot be negative.")
        object.__setattr__(self, "recent_draw_days", tuple(sorted({int(d) for d in self.recent_draw_days})))
        if any(d > 0 for d in self.recent_draw_days):
            raise ValueError(f"{what}: recorded draws are on day 0 or before it.")
        object.__setattr__(
            self, "counterparty_pd_1y", _finite(self.counterparty_pd_1y, f"{what} counterparty PD", low=0, high=1)
        )
        if self.action_probability is not None:
            object.__setattr__(
                self,
                "action_probability",
                _finite(self.action_probability, f"{what} action probability", low=0.0, high=1.0),
            )
        triggers = tuple(t if isinstance(t, TriggerInput) else TriggerInput.from_dict(t) for t in self.triggers)
        object.__setattr__(self, "triggers", triggers)
        if self.revolving is not None:
            object.__setattr__(self, "revolving", bool(self.revolving))

    @property
    def is_revolving(self) -> bool:
        """Whether repaid principal restores headroom (explicit flag, else by type)."""
        if self.revolving is not None:
            return self.revolving
        return self.channel_type not in NON_REVOLVING_TYPES
