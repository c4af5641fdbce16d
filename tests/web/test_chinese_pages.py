"""Every page in Chinese has no English outside the company's own names and codes (issue 11, "What it must show").

The pages are walked from the URL conf (tests/web/site_pages.py), so a page added tomorrow is read tomorrow; each is
opened as the company's admin with the language cookie (as the language switcher sets it) and the browser's
Accept-Language, and a page that takes a form is posted once empty, so its error messages are read too.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from tests.factories import CompanyFactory
from tests.web.chinese_text import english_in, visible_texts
from tests.web.site_pages import OTHER_PAGES, PAGES, answers, is_delete, own_texts, rich_company, urls_of

pytestmark = pytest.mark.django_db


def chinese_client(settings, user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    if user is not None:
        client.force_login(user)
    return client


# -- the detector, on pages written by hand ----------------------------------------------------------------------


def test_the_detector_finds_an_english_sentence():
    html = "<main><h1>现金流</h1><p>The drill could not run.</p></main>"
    assert english_in(html) == ["The drill could not run"]


def test_the_detector_finds_a_raw_code_and_a_lone_interface_word():
    html = "<td>bank_term_loan</td><td><button>Delete</button></td><td>类型</td>"
    assert english_in(html) == ["bank_term_loan", "Delete"]


def test_the_detector_reads_shown_attributes_but_not_scripts_styles_or_other_attributes():
    html = (
        '<script>var msg = "Loading the chart";</script><style>.x::after{content:"Read more"}</style>'
        '<a href="/channels/new/" class="button primary big" data-label="Add a line">新增</a>'
        '<input placeholder="Search by name"><span title="Open headroom">可用额度</span>'
        '<input type="submit" value="Save changes">'
    )
    assert english_in(html) == ["Search by name", "Open headroom", "Save changes"]


def test_the_detector_leaves_out_the_companys_data_and_the_product_terms():
    html = (
        "<h1>Harbour Commercial Bank</h1><td>ana-analyst</td><td>ana@example.com</td>"
        "<td>CNY 1,250,000.00</td><td>2026-03-31</td><td>BBB+</td><td>12.5%</td>"
        "<p>下载 CSV 或 XLSX，通过 ERP 的 API 拉取；HHI 为 2,500。</p><p>删除 Harbour Commercial Bank？</p>"
        "<p>Monte Carlo 演练 #12</p>"
    )
    assert english_in(html, {"Harbour Commercial Bank", "ana-analyst"}) == []


def test_the_companys_names_do_not_hide_english_around_them():
    assert english_in("<p>Delete the line Harbour Bank?</p>", {"Harbour Bank"}) == ["Delete the line"]


def test_an_untranslated_template_string_is_caught_on_a_real_page(settings, client):
    """A deliberately English string in a real rendered page (the login page with an English notice added)."""
    html = chinese_client(settings).get("/accounts/login/").content.decode()
    assert english_in(html) == []  # the page as it is
    html = html.replace("</main>", "<p>Your session has expired.</p></main>")
    assert english_in(html) == ["Your session has expired"]


# -- the whole site -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The rich company, built once for the module inside a transaction that is rolled back at its end (each test
    runs in a savepoint of it, so what a test posts is undone before the next)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = rich_company(CompanyFactory(slug="acme", name="Acme Manufacturing"))
            built.own = own_texts(built.company)
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _english(response, own) -> list[str]:
    if getattr(response, "streaming", False):
        # A download streams from a server-side cursor: read it to the end, as a browser would (left unread, its
        # cursor is closed by the garbage collector in the middle of a later query); the test client then closes it.
        b"".join(response.streaming_content)
        return []
    assert response.status_code < 500, f"server error {response.status_code}"
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    html = response.content.decode()
    assert visible_texts(html)
    return sorted(set(english_in(html, own)))


GET_PAGES = [p for p in PAGES if answers(p, "get")]
POST_PAGES = [p for p in PAGES if answers(p, "post") and not is_delete(p)]


@pytest.mark.parametrize("page", GET_PAGES, ids=lambda p: f"GET /{p.route}")
def test_the_page_in_chinese_has_no_english(page, site, settings):
    client = chinese_client(settings, site.admin)
    found = {}
    for url in urls_of(page, site):
        response = client.get(url)
        # 405: a button's action (archive, restore) that only answers a POST.
        assert response.status_code in (200, 302, 405), (url, response.status_code)
        if english := _english(response, site.own):
            found[url] = english
    assert not found, f"English on the Chinese page: {found}"


@pytest.mark.parametrize("page", POST_PAGES, ids=lambda p: f"POST /{p.route}")
def test_the_form_posted_empty_answers_in_chinese(page, site, settings):
    """A form sent empty: its errors (and the page it redirects to) in Chinese."""
    client = chinese_client(settings, site.admin)
    found = {}
    for url in urls_of(page, site):
        response = client.post(url, {}, follow=True)
        if english := _english(response, site.own):
            found[url] = english
    assert not found, f"English on the Chinese page: {found}"


@pytest.mark.parametrize("path", OTHER_PAGES)
def test_the_pages_outside_a_company_are_chinese(path, site, settings):
    client = chinese_client(settings, site.admin)
    assert _english(client.get("/" + path, follow=True), site.own) == []


def test_signing_in_is_chinese(site, settings):
    client = chinese_client(settings)
    assert _english(client.get("/accounts/login/"), site.own) == []
    wrong = client.post("/accounts/login/", {"username": "admin-of-acme", "password": "wrong"})
    assert wrong.status_code == 200
    assert _english(wrong, site.own) == []


def test_every_page_is_walked():
    routes = {p.route for p in GET_PAGES}
    assert {"", "channels/", "channels/<int:pk>/", "drills/<int:pk>/", "plans/<int:pk>/edit/"} <= routes
