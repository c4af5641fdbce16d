"""The engine's vocabulary (the values every input field may take, the rating scale's landmarks) and the
validation helpers the input dataclasses share."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields
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


def _check_action_params(action: str, reduce_by: float | None, freeze_days: int | None, what: str) -> None:
    if action == "reduce":
        if reduce_by is None:
            raise ValueError(f"{what}: a reduction needs reduce_by, the share of the limit cut (0-1).")
        _finite(reduce_by, f"{what} reduce_by", low=0.0, high=1.0)
    if action == "freeze":
        if freeze_days is None or freeze_days < 1:
            raise ValueError(f"{what}: a freeze needs freeze_days of at least 1.")
