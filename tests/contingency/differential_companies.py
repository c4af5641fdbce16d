"""Random small companies for the differential test (tests/contingency/test_differential.py), as plain dicts.

Every channel type, repayment profile, day count and payment frequency, foreign currencies with FX rates some dated
after as-of, recorded draws, repayments, reductions, freezes (with and without freeze_days), closes and calls,
lenders' triggers, lines that start inside the horizon, pools of every kind, plans with every step action, shocks of
every action and target, own ratings (some assessed after as-of), buffers and policy horizons shorter and longer
than the drill. The same dict is built in the database by the test and fed to the oracle.
"""

import calendar
import random
from datetime import date, timedelta
from decimal import Decimal

from channels_app.models import LenderTrigger
from contingency.models import PlanStep, Shock
from financeplanner.models import Company
from tests.oracle.drill import add_months

CHANNEL_TYPES = [
    "bank_term_loan", "revolving_credit", "supply_chain_finance", "small_loan_platform", "bond", "shareholder_loan",
    "leasing", "other",
]  # fmt: skip
COUNTERPARTY_KINDS = ["bank", "platform", "scf_provider", "bond_investors", "shareholder", "lessor", "other"]
PROFILES = ["bullet", "linear", "annuity", "revolving"]
DAY_COUNTS = ["ACT/360", "ACT/365F", "30/360"]
FREQUENCIES = ["monthly", "quarterly", "semiannual", "annual"]
POOL_KINDS = ["deposit", "money_market_fund", "backup_line", "receivables", "shareholder_support", "other"]
STEP_ACTIONS = [
    "draw_backup_line", "liquidate_pool", "factor_receivables", "cut_discretionary", "shareholder_support", "other",
]  # fmt: skip
RATINGS = "AAA AA+ AA AA- A+ A A- BBB+ BBB BBB- BB+ BB BB- B+ B B- CCC+ CCC".split()
FX_BASE = {"CNY": 1.0, "USD": 7.1, "EUR": 7.8, "HKD": 0.91}


def _model_has(model, field: str) -> bool:
    return any(f.name == field for f in model._meta.get_fields())


def _choices(model, field: str) -> set[str]:
    return {value for value, _ in model._meta.get_field(field).choices}


# What the app's models can record today (others are adding fields in parallel; the generator uses what exists).
TRIGGER_KINDS = _choices(LenderTrigger, "kind")
TRIGGER_FIELDS = {f.name for f in LenderTrigger._meta.get_fields()}
SHOCK_TARGETS = _choices(Shock, "target_type")
SHOCK_ACTIONS = _choices(Shock, "action")
COMPANY_SHOCKS = "company" in SHOCK_TARGETS and "downgrade" in SHOCK_ACTIONS and _model_has(Shock, "notches")
HAS_STRESS_POLICY = _model_has(Company, "credit_uncommitted_under_stress")
# Trigger kinds generated: those the app records with every parameter the oracle needs.
SIMULATED_TRIGGERS = {"own_rating_below", "utilisation_above", "utilisation_below", "inflow_drop"}
if "grace_days" in TRIGGER_FIELDS:
    SIMULATED_TRIGGERS.add("any_overdue")
if {"count", "window_days"} <= TRIGGER_FIELDS:
    SIMULATED_TRIGGERS.add("borrowing_frequency")
LEAD_TIME_NULLABLE = PlanStep._meta.get_field("lead_time_days").null


def _money(rng: random.Random, low: int, high: int, step: int = 100) -> str:
    return str(rng.randrange(low // step, high // step + 1) * step)


def _round(amount: Decimal, step: int) -> str:
    return str((amount / step).quantize(Decimal(1)) * step)


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _lender_action(rng: random.Random, horizon: int) -> dict:
    action = rng.choice(["close", "freeze", "reduce", "call"])
    spec = {"action": action}
    if action == "freeze":
        spec["freeze_days"] = rng.randint(1, max(horizon // 2, 1))
    if action == "reduce":
        spec["reduce_by"] = rng.choice(["0.2", "0.5", "0.75", "1"])
    return spec


def random_company(rng: random.Random, index: int) -> dict:  # noqa: C901 - one random company, part by part
    as_of = date(2026, 3, 1) + timedelta(days=rng.randint(0, 150))
    if rng.random() < 0.15:  # a month-end as-of date
        as_of = date(2026, rng.randint(4, 8), 1) - timedelta(days=1)
    horizon = rng.choice([10, 20, 30, 45, 60, 90, 91, 120, 150, 200])
    reporting = "CNY" if rng.random() < 0.85 else "USD"
    foreign = [c for c in FX_BASE if c != reporting]
    used = [reporting] + rng.sample(foreign, rng.randint(0, 2))

    def currency() -> str:
        return reporting if rng.random() < 0.6 else rng.choice(used)

    fx = []
    for code in used:
        if code == reporting:
            continue
        base = FX_BASE[code] / FX_BASE[reporting]
        for _ in range(rng.randint(1, 2)):
            when = as_of - timedelta(days=rng.randint(0, 60))
            if all(row["as_of"] != when or row["currency"] != code for row in fx):
                fx.append({"currency": code, "as_of": when, "rate": f"{base * rng.uniform(0.95, 1.05):.6f}"})
        if rng.random() < 0.5:  # a rate the drill must not know yet (D5)
            fx.append({"currency": code, "as_of": as_of + timedelta(days=rng.randint(1, 30)),
                       "rate": f"{base * rng.uniform(1.3, 1.6):.6f}"})  # fmt: skip

    counterparties = [
        {"key": f"cp{i}", "name": f"Lender {i}", "kind": rng.choice(COUNTERPARTY_KINDS)}
        for i in range(rng.randint(1, 3))
    ]
    own = []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        when = as_of + timedelta(days=rng.randint(-400, 60))
        if all(row["as_of"] != when for row in own):
            own.append({"as_of": when, "rating": rng.choice(RATINGS)})

    rates = rng.sample(range(0, 1300, 5), 4)
    channels = []
    for i in range(rng.randint(1, 4)):
        limit = Decimal(_money(rng, 100_000, 3_000_000, 1000))
        if rng.random() < 0.8:
            start = as_of - timedelta(days=rng.randint(0, 700))
        else:
            start = as_of + timedelta(days=rng.randint(1, max(horizon - 1, 1)))
        if rng.random() < 0.1:
            month_end = calendar.monthrange(start.year, start.month)[1]
            start = start.replace(day=min(rng.choice([29, 30, 31]), month_end))  # D1's clamped month ends
        maturity = add_months(start, rng.randint(3, 48))
        if maturity <= as_of + timedelta(days=1):
            maturity = as_of + timedelta(days=rng.randint(5, 400))
        spec = {
            "key": f"ch{i}",
            "name": f"Line {i}",
            "counterparty": rng.choice(counterparties)["key"],
            "channel_type": rng.choice(CHANNEL_TYPES),
            "currency": currency(),
            "limit": str(limit),
            "committed": rng.random() < 0.6,
            "annual_rate": f"{rates[i] / 10000:.4f}",
            "fee_rate": "0" if rng.random() < 0.6 else rng.choice(["0.001", "0.0025", "0.005"]),
            "day_count": rng.choice(DAY_COUNTS),
            "start_date": start,
            "maturity_date": maturity,
            "repayment_profile": rng.choice(PROFILES),
            "payment_frequency": rng.choice(FREQUENCIES),
            "rolls_over": rng.random() < 0.4,
            "notice_days": rng.choice([0, 0, 5, 10, 30]),
            "draws": [],
            "repayments": [],
            "events": [],
            "triggers": [],
        }
        last_move = start
        drawn = Decimal(0)
        if start <= as_of and rng.random() < 0.7:
            drawn = (limit * Decimal(rng.uniform(0.1, 1))).quantize(Decimal("100"))
            last_move = _between(rng, start, min(as_of, maturity))
            spec["draws"].append({"date": last_move, "amount": str(drawn)})
            if rng.random() < 0.2:
                repaid = (drawn * Decimal(rng.uniform(0.1, 0.5))).quantize(Decimal("100"))
                last_move = _between(rng, last_move, as_of)
                spec["repayments"].append({"date": last_move, "amount": str(repaid)})
                drawn -= repaid
        if start <= as_of:
            roll = rng.random()
            when = _between(rng, max(last_move, as_of - timedelta(days=20)), as_of)
            if roll < 0.15:
                spec["events"].append({"kind": "reduce", "date": when,
                                       "new_limit": str(_round(limit * Decimal(rng.uniform(0.2, 0.9)), 1000))})  # fmt: skip
            elif roll < 0.3:
                freeze_days = rng.choice([None, rng.randint(1, 10), rng.randint(1, horizon + 30)])
                spec["events"].append({"kind": "freeze", "date": when, "freeze_days": freeze_days})
            elif roll < 0.37:
                spec["events"].append({"kind": "close", "date": when})
            elif roll < 0.45:
                spec["events"].append({"kind": "call", "date": when})
            elif roll < 0.5:
                spec["events"].append({"kind": "freeze", "date": when, "freeze_days": None})
                spec["events"].append({"kind": "unfreeze", "date": _between(rng, when, as_of)})
            elif roll < 0.55:
                spec["events"].append({"kind": "reduce", "date": when,
                                       "new_limit": str(_round(limit * Decimal(rng.uniform(0.2, 0.9)), 1000))})  # fmt: skip
                spec["events"].append({"kind": "freeze", "date": _between(rng, when, as_of),
                                       "freeze_days": rng.randint(1, 15)})  # fmt: skip
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            kind = rng.choice(sorted(TRIGGER_KINDS & SIMULATED_TRIGGERS))
            trigger = {"kind": kind, **_lender_action(rng, horizon)}
            if kind == "own_rating_below":
                if rng.random() < 0.4:  # a domestic grade: read through the company's notch offset
                    trigger.update(scale="domestic", rating=rng.choice(RATINGS[0:8]))
                else:
                    trigger["rating"] = rng.choice(RATINGS[5:15])
            elif kind == "any_overdue":
                trigger["grace_days"] = rng.randint(0, 5)
            elif kind == "borrowing_frequency":
                trigger["count"] = rng.randint(2, 6)
                trigger["window_days"] = rng.randint(3, 30)
            else:
                trigger["level"] = rng.choice(["0.3", "0.5", "0.7", "0.8", "0.9", "0.95"])
                trigger["days"] = rng.randint(1, 10)
            spec["triggers"].append(trigger)
        channels.append(spec)

    pools = []
    if rng.random() < 0.9:
        pools.append({"key": "cash", "name": "Cash", "kind": "cash", "currency": currency(),
                      "amount": _money(rng, 0, 3_000_000), "haircut": rng.choice(["0", "0", "0.01"]),
                      "days_to_cash": 0, "channel": None})  # fmt: skip
    for i in range(rng.randint(0, 4)):
        kind = rng.choice(POOL_KINDS)
        pools.append({
            "key": f"pool{i}", "name": f"Pool {i}", "kind": kind, "currency": currency(),
            "amount": _money(rng, 50_000, 1_000_000), "haircut": rng.choice(["0", "0.02", "0.1", "0.3"]),
            "days_to_cash": rng.randint(0, 10),
            "channel": rng.choice(channels)["key"] if kind == "backup_line" and rng.random() < 0.8 else None,
        })  # fmt: skip

    cash_flows = []
    for i in range(rng.randint(1, 4)):
        frequency = rng.choice(["daily", "daily", "weekly", "monthly", "quarterly", "once"])
        outflow = rng.random() < 0.65
        scale = {"daily": 60_000, "weekly": 300_000, "monthly": 900_000, "quarterly": 2_000_000, "once": 1_500_000}
        amount = _money(rng, 1_000, scale[frequency])
        start = as_of + timedelta(days=rng.randint(-40, max(horizon // 2, 1)))
        end = None if rng.random() < 0.6 else start + timedelta(days=rng.randint(0, horizon + 10))
        cash_flows.append({
            "name": f"Flow {i}", "amount": f"-{amount}" if outflow else amount, "currency": currency(),
            "start_date": start, "end_date": end, "frequency": frequency,
            "discretionary": outflow and rng.random() < 0.35,
        })  # fmt: skip

    plan = None
    if rng.random() < 0.75:
        below = rng.random() < 0.4
        plan = {"trigger": "below_threshold" if below else "on_shock",
                "threshold": _money(rng, 100_000, 2_000_000) if below else None, "steps": []}  # fmt: skip
        free = [p for p in pools if p["kind"] != "cash"]
        for order in range(1, rng.randint(1, 3) + 1):
            action = rng.choice(STEP_ACTIONS)
            wanted = {
                "draw_backup_line": ["backup_line"],
                "liquidate_pool": ["deposit", "money_market_fund", "other", "backup_line", "receivables"],
                "factor_receivables": ["receivables"],
                "shareholder_support": ["shareholder_support"],
                "other": ["other", "deposit"],
                "cut_discretionary": [],
            }[action]
            candidates = [p for p in free if p["kind"] in wanted]
            pool = rng.choice(candidates) if candidates and (action in ("draw_backup_line", "liquidate_pool")
                                                             or rng.random() < 0.6) else None  # fmt: skip
            if pool is None and action in ("draw_backup_line", "liquidate_pool"):
                action = rng.choice(["cut_discretionary", "other", "factor_receivables", "shareholder_support"])
            if pool is not None:
                free.remove(pool)
            lead = None if rng.random() < 0.5 else (pool["days_to_cash"] if pool else 0) + rng.randint(0, 5)
            plan["steps"].append({
                "order": order, "action": action, "pool": pool["key"] if pool else None,
                "amount": (None if pool and rng.random() < 0.6 else _money(rng, 20_000, 800_000)),
                "lead_time_days": lead,
                "cost_rate": "0" if rng.random() < 0.7 else rng.choice(["0.01", "0.02", "0.05"]),
                "success_probability": "1" if rng.random() < 0.8 else "0.7",
            })  # fmt: skip

    shocks = []
    targets = ["channel", "channel", "channel_type", "counterparty", "all_platforms", "all"]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        target_type = rng.choice(targets + (["company"] if COMPANY_SHOCKS else []))
        day = rng.randint(0, min(horizon - 1, 40))
        if target_type == "company":
            shocks.append({"target_type": "company", "target": "", "action": "downgrade", "day": day,
                           "notches": rng.randint(1, 3)})  # fmt: skip
            continue
        target = {
            "channel": lambda: rng.choice(channels)["key"],
            "channel_type": lambda: rng.choice([c["channel_type"] for c in channels] + CHANNEL_TYPES[:2]),
            "counterparty": lambda: rng.choice(counterparties)["key"],
            "all_platforms": lambda: "",
            "all": lambda: "",
        }[target_type]()
        shocks.append({"target_type": target_type, "target": target, "day": day, **_lender_action(rng, horizon)})

    return {
        "slug": f"diff-{index}",
        "reporting_currency": reporting,
        "policy": {
            "survival_horizon_days": rng.choice([30, 60, 90, 90, 120, 180]),
            "min_cash_buffer": "0" if rng.random() < 0.5 else _money(rng, 10_000, 500_000),
            "target_survival_probability": "0.99",
            "credit_uncommitted_under_stress": HAS_STRESS_POLICY and rng.random() < 0.3,
            "domestic_notch_offset": rng.choice([6, 6, 7, 3]),
        },
        "fx": fx,
        "counterparties": counterparties,
        "own_assessments": own,
        "channels": channels,
        "pools": pools,
        "cash_flows": cash_flows,
        "plan": plan,
        "scenario": {
            "as_of": as_of,
            "horizon_days": horizon,
            "own_downgrade_notches": rng.choice([0, 0, 0, 1, 2, 3]),
            "market_stress": "0" if rng.random() < 0.7 else rng.choice(["0.5", "1", "2"]),
            "shocks": shocks,
        },
    }
