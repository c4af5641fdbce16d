"""A treasurer corrects mistakes in the browser: deletes a cash-flow line, is refused deleting a channel with history
and archives it instead, reverses a ledger entry and sees the drawn amount go back, and downloads a list's rows as
CSV and XLSX with its filter applied."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from channels_app.models import FundingChannel, LedgerEntry
from channels_app.services import channel_draw
from contingency.models import CashFlowLine
from tests.factories import CashFlowLineFactory, FundingChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(company, analyst):
    line = FundingChannelFactory(company=company, name="Bank of Ningbo revolver", limit=Decimal("1000000.00"))
    channel_draw(channel=line, amount=Decimal("300000.00"), date=date(2026, 2, 2), reference="Payroll", by=analyst)
    # Typed 120,000 instead of 12,000: the mistake to reverse.
    channel_draw(channel=line, amount=Decimal("120000.00"), date=date(2026, 2, 3), reference="Supplier", by=analyst)
    CashFlowLineFactory(company=company, name="Salaries", category="payroll", amount=Decimal("-250000.00"))
    CashFlowLineFactory(company=company, name="Bonus", category="payroll", amount=Decimal("-40000.00"))
    CashFlowLineFactory(company=company, name="Office rent", category="rent", amount=Decimal("-30000.00"))
    CashFlowLineFactory(company=company, name="Office rent (typed twice)", category="rent", amount=Decimal("-30000"))
    return line


def _drawn(page):
    return page.locator(".kpi", has=page.locator("dt", has_text=re.compile(r"^Drawn$"))).locator("dd")


def test_a_treasurer_corrects_mistakes_and_downloads_a_list(log_in, page, treasurer, book):
    log_in(treasurer.username)

    # A cash-flow line typed twice is deleted.
    page.goto("/cash-flows/")
    page.get_by_role("link", name="Delete Office rent (typed twice)").click()
    expect(page.locator("h1")).to_contain_text("Office rent (typed twice)")
    page.locator("main form button[type=submit]", has_text="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted Office rent (typed twice).")
    assert not CashFlowLine.objects.filter(name="Office rent (typed twice)").exists()
    assert CashFlowLine.objects.filter(name="Office rent").exists()

    # The mistaken draw is reversed: 300,000 + 120,000 = 420,000 drawn, back to 300,000.
    page.goto(f"/channels/{book.pk}/")
    expect(_drawn(page)).to_have_text("420,000.00")
    mistake = LedgerEntry.objects.get(channel=book, amount=Decimal("120000.00"))
    page.get_by_role("button", name=f"Reverse entry #{mistake.pk}").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded the reversal")
    expect(_drawn(page)).to_have_text("300,000.00")
    expect(page.get_by_role("region", name="Ledger")).to_contain_text(f"Reverses entry #{mistake.pk}")

    # The line has history: deleting it is refused with the reason, and archiving is offered instead.
    page.locator(".page-actions").get_by_role("link", name="Delete").click()
    page.locator("main form button[type=submit]", has_text="Delete").click()
    expect(page.locator("[role=alert]")).to_contain_text("has ledger entries or lender actions")
    page.get_by_role("button", name="Archive instead").click()
    expect(page.get_by_role("status")).to_contain_text("Archived Bank of Ningbo revolver")
    expect(page.locator(".page-actions").get_by_role("button", name="Restore")).to_be_visible()
    assert FundingChannel.objects.get(pk=book.pk).archived_at is not None
    page.goto("/channels/")
    expect(page.locator("#results")).not_to_contain_text("Bank of Ningbo revolver")

    # The cash-flow list filtered to payroll, downloaded as CSV and as XLSX: the filter applies to the file.
    page.goto("/cash-flows/")
    page.fill("#id_category", "payroll")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results")).not_to_contain_text("Office rent")
    with page.expect_download() as csv_download:
        page.locator("#results").get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename.startswith("acme-cash-flow-lines-")
    with open(csv_download.value.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((row["name"], row["category"], row["amount"]) for row in rows) == [
        ("Bonus", "payroll", "-40000.00"),
        ("Salaries", "payroll", "-250000.00"),
    ]
    with page.expect_download() as xlsx_download:
        page.locator("#results").get_by_role("link", name="Download XLSX").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    with open(xlsx_download.value.path(), "rb") as handle:
        sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    names = sorted(row[header.index("name")] for row in cells)
    assert names == ["Bonus", "Salaries"]
    assert sorted(row[header.index("amount")] for row in cells) == [-250000, -40000]
