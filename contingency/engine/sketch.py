"""Mergeable, exactly combinable quantile sketches on fixed grids of money values.

Every block counts its paths into the same buckets of a grid fixed in advance (not fitted to the data), counts are
integers, and the exact minimum and maximum are kept alongside (per sketch, or per cell for the fan). Merging
therefore gives bit-identical numbers in any order and any split, in memory bounded by the grid, not the paths.

* :class:`LogGrid` (per-path money metrics: minimum liquidity, deepest deficit): a value falls in a bucket of a
  signed geometric grid; ``|x| < lowest`` is the zero bucket; bucket k covers ``[lowest g**(k-1), lowest g**k)`` on
  the side of x's sign, plus one open-ended bucket per side. Boundaries come from repeated IEEE multiplication and
  are looked up with ``searchsorted`` (comparisons only), so no platform's ``log`` is involved.
* :class:`BitGrid` (the daily liquidity fan): buckets read from the exponent and top mantissa bits of |x|, integer
  arithmetic on the IEEE-754 representation, exact and much cheaper for millions of values.

A quantile uses the inverted-CDF rule (the smallest value whose cumulative share reaches q): its bucket is found by
the counts, then the value is the bucket's lower bound, upper bound or (fan) a linear read between the cell's exact
minimum and maximum, clamped into the sample's [minimum, maximum]. It is within one bucket of the sample quantile and
exact when all paths in the bucket agree (one path, identical paths, the zero bucket).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Protocol

import numpy as np


class _Stepped(Protocol):
    @property
    def steps(self) -> int: ...


class _SignedGrid:
    """What both grids share: ``steps`` buckets a side, the zero bucket between, one open-ended bucket per side."""

    @property
    def size(self: _Stepped) -> int:
        return 2 * self.steps + 3

    @property
    def zero(self: _Stepped) -> int:
        return self.steps + 1


@dataclass(frozen=True)
class LogGrid(_SignedGrid):
    lowest: float
    growth: float
    steps: int
    bounds: np.ndarray  # steps + 1 increasing positive boundaries, bounds[0] == lowest

    def index(self, values: np.ndarray) -> np.ndarray:
        """Bucket index (0 .. size-1, increasing with the value) of every value."""
        magnitude = np.searchsorted(self.bounds, np.abs(values), side="right")
        return np.where(values < 0, self.zero - magnitude, self.zero + magnitude).astype(np.int64)

    def value(self, index: np.ndarray, where: str) -> np.ndarray:
        """Lower bound, upper bound or midpoint of buckets (the open ends are +-inf; the zero bucket is 0)."""
        index = np.asarray(index, dtype=np.int64)
        magnitude = np.abs(index - self.zero)
        edges = np.concatenate(([0.0], self.bounds, [np.inf]))  # edges[m] is the lower edge of magnitude m
        inner, outer = edges[magnitude], edges[np.minimum(magnitude + 1, self.steps + 2)]
        negative = index < self.zero
        low = np.where(negative, -outer, inner)
        high = np.where(negative, -inner, outer)
        if where == "low":
            result = low
        elif where == "high":
            result = high
        else:
            with np.errstate(invalid="ignore"):
                result = np.where(
                    np.isfinite(low) & np.isfinite(high), (low + high) / 2.0, np.where(negative, low, high)
                )
        return np.where(magnitude == 0, 0.0, result)


@lru_cache(maxsize=8)
def log_grid(lowest: float, growth: float, steps: int) -> LogGrid:
    factors = np.full(steps + 1, growth)
    factors[0] = lowest
    bounds = np.cumprod(factors)
    bounds.setflags(write=False)
    return LogGrid(lowest=lowest, growth=growth, steps=steps, bounds=bounds)


def metric_grid() -> LogGrid:
    """Per-path money metrics (minimum liquidity, deficit): 0.01 .. 1e13, buckets 0.01% wide."""
    return log_grid(0.01, 1.0001, 345_406)


@dataclass(frozen=True)
class BitGrid(_SignedGrid):
    """A log-like grid read straight from the bits of a float64: exponent and top ``mantissa_bits`` of |x|.

    Bucket k >= 1 of a side covers ``[2**e (1 + j/2**m), 2**e (1 + (j+1)/2**m))`` for |x| in
    ``[2**lowest_exponent, 2**(lowest_exponent + octaves))``, so its relative width is at most ``2**-m``; below that
    range is the zero bucket, above it one open-ended bucket per side. Computing a bucket is integer arithmetic on
    the IEEE-754 representation: exact, platform-independent, and far cheaper than a search.
    """

    mantissa_bits: int
    lowest_exponent: int
    octaves: int

    @property
    def steps(self) -> int:
        return self.octaves << self.mantissa_bits

    def index(self, values: np.ndarray) -> np.ndarray:
        shift = 52 - self.mantissa_bits
        origin = (1023 + self.lowest_exponent) << self.mantissa_bits
        magnitude = (np.abs(values).view(np.int64) >> shift) - (origin - 1)
        np.clip(magnitude, 0, self.steps + 1, out=magnitude)
        return np.where(values < 0, self.zero - magnitude, self.zero + magnitude)


def fan_grid() -> BitGrid:
    """Daily liquidity fan: |liquidity| from 2**-7 (under a cent) to 2**50 (about 1.1e15), buckets <= 3.1 % wide.

    Coarse on purpose: a block stores one cell per occupied bucket and day, and the exact minimum and maximum of each
    cell make the read-out far finer than the bucket (linear within [min, max], exact for identical paths).
    """
    return BitGrid(mantissa_bits=5, lowest_exponent=-7, octaves=57)


def quantile_rank(q: float | Fraction, n: int) -> int:
    """1-based rank of the inverted-CDF q-quantile among n values, in exact rational arithmetic.

    A float q is read as the decimal it prints as (0.05 is 1/20); pass a ``Fraction`` for a derived level such as
    1 - target (1 - 0.99 is 0.010000000000000009 in floats, exactly 1/100 as ``1 - Fraction("0.99")``).
    """
    fraction = q if isinstance(q, Fraction) else Fraction(repr(float(q)))
    return min(max(math.ceil(fraction * n), 1), n)


def quantile_from_counts(counts: np.ndarray, q: float | Fraction) -> int:
    """Index of the bucket (or integer value) holding the q-quantile of a 1-D histogram."""
    cumulative = np.cumsum(counts)
    return int(np.searchsorted(cumulative, quantile_rank(q, int(cumulative[-1])), side="left"))


def money_quantile(grid: LogGrid, counts: np.ndarray, q: float, lowest: float, highest: float, where: str) -> float:
    bucket = quantile_from_counts(counts, q)
    return float(np.clip(grid.value(np.array([bucket]), where)[0], lowest, highest))
