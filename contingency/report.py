"""One typed reading of a drill's stored ``results``: every page, export, alert and e-mail reads a run through here.

The engine writes the dict (``contingency.engine.results.DrillResult.to_dict``); this module is the only place that
knows its keys. It reads defensively: results stored by an older version lack the ``policy`` object (their verdict
is then unknown, None) or ``runway_days.at_target``.

Headline numbers, the same on every page:

* ``verdict``: met, not_met, inconclusive or not_tested (D13-D15); ``passed`` is True only for met.
* ``runway``: one path, its first shortfall day; Monte Carlo, ``runway_days.at_target``, the (1 - target) quantile
  of the per-path runway (the 1 % quantile for a 99 % target). None: survives the horizon.
* ``extra_liquidity_needed``: the smallest day-0 cash that, added and re-run on the same paths, meets the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VERDICTS = ("met", "not_met", "inconclusive", "not_tested")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PolicyVerdict:
    """The contract's ``policy`` object."""

    verdict: str | None  # None: results from before the verdict existed
    horizon_days: int | None
    days_judged: int | None
    target_survival_probability: float | None
    probability: float | None  # share of paths keeping the buffer over the days judged
    standard_error: float | None
    ci_low: float | None
    ci_high: float | None
    buffer_breach_day: int | None  # one path: first breach day; Monte Carlo: median over the paths with a breach
    breach_paths: int | None
    paths_to_decide: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyVerdict:
        verdict = data.get("verdict")
        return cls(
            verdict=verdict if verdict in VERDICTS else None,
            horizon_days=_int(data.get("horizon_days")),
            days_judged=_int(data.get("days_judged")),
            target_survival_probability=_num(data.get("target_survival_probability")),
            probability=_num(data.get("probability")),
            standard_error=_num(data.get("standard_error")),
            ci_low=_num(data.get("ci_low")),
            ci_high=_num(data.get("ci_high")),
            buffer_breach_day=_int(data.get("buffer_breach_day")),
            breach_paths=_int(data.get("breach_paths")),
            paths_to_decide=_int(data.get("paths_to_decide")),
        )


@dataclass(frozen=True)
class DrillReport:
    """A finished drill's results, typed. Build it with :meth:`from_results`."""

    horizon_days: int | None
    paths: int
    seed: int | None
    survived: bool | None
    survival_probability: float | None
    runway: int | None  # the headline: one path's runway, or Monte Carlo runway_days.at_target
    runway_percentiles: dict[str, int | None]  # Monte Carlo: p1, p5, p50 (None = survives)
    shortfall_paths: int | None
    mean_runway_if_shortfall: float | None
    min_liquidity: float | None
    min_liquidity_day: int | None
    liquidity_at_risk_95: float | None
    liquidity_at_risk_99: float | None
    extra_liquidity_needed: float | None
    deepest_deficit: float | None
    contingency_used: float | None
    contingency_cost: float | None
    gap_day: int | None
    gap: dict[str, Any]  # Monte Carlo gap summary {paths_with_gap, share, p50}
    closing_step: int | None
    closing: dict[str, Any]  # Monte Carlo {paths_with_gap, closed_by_step, not_closed}
    plan_activation_day: int | None
    activation: dict[str, Any]  # Monte Carlo {activated_paths, share, p50}
    fan: dict[str, Any]
    channel_impact: list[dict[str, Any]]
    policy: PolicyVerdict
    raw: dict[str, Any] = field(repr=False)
    # What the lenders did: rows {channel, name, source, kind, action, day | paths, share, p50_day, liquidity_lost}
    lender_actions: list[dict[str, Any]] = field(default_factory=list)
    # The company's own rating: {start_rank, changes: [{day, rank}]} (one path) or {start_rank, downgraded_paths, share}
    own_rating: dict[str, Any] = field(default_factory=dict)

    @property
    def many(self) -> bool:
        return self.paths > 1

    @property
    def verdict(self) -> str | None:
        return self.policy.verdict

    @property
    def passed(self) -> bool | None:
        """True only when the policy is met; None when the verdict is unknown (older results)."""
        return None if self.policy.verdict is None else self.policy.verdict == "met"

    @property
    def runway_survives(self) -> bool:
        """The headline runway reaches the horizon (at the policy's confidence for Monte Carlo)."""
        return self.runway is None

    @classmethod
    def from_results(cls, results: Mapping[str, Any] | None, *, paths: int | None = None) -> DrillReport:
        r = dict(results or {})
        n = _int(r.get("paths")) or paths or 1
        runway = r.get("runway_days")
        percentiles: dict[str, int | None] = {}
        if isinstance(runway, dict):
            headline = _int(runway.get("at_target"))
            if "at_target" not in runway:  # stored before at_target: the percentile nearest below the target
                target = _num(r.get("target_survival_probability")) or 0.99
                headline = _int(runway.get("p5" if target <= 0.95 else "p1"))
            percentiles = {key: _int(runway.get(key)) for key in ("p1", "p5", "p50")}
            shortfall = _int(runway.get("shortfall_paths"))
            mean_short = _num(runway.get("mean_if_shortfall"))
        else:
            headline, shortfall, mean_short = _int(runway), None, None
        gap, closing, activation = r.get("gap_day"), r.get("closing_step"), r.get("plan_activation_day")
        survived = r.get("survived")
        return cls(
            horizon_days=_int(r.get("horizon_days")),
            paths=n,
            seed=_int(r.get("seed")),
            survived=survived if isinstance(survived, bool) else None,
            survival_probability=_num(r.get("survival_probability")),
            runway=headline,
            runway_percentiles=percentiles,
            shortfall_paths=shortfall,
            mean_runway_if_shortfall=mean_short,
            min_liquidity=_num(r.get("min_liquidity")),
            min_liquidity_day=_int(r.get("min_liquidity_day")),
            liquidity_at_risk_95=_num(r.get("liquidity_at_risk_95")),
            liquidity_at_risk_99=_num(r.get("liquidity_at_risk_99")),
            extra_liquidity_needed=_num(r.get("extra_liquidity_needed")),
            deepest_deficit=_num(r.get("deepest_deficit")),
            contingency_used=_num(r.get("contingency_used")),
            contingency_cost=_num(r.get("contingency_cost")),
            gap_day=_int(gap),
            gap=_dict(gap),
            closing_step=_int(closing),
            closing=_dict(closing),
            plan_activation_day=_int(activation),
            activation=_dict(activation),
            fan=_dict(r.get("fan")),
            channel_impact=[row for row in (r.get("channel_impact") or []) if isinstance(row, dict)],
            lender_actions=[row for row in (r.get("lender_actions") or []) if isinstance(row, dict)],
            own_rating=_dict(r.get("own_rating")),
            policy=PolicyVerdict.from_dict(_dict(r.get("policy"))),
            raw=r,
        )


def report_of(run: Any) -> DrillReport:
    """The typed results of a drill run (an empty report while it has none)."""
    return DrillReport.from_results(run.results if isinstance(run.results, dict) else None, paths=run.paths)
