"""The daily state machine, vectorised over paths (the engine's one code path).

A day is the five steps of DESIGN's drill semantics, one function each, on a :class:`.state.PathState` (the arrays
of every path) and the lenders' triggers (:class:`.triggers.LenderTriggers`):

1. :func:`operating_flows_and_debt_service` — the operating flows, interest and principal due, maturities and the
   amounts lenders demanded for today (lines whose freeze ends reopen first);
2. :func:`shocks_and_triggers` — the day's shocks, drawn lender actions, the company's rating move, and the triggers;
3. :func:`plan_delivers` — plan steps whose lead time has elapsed deliver;
4. :func:`draw_to_buffer` — below the buffer, draw on open channels' headroom, cheapest first, up to the buffer
   (and a below-threshold plan activates on the liquidity that leaves);
5. :func:`shortfall_and_results` — the shortfall, the policy and the running results; then the day ends.

See the package docstring for the exact rules; the test suite's per-path reference loop
(tests/contingency/engine/reference.py) implements the same rules one path at a time in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import RANK_C
from .model import HALF_CENT, PLAN_BELOW_THRESHOLD, PLAN_NONE, PLAN_ON_SHOCK, Model
from .randomness import NEVER, Draws
from .state import PathState
from .triggers import LenderTriggers


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


def simulate_paths(
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
    """
    horizon = model.horizon
    window = horizon if policy_days is None else min(int(policy_days), horizon)
    s = PathState(model, draws, window=window, extra_cash=extra_cash)
    triggers = LenderTriggers(model, s)
    drawn_actions = _drawn_actions_by_day(model, draws)
    for t in range(horizon if until is None else min(until, horizon)):
        operating_flows_and_debt_service(s, t)
        shocks_and_triggers(s, triggers, drawn_actions, t)
        plan_delivers(s, t)
        liq = draw_to_buffer(s, t)
        shortfall_and_results(s, t, liq)
        day_ends(s, triggers, t)
    return _outcomes(s)


def _drawn_actions_by_day(model: Model, draws: Draws) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The Monte Carlo lender actions drawn for the paths, grouped by day: the (channel, path) cells and kinds."""
    ev_day = np.ascontiguousarray(draws.event_day[:, model.perm].T).reshape(-1)
    ev_kind = np.ascontiguousarray(draws.event_kind[:, model.perm].T).reshape(-1)
    ev_flat = np.flatnonzero(ev_day < model.horizon)
    by_day: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if ev_flat.size:
        ev_flat = ev_flat[np.argsort(ev_day[ev_flat], kind="stable")]
        days, starts = np.unique(ev_day[ev_flat], return_index=True)
        bounds = [*starts.tolist(), ev_flat.size]
        for i, day in enumerate(days.tolist()):
            chunk = ev_flat[bounds[i] : bounds[i + 1]]
            by_day[day] = (chunk, ev_kind[chunk])
    return by_day


# -- (1) operating flows and debt service -----------------------------------------------------------------------------


def operating_flows_and_debt_service(s: PathState, t: int) -> None:
    """Frozen lines whose freeze ends today reopen (before today's rollover); then the day's operating flows,
    interest, principal due (an open rolling line refinances its own), maturities and what lenders demanded."""
    model, cash, n_paths = s.model, s.cash, s.n_paths
    s.reopen(t)
    noise = s.draws.flow_noise
    if noise is None:
        cash += model.flows[t]
    else:
        cash += model.flows[t] * (1.0 + model.volatility * noise[t])
    cash -= model.disc[t]
    cash -= model.interest_total[t]
    cash -= s.engine_interest
    limit, drawn, drawn_new, avail, drawable, openm = s.limit, s.drawn, s.drawn_new, s.avail, s.drawable, s.openm
    maturing = model.maturing_by_day.get(t)
    if maturing is not None:
        for c in maturing.tolist():
            s.shut[c] = True
            openm[c] = False
            drawable[c] = 0.0
            limit[c] = 0.0
            s.set_avail_col(c, np.zeros(n_paths))
    rolls, revolving = model.rolls, model.revolving
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
            s.set_avail_col(c, fresh)
    if maturing is not None:
        for c in maturing.tolist():
            flat = c * n_paths + s.rows_all
            s.pay(flat, s.drawn_f[flat])
    s.collect_demands(t)


# -- (2) the day's shocks and the lenders' triggers -------------------------------------------------------------------


def shocks_and_triggers(
    s: PathState, triggers: LenderTriggers, drawn_actions: dict[int, tuple[np.ndarray, np.ndarray]], t: int
) -> None:
    """The day's scenario shocks, the drawn lender actions, the company's rating move, then every trigger on the
    state they leave; an on_shock plan activates on the paths any of them hit."""
    model, draws, n_paths, rows_all = s.model, s.draws, s.n_paths, s.rows_all
    shocked_all = False
    shocked = np.zeros(n_paths, dtype=bool) if model.plan_trigger == PLAN_ON_SHOCK else None
    for spec in model.shocks_by_day.get(t, ()):
        s.apply((spec.cols[:, None] * n_paths + rows_all[None, :]).reshape(-1), spec.code, spec.reduce_by,
                spec.freeze_days, t, np.repeat(spec.sources, n_paths))  # fmt: skip
        shocked_all = True
    if t in drawn_actions:
        flat, kinds = drawn_actions[t]
        random_source = model.random_base + model.perm  # cheapest-first position -> source of its drawn actions
        s.apply(flat, kinds, model.mc_reduce_by, model.mc_freeze_days, t, random_source[flat // n_paths])
        if shocked is not None and draws.events_activate_plan:
            shocked[flat % n_paths] = True
    rating_known = model.own_rank0 >= 0
    if rating_known:
        if t in model.rating_shock_days:
            shocked_all = True  # a scenario shock on the company: an on_shock plan answers it
        _rating_moves(s, t)
    if triggers.trig:
        triggers.fire(s, t, rating_known, shocked)
    if shocked is not None:
        if shocked_all:
            shocked[:] = True
        s.activate(shocked, t)


def _rating_moves(s: PathState, t: int) -> None:
    """The company's rating moves (company downgrade shocks, Monte Carlo migration, the overdue spiral), stopping
    at C; a defaulted D stays D."""
    model, draws, own_rank = s.model, s.draws, s.own_rank
    notches = model.rating_events.get(t, 0)
    if notches:
        own_rank[:] = np.where(own_rank < RANK_C, np.minimum(own_rank + notches, RANK_C), own_rank)
    if draws.rating_day is not None and draws.rating_notches is not None:  # drawn together, or neither
        moved = draws.rating_day == t
        if moved.any():
            own_rank[moved] = np.where(own_rank[moved] < RANK_C,
                                       np.minimum(own_rank[moved] + draws.rating_notches[moved], RANK_C),
                                       own_rank[moved])  # fmt: skip
    spiral = (s.overdue > 0) & ~s.spiralled  # a missed payment: the company is rated C from the next day
    if spiral.any():
        s.spiralled |= spiral
        own_rank[spiral] = np.maximum(own_rank[spiral], RANK_C)
    s.rank_by_day[t] = own_rank


# -- (3) plan steps whose lead time has elapsed deliver ---------------------------------------------------------------


def plan_delivers(s: PathState, t: int) -> None:
    if s.model.plan_trigger != PLAN_NONE:
        _deliver(s, t, None)


def _deliver(s: PathState, day: int, only: np.ndarray | None) -> np.ndarray | None:
    """Plan steps due today deliver; ``only`` restricts to paths activated just now (step 4b). What they brought,
    per path (None: no step delivered)."""
    got = None
    n_paths, activation, activated_on, step_ok = s.n_paths, s.activation, s.activated_on, s.step_ok
    cash, used, cost, without_tail, cut_left = s.cash, s.used, s.cost, s.without_tail, s.cut_left
    disc_today = s.model.disc[day]
    disc_left = None
    for k, step in enumerate(s.steps):
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
                headroom = np.maximum(s.limit[c] - s.drawn[c], 0.0)
                x = np.where(due & s.openm[c], np.minimum(net, headroom), 0.0)
                s.drawn[c] += x
                s.drawn_new[c] += x  # a reserved line: never drawable by step 4, so avail stays 0
                s.engine_interest[:] += s.rate_day[c] * x
                s.drew[c] |= x > 0
            elif step.pool >= 0:
                gross = np.where(due, np.minimum(step.capacity, s.pool_left[step.pool]), 0.0)
                s.pool_left[step.pool] -= gross
                x = gross * (1.0 - step.haircut)
            else:
                x = np.where(due, net, 0.0)
        np.add(used, x, out=used)
        np.add(cost, x * step.cost_rate, out=cost)
        x = x * (1.0 - step.cost_rate) if step.cost_rate else x  # the step's cost is paid out of what it brings
        np.add(cash, x, out=cash)
        without_tail[: k + 1] += x
        got = x if got is None else got + x
        s.delivered = True
    return got


# -- (4) below the buffer: draw on open channels' headroom ------------------------------------------------------------


def draw_to_buffer(s: PathState, t: int) -> np.ndarray:
    """Paths below the buffer draw on open channels' headroom, cheapest first, up to the buffer; then (4b) a
    below-threshold plan activates and its lead-time-0 steps deliver at once. The day's liquidity (cash + open
    headroom) per path."""
    n_ch, n_paths, buffer, cash, open_headroom = s.n_ch, s.n_paths, s.buffer, s.cash, s.open_headroom
    need = buffer - cash
    rows = np.flatnonzero((need > 0) & (open_headroom > HALF_CENT)) if n_ch else s.rows_all[:0]
    if rows.size:
        cheapest, cheapest_stale, avail_f, limit_f = s.cheapest, s.cheapest_stale, s.avail_f, s.limit_f
        drawn_f, drawn_new_f, drew_f, engine_interest, rate_day = (
            s.drawn_f, s.drawn_new_f, s.drew_f, s.engine_interest, s.rate_day
        )  # fmt: skip
        stale = rows[cheapest_stale[rows]]
        if stale.size:
            s.advance(stale)
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
                s.advance(rows[todo])
        covered = remaining <= 0
        cash[rows] = np.where(covered, buffer, cash[rows] + (need[rows] - remaining))
    liq = cash + open_headroom
    if s.model.plan_trigger == PLAN_BELOW_THRESHOLD:
        newly = s.activate(liq < s.model.threshold - HALF_CENT, t)
        if newly.any():
            got = _deliver(s, t, newly)
            if got is not None:
                liq += got
    return liq


# -- (5) shortfall, and the running results ---------------------------------------------------------------------------


def shortfall_and_results(s: PathState, t: int, liq: np.ndarray) -> None:
    """A path whose cash is below zero has a shortfall today; the policy, the liquidity and the gap are recorded."""
    cash, buffer, n_steps, lowest = s.cash, s.buffer, s.n_steps, s.lowest
    if t < s.window:  # the policy: end-of-day cash below the buffer is a breach (D14)
        s.breach_day[(s.breach_day < 0) & (cash < buffer - HALF_CENT)] = t
        np.minimum(s.margin, cash - buffer, out=s.margin)
    s.runway[(cash < -HALF_CENT) & (s.runway < 0)] = t
    np.maximum(s.deficit, -cash, out=s.deficit)
    better = liq < s.min_liq
    s.min_liq[better] = liq[better]
    s.min_day[better] = t
    s.liquidity[t] = liq
    np.minimum(lowest[n_steps], liq, out=lowest[n_steps])
    if s.delivered:
        without = liq - s.without_tail
        np.minimum(lowest[:n_steps], without, out=lowest[:n_steps])
        first = without[0]
    else:
        if n_steps:
            np.minimum(lowest[:n_steps], liq, out=lowest[:n_steps])
        first = liq
    s.gap_day[(s.gap_day < 0) & (first < buffer - HALF_CENT)] = t


def day_ends(s: PathState, triggers: LenderTriggers, t: int) -> None:
    """The day ends: overdue days, and the windows of draws and inflows the lenders' triggers look back on."""
    s.overdue += 1
    s.overdue *= s.cash < -HALF_CENT
    triggers.day_ends(s, t, s.draws.flow_noise)


def _outcomes(s: PathState) -> PathOutcomes:
    buffer, n_steps, lowest = s.buffer, s.n_steps, s.lowest
    has_gap = lowest[0] < buffer - HALF_CENT
    closes = lowest[1:] >= buffer - HALF_CENT
    closing = np.where(has_gap & closes.any(axis=0), np.argmax(closes, axis=0) if n_steps else -1, -1)
    return PathOutcomes(
        runway=s.runway,
        min_liquidity=s.min_liq,
        min_liquidity_day=s.min_day,
        deepest_deficit=np.where(s.deficit > HALF_CENT, s.deficit, 0.0),
        contingency_used=s.used,
        contingency_cost=s.cost,
        gap_day=s.gap_day,
        closing_step=closing.astype(np.int64),
        activation_day=np.where(s.activation == NEVER, -1, s.activation),
        final_cash=s.cash,
        breach_day=s.breach_day,
        buffer_margin=s.margin,
        liquidity=s.liquidity,
        own_rank=s.rank_by_day,
        action_day=s.act_day,
        action_lost=s.act_lost,
        action_code=s.act_code,
    )
