"""Small builders for engine inputs, so each test states only what it is about."""

from __future__ import annotations

from typing import Any

import numpy as np

from contingency.engine import inputs as ei
from contingency.engine.inputs import CHANNEL_TYPES, LENDER_ACTIONS
from contingency.engine.model import prepare
from contingency.engine.randomness import draw_block
from contingency.engine.simulate import PathOutcomes, simulate_paths


def line(key: str = "rcf", **overrides: Any) -> ei.ChannelInput:
    values: dict[str, Any] = {
        "key": key,
        "name": key.upper(),
        "channel_type": "revolving_credit",
        "committed": True,
        "status": "active",
        "limit": 0.0,
        "drawn": 0.0,
    }
    values.update(overrides)
    return ei.ChannelInput(**values)


def scenario(horizon: int, cash: float, flow: float | np.ndarray = 0.0, **overrides: Any) -> ei.ScenarioInput:
    flows = np.full(horizon, float(flow)) if np.isscalar(flow) else np.asarray(flow, dtype=float)
    return ei.ScenarioInput(horizon_days=horizon, opening_cash=cash, operating_flows=flows, **overrides)


def close(target: str, day: int = 0) -> ei.ShockInput:
    return ei.ShockInput(target_type="channel", target=target, action="close", day=day)


def worked_example(*, line_closes: bool, horizon: int = 60, **scenario_overrides: Any) -> ei.DrillInputs:
    """DESIGN.md: cash 1,000,000; -100,000 a day; a 2,000,000 revolver at 0%; buffer 0; plan: liquidate a
    500,000 money-market fund, haircut 2%, lead time 3 days, on the first shock."""
    shocks = (close("rcf", 0),) if line_closes else ()
    return ei.DrillInputs(
        scenario=scenario(horizon, 1_000_000, -100_000, shocks=shocks, **scenario_overrides),
        channels=(line("rcf", limit=2_000_000),),
        pools=(ei.PoolInput(key="mmf", kind="money_market_fund", amount=500_000, haircut=0.02, days_to_cash=3),),
        plan=ei.PlanInput(trigger="on_shock", steps=(ei.StepInput(order=1, action="liquidate_pool", pool_key="mmf"),)),
    )


def paths(inputs: ei.DrillInputs, block_index: int = 0, n_paths: int | None = None) -> PathOutcomes:
    """Per-path outcomes (with the daily liquidity) of one block, through the vectorised engine."""
    n = n_paths if n_paths is not None else min(inputs.scenario.paths, inputs.scenario.block_size)
    return simulate_paths(prepare(inputs), draw_block(inputs, block_index, n))


def random_inputs(rng: np.random.Generator, *, monte_carlo: bool) -> ei.DrillInputs:
    """A small random drill that exercises every rule (used to compare the engine with the reference loop)."""
    horizon = int(rng.integers(8, 30))
    n_channels = int(rng.integers(1, 6))
    channels = []
    for j in range(n_channels):
        limit = float(rng.choice([0.0, rng.uniform(50, 400)]))
        drawn = float(rng.uniform(0, 1.3) * limit) if rng.random() < 0.7 else 0.0
        principal = np.zeros(horizon)
        interest = np.zeros(horizon)
        if drawn > 0 and rng.random() < 0.7:
            days = rng.choice(horizon, size=int(rng.integers(1, 4)), replace=False)
            principal[days] = drawn * rng.dirichlet(np.ones(days.size)) * rng.uniform(0.3, 1.0)
            interest[days] = rng.uniform(0, 3, days.size)
        triggers = []
        for kind, chance in TRIGGER_CHANCES:
            if rng.random() < chance:
                triggers.append(_random_trigger(rng, kind, horizon))
        channels.append(
            line(
                f"c{j}",
                channel_type=str(rng.choice(CHANNEL_TYPES)),
                committed=bool(rng.random() < 0.5),
                status=str(rng.choice(["active", "active", "active", "reduced", "frozen", "closed", "matured"])),
                limit=limit,
                drawn=drawn,
                annual_rate=float(rng.choice([0.0, 0.03, 0.05, rng.uniform(0, 0.2)])),
                rolls_over=bool(rng.random() < 0.5),
                notice_days=int(rng.integers(0, 6)),
                maturity_day=int(rng.integers(-1, horizon + 3)) if rng.random() < 0.3 else None,
                principal_due=principal,
                interest_due=interest,
                counterparty_key=f"cp{int(rng.integers(0, 3))}",
                counterparty_pd_1y=float(rng.uniform(0, 0.1)),
                action_probability=float(rng.uniform(0, 1)) if rng.random() < 0.5 else None,
                triggers=tuple(triggers),
                revolving=None if rng.random() < 0.7 else bool(rng.random() < 0.5),
                day_count=str(rng.choice(["ACT/360", "ACT/365F", "30/360"])),
                start_day=int(rng.integers(1, horizon + 2)) if rng.random() < 0.2 else 0,
                frozen_until_day=int(rng.integers(0, horizon + 2)) if rng.random() < 0.6 else None,
                demand_day=int(rng.integers(0, horizon + 2)) if drawn > 0 and rng.random() < 0.25 else None,
                fee_due=np.where(rng.random(horizon) < 0.1, rng.uniform(0, 2, horizon), 0.0),
                recent_draw_days=tuple(int(d) for d in rng.integers(-10, 1, int(rng.integers(0, 4)))),
            )
        )
    pools = [
        ei.PoolInput(
            key="mmf", kind="money_market_fund", amount=float(rng.uniform(0, 300)), haircut=0.02, days_to_cash=2
        ),
        ei.PoolInput(key="recv", kind="receivables", amount=float(rng.uniform(0, 200)), haircut=0.1, days_to_cash=1),
        ei.PoolInput(key="standby", kind="backup_line", amount=float(rng.uniform(50, 300)), channel_key="c0"),
    ]
    actions = ["liquidate_pool", "factor_receivables", "cut_discretionary", "draw_backup_line", "other"]
    steps = []
    for order, action in enumerate(rng.permutation(actions)[: int(rng.integers(0, 5))], start=1):
        pool_key = {"liquidate_pool": "mmf", "factor_receivables": "recv", "draw_backup_line": "standby"}.get(action)
        if action == "liquidate_pool" and rng.random() < 0.3:
            pool_key = "mmf"  # a second step on the same pool is capped by what is left
        steps.append(
            ei.StepInput(
                order=order * 10,
                action=str(action),
                pool_key=pool_key,
                amount=float(rng.uniform(10, 200)) if (pool_key is None or rng.random() < 0.3) else None,
                lead_time_days=int(rng.integers(0, 5)) if rng.random() < 0.8 else None,
                cost_rate=float(rng.uniform(0, 0.05)),
                success_probability=float(rng.choice([0.0, 0.5, 0.9, 1.0])),
            )
        )
    plan = None
    if steps or rng.random() < 0.5:
        plan = ei.PlanInput(
            trigger=str(rng.choice(["on_shock", "below_threshold"])),
            threshold=float(rng.uniform(0, 400)),
            steps=tuple(steps),
        )
    shocks = []
    for _ in range(int(rng.integers(0, 4))):
        action = str(rng.choice(LENDER_ACTIONS))
        target_type = str(rng.choice(["channel", "channel_type", "counterparty", "all", "all_platforms"]))
        target = {
            "channel": f"c{int(rng.integers(0, n_channels))}",
            "channel_type": str(rng.choice(CHANNEL_TYPES)),
            "counterparty": f"cp{int(rng.integers(0, 3))}",
        }.get(target_type, "")
        shocks.append(
            ei.ShockInput(
                target_type=target_type,
                target=target,
                action=action,
                day=int(rng.integers(0, horizon + 2)),
                reduce_by=float(rng.uniform(0.1, 1.0)) if action == "reduce" else None,
                freeze_days=int(rng.integers(1, 6)) if action == "freeze" else None,
            )
        )
    for _ in range(int(rng.integers(0, 3))):
        shocks.append(ei.ShockInput(target_type="company", action="downgrade", day=int(rng.integers(0, horizon + 2)),
                                 notches=int(rng.integers(1, 6))))  # fmt: skip
    flows = rng.normal(-20, 40, horizon)
    flows[rng.random(horizon) < 0.5] = 0.0
    inflows = np.where(rng.random(horizon) < 0.6, rng.uniform(0, 60, horizon), 0.0)
    discretionary = np.where(rng.random(horizon) < 0.5, rng.uniform(0, 30, horizon), 0.0)
    return ei.DrillInputs(
        scenario=scenario(
            horizon,
            float(rng.uniform(-50, 400)),
            flows,
            discretionary_outflows=discretionary,
            operating_inflows=inflows,
            min_cash_buffer=float(rng.choice([0.0, rng.uniform(0, 100)])),
            shocks=tuple(shocks),
            own_rating_rank=int(rng.integers(3, 22)) if rng.random() < 0.7 else None,
            own_downgrade_notches=int(rng.integers(0, 12)),
            market_stress=float(rng.uniform(0, 2)),
            kind="monte_carlo" if monte_carlo else "deterministic",
            paths=int(rng.integers(5, 25)) if monte_carlo else 1,
            seed=int(rng.integers(0, 1000)),
            hazard_multiplier=float(rng.uniform(0.5, 3)),
            operating_volatility=float(rng.choice([0.0, 0.3])) if monte_carlo else 0.0,
            mc_reduce_by=float(rng.uniform(0.1, 0.9)),
            mc_freeze_days=int(rng.integers(1, 6)),
            no_credit_uncommitted=bool(rng.random() < 0.2),
        ),
        channels=tuple(channels),
        pools=tuple(pools),
        plan=plan,
    )


TRIGGER_CHANCES = (
    ("own_rating_below", 0.3),
    ("utilisation_above", 0.3),
    ("utilisation_below", 0.2),
    ("any_overdue", 0.25),
    ("borrowing_frequency", 0.25),
    ("inflow_drop", 0.2),
)


def _random_trigger(rng: np.random.Generator, kind: str, horizon: int) -> ei.TriggerInput:
    action = str(rng.choice(LENDER_ACTIONS))
    return ei.TriggerInput(
        kind=kind,
        action=action,
        rating_rank=int(rng.integers(3, 21)) if kind == "own_rating_below" else None,
        level=float(rng.uniform(0.3, 1.0))
        if kind in ("utilisation_above", "utilisation_below", "inflow_drop")
        else None,
        days=int(rng.integers(1, 6)) if kind in ("utilisation_above", "utilisation_below", "inflow_drop") else None,
        count=int(rng.integers(1, 5)) if kind == "borrowing_frequency" else None,
        window_days=int(rng.integers(1, 8)) if kind == "borrowing_frequency" else None,
        grace_days=int(rng.integers(0, 3)) if kind == "any_overdue" else None,
        reduce_by=float(rng.uniform(0.1, 1.0)) if action == "reduce" else None,
        freeze_days=int(rng.integers(1, 6)) if action == "freeze" else None,
    )
