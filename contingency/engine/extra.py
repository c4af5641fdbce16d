"""How much day-0 cash each path needs to keep the buffer over the policy window (D16), found on the same draws.

For every path with a buffer breach the search finds, to the cent, the smallest extra day-0 cash x such that the
path re-run with opening cash + x (same draws: same lender actions, step outcomes and operating noise) has no
breach in days 0 .. min(H, P) - 1. Extra cash is not simply the deficit: it displaces draws on lines that may be
lost later, it saves interest, and it can delay a ``below_threshold`` plan, so every candidate is simulated (only
over the policy window).

Each breaching path carries a bracket in integer cents, :class:`Brackets`: ``lo`` fails, ``hi`` passes, so its need
is in (lo, hi]. A round re-simulates every open bracket's path at a few amounts in one vectorised batch: the guess
where the margin below the buffer, extrapolated linearly from the two highest failing amounts (slope 1 until there
are two, or where they show none: displaced draws on lines lost later), reaches zero; one cent less (done when the
guess passes and that fails); and a few amounts below the guess, or, once bracketed, amounts that split the bracket
on both sides of it (so a round never does worse than a bisection step). The amounts tried for a path depend only on
its own bracket, never on the other paths in the batch. Like any bisection this presumes that more cash never
turns a kept buffer into a breach (true for these rules except through a ``below_threshold`` plan activating later).

Splitting the work (D16 for Monte Carlo needs only the k-th smallest need, k = ceil(target x n) - paths kept): each
block narrows its own paths' brackets for :data:`BLOCK_ROUNDS` rounds on its worker and stores them; the finishing
step (:func:`order_statistic`) then refines to the cent only the paths whose bracket could still hold the k-th
smallest need, re-simulating just those paths from their block's seed, in batches of at most :data:`MAX_BATCH`
paths x amounts (their draws regenerated block by block, :func:`.runner._settle`, so memory is bounded whatever the
drill's size). One path (deterministic drill) is searched to the cent in its block. The answer is exact and the
same whatever the split over workers or the order of blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .model import HALF_CENT, Model
from .randomness import Draws
from .simulate import PathOutcomes, simulate_paths

#: Rounds of the search at most (each round re-simulates the paths not yet resolved, in one batch).
MAX_ROUNDS = 200
#: Rounds a Monte Carlo block narrows its own paths' brackets before storing them (the finish refines what matters).
BLOCK_ROUNDS = 1
#: Amounts per path and round in a block.
BLOCK_AMOUNTS = 3
#: The finishing refinement tries about this many paths x amounts per round, 4 to REFINE_AMOUNTS amounts per path
#: (few paths left: more amounts, fewer rounds).
REFINE_BATCH = 2400
#: The most paths x amounts the refinement simulates in one batch (memory), whatever the drill's size.
MAX_BATCH = 8000
#: The refinement keeps the regenerated draws of the paths it refines from round to round while they take at most
#: this (bytes); beyond it each round regenerates them block by block (memory bounded whatever the drill's size).
REFINE_CACHE_BYTES = 48 * 2**20
REFINE_AMOUNTS = 1024
#: "No passing amount known yet" (cents, 1e16 in money; also the answer if none is ever found, never seen).
CEILING_CENTS = 10**18


#: Per-path random inputs laid out day-major (days x paths); every other array field of Draws is path-major.
_DAY_MAJOR = frozenset({"flow_noise"})


def subset(draws: Draws, rows: np.ndarray) -> Draws:
    """The draws of some paths only (the same lender actions, step outcomes, noise and rating migration on them)."""
    changes: dict[str, Any] = {}  # arrays, for fields of several types
    for f in fields(draws):
        value = getattr(draws, f.name)
        if isinstance(value, np.ndarray):
            changes[f.name] = value[:, rows] if f.name in _DAY_MAJOR else value[rows]
    return replace(draws, **changes)


@dataclass
class Brackets:
    """Search state of some breaching paths (arrays of equal length): the need of path i is in (lo[i], hi[i]] cents.

    ``f_lo`` is the margin (lowest end-of-day cash - buffer + 0.005, < 0) at ``lo``; ``lo2`` / ``f_lo2`` the next
    highest failing amount and its margin (-1: none yet); ``hi`` is ``CEILING_CENTS`` while no passing amount is known.
    """

    lo: np.ndarray
    f_lo: np.ndarray
    lo2: np.ndarray
    f_lo2: np.ndarray
    hi: np.ndarray

    @classmethod
    def start(cls, outcomes: PathOutcomes, rows: np.ndarray) -> Brackets:
        n = rows.size
        return cls(
            lo=np.zeros(n, dtype=np.int64),
            f_lo=outcomes.buffer_margin[rows] + HALF_CENT,
            lo2=np.full(n, -1, dtype=np.int64),
            f_lo2=np.zeros(n),
            hi=np.full(n, CEILING_CENTS, dtype=np.int64),
        )

    @property
    def open(self) -> np.ndarray:
        return self.hi - self.lo > 1


def narrow(
    model: Model,
    draws: Draws,
    rows: np.ndarray,
    state: Brackets,
    policy_days: int,
    *,
    rounds: int = MAX_ROUNDS,
    amounts: int = 4,
    window: tuple[int, int] | None = None,
) -> None:
    """Narrow the brackets of paths ``rows`` of ``draws`` (in place) for up to ``rounds`` rounds, ``amounts`` per path.

    ``window`` (low, high) in cents: try only amounts strictly between them (the finishing refinement needs each
    path's need only where the drill's figure can still lie).
    """
    lo, f_lo, lo2, f_lo2, hi = state.lo, state.f_lo, state.lo2, state.f_lo2, state.hi
    active = np.arange(rows.size)
    spread = max(amounts, 3) - 2
    below_share = np.arange(1, spread // 2 + 1) / (spread // 2 + 1)
    above_share = np.arange(1, spread - spread // 2 + 1) / (spread - spread // 2 + 1)
    approach_share = np.linspace(0.95, 0.5, spread)
    for _ in range(rounds):
        active = active[hi[active] - lo[active] > 1]
        if active.size == 0:
            break
        low, high, f_low = lo[active], hi[active], f_lo[active]
        tried_low, tried_high = low, high
        if window is not None:
            tried_low, tried_high = np.maximum(low, window[0]), np.minimum(high, window[1])
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (f_low - f_lo2[active]) / ((low - lo2[active]) / 100.0)
        slope = np.where((lo2[active] >= 0) & (slope > 0.05), slope, 1.0)
        guess = low + np.minimum(np.ceil(-f_low / slope * 100.0), float(CEILING_CENTS))
        guess = np.clip(guess, tried_low + 1, np.minimum(tried_high, CEILING_CENTS - 1)).astype(np.int64)
        g, lw, hg = guess[:, None], tried_low[:, None], tried_high[:, None]
        split = np.concatenate([lw + (g - lw) * below_share, g + (hg - g) * above_share], axis=1)
        approach = lw + (g - lw) * approach_share
        more = np.where(hg < CEILING_CENTS, split, approach).astype(np.int64)
        # While no passing amount is known, also double and octuple the highest failing one: extra cash can be
        # absorbed (displaced draws repaid to a lender that cuts the line) so that the margin barely moves, and
        # the extrapolation alone would creep; the doubling finds an upper bound in a few rounds.
        ahead = np.where(hg < CEILING_CENTS, g, np.concatenate([lw * 2 + 100, lw * 8 + 10_000], axis=1))
        cand = np.clip(np.concatenate([g, g - 1, more, ahead], axis=1), lw + 1, hg - 1)

        paths = np.repeat(rows[active], cand.shape[1])
        trial = simulate_paths(
            model, subset(draws, paths), policy_days=policy_days, extra_cash=cand.reshape(-1) / 100.0, until=policy_days
        )
        passed = (trial.breach_day < 0).reshape(cand.shape)
        margin = (trial.buffer_margin + HALF_CENT).reshape(cand.shape)
        new_hi = np.minimum(high, np.where(passed, cand, CEILING_CENTS).min(axis=1))
        hi[active] = new_hi
        # The two highest failing amounts among those tried and those known (equal amounts count once).
        pool_x = np.concatenate([np.where(passed, -1, cand), low[:, None], lo2[active][:, None]], axis=1)
        pool_f = np.concatenate([margin, f_low[:, None], f_lo2[active][:, None]], axis=1)
        order = np.argsort(-pool_x, axis=1, kind="stable")
        x_sorted = np.take_along_axis(pool_x, order, axis=1)
        f_sorted = np.take_along_axis(pool_f, order, axis=1)
        distinct = x_sorted[:, 1:] < x_sorted[:, :1]
        pick = np.argmax(distinct, axis=1) + 1
        has_second = distinct.any(axis=1)
        rows_idx = np.arange(active.size)
        lo[active], f_lo[active] = x_sorted[:, 0], np.minimum(f_sorted[:, 0], -1e-9)
        lo2[active] = np.where(has_second, x_sorted[rows_idx, pick], -1)
        f_lo2[active] = np.where(has_second, f_sorted[rows_idx, pick], 0.0)


def block_brackets(
    model: Model, draws: Draws, outcomes: PathOutcomes, policy_days: int, *, rounds: int | None
) -> tuple[np.ndarray, Brackets]:
    """The breaching paths of a block (indices) and their brackets after ``rounds`` rounds (None: to the cent)."""
    rows = np.flatnonzero(outcomes.breach_day >= 0)
    state = Brackets.start(outcomes, rows)
    if rows.size:
        if rounds is None:  # to the cent here (one path: many amounts per round cost little)
            narrow(model, draws, rows, state, policy_days, amounts=int(np.clip(REFINE_BATCH // rows.size, 4, 64)))
        else:
            narrow(model, draws, rows, state, policy_days, rounds=rounds, amounts=BLOCK_AMOUNTS)
    return rows, state


@dataclass
class Candidates:
    """Breaching paths of many blocks in flat arrays: the block each is in, its index in that block, its bracket.

    Flat, so that what the finishing step keeps is a handful of arrays whatever the number of blocks."""

    block: np.ndarray
    row: np.ndarray
    brackets: Brackets

    @classmethod
    def of_block(cls, index: int, rows: np.ndarray, brackets: Brackets) -> Candidates:
        return cls(np.full(rows.size, index, dtype=np.int64), np.asarray(rows, dtype=np.int64), brackets)

    @classmethod
    def none(cls) -> Candidates:
        empty = np.zeros(0, np.int64)
        return cls(empty, empty.copy(), Brackets(empty.copy(), np.zeros(0), empty.copy(), np.zeros(0), empty.copy()))

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        names = [f.name for f in fields(Brackets)]
        return cls(
            np.concatenate([p.block for p in parts]),
            np.concatenate([p.row for p in parts]),
            Brackets(*(np.concatenate([getattr(p.brackets, n) for p in parts]) for n in names)),
        )

    def take(self, keep: np.ndarray) -> Candidates:
        return Candidates(
            self.block[keep],
            self.row[keep],
            Brackets(*(getattr(self.brackets, f.name)[keep] for f in fields(Brackets))),
        )

    @property
    def size(self) -> int:
        return int(self.row.size)


def order_statistic(k: int, candidates: Candidates, refine: Callable[[np.ndarray, int, tuple[int, int]], None]) -> int:
    """The k-th smallest need (cents, k >= 1) over the breaching paths ``candidates``, refined where it matters.

    Each round, the brackets that overlap the range where the k-th smallest need can still lie (between the k-th
    smallest lower and upper bound) are narrowed by one round of :func:`narrow` inside that range:
    ``refine(positions, amounts, window)`` narrows the brackets at those positions of ``candidates``, all in one
    batch. Ends when that range is a single cent.
    """
    brackets = candidates.brackets
    for _ in range(MAX_ROUNDS):
        floor = int(np.partition(brackets.lo + 1, k - 1)[k - 1])
        top = int(np.partition(brackets.hi, k - 1)[k - 1])
        if floor >= top:
            return top
        wanted = np.flatnonzero((brackets.hi >= floor) & (brackets.lo + 1 <= top) & brackets.open)
        if wanted.size == 0:  # cannot happen (some open bracket holds the range); the upper bound is safe
            return top
        refine(wanted, int(np.clip(REFINE_BATCH // wanted.size, 4, REFINE_AMOUNTS)), (floor - 1, top))
    return top


def draw_bytes(draws: Draws) -> int:
    """Bytes the arrays of ``draws`` take."""
    return sum(v.nbytes for f in fields(draws) if isinstance(v := getattr(draws, f.name), np.ndarray))


def gather(parts: Iterator[Draws], total: int) -> Draws:
    """The draws of several path sets one after another (the inverse of :func:`subset`), filled into arrays
    allocated once for ``total`` paths: the parts, regenerated one block at a time, are never all held."""
    out: Draws | None = None
    start = 0
    for part in parts:
        if out is None:
            changes: dict[str, Any] = {}
            for f in fields(part):
                value = getattr(part, f.name)
                if isinstance(value, np.ndarray):
                    shape = (
                        (value.shape[0], total, *value.shape[2:]) if f.name in _DAY_MAJOR else (total, *value.shape[1:])
                    )
                    changes[f.name] = np.empty(shape, dtype=value.dtype)
            out = replace(part, **changes)
        n = part.n_paths
        for f in fields(part):
            value = getattr(part, f.name)
            if isinstance(value, np.ndarray):
                target = getattr(out, f.name)
                if f.name in _DAY_MAJOR:
                    target[:, start : start + n] = value
                else:
                    target[start : start + n] = value
        start += n
    if out is None or start != total:
        raise ValueError(f"Gathered the draws of {start} paths, not {total}.")
    return out
