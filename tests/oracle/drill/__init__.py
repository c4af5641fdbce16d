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
the company looks less safe -- marked CONSERVATIVE; the lead may overrule any of them), each in the module that
runs it:

  * schedules.py -- time and money, and the schedules (D1);
  * company.py -- the recorded state of each channel on the as-of date, and the prepared company;
  * ratings.py -- the master scale, the domestic offset (D32);
  * path.py -- the day, in DESIGN's order;
  * here -- the outputs below, and the drill.

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

import math

from tests.oracle.drill.company import Line, Model
from tests.oracle.drill.path import Path
from tests.oracle.drill.schedules import (
    add_months,
    cent,
    daily_basis,
    dec,
    flow_dates,
    payment_grid,
    schedule_rows,
    year_fraction,
)

__all__ = [
    "Line",
    "Model",
    "Path",
    "add_months",
    "breach_free",
    "cent",
    "daily_basis",
    "dec",
    "drill",
    "extra_liquidity_needed",
    "flow_dates",
    "payment_grid",
    "schedule_rows",
    "year_fraction",
]


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
