"""The cash position over the forecast days: cash on hand today plus each day's net operating flow.

A selector (STYLE.md). The forecast is the drills' one daily forecast (`snapshot.daily_forecast`); the opening
balance is the drills' opening cash (DESIGN.md "Drill semantics": the cash pools after haircut), the same figure
as the dashboard's cash tile (`dashboard.liquidity_for`). Amounts are Decimal, in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from financeplanner.models import Company

from .dashboard import liquidity_for
from .snapshot import DailyForecast, daily_forecast


@dataclass(frozen=True)
class ForecastDay:
    day: date
    inflows: Decimal  # gross receipts (≥ 0)
    outflows: Decimal  # gross payments, those a plan may cut included (≥ 0)
    net: Decimal
    balance: Decimal  # cash on hand at the end of the day


@dataclass(frozen=True)
class CashPosition:
    opening: Decimal  # cash on hand at the start of day 0
    days: list[ForecastDay]

    @property
    def inflows(self) -> Decimal:
        return sum((d.inflows for d in self.days), Decimal("0"))

    @property
    def outflows(self) -> Decimal:
        return sum((d.outflows for d in self.days), Decimal("0"))

    @property
    def net(self) -> Decimal:
        return sum((d.net for d in self.days), Decimal("0"))

    @property
    def closing(self) -> Decimal:
        return self.days[-1].balance if self.days else self.opening

    @property
    def lowest(self) -> ForecastDay | None:
        """The day whose closing balance is lowest (the first such day)."""
        return min(self.days, key=lambda d: d.balance) if self.days else None


def cash_position(company: Company, as_of: date, days: int, *, forecast: DailyForecast | None = None) -> CashPosition:
    """Cash on hand on `as_of` and the running balance over `days` days of the operating forecast (no plan steps,
    no draws: what the forecast alone does to the cash)."""
    forecast = daily_forecast(company, as_of, days) if forecast is None else forecast
    opening = liquidity_for(company, as_of).cash
    balance, rows = opening, []
    for index, (inflow, outflow, cut) in enumerate(
        zip(forecast.inflows, forecast.outflows, forecast.discretionary_outflows, strict=True)
    ):
        net = inflow + outflow + cut
        balance += net
        rows.append(
            ForecastDay(
                day=as_of + timedelta(days=index), inflows=inflow, outflows=-(outflow + cut), net=net, balance=balance
            )
        )
    return CashPosition(opening=opening, days=rows)
