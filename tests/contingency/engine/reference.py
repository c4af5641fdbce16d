"""The same drill model as :mod:`contingency.engine.simulate`, written as a plain per-path, per-day, per-channel Python loop.

It reads :class:`~.inputs.DrillInputs` directly (it does not share the prepared :class:`~.model.Model`), so it
is an independent statement of the rules; tests check that the vectorised engine agrees with it path by path
on many small random cases, deterministic and Monte Carlo (both consume the same :class:`~.randomness.Draws`).
It is far too slow for real runs, and a test oracle: it lives with the tests, not in the product; the benchmark
(benchmarks/bench_engine.py) uses it to measure the vectorised engine's speed-up.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from contingency.engine.inputs import LENDER_ACTIONS, NON_REVOLVING_TYPES, RANK_C, ChannelInput, DrillInputs
from contingency.engine.model import HALF_CENT
from contingency.engine.randomness import NEVER, Draws
from contingency.engine.simulate import PathOutcomes


class _Line:
    """One channel on one path."""

    def __init__(self, index: int, channel: ChannelInput, horizon: int, no_credit_uncommitted: bool) -> None:
        self.index = index
        self.c = channel
        self.limit = float(channel.limit)
        self.drawn = float(channel.drawn)
        self.drawn_new = 0.0
        self.shut = channel.status in ("closed", "matured") or (no_credit_uncommitted and not channel.committed)
        # Not open before its start day, nor before a recorded freeze ends (no end recorded: never in the horizon).
        self.frozen_until = channel.start_day
        if channel.status == "frozen":
            ends = NEVER if channel.frozen_until_day is None else channel.frozen_until_day
            self.frozen_until = max(self.frozen_until, ends)
        self.demand_day = NEVER if channel.demand_day is None else channel.demand_day
        self.per_year = 365.0 if channel.day_count == "ACT/365F" else 360.0
        self.maturity = NEVER if channel.maturity_day is None else max(channel.maturity_day, 0)
        self.principal = [float(x) for x in channel.principal_due] if channel.principal_due.size else [0.0] * horizon
        self.interest = [float(x) for x in channel.interest_due] if channel.interest_due.size else [0.0] * horizon
        self.revolving = (
            channel.revolving if channel.revolving is not None else (channel.channel_type not in NON_REVOLVING_TYPES)
        )
        self.scf = channel.channel_type == "supply_chain_finance"
        self.reserved = False
        self.util_count: dict[int, int] = {}
        self.fired: set[int] = set()
        self.draw_days: list[int] = list(channel.recent_draw_days)  # days with a draw (recorded ones are <= 0)
        self.drew_today = False

    def is_open(self, day: int) -> bool:
        return not self.shut and self.frozen_until <= day

    def headroom(self) -> float:
        return max(self.limit - self.drawn, 0.0)


def simulate_paths_reference(inputs: DrillInputs, draws: Draws) -> PathOutcomes:
    """Run every path of ``draws`` through the rules; same outputs as :func:`.simulate.simulate_paths`."""
    horizon = inputs.scenario.horizon_days
    n_paths = draws.n_paths
    results = [_run_path(inputs, draws, p) for p in range(n_paths)]
    liquidity = np.array([r["liquidity"] for r in results], dtype=np.float64).T.reshape(horizon, n_paths)

    def col(name: str, dtype: type) -> np.ndarray:
        return np.array([r[name] for r in results], dtype=dtype)

    return PathOutcomes(
        runway=col("runway", np.int64),
        min_liquidity=col("min_liquidity", np.float64),
        min_liquidity_day=col("min_liquidity_day", np.int64),
        deepest_deficit=col("deficit", np.float64),
        contingency_used=col("used", np.float64),
        contingency_cost=col("cost", np.float64),
        gap_day=col("gap_day", np.int64),
        closing_step=col("closing_step", np.int64),
        activation_day=col("activation_day", np.int64),
        final_cash=col("cash", np.float64),
        liquidity=liquidity,
        breach_day=col("breach_day", np.int64),
        buffer_margin=col("buffer_margin", np.float64),
        own_rank=np.array([r["own_rank"] for r in results], dtype=np.int16).T.reshape(horizon, n_paths),
        action_day=np.array([r["action_day"] for r in results], dtype=np.int64).T.reshape(-1, n_paths),
        action_lost=np.array([r["action_lost"] for r in results], dtype=np.float64).T.reshape(-1, n_paths),
        action_code=np.array([r["action_code"] for r in results], dtype=np.int8).T.reshape(-1, n_paths),
    )


def _run_path(inputs: DrillInputs, draws: Draws, p: int) -> dict[str, Any]:  # noqa: C901 - the rules, one after another
    scenario = inputs.scenario
    horizon = scenario.horizon_days
    buffer = scenario.min_cash_buffer
    lines = [_Line(i, c, horizon, scenario.no_credit_uncommitted) for i, c in enumerate(inputs.channels)]
    by_key = {line.c.key: line for line in lines}
    cheapest_first = sorted(lines, key=lambda line: (line.c.annual_rate, line.index))
    plan = inputs.plan
    steps = list(plan.ordered_steps) if plan is not None else []
    trigger = plan.trigger if plan is not None and steps else None

    step_info = []
    for step in steps:
        pool = inputs.pool(step.pool_key) if step.pool_key is not None else None
        line = None
        if pool is not None and pool.channel_key is not None:  # a backup line, whatever the step's action
            line = by_key[pool.channel_key]
            line.reserved = True
        capacity = step.amount if step.amount is not None else (pool.amount if pool is not None else math.inf)
        step_info.append(
            {
                "cut": step.action == "cut_discretionary",
                "capacity": capacity,
                "haircut": step.haircut if step.haircut is not None else (pool.haircut if pool else 0.0),
                "lead": step.lead_time_days if step.lead_time_days is not None else (pool.days_to_cash if pool else 0),
                "cost_rate": step.cost_rate,
                "pool": pool.key if pool is not None and line is None else None,
                "line": line,
                "ok": bool(draws.step_ok[p, len(step_info)]),
                "cut_left": capacity,
                "delivered": 0.0,
            }
        )
    pool_left = {pool.key: pool.amount for pool in inputs.pools}

    interest_total = [0.0] * horizon
    for channel in inputs.channels:
        if channel.interest_due.size:
            interest_total = [a + float(b) for a, b in zip(interest_total, channel.interest_due, strict=True)]
        if channel.fee_due.size:
            interest_total = [a + float(b) for a, b in zip(interest_total, channel.fee_due, strict=True)]

    rank = scenario.own_rating_rank  # the company's own rating rank, None: unknown
    noise = draws.flow_noise
    inflows = [float(x) for x in scenario.operating_inflows]
    realised_inflows: list[float] = []
    overdue = 0
    spiralled = False
    rank_by_day: list[int] = []

    # Sources of lender actions, numbered as the report numbers them: each shock's channels (cheapest first), each
    # trigger (channels in input order), then each channel's drawn actions.
    source_of: dict[tuple, int] = {}
    for k, shock in enumerate(scenario.shocks):
        if shock.day < horizon and not shock.is_downgrade:
            for line in cheapest_first:
                if shock.matches(line.c):
                    source_of[("shock", k, line.index)] = len(source_of)
    for line in lines:
        for j in range(len(line.c.triggers)):
            source_of[("trigger", line.index, j)] = len(source_of)
    for line in lines:
        source_of[("random", line.index)] = len(source_of)
    act_day = [NEVER] * len(source_of)
    act_lost = [0.0] * len(source_of)
    act_code = [-1] * len(source_of)

    def liquidity_of(line: _Line, day: int) -> float:
        return line.headroom() if line.is_open(day) and not line.reserved else 0.0

    state = {"cash": float(scenario.opening_cash), "activation": NEVER}

    def pay(line: _Line, amount: float) -> None:
        line.drawn_new -= min(line.drawn_new, amount)
        line.drawn -= amount
        state["cash"] -= amount

    def apply(line: _Line, action: str, reduce_by: float, freeze_days: int, day: int, source: int) -> None:
        before, drawn_before = liquidity_of(line, day), line.drawn
        demanded = act(line, action, reduce_by, freeze_days, day, drawn_before)
        if act_day[source] > day:
            act_code[source] = LENDER_ACTIONS.index(action)
        act_day[source] = min(act_day[source], day)
        act_lost[source] += before - liquidity_of(line, day) + demanded

    def act(line: _Line, action: str, reduce_by: float, freeze_days: int, day: int, drawn_before: float) -> float:
        """The lender's action; returns what it demands (what it makes fall due, at once or after the notice)."""
        demanded = 0.0
        if action == "close":
            line.shut = True
            if line.scf:
                demanded = drawn_before
                pay(line, line.drawn)
        elif action == "freeze":
            if line.shut:
                return 0.0
            line.frozen_until = max(line.frozen_until, day + freeze_days)
            if line.scf:
                demanded = drawn_before
                pay(line, line.drawn)
        elif action == "reduce":
            line.limit = line.limit * (1.0 - reduce_by)
            excess = line.drawn - line.limit
            if excess > 0:
                demanded = excess
                if line.scf or line.c.notice_days == 0:
                    pay(line, excess)
                else:
                    line.demand_day = min(line.demand_day, day + line.c.notice_days)
        else:  # call
            line.shut = True
            line.limit = 0.0
            demanded = drawn_before
            if line.scf or line.c.notice_days == 0:
                pay(line, line.drawn)
            else:
                line.demand_day = min(line.demand_day, day + line.c.notice_days)
        return demanded

    def deliver(day: int) -> float:
        got = 0.0
        disc_left = float(scenario.discretionary_outflows[day])
        for info in step_info:
            if not info["ok"] or state["activation"] == NEVER:
                continue
            x = 0.0
            if info["cut"]:
                if disc_left <= 0 or state["activation"] + info["lead"] > day:
                    continue
                x = min(disc_left, info["cut_left"])
                info["cut_left"] -= x
                disc_left -= x
            else:
                if state["activation"] + info["lead"] != day:
                    continue
                net = info["capacity"] * (1.0 - info["haircut"]) if math.isfinite(info["capacity"]) else math.inf
                line = info["line"]
                if line is not None:
                    if line.is_open(day):
                        x = min(net, line.headroom())
                        line.drawn += x
                        line.drawn_new += x
                        line.drew_today = line.drew_today or x > 0
                elif info["pool"] is not None:
                    gross = min(info["capacity"], pool_left[info["pool"]])
                    pool_left[info["pool"]] -= gross
                    x = gross * (1.0 - info["haircut"])
                else:
                    x = net
            out["used"] += x
            out["cost"] += x * info["cost_rate"]
            x -= x * info["cost_rate"]  # the cost is paid out of what the step brings
            state["cash"] += x
            info["delivered"] += x
            got += x
        return got

    out = {"used": 0.0, "cost": 0.0}
    runway = -1
    min_liq = math.inf
    min_day = 0
    deficit = 0.0
    gap_day = -1
    lowest = [math.inf] * (len(steps) + 1)
    liquidity: list[float] = []
    policy_days = scenario.policy_days
    breach_day = -1
    buffer_margin = math.inf
    events = sorted((int(draws.event_day[p, i]), i) for i in range(len(lines)) if int(draws.event_day[p, i]) < horizon)

    for t in range(horizon):
        # (1) operating flows and debt service
        flow = float(scenario.operating_flows[t])
        if noise is not None:
            flow = flow * (1.0 + scenario.operating_volatility * float(noise[t, p]))
        state["cash"] += flow
        state["cash"] -= float(scenario.discretionary_outflows[t])
        state["cash"] -= interest_total[t]
        state["cash"] -= sum(line.drawn_new * (line.c.annual_rate / line.per_year) for line in cheapest_first)
        for line in cheapest_first:
            if line.maturity == t:
                line.shut = True
                line.limit = 0.0
        for line in cheapest_first:
            due = line.principal[t]
            if due > 0:
                paid = max(min(due, line.drawn - line.drawn_new), 0.0)
                if line.c.rolls_over and line.is_open(t):
                    paid = 0.0
                state["cash"] -= paid
                line.drawn -= paid
                if not line.revolving:
                    line.limit = max(line.limit - paid, 0.0)
        for line in cheapest_first:
            if line.maturity == t:
                pay(line, line.drawn)
        for line in cheapest_first:
            if line.demand_day == t:
                pay(line, max(line.drawn - line.limit, 0.0))
                line.demand_day = NEVER

        # (2) shocks, drawn actions, triggers
        shocked = False
        for k, shock in enumerate(scenario.shocks):
            if shock.day != t or shock.is_downgrade:
                continue
            hit = [line for line in cheapest_first if shock.matches(line.c)]
            for line in hit:
                apply(line, shock.action, shock.reduce_by or 0.0, shock.freeze_days or 0, t,
                      source_of[("shock", k, line.index)])  # fmt: skip
            shocked = shocked or bool(hit)
        for day, i in events:
            if day == t:
                apply(lines[i], LENDER_ACTIONS[int(draws.event_kind[p, i])], scenario.mc_reduce_by,
                      scenario.mc_freeze_days, t, source_of[("random", i)])  # fmt: skip
                shocked = shocked or draws.events_activate_plan
        if rank is not None:
            notches = (scenario.own_downgrade_notches if t == 0 else 0) + sum(
                shock.notches or 0 for shock in scenario.shocks if shock.is_downgrade and shock.day == t
            )
            if draws.rating_day is not None and int(draws.rating_day[p]) == t:
                notches += int(draws.rating_notches[p])
            if any(shock.is_downgrade and shock.day == t for shock in scenario.shocks):
                shocked = True  # a scenario shock on the rated company
            if notches and rank < RANK_C:
                rank = min(rank + notches, RANK_C)
            if overdue > 0 and not spiralled:
                spiralled = True
                rank = max(rank, RANK_C)
        rank_by_day.append(-1 if rank is None else rank)
        fired = []
        for line in lines:
            for j, trig in enumerate(line.c.triggers):
                if trig.kind == "own_rating_below":
                    fires = rank is not None and rank > trig.rating_rank
                elif trig.kind in ("utilisation_above", "utilisation_below"):
                    if trig.kind == "utilisation_above":
                        held = line.drawn > trig.level * line.limit
                    else:
                        held = line.drawn < trig.level * line.limit and line.is_open(t)
                    line.util_count[j] = line.util_count.get(j, 0) + 1 if held else 0
                    fires = line.util_count[j] >= (trig.days or 1)
                elif trig.kind == "any_overdue":
                    fires = overdue > (trig.grace_days or 0)
                elif trig.kind == "borrowing_frequency":
                    fires = sum(1 for d in line.draw_days if t - trig.window_days <= d < t) >= trig.count
                else:  # inflow_drop
                    days = trig.days
                    forecast = sum(inflows[t - days : t]) if t >= days else 0.0
                    fires = forecast > 0 and sum(realised_inflows[t - days : t]) < trig.level * forecast - HALF_CENT
                if fires and j not in line.fired and not line.shut:
                    line.fired.add(j)
                    fired.append((line, j, trig))
        for line, j, trig in fired:
            apply(
                line,
                trig.action,
                trig.reduce_by or 0.0,
                trig.freeze_days or 0,
                t,
                source_of[("trigger", line.index, j)],
            )
            shocked = True
        if trigger == "on_shock" and shocked and state["activation"] == NEVER:
            state["activation"] = t

        # (3) deliveries
        if trigger is not None:
            deliver(t)

        # (4) draws, cheapest first, up to the buffer
        need = buffer - state["cash"]
        if need > 0:
            drawable = [line for line in cheapest_first if line.is_open(t) and not line.reserved]
            available = 0.0
            for line in drawable:
                available += line.headroom()
            taken = 0.0
            for line in drawable:
                take = min(need - taken, line.headroom())
                if take > 0:
                    line.drawn += take
                    line.drawn_new += take
                    line.drew_today = True
                    taken += take
            # Covered in full means exactly at the buffer (no rounding dust that would look like a shortfall).
            state["cash"] = buffer if available >= need else state["cash"] + available
        liq = state["cash"] + sum(line.headroom() for line in cheapest_first if line.is_open(t) and not line.reserved)

        # (4b) below-threshold activation
        if trigger == "below_threshold" and state["activation"] == NEVER and liq < inputs.plan.threshold - HALF_CENT:
            state["activation"] = t
            liq += deliver(t)

        # (5) shortfall and results; a breach of the buffer inside the policy window
        if t < policy_days:
            if breach_day < 0 and state["cash"] < buffer - HALF_CENT:
                breach_day = t
            buffer_margin = min(buffer_margin, state["cash"] - buffer)
        if state["cash"] < -HALF_CENT and runway < 0:
            runway = t
        deficit = max(deficit, -state["cash"])
        if liq < min_liq:
            min_liq, min_day = liq, t
        liquidity.append(liq)
        delivered = [info["delivered"] for info in step_info]
        for j in range(len(steps) + 1):
            lowest[j] = min(lowest[j], liq - sum(delivered[j:]))
        if gap_day < 0 and lowest[0] < buffer - HALF_CENT:
            gap_day = t

        # The day ends: overdue days, the draws and the realised inflows the triggers look back on.
        overdue = overdue + 1 if state["cash"] < -HALF_CENT else 0
        for line in lines:
            if line.drew_today and t not in line.draw_days:
                line.draw_days.append(t)
            line.drew_today = False
        realised_inflows.append(
            inflows[t] if noise is None else inflows[t] * (1.0 + scenario.operating_volatility * float(noise[t, p]))
        )

    closing = -1
    if lowest[0] < buffer - HALF_CENT:
        for j in range(1, len(steps) + 1):
            if lowest[j] >= buffer - HALF_CENT:
                closing = j - 1
                break
    return {
        "runway": runway,
        "min_liquidity": min_liq,
        "min_liquidity_day": min_day,
        "deficit": deficit if deficit > HALF_CENT else 0.0,
        "used": out["used"],
        "cost": out["cost"],
        "gap_day": gap_day,
        "closing_step": closing,
        "activation_day": -1 if state["activation"] == NEVER else state["activation"],
        "cash": state["cash"],
        "liquidity": liquidity,
        "breach_day": breach_day,
        "buffer_margin": buffer_margin,
        "own_rank": rank_by_day,
        "action_day": act_day,
        "action_lost": act_lost,
        "action_code": act_code,
    }
