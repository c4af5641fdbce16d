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

from .inputs import RANK_C
from .model import (
    CALL,
    CLOSE,
    FREEZE,
    HALF_CENT,
    PLAN_BELOW_THRESHOLD,
    PLAN_NONE,
    PLAN_ON_SHOCK,
    REDUCE,
    Model,
)
from .randomness import NEVER, Draws


@dataclass(frozen=True)
class PathOutcomes:
    """Per-path results of a batch of paths (arrays of length P) and the liquidity of every path and day.

    ``runway``: first day with a shortfall, -1 when the path survives. ``gap_day``: first day on which liquidity
    without the plan's deliveries (liquidity - contingency delivered so far) is below the buffer, -1 for none.
    ``closing_step``: position (in plan order) of the step that closes the gap, -1 for none.
    ``activation_day``: day the plan activated, -1 for never. ``liquidity``: H x P, cash + open headroom at the
    end of each day. ``own_rank``: H x P, the company's own rating rank at the end of each day (-1: unknown).
    ``action_day`` / ``action_lost``: S x P, per source of lender actions (:attr:`.model.Model.sources`), the first
    day it acted on the path (NEVER: never) and the liquidity it cost there (headroom lost plus what it demanded);
    ``action_code``: the lender action (index into LENDER_ACTIONS) of that first act, -1 for none.
    ``breach_day``: first day in the policy window (days 0 .. ``policy_days`` - 1) whose end-of-day cash is below the
    buffer - 0.005, -1 for none. ``buffer_margin``: the lowest end-of-day cash minus the buffer over that window
    (>= -0.005 means the buffer is kept); the extra-liquidity search reads it.
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
    breach_day: np.ndarray
    buffer_margin: np.ndarray
    own_rank: np.ndarray
    action_day: np.ndarray
    action_lost: np.ndarray
    action_code: np.ndarray


def _group(flat_lists: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(flat_lists)) if len(flat_lists) > 1 else flat_lists[0]


def simulate_paths(  # noqa: C901 - one state machine, kept in one place
    model: Model,
    draws: Draws,
    *,
    policy_days: int | None = None,
    extra_cash: np.ndarray | None = None,
    until: int | None = None,
) -> PathOutcomes:
    """Run every path of ``draws`` through the drill.

    ``policy_days``: the policy window for ``breach_day`` (default: the whole horizon). ``extra_cash``: per-path
    day-0 cash added to the opening cash (the extra-liquidity search re-runs the same paths with it). ``until``: stop
    after that many days (the search needs only the policy window; the later days' outcomes are then not computed).

    State arrays are channel-major (C x P, flat index = channel position x P + path) so that the per-channel
    work of a day (debt service, maturities, triggers) touches contiguous memory, and nothing touches every
    channel of every path on an ordinary day: the drawable headroom ``avail``, its per-path total, the cheapest
    line that still has headroom and the interest on the engine's draws are kept up to date where they change.
    """
    horizon = model.horizon
    n_ch = model.n_channels
    n_paths = draws.n_paths
    steps = model.steps
    n_steps = len(steps)
    buffer = model.buffer
    rows_all = np.arange(n_paths, dtype=np.int64)
    rate_day = model.rate_day

    def per_path(values: np.ndarray) -> np.ndarray:
        return np.repeat(values[:, None], n_paths, axis=1)

    limit = per_path(model.limit0)
    drawn = per_path(model.drawn0)
    drawn_new = np.zeros((n_ch, n_paths))
    shut = per_path(model.shut0)
    frozen_until = per_path(model.frozen_until0)
    demand_day = np.full((n_ch, n_paths), NEVER, dtype=np.int64)
    openm = ~shut & (frozen_until <= 0)
    not_reserved = ~model.reserved
    drawable = (openm & not_reserved[:, None]).astype(np.float64)
    avail = np.maximum(limit - drawn, 0.0) * drawable  # what step 4 may draw
    limit_f, drawn_f, drawn_new_f = limit.reshape(-1), drawn.reshape(-1), drawn_new.reshape(-1)
    shut_f, frozen_f, demand_f = shut.reshape(-1), frozen_until.reshape(-1), demand_day.reshape(-1)
    openm_f, drawable_f, avail_f = openm.reshape(-1), drawable.reshape(-1), avail.reshape(-1)
    scf, notice, rolls, revolving = model.scf, model.notice, model.rolls, model.revolving

    # Per path: total drawable headroom, the cheapest line with headroom (n_ch = none; "stale" = recompute before
    # use) and the daily interest on the engine's own draws.
    open_headroom = avail.sum(axis=0) if n_ch else np.zeros(n_paths)
    positive = avail > 0
    cheapest = np.where(positive.any(axis=0), np.argmax(positive, axis=0), n_ch) if n_ch else np.zeros(n_paths, int)
    cheapest_stale = np.zeros(n_paths, dtype=bool)
    engine_interest = np.zeros(n_paths)

    cash = np.full(n_paths, model.opening_cash)
    if extra_cash is not None:
        cash += extra_cash
    window = horizon if policy_days is None else min(int(policy_days), horizon)
    breach_day = np.full(n_paths, -1, dtype=np.int64)
    margin = np.full(n_paths, np.inf)
    activation = np.full(n_paths, NEVER, dtype=np.int64)
    activated_on = np.zeros(horizon + 1, dtype=np.int64)  # paths activated per day, to skip idle plan steps
    runway = np.full(n_paths, -1, dtype=np.int64)
    min_liq = np.full(n_paths, np.inf)
    min_day = np.zeros(n_paths, dtype=np.int64)
    deficit = np.zeros(n_paths)
    used = np.zeros(n_paths)
    cost = np.zeros(n_paths)
    # without_tail[j]: what steps j, j+1, ... delivered so far (liquidity without them = liquidity - tail).
    without_tail = np.zeros((n_steps, n_paths))
    pool_left = per_path(model.pool_amounts)
    cut_left = per_path(np.array([s.capacity for s in steps], dtype=np.float64))
    lowest = np.full((n_steps + 1, n_paths), np.inf)
    gap_day = np.full(n_paths, -1, dtype=np.int64)
    liquidity = np.empty((horizon, n_paths))
    step_ok = np.ascontiguousarray(draws.step_ok.T)
    noise = draws.flow_noise

    # Lenders' risk control: each trigger's state per path, the company's own rating, overdue days, draw and
    # inflow windows, and the record of every lender action (first day and liquidity lost, per source).
    trig = model.triggers
    trig_fired = np.zeros((len(trig), n_paths), dtype=bool)
    fire_all = np.zeros((len(trig), n_paths), dtype=bool)
    trig_cols = np.array([tr.col for tr in trig], dtype=np.int64)
    # Triggers of a kind are evaluated together: rating, utilisation (above and below) and cross-default in one
    # vectorised step each; borrowing frequency and inflow drop each keep a window of their own.
    rating_idx = np.array([i for i, tr in enumerate(trig) if tr.kind == "own_rating_below"], dtype=np.int64)
    rating_rank = np.array([trig[i].rank for i in rating_idx], dtype=np.int64)[:, None]
    # Utilisation triggers: those above a level, then those below one (counted only while the line is open).
    util_idx = np.array(
        [i for kind in ("utilisation_above", "utilisation_below") for i, tr in enumerate(trig) if tr.kind == kind],
        dtype=np.int64,
    )
    n_above = sum(tr.kind == "utilisation_above" for tr in trig)
    util_cols = trig_cols[util_idx]
    below_cols = util_cols[n_above:]
    util_level = np.array([trig[i].level for i in util_idx], dtype=np.float64)[:, None]
    util_days = np.array([trig[i].days for i in util_idx], dtype=np.int32)[:, None]
    util_streak = np.zeros((util_idx.size, n_paths), dtype=np.int32)
    held = np.zeros((util_idx.size, n_paths), dtype=bool)
    # Preallocated work buffers: fresh multi-megabyte temporaries every day cost more in page faults than the sums.
    util_used = np.zeros((util_idx.size, n_paths))
    util_bound = np.zeros((util_idx.size, n_paths))
    over_idx = np.array([i for i, tr in enumerate(trig) if tr.kind == "any_overdue"], dtype=np.int64)
    over_grace = np.array([trig[i].grace for i in over_idx], dtype=np.int32)[:, None]
    draw_ring = {i: np.zeros((tr.window, n_paths), dtype=np.int32) for i, tr in enumerate(trig)
                 if tr.kind == "borrowing_frequency"}  # fmt: skip
    draw_count = {i: np.zeros(n_paths, dtype=np.int32) for i in draw_ring}
    for i in draw_ring:  # recorded draws before day 0 inside the window (day d sits in slot d mod window)
        for d in trig[i].recorded:
            if -trig[i].window <= d < 0:
                draw_ring[i][d % trig[i].window] += 1
                draw_count[i] += 1
    inflow_ring = {i: np.zeros((tr.days, n_paths)) for i, tr in enumerate(trig) if tr.kind == "inflow_drop"}
    inflow_sum = {i: np.zeros(n_paths) for i in inflow_ring}
    forecast_cum = np.concatenate(([0.0], np.cumsum(model.inflows)))
    freq_cols = sorted({trig[i].col for i in draw_ring})
    drew = np.zeros((n_ch, n_paths), dtype=bool)  # a draw on the line today (borrowing-frequency triggers)
    drew_f = drew.reshape(-1)
    for i in draw_ring:
        if 0 in trig[i].recorded:
            drew[trig[i].col] = True  # a draw recorded on the as-of date counts as one of day 0
    overdue = np.zeros(n_paths, dtype=np.int32)  # consecutive days with a shortfall, up to yesterday
    spiralled = np.zeros(n_paths, dtype=bool)
    own_rank = np.full(n_paths, model.own_rank0, dtype=np.int64)
    rating_known = model.own_rank0 >= 0
    rank_by_day = np.full((horizon, n_paths), model.own_rank0, dtype=np.int16)
    n_src = len(model.sources)
    act_day = np.full((n_src, n_paths), NEVER, dtype=np.int64)
    act_lost = np.zeros((n_src, n_paths))
    act_code = np.full((n_src, n_paths), -1, dtype=np.int8)  # the lender action of the source's first act
    random_source = model.random_base + model.perm  # cheapest-first position -> source of its drawn actions

    demand_reg: dict[int, list[np.ndarray]] = {}
    reopen_reg: dict[int, list[np.ndarray]] = {}
    flags = {"delivered": False}

    # Drawn lender actions, grouped by day.
    ev_day = np.ascontiguousarray(draws.event_day[:, model.perm].T).reshape(-1)
    ev_kind = np.ascontiguousarray(draws.event_kind[:, model.perm].T).reshape(-1)
    ev_flat = np.flatnonzero(ev_day < horizon)
    ev_by_day: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if ev_flat.size:
        ev_flat = ev_flat[np.argsort(ev_day[ev_flat], kind="stable")]
        days, starts = np.unique(ev_day[ev_flat], return_index=True)
        bounds = [*starts.tolist(), ev_flat.size]
        for i, day in enumerate(days.tolist()):
            chunk = ev_flat[bounds[i] : bounds[i + 1]]
            ev_by_day[day] = (chunk, ev_kind[chunk])

    def set_avail(flat: np.ndarray, fresh: np.ndarray | None) -> None:
        """New drawable headroom (None: none left) for some (channel, path) cells, with the per-path bookkeeping."""
        if flat.size == 0:
            return
        rows = flat % n_paths
        old = avail_f[flat]
        if fresh is None:
            np.subtract.at(open_headroom, rows, old)
            avail_f[flat] = 0.0
            lost = old > 0
        else:
            np.add.at(open_headroom, rows, fresh - old)
            avail_f[flat] = fresh
            gained = fresh > 0
            if gained.any():
                np.minimum.at(cheapest, rows[gained], flat[gained] // n_paths)
            lost = ~gained & (old > 0)
        if lost.any():
            lost_rows = rows[lost]
            cheapest_stale[lost_rows[flat[lost] // n_paths == cheapest[lost_rows]]] = True

    def refresh(flat: np.ndarray) -> None:
        set_avail(flat, np.maximum(limit_f[flat] - drawn_f[flat], 0.0) * drawable_f[flat])

    def set_avail_col(c: int, fresh: np.ndarray) -> None:
        open_headroom[:] += fresh - avail[c]
        avail[c] = fresh
        gained = fresh > 0
        np.minimum(cheapest, np.where(gained, c, n_ch), out=cheapest)
        cheapest_stale[~gained & (cheapest == c)] = True

    def advance(rows: np.ndarray) -> None:
        """Find again the cheapest line with headroom of these paths (n_ch when none has any)."""
        cheapest_stale[rows] = False
        has = avail[:, rows] > 0
        cheapest[rows] = np.where(has.any(axis=0), np.argmax(has, axis=0), n_ch)

    def pay(flat: np.ndarray, amount: np.ndarray) -> None:
        """The lender is repaid ``amount`` of what is drawn: the engine's own draws first."""
        if flat.size == 0:
            return
        dn = drawn_new_f[flat]
        repaid_new = np.minimum(dn, amount)
        drawn_new_f[flat] = dn - repaid_new
        drawn_f[flat] = drawn_f[flat] - amount
        refresh(flat)
        if repaid_new.any():
            np.subtract.at(engine_interest, flat % n_paths, rate_day[flat // n_paths] * repaid_new)
        np.subtract(cash, np.bincount(flat % n_paths, weights=amount, minlength=n_paths), out=cash)

    def register(flat: np.ndarray, due: np.ndarray) -> None:
        if flat.size == 0:
            return
        demand_f[flat] = np.minimum(demand_f[flat], due)
        first = int(due[0])
        if (due == first).all():  # one line, or lines with the same notice
            if first < horizon:
                demand_reg.setdefault(first, []).append(flat)
            return
        for day in set(due.tolist()):
            if day < horizon:
                demand_reg.setdefault(day, []).append(flat[due == day])

    def shut_down(flat: np.ndarray) -> None:
        shut_f[flat] = True
        openm_f[flat] = False
        drawable_f[flat] = 0.0
        set_avail(flat, None)

    def apply(
        flat: np.ndarray, code: int | np.ndarray, reduce_by: float, freeze_days: int, day: int, src: np.ndarray
    ) -> None:
        """Lender actions on distinct cells; ``code`` is one action or one per cell (the day's drawn actions);
        ``src`` the source of each cell's action, whose first day and the liquidity it cost are recorded: the
        headroom lost plus what the action makes fall due (at once or after the notice)."""
        if flat.size == 0:
            return
        codes = np.full(flat.size, code, dtype=np.int8) if np.isscalar(code) else np.asarray(code)
        cols = flat // n_paths
        headroom_before, drawn_before = avail_f[flat].copy(), drawn_f[flat].copy()
        is_close, is_call, is_reduce = codes == CLOSE, codes == CALL, codes == REDUCE
        is_freeze = (codes == FREEZE) & ~shut_f[flat]  # a shut line cannot be frozen
        closing, calling, freezing, reducing = flat[is_close | is_call], flat[is_call], flat[is_freeze], flat[is_reduce]
        if reducing.size:
            limit_f[reducing] = limit_f[reducing] * (1.0 - reduce_by)
            refresh(reducing)
        shut_f[closing] = True
        limit_f[calling] = 0.0
        blocked = np.concatenate((closing, freezing))
        if blocked.size:
            openm_f[blocked] = False
            drawable_f[blocked] = 0.0
            set_avail(blocked, None)
        if freezing.size:
            until = day + freeze_days
            frozen_f[freezing] = np.maximum(frozen_f[freezing], until)
            if until < horizon:
                reopen_reg.setdefault(until, []).append(freezing)
        # What falls due: at once for supply-chain finance (snap-back: closed, frozen or called, everything drawn;
        # reduced, the excess) and for a notice of 0 days; otherwise after the notice (reduce and call only).
        is_scf = scf[cols]
        at_once = is_scf | (notice[cols] == 0)
        whole = is_call & at_once | (is_close | is_freeze) & is_scf
        excess = np.where(is_reduce, drawn_f[flat] - limit_f[flat], 0.0)
        owed = is_reduce & (excess > 0)
        now = whole | owed & at_once
        if now.any():
            due_flat = flat[now]
            pay(due_flat, np.where(whole[now], drawn_f[due_flat], excess[now]))
        later = ~at_once & (is_call | owed)
        if later.any():
            register(flat[later], day + notice[cols[later]])
        rows = flat % n_paths
        demanded = np.where(whole | is_call, drawn_before, np.where(owed, excess, 0.0))
        first = act_day[src, rows] > day  # (source, path) pairs are distinct within one call
        act_code[src[first], rows[first]] = codes[first]
        np.minimum.at(act_day, (src, rows), day)
        np.add.at(act_lost, (src, rows), headroom_before - avail_f[flat] + demanded)

    def activate(paths_hit: np.ndarray, day: int) -> np.ndarray:
        """Activate the plan on these paths (bool mask) if not yet active; returns the newly activated mask."""
        newly = paths_hit & (activation == NEVER)
        count = int(newly.sum())
        if count:
            activation[newly] = day
            activated_on[day] += count
        return newly

    def deliver(day: int, only: np.ndarray | None) -> np.ndarray | None:
        """Plan steps due today deliver; ``only`` restricts to paths activated just now (step 4b)."""
        got = None
        disc_today = model.disc[day]
        disc_left = None
        for k, step in enumerate(steps):
            if step.is_cut:
                if disc_today <= 0 or activated_on[: max(day - step.lead + 1, 0)].sum() == 0:
                    continue
                active = step_ok[k] & (activation + step.lead <= day)
                if only is not None:
                    active &= only
                if not active.any():
                    continue
                if disc_left is None:
                    disc_left = np.full(n_paths, disc_today)
                x = np.where(active, np.minimum(disc_left, cut_left[k]), 0.0)
                cut_left[k] -= x
                disc_left -= x
            else:
                if day - step.lead < 0 or activated_on[day - step.lead] == 0:
                    continue
                due = step_ok[k] & (activation + step.lead == day)
                if only is not None:
                    due &= only
                if not due.any():
                    continue
                net = step.capacity * (1.0 - step.haircut) if np.isfinite(step.capacity) else np.inf
                if step.channel >= 0:
                    c = step.channel
                    headroom = np.maximum(limit[c] - drawn[c], 0.0)
                    x = np.where(due & openm[c], np.minimum(net, headroom), 0.0)
                    drawn[c] += x
                    drawn_new[c] += x  # a reserved line: never drawable by step 4, so avail stays 0
                    engine_interest[:] += rate_day[c] * x
                    drew[c] |= x > 0
                elif step.pool >= 0:
                    gross = np.where(due, np.minimum(step.capacity, pool_left[step.pool]), 0.0)
                    pool_left[step.pool] -= gross
                    x = gross * (1.0 - step.haircut)
                else:
                    x = np.where(due, net, 0.0)
            np.add(used, x, out=used)
            np.add(cost, x * step.cost_rate, out=cost)
            x = x * (1.0 - step.cost_rate) if step.cost_rate else x  # the step's cost is paid out of what it brings
            np.add(cash, x, out=cash)
            without_tail[: k + 1] += x
            got = x if got is None else got + x
            flags["delivered"] = True
        return got

    # Recorded history: lines that open later (not started yet, or a recorded freeze ends) and recorded demands.
    for c in np.flatnonzero((model.frozen_until0 > 0) & (model.frozen_until0 < horizon)).tolist():
        reopen_reg.setdefault(int(model.frozen_until0[c]), []).append(c * n_paths + rows_all)
    for c in np.flatnonzero(model.demand0 < horizon).tolist():
        register(c * n_paths + rows_all, np.full(n_paths, model.demand0[c], dtype=np.int64))

    plan_trigger = model.plan_trigger
    for t in range(horizon if until is None else min(until, horizon)):
        # Frozen lines whose freeze ends today reopen (before today's rollover).
        if t in reopen_reg:
            flat = _group(reopen_reg.pop(t))
            flat = flat[~shut_f[flat] & (frozen_f[flat] <= t)]
            openm_f[flat] = True
            drawable_f[flat] = not_reserved[flat // n_paths]
            refresh(flat)

        # (1) operating flows and debt service.
        if noise is None:
            cash += model.flows[t]
        else:
            cash += model.flows[t] * (1.0 + model.volatility * noise[t])
        cash -= model.disc[t]
        cash -= model.interest_total[t]
        cash -= engine_interest
        maturing = model.maturing_by_day.get(t)
        if maturing is not None:
            for c in maturing.tolist():
                shut[c] = True
                openm[c] = False
                drawable[c] = 0.0
                limit[c] = 0.0
                set_avail_col(c, np.zeros(n_paths))
        for c, due in model.principal_by_day[t]:
            paid = np.maximum(np.minimum(due, drawn[c] - drawn_new[c]), 0.0)
            if rolls[c]:
                paid = np.where(openm[c], 0.0, paid)  # an open rolling line refinances its own maturities
            cash -= paid
            drawn[c] -= paid
            if not revolving[c]:
                limit[c] = np.maximum(limit[c] - paid, 0.0)
            fresh = np.maximum(limit[c] - drawn[c], 0.0) * drawable[c]
            if not np.array_equal(fresh, avail[c]):
                set_avail_col(c, fresh)
        if maturing is not None:
            for c in maturing.tolist():
                flat = c * n_paths + rows_all
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
            apply((spec.cols[:, None] * n_paths + rows_all[None, :]).reshape(-1), spec.code, spec.reduce_by,
                  spec.freeze_days, t, np.repeat(spec.sources, n_paths))  # fmt: skip
            shocked_all = True
        if t in ev_by_day:
            flat, kinds = ev_by_day[t]
            apply(flat, kinds, model.mc_reduce_by, model.mc_freeze_days, t, random_source[flat // n_paths])
            if shocked is not None and draws.events_activate_plan:
                shocked[flat % n_paths] = True
        if rating_known:
            # The company's rating moves (company downgrade shocks, Monte Carlo migration, the overdue spiral),
            # stopping at C; a defaulted D stays D.
            notches = model.rating_events.get(t, 0)
            if t in model.rating_shock_days:
                shocked_all = True  # a scenario shock on the company: an on_shock plan answers it
            if notches:
                own_rank[:] = np.where(own_rank < RANK_C, np.minimum(own_rank + notches, RANK_C), own_rank)
            if draws.rating_day is not None:
                moved = draws.rating_day == t
                if moved.any():
                    own_rank[moved] = np.where(own_rank[moved] < RANK_C,
                                               np.minimum(own_rank[moved] + draws.rating_notches[moved], RANK_C),
                                               own_rank[moved])  # fmt: skip
            spiral = (overdue > 0) & ~spiralled  # a missed payment: the company is rated C from the next day
            if spiral.any():
                spiralled |= spiral
                own_rank[spiral] = np.maximum(own_rank[spiral], RANK_C)
            rank_by_day[t] = own_rank
        if trig:
            # Every trigger is evaluated on the state after the day's shocks and drawn actions, then applied.
            fire_all[:] = False
            if rating_known and rating_idx.size:
                fire_all[rating_idx] = own_rank[None, :] > rating_rank
            if util_idx.size:
                np.take(drawn, util_cols, axis=0, out=util_used)
                np.take(limit, util_cols, axis=0, out=util_bound)
                util_bound *= util_level
                np.greater(util_used[:n_above], util_bound[:n_above], out=held[:n_above])
                np.less(util_used[n_above:], util_bound[n_above:], out=held[n_above:])
                held[n_above:] &= openm[below_cols]
                util_streak += 1
                util_streak *= held
                fire_all[util_idx] = util_streak >= util_days
            if over_idx.size:
                fire_all[over_idx] = overdue[None, :] > over_grace
            for i in draw_ring:
                fire_all[i] = draw_count[i] >= trig[i].count
            for i in inflow_ring:  # a full window of realised inflows below the share of their forecast
                days = trig[i].days
                forecast = forecast_cum[t] - forecast_cum[t - days] if t >= days else 0.0
                if forecast > 0:
                    fire_all[i] = inflow_sum[i] < trig[i].level * forecast - HALF_CENT
            fire_all &= ~trig_fired
            fire_all &= ~shut[trig_cols]
            fire_rows = [(int(i), np.flatnonzero(fire_all[i])) for i in np.flatnonzero(fire_all.any(axis=1))]
            # Fired triggers with the same action on different lines are applied together (the order among
            # different lines changes nothing); a line's second trigger waits for the next batch.
            batch: list[np.ndarray] = []
            batch_src: list[np.ndarray] = []
            batch_key: tuple[int, float, int] | None = None
            batch_cols: set[int] = set()
            for i, rows in fire_rows:
                tr = trig[i]
                trig_fired[i, rows] = True
                if shocked is not None:
                    shocked[rows] = True
                key = (tr.code, tr.reduce_by, tr.freeze_days)
                if batch and (key != batch_key or tr.col in batch_cols):
                    apply(np.concatenate(batch), *batch_key, t, np.concatenate(batch_src))  # type: ignore[misc]
                    batch, batch_src, batch_cols = [], [], set()
                batch.append(tr.col * n_paths + rows)
                batch_src.append(np.full(rows.size, tr.source, dtype=np.int64))
                batch_key = key
                batch_cols.add(tr.col)
            if batch:
                apply(np.concatenate(batch), *batch_key, t, np.concatenate(batch_src))  # type: ignore[misc]
        if shocked is not None:
            if shocked_all:
                shocked[:] = True
            activate(shocked, t)

        # (3) plan steps whose lead time has elapsed deliver.
        if plan_trigger != PLAN_NONE:
            deliver(t, None)

        # (4) below the buffer: draw on open channels' headroom, cheapest first, up to the buffer.
        need = buffer - cash
        rows = np.flatnonzero((need > 0) & (open_headroom > HALF_CENT)) if n_ch else rows_all[:0]
        if rows.size:
            stale = rows[cheapest_stale[rows]]
            if stale.size:
                advance(stale)
            remaining = need[rows]
            todo = np.arange(rows.size)
            while todo.size:  # each round: the cheapest line with headroom gives what it can
                r = rows[todo]
                line = cheapest[r]
                inside = line < n_ch
                todo, r, line = todo[inside], r[inside], line[inside]
                if not todo.size:
                    break
                cells = line * n_paths + r  # one cell per path: plain indexing, no accumulation needed
                before = avail_f[cells]
                take = np.minimum(remaining[todo], before)
                drawn_f[cells] += take
                drawn_new_f[cells] += take
                drew_f[cells] |= take > 0
                engine_interest[r] += rate_day[line] * take
                remaining[todo] -= take
                fresh = np.maximum(limit_f[cells] - drawn_f[cells], 0.0)  # drawable: it is the cheapest open line
                fresh[take >= before] = 0.0  # emptied (rounding dust left by limit - drawn does not count)
                avail_f[cells] = fresh
                open_headroom[r] += fresh - before
                cheapest_stale[r[fresh <= 0]] = True
                todo = todo[remaining[todo] > 0]
                if todo.size:
                    advance(rows[todo])
            covered = remaining <= 0
            cash[rows] = np.where(covered, buffer, cash[rows] + (need[rows] - remaining))
        liq = cash + open_headroom

        # (4b) a below-threshold plan activates; its lead-time-0 steps deliver at once.
        if plan_trigger == PLAN_BELOW_THRESHOLD:
            newly = activate(liq < model.threshold - HALF_CENT, t)
            if newly.any():
                got = deliver(t, newly)
                if got is not None:
                    liq += got

        # (5) shortfall, and the running results.
        if t < window:  # the policy: end-of-day cash below the buffer is a breach (D14)
            breach_day[(breach_day < 0) & (cash < buffer - HALF_CENT)] = t
            np.minimum(margin, cash - buffer, out=margin)
        runway[(cash < -HALF_CENT) & (runway < 0)] = t
        np.maximum(deficit, -cash, out=deficit)
        better = liq < min_liq
        min_liq[better] = liq[better]
        min_day[better] = t
        liquidity[t] = liq
        np.minimum(lowest[n_steps], liq, out=lowest[n_steps])
        if flags["delivered"]:
            without = liq - without_tail
            np.minimum(lowest[:n_steps], without, out=lowest[:n_steps])
            first = without[0]
        else:
            if n_steps:
                np.minimum(lowest[:n_steps], liq, out=lowest[:n_steps])
            first = liq
        gap_day[(gap_day < 0) & (first < buffer - HALF_CENT)] = t

        # The day ends: overdue days, and the windows of draws and inflows the lenders' triggers look back on.
        overdue += 1
        overdue *= cash < -HALF_CENT
        for i, ring in draw_ring.items():
            slot = t % trig[i].window
            draw_count[i] += drew[trig[i].col] - ring[slot]
            ring[slot] = drew[trig[i].col]
        if inflow_ring:
            realised = model.inflows[t] if noise is None else model.inflows[t] * (1.0 + model.volatility * noise[t])
            for i, ring in inflow_ring.items():
                slot = t % trig[i].days
                inflow_sum[i] += realised - ring[slot]
                ring[slot] = realised
        if freq_cols:
            drew[freq_cols] = False

    has_gap = lowest[0] < buffer - HALF_CENT
    closes = lowest[1:] >= buffer - HALF_CENT
    closing = np.where(has_gap & closes.any(axis=0), np.argmax(closes, axis=0) if n_steps else -1, -1)
    return PathOutcomes(
        runway=runway,
        min_liquidity=min_liq,
        min_liquidity_day=min_day,
        deepest_deficit=np.where(deficit > HALF_CENT, deficit, 0.0),
        contingency_used=used,
        contingency_cost=cost,
        gap_day=gap_day,
        closing_step=closing.astype(np.int64),
        activation_day=np.where(activation == NEVER, -1, activation),
        final_cash=cash,
        breach_day=breach_day,
        buffer_margin=margin,
        liquidity=liquidity,
        own_rank=rank_by_day,
        action_day=act_day,
        action_lost=act_lost,
        action_code=act_code,
    )
