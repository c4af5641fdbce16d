"""A scenario's shock rows offer no archived channel or counterparty, except the one a row being edited holds."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from contingency.services import scenario_save
from tests.factories import CounterpartyFactory, FundingChannelFactory
from tests.web.browser_post import drawn_form
from tests.web.test_form_rows import page_of, row_html

pytestmark = pytest.mark.django_db


def offered(row: str) -> set[str]:
    return set(re.findall(r'<option value="([^"]+)"', row))


def test_archived_targets_are_left_out_except_the_one_a_row_holds(web_as, analyst, treasurer, company):
    bank = CounterpartyFactory(company=company, name="Bank")
    old_bank = CounterpartyFactory(company=company, name="Old bank", archived_at=timezone.now())
    gone = CounterpartyFactory(company=company, name="Gone lender", archived_at=timezone.now())
    line = FundingChannelFactory(company=company, counterparty=bank, name="Revolver")
    old_line = FundingChannelFactory(company=company, counterparty=bank, name="Old line", archived_at=timezone.now())
    unused = FundingChannelFactory(company=company, counterparty=bank, name="Unused", archived_at=timezone.now())
    scenario = scenario_save(
        company=company,
        by=treasurer,
        name="Old lines",
        horizon_days=30,
        shocks=[
            {"target_type": "channel", "target": str(old_line.pk), "action": "close", "day": 0},
            {"target_type": "counterparty", "target": str(old_bank.pk), "action": "close", "day": 1},
        ],
    )
    client = web_as(analyst)
    url = reverse("contingency:scenario-edit", args=[scenario.pk])
    page = page_of(client, url)
    first, second, blank = (offered(row_html(page, f"shocks-row-{i}")) for i in range(3))
    always = {f"channel:{line.pk}", f"counterparty:{bank.pk}"}
    never = {f"channel:{unused.pk}", f"counterparty:{gone.pk}"}
    assert always <= first and always <= second and always <= blank
    assert not never & (first | second | blank)
    # Row 0 holds the archived line, row 1 the archived bank: each keeps its own, nobody else is offered it.
    assert f"channel:{old_line.pk}" in first and f"counterparty:{old_bank.pk}" not in first
    assert f"counterparty:{old_bank.pk}" in second and f"channel:{old_line.pk}" not in second
    assert not {f"channel:{old_line.pk}", f"counterparty:{old_bank.pk}"} & blank
    assert re.search(rf'<option value="channel:{old_line.pk}" selected>', row_html(page, "shocks-row-0"))

    # Saved as drawn, the rows keep what they hold.
    response = client.post(url, drawn_form(page))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(scenario.shocks.order_by("day").values_list("target_type", "target")) == [
        ("channel", str(old_line.pk)),
        ("counterparty", str(old_bank.pk)),
    ]

    # A new row cannot pick an archived target: the choice is refused.
    body = drawn_form(page_of(client, url))
    body.update({"shocks-2-target_choice": f"channel:{unused.pk}", "shocks-2-action": "close", "shocks-2-day": "3"})
    response = client.post(url, body)
    assert response.status_code == 200 and "Select a valid choice" in row_html(
        response.content.decode(), "shocks-row-2"
    )
    assert scenario.shocks.count() == 2
