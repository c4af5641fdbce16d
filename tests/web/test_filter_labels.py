"""A list's filter labels are in the reader's language whatever ran before: django-filter builds a class-level
filter's form field once (the API schema does), with no label, and a form then shows the English field name."""

import re

import pytest

from channels_app.filtersets import FundingChannelFilterSet

pytestmark = pytest.mark.django_db


def _filter_labels(html: str) -> dict[str, str]:
    """The legend of each multiple-choice filter's fieldset, by the filter's name (its first checkbox's)."""
    groups = re.findall(r'<legend>(.*?)</legend>.*?name="([a-z_]+)"', html, re.S)
    return {
        name: re.sub(r"<[^>]+>|\s+", " ", text).strip() for text, name in groups if name in ("channel_type", "status")
    }


def test_the_channel_filters_are_labelled_in_chinese_after_the_api_built_them(web_as, analyst):
    # What the API's schema generation does to the shared FilterSet before any page is drawn.
    for name in ("channel_type", "status"):
        assert FundingChannelFilterSet.base_filters[name].field.label is None

    html = web_as(analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/channels/").content.decode()

    labels = _filter_labels(html)
    assert labels.get("channel_type") == "渠道类型" and labels.get("status") == "状态", labels
    english = web_as(analyst, HTTP_ACCEPT_LANGUAGE="en").get("/channels/").content.decode()
    assert _filter_labels(english) == {"channel_type": "Channel type", "status": "Status"}
