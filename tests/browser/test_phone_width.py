"""No page is wider than a phone (issue 11 item 15): every page at a 390 px viewport, in English and in Chinese, has
nothing that makes it scroll sideways (document.documentElement.scrollWidth <= 390). Wide tables scroll inside
their own box, long words wrap.

The pages are walked from the URL conf with the rich company of tests/web/site_pages.py, so a page routed tomorrow
is measured tomorrow.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from tests.factories import CompanyFactory
from tests.web.site_pages import OTHER_PAGES, PAGES, answers, rich_company, urls_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS pixels

# What sticks out, for the failure message: the outermost elements whose right edge passes the viewport.
WIDEST = """(limit) => {
  const clips = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  // Clipped: a box that scrolls or clips by itself holds it. An absolutely placed element is only held by such a
  // box from its containing block (offsetParent) up: inside a scrolling table without one, it still widens the page.
  const clipped = (el) => {
    const position = getComputedStyle(el).position;
    if (position === 'fixed') return false;
    let from = position === 'absolute' ? el.offsetParent : el.parentElement;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (from && p === from) from = null;
      if (!from && clips(p)) return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll('*')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.right > limit + 0.5 && r.width > 0 && !clipped(el);
  });
  const outermost = wide.filter((el) => !wide.some((other) => other !== el && other.contains(el)));
  return outermost.slice(0, 5).map((el) => {
    const classes = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${classes} (${Math.round(el.getBoundingClientRect().right)} px)`;
  });
}"""


def _signed_in_context(chromium, live_server, user, language: str):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True,
        locale="zh-CN" if language == "zh-hans" else "en-GB",
    )  # fmt: skip
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {"name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
             "domain": host, "path": "/"},
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"},
        ]
    )  # fmt: skip
    context.set_default_timeout(20_000)
    return context


def test_the_detector_measures_a_page_that_is_too_wide(chromium, live_server):
    """The measurement can fail: a page with a 700 px box is 700 px wide at a 390 px viewport."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_content('<meta name="viewport" content="width=device-width"><div style="width:700px">x</div>')
    assert page.evaluate("document.documentElement.scrollWidth") >= 700
    assert page.evaluate(WIDEST, PHONE["width"]) == ["div (708 px)"]
    context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_page_scrolls_sideways_on_a_phone(chromium, live_server, language):
    site = rich_company(CompanyFactory(slug="acme", name="Acme Manufacturing"))
    urls, unopened = [], {}
    for route_page in PAGES:
        if answers(route_page, "get"):
            try:
                urls += urls_of(route_page, site)
            except (AssertionError, pytest.fail.Exception) as exc:  # the tenancy tests say what is missing
                unopened[route_page.route] = str(exc)
    urls += ["/" + path for path in OTHER_PAGES]

    context = _signed_in_context(chromium, live_server, site.admin, language)
    page = context.new_page()
    too_wide = {}
    for url in urls:
        try:
            response = page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            if "Download is starting" in str(exc):
                continue  # a file, not a page
            raise
        if response is None or response.status in (404, 405):
            continue  # a button's action (POST only), or a page about an object of another kind
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[url] = (width, page.evaluate(WIDEST, PHONE["width"]))
    context.close()

    report = "\n".join(f"{url}: {width} px — {what}" for url, (width, what) in sorted(too_wide.items()))
    assert not too_wide, f"{len(too_wide)} page(s) wider than {PHONE['width']} px:\n{report}"
    assert not unopened, f"Pages that could not be opened: {unopened}"
