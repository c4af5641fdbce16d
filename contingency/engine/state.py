"""The state of a batch of paths during a drill, and the bookkeeping the steps of a day share (see :mod:`.simulate`).

State per path and channel (channels in cheapest-first order): limit, drawn (of which ``drawn_new`` was drawn by
the engine during the drill), shut (closed, called or matured), frozen-until day, and the day an amount demanded
by the lender falls due. Per path: cash, plan activation day, delivered contingency per step, the company's own
rating, and the running results.

The per-channel arrays are channel-major (C x P, flat index = channel position x P + path) so that the per-channel
work of a day (debt service, maturities, triggers) touches contiguous memory; each has a flat view (``*_f``) for
work on scattered (channel, path) cells. Nothing touches every channel of every path on an ordinary day: the
drawable headroom ``avail``, its per-path total, the cheapest line that still has headroom and the interest on the
engine's draws are kept up to date where they change, by the methods here.
"""

from __future__ import annotations

import numpy as np

from .model import CALL, CLOSE, FREEZE, REDUCE, Model
from .randomness import NEVER, Draws


def _group(flat_lists: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(flat_lists)) if len(flat_lists) > 1 else flat_lists[0]


class PathState:
    """Every array a day of the drill reads or changes, for ``draws.n_paths`` paths, set up on day 0."""

    def __init__(self, model: Model, draws: Draws, *, window: int, extra_cash: np.ndarray | None) -> None:
        self.model, self.draws = model, draws
        self.horizon = horizon = model.horizon
        self.n_ch = n_ch = model.n_channels
        self.n_paths = n_paths = draws.n_paths
        self.steps = steps = model.steps
        self.n_steps = n_steps = len(steps)
        self.buffer = model.buffer
        self.window = window
        self.rows_all = rows_all = np.arange(n_paths, dtype=np.int64)
        self.rate_day = model.rate_day

        def per_path(values: np.ndarray) -> np.ndarray:
            return np.repeat(values[:, None], n_paths, axis=1)

        # The lines.
        self.limit = limit = per_path(model.limit0)
        self.drawn = drawn = per_path(model.drawn0)
        self.drawn_new = drawn_new = np.zeros((n_ch, n_paths))
        self.shut = shut = per_path(model.shut0)
        self.frozen_until = frozen_until = per_path(model.frozen_until0)
        self.demand_day = demand_day = np.full((n_ch, n_paths), NEVER, dtype=np.int64)
        self.openm = openm = ~shut & (frozen_until <= 0)
        self.not_reserved = ~model.reserved
        self.drawable = drawable = (openm & self.not_reserved[:, None]).astype(np.float64)
        self.avail = avail = np.maximum(limit - drawn, 0.0) * drawable  # what step 4 may draw
        self.limit_f, self.drawn_f, self.drawn_new_f = limit.reshape(-1), drawn.reshape(-1), drawn_new.reshape(-1)
        self.shut_f, self.frozen_f, self.demand_f = shut.reshape(-1), frozen_until.reshape(-1), demand_day.reshape(-1)
        self.openm_f, self.drawable_f, self.avail_f = openm.reshape(-1), drawable.reshape(-1), avail.reshape(-1)
        # A draw on the line today (borrowing-frequency triggers).
        self.drew = np.zeros((n_ch, n_paths), dtype=bool)
        self.drew_f = self.drew.reshape(-1)

        # Per path: total drawable headroom, the cheapest line with headroom (n_ch = none; "stale" = recompute before
        # use) and the daily interest on the engine's own draws.
        self.open_headroom = avail.sum(axis=0) if n_ch else np.zeros(n_paths)
        positive = avail > 0
        self.cheapest = (
            np.where(positive.any(axis=0), np.argmax(positive, axis=0), n_ch) if n_ch else np.zeros(n_paths, int)
        )
        self.cheapest_stale = np.zeros(n_paths, dtype=bool)
        self.engine_interest = np.zeros(n_paths)

        # Cash, the plan, and the running results.
        self.cash = np.full(n_paths, model.opening_cash)
        if extra_cash is not None:
            self.cash += extra_cash
        self.breach_day = np.full(n_paths, -1, dtype=np.int64)
        self.margin = np.full(n_paths, np.inf)
        self.activation = np.full(n_paths, NEVER, dtype=np.int64)
        self.activated_on = np.zeros(horizon + 1, dtype=np.int64)  # paths activated per day, to skip idle steps
        self.runway = np.full(n_paths, -1, dtype=np.int64)
        self.min_liq = np.full(n_paths, np.inf)
        self.min_day = np.zeros(n_paths, dtype=np.int64)
        self.deficit = np.zeros(n_paths)
        self.used = np.zeros(n_paths)
        self.cost = np.zeros(n_paths)
        # without_tail[j]: what steps j, j+1, ... delivered so far (liquidity without them = liquidity - tail).
        self.without_tail = np.zeros((n_steps, n_paths))
        self.pool_left = per_path(model.pool_amounts)
        self.cut_left = per_path(np.array([s.capacity for s in steps], dtype=np.float64))
        self.lowest = np.full((n_steps + 1, n_paths), np.inf)
        self.gap_day = np.full(n_paths, -1, dtype=np.int64)
        self.liquidity = np.empty((horizon, n_paths))
        self.step_ok = np.ascontiguousarray(draws.step_ok.T)
        self.delivered = False  # has any step delivered on any path yet

        # The company's own rating, overdue days, and the record of every lender action (first day, liquidity lost
        # and action, per source).
        self.overdue = np.zeros(n_paths, dtype=np.int32)  # consecutive days with a shortfall, up to yesterday
        self.spiralled = np.zeros(n_paths, dtype=bool)
        self.own_rank = np.full(n_paths, model.own_rank0, dtype=np.int64)
        self.rank_by_day = np.full((horizon, n_paths), model.own_rank0, dtype=np.int16)
        n_src = len(model.sources)
        self.act_day = np.full((n_src, n_paths), NEVER, dtype=np.int64)
        self.act_lost = np.zeros((n_src, n_paths))
        self.act_code = np.full((n_src, n_paths), -1, dtype=np.int8)

        # Days on which something happens to some cells: demands fall due, frozen lines reopen.
        self.demand_reg: dict[int, list[np.ndarray]] = {}
        self.reopen_reg: dict[int, list[np.ndarray]] = {}
        # Recorded history: lines that open later (not started yet, or a recorded freeze ends) and recorded demands.
        for c in np.flatnonzero((model.frozen_until0 > 0) & (model.frozen_until0 < horizon)).tolist():
            self.reopen_reg.setdefault(int(model.frozen_until0[c]), []).append(c * n_paths + rows_all)
        for c in np.flatnonzero(model.demand0 < horizon).tolist():
            self.register(c * n_paths + rows_all, np.full(n_paths, model.demand0[c], dtype=np.int64))

    # -- headroom bookkeeping ------------------------------------------------------------------------------------

    def set_avail(self, flat: np.ndarray, fresh: np.ndarray | None) -> None:
        """New drawable headroom (None: none left) for some (channel, path) cells, with the per-path bookkeeping."""
        if flat.size == 0:
            return
        n_paths, avail_f, open_headroom = self.n_paths, self.avail_f, self.open_headroom
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
                np.minimum.at(self.cheapest, rows[gained], flat[gained] // n_paths)
            lost = ~gained & (old > 0)
        if lost.any():
            lost_rows = rows[lost]
            self.cheapest_stale[lost_rows[flat[lost] // n_paths == self.cheapest[lost_rows]]] = True

    def refresh(self, flat: np.ndarray) -> None:
        self.set_avail(flat, np.maximum(self.limit_f[flat] - self.drawn_f[flat], 0.0) * self.drawable_f[flat])

    def set_avail_col(self, c: int, fresh: np.ndarray) -> None:
        """New drawable headroom of every path of line ``c``."""
        self.open_headroom[:] += fresh - self.avail[c]
        self.avail[c] = fresh
        gained = fresh > 0
        np.minimum(self.cheapest, np.where(gained, c, self.n_ch), out=self.cheapest)
        self.cheapest_stale[~gained & (self.cheapest == c)] = True

    def advance(self, rows: np.ndarray) -> None:
        """Find again the cheapest line with headroom of these paths (n_ch when none has any)."""
        self.cheapest_stale[rows] = False
        has = self.avail[:, rows] > 0
        self.cheapest[rows] = np.where(has.any(axis=0), np.argmax(has, axis=0), self.n_ch)

    def reopen(self, day: int) -> None:
        """Frozen lines whose freeze ends on ``day`` reopen."""
        if day not in self.reopen_reg:
            return
        flat = _group(self.reopen_reg.pop(day))
        flat = flat[~self.shut_f[flat] & (self.frozen_f[flat] <= day)]
        self.openm_f[flat] = True
        self.drawable_f[flat] = self.not_reserved[flat // self.n_paths]
        self.refresh(flat)

    # -- what the lenders are paid and demand ----------------------------------------------------------------------

    def pay(self, flat: np.ndarray, amount: np.ndarray) -> None:
        """The lender is repaid ``amount`` of what is drawn: the engine's own draws first."""
        if flat.size == 0:
            return
        n_paths, drawn_new_f, drawn_f = self.n_paths, self.drawn_new_f, self.drawn_f
        dn = drawn_new_f[flat]
        repaid_new = np.minimum(dn, amount)
        drawn_new_f[flat] = dn - repaid_new
        drawn_f[flat] = drawn_f[flat] - amount
        self.refresh(flat)
        if repaid_new.any():
            np.subtract.at(self.engine_interest, flat % n_paths, self.rate_day[flat // n_paths] * repaid_new)
        np.subtract(self.cash, np.bincount(flat % n_paths, weights=amount, minlength=n_paths), out=self.cash)

    def register(self, flat: np.ndarray, due: np.ndarray) -> None:
        """What these cells owe above their limit falls due on day ``due`` (per cell)."""
        if flat.size == 0:
            return
        self.demand_f[flat] = np.minimum(self.demand_f[flat], due)
        first = int(due[0])
        if (due == first).all():  # one line, or lines with the same notice
            if first < self.horizon:
                self.demand_reg.setdefault(first, []).append(flat)
            return
        for day in set(due.tolist()):
            if day < self.horizon:
                self.demand_reg.setdefault(day, []).append(flat[due == day])

    def collect_demands(self, day: int) -> None:
        """What a lender demanded for ``day`` (the excess over a reduced limit, a called line) is repaid."""
        if day not in self.demand_reg:
            return
        flat = _group(self.demand_reg.pop(day))
        flat = flat[self.demand_f[flat] == day]
        self.pay(flat, np.maximum(self.drawn_f[flat] - self.limit_f[flat], 0.0))
        self.demand_f[flat] = NEVER

    def apply(
        self, flat: np.ndarray, code: int | np.ndarray, reduce_by: float, freeze_days: int, day: int, src: np.ndarray
    ) -> None:
        """Lender actions on distinct cells; ``code`` is one action or one per cell (the day's drawn actions);
        ``src`` the source of each cell's action, whose first day and the liquidity it cost are recorded: the
        headroom lost plus what the action makes fall due (at once or after the notice)."""
        if flat.size == 0:
            return
        model, n_paths = self.model, self.n_paths
        limit_f, drawn_f, avail_f, shut_f = self.limit_f, self.drawn_f, self.avail_f, self.shut_f
        codes = np.full(flat.size, code, dtype=np.int8) if np.isscalar(code) else np.asarray(code)
        cols = flat // n_paths
        headroom_before, drawn_before = avail_f[flat].copy(), drawn_f[flat].copy()
        is_close, is_call, is_reduce = codes == CLOSE, codes == CALL, codes == REDUCE
        is_freeze = (codes == FREEZE) & ~shut_f[flat]  # a shut line cannot be frozen
        closing, calling, freezing, reducing = flat[is_close | is_call], flat[is_call], flat[is_freeze], flat[is_reduce]
        if reducing.size:
            limit_f[reducing] = limit_f[reducing] * (1.0 - reduce_by)
            self.refresh(reducing)
        shut_f[closing] = True
        limit_f[calling] = 0.0
        blocked = np.concatenate((closing, freezing))
        if blocked.size:
            self.openm_f[blocked] = False
            self.drawable_f[blocked] = 0.0
            self.set_avail(blocked, None)
        if freezing.size:
            until = day + freeze_days
            self.frozen_f[freezing] = np.maximum(self.frozen_f[freezing], until)
            if until < self.horizon:
                self.reopen_reg.setdefault(until, []).append(freezing)
        # What falls due: at once for supply-chain finance (snap-back: closed, frozen or called, everything drawn;
        # reduced, the excess) and for a notice of 0 days; otherwise after the notice (reduce and call only).
        is_scf = model.scf[cols]
        notice = model.notice
        at_once = is_scf | (notice[cols] == 0)
        whole = is_call & at_once | (is_close | is_freeze) & is_scf
        excess = np.where(is_reduce, drawn_f[flat] - limit_f[flat], 0.0)
        owed = is_reduce & (excess > 0)
        now = whole | owed & at_once
        if now.any():
            due_flat = flat[now]
            self.pay(due_flat, np.where(whole[now], drawn_f[due_flat], excess[now]))
        later = ~at_once & (is_call | owed)
        if later.any():
            self.register(flat[later], day + notice[cols[later]])
        rows = flat % n_paths
        demanded = np.where(whole | is_call, drawn_before, np.where(owed, excess, 0.0))
        first = self.act_day[src, rows] > day  # (source, path) pairs are distinct within one call
        self.act_code[src[first], rows[first]] = codes[first]
        np.minimum.at(self.act_day, (src, rows), day)
        np.add.at(self.act_lost, (src, rows), headroom_before - avail_f[flat] + demanded)

    # -- the plan ----------------------------------------------------------------------------------------------------

    def activate(self, paths_hit: np.ndarray, day: int) -> np.ndarray:
        """Activate the plan on these paths (bool mask) if not yet active; returns the newly activated mask."""
        newly = paths_hit & (self.activation == NEVER)
        count = int(newly.sum())
        if count:
            self.activation[newly] = day
            self.activated_on[day] += count
        return newly
