"""Inputs of the drill engine: frozen, plain-Python/numpy dataclasses.

A Django service builds one :class:`DrillInputs` from the database (Decimal -> float at this boundary),
stores ``inputs.to_dict()`` in a JSONField as the run's snapshot, and can rebuild the very same inputs with
``DrillInputs.from_dict(snapshot)`` to rerun the drill to the same numbers (floats survive a JSON round trip
exactly).

Conventions
-----------
* Money is float64 in the reporting currency. Days are calendar-day indices ``0 .. horizon_days - 1``;
  day 0 is the scenario's as-of date.
* Per-day arrays (``operating_flows``, ``discretionary_outflows``, a channel's ``principal_due`` and
  ``interest_due``) have length ``horizon_days``; a channel may leave its debt-service arrays empty (= zeros).
* The constructors accept lists or numpy arrays and store read-only float64 arrays; they validate what they can
  and raise ``ValueError`` with a message a treasurer understands.
* Rating ranks are on the master scale, 0 = AAA ... 21 = D: a *higher* rank is a *worse* rating.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

CHANNEL_TYPES: tuple[str, ...] = (
    "bank_term_loan",
    "revolving_credit",
    "supply_chain_finance",
    "small_loan_platform",
    "bond",
    "shareholder_loan",
    "leasing",
    "other",
)
CHANNEL_STATUSES: tuple[str, ...] = ("active", "reduced", "frozen", "closed", "matured")
#: Statuses on day 0 that allow draws (and rollover).
OPEN_STATUSES: tuple[str, ...] = ("active", "reduced")
POOL_KINDS: tuple[str, ...] = (
    "cash",
    "deposit",
    "money_market_fund",
    "backup_line",
    "receivables",
    "shareholder_support",
    "other",
)
STEP_ACTIONS: tuple[str, ...] = (
    "draw_backup_line",
    "liquidate_pool",
    "factor_receivables",
    "cut_discretionary",
    "shareholder_support",
    "other",
)
#: Lender actions, in the order of their integer codes inside the engine.
LENDER_ACTIONS: tuple[str, ...] = ("close", "freeze", "reduce", "call")
TRIGGER_KINDS: tuple[str, ...] = (
    "own_rating_below",
    "utilisation_above",
    "utilisation_below",
    "any_overdue",
    "borrowing_frequency",
    "inflow_drop",
)
SHOCK_TARGETS: tuple[str, ...] = ("channel", "channel_type", "counterparty", "all", "all_platforms", "company")
#: What a shock can do: the four lender actions to channels, a downgrade to the company.
SHOCK_ACTIONS: tuple[str, ...] = (*("close", "freeze", "reduce", "call"), "downgrade")
PLAN_TRIGGERS: tuple[str, ...] = ("on_shock", "below_threshold")
DRILL_KINDS: tuple[str, ...] = ("deterministic", "monte_carlo")
#: Day counts, and the days per year of the engine's daily interest on its own draws under each (30/360 accrues
#: per calendar day on a 360-day year: conservative, a 31-day month costs 31/360).
DAY_COUNT_BASIS: dict[str, int] = {"ACT/360": 360, "ACT/365F": 365, "30/360": 360}
#: Master-scale rank of C: a downgrade stops there (D is a default, not a downgrade).
RANK_C = 20

#: Channel types whose repaid principal does *not* restore headroom (amortising / non-revolving facilities),
#: used when ``ChannelInput.revolving`` is None.
NON_REVOLVING_TYPES: frozenset[str] = frozenset({"bank_term_loan", "bond", "shareholder_loan", "leasing"})
#: "all_platforms" shocks hit these channel types.
PLATFORM_TYPES: frozenset[str] = frozenset({"small_loan_platform"})


def _choice(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}.")


def _finite(value: float, what: str, *, low: float | None = None, high: float | None = None) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number; got {value!r}.")
    if low is not None and value < low:
        raise ValueError(f"{what} must be at least {low}; got {value}.")
    if high is not None and value > high:
        raise ValueError(f"{what} must be at most {high}; got {value}.")
    return value


def _array(values: Any, what: str) -> np.ndarray:
    array = np.array(values if values is not None else (), dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contains a value that is not a finite number.")
    array.setflags(write=False)
    return array


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _plain(value: Any) -> Any:
    """JSON-friendly copy of a dataclass field value."""
    if isinstance(value, np.ndarray):
        return [float(x) for x in value]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def _to_dict(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}


def _known(data: Mapping[str, Any], cls: type) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"Unknown field(s) for {cls.__name__}: {', '.join(sorted(unknown))}.")
    return dict(data)


@dataclass(frozen=True)
class TriggerInput:
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

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TriggerInput:
        return cls(**_known(data, cls))


def _check_action_params(action: str, reduce_by: float | None, freeze_days: int | None, what: str) -> None:
    if action == "reduce":
        if reduce_by is None:
            raise ValueError(f"{what}: a reduction needs reduce_by, the share of the limit cut (0-1).")
        _finite(reduce_by, f"{what} reduce_by", low=0.0, high=1.0)
    if action == "freeze":
        if freeze_days is None or freeze_days < 1:
            raise ValueError(f"{what}: a freeze needs freeze_days of at least 1.")


@dataclass(frozen=True, eq=False)
class ChannelInput:
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

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChannelInput:
        return cls(**_known(data, cls))


@dataclass(frozen=True)
class PoolInput:
    """Backup liquidity: an amount that a plan step can turn into cash (after ``haircut``, in ``days_to_cash``).

    For ``backup_line`` pools ``channel_key`` names the funding channel behind it: a plan step drawing it delivers
    nothing when that channel is shut (closed, called, matured) or frozen at delivery time.
    """

    key: str
    kind: str
    amount: float
    haircut: float = 0.0
    days_to_cash: int = 0
    channel_key: str | None = None

    def __post_init__(self) -> None:
        what = f"Pool {self.key!r}"
        if not self.key:
            raise ValueError("Every pool needs a non-empty key.")
        _choice(self.kind, POOL_KINDS, f"{what} kind")
        object.__setattr__(self, "amount", _finite(self.amount, f"{what} amount", low=0.0))
        object.__setattr__(self, "haircut", _finite(self.haircut, f"{what} haircut", low=0.0, high=1.0))
        object.__setattr__(self, "days_to_cash", int(self.days_to_cash))
        if self.days_to_cash < 0:
            raise ValueError(f"{what} days to cash cannot be negative.")

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PoolInput:
        return cls(**_known(data, cls))


@dataclass(frozen=True)
class StepInput:
    """One ranked step of a contingency plan.

    ``amount`` is the step's capacity (gross, before haircut); None takes the pool's amount (and, for
    ``cut_discretionary`` without a pool, means "all discretionary outflows"). ``lead_time_days`` None takes the
    pool's ``days_to_cash`` (0 without a pool); ``haircut`` None takes the pool's haircut (0 without a pool).
    ``cost_rate`` prices what the step delivers: the cost is reported and paid out of it (cash receives
    delivered x (1 - cost_rate)).
    ``success_probability`` is used by Monte Carlo drills; deterministic drills count a step as working when
    it is above 0.
    """

    order: int
    action: str
    pool_key: str | None = None
    amount: float | None = None
    lead_time_days: int | None = None
    cost_rate: float = 0.0
    success_probability: float = 1.0
    haircut: float | None = None

    def __post_init__(self) -> None:
        what = f"Plan step {self.order}"
        object.__setattr__(self, "order", int(self.order))
        _choice(self.action, STEP_ACTIONS, f"{what} action")
        if self.amount is not None:
            object.__setattr__(self, "amount", _finite(self.amount, f"{what} amount", low=0.0))
        if self.lead_time_days is not None:
            object.__setattr__(self, "lead_time_days", int(self.lead_time_days))
            if self.lead_time_days < 0:
                raise ValueError(f"{what} lead time cannot be negative.")
        object.__setattr__(self, "cost_rate", _finite(self.cost_rate, f"{what} cost rate"))
        object.__setattr__(
            self,
            "success_probability",
            _finite(self.success_probability, f"{what} success probability", low=0.0, high=1.0),
        )
        if self.haircut is not None:
            object.__setattr__(self, "haircut", _finite(self.haircut, f"{what} haircut", low=0.0, high=1.0))

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepInput:
        return cls(**_known(data, cls))


@dataclass(frozen=True)
class PlanInput:
    """A contingency plan: ``on_shock`` activates on the day of the first lender action (scenario shock,
    Monte Carlo action or fired trigger); ``below_threshold`` on the first day liquidity (cash + open headroom,
    after the day's draws) is below ``threshold``. Steps run in ``order``; step k delivers on activation day +
    its lead time."""

    trigger: str
    steps: tuple[StepInput, ...] = ()
    threshold: float = 0.0

    def __post_init__(self) -> None:
        _choice(self.trigger, PLAN_TRIGGERS, "Plan trigger")
        steps = tuple(s if isinstance(s, StepInput) else StepInput.from_dict(s) for s in self.steps)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "threshold", _finite(self.threshold, "Plan threshold"))
        orders = [s.order for s in steps]
        if len(set(orders)) != len(orders):
            raise ValueError("Two plan steps have the same order.")

    @property
    def ordered_steps(self) -> tuple[StepInput, ...]:
        return tuple(sorted(self.steps, key=lambda s: s.order))

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanInput:
        return cls(**_known(data, cls))


@dataclass(frozen=True)
class ShockInput:
    """A lender action the scenario imposes on day ``day``, or a downgrade of the company's own rating.

    ``target_type``/``target``: a channel key, a channel type, a counterparty key, ``all`` or ``all_platforms``
    (target ignored for the last two). ``action``: close, freeze (``freeze_days``), reduce (``reduce_by``, share
    of the limit 0-1) or call. ``target_type`` ``company`` with ``action`` ``downgrade`` moves the company's own
    rating ``notches`` worse on that day (stopping at C), before that day's rating triggers are checked; like any
    scenario shock it activates an ``on_shock`` plan that day (when the company's rating is known).
    """

    target_type: str
    action: str
    day: int = 0
    target: str = ""
    reduce_by: float | None = None
    freeze_days: int | None = None
    notches: int | None = None

    def __post_init__(self) -> None:
        _choice(self.target_type, SHOCK_TARGETS, "Shock target type")
        _choice(self.action, SHOCK_ACTIONS, "Shock action")
        if (self.target_type == "company") != (self.action == "downgrade"):
            raise ValueError("Only the company is downgraded, and a company shock is a downgrade.")
        object.__setattr__(self, "day", int(self.day))
        if self.day < 0:
            raise ValueError("A shock's day cannot be negative.")
        object.__setattr__(self, "reduce_by", _opt_float(self.reduce_by))
        object.__setattr__(self, "freeze_days", _opt_int(self.freeze_days))
        object.__setattr__(self, "notches", _opt_int(self.notches))
        if self.action == "downgrade" and not (self.notches and self.notches >= 1):
            raise ValueError("A downgrade needs at least one notch.")
        _check_action_params(self.action, self.reduce_by, self.freeze_days, "Shock")

    @property
    def is_downgrade(self) -> bool:
        return self.action == "downgrade"

    def matches(self, channel: ChannelInput) -> bool:
        if self.target_type == "company":
            return False
        if self.target_type == "all":
            return True
        if self.target_type == "all_platforms":  # an online platform's line, whatever its type
            return channel.channel_type in PLATFORM_TYPES or channel.counterparty_kind == "platform"
        if self.target_type == "channel":
            return channel.key == self.target
        if self.target_type == "channel_type":
            return channel.channel_type == self.target
        return channel.counterparty_key == self.target

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShockInput:
        return cls(**_known(data, cls))


@dataclass(frozen=True, eq=False)
class ScenarioInput:
    """What the drill does to the company, and how it is run.

    ``kind`` ``deterministic`` runs one path without randomness (``paths`` is then forced to 1);
    ``monte_carlo`` runs ``paths`` random paths in blocks of ``block_size`` (the numbers depend on ``seed`` and
    ``block_size``, never on how blocks are spread over processes).
    ``operating_flows``: signed net operating flow per day (+ in, - out), excluding discretionary outflows;
    ``discretionary_outflows``: non-negative discretionary spending per day that ``cut_discretionary`` steps can
    cancel. ``market_stress`` (>= 0) raises Monte Carlo action probabilities and their correlation;
    ``hazard_multiplier`` scales action intensities; ``operating_volatility`` (>= 0) multiplies each path's daily
    operating flow by (1 + volatility x N(0,1)). ``mc_action_kind`` / ``mc_action_day`` force the kind / day of
    every Monte Carlo lender action; ``mc_reduce_by`` / ``mc_freeze_days`` parameterise drawn reductions and
    freezes. ``no_credit_uncommitted``: every uncommitted line counts for nothing (treated as cancelled on day 0: no
    headroom, no rollover; not a shock) — the BCBS stress convention the snapshot applies to deterministic drills
    under market-wide stress. ``as_of``: the calendar date of day 0 (ISO), for the record only.
    ``operating_inflows``: the forecast gross inflows per day (>= 0, part of ``operating_flows``), which
    ``inflow_drop`` triggers compare realised inflows with. ``rating_migration``: Monte Carlo paths migrate the
    company's own rating along the one-year transition matrix of :mod:`.randomness` (when the rating is known).
    ``policy_horizon_days`` (P, the company's survival horizon; None = the drill's horizon): the policy is judged on
    days 0 .. min(horizon, P) - 1, and a drill shorter than P does not test it (verdict ``not_tested``).
    """

    horizon_days: int
    opening_cash: float
    operating_flows: np.ndarray
    discretionary_outflows: np.ndarray = field(default_factory=lambda: _array((), "discretionary_outflows"))
    min_cash_buffer: float = 0.0
    shocks: tuple[ShockInput, ...] = ()
    own_rating_rank: int | None = None
    own_downgrade_notches: int = 0
    market_stress: float = 0.0
    kind: str = "deterministic"
    paths: int = 1
    seed: int = 0
    hazard_multiplier: float = 1.0
    target_survival_probability: float = 0.99
    operating_volatility: float = 0.0
    block_size: int = 5000
    mc_action_kind: str | None = None
    mc_action_day: int | None = None
    mc_reduce_by: float = 0.5
    mc_freeze_days: int = 30
    no_credit_uncommitted: bool = False
    as_of: str | None = None
    policy_horizon_days: int | None = None
    operating_inflows: np.ndarray = field(default_factory=lambda: _array((), "operating_inflows"))
    rating_migration: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "horizon_days", int(self.horizon_days))
        object.__setattr__(self, "no_credit_uncommitted", bool(self.no_credit_uncommitted))
        object.__setattr__(self, "policy_horizon_days", _opt_int(self.policy_horizon_days))
        if self.policy_horizon_days is not None and self.policy_horizon_days < 1:
            raise ValueError("The policy horizon must be at least one day.")
        horizon = self.horizon_days
        if horizon < 1:
            raise ValueError("The horizon must be at least one day.")
        object.__setattr__(self, "opening_cash", _finite(self.opening_cash, "Opening cash"))
        flows = _array(self.operating_flows, "Operating flows")
        if flows.size != horizon:
            raise ValueError(f"Operating flows must have one value per day ({horizon}); got {flows.size}.")
        object.__setattr__(self, "operating_flows", flows)
        disc = _array(self.discretionary_outflows, "Discretionary outflows")
        if disc.size == 0:
            disc = _array(np.zeros(horizon), "Discretionary outflows")
        if disc.size != horizon:
            raise ValueError(f"Discretionary outflows must have one value per day ({horizon}); got {disc.size}.")
        if np.any(disc < 0):
            raise ValueError("Discretionary outflows are amounts paid out and must not be negative.")
        object.__setattr__(self, "discretionary_outflows", disc)
        inflows = _array(self.operating_inflows, "Operating inflows")
        if inflows.size == 0:
            inflows = _array(np.zeros(horizon), "Operating inflows")
        if inflows.size != horizon or np.any(inflows < 0):
            raise ValueError(f"Operating inflows are {horizon} amounts received, none negative.")
        object.__setattr__(self, "operating_inflows", inflows)
        object.__setattr__(self, "rating_migration", bool(self.rating_migration))
        object.__setattr__(self, "min_cash_buffer", _finite(self.min_cash_buffer, "Minimum cash buffer", low=0.0))
        shocks = tuple(s if isinstance(s, ShockInput) else ShockInput.from_dict(s) for s in self.shocks)
        object.__setattr__(self, "shocks", shocks)
        object.__setattr__(self, "own_rating_rank", _opt_int(self.own_rating_rank))
        object.__setattr__(self, "own_downgrade_notches", int(self.own_downgrade_notches))
        if self.own_downgrade_notches < 0:
            raise ValueError("Own downgrade notches cannot be negative.")
        object.__setattr__(self, "market_stress", _finite(self.market_stress, "Market stress", low=0.0))
        _choice(self.kind, DRILL_KINDS, "Drill kind")
        paths = int(self.paths)
        if paths < 1:
            raise ValueError("A drill needs at least one path.")
        object.__setattr__(self, "paths", 1 if self.kind == "deterministic" else paths)
        object.__setattr__(self, "seed", int(self.seed))
        if self.seed < 0:
            raise ValueError("The seed must be a non-negative integer.")
        object.__setattr__(self, "hazard_multiplier", _finite(self.hazard_multiplier, "Hazard multiplier", low=0.0))
        object.__setattr__(
            self,
            "target_survival_probability",
            _finite(self.target_survival_probability, "Target survival probability", low=0.0, high=1.0),
        )
        object.__setattr__(
            self, "operating_volatility", _finite(self.operating_volatility, "Operating volatility", low=0.0)
        )
        object.__setattr__(self, "block_size", int(self.block_size))
        if self.block_size < 1:
            raise ValueError("The block size must be at least 1.")
        if self.mc_action_kind is not None:
            _choice(self.mc_action_kind, LENDER_ACTIONS, "Forced Monte Carlo action kind")
        object.__setattr__(self, "mc_action_day", _opt_int(self.mc_action_day))
        if self.mc_action_day is not None and self.mc_action_day < 0:
            raise ValueError("The forced Monte Carlo action day cannot be negative.")
        object.__setattr__(self, "mc_reduce_by", _finite(self.mc_reduce_by, "Monte Carlo reduce_by", low=0, high=1))
        object.__setattr__(self, "mc_freeze_days", int(self.mc_freeze_days))
        if self.mc_freeze_days < 1:
            raise ValueError("Monte Carlo freezes must last at least one day.")

    @property
    def policy_days(self) -> int:
        """The days the policy is judged on: 0 .. min(horizon, policy horizon) - 1 (D13, D14)."""
        return min(self.horizon_days, self.policy_horizon_days or self.horizon_days)

    @property
    def is_monte_carlo(self) -> bool:
        return self.kind == "monte_carlo"

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioInput:
        return cls(**_known(data, cls))


@dataclass(frozen=True, eq=False)
class DrillInputs:
    """Everything one drill run needs: the scenario, the channels, the pools and the plan (or None)."""

    scenario: ScenarioInput
    channels: tuple[ChannelInput, ...] = ()
    pools: tuple[PoolInput, ...] = ()
    plan: PlanInput | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "pools", tuple(self.pools))
        horizon = self.scenario.horizon_days
        keys = [c.key for c in self.channels]
        if len(set(keys)) != len(keys):
            raise ValueError("Two channels have the same key.")
        for channel in self.channels:
            for name in ("principal_due", "interest_due", "fee_due"):
                size = getattr(channel, name).size
                if size not in (0, horizon):
                    raise ValueError(
                        f"Channel {channel.key!r} {name} must have one value per day ({horizon}); got {size}."
                    )
        pool_keys = [p.key for p in self.pools]
        if len(set(pool_keys)) != len(pool_keys):
            raise ValueError("Two pools have the same key.")
        for pool in self.pools:
            if pool.channel_key is not None and pool.channel_key not in keys:
                raise ValueError(f"Pool {pool.key!r} is linked to channel {pool.channel_key!r}, which is not given.")
        if self.plan is not None:
            for step in self.plan.steps:
                if step.pool_key is not None and step.pool_key not in pool_keys:
                    raise ValueError(f"Plan step {step.order} uses pool {step.pool_key!r}, which is not given.")
                open_ended = step.action in ("cut_discretionary", "draw_backup_line")
                if step.pool_key is None and step.amount is None and not open_ended:
                    raise ValueError(f"Plan step {step.order} needs an amount or a pool.")

    def pool(self, key: str) -> PoolInput:
        for pool in self.pools:
            if pool.key == key:
                return pool
        raise KeyError(key)

    def replace_scenario(self, **changes: Any) -> DrillInputs:
        """A copy with some scenario fields changed (e.g. ``kind="deterministic"`` or extra ``shocks``)."""
        data = self.scenario.to_dict()
        data.update(changes)
        return DrillInputs(ScenarioInput.from_dict(data), self.channels, self.pools, self.plan)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.to_dict(),
            "channels": [c.to_dict() for c in self.channels],
            "pools": [p.to_dict() for p in self.pools],
            "plan": None if self.plan is None else self.plan.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrillInputs:
        plan = data.get("plan")
        return cls(
            scenario=ScenarioInput.from_dict(data["scenario"]),
            channels=tuple(ChannelInput.from_dict(c) for c in data.get("channels", ())),
            pools=tuple(PoolInput.from_dict(p) for p in data.get("pools", ())),
            plan=None if plan is None else PlanInput.from_dict(plan),
        )


def iter_channels_matching(shock: ShockInput, channels: Iterable[ChannelInput]) -> list[int]:
    """Indices (input order) of the channels a shock hits."""
    return [i for i, channel in enumerate(channels) if shock.matches(channel)]
