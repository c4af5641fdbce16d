"""Playwright on the system Chromium against pytest-django's live server (never `playwright install`)."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test itself are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# The same system Chromium and flags the screenshots command launches.
from contingency.management.commands.screenshots import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"The browser tests need the system Chromium at {CHROMIUM}.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in(page):
    """`log_in(username)`: sign in through the login page with the test cast's password."""

    def sign_in(username: str, password: str = "pw-for-tests-123"):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return sign_in
