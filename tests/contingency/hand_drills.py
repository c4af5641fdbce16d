"""Shared by the hand-computed drill tests (lender risk control, recorded history): day 0 is 2026-03-10, drills run
through `run_drill --json` (the public contract), and a one-path drill's fan is that path."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from tests.factories import CashFlowLineFactory, LiquidityPoolFactory

AS_OF = date(2026, 3, 10)


def zero_buffer_30_day_policy(company):
    """The company the hand computations assume: no minimum cash buffer, a 30-day survival horizon."""
    company.min_cash_buffer = Decimal("0")
    company.survival_horizon_days = 30
    company.save()
    return company


def drill(company, scenario, plan=None) -> dict:
    out = StringIO()
    args = {"company": company.slug, "scenario": str(scenario.pk), "json": True, "stdout": out}
    if plan is not None:
        args["plan"] = str(plan.pk)
    call_command("run_drill", **args)
    return json.loads(out.getvalue())


def liquidity(results: dict, day: int) -> float:
    """A one-path drill's liquidity (cash + open headroom) at the end of `day`: the fan of one path is that path."""
    assert results["fan"]["days"][day] == day
    return results["fan"]["p50"][day]


def cash(company, amount):
    return LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal(amount))


def daily_outflow(company, amount, start=AS_OF):
    return CashFlowLineFactory(company=company, amount=-Decimal(amount), start_date=start, frequency="daily")
