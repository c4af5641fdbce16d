"""The daily state machine, vectorised over paths (the engine's one code path).

State per path and channel (channels in cheapest-first order): limit, drawn (of which ``drawn_new`` was drawn by
the engine during the drill), shut (closed, called or matured), frozen-until day, and the day an amount demanded
by the lender falls due. Per path: cash, plan activation day, delivered contingency per step, and the running
results. See the package docstring for the exact rules; :mod:`.reference` implements the same rules one path at
a time in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import CALL, CLOSE, FREEZE, PLAN_BELOW_THRESHOLD, PLAN_NONE, PLAN_ON_SHOCK, REDUCE, Model
from .randomness import NEVER, Draws


@dataclass(frozen=True)
class PathOutcomes:
    """Per-path results of a batch of paths (arrays of length P) and the liquidity of every path and day.

    ``runway``: first day with a shortfall, -1 when the path survives. ``gap_day``: first day on which liquidity
    without the plan's deliveries (liquidity - contingency delivered so far) is below the buffer, -1 for none.
    ``closing_step``: position (in plan order) of the step that closes the gap, -1 for none.
    ``activation_day``: day the plan activated, -1 for never. ``liquidity``: H x P, cash + open headroom at the
    end of each day.
    """

    runway: np.ndarray
    min_liquidity: np.ndarray
    min_liquidity_day: np.ndarray
    deepest_deficit: np.ndarray
    contingency_used: np.ndarray
    contingency_cost: np.ndarray
    gap_day: np.ndarray
    closing_step: np.ndarray
    activation_day: np.ndarray
    final_cash: np.ndarray
    liquidity: np.ndarray


def _group(flat_lists: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(flat_lists)) if len(flat_lists) > 1 else flat_lists[0]


def simulate_paths(model: Model, draws: Draws) -> PathOutcomes:  # noqa: C901 - one state machine, kept in one place
    horizon = model.horizon
    n_ch = model.n_channels
    n_paths = draws.n_paths
    steps = model.steps
    n_steps = len(steps)
    buffer = model.buffer
    rows_all = np.arange(n_paths, dtype=np.int64)

    limit = np.tile(model.limit0, (n_paths, 1))
    drawn = np.tile(model.drawn0, (n_paths, 1))
    drawn_new = np.zeros((n_paths, n_ch))
    shut = np.tile(model.shut0, (n_paths, 1))
    frozen_until = np.tile(model.frozen_until0, (n_paths, 1))
    demand_day = np.full((n_paths, n_ch), NEVER, dtype=np.int64)
    openm = ~shut & (frozen_until <= 0)
    not_reserved = ~model.reserved
    drawable = (openm & not_reserved).astype(np.float64)
    limit_f, drawn_f, drawn_new_f = limit.reshape(-1), drawn.reshape(-1), drawn_new.reshape(-1)
    shut_f, frozen_f, demand_f = shut.reshape(-1), frozen_until.reshape(-1), demand_day.reshape(-1)
    openm_f, drawable_f = openm.reshape(-1), drawable.reshape(-1)
    scf, notice, rolls, revolving = model.scf, model.notice, model.rolls, model.revolving

    cash = np.full(n_paths, model.opening_cash)
    activation = np.full(n_paths, NEVER, dtype=np.int64)
    runway = np.full(n_paths, -1, dtype=np.int64)
    min_liq = np.full(n_paths, np.inf)
    min_day = np.zeros(n_paths, dtype=np.int64)
    deficit = np.zeros(n_paths)
    used = np.zeros(n_paths)
    cost = np.zeros(n_paths)
    step_cum = np.zeros((n_paths, n_steps))
    pool_left = np.tile(model.pool_amounts, (n_paths, 1))
    cut_left = np.tile(np.array([s.capacity for s in steps], dtype=np.float64), (n_paths, 1))
    lowest = np.full((n_paths, n_steps + 1), np.inf)
    gap_day = np.full(n_paths, -1, dtype=np.int64)
    liquidity = np.empty((horizon, n_paths))
    step_ok = draws.step_ok
    noise = draws.flow_noise

    util = model.util_triggers
    util_cols = np.array([u.col for u in util], dtype=np.int64)
    util_level = np.array([u.level for u in util], dtype=np.float64)
    util_days = np.array([u.days for u in util], dtype=np.int64)
    util_count = np.zeros((n_paths, len(util)), dtype=np.int64)
    util_fired = np.zeros((n_paths, len(util)), dtype=bool)

    demand_reg: dict[int, list[np.ndarray]] = {}
    reopen_reg: dict[int, list[np.ndarray]] = {}
    engine_draws = [False]

    # Drawn lender actions, grouped by day (flat index = path * n_ch + channel position).
    ev_day = draws.event_day[:, model.perm].reshape(-1)
    ev_kind = draws.event_kind[:, model.perm].reshape(-1)
    ev_flat = np.flatnonzero(ev_day < horizon)
    ev_by_day: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if ev_flat.size:
        ev_flat = ev_flat[np.argsort(ev_day[ev_flat], kind="stable")]
        days, starts = np.unique(ev_day[ev_flat], return_index=True)
        bounds = [*starts.tolist(), ev_flat.size]
        for i, day in enumerate(days.tolist()):
            chunk = ev_flat[bounds[i] : bounds[i + 1]]
            ev_by_day[day] = (chunk, ev_kind[chunk])

    def pay(flat: np.ndarray, amount: np.ndarray) -> None:
        """The lender is repaid ``amount`` of what is drawn: the engine's own draws first."""
        if flat.size == 0:
            return
        dn = drawn_new_f[flat]
        drawn_new_f[flat] = dn - np.minimum(dn, amount)
        drawn_f[flat] = drawn_f[flat] - amount
        np.subtract(cash, np.bincount(flat // n_ch, weights=amount, minlength=n_paths), out=cash)

    def register(flat: np.ndarray, due: np.ndarray) -> None:
        demand_f[flat] = np.minimum(demand_f[flat], due)
        for day in np.unique(due).tolist():
            if day < horizon:
                demand_reg.setdefault(day, []).append(flat[due == day])

    def shut_down(flat: np.ndarray) -> None:
        shut_f[flat] = True
        openm_f[flat] = False
        drawable_f[flat] = 0.0

    def apply(flat: np.ndarray, code: int, reduce_by: float, freeze_days: int, day: int) -> None:
        cols = flat % n_ch
        if code == CLOSE:
            shut_down(flat)
            snap = flat[scf[cols]]  # supply-chain finance snap-back: the financed payables fall due at once
            pay(snap, drawn_f[snap])
        elif code == FREEZE:
            live = flat[~shut_f[flat]]
            until = day + freeze_days
            frozen_f[live] = np.maximum(frozen_f[live], until)
            openm_f[live] = False
            drawable_f[live] = 0.0
            if until < horizon and live.size:
                reopen_reg.setdefault(until, []).append(live)
            snap = live[scf[live % n_ch]]
            pay(snap, drawn_f[snap])
        elif code == REDUCE:
            limit_f[flat] = limit_f[flat] * (1.0 - reduce_by)
            excess = drawn_f[flat] - limit_f[flat]
            owed = excess > 0
            owed_flat, owed_cols, owed_excess = flat[owed], cols[owed], excess[owed]
            now = scf[owed_cols] | (notice[owed_cols] == 0)
            pay(owed_flat[now], owed_excess[now])
            later = ~now
            register(owed_flat[later], day + notice[owed_cols[later]])
        else:  # CALL
            shut_down(flat)
            limit_f[flat] = 0.0
            now = scf[cols] | (notice[cols] == 0)
            pay(flat[now], drawn_f[flat[now]])
            register(flat[~now], day + notice[cols[~now]])

    def deliver(day: int, only: np.ndarray | None) -> np.ndarray:
        """Plan steps due today deliver; ``only`` restricts to paths activated just now (step 4b)."""
        got = np.zeros(n_paths)
        disc_left = np.full(n_paths, model.disc[day])
        for k, step in enumerate(steps):
            if step.is_cut:
                if model.disc[day] <= 0:
                    continue
                active = step_ok[:, k] & (activation + step.lead <= day)
                if only is not None:
                    active &= only
                if not active.any():
                    continue
                x = np.where(active, np.minimum(disc_left, cut_left[:, k]), 0.0)
                cut_left[:, k] -= x
                disc_left -= x
            else:
                due = step_ok[:, k] & (activation + step.lead == day)
                if only is not None:
                    due &= only
                if not due.any():
                    continue
                net = step.capacity * (1.0 - step.haircut) if np.isfinite(step.capacity) else np.inf
                if step.channel >= 0:
                    c = step.channel
                    headroom = np.maximum(limit[:, c] - drawn[:, c], 0.0)
                    x = np.where(due & openm[:, c], np.minimum(net, headroom), 0.0)
                    drawn[:, c] += x
                    drawn_new[:, c] += x
                    engine_draws[0] = True
                elif step.pool >= 0:
                    gross = np.where(due, np.minimum(step.capacity, pool_left[:, step.pool]), 0.0)
                    pool_left[:, step.pool] -= gross
                    x = gross * (1.0 - step.haircut)
                else:
                    x = np.where(due, net, 0.0)
            np.add(cash, x, out=cash)
            np.add(used, x, out=used)
            np.add(cost, x * step.cost_rate, out=cost)
            step_cum[:, k] += x
            got += x
        return got

    plan_trigger = model.plan_trigger
    for t in range(horizon):
        # Frozen lines whose freeze ends today reopen (before today's rollover).
        if t in reopen_reg:
            flat = _group(reopen_reg.pop(t))
            flat = flat[~shut_f[flat] & (frozen_f[flat] <= t)]
            openm_f[flat] = True
            drawable_f[flat] = not_reserved[flat % n_ch]

        # (1) operating flows and debt service.
        if noise is None:
            cash += model.flows[t]
        else:
            cash += model.flows[t] * (1.0 + model.volatility * noise[:, t])
        cash -= model.disc[t]
        cash -= model.interest_total[t]
        if engine_draws[0]:
            cash -= drawn_new @ model.rate_day
        maturing = model.maturing_by_day.get(t)
        if maturing is not None:
            for c in maturing.tolist():
                shut[:, c] = True
                openm[:, c] = False
                drawable[:, c] = 0.0
                limit[:, c] = 0.0
        for c, due in model.principal_by_day[t]:
            paid = np.maximum(np.minimum(due, drawn[:, c] - drawn_new[:, c]), 0.0)
            if rolls[c]:
                paid = np.where(openm[:, c], 0.0, paid)  # an open rolling line refinances its own maturities
            cash -= paid
            drawn[:, c] -= paid
            if not revolving[c]:
                limit[:, c] = np.maximum(limit[:, c] - paid, 0.0)
        if maturing is not None:
            for c in maturing.tolist():
                flat = rows_all * n_ch + c
                pay(flat, drawn_f[flat])
        if t in demand_reg:
            flat = _group(demand_reg.pop(t))
            flat = flat[demand_f[flat] == t]
            pay(flat, np.maximum(drawn_f[flat] - limit_f[flat], 0.0))
            demand_f[flat] = NEVER

        # (2) the day's shocks, drawn lender actions and lenders' triggers.
        shocked_all = False
        shocked = np.zeros(n_paths, dtype=bool) if plan_trigger == PLAN_ON_SHOCK else None
        for spec in model.shocks_by_day.get(t, ()):
            apply((rows_all[:, None] * n_ch + spec.cols[None, :]).reshape(-1), spec.code, spec.reduce_by,
                  spec.freeze_days, t)  # fmt: skip
            shocked_all = True
        if t in ev_by_day:
            flat, kinds = ev_by_day[t]
            for code in (CLOSE, FREEZE, REDUCE, CALL):
                chosen = flat[kinds == code]
                if chosen.size:
                    apply(chosen, code, model.mc_reduce_by, model.mc_freeze_days, t)
            if shocked is not None and draws.events_activate_plan:
                shocked[flat // n_ch] = True
        if t == 0:
            for spec in model.own_triggers:
                c = int(spec.cols[0])
                rows = np.flatnonzero(~shut[:, c])
                apply(rows * n_ch + c, spec.code, spec.reduce_by, spec.freeze_days, t)
                if shocked is not None:
                    shocked[rows] = True
        if util:
            above = ~shut[:, util_cols] & (drawn[:, util_cols] > util_level * limit[:, util_cols])
            util_count = np.where(above, util_count + 1, 0)
            fire = above & (util_count >= util_days) & ~util_fired
            if fire.any():
                util_fired |= fire
                for i in np.flatnonzero(fire.any(axis=0)).tolist():
                    rows = np.flatnonzero(fire[:, i])
                    trig = util[i]
                    apply(rows * n_ch + trig.col, trig.code, trig.reduce_by, trig.freeze_days, t)
                    if shocked is not None:
                        shocked[rows] = True
        if shocked is not None:
            if shocked_all:
                shocked[:] = True
            activation[shocked & (activation == NEVER)] = t

        # (3) plan steps whose lead time has elapsed deliver.
        if plan_trigger != PLAN_NONE:
            deliver(t, None)

        # (4) below the buffer: draw on open channels' headroom, cheapest first, up to the buffer.
        headroom = limit - drawn
        np.maximum(headroom, 0.0, out=headroom)
        open_headroom = np.einsum("ij,ij->i", headroom, drawable)
        need = buffer - cash
        rows = np.flatnonzero(need > 0)
        if rows.size and n_ch:
            avail = headroom[rows] * drawable[rows]
            cum = np.cumsum(avail, axis=1)
            total = cum[:, -1]
            need_rows = need[rows]
            take = np.minimum(np.maximum(need_rows[:, None] - (cum - avail), 0.0), avail)
            drawn[rows] += take
            drawn_new[rows] += take
            cash[rows] = np.where(total >= need_rows, buffer, cash[rows] + total)
            open_headroom[rows] -= np.minimum(total, need_rows)
            if not engine_draws[0] and total.any():
                engine_draws[0] = True
        liq = cash + open_headroom

        # (4b) a below-threshold plan activates; its lead-time-0 steps deliver at once.
        if plan_trigger == PLAN_BELOW_THRESHOLD:
            newly = (activation == NEVER) & (liq < model.threshold)
            if newly.any():
                activation[newly] = t
                liq += deliver(t, newly)

        # (5) shortfall, and the running results.
        runway[(cash < 0) & (runway < 0)] = t
        np.maximum(deficit, -cash, out=deficit)
        better = liq < min_liq
        min_liq[better] = liq[better]
        min_day[better] = t
        liquidity[t] = liq
        if n_steps:
            without = np.empty((n_paths, n_steps + 1))
            without[:, :n_steps] = liq[:, None] - np.cumsum(step_cum[:, ::-1], axis=1)[:, ::-1]
            without[:, n_steps] = liq
        else:
            without = liq[:, None]
        np.minimum(lowest, without, out=lowest)
        gap_day[(gap_day < 0) & (without[:, 0] < buffer)] = t

    has_gap = lowest[:, 0] < buffer
    closes = lowest[:, 1:] >= buffer
    closing = np.where(has_gap & closes.any(axis=1), np.argmax(closes, axis=1) if n_steps else -1, -1)
    return PathOutcomes(
        runway=runway,
        min_liquidity=min_liq,
        min_liquidity_day=min_day,
        deepest_deficit=deficit,
        contingency_used=used,
        contingency_cost=cost,
        gap_day=gap_day,
        closing_step=closing.astype(np.int64),
        activation_day=np.where(activation == NEVER, -1, activation),
        final_cash=cash,
        liquidity=liquidity,
    )
