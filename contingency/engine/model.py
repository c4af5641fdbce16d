"""Inputs prepared for the vectorised engine: channels sorted cheapest first, shocks and triggers resolved.

Nothing here depends on the paths or the random draws, so one :class:`Model` serves every block of a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import DAY_COUNT_BASIS, LENDER_ACTIONS, DrillInputs
from .randomness import NEVER

CLOSE, FREEZE, REDUCE, CALL = (LENDER_ACTIONS.index(a) for a in ("close", "freeze", "reduce", "call"))
PLAN_NONE, PLAN_ON_SHOCK, PLAN_BELOW_THRESHOLD = 0, 1, 2
#: Money is compared to the half cent: float dust (1e-10 below zero after a draw that covers a need exactly)
#: is not a shortfall, a gap or a reason to activate a plan.
HALF_CENT = 0.005


@dataclass(frozen=True)
class ActionSpec:
    """A lender action to apply: ``cols`` are channel positions in cheapest-first order, ``sources`` the
    :class:`Source` of each (for the report of what the lenders did)."""

    cols: np.ndarray
    code: int
    reduce_by: float
    freeze_days: int
    sources: np.ndarray


@dataclass(frozen=True)
class TriggerSpec:
    """A lender's trigger on the line at cheapest-first position ``col`` (see :class:`.inputs.TriggerInput`)."""

    kind: str
    col: int
    code: int
    reduce_by: float
    freeze_days: int
    source: int
    rank: int = 0  # own_rating_below: fires when the company's rank is above (worse than) this
    level: float = 0.0
    days: int = 1
    count: int = 0
    window: int = 1
    grace: int = 0
    recorded: tuple[int, ...] = ()  # borrowing_frequency: days (<= 0) of the line's recorded draws


@dataclass(frozen=True)
class Source:
    """Who acted: a scenario shock on one channel, a trigger, or a drawn (random) lender action on a channel."""

    source: str  # shock, trigger, random
    channel_index: int  # input order
    kind: str  # the shock's target type, the trigger's kind, or "random"
    action: str  # close, freeze, reduce, call (random: drawn per path)


@dataclass(frozen=True)
class StepSpec:
    """A plan step with its pool and channel resolved. ``capacity`` is gross (before haircut); inf = unlimited."""

    order: int
    is_cut: bool
    capacity: float
    haircut: float
    lead: int
    cost_rate: float
    pool: int  # index into Model.pool_amounts, -1 for none (backup-line steps never use it)
    channel: int  # cheapest-first position of the backup line's channel, -1 for none


@dataclass(frozen=True)
class Model:
    horizon: int
    keys: tuple[str, ...]  # cheapest-first order
    perm: np.ndarray  # cheapest-first position -> input index
    limit0: np.ndarray
    drawn0: np.ndarray
    rate_day: np.ndarray
    rolls: np.ndarray
    revolving: np.ndarray
    notice: np.ndarray
    maturity: np.ndarray
    scf: np.ndarray
    reserved: np.ndarray
    shut0: np.ndarray
    frozen_until0: np.ndarray  # first day a line is open: not started or frozen before it (NEVER: not in the horizon)
    demand0: np.ndarray  # day a recorded lender demand falls due (NEVER: none)
    opening_cash: float
    buffer: float
    flows: np.ndarray
    disc: np.ndarray
    interest_total: np.ndarray  # scheduled interest and fees of every channel, per day
    volatility: float
    principal_by_day: tuple[tuple[tuple[int, float], ...], ...]
    maturing_by_day: dict[int, np.ndarray]
    shocks_by_day: dict[int, tuple[ActionSpec, ...]]
    triggers: tuple[TriggerSpec, ...]
    sources: tuple[Source, ...]
    random_base: int  # source id of channel (input index) i's drawn actions: random_base + i
    own_rank0: int  # the company's own rating rank on day 0 (-1: unknown, rating triggers never fire)
    rating_events: dict[int, int]  # day -> notches of downgrade (day-0 downgrade and company shocks)
    rating_shock_days: frozenset[int]
    inflows: np.ndarray  # forecast operating inflows per day
    plan_trigger: int
    threshold: float
    steps: tuple[StepSpec, ...]
    pool_amounts: np.ndarray
    mc_reduce_by: float
    mc_freeze_days: int

    @property
    def n_channels(self) -> int:
        return len(self.keys)


def opening_day(channel) -> int:
    """The first day a line can be drawn: its start day, or the end of a recorded freeze (NEVER: frozen for good)."""
    frozen = 0
    if channel.status == "frozen":
        frozen = NEVER if channel.frozen_until_day is None else max(channel.frozen_until_day, 0)
    return max(channel.start_day, frozen)


def _action(code: int, reduce_by: float | None, freeze_days: int | None) -> tuple[int, float, int]:
    return code, float(reduce_by or 0.0), int(freeze_days or 0)


def prepare(inputs: DrillInputs) -> Model:
    scenario = inputs.scenario
    horizon = scenario.horizon_days
    channels = inputs.channels
    n = len(channels)
    # Cheapest first; equal rates keep the input order (stable sort).
    perm = np.array(sorted(range(n), key=lambda i: (channels[i].annual_rate, i)), dtype=np.int64)
    position = np.empty(n, dtype=np.int64)
    position[perm] = np.arange(n)
    ordered = [channels[i] for i in perm]

    steps_in_order = inputs.plan.ordered_steps if inputs.plan is not None else ()
    pool_keys = [p.key for p in inputs.pools]
    keys = [c.key for c in channels]
    reserved = np.zeros(n, dtype=bool)
    step_specs: list[StepSpec] = []
    for step in steps_in_order:
        pool = inputs.pool(step.pool_key) if step.pool_key is not None else None
        channel_pos = -1
        if pool is not None and pool.channel_key is not None:  # a backup line, whatever the step's action
            channel_pos = int(position[keys.index(pool.channel_key)])
            reserved[channel_pos] = True
        capacity = step.amount if step.amount is not None else (pool.amount if pool is not None else np.inf)
        step_specs.append(
            StepSpec(
                order=step.order,
                is_cut=step.action == "cut_discretionary",
                capacity=float(capacity),
                haircut=float(step.haircut if step.haircut is not None else (pool.haircut if pool else 0.0)),
                lead=int(
                    step.lead_time_days if step.lead_time_days is not None else (pool.days_to_cash if pool else 0)
                ),
                cost_rate=step.cost_rate,
                pool=pool_keys.index(pool.key) if pool is not None and channel_pos < 0 else -1,
                channel=channel_pos,
            )
        )

    maturity = np.array([NEVER if c.maturity_day is None else max(c.maturity_day, 0) for c in ordered], np.int64)
    maturing: dict[int, list[int]] = {}
    for pos, day in enumerate(maturity):
        if day < horizon:
            maturing.setdefault(int(day), []).append(pos)

    principal_by_day: list[list[tuple[int, float]]] = [[] for _ in range(horizon)]
    interest_total = np.zeros(horizon)
    for pos, channel in enumerate(ordered):
        if channel.principal_due.size:
            for day in np.flatnonzero(channel.principal_due > 0):
                principal_by_day[int(day)].append((pos, float(channel.principal_due[day])))
    for channel in channels:  # input order, so the reference loop can sum the same way
        if channel.interest_due.size:
            interest_total = interest_total + channel.interest_due
        if channel.fee_due.size:
            interest_total = interest_total + channel.fee_due

    sources: list[Source] = []
    shocks: dict[int, list[ActionSpec]] = {}
    rating_events: dict[int, int] = {}
    rating_shock_days: set[int] = set()  # days a company downgrade shock hits a rated company (an on_shock plan acts)
    if scenario.own_downgrade_notches:
        rating_events[0] = scenario.own_downgrade_notches
    for shock in scenario.shocks:
        if shock.day >= horizon:
            continue
        if shock.is_downgrade:
            rating_events[shock.day] = rating_events.get(shock.day, 0) + int(shock.notches or 0)
            if scenario.own_rating_rank is not None:
                rating_shock_days.add(shock.day)
            continue
        hit = sorted((int(position[i]), i) for i, c in enumerate(channels) if shock.matches(c))
        if not hit:
            continue
        cols = np.array([col for col, _ in hit], dtype=np.int64)
        ids = np.arange(len(sources), len(sources) + len(hit), dtype=np.int64)
        sources += [Source("shock", i, shock.target_type, shock.action) for _, i in hit]
        code, reduce_by, freeze_days = _action(LENDER_ACTIONS.index(shock.action), shock.reduce_by, shock.freeze_days)
        shocks.setdefault(shock.day, []).append(ActionSpec(cols, code, reduce_by, freeze_days, ids))

    triggers: list[TriggerSpec] = []
    for i, channel in enumerate(channels):
        for trigger in channel.triggers:
            code, reduce_by, freeze_days = _action(
                LENDER_ACTIONS.index(trigger.action), trigger.reduce_by, trigger.freeze_days
            )
            triggers.append(
                TriggerSpec(
                    kind=trigger.kind,
                    col=int(position[i]),
                    code=code,
                    reduce_by=reduce_by,
                    freeze_days=freeze_days,
                    source=len(sources),
                    rank=trigger.rating_rank if trigger.rating_rank is not None else 0,
                    level=trigger.level or 0.0,
                    days=trigger.days or 1,
                    count=trigger.count or 0,
                    window=trigger.window_days or 1,
                    grace=trigger.grace_days or 0,
                    recorded=channel.recent_draw_days,
                )  # fmt: skip
            )
            sources.append(Source("trigger", i, trigger.kind, trigger.action))
    random_base = len(sources)  # drawn actions (Monte Carlo; the forced closures of the channel-impact reruns)
    sources += [Source("random", i, "random", "") for i in range(n)]

    plan = inputs.plan
    plan_trigger = PLAN_NONE
    if plan is not None and plan.steps:
        plan_trigger = PLAN_ON_SHOCK if plan.trigger == "on_shock" else PLAN_BELOW_THRESHOLD

    return Model(
        horizon=horizon,
        keys=tuple(c.key for c in ordered),
        perm=perm,
        limit0=np.array([c.limit for c in ordered]),
        drawn0=np.array([c.drawn for c in ordered]),
        rate_day=np.array([c.annual_rate / DAY_COUNT_BASIS[c.day_count] for c in ordered]),
        rolls=np.array([c.rolls_over for c in ordered], dtype=bool),
        revolving=np.array([c.is_revolving for c in ordered], dtype=bool),
        notice=np.array([c.notice_days for c in ordered], dtype=np.int64),
        maturity=maturity,
        scf=np.array([c.channel_type == "supply_chain_finance" for c in ordered], dtype=bool),
        reserved=reserved,
        shut0=np.array(
            [
                c.status in ("closed", "matured") or (scenario.no_credit_uncommitted and not c.committed)
                for c in ordered
            ],
            dtype=bool,
        ),
        frozen_until0=np.array([opening_day(c) for c in ordered], dtype=np.int64),
        demand0=np.array([NEVER if c.demand_day is None else c.demand_day for c in ordered], dtype=np.int64),
        opening_cash=scenario.opening_cash,
        buffer=scenario.min_cash_buffer,
        flows=scenario.operating_flows,
        disc=scenario.discretionary_outflows,
        interest_total=interest_total,
        volatility=scenario.operating_volatility,
        principal_by_day=tuple(tuple(day) for day in principal_by_day),
        maturing_by_day={day: np.array(cols, dtype=np.int64) for day, cols in maturing.items()},
        shocks_by_day={day: tuple(specs) for day, specs in shocks.items()},
        triggers=tuple(triggers),
        sources=tuple(sources),
        random_base=random_base,
        own_rank0=-1 if scenario.own_rating_rank is None else int(scenario.own_rating_rank),
        rating_events=rating_events,
        rating_shock_days=frozenset(rating_shock_days),
        inflows=scenario.operating_inflows,
        plan_trigger=plan_trigger,
        threshold=plan.threshold if plan is not None else 0.0,
        steps=tuple(step_specs),
        pool_amounts=np.array([p.amount for p in inputs.pools], dtype=np.float64),
        mc_reduce_by=scenario.mc_reduce_by,
        mc_freeze_days=scenario.mc_freeze_days,
    )
