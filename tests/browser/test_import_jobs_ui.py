"""Issue 11 item 12 in a real browser, at phone width: a treasurer imports a GBK-encoded CSV of cash-flow lines (what
Chinese Excel saves as "CSV") through the import page only, sees the check with the bad row marked and every error
of it, fixes the file and commits it."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contingency.models import CashFlowLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "name,category,amount,currency,start_date,end_date,frequency,discretionary\r\n"
PAYROLL = "员工工资,运营,-1250000.00,CNY,2026-01-25,2026-12-25,monthly,FALSE\r\n"
RENT = "办公室租金,运营,-86000.00,CNY,2026-01-05,2026-12-05,monthly,TRUE\r\n"
# Row 3 of the file: an amount that is no number and an end before its start — two errors on one row.
BAD_RECEIPTS = "货款回收（华东区）,销售,三百万,CNY,2026-03-10,2026-01-10,once,FALSE\r\n"
GOOD_RECEIPTS = "货款回收（华东区）,销售,3380000.50,CNY,2026-03-10,,once,FALSE\r\n"


def gbk_csv(*rows: str) -> dict:
    return {"name": "现金流.csv", "mimeType": "text/csv", "buffer": (HEADER + "".join(rows)).encode("gbk")}


def check(page, file: dict) -> None:
    page.select_option("#id_dataset", "cash-flows")
    page.set_input_files("#id_file", file)
    page.click("main form[enctype] button[type=submit]")


def page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


# Elements of the report that scroll sideways inside themselves (a wide table in a scroll box is still a table to
# scroll on a phone).
INNER_SCROLLERS = """() => [...document.querySelectorAll('#import-report, #import-report *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
  .map(e => e.tagName + '.' + e.className)"""


def test_a_treasurer_imports_a_gbk_csv_sees_the_bad_row_fixes_it_and_commits(log_in, page, company, treasurer):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(treasurer.username)
    page.goto("/import/")

    check(page, gbk_csv(PAYROLL, BAD_RECEIPTS, RENT))
    report = page.locator("#import-report")
    expect(report).to_contain_text("2 of 3 rows are valid.")
    expect(report).to_contain_text("Nothing was imported")
    bad = report.locator('.errors [data-row="3"]')
    expect(bad).to_contain_text("Row 3")
    expect(bad.locator("li")).to_have_count(2)  # both of its errors, at once
    expect(bad).to_contain_text("amount")
    expect(bad).to_contain_text("A valid number is required.")
    expect(bad).to_contain_text("end_date")
    expect(bad).to_contain_text("The end date cannot be before the start date.")
    expect(report.locator(".errors > li")).to_have_count(1)  # only row 3 is bad
    # The file's first rows: row 3 is marked, links to its errors, and its bad cells stand out; the others are not.
    preview = report.locator(".preview")
    expect(preview.locator('li[data-row="3"]')).to_have_class("is-bad")
    expect(preview.locator('li[data-row="3"] a[href="#import-row-3"]')).to_have_text("2 errors")
    expect(preview.locator('li[data-row="3"] .is-bad dt')).to_have_text(["amount", "end_date"])
    expect(preview.locator("li.is-bad")).to_have_count(1)
    expect(preview.locator('li[data-row="2"]')).to_contain_text("员工工资")  # the GBK text read as Chinese
    expect(page.locator("button[name=commit]")).to_have_count(0)
    assert page_width(page) <= 390, "the import check scrolls sideways at phone width"
    assert page.evaluate(INNER_SCROLLERS) == []
    assert not CashFlowLine.objects.exists()

    # Fixed in the spreadsheet, the file is checked again and then committed.
    check(page, gbk_csv(PAYROLL, GOOD_RECEIPTS, RENT))
    expect(report).to_contain_text("3 of 3 rows are valid.")
    expect(report.locator(".errors")).to_have_count(0)
    assert page_width(page) <= 390
    page.click("button[name=commit]")
    expect(page.locator(".messages")).to_contain_text("Imported 3 rows from 现金流.csv.")
    lines = CashFlowLine.objects.for_company(company).order_by("start_date")
    assert list(lines.values_list("name", "category", "amount", "start_date", "end_date", "discretionary")) == [
        ("办公室租金", "运营", Decimal("-86000.00"), date(2026, 1, 5), date(2026, 12, 5), True),
        ("员工工资", "运营", Decimal("-1250000.00"), date(2026, 1, 25), date(2026, 12, 25), False),
        ("货款回收（华东区）", "销售", Decimal("3380000.50"), date(2026, 3, 10), None, False),
    ]
