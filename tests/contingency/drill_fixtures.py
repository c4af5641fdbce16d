"""The worked example of DESIGN.md, built in the database (shared by the drill tests)."""

from datetime import date
from decimal import Decimal

from contingency import services
from tests.factories import CashFlowLineFactory, FundingChannelFactory, LiquidityPoolFactory

AS_OF = date(2026, 3, 2)


def worked_example(company):
    """Cash 1,000,000; −100,000 a day; a 2,000,000 revolver at 0%; a plan liquidating a 500,000 MMF (2%, 3 days)."""
    company.min_cash_buffer = Decimal("0")
    company.survival_horizon_days = 30
    company.save()
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal("1000000"))
    mmf = LiquidityPoolFactory(
        company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"), haircut=Decimal("0.02"),
        days_to_cash=3,
    )  # fmt: skip
    CashFlowLineFactory(company=company, name="Costs", amount=Decimal("-100000"), start_date=AS_OF, frequency="daily")
    line = FundingChannelFactory(
        company=company, name="Revolver", limit=Decimal("2000000"), annual_rate=Decimal("0"), start_date=date(2026, 1, 1),
        maturity_date=date(2028, 1, 1),
    )  # fmt: skip
    plan = services.plan_save(
        company=company, by=None, name="Plan", trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": mmf, "lead_time_days": 3}],
    )  # fmt: skip
    no_shock = services.scenario_save(company=company, by=None, name="A: no shock", as_of=AS_OF, horizon_days=60)
    line_closes = services.scenario_save(
        company=company, by=None, name="B: line closes", as_of=AS_OF, horizon_days=60,
        shocks=[{"target_type": "channel", "target": str(line.pk), "action": "close", "day": 0}],
    )  # fmt: skip
    return {"line": line, "plan": plan, "no_shock": no_shock, "line_closes": line_closes, "mmf": mmf}


def monte_carlo_scenario(company, paths: int, seed: int = 7, name: str = "MC", horizon_days: int = 25):
    """Within 25 days the worked example survives unless its line is cut: survival is a real probability."""
    return services.scenario_save(
        company=company, by=None, name=name, as_of=AS_OF, horizon_days=horizon_days, kind="monte_carlo", paths=paths,
        seed=seed, market_stress=Decimal("1"), hazard_multiplier=Decimal("5"),
    )  # fmt: skip
