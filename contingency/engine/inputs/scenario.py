"""Inputs of the scenario (its shocks, flows and policy) and the whole drill (:class:`DrillInputs`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .channels import ChannelInput
from .checks import InputRecord, _array, _check_action_params, _choice, _finite, _opt_float, _opt_int
from .plan import PlanInput, PoolInput
from .vocabulary import DRILL_KINDS, LENDER_ACTIONS, PLATFORM_TYPES, SHOCK_ACTIONS, SHOCK_TARGETS


@dataclass(frozen=True)
class ShockInput(InputRecord):
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


@dataclass(frozen=True, eq=False)
class ScenarioInput(InputRecord):
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
