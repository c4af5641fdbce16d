"""The scenario and plan editors as a treasurer uses them: blank rows are skipped, every row control is labelled, the
rows' rates and shares are typed in percent and amounts with thousands separators (issue 11, items 1, 3 and 14).

Each post is what the browser sends for the page as drawn (tests/web/browser_post.py), with only the typed fields
changed: the blank rows carry exactly what an untouched row carries.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from channels_app.models import FundingChannel, LedgerEntry
from contingency.models import ContingencyPlan, LiquidityPool, Scenario
from tests.factories import CounterpartyFactory, FundingChannelFactory
from tests.web.browser_post import drawn_form

pytestmark = pytest.mark.django_db

REQUIRED = "This field is required."


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def row_html(page: str, row_id: str) -> str:
    start = page.index(f'id="{row_id}"')
    return page[start : page.index("</tr>", start)]


SCENARIO = {"name": "Platforms cut", "kind": "deterministic", "as_of": "2026-01-01", "horizon_days": "60"}


def test_a_new_scenario_saves_with_its_blank_shock_rows_skipped(web_as, analyst, company):
    client = web_as(analyst)
    body = drawn_form(page_of(client, reverse("contingency:scenario-add")))
    assert body["shocks-TOTAL_FORMS"] == "2" and body["shocks-1-action"] == "close" and body["shocks-1-day"] == "0"
    body.update(SCENARIO)
    body.update({"shocks-0-target_choice": "all_platforms:", "shocks-0-action": "reduce", "shocks-0-reduce_by": "25"})
    response = client.post(reverse("contingency:scenario-add"), body)
    assert response.status_code == 302, response.content.decode()[-3000:]
    scenario = Scenario.objects.get(company=company, name="Platforms cut")
    assert list(scenario.shocks.values_list("target_type", "action", "reduce_by")) == [
        ("all_platforms", "reduce", Decimal("0.25"))  # 25 % typed
    ]
    edit = page_of(client, reverse("contingency:scenario-edit", args=[scenario.pk]))
    assert re.search(r'name="shocks-0-reduce_by" value="25"', edit)


def test_a_scenario_with_no_shocks_at_all_is_saved(web_as, analyst, company):
    client = web_as(analyst)
    body = {**drawn_form(page_of(client, reverse("contingency:scenario-add"))), **SCENARIO}
    assert client.post(reverse("contingency:scenario-add"), body).status_code == 302
    assert Scenario.objects.get(company=company, name="Platforms cut").shocks.count() == 0


def test_editing_a_scenario_as_drawn_keeps_its_shock_and_ignores_the_blank_rows(web_as, analyst, book):
    client, scenario = web_as(analyst), book["scenario"]
    url = reverse("contingency:scenario-edit", args=[scenario.pk])
    body = drawn_form(page_of(client, url))
    assert (body["shocks-INITIAL_FORMS"], body["shocks-TOTAL_FORMS"]) == ("1", "3")  # one shock, two blank rows
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(scenario.shocks.values_list("target_type", "action", "day")) == [("channel", "close", 0)]


def test_a_refused_shock_row_is_marked_and_the_blank_rows_are_not(web_as, analyst, company):
    client = web_as(analyst)
    body = {**drawn_form(page_of(client, reverse("contingency:scenario-add"))), **SCENARIO}
    body.update({"shocks-0-target_choice": "all:", "shocks-0-action": "reduce", "shocks-0-reduce_by": "150"})
    response = client.post(reverse("contingency:scenario-add"), body)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reduce by (%) must be between 0 % and 100 %." in row_html(page, "shocks-row-0")
    assert REQUIRED not in row_html(page, "shocks-row-1") and "errorlist" not in row_html(page, "shocks-row-1")
    assert 'value="150"' in row_html(page, "shocks-row-0")  # kept as typed
    assert not Scenario.objects.filter(name="Platforms cut").exists()


def test_a_plan_edited_as_drawn_takes_a_new_step_in_percent_and_skips_the_blank_row(web_as, analyst, book):
    client, plan = web_as(analyst), book["plan"]
    url = reverse("contingency:plan-edit", args=[plan.pk])
    page = page_of(client, url)
    # The recorded step is shown in percent: cost 0 %, success 100 %.
    assert re.search(r'name="steps-0-success_probability" value="100"', page)
    assert re.search(r'name="steps-0-cost_rate" value="0"', page)
    body = drawn_form(page)
    assert body["steps-TOTAL_FORMS"] == "3"
    body.update({
        "steps-1-order": "2", "steps-1-action": "cut_discretionary", "steps-1-amount": "1,250,000.50",
        "steps-1-cost_rate": "10.5", "steps-1-success_probability": "80",
    })  # fmt: skip
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[-3000:]
    steps = list(
        plan.steps.order_by("order").values_list("order", "action", "amount", "cost_rate", "success_probability")
    )
    assert steps == [
        (1, "liquidate_pool", None, Decimal("0"), Decimal("1")),
        (2, "cut_discretionary", Decimal("1250000.50"), Decimal("0.105"), Decimal("0.8")),
    ]
    edit = page_of(client, url)
    assert re.search(r'name="steps-1-cost_rate" value="10.5"', edit)
    assert re.search(r'name="steps-1-amount" value="1,250,000.50"', edit)


def test_a_new_plan_with_only_blank_rows_has_no_steps(web_as, analyst, company):
    client = web_as(analyst)
    body = drawn_form(page_of(client, reverse("contingency:plan-add")))
    body["name"] = "Empty playbook"
    response = client.post(reverse("contingency:plan-add"), body)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert ContingencyPlan.objects.get(company=company, name="Empty playbook").steps.count() == 0


@pytest.mark.parametrize("name", ["contingency:plan-add", "contingency:scenario-add"])
def test_every_row_control_has_a_label_and_rows_are_added_from_the_empty_form(web_as, analyst, company, name):
    page = page_of(web_as(analyst), reverse(name))
    form = page[page.index('<form method="post"') :]
    ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', form))
    assert ids and [control for control in ids if control not in labelled] == []
    prefix = "steps" if "plan" in name else "shocks"
    assert f'<label class="visually-hidden" for="id_{prefix}-1-DELETE">Remove, row 2</label>' in page
    template = page[page.index(f'<template id="{prefix}-empty-row">') : page.index("</template>")]
    assert f'name="{prefix}-__prefix__-' in template and "__number__" in template
    assert f'data-formset-add="{prefix}"' in page and "js/formset.js" in page
    assert "<script>" not in page  # the Content-Security-Policy allows scripts from files only


def test_a_channel_rate_is_typed_in_percent_and_a_fraction_typed_as_percent_is_refused(web_as, analyst, company):
    lender = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    client = web_as(analyst)
    body = drawn_form(page_of(client, reverse("channels:channel-add")))
    body.update({
        "name": "Platform line", "counterparty": str(lender.pk), "channel_type": "small_loan_platform",
        "limit": "3,000,000", "annual_rate": "1050", "start_date": "2026-01-01", "maturity_date": "2027-01-01",
    })  # fmt: skip
    refused = client.post(reverse("channels:channel-add"), body).content.decode()
    assert "Annual rate must be between 0 % and 50 %. Type a percentage: 10.5 for 10.5 %." in refused
    assert not FundingChannel.objects.filter(name="Platform line").exists()

    body["annual_rate"] = "10.5"
    assert client.post(reverse("channels:channel-add"), body).status_code == 302
    line = FundingChannel.objects.get(name="Platform line")
    assert (line.annual_rate, line.limit) == (Decimal("0.105"), Decimal("3000000"))
    edit = page_of(client, reverse("channels:channel-edit", args=[line.pk]))
    assert re.search(r'name="annual_rate" value="10.5"', edit) and re.search(r'name="limit" value="3,000,000.00"', edit)
    assert "10.5%" in page_of(client, reverse("channels:channel-detail", args=[line.pk]))


def test_a_draw_is_typed_with_thousands_separators_and_a_decimal_comma_is_refused(web_as, analyst, company):
    line = FundingChannelFactory(company=company, limit=Decimal("3000000"))
    client = web_as(analyst)
    url = reverse("channels:channel-draw", args=[line.pk])
    refused = client.post(url, {"amount": "1250000,50", "date": "2026-03-01"}).content.decode()
    assert "commas only between thousands, e.g. 1,250,000.50." in refused
    assert client.post(url, {"amount": "1,250,000.50", "date": "2026-03-01"}).status_code == 302
    assert LedgerEntry.objects.get(channel=line).amount == Decimal("1250000.50")


def test_a_pool_haircut_is_a_percentage_named_in_its_error(web_as, analyst, company):
    client = web_as(analyst)
    body = {"name": "Fund", "kind": "money_market_fund", "currency": "CNY", "amount": "500,000", "days_to_cash": "2"}
    refused = client.post(reverse("contingency:pool-add"), {**body, "haircut": "102"}).content.decode()
    assert "Haircut must be between 0 % and 100 %." in refused
    assert client.post(reverse("contingency:pool-add"), {**body, "haircut": "2"}).status_code == 302
    pool = LiquidityPool.objects.get(company=company, name="Fund")
    assert (pool.haircut, pool.amount) == (Decimal("0.02"), Decimal("500000"))


def test_dates_are_iso_in_both_languages_on_every_kind_of_page(web_as, viewer, company, book):
    """A channel's page prints its dates with SHORT_DATE_FORMAT, a drill report with DATE_FORMAT: one format."""
    line = FundingChannelFactory(company=company, start_date="2026-01-05", maturity_date="2027-03-01")
    client = web_as(viewer)
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        channel_page = page_of(client, reverse("channels:channel-detail", args=[line.pk]))
        assert "2026-01-05" in channel_page and "2027-03-01" in channel_page, language
        report = page_of(client, reverse("contingency:drill-detail", args=[book["run"].pk]))
        assert re.search(r"<dd>2026-01-01</dd>", report), language  # the scenario's as-of date, day 0
        for page in (channel_page, report):
            assert not re.search(r"Jan\.? \d|\d{2}/\d{2}/\d{4}|\d{4}年\d{1,2}月", page), language


def test_the_policy_buffer_takes_thousands_separators_and_the_target_shows_its_percent_sign(
    web_as, company_admin, company
):
    client = web_as(company_admin)
    page = page_of(client, reverse("settings:policy"))
    assert re.search(r'name="target_survival_percent" value="99"[^>]*>\s*<span class="input-unit__suffix"', page)
    body = {**drawn_form(page), "min_cash_buffer": "1,000,000"}
    assert client.post(reverse("settings:policy"), body).status_code == 302
    company.refresh_from_db()
    assert company.min_cash_buffer == Decimal("1000000")
    assert re.search(r'name="min_cash_buffer" value="1,000,000.00"', page_of(client, reverse("settings:policy")))
