"""One path of the oracle's deterministic drill, day by day.

The day, in DESIGN's order
  0. A freeze that ends on day t has ended (the line reopens on s + k).
  1. cash += operating flows - scheduled interest and principal (see above) - fees - interest on the drill's own
     draws (D9: the balance at the start of the day x rate / 360 for ACT/360 and 30/360, / 365 for ACT/365F) -
     demands due today (capped at what is outstanding; recorded balance first, then the drill's own draws) - the
     drill's own draws on a line whose maturity is today (CONSERVATIVE: a drill's draw runs to the line's maturity).
  2. The day's shocks in list order, then the lenders' triggers (each at most once), as lender actions:
     close -> closed from today; freeze k -> frozen today .. t+k-1 (extends a running freeze); reduce r -> limit x
     (1 - r), the drawn amount above it due on t + notice_days (supply-chain finance: today); call -> closed, all that
     is drawn due on t + notice_days (supply-chain finance: today). A demand due today is paid at once. Company
     shocks (target_type company, action downgrade) move the own rating min(rank + notches, rank of C) (D10).
     Shock targets: channel (by key), channel_type, counterparty (by key), all, all_platforms (CONSERVATIVE: a channel
     of type small_loan_platform OR one whose counterparty is of kind platform).
     Trigger conditions, measured here (after the day's shocks):
       own_rating_below R: the own rating (as of as_of, after own_downgrade_notches, after downgrade shocks) is
         strictly worse than R (no rating known on as_of: never fires -- a rule about a rating needs a rating);
       utilisation_above / _below (level, days): drawn (recorded + the drill's) strictly above / below level x limit
         (limit > 0) on `days` consecutive days including today (days empty or 0 counts as 1);
       any_overdue (grace_days): the path has had a shortfall on more than grace_days consecutive days up to
         yesterday (step 5 runs after the triggers);
       borrowing_frequency (count, window_days): draws on the line dated t - window_days + 1 .. t, recorded ledger
         draws included (one step-4 draw per day), reach count;
       inflow_drop (level, days): operating inflows over the last `days` below level x their forecast -- in a
         deterministic drill inflows are the forecast, so it fires only for level > 1.
  3. Plan steps delivering today: an on_shock plan activates on the day of the scenario's first shock that hits
     something (CONSERVATIVE: a shock whose target has no channel, or a downgrade of an unrated company, does not
     activate it; nor do D7's cancellation and own_downgrade_notches, which are not shocks); a below_threshold plan on the
     first day whose liquidity after step 4 is below its threshold. Step k delivers on activation + lead, where an
     omitted lead is its pool's days to cash (D6). A pool step delivers round_cent(min(amount or pool amount, what is
     left of the pool) x (1 - haircut)) x fx; a step without a pool delivers its amount (reporting currency). A
     backup-line pool delivers nothing when its channel is not open that day (closed, called, matured, frozen, not
     started or D7-cancelled), whatever the action (D6). The deterministic drill ignores success_probability.
     CONSERVATIVE: the step's cost (cost_rate x delivered) is paid from the delivered cash. cut_discretionary (no
     pool): from the day it delivers (that day's discretionary outflows included), discretionary outflows are not
     paid, up to the step's amount in total (CONSERVATIVE: a cut saves only outflows that exist; its saving counts
     as contingency used as it accrues).
     A below_threshold plan that activates today delivers its lead-0 steps today, after step 4 and before step 5.
  4. If cash is below the minimum buffer, draw on open lines' headroom (limit - drawn, at least 0), cheapest annual
     rate first (ties: list order), up to the buffer.
  5. Cash below zero (by more than half a cent) is a shortfall on day t. The path goes on with the deficit.

"""

from __future__ import annotations

import math

from tests.oracle.drill.company import Line, Model
from tests.oracle.drill.ratings import RANK_C, trigger_rank
from tests.oracle.drill.schedules import dec

EPS = 0.005  # half a cent: a shortfall or a breach is a miss by more than rounding


class Path:
    def __init__(self, model: Model, extra: float = 0.0):
        self.m = model
        self.extra = extra

    def run(self) -> dict:  # noqa: C901 - one day of DESIGN's state machine, in its order
        m = self.m
        for line in m.lines:
            line.reset()
        cash = m.opening_cash + self.extra
        rank = m.rank0
        H = m.H
        liquidity, cash_eod = [0.0] * H, [0.0] * H
        runway = None
        shortfall_streak = 0
        spiralled = False
        activation = m.first_shock_day if m.plan and m.plan["trigger"] == "on_shock" else None
        threshold = float(dec(m.plan["threshold"])) if m.plan and m.plan["trigger"] == "below_threshold" else None
        pool_left = {key: dec(pool["amount"]) for key, pool in m.pools.items()}
        delivered_steps: set[int] = set()
        cuts: list[list[float]] = []  # cut_discretionary steps in force, in plan order: [capacity left, cost rate]
        used = cost = 0.0
        cut_given = [0.0] * m.H  # discretionary outflow given back per day

        def pay_demand(line: Line, amount: float) -> float:
            """D29: everything drawn above the limit when a demand falls due (a later demand of the same line is
            thereby settled early, against the limit then in force); the drill's own draws are repaid first."""
            return repay(line, max(line.drawn() - line.limit, 0.0))

        def repay(line: Line, amount: float) -> float:
            from_own = min(amount, line.own)
            line.own -= from_own
            line.rec -= amount - from_own
            return amount

        def act(line: Line, action: str, t: int, reduce_by=None, freeze_days=None) -> float:
            """A lender action on day t; returns the cash that leaves today."""
            notice = 0 if line.scf else line.notice
            snapped = 0.0
            if action == "close":
                line.closed = True
                if line.scf:  # D27: a withdrawn programme snaps back at once
                    snapped = repay(line, line.drawn())
            elif action == "freeze":
                if not line.closed:
                    line.frozen_until = max(line.frozen_until, t + int(freeze_days))
                    if line.scf:
                        snapped = repay(line, line.drawn())
            elif action == "reduce":
                line.limit *= 1 - float(dec(reduce_by))
                excess = line.drawn() - line.limit
                if excess > 1e-9:
                    line.demands.append((t + notice, excess))
            elif action == "call":
                line.closed = True
                line.limit = 0.0  # everything drawn is demanded
                if line.drawn() > 1e-9:
                    line.demands.append((t + notice, line.drawn()))
            else:
                raise ValueError(f"unknown lender action {action!r}")
            paid = snapped
            keep = []
            for due, amount in line.demands:
                if due <= t:
                    paid += pay_demand(line, amount)
                else:
                    keep.append((due, amount))
            line.demands = keep
            return paid

        def deliver(t: int) -> None:
            nonlocal cash, used, cost
            for index, (step, pool, lead) in enumerate(m.steps):
                if index in delivered_steps or activation is None or activation + lead != t:
                    continue
                delivered_steps.add(index)
                rate = float(dec(step.get("cost_rate") or 0))
                if step["action"] == "cut_discretionary" and pool is None:
                    # in force from its delivery day: that day's discretionary outflows are given back, then later
                    # days', up to its amount (each cut step its own capacity and cost, in plan order)
                    cuts.append(
                        [float(dec(step["amount"])) if step.get("amount") is not None else math.inf, rate, index]
                    )
                    cuts.sort(key=lambda cut: cut[2])  # plan order
                    continue
                haircut = 1 - float(dec(pool.get("haircut", 0))) if pool is not None else 1.0
                if pool is not None and pool.get("channel"):
                    # D25: a backup line is drawn on its channel, capped by its headroom, nothing when it is not open
                    line = m.by_key.get(pool["channel"])
                    if line is None or not line.is_open(t):
                        continue
                    face = dec(step["amount"]) if step.get("amount") is not None else dec(pool["amount"])
                    value = min(m.money(face, pool["currency"]) * haircut, max(line.limit - line.drawn(), 0.0))
                    line.own += value
                elif pool is not None:
                    face = pool_left[pool["key"]]
                    if step.get("amount") is not None:
                        face = min(face, dec(step["amount"]))
                    pool_left[pool["key"]] -= face
                    value = m.money(face, pool["currency"]) * haircut  # D20: converted to the cent, then the haircut
                else:
                    value = float(dec(step["amount"] or 0))
                fee = value * rate
                cash += value - fee
                used += value
                cost += fee
            cut_today(t)

        def cut_today(t: int) -> None:
            """The cuts in force give back what is left of day t's discretionary outflows, in plan order."""
            nonlocal cash, used, cost
            left = -m.discretionary_out[t] - cut_given[t]
            for cut in cuts:
                saved = min(cut[0], left)
                if saved <= 0:
                    continue
                cut[0] -= saved
                left -= saved
                cut_given[t] += saved
                cash += saved - saved * cut[1]
                used += saved
                cost += saved * cut[1]

        for t in range(H):
            # 1. operating flows and debt service
            cash += m.flows[t]
            for line in m.lines:
                if line.own > 0:
                    cash -= line.own * line.rate / line.basis
                row = line.rows.get(t)
                if row is not None:
                    interest, principal = row
                    cash -= interest  # D28: as scheduled, even after an early demand (no credit for interest saved)
                    principal = min(principal, line.rec)
                    if not (line.rolls and line.is_open(t)):
                        cash -= principal
                        line.rec -= principal
                        if line.amortising:  # D19: repaid principal of a term facility does not come back
                            line.limit = max(line.limit - principal, 0.0)
                cash -= line.fees.get(t, 0.0)
                if t == line.mat_day and line.drawn() > 0:
                    cash -= repay(line, line.drawn())  # D31: at maturity everything still drawn falls due
                keep = []
                for due, amount in line.demands:
                    if due <= t:
                        cash -= pay_demand(line, amount)
                    else:
                        keep.append((due, amount))
                line.demands = keep

            # 2. the day's shocks, then the lenders' triggers
            for shock in m.shocks.get(t, []):
                if shock["target_type"] == "company":
                    if shock["action"] == "downgrade" and rank is not None:
                        rank = min(rank + int(shock.get("notches") or 0), RANK_C)
                    continue
                for line in m.targets(shock):
                    cash -= act(line, shock["action"], t, shock.get("reduce_by"), shock.get("freeze_days"))
            if rank is not None and shortfall_streak > 0 and not spiralled:
                spiralled = True  # D23: the day after the first shortfall the company is rated C
                rank = max(rank, RANK_C)
            for line in m.lines:
                shut = line.closed or line.cancelled or t >= line.mat_day
                for index, trigger in enumerate(line.spec.get("triggers", [])):
                    if index in line.fired:
                        continue
                    if shut:  # D30: a trigger acts only on a line that is not shut (closed, called, matured, D7)
                        if trigger["kind"].startswith("utilisation"):
                            self._fires(line, index, trigger, t, rank, shortfall_streak)  # the streak still counts
                        continue
                    if self._fires(line, index, trigger, t, rank, shortfall_streak):
                        line.fired.add(index)
                        cash -= act(line, trigger["action"], t, trigger.get("reduce_by"), trigger.get("freeze_days"))
                        if m.plan and m.plan["trigger"] == "on_shock" and (activation is None or activation > t):
                            activation = t  # D24: a lender acting on its trigger is a shock the plan answers

            # 3. plan steps whose lead time has elapsed
            deliver(t)

            # 4. draw up to the buffer, cheapest first
            if cash < m.buffer:
                for line in sorted(m.lines, key=lambda ln: (ln.rate, ln.index)):
                    if cash >= m.buffer:
                        break
                    room = line.headroom(t)
                    if room <= 0:
                        continue
                    amount = min(room, m.buffer - cash)
                    line.own += amount
                    cash += amount
                    line.draw_days.append(t)

            if threshold is not None and activation is None:
                if cash + sum(line.headroom(t) for line in m.lines) < threshold:
                    activation = t
                    deliver(t)

            # 5. shortfall
            if cash < -EPS:
                shortfall_streak += 1
                if runway is None:
                    runway = t
            else:
                shortfall_streak = 0
            cash_eod[t] = cash
            liquidity[t] = cash + sum(line.headroom(t) for line in m.lines)

        window = min(H, m.P)
        breach = next((t for t in range(window) if cash_eod[t] < m.buffer - EPS), None)
        low = min(liquidity)
        return {
            "survived": runway is None,
            "runway_days": runway,
            "min_liquidity": low,
            "min_liquidity_day": liquidity.index(low),
            "contingency_used": used,
            "contingency_cost": cost,
            "plan_activation_day": activation,
            "buffer_breach_day": breach,
            "liquidity": liquidity,
            "cash": cash_eod,
        }

    def _fires(self, line: Line, index: int, trigger: dict, t: int, rank, shortfall_streak: int) -> bool:
        kind = trigger["kind"]
        if kind == "own_rating_below":
            return rank is not None and rank > trigger_rank(trigger, self.m.domestic_offset)
        if kind in ("utilisation_above", "utilisation_below"):
            level = float(dec(trigger["level"]))
            if line.limit <= 1e-9:
                hit = False
            elif kind == "utilisation_above":
                hit = line.drawn() > level * line.limit + 1e-9
            else:  # D26: an unused line, counted only while it is open
                hit = line.is_open(t) and line.drawn() < level * line.limit - 1e-9
            line.streak[index] = line.streak.get(index, 0) + 1 if hit else 0
            return line.streak[index] >= max(int(trigger.get("days") or 1), 1)
        if kind == "any_overdue":
            return shortfall_streak > int(trigger.get("grace_days") or 0)
        if kind == "borrowing_frequency":
            window = int(trigger["window_days"])
            draws = sum(1 for day in line.draw_days if t - window < day <= t)
            return draws >= int(trigger["count"])
        if kind == "inflow_drop":
            # deterministic: actual inflows are the forecast, so the ratio is 1 (or undefined without inflows)
            days = int(trigger.get("days") or 1)
            forecast = sum(self.m.inflows[max(0, t - days + 1) : t + 1])
            return forecast > 0 and forecast < float(dec(trigger["level"])) * forecast
        raise ValueError(f"unknown trigger kind {kind!r}")
