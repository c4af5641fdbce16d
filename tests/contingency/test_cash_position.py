"""The cash-flow page's running balance starts from cash on hand (DESIGN.md: the cash pools after haircut), not 0.
Expected balances are worked out by hand from the lines below."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CashFlowLineFactory, FxRateFactory, LiquidityPoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def forecast_book(company):
    """Cash on hand 1,000,000: 950,000 (a 1,000,000 account, 5% haircut) + USD 5,000 at 10 = 50,000; a fund of
    500,000 that is not cash. 100,000 out every day from today, 300,000 in once on day 5."""
    today = timezone.localdate()
    LiquidityPoolFactory(company=company, name="Main account", kind="cash", amount=D("1000000"), haircut=D("0.05"))
    FxRateFactory(company=company, currency="USD", rate=D("10"), as_of=today - timedelta(days=3))
    LiquidityPoolFactory(company=company, name="USD account", kind="cash", currency="USD", amount=D("5000"))
    LiquidityPoolFactory(company=company, name="Fund", kind="money_market_fund", amount=D("500000"))
    CashFlowLineFactory(company=company, name="Payroll and suppliers", amount=D("-100000"), start_date=today)
    CashFlowLineFactory(
        company=company, name="Customer payment", amount=D("300000"), start_date=today + timedelta(days=5),
        frequency="once",
    )  # fmt: skip
    return today


def test_the_running_balance_starts_from_cash_on_hand(company, viewer, client, forecast_book):
    client.force_login(viewer)
    response = client.get(reverse("contingency:cashflow-list"))
    assert response.status_code == 200
    position = response.context["position"]

    assert position.opening == D("1000000.00")
    balances = [day.balance for day in position.days]
    assert len(balances) == 90
    assert balances[0] == D("900000.00")  # 1,000,000 − 100,000 at the end of today
    assert balances[4] == D("500000.00")
    assert balances[5] == D("700000.00")  # − 100,000 + 300,000
    assert balances[89] == D("-7700000.00")  # 1,000,000 − 90 × 100,000 + 300,000
    assert position.closing == D("-7700000.00")
    assert position.lowest.day == forecast_book + timedelta(days=89)
    assert (position.inflows, position.outflows, position.net) == (D("300000.00"), D("9000000.00"), D("-8700000.00"))

    page = response.content.decode()
    kpis = dict(re.findall(r'<div class="kpi[^"]*" id="(kpi-[a-z]+)"><dt>[^<]*</dt><dd>([^<]+)</dd>', page))
    assert kpis["kpi-opening"] == "1,000,000"
    assert kpis["kpi-closing"] == "-7,700,000"
    table = page[page.index('id="cash-balance-table"') :]
    assert table.index("900,000") < table.index("700,000") < table.index("-7,700,000")


def test_without_cash_pools_the_balance_is_the_cumulative_net(company, viewer, client):
    today = timezone.localdate()
    CashFlowLineFactory(company=company, amount=D("-10"), start_date=today)
    client.force_login(viewer)
    position = client.get(reverse("contingency:cashflow-list")).context["position"]
    assert position.opening == D("0") and position.days[2].balance == D("-30.00")
