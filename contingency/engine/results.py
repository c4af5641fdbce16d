"""The exact combination of block results, and the drill result.

:class:`DrillAccumulator` folds block results (:mod:`.blocks`) in any order into integer counts, exact integer-cent
sums and exact minima/maxima, so the :class:`DrillResult` is bit-identical however the blocks were split, ordered or
distributed, in memory that does not grow with the number of blocks: per block it keeps nothing but its index, and
of the extra-liquidity brackets only those that can still decide the figure (:meth:`DrillAccumulator.add`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np

from .blocks import FAN_PERCENTILES, RANK_BINS, BlockResult, fan_days
from .extra import Candidates, order_statistic
from .inputs import LENDER_ACTIONS, DrillInputs
from .model import prepare
from .sketch import fan_grid, metric_grid, money_quantile, quantile_from_counts, quantile_rank

__all__ = ["BlockResult", "DrillAccumulator", "DrillResult", "fan_days", "paths_to_decide", "wilson_interval"]

#: The normal quantile of a two-sided 95 % interval.
Z95 = NormalDist().inv_cdf(0.975)
VERDICTS: tuple[str, ...] = ("met", "not_met", "inconclusive", "not_tested")
#: Blocks' brackets kept apart at most before they are merged into one flat set (nothing kept per block).
MERGE_PARTS = 16


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95 % by default)."""
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def paths_to_decide(p: float, target: float, z: float = Z95) -> int | None:
    """How many paths would decide an inconclusive verdict if the estimate stayed at p (None when p == target).

    The Wilson interval holds exactly the proportions pi with |p - pi| <= z sqrt(pi (1 - pi) / n), so it leaves the
    target out once the half-width at the target, z sqrt(target (1 - target) / n), is below |p - target|: the
    smallest such n.
    """
    if p == target:
        return None
    n = math.floor(z * z * target * (1 - target) / (p - target) ** 2) + 1
    return max(n, 1)


def paths_required(paths: int, target: float) -> int:
    """D16: how many paths must keep the buffer for the policy to be met: one path itself; of a Monte Carlo run,
    ``ceil(target x n)`` (the target read exactly as written, so 0.99 x 100 is 99, not 100)."""
    return 1 if paths == 1 else math.ceil(Fraction(repr(float(target))) * paths)


def _money(value: float) -> float:
    return round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def _day_or_none(value: int, horizon: int) -> int | None:
    return None if value >= horizon else int(value)


@dataclass(frozen=True)
class DrillResult:
    """The result of a drill. ``to_dict()`` is what the Django side stores and the API returns.

    One path (deterministic drill): ``survived`` is a bool, ``runway_days``, ``gap_day``, ``closing_step`` (the
    step's plan ``order``) and ``plan_activation_day`` are ints or None, and the money figures are the path's own.
    Many paths: ``survived`` is None and those four are dicts (see the package docstring); ``contingency_used`` /
    ``contingency_cost`` are means over paths; ``min_liquidity`` / ``min_liquidity_day`` / ``deepest_deficit`` are
    those of the worst path.
    """

    horizon_days: int
    paths: int
    seed: int
    kind: str
    block_size: int
    target_survival_probability: float
    survived: bool | None
    survival_probability: float
    runway_days: int | None | dict[str, Any]
    min_liquidity: float
    min_liquidity_day: int
    liquidity_at_risk_95: float
    liquidity_at_risk_99: float
    extra_liquidity_needed: float | None
    deepest_deficit: float
    contingency_used: float
    contingency_cost: float
    gap_day: int | None | dict[str, Any]
    closing_step: int | None | dict[str, Any]
    plan_activation_day: int | None | dict[str, Any]
    fan: dict[str, list[float] | list[int]]
    channel_impact: list[dict[str, Any]] | None = None
    policy: dict[str, Any] | None = None
    lender_actions: list[dict[str, Any]] | None = None
    own_rating: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrillResult:
        values: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass
class DrillAccumulator:
    """Folds :class:`BlockResult` objects into exact, order-independent aggregates."""

    horizon: int
    step_orders: tuple[int, ...]
    paths: int = 0
    blocks: set[int] = field(default_factory=set)
    runway_hist: np.ndarray = field(init=False)
    gap_hist: np.ndarray = field(init=False)
    activation_hist: np.ndarray = field(init=False)
    closing_hist: np.ndarray = field(init=False)
    min_liq_hist: np.ndarray = field(init=False)
    breach_hist: np.ndarray = field(init=False)
    # The extra-liquidity brackets of the breaching paths that can still decide D16's order statistic, in flat
    # arrays (about 56 bytes per such path, nothing per block; ``extra_rank``: see :meth:`_prune_extra`), the last
    # few blocks' still apart in ``extra_parts``; ``settle_extra`` refines what it requires and stores it in
    # ``extra_cents``. ``extra_dropped``: brackets dropped because they cannot decide it.
    extra_rank: int | None = None
    extra_parts: list[Candidates] = field(default_factory=list)
    extra_dropped: int = 0
    extra_kept: int = 0
    extra_prune_at: int = 0
    extra_searched: bool = True
    extra_cents: int | None = None
    # The fan sketch, dense over (fan day, bucket): counts and the exact min / max of each cell (a fixed ~18 MB).
    fan_counts: np.ndarray = field(init=False)
    fan_min: np.ndarray = field(init=False)
    fan_max: np.ndarray = field(init=False)
    worst: tuple[float, int] = (np.inf, 0)
    best_min_liq: float = -np.inf
    deficit_max: float = 0.0
    runway_sum: int = 0
    used_cents: int = 0
    cost_cents: int = 0
    # What the lenders did (per source: paths acting per day, liquidity lost in cents, actions) and own ratings.
    action_hist: np.ndarray | None = None
    action_lost: np.ndarray | None = None
    action_kinds: np.ndarray | None = None
    final_ranks: np.ndarray = field(default_factory=lambda: np.zeros(RANK_BINS, dtype=np.int64))
    daily_rank: np.ndarray | None = None

    def __post_init__(self) -> None:
        size = self.horizon + 1  # the last slot means "never" (survived, no gap, not activated)
        self.runway_hist = np.zeros(size, dtype=np.int64)
        self.gap_hist = np.zeros(size, dtype=np.int64)
        self.activation_hist = np.zeros(size, dtype=np.int64)
        self.breach_hist = np.zeros(size, dtype=np.int64)
        self.closing_hist = np.zeros(len(self.step_orders) + 1, dtype=np.int64)
        self.min_liq_hist = np.zeros(metric_grid().size, dtype=np.int64)
        cells = fan_days(self.horizon).size * fan_grid().size
        self.fan_counts = np.zeros(cells, dtype=np.int64)
        self.fan_min = np.full(cells, np.inf)
        self.fan_max = np.full(cells, -np.inf)

    def add(self, block: BlockResult) -> None:
        if block.block_index in self.blocks:
            raise ValueError(f"Block {block.block_index} was given twice.")
        self.blocks.add(block.block_index)
        horizon = self.horizon
        grid = metric_grid()
        self.paths += block.n_paths

        def days(values: np.ndarray) -> np.ndarray:
            return np.bincount(np.where(values < 0, horizon, values), minlength=horizon + 1)

        self.runway_hist += days(block.runway)
        self.gap_hist += days(block.gap_day)
        self.activation_hist += days(block.activation_day)
        if block.breach_day.size != block.n_paths:
            raise ValueError(f"Block {block.block_index} has no buffer-breach days (stored by an older version).")
        self.breach_hist += days(block.breach_day)
        if block.extra_searched:
            if block.extra_rows.size:
                self.extra_parts.append(Candidates.of_block(block.block_index, block.extra_rows, block.brackets))
                self.extra_kept += block.extra_rows.size
                if self.extra_rank is not None and self.extra_kept >= self.extra_prune_at:
                    self._prune_extra()
                elif len(self.extra_parts) > MERGE_PARTS:
                    self._merged_extra()
        else:
            self.extra_searched = False
        self.closing_hist += np.bincount(block.closing_step + 1, minlength=len(self.step_orders) + 1)
        buckets, counts = np.unique(grid.index(block.min_liquidity), return_counts=True)  # not a grid-sized array
        self.min_liq_hist[buckets] += counts
        self.runway_sum += int(block.runway[block.runway >= 0].sum())
        self.used_cents += sum(np.rint(block.contingency_used * 100.0).astype(np.int64).tolist())
        self.cost_cents += sum(np.rint(block.contingency_cost * 100.0).astype(np.int64).tolist())
        worst_path = int(np.lexsort((block.min_liquidity_day, block.min_liquidity))[0])
        candidate = (float(block.min_liquidity[worst_path]), int(block.min_liquidity_day[worst_path]))
        self.worst = min(self.worst, candidate)
        self.best_min_liq = max(self.best_min_liq, float(block.min_liquidity.max()))
        self.deficit_max = max(self.deficit_max, float(block.deepest_deficit.max()))
        self._add_lender_actions(block)
        cells = block.fan_cells  # unique within a block
        self.fan_counts[cells] += block.fan_counts
        self.fan_min[cells] = np.minimum(self.fan_min[cells], block.fan_cell_min)
        self.fan_max[cells] = np.maximum(self.fan_max[cells], block.fan_cell_max)

    def _add_lender_actions(self, block: BlockResult) -> None:
        n_src = block.action_lost_cents.size
        if self.action_hist is None:
            self.action_hist = np.zeros(n_src * self.horizon, dtype=np.int64)
            self.action_lost = np.zeros(n_src, dtype=np.int64)
            self.action_kinds = np.zeros(n_src * 4, dtype=np.int64)
        if self.action_lost is None or self.action_lost.size != n_src:
            raise ValueError(f"Block {block.block_index} reports {n_src} sources of lender actions, not as the others.")
        assert self.action_kinds is not None
        np.add.at(self.action_hist, block.action_cells, block.action_cell_counts)
        self.action_lost += block.action_lost_cents
        self.action_kinds += block.action_kind_counts
        if block.final_rank_counts.size:
            self.final_ranks += block.final_rank_counts
        if block.daily_rank.size:
            self.daily_rank = block.daily_rank

    def _lender_actions(self, inputs: DrillInputs) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Rows of what the lenders did (DESIGN's ``lender_actions``) and the company's own rating over the drill."""
        model = prepare(inputs)
        n, horizon = self.paths, self.horizon
        rows: list[dict[str, Any]] = []
        if self.action_hist is not None and self.action_lost is not None and self.action_kinds is not None:
            hist = self.action_hist.reshape(-1, horizon)
            kinds = self.action_kinds.reshape(-1, 4)
            for index, source in enumerate(model.sources):
                acted = int(hist[index].sum())
                if not acted:
                    continue
                channel = inputs.channels[source.channel_index]
                row: dict[str, Any] = {
                    "channel": channel.key,
                    "name": channel.name,
                    "source": source.source,
                    "kind": source.kind,
                    "action": source.action or LENDER_ACTIONS[int(np.argmax(kinds[index]))],
                }
                if n == 1:
                    row["day"] = int(np.argmax(hist[index]))
                    row["liquidity_lost"] = _money(self.action_lost[index] / 100.0)
                else:
                    row.update(
                        paths=acted,
                        share=acted / n,
                        p50_day=quantile_from_counts(hist[index], 0.5),
                        liquidity_lost=_money(self.action_lost[index] / acted / 100.0),  # mean where it acted
                    )
                    if source.source == "random":
                        row["by_action"] = {a: int(c) for a, c in zip(LENDER_ACTIONS, kinds[index], strict=True) if c}
                rows.append(row)
        rows.sort(key=lambda r: (r.get("day", r.get("p50_day", 0)), -r["liquidity_lost"]))
        start = None if model.own_rank0 < 0 else model.own_rank0
        own: dict[str, Any] = {"start_rank": start}
        if start is not None and n == 1 and self.daily_rank is not None:
            ranks = [start, *self.daily_rank.tolist()]
            own["changes"] = [
                {"day": day, "rank": ranks[day + 1]} for day in range(horizon) if ranks[day + 1] != ranks[day]
            ]
        elif start is not None:
            worse = int(self.final_ranks[start + 2 :].sum())
            own.update(downgraded_paths=worse, share=worse / n)
        return rows, own

    def _fan(self) -> dict[str, list[float] | list[int]]:
        """Daily percentiles: the cell holding the rank, then linear between the cell's exact min and max."""
        size = fan_grid().size
        days = fan_days(self.horizon)
        counts = self.fan_counts.reshape(days.size, size)
        cumulative = np.cumsum(counts, axis=1)
        rows = np.arange(days.size)
        fan: dict[str, list[float] | list[int]] = {"days": days.tolist()}
        for pct in FAN_PERCENTILES:
            rank = quantile_rank(pct / 100.0, self.paths)
            buckets = (cumulative < rank).sum(axis=1)
            cells = rows * size + buckets
            in_cell = counts[rows, buckets]
            before = cumulative[rows, buckets] - in_cell
            low, high = self.fan_min[cells], self.fan_max[cells]
            share = np.where(in_cell > 1, (rank - before - 1) / np.maximum(in_cell - 1, 1), 0.0)
            fan[f"p{pct}"] = [_money(v) for v in low + (high - low) * share]
        return fan

    def result(self, inputs: DrillInputs, channel_impact: list[dict[str, Any]] | None = None) -> DrillResult:
        scenario = inputs.scenario
        if self.paths != scenario.paths:
            raise ValueError(f"The blocks hold {self.paths} paths; the drill has {scenario.paths}.")
        horizon = self.horizon
        grid = metric_grid()
        n = self.paths
        survived_paths = int(self.runway_hist[horizon])
        shortfall_paths = n - survived_paths
        target = scenario.target_survival_probability
        lowest_liq, worst_day = self.worst
        lar95 = money_quantile(grid, self.min_liq_hist, 0.05, lowest_liq, self.best_min_liq, "low")
        lar99 = money_quantile(grid, self.min_liq_hist, 0.01, lowest_liq, self.best_min_liq, "low")
        orders = self.step_orders
        lender_actions, own_rating = self._lender_actions(inputs)

        if n == 1:
            runway: Any = _day_or_none(int(np.argmax(self.runway_hist)), horizon)
            gap: Any = _day_or_none(int(np.argmax(self.gap_hist)), horizon)
            activation: Any = _day_or_none(int(np.argmax(self.activation_hist)), horizon)
            position = int(np.argmax(self.closing_hist)) - 1
            closing: Any = None if position < 0 else orders[position]
            survived: bool | None = survived_paths == 1
        else:
            survived = None
            at_target = quantile_from_counts(self.runway_hist, 1 - Fraction(repr(float(target))))
            runway = {
                "at_target": _day_or_none(at_target, horizon),
                "p1": _day_or_none(quantile_from_counts(self.runway_hist, 0.01), horizon),
                "p5": _day_or_none(quantile_from_counts(self.runway_hist, 0.05), horizon),
                "p50": _day_or_none(quantile_from_counts(self.runway_hist, 0.50), horizon),
                "mean_if_shortfall": round(self.runway_sum / shortfall_paths, 2) if shortfall_paths else None,
                "shortfall_paths": shortfall_paths,
            }
            gap = self._day_summary(self.gap_hist, "paths_with_gap")
            activation = self._day_summary(self.activation_hist, "activated_paths")
            closing = {
                "paths_with_gap": int(self.gap_hist[:horizon].sum()),
                "closed_by_step": {str(order): int(self.closing_hist[i + 1]) for i, order in enumerate(orders)},
                "not_closed": int(self.gap_hist[:horizon].sum() - self.closing_hist[1:].sum()),
            }
        return DrillResult(
            horizon_days=horizon,
            paths=n,
            seed=scenario.seed,
            kind=scenario.kind,
            block_size=scenario.block_size,
            target_survival_probability=target,
            survived=survived,
            survival_probability=survived_paths / n,
            runway_days=runway,
            min_liquidity=_money(lowest_liq),
            min_liquidity_day=int(worst_day),
            liquidity_at_risk_95=_money(lar95),
            liquidity_at_risk_99=_money(lar99),
            extra_liquidity_needed=self._extra_needed(),
            deepest_deficit=_money(self.deficit_max),
            contingency_used=_money(self.used_cents / n / 100.0),
            contingency_cost=_money(self.cost_cents / n / 100.0),
            gap_day=gap,
            closing_step=closing,
            plan_activation_day=activation,
            fan=self._fan(),
            channel_impact=channel_impact,
            policy=self._policy(scenario),
            lender_actions=lender_actions,
            own_rating=own_rating,
        )

    def _kept(self) -> int:
        """Paths that keep the buffer over the policy window."""
        return int(self.breach_hist[self.horizon])

    @classmethod
    def for_inputs(cls, inputs: DrillInputs) -> DrillAccumulator:
        """The accumulator of a drill: its horizon, its plan's steps, and the rank D16 takes (:meth:`_prune_extra`)."""
        scenario = inputs.scenario
        orders = tuple(s.order for s in inputs.plan.ordered_steps) if inputs.plan is not None else ()
        required = paths_required(scenario.paths, scenario.target_survival_probability)
        return cls(horizon=scenario.horizon_days, step_orders=orders, extra_rank=scenario.paths - required + 1)

    def _prune_extra(self) -> None:
        """Drop the brackets that can no longer decide the extra liquidity, so that what is kept stays bounded.

        Why the figure is unchanged. D16 takes the k-th smallest need of the B breaching paths, k = r - kept, r the
        paths the policy requires (:meth:`extra_short`); as B = n - kept, that is the m-th *largest* need with
        m = n - r + 1 (``extra_rank``), fixed before any block is seen. Every bracket holds its path's need in
        (lo, hi]. Let L be the m-th largest lower bound lo + 1 among the brackets kept so far; at least m needs are
        >= L, and L only grows (more paths, and refining only raises lo). A path with hi < L therefore has a need
        strictly below the m-th largest, now and at the end, and :func:`.extra.order_statistic` never touches it:
        its ``floor`` (the k-th smallest lo + 1 = the m-th largest) is >= L > hi, so the bracket is never refined,
        and removing values strictly below the m-th largest of lo + 1 (and of hi >= lo + 1) changes neither that
        floor nor the ``top`` (the m-th largest hi). Every round then sees the same floor, top and set of paths to
        refine (so the same number of amounts per path and the same window), and each path's trials depend only on
        its own bracket: the rounds and the answer are the very same. :meth:`settle_extra` asks for the
        (k - dropped)-th smallest of what is kept, which is that same m-th largest.

        Runs whenever what is kept has doubled since the last pruning (amortised linear); what is kept is about the
        m paths at the top plus those whose bracket overlaps the m-th largest lower bound.
        """
        assert self.extra_rank is not None
        m = self.extra_rank
        merged = self._merged_extra()
        if merged.size >= m:
            lows = merged.brackets.lo + 1
            floor = int(np.partition(lows, lows.size - m)[lows.size - m])
            kept = merged.take(merged.brackets.hi >= floor)
            self.extra_parts = [kept]
            self.extra_dropped += merged.size - kept.size
            self.extra_kept = kept.size
        self.extra_prune_at = max(2 * self.extra_kept, 2 * m, 1024)

    def _merged_extra(self) -> Candidates:
        """The brackets kept, as one flat set (the parts of the last blocks merged into it)."""
        if len(self.extra_parts) != 1:
            self.extra_parts = [Candidates.concat(self.extra_parts)] if self.extra_parts else [Candidates.none()]
        return self.extra_parts[0]

    def extra_short(self, target: float) -> int:
        """D16: how many breaching paths must keep the buffer too for the policy to be met (<= 0: met already).

        One path: itself. Monte Carlo: the policy needs ``ceil(target x n)`` paths keeping the buffer (the point
        estimate reaching the target); those that keep it already count.
        """
        return paths_required(self.paths, target) - self._kept()

    def settle_extra(self, target: float, refine: Callable[..., None]) -> None:
        """Find the exact D16 amount: the k-th smallest need of the breaching paths (k = :meth:`extra_short`).

        Each breaching path counts once the extra cash reaches its need, so that order statistic is the smallest
        amount that meets the policy. ``refine(positions, amounts, window)`` re-simulates paths of the candidates
        (:class:`.extra.Candidates`, flat over the blocks) to narrow their brackets.
        """
        if not self.extra_searched:
            self.extra_cents = None
            return
        short = self.extra_short(target)
        if self.extra_rank is not None:
            self._prune_extra()
        candidates = self._merged_extra()
        self.extra_cents = 0 if short <= 0 else order_statistic(short - self.extra_dropped, candidates, refine)

    def _extra_needed(self) -> float | None:
        return None if self.extra_cents is None else _money(self.extra_cents / 100.0)

    def _policy(self, scenario: Any) -> dict[str, Any]:
        """The verdict (D13-D15) and what it rests on."""
        n = self.paths
        horizon = self.horizon
        policy_horizon = scenario.policy_horizon_days or horizon
        target = float(scenario.target_survival_probability)
        kept = self._kept()
        breaches = n - kept
        tested = horizon >= policy_horizon
        breach_days = self.breach_hist[:horizon]
        policy: dict[str, Any] = {
            "horizon_days": policy_horizon,
            "days_judged": min(horizon, policy_horizon),
            "target_survival_probability": target,
            "probability": kept / n,
            "breach_paths": breaches,
        }
        if n == 1:
            verdict = "met" if kept else "not_met"
            breach_day = _day_or_none(int(np.argmax(self.breach_hist)), horizon)
            policy.update(standard_error=None, ci_low=None, ci_high=None, paths_to_decide=None)
        else:
            p = kept / n
            low, high = wilson_interval(kept, n)
            verdict = "met" if low >= target else "not_met" if high < target else "inconclusive"
            breach_day = quantile_from_counts(breach_days, 0.5) if breaches else None
            policy.update(
                standard_error=math.sqrt(p * (1.0 - p) / n),
                ci_low=low,
                ci_high=high,
                paths_to_decide=paths_to_decide(p, target) if verdict == "inconclusive" else None,
            )
        policy["verdict"] = verdict if tested else "not_tested"
        policy["buffer_breach_day"] = breach_day
        return policy

    def _day_summary(self, hist: np.ndarray, label: str) -> dict[str, Any]:
        horizon = self.horizon
        count = int(hist[:horizon].sum())
        median = quantile_from_counts(hist[:horizon], 0.5) if count else None
        return {label: count, "share": count / self.paths, "p50": median}
