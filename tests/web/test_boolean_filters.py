"""Yes/no filters of the lists say "All" (全部) when unset, never "Unknown" (未知); the API takes the same values."""

import re
from datetime import date

import pytest
from django.utils import timezone

from contingency.models import Alert
from tests.factories import CashFlowLineFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no filter {name!r} on the page"
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))]


@pytest.mark.parametrize(
    "url,name",
    [
        ("/alerts/", "open"),
        ("/alerts/", "acknowledged"),
        ("/cash-flows/", "discretionary"),
        ("/channels/", "committed"),
    ],
)
def test_a_yes_no_filter_offers_all_yes_and_no(web_as, analyst, url, name):
    english = web_as(analyst, HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    assert _options(english, name) == ["All", "Yes", "No"]
    chinese = web_as(analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(url).content.decode()
    assert _options(chinese, name) == ["全部", "是", "否"]


def test_the_filter_keeps_filtering_on_the_page_and_in_the_api(web_as, api_as, analyst, company):
    Alert.objects.create(company=company, indicator="runway", key="a", severity="red", message="open one")
    Alert.objects.create(
        company=company, indicator="runway", key="b", severity="red", message="closed one", resolved_at=timezone.now()
    )
    page = web_as(analyst).get("/alerts/?open=true").content.decode()
    assert "open one" in page and "closed one" not in page
    assert 'value="true" selected' in page
    everything = web_as(analyst).get("/alerts/?open=").content.decode()
    assert "open one" in everything and "closed one" in everything
    api = api_as(analyst).get("/api/v1/alerts/", {"open": "false"}).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert [row["message"] for row in rows] == ["closed one"]


def test_committed_and_discretionary_filter_by_yes_and_no(web_as, analyst, company):
    FundingChannelFactory(company=company, name="Committed line", committed=True)
    FundingChannelFactory(company=company, name="Uncommitted line", committed=False)
    CashFlowLineFactory(company=company, name="Bonus pool", discretionary=True, start_date=date(2026, 1, 1))
    CashFlowLineFactory(company=company, name="Rent", discretionary=False, start_date=date(2026, 1, 1))
    channels = web_as(analyst).get("/channels/?committed=false").content.decode()
    assert "Uncommitted line" in channels and "Committed line" not in channels
    flows = web_as(analyst).get("/cash-flows/?discretionary=true").content.decode()
    assert "Bonus pool" in flows and "Rent" not in flows
