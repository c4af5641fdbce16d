"""Friendly error pages in both languages, with DEBUG off as in production: 400, 403, the CSRF failure, 404, 500."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

# (status, path, a phrase of the page in English, the same in Chinese) — written by hand, not read from the .po.
PAGES = [
    (403, "/fail/403/", "Not allowed", "无权操作"),
    (404, "/fail/404/", "Page not found", "页面不存在"),
    (404, "/no-such-page/", "Page not found", "页面不存在"),
    (400, "/fail/400/", "Bad request", "请求无效"),
    (500, "/fail/500/", "Something went wrong", "出错了"),
]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


def _get(path, language, **extra):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    return client.get(path, **extra)


@pytest.mark.urls("tests.web.error_urls")
@pytest.mark.parametrize("status,path,english,chinese", PAGES)
def test_each_error_page_is_friendly_in_english_and_chinese(production, db, status, path, english, chinese):
    en = _get(path, "en")
    assert en.status_code == status
    text = en.content.decode()
    assert english in text and 'lang="en"' in text
    assert "Go to the dashboard" in text
    assert "Traceback" not in text and "a bug" not in text and "a forged header" not in text

    zh = _get(path, "zh-hans")
    assert zh.status_code == status
    text = zh.content.decode()
    assert chinese in text and 'lang="zh-hans"' in text
    assert "返回仪表盘" in text
    assert english not in text


def test_the_language_cookie_chooses_the_error_pages_language(production, db, settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.parametrize("language,phrase", [("en", "The form has expired"), ("zh-hans", "表单已过期")])
def test_a_form_without_its_csrf_token_gets_the_friendly_page(production, db, language, phrase):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/accounts/login/", {"username": "demo", "password": "x"})
    assert response.status_code == 403
    text = response.content.decode()
    assert phrase in text
    assert "CSRF verification failed" not in text


def test_the_500_page_needs_no_database_no_request_and_no_context_processor():
    # No `db` fixture: any query here raises. Django renders 500.html with an empty context and no request.
    for language, phrase in (("en", "Something went wrong"), ("zh-hans", "出错了")):
        with translation.override(language):
            html = render_to_string("500.html")
        assert phrase in html
        assert "{%" not in html and "{{" not in html


def test_the_api_keeps_its_json_errors(production, db):
    response = _get("/api/v1/no-such-endpoint/", "zh-hans")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
