"""The scenario and plan editors and the percent fields in Chromium, as a treasurer uses them (issue 11, items 1 and 3).

Blank rows are left as the page draws them and skipped on save; "Add a row" adds a row in the page (static/js/
formset.js, no reload), and what was typed before stays; a rate typed as 10.5 is 10.5 % on the page and 0.105 in the
API.
"""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from channels_app.models import FundingChannel
from contingency.models import PlanStep, Scenario
from contingency.services import plan_save, scenario_save
from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def playbook(company, analyst):
    """A line, a fund, a one-step plan and a one-shock scenario, written by the analyst."""
    line = FundingChannelFactory(company=company, name="Revolver", limit=Decimal("2000000"))
    fund = LiquidityPoolFactory(company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"))
    plan = plan_save(
        company=company, by=analyst, name="Playbook", trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3}],
    )  # fmt: skip
    scenario = scenario_save(
        company=company, by=analyst, name="Line closes", as_of=date(2026, 1, 1), horizon_days=60,
        shocks=[{"target_type": "channel", "target": str(line.pk), "action": "close", "day": 0}],
    )  # fmt: skip
    return {"plan": plan, "scenario": scenario, "line": line}


def test_a_scenario_is_edited_with_empty_rows_and_a_row_added_in_the_page(log_in, page, analyst, playbook):
    scenario = playbook["scenario"]
    log_in(analyst.username)
    page.goto(f"/scenarios/{scenario.pk}/edit/")
    page.fill("#id_description", "Platforms tighten after the downgrade")
    total = page.locator("#id_shocks-TOTAL_FORMS")
    expect(total).to_have_value("3")  # the shock and two blank rows

    page.get_by_role("button", name="Add a row").click()
    expect(total).to_have_value("4")
    expect(page.locator("#id_description")).to_have_value("Platforms tighten after the downgrade")  # nothing lost
    new_row = page.get_by_label("Hits, row 4")
    expect(new_row).to_be_focused()
    new_row.select_option("all_platforms:")
    page.get_by_label("Lender action, row 4").select_option("reduce")
    page.get_by_label("Day, row 4").fill("5")
    page.get_by_label("Reduce by (%), row 4").fill("25")
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_contain_text("Line closes")
    expect(page.locator("main")).to_contain_text("limit cut by 25%")
    shocks = list(Scenario.objects.get(pk=scenario.pk).shocks.order_by("day").values_list("action", "day", "reduce_by"))
    assert shocks == [("close", 0, None), ("reduce", 5, Decimal("0.25"))]  # rows 2 and 3 were left blank


def test_a_plan_is_edited_with_empty_rows_and_a_step_added_in_the_page(log_in, page, analyst, playbook):
    plan = playbook["plan"]
    log_in(analyst.username)
    page.goto(f"/plans/{plan.pk}/edit/")
    expect(page.get_by_label("Success probability, row 1")).to_have_value("100")  # 1 stored, 100 % shown
    page.get_by_label("Lead time (days), row 1").fill("4")  # typed before adding a row: must survive

    page.get_by_role("button", name="Add a row").click()
    page.get_by_label("Order, row 4").fill("2")
    page.get_by_label("Action, row 4").select_option("cut_discretionary")
    page.get_by_label("Amount, row 4").fill("1,250,000.50")
    page.get_by_label("Cost rate, row 4").fill("10.5")
    page.get_by_label("Success probability, row 4").fill("80")
    expect(page.get_by_label("Lead time (days), row 1")).to_have_value("4")
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_contain_text("Playbook")
    expect(page.locator("main")).to_contain_text("10.5%")
    steps = PlanStep.objects.filter(plan=plan).order_by("order")
    assert [(s.order, s.lead_time_days, s.amount, s.cost_rate, s.success_probability) for s in steps] == [
        (1, 4, None, Decimal("0"), Decimal("1")),
        (2, None, Decimal("1250000.50"), Decimal("0.105"), Decimal("0.8")),
    ]


def test_a_rate_of_10_5_percent_is_10_5_percent_on_the_page_and_0_105_in_the_api(
    log_in, page, analyst, company, api_as
):
    CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    log_in(analyst.username)
    page.goto("/channels/new/")
    page.fill("#id_name", "QuickLoan credit line")
    page.select_option("#id_counterparty", label="QuickLoan Online")
    page.select_option("#id_channel_type", "small_loan_platform")
    page.fill("#id_limit", "3,000,000")
    expect(page.locator(".field:has(#id_annual_rate) .input-unit__suffix")).to_have_text("%")
    page.fill("#id_annual_rate", "1050")  # 10.5 % typed as a fraction of 100 once too often: refused, with why
    page.fill("#id_start_date", "2026-01-01")
    page.fill("#id_maturity_date", "2027-01-01")
    page.click("main form button[type=submit]")
    expect(page.locator("#id_annual_rate_error")).to_have_text(
        "Annual rate must be between 0 % and 50 %. Type a percentage: 10.5 for 10.5 %."
    )
    page.fill("#id_annual_rate", "10.5")
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_contain_text("QuickLoan credit line")
    expect(page.locator("main")).to_contain_text("10.5%")
    line = FundingChannel.objects.get(name="QuickLoan credit line")
    body = api_as(analyst).get(f"/api/v1/channels/{line.pk}/").json()
    assert (Decimal(body["annual_rate"]), Decimal(body["limit"])) == (Decimal("0.105"), Decimal("3000000"))
    page.goto(f"/channels/{line.pk}/edit/")
    expect(page.locator("#id_annual_rate")).to_have_value("10.5")
