"""Percentages are printed with the places they need (issue 11 item 3): a channel's rates up to three decimals, shares
up to one, trailing zeros dropped. Expected texts are written by hand from the stored fractions."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import FundingChannelFactory, LiquidityPoolFactory

pytestmark = pytest.mark.django_db


def facts(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = re.sub(r"\s+", " ", response.content.decode())
    return {
        dt.strip(): re.sub(r"<[^>]+>", "", dd).strip()
        for dt, dd in re.findall(r"<dt>([^<]*)</dt>\s*<dd>(.*?)</dd>", html)
    }


def test_a_channel_prints_its_rates_with_the_places_they_need(web_as, viewer, company):
    fixed = FundingChannelFactory(company=company, name="Fixed", annual_rate=Decimal("0.105"), fee_rate=Decimal("0"))
    floating = FundingChannelFactory(
        company=company, name="Floating", rate_type="floating", base_rate=Decimal("0.0345"), spread=Decimal("0.063"),
        annual_rate=Decimal("0.0975"), fee_rate=Decimal("0.00125"), action_probability=Decimal("0.05"),
    )  # fmt: skip
    odd = FundingChannelFactory(company=company, name="Odd", annual_rate=Decimal("0.10125"))
    client = web_as(viewer)
    shown = facts(client, reverse("channels:channel-detail", args=[fixed.pk]))
    assert (shown["Annual rate"], shown["Fee rate"]) == ("10.5%", "0%")
    shown = facts(client, reverse("channels:channel-detail", args=[floating.pk]))
    assert shown["Annual rate"] == "9.75% (base 3.45% + spread 6.3%)"
    assert (shown["Fee rate"], shown["Lender action probability"]) == ("0.125%", "5%")
    assert facts(client, reverse("channels:channel-detail", args=[odd.pk]))["Annual rate"] == "10.125%"


def test_a_share_prints_at_most_one_place(web_as, viewer, company):
    two = LiquidityPoolFactory(company=company, name="Fund", kind="money_market_fund", haircut=Decimal("0.02"))
    odd = LiquidityPoolFactory(company=company, name="Bonds", kind="money_market_fund", haircut=Decimal("0.0125"))
    client = web_as(viewer)
    assert facts(client, reverse("contingency:pool-detail", args=[two.pk]))["Haircut"] == "2%"
    assert facts(client, reverse("contingency:pool-detail", args=[odd.pk]))["Haircut"] == "1.3%"  # 1.25 half up
