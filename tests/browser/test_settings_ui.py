"""Settings in the browser, in the UI only (issue 11 items 2 and 7): a USD line without a rate is warned about and
left out of the dashboard's totals, which still show; its rate added on the FX page brings it in (hand-computed);
the policy set on its page is what the API answers; an API key is shown once.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from channels_app.services import channel_draw
from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tile(page, label: str):
    """A dashboard tile's figure, found by its label."""
    return (
        page.locator(".kpi", has=page.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$"))).locator("dd").first
    )


@pytest.fixture
def book(company):
    """In CNY: a line of 1,000,000 with 250,000 drawn and 500,000 of cash."""
    line = FundingChannelFactory(company=company, name="Yuan revolver", limit=Decimal("1000000.00"))
    channel_draw(channel=line, amount=Decimal("250000.00"), date=date(2026, 2, 1), by=None)
    LiquidityPoolFactory(company=company, name="Yuan cash", kind="cash", amount=Decimal("500000.00"), haircut=0)
    return company


def test_a_usd_line_without_a_rate_is_warned_about_until_its_rate_is_added(log_in, page, company_admin, book):
    log_in(company_admin.username)
    # A USD cash pool of 10,000, typed in the pool form.
    page.goto("/pools/add/")
    page.fill("input[name=name]", "Dollar cash")
    page.select_option("select[name=kind]", "cash")
    page.select_option("select[name=currency]", "USD")
    page.fill("input[name=amount]", "10000")
    page.fill("input[name=haircut]", "0")
    page.fill("input[name=days_to_cash]", "0")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Dollar cash")
    expect(page.locator("main")).to_contain_text("No FX rate for USD")

    page.goto("/")
    banner = page.locator(".fx-missing")
    expect(banner).to_contain_text("No FX rate for USD")
    expect(banner).to_contain_text("Dollar cash")
    # Never blank: the CNY figures are there (the USD pool left out).
    expect(tile(page, "Liquidity (cash after haircut)")).to_have_text("500,000")
    expect(tile(page, "Total credit limits")).to_have_text("1,000,000")

    banner.get_by_role("link", name="Add the FX rates").click()
    expect(page.locator("#rates-in-use")).to_contain_text("No rate")
    page.get_by_role("link", name="Add a rate").click()
    page.select_option("select[name=currency]", "USD")
    page.fill("input[name=as_of]", "2026-01-02")
    page.fill("input[name=rate]", "7.1")
    page.click("main form button[type=submit]")
    expect(page.locator("#rates-in-use tr[data-currency=USD]")).to_contain_text("7.1")

    page.goto("/pools/")
    expect(page.locator("main")).not_to_contain_text("No FX rate for USD")
    page.goto("/")
    expect(page.locator(".fx-missing")).to_have_count(0)
    # 500,000 + 10,000 × 7.1 = 571,000
    expect(tile(page, "Liquidity (cash after haircut)")).to_have_text("571,000")


def test_a_usd_funding_line_without_a_rate_leaves_the_limits_until_its_rate_is_added(log_in, page, company_admin, book):
    CounterpartyFactory(company=book, name="Dollar Bank")
    log_in(company_admin.username)
    # A USD revolver of 200,000, typed in the channel form.
    page.goto("/channels/new/")
    page.fill("#id_name", "Dollar revolver")
    page.select_option("#id_counterparty", label="Dollar Bank")
    page.select_option("#id_channel_type", "revolving_credit")
    page.select_option("#id_currency", "USD")
    page.fill("#id_limit", "200,000")
    page.fill("#id_annual_rate", "5.5")
    page.fill("#id_start_date", "2026-01-01")
    page.fill("#id_maturity_date", "2028-01-01")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Dollar revolver")
    expect(page.locator("main")).to_contain_text("No FX rate for USD")

    page.goto("/")
    expect(page.locator(".fx-missing")).to_contain_text("Dollar revolver")
    # The CNY line alone: 1,000,000 of limits; the dashboard is not blanked.
    expect(tile(page, "Total credit limits")).to_have_text("1,000,000")

    page.goto("/settings/fx-rates/add/")
    page.select_option("select[name=currency]", "USD")
    page.fill("input[name=as_of]", "2026-01-02")
    page.fill("input[name=rate]", "7.2")
    page.click("main form button[type=submit]")

    page.goto("/")
    expect(page.locator(".fx-missing")).to_have_count(0)
    # 1,000,000 + 200,000 × 7.2 = 2,440,000
    expect(tile(page, "Total credit limits")).to_have_text("2,440,000")


def test_the_policy_set_in_the_page_is_what_the_api_answers(log_in, page, company_admin, company):
    log_in(company_admin.username)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Change the policy").click()
    page.fill("input[name=survival_horizon_days]", "30")
    page.fill("input[name=min_cash_buffer]", "50000")
    page.fill("input[name=target_survival_percent]", "97.5")
    page.click("main form button[type=submit]")
    expect(page.locator("#policy-target")).to_have_text("97.5%")
    expect(page.locator("#policy-horizon")).to_have_text("30")

    # The API, with the browser's own session (what the API docs page uses).
    answer = page.request.get("/api/v1/companies/acme/").json()
    assert answer["survival_horizon_days"] == 30
    assert answer["min_cash_buffer"] == "50000.00"
    assert answer["target_survival_probability"] == "0.9750"


def test_an_api_key_is_shown_once(log_in, page, company_admin, company):
    log_in(company_admin.username)
    page.goto("/settings/")
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Create an API key").click()
    page.fill("input[name=name]", "SAP nightly pull")
    page.click("main form button[type=submit]")
    key = page.locator("#issued-key").input_value()
    assert re.fullmatch(r"fp_[0-9a-f]{8}\.[\w-]+", key)
    page.get_by_role("link", name="Done").click()
    row = page.locator("tr", has_text="SAP nightly pull")
    expect(row).to_contain_text(key.partition(".")[0])
    assert key.partition(".")[2] not in page.content()
    page.reload()
    assert key.partition(".")[2] not in page.content()
