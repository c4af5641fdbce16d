"""In Chromium: the dashboard's tiles against the API's totals, and a drill report as it prints.

The data is set up directly; what a treasurer does (signing in, opening the pages, printing) goes through the UI.
"""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from contingency.services import scenario_save
from tests.contingency.test_dashboard_figures import lines  # noqa: F401 — the fixture: backup, closed, frozen lines
from tests.factories import CashFlowLineFactory, LiquidityPoolFactory
from tests.web.contingency_pages import finished_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def whole(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}"


def api_totals(api) -> dict[str, str]:
    """The dashboard's figures summed by hand from the channels and pools the API returns."""
    channels = api.get("/api/v1/channels/", HTTP_X_COMPANY="acme").json()["results"]
    pools = api.get("/api/v1/pools/", HTTP_X_COMPANY="acme").json()["results"]

    def after_haircut(pool):
        return Decimal(pool["amount"]) * (1 - Decimal(pool["haircut"]))

    drawn = sum(Decimal(c["drawn"]) for c in channels)
    platform = sum(Decimal(c["drawn"]) for c in channels if c["channel_type"] == "small_loan_platform")
    totals = {
        "kpi-total-limit": sum(Decimal(c["limit"]) for c in channels if c["status"] not in ("closed", "matured")),
        "kpi-drawn": drawn,
        "kpi-headroom": sum(Decimal(c["headroom"]) for c in channels),
        "kpi-frozen-headroom": sum(
            Decimal(c["limit"]) - Decimal(c["drawn"]) for c in channels if c["status"] == "frozen"
        ),
        "kpi-cash": sum(after_haircut(p) for p in pools if p["kind"] == "cash"),
        "kpi-other-pools": sum(after_haircut(p) for p in pools if p["kind"] != "cash" and p["channel"] is None),
    }
    shown = {key: whole(value) for key, value in totals.items()}
    share = f"{(platform / drawn * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"
    shown["kpi-platform-share"] = f"{share.rstrip('0').rstrip('.') if '.' in share else share}%"  # 4.0 -> 4%
    return shown


def test_the_dashboard_tiles_match_the_api_totals(log_in, page, viewer, lines, api_as):  # noqa: F811
    log_in(viewer.username)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Dashboard")

    expected = api_totals(api_as(viewer))
    shown = {key: page.locator(f"#{key} dd").first.inner_text().strip() for key in expected}
    assert shown == expected
    assert shown["kpi-total-limit"] == "5,500,000" and shown["kpi-platform-share"] == "4%"
    # The funding mix shows the platform share as the tile does.
    mix = page.locator("section[aria-labelledby=mix-type-title] table")
    expect(mix).to_contain_text(expected["kpi-platform-share"])
    # Each tile says what it counts; the page says as of when.
    expect(page.locator("#kpi-headroom .kpi__help")).to_contain_text("committed backup lines, counted here")
    expect(page.locator("#kpi-frozen-headroom .kpi__help")).to_contain_text("not in available headroom")
    expect(page.locator("#figures-as-of")).to_have_text(re.compile(r"As of .+, Asia/Shanghai"))


@pytest.fixture
def drill_report(company, treasurer):
    LiquidityPoolFactory(company=company, name="Operating cash", kind="cash", amount=Decimal("1000000"))
    CashFlowLineFactory(company=company, name="Spending", amount=Decimal("-100000"), start_date=date(2026, 1, 1))
    scenario = scenario_save(
        company=company, by=treasurer, name="Base case", as_of=date(2026, 1, 1), horizon_days=30, shocks=[]
    )
    return finished_run(company, scenario, by=treasurer)


def test_a_drill_report_prints_with_the_company_page_numbers_and_who_printed_it(log_in, page, treasurer, drill_report):
    log_in(treasurer.username)
    page.goto(f"/drills/{drill_report.pk}/")
    header = page.locator("[data-print-header]")
    expect(header).to_be_hidden()  # on screen the report has no print header

    page.emulate_media(media="print")
    expect(header).to_be_visible()
    expect(header).to_contain_text("Acme Manufacturing")
    expect(header).to_contain_text(re.compile(r"Printed .+, Asia/Shanghai, by tom-treasurer"))
    expect(page.locator(".site-nav")).to_be_hidden()

    # The print stylesheet numbers the pages in the page's bottom margin (Chromium parsed the margin box).
    page_rules = page.evaluate(
        """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
                 .filter(rule => rule instanceof CSSPageRule).map(rule => rule.cssText).join(' ')"""
    )
    assert "@bottom-right" in page_rules and "counter(page)" in page_rules and "counter(pages)" in page_rules

    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
