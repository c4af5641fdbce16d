"""An independent oracle of the deterministic drill: DESIGN.md's rules and the decisions D1-D32, day by day.

Written from DESIGN.md ("Drill semantics, exactly", "The policy verdict", "Lender risk control", the worked example)
and docs/drill-rules.md (the decisions D1-D32 where DESIGN is silent) only -- never from the engine, its inputs, its
snapshot or the schedule and selector code -- so that it can catch errors where database rows become engine inputs. Plain Python: schedule
rows, fees, pools and FX are computed in Decimal and rounded to the cent where the rules say so; the day loop runs in
float (a cent of tolerance is plenty for a few hundred days).

Input: one plain dict describing the company as recorded (the same dict a test uses to build it in the database)::

    {
      "reporting_currency": "CNY",
      "policy": {"survival_horizon_days": 90, "min_cash_buffer": "0", "target_survival_probability": "0.99",
                 "credit_uncommitted_under_stress": False},
      "fx": [{"currency": "USD", "as_of": date, "rate": "7.1"}],           # units of reporting currency per unit
      "counterparties": [{"key": "cp1", "name": "...", "kind": "bank"}],
      "own_assessments": [{"as_of": date, "rating": "BBB"}],                # the company's own, in creation order
      "channels": [{
          "key": "ch1", "name": "...", "counterparty": "cp1", "channel_type": "revolving_credit", "currency": "CNY",
          "limit": "1000000", "committed": True, "annual_rate": "0.05", "fee_rate": "0", "day_count": "ACT/365F",
          "start_date": date, "maturity_date": date, "repayment_profile": "revolving", "payment_frequency": "monthly",
          "rolls_over": False, "notice_days": 0,
          "draws": [{"date": date, "amount": "..."}], "repayments": [{"date": date, "amount": "..."}],
          "events": [{"kind": "reduce|freeze|unfreeze|close|call|reopen", "date": date, "new_limit": ..., "freeze_days": ...}],
          "triggers": [{"kind": ..., "action": ..., "rating": ..., "level": ..., "days": ..., "reduce_by": ...,
                        "freeze_days": ..., "count": ..., "window_days": ..., "grace_days": ...}],
      }],
      "pools": [{"key": "p1", "name": "...", "kind": "cash", "currency": "CNY", "amount": "...", "haircut": "0",
                 "days_to_cash": 0, "channel": "ch1" | None}],
      "cash_flows": [{"name": "...", "amount": "-100000", "currency": "CNY", "start_date": date, "end_date": None,
                      "frequency": "daily", "discretionary": False}],
      "plan": None | {"trigger": "on_shock|below_threshold", "threshold": ..., "steps": [
                 {"order": 1, "action": "liquidate_pool", "pool": "p2" | None, "amount": None, "lead_time_days": None,
                  "cost_rate": "0", "success_probability": "1"}]},
      "scenario": {"as_of": date, "horizon_days": 60, "own_downgrade_notches": 0, "market_stress": "0",
                   "shocks": [{"target_type": "channel|channel_type|counterparty|all_platforms|all|company",
                               "target": "ch1" | "bond" | "cp1" | "", "action": "close|freeze|reduce|call|downgrade",
                               "day": 0, "reduce_by": ..., "freeze_days": ..., "notches": ...}]},
    }

`drill(company)` returns survived, runway_days, min_liquidity, min_liquidity_day, contingency_used, contingency_cost,
extra_liquidity_needed, plan_activation_day, policy {verdict, horizon_days, buffer_breach_day}, and the per-day
`liquidity` (cash + headroom of open lines at the end of each day) and `cash`.

The rules, as this oracle reads them (DESIGN and D1-D18 first; where both are silent, the conservative reading --
the company looks less safe -- marked CONSERVATIVE; the lead may overrule any of them):

Time and money
  * Day t = as_of + t calendar days, t = 0 .. H-1. Every amount is converted to the reporting currency at the latest
    FX rate dated on or before as_of (D5; ties: the last created); a missing rate is an error.
  * Opening cash = sum over `cash` pools of round_cent(amount x (1 - haircut)) x fx. Other pools count only through
    plan steps.
  * A cash-flow line pays its signed amount on each date its frequency hits from start_date to end_date (both
    included) that falls in the horizon: once = the start date; daily; weekly = start + 7k days; monthly / quarterly
    = start + k / 3k months (months added to the START date, day clamped to the month's end, as D1).

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

Schedules (D1)
  * Grid = start + k periods (k = 1, 2, ...; months added to the start date, clamped), the last row on maturity.
    Anchor = the latest of start and the grid dates strictly before as_of; the as-of drawn is scheduled over the
    grid dates on or after as_of: bullet and revolving all principal at maturity; linear round_cent(B / n) per row,
    the last row clears; annuity a level instalment A = round_cent(B / sum_j prod_{i<=j} 1 / (1 + r f_i)) (the
    exact level payment for the rows' own day-count fractions f_i; = the textbook annuity when all f_i are equal),
    principal = A - interest, the last row clears. Interest = round_cent(balance x rate x f(previous date, date)).
  * Day counts: ACT/360 = days / 360; ACT/365F = days / 365; 30/360 = the ISDA bond basis (D1 = min(D1, 30); D2 = 30
    when D2 = 31 and D1 = 30).
  * Rows are in the channel's currency, rounded, then converted. A row dated on as_of is due on day 0.
  * A rolling line that is open on the row's day refinances the row's principal (not its interest) (D1).
    CONSERVATIVE: scheduled interest is paid in full while any recorded balance is outstanding, even after an early
    demand (reduction, call) has repaid part of it; principal rows are capped at what is still outstanding.
  * Fees (D11): on each grid date in the horizon, on or before maturity, round_cent(limit_day0 x fee_rate x
    f(previous grid date or start, date)) for lines not closed or matured on day 0. CONSERVATIVE: kept on lines D7
    cancels (the lender, not the company, withdrew).

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

Outputs
  * liquidity(t) = end-of-day cash + headroom of the lines open on t; min_liquidity is its minimum, at the first day
    it is reached; runway_days the first shortfall day (None when the path survives); survived = no shortfall.
  * Policy (D13, D14): P = survival_horizon_days; buffer_breach_day = the first t in 0 .. min(H, P) - 1 whose
    end-of-day cash is below min_cash_buffer - 0.005; verdict not_tested if H < P, else met iff there is no breach.
  * extra_liquidity_needed (D16): the smallest x >= 0, in whole cents, such that the same drill with opening cash + x
    has no buffer breach in 0 .. min(H, P) - 1; by doubling then bisection on this simulator (it assumes that more
    opening cash never breaks a day it kept, which holds unless a below_threshold plan activates later).
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
EPS = 0.005  # half a cent: a shortfall or a breach is a miss by more than rounding

MASTER_SCALE = ("AAA AA+ AA AA- A+ A A- BBB+ BBB BBB- BB+ BB BB- B+ B B- CCC+ CCC CCC- CC C D").split()
RANK = {symbol: rank for rank, symbol in enumerate(MASTER_SCALE)}
RANK_C = RANK["C"]
# DESIGN: "Domestic (Chinese agency) grades map to the master scale with a documented notch offset" -- D32: the
# company's `domestic_notch_offset` (6 by default, BIS Working Paper 648); a domestic grade X is the master grade X
# + offset, stopping at C (D stays D).
DEFAULT_DOMESTIC_NOTCH_OFFSET = 6

MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
PLATFORM_TYPE = "small_loan_platform"
SCF_TYPE = "supply_chain_finance"


# -- calendar and money helpers -----------------------------------------------------------------------------------


def dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(start: date, months: int) -> date:
    """start + months, the day clamped to the month's end (Jan 31 + 1 = Feb 28, + 2 = Mar 31)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def year_fraction(day_count: str, d1: date, d2: date) -> Decimal:
    if day_count == "ACT/360":
        return Decimal((d2 - d1).days) / 360
    if day_count == "ACT/365F":
        return Decimal((d2 - d1).days) / 365
    if day_count == "30/360":  # ISDA bond basis
        day1, day2 = min(d1.day, 30), d2.day
        if day2 == 31 and day1 == 30:
            day2 = 30
        return Decimal(360 * (d2.year - d1.year) + 30 * (d2.month - d1.month) + (day2 - day1)) / 360
    raise ValueError(f"unknown day count {day_count!r}")


def daily_basis(day_count: str) -> int:
    """D9: interest on the drill's own draws accrues rate / 360 (ACT/360, 30/360) or rate / 365 (ACT/365F) a day."""
    return 365 if day_count == "ACT/365F" else 360


def payment_grid(start: date, maturity: date, frequency: str) -> list[date]:
    """D1: start + k whole periods, k = 1, 2, ..., before maturity, then the maturity date itself."""
    months = MONTHS[frequency]
    grid, k = [], 1
    while (when := add_months(start, k * months)) < maturity:
        grid.append(when)
        k += 1
    grid.append(maturity)
    return grid


def schedule_rows(
    *, balance: Decimal, rate: Decimal, day_count: str, start: date, maturity: date, frequency: str, profile: str,
    as_of: date,
) -> list[tuple[date, Decimal, Decimal]]:  # fmt: skip
    """D1: the as-of outstanding scheduled from the anchor over the remaining grid: rows (date, interest, principal)."""
    grid = payment_grid(start, maturity, frequency)
    anchor = max([start] + [when for when in grid if when < as_of])
    remaining = [when for when in grid if when >= as_of]
    if balance <= 0 or not remaining:
        return []
    fractions, previous = [], anchor
    for when in remaining:
        fractions.append(year_fraction(day_count, previous, when))
        previous = when
    n = len(remaining)
    instalment = None
    if profile == "annuity":
        # The level (French) instalment at the periodic rate annual rate / payments a year, as the contract's
        # schedule states it (DESIGN: 100,000 over 12 months at 6 % -> 8,606.64); interest stays day-count based.
        periodic = rate / {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}[frequency]
        instalment = cent(balance / n if periodic == 0 else balance * periodic / (1 - (1 + periodic) ** -n))
    rows, outstanding = [], balance
    for index, (when, fraction) in enumerate(zip(remaining, fractions, strict=True)):
        interest = cent(outstanding * rate * fraction)
        last = index == n - 1
        if profile in ("bullet", "revolving"):
            principal = outstanding if last else Decimal(0)
        elif profile == "linear":
            principal = outstanding if last else min(cent(balance / n), outstanding)
        elif profile == "annuity":
            principal = outstanding if last else max(min(instalment - interest, outstanding), Decimal(0))
        else:
            raise ValueError(f"unknown repayment profile {profile!r}")
        rows.append((when, interest, principal))
        outstanding -= principal
    return rows


def flow_dates(start: date, end: date | None, frequency: str, first: date, last: date) -> list[date]:
    """The dates a cash-flow line hits in [first, last] (both included)."""
    end = last if end is None else min(end, last)
    if frequency == "once":
        return [start] if first <= start <= end else []
    if frequency == "daily":
        begin = max(start, first)
        return [begin + timedelta(days=k) for k in range((end - begin).days + 1)]
    out, k = [], 0
    while True:
        if frequency == "weekly":
            when = start + timedelta(days=7 * k)
        elif frequency in ("monthly", "quarterly"):
            when = add_months(start, k * (1 if frequency == "monthly" else 3))
        else:
            raise ValueError(f"unknown frequency {frequency!r}")
        if when > end:
            return out
        if when >= first:
            out.append(when)
        k += 1


# -- the prepared company -----------------------------------------------------------------------------------------


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


# -- one path -----------------------------------------------------------------------------------------------------


def _trigger_rank(trigger: dict, domestic_offset: int) -> int:
    rank = RANK[trigger["rating"]]
    if trigger.get("scale", "master") == "domestic" and trigger["rating"] != "D":
        rank = min(rank + domestic_offset, RANK_C)
    return rank


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
            return rank is not None and rank > _trigger_rank(trigger, self.m.domestic_offset)
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


# -- the drill ----------------------------------------------------------------------------------------------------


def breach_free(model: Model, extra: float) -> bool:
    return Path(model, extra).run()["buffer_breach_day"] is None


def extra_liquidity_needed(model: Model) -> float:
    """D16: the smallest day-0 cash x >= 0 in whole cents with no buffer breach in 0 .. min(H, P) - 1."""
    if breach_free(model, 0.0):
        return 0.0
    high = 1000.0
    while not breach_free(model, high):
        high *= 2
        if high > 1e15:
            raise ValueError("no extra liquidity meets the policy")
    low_c, high_c = 0, int(math.ceil(high * 100))
    while high_c - low_c > 1:
        mid = (low_c + high_c) // 2
        if breach_free(model, mid / 100):
            high_c = mid
        else:
            low_c = mid
    return high_c / 100


def drill(company: dict, *, with_extra: bool = True) -> dict:
    """The deterministic drill of `company` (see the module docstring for the rules)."""
    model = Model(company)
    result = Path(model).run()
    if model.H < model.P:
        verdict = "not_tested"
    else:
        verdict = "met" if result["buffer_breach_day"] is None else "not_met"
    result["policy"] = {
        "verdict": verdict,
        "horizon_days": model.P,
        "buffer_breach_day": result["buffer_breach_day"],
    }
    result["horizon_days"] = model.H
    if with_extra:
        result["extra_liquidity_needed"] = extra_liquidity_needed(model)
    return result
