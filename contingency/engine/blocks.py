"""One block's results: what a worker stores in the database and the finishing step folds.

A :class:`BlockResult` carries the per-path numbers of one block, its breaching paths' extra-liquidity brackets and
its sparse daily-liquidity sketch. Two encodings, both lossless: :meth:`BlockResult.to_bytes` (what the database
stores: the arrays in a zlib-compressed fixed layout, integers in the narrowest type that holds them, floats as the very
IEEE doubles, so a block read back folds bit-identically) and :meth:`BlockResult.to_dict` (JSON lists, for tests and
blocks stored by older versions).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .extra import Brackets
from .simulate import PathOutcomes
from .sketch import fan_grid

#: The daily fan keeps at most this many days (evenly spaced, always including the last day).
MAX_FAN_DAYS = 200
FAN_PERCENTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
_PER_PATH_INT = ("runway", "min_liquidity_day", "gap_day", "closing_step", "activation_day", "breach_day")
_PER_PATH_FLOAT = ("min_liquidity", "deepest_deficit", "contingency_used", "contingency_cost")
_EXTRA_INT = ("extra_rows", "extra_lo", "extra_hi", "extra_lo2")
_ACTIONS = (
    "action_cells", "action_cell_counts", "action_lost_cents", "action_kind_counts", "final_rank_counts",
    "daily_rank",
)  # fmt: skip
#: Final-rank bins: -1 (rating unknown), 0 (AAA) .. 21 (D).
RANK_BINS = 23
#: The first bytes of a stored block (a format version: a later layout gets a new one).
MAGIC = b"FPB2"
_INT_TYPES = (np.int8, np.int16, np.int32, np.int64)


def fan_days(horizon: int) -> np.ndarray:
    """The days the liquidity fan reports: every day up to MAX_FAN_DAYS days, else an even subsample."""
    if horizon <= MAX_FAN_DAYS:
        return np.arange(horizon, dtype=np.int64)
    step = -(-horizon // MAX_FAN_DAYS)
    days = np.arange(0, horizon, step, dtype=np.int64)
    return days if days[-1] == horizon - 1 else np.append(days, horizon - 1)


@dataclass(frozen=True, eq=False)
class BlockResult:
    """Results of the paths of block ``block_index``.

    Per path (arrays of length ``n_paths``): ``runway`` (first shortfall day, -1 = survived), ``min_liquidity``
    and ``min_liquidity_day``, ``deepest_deficit`` (largest negative cash, >= 0), ``contingency_used`` and
    ``contingency_cost``, ``gap_day`` (-1 = none), ``closing_step`` (position of the step in plan order, -1 = none),
    ``activation_day`` (-1 = plan never activated), ``breach_day`` (first day in the policy window with end-of-day
    cash below the buffer, -1 = none). The extra-liquidity search (:mod:`.extra`): ``extra_rows`` (the breaching paths)
    with their brackets in cents ``extra_lo`` < need <= ``extra_hi`` and the search state ``extra_f_lo``,
    ``extra_lo2``, ``extra_f_lo2``; ``extra_searched`` False when the search was skipped. Fan sketch: the non-empty cells (``fan_cells`` = position of
    the fan day x fan-grid size + bucket) with their path counts and the exact smallest and largest liquidity in
    each (``fan_counts``, ``fan_cell_min``, ``fan_cell_max``).
    """

    block_index: int
    n_paths: int
    runway: np.ndarray
    min_liquidity: np.ndarray
    min_liquidity_day: np.ndarray
    deepest_deficit: np.ndarray
    contingency_used: np.ndarray
    contingency_cost: np.ndarray
    gap_day: np.ndarray
    closing_step: np.ndarray
    activation_day: np.ndarray
    breach_day: np.ndarray
    extra_rows: np.ndarray
    extra_lo: np.ndarray
    extra_hi: np.ndarray
    extra_f_lo: np.ndarray
    extra_lo2: np.ndarray
    extra_f_lo2: np.ndarray
    fan_cells: np.ndarray
    fan_counts: np.ndarray
    fan_cell_min: np.ndarray
    fan_cell_max: np.ndarray
    # What the lenders did, per source of lender actions (Model.sources): the paths on which it first acted on each
    # day (sparse cells source x horizon + day, with counts), the liquidity it cost summed over them (cents), and the
    # counts of the action it took (source x 4, LENDER_ACTIONS order); the company's own rating: per final rank
    # (-1 unknown .. 21) the number of paths, and for a one-path block its rank at the end of each day.
    action_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    action_cell_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    action_lost_cents: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    action_kind_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    final_rank_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    daily_rank: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    extra_searched: bool = True

    @property
    def brackets(self) -> Brackets:
        return Brackets(
            lo=self.extra_lo.copy(),
            f_lo=self.extra_f_lo.copy(),
            lo2=self.extra_lo2.copy(),
            f_lo2=self.extra_f_lo2.copy(),
            hi=self.extra_hi.copy(),
        )

    @property
    def survived(self) -> np.ndarray:
        return self.runway < 0

    @classmethod
    def from_outcomes(
        cls, block_index: int, outcomes: PathOutcomes, extra: tuple[np.ndarray, Brackets] | None = None
    ) -> BlockResult:
        horizon, n_paths = outcomes.liquidity.shape
        grid = fan_grid()
        days = fan_days(horizon)
        # Sorting each day's liquidity makes bucket indices non-decreasing along the flattened array (buckets
        # increase with the value), so every non-empty cell is one run: its first value is the cell's minimum,
        # its last the maximum. A few days at a time, to keep the temporaries small.
        per_chunk = max(1, 250_000 // max(n_paths, 1))
        parts: list[tuple[np.ndarray, ...]] = []
        for first in range(0, days.size, per_chunk):
            chunk = days[first : first + per_chunk]
            ordered = np.sort(outcomes.liquidity[chunk], axis=1)
            cells = grid.index(ordered)
            cells += (np.arange(first, first + chunk.size, dtype=np.int64) * grid.size)[:, None]
            cells = cells.reshape(-1)
            ordered = ordered.reshape(-1)
            starts = np.flatnonzero(np.diff(cells, prepend=-1))
            ends = np.append(starts[1:], cells.size)
            parts.append((cells[starts], ends - starts, ordered[starts], ordered[ends - 1]))
        values: dict[str, Any] = {name: np.asarray(getattr(outcomes, name), dtype=np.int64) for name in _PER_PATH_INT}
        values.update({name: np.asarray(getattr(outcomes, name), dtype=np.float64) for name in _PER_PATH_FLOAT})
        rows, state = (
            extra if extra is not None else (np.zeros(0, np.int64), Brackets.start(outcomes, np.zeros(0, int)))
        )
        values.update(
            extra_searched=extra is not None,
            extra_rows=np.asarray(rows, dtype=np.int64),
            extra_lo=state.lo,
            extra_hi=state.hi,
            extra_f_lo=state.f_lo,
            extra_lo2=state.lo2,
            extra_f_lo2=state.f_lo2,
        )
        values.update(_lender_actions(outcomes))
        return cls(
            block_index=int(block_index),
            n_paths=int(n_paths),
            fan_cells=np.concatenate([p[0] for p in parts]),
            fan_counts=np.concatenate([p[1] for p in parts]).astype(np.int64),
            fan_cell_min=np.round(np.concatenate([p[2] for p in parts]), 2),  # the fan is reported in cents
            fan_cell_max=np.round(np.concatenate([p[3] for p in parts]), 2),
            **values,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "block_index": self.block_index,
            "n_paths": self.n_paths,
            "extra_searched": self.extra_searched,
        }
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                data[f.name] = value.tolist()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockResult:
        values: dict[str, Any] = {
            "block_index": int(data["block_index"]),
            "n_paths": int(data["n_paths"]),
            "extra_searched": bool(data.get("extra_searched", False)),
        }
        for f in fields(cls):
            if f.name in values:
                continue
            is_int = (
                f.name in _PER_PATH_INT or f.name in _EXTRA_INT or f.name in _ACTIONS
                or f.name in ("fan_cells", "fan_counts")
            )  # fmt: skip
            raw = data.get(f.name, ()) if f.name.startswith("extra_") or f.name in _ACTIONS else data[f.name]
            values[f.name] = np.array(raw, dtype=np.int64 if is_int else np.float64)
        return cls(**values)

    def to_bytes(self) -> bytes:
        """The block as stored in the database: :data:`MAGIC`, then zlib of a small JSON header (the block's index,
        paths and search flag; each array's name, type and length) followed by the arrays' raw bytes.

        Lossless, checked array by array (:func:`_encode`): integers in the narrowest signed type that holds them,
        sorted integers (the sparse cells) as differences, floats that are whole cents (the fan's cell bounds) as
        integer cents, other floats as the IEEE doubles themselves. A block read back is bit-identical, at about a
        fifth of its JSON; reading it builds nothing but its arrays."""
        names, chunks = [], []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                if value.ndim != 1:
                    raise ValueError(f"{f.name} is not one-dimensional.")
                suffix, encoded = _encode(value)
                names.append([f.name + suffix, encoded.dtype.str, int(encoded.size)])
                chunks.append(np.ascontiguousarray(encoded).tobytes())
        header = json.dumps({"block": [self.block_index, self.n_paths, int(self.extra_searched)], "arrays": names})
        head = header.encode()
        return MAGIC + zlib.compress(len(head).to_bytes(4, "little") + head + b"".join(chunks), 6)

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> BlockResult:
        raw = bytes(data)
        if raw[: len(MAGIC)] != MAGIC:
            raise ValueError("Not a stored drill block (unknown format).")
        body = zlib.decompress(raw[len(MAGIC) :])
        size = int.from_bytes(body[:4], "little")
        header = json.loads(body[4 : 4 + size])
        values: dict[str, Any] = {}
        offset = 4 + size
        for key, dtype, length in header["arrays"]:
            kind = np.dtype(dtype)
            stored = np.frombuffer(body, dtype=kind, count=length, offset=offset)
            offset += kind.itemsize * length
            name, _, suffix = key.partition("@")
            values[name] = _decode(suffix, stored)
        block_index, n_paths, searched = header["block"]
        return cls(block_index=block_index, n_paths=n_paths, extra_searched=bool(searched), **values)


def _encode(values: np.ndarray) -> tuple[str, np.ndarray]:
    """(key suffix, array) for :meth:`BlockResult.to_bytes`: ``@d`` differences, ``@c`` cents, nothing: as is."""
    if values.dtype.kind in "iu":
        if values.size > 1 and bool((values[1:] >= values[:-1]).all()):
            return "@d", _narrow(np.diff(values.astype(np.int64), prepend=np.int64(0)))
        return "", _narrow(values.astype(np.int64))
    if values.size and bool(np.isfinite(values).all()) and float(np.abs(values).max()) < 2.0**50 / 100:
        cents = np.rint(values * 100.0).astype(np.int64)
        if (cents / 100.0).tobytes() == values.astype(np.float64).tobytes():  # -0.0 and non-cents stay floats
            return "@c", _narrow(cents)
    return "", values.astype(np.float64)


def _decode(suffix: str, stored: np.ndarray) -> np.ndarray:
    """The array as it was (a fresh, writable copy)."""
    if suffix == "d":
        return np.cumsum(stored, dtype=np.int64)
    if suffix == "c":
        return stored.astype(np.int64) / 100.0
    return stored.astype(np.int64) if stored.dtype.kind in "iu" else stored.astype(np.float64)


def _narrow(values: np.ndarray) -> np.ndarray:
    """The same integers in the narrowest signed type that holds them all."""
    if values.size == 0:
        return values.astype(np.int8)
    low, high = int(values.min()), int(values.max())
    for kind in _INT_TYPES:
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            return values.astype(kind)
    raise ValueError("Integers beyond int64 cannot be stored.")


def _lender_actions(outcomes: PathOutcomes) -> dict[str, np.ndarray]:
    horizon, n_paths = outcomes.liquidity.shape
    acted = outcomes.action_day < horizon
    sources, paths = np.nonzero(acted)
    cells = sources.astype(np.int64) * horizon + outcomes.action_day[sources, paths]
    unique, counts = np.unique(cells, return_counts=True)
    n_src = outcomes.action_day.shape[0]
    lost = np.rint(np.where(acted, outcomes.action_lost, 0.0) * 100.0).astype(np.int64).sum(axis=1)
    kinds = np.zeros((n_src, 4), dtype=np.int64)
    np.add.at(kinds, (sources, np.maximum(outcomes.action_code[sources, paths], 0)), 1)
    final = outcomes.own_rank[-1].astype(np.int64) + 1
    daily = outcomes.own_rank[:, 0].astype(np.int64) if n_paths == 1 else np.zeros(0, np.int64)
    return {
        "action_cells": unique.astype(np.int64),
        "action_cell_counts": counts.astype(np.int64),
        "action_lost_cents": lost,
        "action_kind_counts": kinds.reshape(-1),
        "final_rank_counts": np.bincount(final, minlength=RANK_BINS).astype(np.int64),
        "daily_rank": daily,
    }
