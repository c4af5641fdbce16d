"""The validation helpers the input dataclasses share (what a field may hold: :mod:`.vocabulary`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, Self

import numpy as np


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


class InputRecord:
    """``to_dict`` (JSON-friendly field values) and ``from_dict`` (known fields only) of an input dataclass."""

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(**_known(data, cls))
