"""The oracle's prepared company: what does not change between re-runs of the path.

Recorded state (the channel as recorded on the as-of date)
  * drawn = draws - repayments dated on or before as_of; events dated on or before as_of are applied in order:
    reduce -> limit = new_limit, excess_due = max(drawn - new_limit, 0) due on event date + notice_days (supply-chain
    finance: the event date) (D2); call -> closed, excess_due = drawn, same due date; close -> closed; freeze -> frozen
    until event date + freeze_days (no freeze_days: through the horizon, D3); unfreeze / reopen -> open (reopen
    clears the excess). A repayment reduces a pending excess first.
  * The recorded excess is due on day max(0, due_date - as_of), whether or not the line rolls over (D2).
  * A line starting after as_of opens on day (start - as_of): no headroom, no draws, no fees before (D4).
  * A line is open on day t when it has started, t < its maturity day, it is not closed / called, not frozen on t,
    and not cancelled by D7. CONSERVATIVE: on its maturity day a line is no longer open (it has matured), so no
    headroom from that day and the maturity row's principal is paid even on a rolling line.

"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from tests.oracle.drill.ratings import DEFAULT_DOMESTIC_NOTCH_OFFSET, RANK, RANK_C
from tests.oracle.drill.schedules import cent, daily_basis, dec, flow_dates, payment_grid, schedule_rows, year_fraction

PLATFORM_TYPE = "small_loan_platform"
SCF_TYPE = "supply_chain_finance"
AMORTISING_TYPES = ("bank_term_loan", "bond", "shareholder_loan", "leasing")  # D19


class Line:
    """One channel's state during a path (all money in the reporting currency, float)."""

    def __init__(self, spec: dict, index: int):
        self.spec, self.index = spec, index
        self.key = spec["key"]
        self.rate = float(dec(spec["annual_rate"]))
        self.basis = daily_basis(spec["day_count"])
        self.scf = spec["channel_type"] == SCF_TYPE
        self.notice = int(spec.get("notice_days") or 0)
        self.rolls = bool(spec.get("rolls_over"))
        self.amortising = spec["channel_type"] in AMORTISING_TYPES and spec.get("repayment_profile") != "revolving"
        # filled in by Model
        self.limit0 = 0.0
        self.rec0 = 0.0
        self.closed0 = False
        self.frozen_until0: float = 0  # first day open again (math.inf = the whole horizon)
        self.start_day = 0
        self.mat_day = 0
        self.cancelled = False
        self.rows: dict[int, tuple[float, float]] = {}
        self.fees: dict[int, float] = {}
        self.demands0: list[tuple[int, float]] = []
        self.recorded_draw_days: list[int] = []
        self.reserved = False  # D25: the channel behind a backup-line pool a plan step uses

    def reset(self) -> None:
        self.limit = self.limit0
        self.rec = self.rec0
        self.own = 0.0
        self.closed = self.closed0
        self.frozen_until = self.frozen_until0
        self.demands = list(self.demands0)
        self.draw_days = list(self.recorded_draw_days)
        self.fired: set[int] = set()
        self.streak: dict[int, int] = {}

    def drawn(self) -> float:
        return self.rec + self.own

    def is_open(self, t: int) -> bool:
        return self.start_day <= t < self.mat_day and not self.closed and not self.cancelled and t >= self.frozen_until

    def headroom(self, t: int) -> float:
        """Headroom that counts as liquidity and that step 4 may draw: none on a reserved backup line (D25)."""
        return max(self.limit - self.drawn(), 0.0) if self.is_open(t) and not self.reserved else 0.0


class Model:
    """Everything that does not change between re-runs of the path (for the extra-liquidity bisection)."""

    def __init__(self, company: dict):
        scenario = company["scenario"]
        policy = company.get("policy", {})
        self.as_of: date = scenario["as_of"]
        self.H = int(scenario["horizon_days"])
        self.last = self.as_of + timedelta(days=self.H - 1)
        self.reporting = company.get("reporting_currency", "CNY")
        self.P = int(policy.get("survival_horizon_days", 90))
        self.buffer = float(dec(policy.get("min_cash_buffer", 0)))
        self.credit_uncommitted = bool(policy.get("credit_uncommitted_under_stress", False))
        self.domestic_offset = int(policy.get("domestic_notch_offset", DEFAULT_DOMESTIC_NOTCH_OFFSET))
        self.fx = self._fx_rates(company.get("fx", []))
        self.counterparty_kind = {cp["key"]: cp["kind"] for cp in company.get("counterparties", [])}

        self.opening_cash = 0.0
        for pool in company.get("pools", []):
            if pool["kind"] == "cash":
                self.opening_cash += self.money(
                    cent(dec(pool["amount"]) * (1 - dec(pool.get("haircut", 0)))), pool["currency"]
                )

        self.flows = [0.0] * self.H
        self.discretionary_out = [0.0] * self.H  # the cut-able part (negative numbers)
        self.inflows = [0.0] * self.H
        for line in company.get("cash_flows", []):
            amount = self.money(dec(line["amount"]), line["currency"])
            for when in flow_dates(line["start_date"], line.get("end_date"), line["frequency"], self.as_of, self.last):
                t = self.day(when)
                self.flows[t] += amount
                if amount > 0:
                    self.inflows[t] += amount
                if line.get("discretionary") and amount < 0:
                    self.discretionary_out[t] += amount

        stress = dec(scenario.get("market_stress", 0)) > 0
        self.lines = [self._line(spec, i, stress) for i, spec in enumerate(company.get("channels", []))]
        self.by_key = {line.key: line for line in self.lines}

        self.rank0 = self._own_rank(company.get("own_assessments", []), int(scenario.get("own_downgrade_notches") or 0))
        self.shocks: dict[int, list[dict]] = {}
        for shock in scenario.get("shocks", []):
            self.shocks.setdefault(int(shock["day"]), []).append(shock)
        self.pools = {pool["key"]: pool for pool in company.get("pools", [])}
        self.plan = company.get("plan")
        self.steps = []
        if self.plan:
            for step in sorted(self.plan["steps"], key=lambda s: s["order"]):
                pool = self.pools.get(step.get("pool")) if step.get("pool") else None
                lead = step.get("lead_time_days")
                if lead is None:
                    lead = pool["days_to_cash"] if pool else 0
                if pool is not None and pool.get("channel") and pool["channel"] in self.by_key:
                    self.by_key[pool["channel"]].reserved = True  # D25
                if dec(step.get("success_probability", 1)) <= 0:
                    continue  # a deterministic drill counts a step as working when it can work at all
                self.steps.append((step, pool, int(lead)))
        # CONSERVATIVE: a shock activates an on_shock plan only when it hits something (a channel, or a rated company)
        hitting = [
            day
            for day, shocks in self.shocks.items()
            for shock in shocks
            if (self.rank0 is not None if shock["target_type"] == "company" else self.targets(shock))
        ]
        self.first_shock_day = min(hitting) if hitting else None

    # conversions
    def _fx_rates(self, rows: list[dict]) -> dict[str, Decimal]:
        rates: dict[str, tuple[date, Decimal]] = {}
        for row in rows:  # creation order: a later row of the same date wins
            if row["as_of"] <= self.as_of:
                known = rates.get(row["currency"])
                if known is None or row["as_of"] >= known[0]:
                    rates[row["currency"]] = (row["as_of"], dec(row["rate"]))
        out = {currency: rate for currency, (_, rate) in rates.items()}
        out[self.reporting] = Decimal(1)
        return out

    def money(self, amount: Decimal, currency: str) -> float:
        if currency not in self.fx:
            raise ValueError(f"no {currency} rate on or before {self.as_of}")
        return float(cent(amount * self.fx[currency]))  # D20: each converted amount to the cent, half up

    def day(self, when: date) -> int:
        return (when - self.as_of).days

    def _own_rank(self, assessments: list[dict], notches: int) -> int | None:
        known = None
        for row in assessments:  # creation order
            if row["as_of"] <= self.as_of and (known is None or row["as_of"] >= known["as_of"]):
                known = row
        if known is None:
            return None
        return min(RANK[known["rating"]] + notches, RANK_C)

    def _line(self, spec: dict, index: int, stress: bool) -> Line:
        line = Line(spec, index)
        currency = spec["currency"]
        limit = dec(spec["limit"])
        drawn = Decimal(0)
        excess, excess_date = Decimal(0), None
        closed = frozen = False
        freeze_end: date | None = None
        moves = [(d["date"], 0, dec(d["amount"])) for d in spec.get("draws", [])]
        moves += [(r["date"], 1, -dec(r["amount"])) for r in spec.get("repayments", [])]
        events = [e for e in spec.get("events", []) if e["date"] <= self.as_of]
        # ledger moves, then events, in date order (a same-day move before the event, as the tests record them)
        timeline = [(when, 0, seq, amount) for seq, (when, _, amount) in enumerate(moves) if when <= self.as_of]
        timeline += [(e["date"], 1, seq, e) for seq, e in enumerate(events)]
        timeline.sort(key=lambda item: item[:3])
        for when, is_event, _, payload in timeline:
            if not is_event:
                drawn += payload
                if payload < 0 and excess > 0:
                    excess = max(excess + payload, Decimal(0))
                    excess_date = excess_date if excess else None
                continue
            event, kind = payload, payload["kind"]
            notice = 0 if spec["channel_type"] == SCF_TYPE else int(spec.get("notice_days") or 0)
            if kind == "reduce":
                limit = dec(event["new_limit"])
                excess = max(drawn - limit, Decimal(0))
                excess_date = when + timedelta(days=notice) if excess else None
            elif kind == "call":
                closed, excess, excess_date = True, drawn, when + timedelta(days=notice)
            elif kind == "close":
                closed = True
            elif kind == "freeze":
                frozen = True
                days = event.get("freeze_days")
                freeze_end = when + timedelta(days=int(days)) if days else None
            elif kind == "unfreeze":
                frozen, freeze_end = False, None
            elif kind == "reopen":
                closed = frozen = False
                freeze_end = None
                excess, excess_date = Decimal(0), None
                if event.get("new_limit") is not None:
                    limit = dec(event["new_limit"])
        if excess > 0:  # what may stay drawn after a recorded demand (a called line: nothing)
            limit = min(limit, max(drawn - excess, Decimal(0)))
        line.limit0 = self.money(limit, currency)
        line.rec0 = self.money(drawn, currency)
        line.closed0 = closed
        if frozen:
            line.frozen_until0 = math.inf if freeze_end is None else max(self.day(freeze_end), 0)
        line.start_day = max(self.day(spec["start_date"]), 0)
        line.mat_day = self.day(spec["maturity_date"])
        line.cancelled = stress and not spec.get("committed") and not self.credit_uncommitted
        if excess > 0:
            line.demands0.append((max(self.day(excess_date), 0), self.money(excess, currency)))
        line.recorded_draw_days = [self.day(d["date"]) for d in spec.get("draws", []) if d["date"] <= self.as_of]

        rate = dec(spec["annual_rate"])
        for when, interest, principal in schedule_rows(
            balance=drawn, rate=rate, day_count=spec["day_count"], start=spec["start_date"],
            maturity=spec["maturity_date"], frequency=spec.get("payment_frequency", "monthly"),
            profile=spec["repayment_profile"], as_of=self.as_of,
        ):  # fmt: skip
            t = self.day(when)
            if 0 <= t < self.H:
                line.rows[t] = (self.money(interest, currency), self.money(principal, currency))
        fee_rate = dec(spec.get("fee_rate") or 0)
        if fee_rate > 0 and not closed and self.day(spec["maturity_date"]) > 0:
            previous = spec["start_date"]
            for when in payment_grid(
                spec["start_date"], spec["maturity_date"], spec.get("payment_frequency", "monthly")
            ):
                t = self.day(when)
                if 0 <= t < self.H:
                    fee = cent(limit * fee_rate * year_fraction(spec["day_count"], previous, when))
                    line.fees[t] = line.fees.get(t, 0.0) + self.money(fee, currency)
                previous = when
        return line

    def targets(self, shock: dict) -> list[Line]:
        kind, target = shock["target_type"], str(shock.get("target", ""))
        if kind == "channel":
            return [self.by_key[target]] if target in self.by_key else []
        if kind == "channel_type":
            return [line for line in self.lines if line.spec["channel_type"] == target]
        if kind == "counterparty":
            return [line for line in self.lines if line.spec["counterparty"] == target]
        if kind == "all_platforms":
            return [
                line
                for line in self.lines
                if line.spec["channel_type"] == PLATFORM_TYPE
                or self.counterparty_kind.get(line.spec["counterparty"]) == "platform"
            ]
        if kind == "all":
            return list(self.lines)
        return []
