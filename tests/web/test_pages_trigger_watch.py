"""The trigger watch on the pages (channel list column, channel page table, dashboard card), both rating scales, the
channel form's trigger parameters, and the company's domestic notch offset through the companies API."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_app.models import CreditAssessment, FundingChannel, LenderTrigger
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def line(company):
    lender = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    channel = FundingChannelFactory(
        company=company, counterparty=lender, name="QuickLoan line", channel_type="small_loan_platform"
    )
    LenderTrigger.objects.create(channel=channel, kind="own_rating_below", rating="A", action="close")
    LenderTrigger.objects.create(channel=channel, kind="any_overdue", grace_days=0, action="call")
    # Ours: A+ (global), domestic AAA at the default offset of 6. The lender: BBB, domestic AA.
    for counterparty, rating in ((None, "A+"), (lender, "BBB")):
        CreditAssessment.objects.create(
            company=company, counterparty=counterparty, as_of=timezone.localdate() - timedelta(days=1),
            source="rating_agency", rating=rating, pd_1y=Decimal("0.001"),
        )  # fmt: skip
    return channel


def test_the_channel_list_shows_each_lines_closest_trigger(line, viewer, web_as):
    page = text(web_as(viewer).get(reverse("channels:channel-list")))
    assert "Closest trigger" in page
    # Of "below A" (2 notches from A+) and any overdue (0 grace days: 1 day), the overdue clause is closer.
    assert "Any overdue payment (cross-default): 1 day" in page


def test_the_channel_page_has_the_watch_table(line, viewer, web_as):
    page = text(web_as(viewer).get(reverse("channels:channel-detail", args=[line.pk])))
    assert "Trigger watch" in page
    assert re.search(r"Our rating falls below Close A A\+ 2 notches", page)
    assert re.search(r"Any overdue payment \(cross-default\) Call 0 0 1 day", page)
    assert "BBB domestic AA" in page  # the lender's rating on both scales


def test_the_dashboard_has_the_closest_triggers_card(line, viewer, web_as):
    page = text(web_as(viewer).get(reverse("dashboard")))
    assert "Closest triggers" in page
    assert re.search(r"QuickLoan line Any overdue payment \(cross-default\) Call 0 0 1 day", page)


def test_our_rating_page_shows_both_scales(line, viewer, web_as):
    page = text(web_as(viewer).get(reverse("channels:own-rating")))
    assert "A+ domestic AAA" in page


def test_the_channel_form_keeps_a_triggers_scale_and_parameters(line, analyst, web_as, company):
    client = web_as(analyst)
    form_page = client.get(reverse("channels:channel-edit", args=[line.pk])).content.decode()
    body = dict(re.findall(r'<input type="(?:text|number|date|hidden)" name="([^"]+)" value="([^"]*)"', form_page))
    body.update(re.findall(r'<select name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected>', form_page, re.S))
    assert body["triggers-1-kind"] == "any_overdue" and body["triggers-1-grace_days"] == "0"
    assert (body["triggers-INITIAL_FORMS"], body["triggers-TOTAL_FORMS"]) == ("2", "3")  # two recorded, one blank
    body.update({
        "triggers-0-scale": "domestic", "triggers-0-rating": "AA",
        "triggers-2-kind": "borrowing_frequency", "triggers-2-count": "4", "triggers-2-window_days": "30",
        "triggers-2-action": "freeze", "triggers-2-freeze_days": "7",
    })  # fmt: skip
    response = client.post(reverse("channels:channel-edit", args=[line.pk]), body)
    assert response.status_code == 302, text(response)[:2000]
    saved = FundingChannel.objects.get(pk=line.pk).triggers.order_by("id")
    assert [(t.kind, t.rating, t.scale, t.grace_days, t.count, t.window_days) for t in saved] == [
        ("own_rating_below", "AA", "domestic", None, None, None),
        ("any_overdue", "", "master", 0, None, None),
        ("borrowing_frequency", "", "master", None, 4, 30),
    ]


def test_an_admin_sets_the_domestic_offset_through_the_companies_api(company, company_admin, viewer, api_as):
    url = f"/api/v1/companies/{company.slug}/"
    assert api_as(company_admin).get(url).json()["domestic_notch_offset"] == 6
    assert api_as(viewer).patch(url, {"domestic_notch_offset": 7}, format="json").status_code == 403
    refused = api_as(company_admin).patch(url, {"domestic_notch_offset": 13}, format="json")
    assert refused.status_code == 400 and "domestic_notch_offset" in refused.json()
    assert api_as(company_admin).patch(url, {"domestic_notch_offset": 7}, format="json").status_code == 200
    company.refresh_from_db()
    assert company.domestic_notch_offset == 7
