"""Spreadsheet import: exact money in both formats, unreadable and oversized files, sheets whose layout is off."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import Counterparty, FundingChannel
from contingency.models import CashFlowLine
from financeplanner import importing
from tests.factories import CounterpartyFactory
from tests.financeplanner.import_files import CHANNEL_HEADER, csv_file, upload, xlsx_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(company):
    return CounterpartyFactory(company=company, name="Bank of Ningbo")


# -- money and file formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_cash_flow_amounts_are_exact_in_both_formats(company, analyst, api_as, fmt):
    header = ["name", "category", "amount", "start_date", "end_date", "frequency", "discretionary"]
    if fmt == "xlsx":
        rows = [
            header,
            ["Payroll", "operations", -1234567.89, date(2026, 1, 25), date(2026, 12, 25), "monthly", False],
            ["Receipts", "sales", 0.1 + 0.2, date(2026, 1, 1), None, "daily", None],
        ]
        file = xlsx_file(rows)
    else:
        rows = [
            header,
            ["Payroll", "operations", "-1234567.89", "2026-01-25", "2026-12-25", "monthly", "FALSE"],
            # 16 significant digits: a float would lose the last cent; text keeps it.
            ["Receipts", "sales", "98765432109876.54", "2026-01-01", "", "daily", ""],
            ["Bonus", "payroll", "-1,234,567.890", "2026-12-20", "", "", "TRUE"],
        ]
        file = csv_file(rows)
    response = upload(api_as(analyst), "cash-flows", file, commit=True)
    assert response.status_code == 201, response.json()
    flows = {line.name: line for line in CashFlowLine.objects.for_company(company)}
    assert flows["Payroll"].amount == Decimal("-1234567.89") and flows["Payroll"].end_date == date(2026, 12, 25)
    assert flows["Payroll"].frequency == "monthly" and flows["Payroll"].discretionary is False
    assert flows["Receipts"].end_date is None and flows["Receipts"].currency == "CNY"
    if fmt == "xlsx":
        assert flows["Receipts"].amount == Decimal("0.30")  # Excel's 0.30000000000000004 is 0.3
    else:
        assert flows["Receipts"].amount == Decimal("98765432109876.54")
        assert flows["Bonus"].amount == Decimal("-1234567.89") and flows["Bonus"].frequency == "once"
        assert flows["Bonus"].discretionary is True


def test_read_table_gives_exact_text_and_spreadsheet_row_numbers():
    file = xlsx_file(
        [
            ["Name ", "Start Date", "Amount"],
            ["a", date(2026, 2, 1), 1234567.89],
            [None, None, None],
            ["b", "2026-02-02", 7],
        ]
    )
    table = importing.read_table(file, "flows.xlsx")
    assert list(table.columns) == ["name", "start_date", "amount"]
    assert list(table.index) == [2, 4]
    assert table.loc[2].tolist() == ["a", "2026-02-01", "1234567.89"]
    assert table.loc[4].tolist() == ["b", "2026-02-02", "7"]
    assert isinstance(table, pd.DataFrame)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("channels.xls", b"\xd0\xcf\x11\xe0 old excel", ".xlsx"),
        ("channels.txt", b"name\nx\n", ".csv"),
        ("channels", b"name\nx\n", ".xlsx"),
        ("channels.xlsx", b"this is not a zip", "not a valid .xlsx"),
        ("channels.csv", b"", "empty"),
        ("channels.csv", "name,limit\nÄ,1\n".encode("latin-1"), "UTF-8"),
        ("channels.csv", ",".join(CHANNEL_HEADER).encode() + b"\n", "no data rows"),
        ("channels.csv", b"name,limit\nx,1,2\n", "Row 2 has 3 cells but the header names only 2 columns"),
        ("channels.csv", b"\nname,limit\nx,1\n", "header"),
    ],
)
def test_unreadable_files_are_a_clear_400(company, analyst, api_as, name, content, message):
    response = upload(api_as(analyst), "channels", SimpleUploadedFile(name, content), commit=True)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["row"] is None and message in errors[0]["message"]
    assert not FundingChannel.objects.exists()


def test_a_form_without_a_file_or_with_a_bad_commit_flag_is_a_report_too(company, analyst, api_as):
    client = api_as(analyst)
    response = client.post("/api/v1/imports/channels/", {"commit": "true"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": None, "column": "file", "message": "No file was submitted."}]
    response = client.post(
        "/api/v1/imports/channels/", {"file": csv_file([["name"]]), "commit": "perhaps"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": None, "column": "commit", "message": "Must be a valid boolean."}]


def test_missing_and_unknown_columns_are_named(company, analyst, bank, api_as):
    rows = [["name", "counterparty", "limmit", "annual_rate", "start_date"], ["Line", "Bank of Ningbo", "1", "0", "x"]]
    response = upload(api_as(analyst), "channels", csv_file(rows), commit=True)
    assert response.status_code == 400
    errors = {(e["row"], e["column"]): e["message"] for e in response.json()["errors"]}
    assert "Unknown column 'limmit'" in errors[(1, "limmit")]
    assert "missing" in errors[(1, "limit")] and "missing" in errors[(1, "maturity_date")]
    assert "missing" in errors[(1, "channel_type")]
    assert not FundingChannel.objects.exists()


def test_files_over_the_size_or_row_limit_are_refused(company, analyst, api_as, settings):
    settings.IMPORT_ASYNC_BYTES = importing.MAX_BYTES  # read in the request: its answer names the limit
    client = api_as(analyst)
    rows = [["name", "kind"]] + [[f"Lender {i}", "bank"] for i in range(importing.MAX_ROWS + 1)]
    response = upload(client, "counterparties", csv_file(rows), commit=True)
    assert (
        response.status_code == 400
        and f"more than {importing.MAX_ROWS:,} rows" in response.json()["errors"][0]["message"]
    )
    big = SimpleUploadedFile("big.csv", b"name,kind\n" + b"x" * (importing.MAX_BYTES + 1))
    response = upload(client, "counterparties", big, commit=True)
    assert (
        response.status_code == 400
        and f"larger than {importing.MAX_BYTES // 2**20} MB" in response.json()["errors"][0]["message"]
    )
    assert not Counterparty.objects.exists()


def test_an_upload_far_over_the_limit_is_refused_before_it_is_read(company, analyst, api_as):
    huge = SimpleUploadedFile("huge.csv", b"name,kind\n" + b"x,bank\n" * (importing.MAX_BYTES // 7 + 100_000))
    response = upload(api_as(analyst), "counterparties", huge, commit=True)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": None, "column": None, "message": f"The file is larger than {importing.MAX_BYTES // 2**20} MB."}
    ]


def test_a_sloppy_workbook_reads_only_its_real_cells(company, analyst, api_as):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["name", "kind", None, "country"])  # an empty, unnamed column between is fine
    sheet.append(["Bank of Ningbo", "bank", None, "CN"])
    # Formatting far right and far down makes the sheet claim A1:XFD1048576; no data lives there.
    sheet.cell(row=1_048_576, column=16_384).number_format = "0.00"
    sheet.cell(row=2, column=300).number_format = "0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(api_as(analyst), "counterparties", SimpleUploadedFile("sloppy.xlsx", buffer.getvalue()), True)
    assert response.status_code == 201, response.json()
    assert list(Counterparty.objects.values_list("name", "country")) == [("Bank of Ningbo", "CN")]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["name", "kind", None], ["Bank", "bank", "stray note"]], "Column C holds data but has no name"),
        ([[None, None], ["name", "kind"], ["Bank", "bank"]], "The first row must be the header"),
        ([["name", "kind"], ["Bank", "bank", *[None] * 150, "far away"]], "Row 2 has data beyond column 100"),
    ],
)
def test_a_sheet_whose_layout_is_off_is_refused_with_the_reason(company, analyst, api_as, rows, message):
    response = upload(api_as(analyst), "counterparties", xlsx_file(rows), commit=True)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]
    assert not Counterparty.objects.exists()
