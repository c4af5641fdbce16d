"""The lenders' triggers during a drill (step 2 of a day, :mod:`.simulate`): each trigger's state per path, and the
windows of draws and inflows some of them look back on.

Triggers of a kind are evaluated together: rating, utilisation (above and below) and cross-default in one vectorised
step each; borrowing frequency and inflow drop each keep a window of their own.
"""

from __future__ import annotations

import numpy as np

from .model import HALF_CENT, Model
from .state import PathState


class LenderTriggers:
    """Every trigger of the model, its state on every path, and the lender actions it takes when it fires."""

    def __init__(self, model: Model, state: PathState) -> None:
        n_paths = state.n_paths
        self.trig = trig = model.triggers
        self.fired = np.zeros((len(trig), n_paths), dtype=bool)
        self.fire_all = np.zeros((len(trig), n_paths), dtype=bool)
        self.cols = trig_cols = np.array([tr.col for tr in trig], dtype=np.int64)
        self.rating_idx = rating_idx = np.array(
            [i for i, tr in enumerate(trig) if tr.kind == "own_rating_below"], dtype=np.int64
        )
        self.rating_rank = np.array([trig[i].rank for i in rating_idx], dtype=np.int64)[:, None]
        # Utilisation triggers: those above a level, then those below one (counted only while the line is open).
        self.util_idx = util_idx = np.array(
            [i for kind in ("utilisation_above", "utilisation_below") for i, tr in enumerate(trig) if tr.kind == kind],
            dtype=np.int64,
        )
        self.n_above = n_above = sum(tr.kind == "utilisation_above" for tr in trig)
        self.util_cols = util_cols = trig_cols[util_idx]
        self.below_cols = util_cols[n_above:]
        self.util_level = np.array([trig[i].level for i in util_idx], dtype=np.float64)[:, None]
        self.util_days = np.array([trig[i].days for i in util_idx], dtype=np.int32)[:, None]
        self.util_streak = np.zeros((util_idx.size, n_paths), dtype=np.int32)
        self.held = np.zeros((util_idx.size, n_paths), dtype=bool)
        # Preallocated work buffers: fresh multi-megabyte temporaries every day cost more in page faults than the sums.
        self.util_used = np.zeros((util_idx.size, n_paths))
        self.util_bound = np.zeros((util_idx.size, n_paths))
        self.over_idx = over_idx = np.array(
            [i for i, tr in enumerate(trig) if tr.kind == "any_overdue"], dtype=np.int64
        )
        self.over_grace = np.array([trig[i].grace for i in over_idx], dtype=np.int32)[:, None]
        self.draw_ring = draw_ring = {i: np.zeros((tr.window, n_paths), dtype=np.int32) for i, tr in enumerate(trig)
                                      if tr.kind == "borrowing_frequency"}  # fmt: skip
        self.draw_count = draw_count = {i: np.zeros(n_paths, dtype=np.int32) for i in draw_ring}
        for i in draw_ring:  # recorded draws before day 0 inside the window (day d sits in slot d mod window)
            for d in trig[i].recorded:
                if -trig[i].window <= d < 0:
                    draw_ring[i][d % trig[i].window] += 1
                    draw_count[i] += 1
        self.inflow_ring = inflow_ring = {
            i: np.zeros((tr.days, n_paths)) for i, tr in enumerate(trig) if tr.kind == "inflow_drop"
        }
        self.inflow_sum = {i: np.zeros(n_paths) for i in inflow_ring}
        self.forecast_cum = np.concatenate(([0.0], np.cumsum(model.inflows)))
        self.freq_cols = sorted({trig[i].col for i in draw_ring})
        for i in draw_ring:
            if 0 in trig[i].recorded:
                state.drew[trig[i].col] = True  # a draw recorded on the as-of date counts as one of day 0

    def fire(self, s: PathState, t: int, rating_known: bool, shocked: np.ndarray | None) -> None:
        """Evaluate every trigger on the state after the day's shocks and drawn actions, then apply those that fire
        (once per trigger and path); the paths hit are marked in ``shocked`` (an on_shock plan answers them)."""
        trig, fire_all, util_idx, n_above, n_paths = self.trig, self.fire_all, self.util_idx, self.n_above, s.n_paths
        fire_all[:] = False
        if rating_known and self.rating_idx.size:
            fire_all[self.rating_idx] = s.own_rank[None, :] > self.rating_rank
        if util_idx.size:
            util_used, util_bound, held, util_streak = self.util_used, self.util_bound, self.held, self.util_streak
            np.take(s.drawn, self.util_cols, axis=0, out=util_used)
            np.take(s.limit, self.util_cols, axis=0, out=util_bound)
            util_bound *= self.util_level
            np.greater(util_used[:n_above], util_bound[:n_above], out=held[:n_above])
            np.less(util_used[n_above:], util_bound[n_above:], out=held[n_above:])
            held[n_above:] &= s.openm[self.below_cols]
            util_streak += 1
            util_streak *= held
            fire_all[util_idx] = util_streak >= self.util_days
        if self.over_idx.size:
            fire_all[self.over_idx] = s.overdue[None, :] > self.over_grace
        for i in self.draw_ring:
            fire_all[i] = self.draw_count[i] >= trig[i].count
        for i in self.inflow_ring:  # a full window of realised inflows below the share of their forecast
            days = trig[i].days
            forecast = self.forecast_cum[t] - self.forecast_cum[t - days] if t >= days else 0.0
            if forecast > 0:
                fire_all[i] = self.inflow_sum[i] < trig[i].level * forecast - HALF_CENT
        fire_all &= ~self.fired
        fire_all &= ~s.shut[self.cols]
        fire_rows = [(int(i), np.flatnonzero(fire_all[i])) for i in np.flatnonzero(fire_all.any(axis=1))]
        # Fired triggers with the same action on different lines are applied together (the order among
        # different lines changes nothing); a line's second trigger waits for the next batch.
        batch: list[np.ndarray] = []
        batch_src: list[np.ndarray] = []
        batch_key: tuple[int, float, int] | None = None
        batch_cols: set[int] = set()
        for i, rows in fire_rows:
            tr = trig[i]
            self.fired[i, rows] = True
            if shocked is not None:
                shocked[rows] = True
            key = (tr.code, tr.reduce_by, tr.freeze_days)
            if batch_key is not None and (key != batch_key or tr.col in batch_cols):
                s.apply(np.concatenate(batch), *batch_key, t, np.concatenate(batch_src))
                batch, batch_src, batch_cols = [], [], set()
            batch.append(tr.col * n_paths + rows)
            batch_src.append(np.full(rows.size, tr.source, dtype=np.int64))
            batch_key = key
            batch_cols.add(tr.col)
        if batch_key is not None:
            s.apply(np.concatenate(batch), *batch_key, t, np.concatenate(batch_src))

    def day_ends(self, s: PathState, t: int, noise: np.ndarray | None) -> None:
        """Today's draws and realised inflows enter the windows the triggers look back on."""
        trig, model = self.trig, s.model
        for i, ring in self.draw_ring.items():
            slot = t % trig[i].window
            self.draw_count[i] += s.drew[trig[i].col] - ring[slot]
            ring[slot] = s.drew[trig[i].col]
        if self.inflow_ring:
            realised = model.inflows[t] if noise is None else model.inflows[t] * (1.0 + model.volatility * noise[t])
            for i, inflows in self.inflow_ring.items():
                slot = t % trig[i].days
                self.inflow_sum[i] += realised - inflows[slot]
                inflows[slot] = realised
        if self.freq_cols:
            s.drew[self.freq_cols] = False
