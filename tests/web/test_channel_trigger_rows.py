"""The channel form's lender-trigger rows as a treasurer uses them (issue 11 items 1 and 3): "Add a row" copies the
formset's empty form in the page (static/js/formset.js, as on the scenario and plan editors), a row left blank is
ignored, and a trigger's level is typed in percent.

Each post is what the browser sends for the page as drawn (tests/web/browser_post.py); an added row is the page's
<template> with its index filled in, as formset.js fills it, and TOTAL_FORMS counts it.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from channels_app.models import FundingChannel, LenderTrigger
from tests.factories import CounterpartyFactory, FundingChannelFactory
from tests.web.browser_post import drawn_form

pytestmark = pytest.mark.django_db


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def empty_row(page: str) -> str:
    start = page.index('<template id="triggers-empty-row">')
    return page[start + len('<template id="triggers-empty-row">') : page.index("</template>", start)]


def add_row(page: str, body: dict[str, str], **typed: str) -> dict[str, str]:
    """What the browser posts after "Add a row": the empty row's controls as drawn, under the next index."""
    index = int(body["triggers-TOTAL_FORMS"])
    row = empty_row(page).replace("__prefix__", str(index)).replace("__number__", str(index + 1))
    added = drawn_form(f"<form novalidate>{row}</form>")
    assert added and all(name.startswith(f"triggers-{index}-") for name in added)
    added.update({f"triggers-{index}-{name}": value for name, value in typed.items()})
    return {**body, **added, "triggers-TOTAL_FORMS": str(index + 1)}


CHANNEL = {
    "name": "Platform line", "channel_type": "small_loan_platform", "limit": "3,000,000", "annual_rate": "10.5",
    "start_date": "2026-01-01", "maturity_date": "2027-01-01",
}  # fmt: skip


def test_the_channel_form_adds_trigger_rows_in_the_page_from_the_empty_form(web_as, analyst, company):
    page = page_of(web_as(analyst), reverse("channels:channel-add"))
    row = empty_row(page)
    assert 'name="triggers-__prefix__-kind"' in row and 'id="triggers-row-__prefix__"' in row
    assert "Trigger __number__" in row
    assert 'id="triggers-rows"' in page and 'id="triggers-row-0"' in page  # the one blank row drawn
    assert 'data-formset-add="triggers"' in page and "js/formset.js" in page
    assert "<script>" not in page  # the Content-Security-Policy allows scripts from files only
    form = page[page.index('<form method="post"') :]
    ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', form))
    assert ids and [control for control in ids if control not in labelled] == []


def test_a_new_channel_keeps_its_added_trigger_and_ignores_the_blank_rows(web_as, analyst, company):
    lender = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    client = web_as(analyst)
    page = page_of(client, reverse("channels:channel-add"))
    body = {**drawn_form(page), **CHANNEL, "counterparty": str(lender.pk)}
    assert body["triggers-TOTAL_FORMS"] == "1" and body["triggers-0-action"] == "close"  # row 1 left blank
    body = add_row(page, body, kind="utilisation_above", level="90", action="freeze", freeze_days="30")
    body = add_row(page, body)  # row 3 added and left blank
    assert body["triggers-TOTAL_FORMS"] == "3"
    response = client.post(reverse("channels:channel-add"), body)
    assert response.status_code == 302, response.content.decode()[-3000:]
    line = FundingChannel.objects.get(company=company, name="Platform line")
    assert list(line.triggers.values_list("kind", "level", "action", "freeze_days")) == [
        ("utilisation_above", Decimal("0.9"), "freeze", 30)  # 90 % typed
    ]


def test_editing_a_channel_as_drawn_with_an_added_blank_row_keeps_its_trigger(web_as, analyst, company):
    line = FundingChannelFactory(company=company, name="Revolver")
    LenderTrigger.objects.create(channel=line, kind="own_rating_below", rating="BBB", action="close")
    client = web_as(analyst)
    url = reverse("channels:channel-edit", args=[line.pk])
    page = page_of(client, url)
    body = add_row(page, drawn_form(page))
    assert body["triggers-TOTAL_FORMS"] == "3"  # the trigger, the blank row drawn, the added one
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(line.triggers.values_list("kind", "rating", "action")) == [("own_rating_below", "BBB", "close")]


def test_an_added_row_with_a_kind_but_no_level_is_refused_on_its_row(web_as, analyst, company):
    lender = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    client = web_as(analyst)
    page = page_of(client, reverse("channels:channel-add"))
    body = add_row(page, {**drawn_form(page), **CHANNEL, "counterparty": str(lender.pk)}, kind="utilisation_above")
    response = client.post(reverse("channels:channel-add"), body)
    assert response.status_code == 200
    refused = response.content.decode()
    row = refused[
        refused.index('id="triggers-row-1"') : refused.index("</fieldset>", refused.index('id="triggers-row-1"'))
    ]
    assert "A utilisation trigger needs the level." in row
    assert 'id="triggers-row-2"' not in refused and "Trigger 2" in refused
    assert not FundingChannel.objects.filter(company=company, name="Platform line").exists()


def test_the_add_a_row_button_reads_in_chinese(web_as, analyst):
    client = web_as(analyst, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["django_language"] = "zh-hans"
    page = page_of(client, reverse("channels:channel-add"))
    assert "添加一行" in page and "更多空行" in page and "触发条件 1" in page
