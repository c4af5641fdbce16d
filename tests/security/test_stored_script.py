"""Issue 9 item 1: stored script through a chart title, and the Content-Security-Policy of every page.

Each attack stores a hostile name through the app and reads the pages a colleague would open.
"""

import re
from datetime import date

import pytest

from tests.factories import CounterpartyFactory, FundingChannelFactory

OCTAL_IMG = r"\074img src=x onerror=alert(document.domain)\076"
RAW_IMG = '<img src=x onerror="alert(document.domain)">'


def _no_live_img(html: str) -> None:
    assert "<img src=x" not in html
    assert not re.search(r"<img[^>]*onerror", html, re.I)


@pytest.mark.django_db
def test_octal_escapes_in_a_counterparty_name_do_not_become_markup_in_the_rating_chart(company, treasurer, web_as):
    lender = CounterpartyFactory(company=company, name=OCTAL_IMG)
    response = web_as(treasurer).get(f"/counterparties/{lender.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    _no_live_img(html)
    assert r"\074img src=x onerror=alert(document.domain)\076" in html  # shown as the text it is


@pytest.mark.django_db
def test_a_backslash_in_a_counterparty_name_does_not_break_the_page(company, treasurer, web_as):
    lender = CounterpartyFactory(company=company, name=r"ACME\Holdings \g<0> \1")
    response = web_as(treasurer).get(f"/counterparties/{lender.pk}/")
    assert response.status_code == 200
    assert r"ACME\Holdings \g&lt;0&gt; \1" in response.content.decode()


@pytest.mark.django_db
def test_markup_in_counterparty_and_channel_names_is_inert_on_the_dashboard_and_lists(company, treasurer, web_as):
    lender = CounterpartyFactory(company=company, name=RAW_IMG)
    channel = FundingChannelFactory(company=company, counterparty=lender, name=OCTAL_IMG + RAW_IMG)
    client = web_as(treasurer)
    for url in ("/", "/channels/", f"/channels/{channel.pk}/", "/counterparties/", f"/counterparties/{lender.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        _no_live_img(response.content.decode())


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_every_page_sends_a_content_security_policy_without_inline_script(company, treasurer, web_as, client):
    client_in = web_as(treasurer)
    for who, url in (
        (client, "/accounts/login/"),
        (client_in, "/"),
        (client_in, "/drills/"),
        (client, "/admin/login/"),
    ):
        response = who.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        script = policy.get("script-src", policy.get("default-src"))
        assert script == ["'self'"], (url, response["Content-Security-Policy"])
        assert policy["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in policy.get("style-src", [])
        assert policy["frame-ancestors"] == ["'none'"]
    response = client_in.get("/api/v1/companies/")
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_pages_carry_no_inline_script_event_handler_or_style_attribute(company, treasurer, web_as):
    """What the policy would block must not be in the pages at all (it would be a broken feature)."""
    lender = CounterpartyFactory(company=company, name="Bank of Test")
    channel = FundingChannelFactory(company=company, counterparty=lender, maturity_date=date(2027, 6, 30))
    client = web_as(treasurer)
    urls = ["/", "/channels/", f"/channels/{channel.pk}/", f"/counterparties/{lender.pk}/", "/cash-flows/",
            "/pools/", "/plans/", "/scenarios/", "/drills/", "/schedules/", "/alerts/", "/import/", "/own-rating/"]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html, re.I) if "src=" not in tag]
        assert inline_scripts == [], url
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.I), url
        assert not re.search(r"<[a-z][^>]*\sstyle\s*=", html, re.I), url
        assert "<style" not in html, url
        assert 'name="htmx-config"' in html, url
