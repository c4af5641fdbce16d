from datetime import date
from decimal import Decimal

import pytest

from channels_app import selectors
from channels_app.services import channel_draw
from financeplanner.models import FxRate
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db


def test_concentration_and_platform_share_in_reporting_currency(company):
    bank = CounterpartyFactory(company=company)
    a = FundingChannelFactory(company=company, counterparty=bank, maturity_date=date(2026, 3, 20))
    b = FundingChannelFactory(company=company, counterparty=bank, channel_type="small_loan_platform")
    usd = FundingChannelFactory(company=company, currency="USD", limit=Decimal("100.00"))
    FxRate.objects.create(company=company, currency="USD", as_of=date(2026, 1, 1), rate=Decimal("7.0"))
    channel_draw(channel=a, amount=Decimal("300"), date=date(2026, 2, 1), by=None)
    channel_draw(channel=b, amount=Decimal("100"), date=date(2026, 2, 1), by=None)
    channel_draw(channel=usd, amount=Decimal("100"), date=date(2026, 2, 1), by=None)  # 700 CNY

    summary = selectors.funding_summary(company)

    assert summary.total_drawn == Decimal("1100.00")
    # lenders hold 400 and 700 of 1,100: (400/11)² + (700/11)² = 650,000/121
    assert summary.hhi_by_lender == Decimal("5371.9")
    assert summary.platform_share == Decimal(100) / Decimal(1100)  # unrounded: the page rounds it once
    ladder = selectors.maturity_ladder(company, date(2026, 3, 1))
    assert ladder[0]["drawn"] == Decimal("300.00") and ladder[-1]["drawn"] == Decimal("800.00")
    # By maturity bucket on Mar 1: 300 within 30 days, 800 beyond a year: (300/11)² + (800/11)² = 730,000/121
    assert selectors.funding_summary(company, date(2026, 3, 1)).hhi_by_maturity == Decimal("6033.1")


def test_missing_fx_rate_is_a_clear_error(company):
    FundingChannelFactory(company=company, currency="EUR")
    with pytest.raises(Exception, match="No FX rate from EUR"):
        selectors.funding_summary(company)
