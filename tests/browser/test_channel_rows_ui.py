"""The channel form's lender triggers in Chromium (issue 11 items 1 and 3): "Add a row" adds a trigger row in the page
(static/js/formset.js, no reload), what was typed before stays, the blank row is ignored on save and the level is
typed in percent."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from channels_app.models import LenderTrigger
from tests.factories import FundingChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_trigger_row_is_added_in_the_page_and_the_blank_row_ignored(log_in, page, analyst, company):
    line = FundingChannelFactory(company=company, name="Revolver", limit=Decimal("2000000"))
    LenderTrigger.objects.create(channel=line, kind="own_rating_below", rating="BBB", action="close")
    log_in(analyst.username)
    page.goto(reverse("channels:channel-edit", args=[line.pk]))
    page.fill("#id_notes", "Covenants reviewed")
    total = page.locator("#id_triggers-TOTAL_FORMS")
    expect(total).to_have_value("2")  # the trigger and one blank row

    page.get_by_role("button", name="Add a row").click()
    expect(total).to_have_value("3")
    expect(page.locator("#triggers-row-2 legend")).to_have_text("Trigger 3")
    expect(page.locator("#id_notes")).to_have_value("Covenants reviewed")  # nothing lost
    kind = page.locator("#id_triggers-2-kind")
    expect(kind).to_be_focused()
    kind.select_option("utilisation_above")
    page.fill("#id_triggers-2-level", "90")
    page.locator("#id_triggers-2-action").select_option("freeze")
    page.fill("#id_triggers-2-freeze_days", "30")
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_contain_text("Revolver")
    expect(page.locator("main")).to_contain_text("90%")
    triggers = list(line.triggers.order_by("id").values_list("kind", "level", "action", "freeze_days"))
    assert triggers == [("own_rating_below", None, "close", None), ("utilisation_above", Decimal("0.9"), "freeze", 30)]
