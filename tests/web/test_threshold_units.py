"""The early-warning thresholds page in each indicator's unit (issue 11 item 3): shares and ratios are typed and shown
in percent and kept as the fraction the indicator computes; HHI points, notches and the failed-drill flag as they are.

Expected values are typed by hand from the indicators' table in contingency/early_warnings/indicators.py.
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from contingency.models import WarningThreshold
from tests.web.browser_post import drawn_form

pytestmark = pytest.mark.django_db

EDIT = "contingency:threshold-edit"


def page_of(client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200, name
    return response.content.decode()


def row_of(page: str, code: str) -> str:
    start = page.index(f'data-indicator="{code}"')
    return re.sub(r"\s+", " ", page[start : page.index("</tr>", start)])


def value_of(page: str, name: str) -> str:
    match = re.search(r'<input[^>]*name="' + re.escape(name) + r'"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_the_list_shows_shares_in_percent_and_the_other_levels_in_their_unit(viewer, web_as):
    page = page_of(web_as(viewer), "contingency:threshold-list")
    headroom = row_of(page, "headroom_ratio")  # defaults 0.25 / 0.10
    assert "25%" in headroom and "10%" in headroom and "0.25" not in headroom
    assert "% of the limit of open lines" in headroom
    # Amber −10 %, red 0 % as cells of their own ("0%" alone is inside "-10%").
    assert {"-10%", "0%"} <= set(re.findall(r"<td[^>]*>\s*(-?\d+%)[\s<]", row_of(page, "platform_utilisation")))
    assert "125%" in row_of(page, "runway")
    hhi = row_of(page, "hhi_lender")
    assert "2500" in hhi and "5000" in hhi and "HHI points" in hhi and "%" not in hhi
    assert "notches" in row_of(page, "counterparty_downgrade")
    assert "Shares and ratios are in percent" in page


def test_a_share_typed_in_percent_is_kept_as_the_fraction_and_shown_again_in_percent(company, treasurer, web_as):
    client = web_as(treasurer)
    page = page_of(client, EDIT)
    assert "Unit: % of drawn funding. Default: 30." in page  # platform share red
    assert "Unit: HHI points (0–10,000). Default: 2500." in page
    body = drawn_form(page)
    body.update({"platform_share-red": "80", "platform_utilisation-amber": "-5", "hhi_lender-amber": "3000"})
    response = client.post(reverse(EDIT), body)
    assert response.status_code == 302, response.content.decode()[-2000:]
    stored = {row.indicator: (row.amber, row.red) for row in WarningThreshold.objects.filter(company=company)}
    assert stored == {
        "platform_share": (None, Decimal("0.8")),
        "platform_utilisation": (Decimal("-0.05"), None),
        "hhi_lender": (Decimal("3000"), None),
    }
    edit = page_of(client, EDIT)
    assert value_of(edit, "platform_share-red") == "80"
    assert value_of(edit, "platform_utilisation-amber") == "-5"
    assert value_of(edit, "hhi_lender-amber") == "3000"
    assert value_of(edit, "platform_share-amber") == ""  # the default stays a default
    listing = row_of(page_of(client, "contingency:threshold-list"), "platform_share")
    assert "15%" in listing and "80%" in listing


def test_a_fraction_typed_where_a_percentage_is_meant_is_refused_nothing_saved(company, treasurer, web_as):
    client = web_as(treasurer)
    body = drawn_form(page_of(client, EDIT))
    body.update({"hhi_lender-amber": "3000", "platform_share-amber": "150"})
    response = client.post(reverse(EDIT), body)
    assert response.status_code == 200
    assert "Share of funding from online platforms: amber must be between 0 % and 100 %" in response.content.decode()
    assert not WarningThreshold.objects.filter(company=company).exists()


def test_the_units_read_in_chinese(treasurer, web_as):
    client = web_as(treasurer, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    listing = page_of(client, "contingency:threshold-list")
    assert "占有效额度授信总额的百分比" in row_of(listing, "headroom_ratio")
    assert "HHI 点数（0–10,000）" in row_of(listing, "hhi_lender")
    assert "比例和比率以百分数填写" in listing
    edit = page_of(client, EDIT)
    assert "单位：占已提用资金的百分比。默认：30。" in edit
    assert "比例和比率以百分数填写：25 即四分之一" in edit
