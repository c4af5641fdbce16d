"""Which channel's loss hurts most: every channel closed on day 0, one at a time, deterministically."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .inputs import LENDER_ACTIONS, DrillInputs
from .model import prepare
from .randomness import no_draws
from .simulate import simulate_paths


def channel_impact(inputs: DrillInputs) -> list[dict[str, Any]]:
    """Rank channels by the harm of losing each one on day 0.

    The baseline is the scenario run deterministically (its explicit shocks and downgrade, no Monte Carlo
    actions, every plan step with success_probability > 0 working). For each channel the same drill is rerun with
    that channel also closed on day 0: no draws from it, its drawn amount runs off on its schedule (supply-chain
    finance snaps back at once). The closure does not activate an ``on_shock`` plan by itself, so the impact
    measures the channel's weight rather than the plan's reaction to a first shock (a plan activated by the
    scenario or by low liquidity still runs). All reruns are paths of one vectorised batch. Channels already
    closed or matured on day 0 are not rerun: their loss has already happened (impact 0).

    Each row: ``channel_key``, ``name``, ``channel_type``, ``runway_days`` (with the channel lost; None = survives),
    ``runway_impact_days`` (baseline runway - runway with the loss, counting survival as the horizon),
    ``min_liquidity`` (with the loss) and ``min_liquidity_impact`` (baseline - with the loss). Sorted by runway
    impact, then liquidity impact, both descending, then input order.
    """
    deterministic = inputs.replace_scenario(kind="deterministic", paths=1)
    model = prepare(deterministic)
    horizon = deterministic.scenario.horizon_days
    channels = deterministic.channels
    candidates = [i for i, c in enumerate(channels) if c.status not in ("closed", "matured")]
    draws = dataclasses.replace(no_draws(deterministic, 1 + len(candidates)), events_activate_plan=False)
    for row, i in enumerate(candidates, start=1):
        draws.event_day[row, i] = 0
        draws.event_kind[row, i] = LENDER_ACTIONS.index("close")
    outcomes = simulate_paths(model, draws)
    runway = np.where(outcomes.runway < 0, horizon, outcomes.runway)
    base_runway = int(runway[0])
    base_min = float(outcomes.min_liquidity[0])
    rows: list[dict[str, Any]] = []
    for i, channel in enumerate(channels):
        row = candidates.index(i) + 1 if i in candidates else 0
        lost_runway = int(runway[row])
        lost_min = float(outcomes.min_liquidity[row])
        rows.append(
            {
                "channel_key": channel.key,
                "name": channel.name,
                "channel_type": channel.channel_type,
                "runway_days": None if lost_runway >= horizon else lost_runway,
                "runway_impact_days": base_runway - lost_runway,
                "min_liquidity": round(lost_min, 2) + 0.0,
                "min_liquidity_impact": round(base_min - lost_min, 2) + 0.0,
                "_order": i,
            }
        )
    rows.sort(key=lambda r: (-r["runway_impact_days"], -r["min_liquidity_impact"], r["_order"]))
    for r in rows:
        del r["_order"]
    return rows
