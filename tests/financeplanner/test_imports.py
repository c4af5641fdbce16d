"""Spreadsheet import: templates, dry runs, per-row errors, all-or-nothing commits, tenancy and roles."""

import csv
import dataclasses
import io
import threading
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from channels_app.models import Counterparty, FundingChannel
from contingency.models import CashFlowLine
from financeplanner import importing
from tests.factories import CounterpartyFactory, FundingChannelFactory
from tests.financeplanner.import_files import CHANNEL_HEADER, XLSX, channel_row, csv_file, upload, xlsx_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(company):
    return CounterpartyFactory(company=company, name="Bank of Ningbo")


# -- templates ----------------------------------------------------------------------------------------------------


def test_channel_template_round_trip_creates_channels_with_exact_decimal_amounts(company, analyst, bank, api_as):
    client = api_as(analyst)
    response = client.get("/api/v1/imports/channels/template/", {"format": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["name", "counterparty"] and "limit" in header and "maturity_date" in header
    help_rows = list(workbook["help"].iter_rows(values_only=True))
    assert help_rows[0][:3] == ("column", "required", "allowed values")
    assert {row[0] for row in help_rows[1:] if row and row[0] in header} == set(header)

    # Fill in the template the way a user would: overwrite the example, add a row, numbers and dates as Excel cells.
    column = {name.removesuffix(" (%)"): index + 1 for index, name in enumerate(header)}
    assert header[column["annual_rate"] - 1] == "annual_rate (%)"  # the header says the rate is a percentage
    # The rate as a user enters it: in the template's own row, a percentage cell (Excel keeps 4.35 % as 0.0435);
    # in a new row, a plain number typed as the percentage.
    lines = [
        ("Ningbo revolver", "revolving_credit", 1234567.89, 0.0435),
        ("Ningbo SCF", "supply_chain_finance", 98765.43, 4.35),
    ]
    for cell in sheet[2]:  # the example row: overwritten (its drawn amount and trigger too)
        cell.value = None
    for row, (name, channel_type, limit, rate) in enumerate(lines, start=2):
        values = {"name": name, "counterparty": "Bank of Ningbo", "channel_type": channel_type, "limit": limit,
                  "annual_rate": rate,
                  "start_date": date(2026, 3, 1), "maturity_date": date(2028, 2, 29), "notice_days": 15,
                  "committed": True, "action_probability": None}  # fmt: skip
        for key, value in values.items():
            sheet.cell(row=row, column=column[key], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)

    dry = upload(client, "channels", SimpleUploadedFile("channels.xlsx", buffer.getvalue()))
    assert dry.status_code == 200, dry.json()
    assert dry.json()["valid_rows"] == 2 and dry.json()["committed"] is False and dry.json()["created"] == 0
    assert dry.json()["preview"][0]["limit"] == "1234567.89" and dry.json()["preview"][0]["row"] == 2
    assert not FundingChannel.objects.exists()

    done = upload(client, "channels", SimpleUploadedFile("channels.xlsx", buffer.getvalue()), commit=True)
    assert done.status_code == 201, done.json()
    assert done.json()["committed"] is True and done.json()["created"] == 2
    revolver = FundingChannel.objects.get(name="Ningbo revolver")
    assert revolver.limit == Decimal("1234567.89") and revolver.annual_rate == Decimal("0.0435")
    assert revolver.counterparty == bank and revolver.company == company
    assert revolver.start_date == date(2026, 3, 1) and revolver.notice_days == 15 and revolver.committed
    assert revolver.status == "active" and revolver.drawn == 0 and revolver.action_probability is None
    scf = FundingChannel.objects.get(name="Ningbo SCF")
    assert scf.limit == Decimal("98765.43") and scf.annual_rate == Decimal("0.0435")


def test_counterparty_csv_template_round_trip(company, analyst, api_as):
    client = api_as(analyst)
    response = client.get("/api/v1/imports/counterparties/template/", {"format": "csv"})
    assert response.status_code == 200
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == ["name", "kind", "country", "notes"] and example[:2] == ["Example Bank", "bank"]

    rows = [header, ["招商银行", "bank", "cn", "主要结算银行"], ["Ant Credit Pay", "platform", "", ""]]
    response = upload(client, "counterparties", csv_file(rows), commit=True)
    assert response.status_code == 201, response.json()
    assert sorted(Counterparty.objects.for_company(company).values_list("name", "country")) == [
        ("Ant Credit Pay", ""),
        ("招商银行", "CN"),
    ]


@pytest.mark.parametrize("dataset", list(importing.DATASETS))
def test_every_template_imports_its_own_header(company, analyst, api_as, dataset):
    # The example row of an untouched template is valid input (the channel example names its example bank).
    CounterpartyFactory(company=company, name="Example Bank") if dataset == "channels" else None
    for fmt in ("xlsx", "csv"):
        content = api_as(analyst).get(f"/api/v1/imports/{dataset}/template/", {"format": fmt}).content
        response = upload(api_as(analyst), dataset, SimpleUploadedFile(f"template.{fmt}", content))
        assert response.status_code == 200, (fmt, response.json())
        assert response.json()["valid_rows"] == 1


def test_viewer_downloads_templates_but_cannot_import(company, viewer, api_as):
    client = api_as(viewer)
    xlsx = client.get("/api/v1/imports/cash-flows/template/")
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == XLSX
    assert xlsx["Content-Disposition"] == 'attachment; filename="cash-flows-template.xlsx"'
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["cash-flows", "help"]
    text = client.get("/api/v1/imports/cash-flows/template/", {"format": "csv"})
    assert text.status_code == 200 and text["Content-Type"].startswith("text/csv")
    assert text["Content-Disposition"] == 'attachment; filename="cash-flows-template.csv"'

    rows = [["name", "category", "amount", "start_date"], ["Rent", "operations", "-1000", "2026-01-01"]]
    response = upload(client, "cash-flows", csv_file(rows), commit=True)
    assert response.status_code == 403
    assert not CashFlowLine.objects.exists()


def test_unknown_dataset_is_a_404_and_unknown_template_format_a_400(analyst, api_as):
    client = api_as(analyst)
    assert client.get("/api/v1/imports/ledger/template/").status_code == 404
    assert upload(client, "ledger", csv_file([["name"], ["x"]])).status_code == 404
    response = client.get("/api/v1/imports/channels/template/", {"format": "pdf"})
    assert response.status_code == 400 and "format" in response.json()


def test_signed_out_user_cannot_import_or_download(company, client):
    assert client.get("/api/v1/imports/channels/template/").status_code in (401, 403)
    assert client.post(
        "/api/v1/imports/channels/", {"file": csv_file([["name"], ["x"]])}, format="multipart"
    ).status_code in (401, 403)


# -- per-row errors and all-or-nothing ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_one_bad_row_is_named_and_nothing_is_written(company, analyst, bank, api_as, fmt):
    rows = [
        CHANNEL_HEADER,
        channel_row("Line A", "Bank of Ningbo"),
        channel_row("Line B", "Bank of Ningbo", limit="12,34"),
        channel_row("Line C", "Bank of Ningbo", maturity_date="2025-06-30"),
    ]
    file = xlsx_file(rows) if fmt == "xlsx" else csv_file(rows)
    response = upload(api_as(analyst), "channels", file, commit=True)
    assert response.status_code == 400
    report = response.json()
    assert report["total_rows"] == 3 and report["valid_rows"] == 1 and report["committed"] is False
    assert report["errors"] == [
        {"row": 3, "column": "limit", "message": "A valid number is required."},
        {"row": 4, "column": "maturity_date", "message": "The maturity date must be after the start date."},
    ]
    assert not FundingChannel.objects.exists()


def test_row_numbers_are_the_ones_the_user_sees_despite_blank_rows(company, analyst, api_as):
    rows = [["name", "kind"], ["Good bank", "bank"], ["", ""], ["", ""], ["Bad", "loan_shark"]]
    response = upload(api_as(analyst), "counterparties", csv_file(rows))
    assert response.status_code == 400
    assert response.json()["total_rows"] == 2
    [error] = response.json()["errors"]
    assert error["row"] == 5 and error["column"] == "kind" and "not a valid choice" in error["message"]


def test_dry_run_writes_nothing(company, analyst, api_as):
    rows = [["name", "kind", "country"], ["Bank of Ningbo", "bank", "CN"], ["Ant Credit Pay", "platform", "CN"]]
    response = upload(api_as(analyst), "counterparties", csv_file(rows))
    assert response.status_code == 200
    assert response.json() | {"preview": None} == {
        "dataset": "counterparties", "total_rows": 2, "valid_rows": 2, "errors": [], "preview": None,
        "committed": False, "created": 0,
    }  # fmt: skip
    assert response.json()["preview"][1] == {"row": 3, "name": "Ant Credit Pay", "kind": "platform", "country": "CN"}
    assert not Counterparty.objects.exists()


def test_a_row_the_service_refuses_rolls_back_the_rows_before_it(company, analyst, api_as, monkeypatch):
    counterparties = importing.DATASETS["counterparties"]

    def refuse_the_second(*, company, by, fields):
        if fields["name"] == "Second":
            raise ValidationError({"name": "Refused by the service."})
        return counterparties.make(company=company, by=by, fields=fields)

    monkeypatch.setitem(
        importing.DATASETS, "counterparties", dataclasses.replace(counterparties, build=refuse_the_second)
    )
    rows = [["name", "kind"], ["First", "bank"], ["Second", "bank"], ["Third", "bank"]]
    response = upload(api_as(analyst), "counterparties", csv_file(rows), commit=True)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 3, "column": "name", "message": "Refused by the service."}]
    assert response.json()["valid_rows"] == 2
    assert not Counterparty.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_imports_of_the_same_names_commit_once(company, analyst, monkeypatch):
    assert connection.vendor == "postgresql", "this race is only meaningful on PostgreSQL"
    counterparties = importing.DATASETS["counterparties"]
    barrier = threading.Barrier(2)
    waited = threading.local()

    def save_after_both_validated(*, company, by, fields):
        if not getattr(waited, "done", False):  # both imports have checked the names: neither saw the other's
            waited.done = True
            barrier.wait(timeout=10)
        return counterparties.make(company=company, by=by, fields=fields)

    monkeypatch.setitem(
        importing.DATASETS, "counterparties", dataclasses.replace(counterparties, build=save_after_both_validated)
    )
    rows = [["name", "kind"], ["Bank of Ningbo", "bank"], ["Ant Credit Pay", "platform"]]
    reports: list[importing.ImportReport] = []

    def run() -> None:
        try:
            reports.append(
                importing.import_rows(
                    company=company,
                    dataset="counterparties",
                    file=csv_file(rows),
                    filename="c.csv",
                    by=analyst,
                    commit=True,
                )  # fmt: skip
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(report.committed for report in reports) == [False, True]
    loser = next(report for report in reports if not report.committed)
    assert loser.created == 0 and loser.errors and loser.errors[0]["row"] == 2
    assert sorted(Counterparty.objects.values_list("name", flat=True)) == ["Ant Credit Pay", "Bank of Ningbo"]


def test_unknown_or_foreign_counterparty_name_is_an_error_for_that_row(company, other_company, analyst, bank, api_as):
    CounterpartyFactory(company=other_company, name="Rival Bank")
    rows = [
        CHANNEL_HEADER,
        channel_row("Line A", "Bank of Ningbo"),
        channel_row("Line B", "Rival Bank"),
        channel_row("Line C", "bank of ningbo"),
    ]
    response = upload(api_as(analyst), "channels", xlsx_file(rows), commit=True)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "counterparty", "message": "Your company has no counterparty called 'Rival Bank'."},
        {"row": 4, "column": "counterparty", "message": "Your company has no counterparty called 'bank of ningbo'."},
    ]
    assert not FundingChannel.objects.exists()


def test_duplicate_names_in_the_file_and_against_the_company_are_refused(company, other_company, analyst, api_as):
    CounterpartyFactory(company=company, name="Bank of Ningbo")
    CounterpartyFactory(company=other_company, name="Rival Bank")  # another company's name is free to use
    rows = [
        ["name", "kind"],
        ["Rival Bank", "bank"],
        ["Bank of Ningbo", "bank"],
        ["Ant Credit Pay", "platform"],
        [" Ant Credit Pay ", "platform"],
    ]
    response = upload(api_as(analyst), "counterparties", csv_file(rows), commit=True)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "name", "message": "Your company already has one called 'Bank of Ningbo'."},
        {"row": 5, "column": "name", "message": "'Ant Credit Pay' appears twice in the file: also on row 4."},
    ]
    assert Counterparty.objects.for_company(company).count() == 1


def test_duplicate_channel_name_against_existing_channel(company, analyst, bank, api_as):
    FundingChannelFactory(company=company, counterparty=bank, name="Line A")
    response = upload(api_as(analyst), "channels", csv_file([CHANNEL_HEADER, channel_row("Line A", "Bank of Ningbo")]))
    assert response.status_code == 400
    assert response.json()["errors"][0] | {"message": ""} == {"row": 2, "column": "name", "message": ""}


def test_nul_bytes_long_strings_and_excel_errors_are_reported_per_row(company, analyst, api_as):
    rows = [
        ["name", "kind", "notes"],
        ["Nul\x00Bank", "bank", ""],
        ["x" * 10_000, "bank", ""],
        ["Long notes", "bank", "y" * 10_000],
        ["Bad kind", "bank\x00", ""],
        ["#N/A", "bank", ""],
    ]
    response = upload(api_as(analyst), "counterparties", csv_file(rows), commit=True)
    assert response.status_code == 400
    errors = {(e["row"], e["column"]): e["message"] for e in response.json()["errors"]}
    assert errors == {
        (2, "name"): "Null characters are not allowed.",
        (3, "name"): "Ensure this field has no more than 200 characters.",
        (4, "notes"): "Ensure this field has no more than 5000 characters.",
        (5, "kind"): '"bank\x00" is not a valid choice.',
        (6, "name"): "The cell holds the spreadsheet error #N/A; enter a value.",
    }
    assert not Counterparty.objects.exists()


def test_excel_error_cells_are_reported_not_taken_as_empty(company, analyst, api_as):
    header = ["name", "category", "amount", "start_date", "end_date"]
    rows = [
        header,
        ["Rent", "operations", -5000, date(2026, 1, 1), "#REF!"],
        ["Tax", "tax", "#DIV/0!", date(2026, 1, 1)],
    ]
    response = upload(api_as(analyst), "cash-flows", xlsx_file(rows), commit=True)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "end_date", "message": "The cell holds the spreadsheet error #REF!; enter a value."},
        {"row": 3, "column": "amount", "message": "The cell holds the spreadsheet error #DIV/0!; enter a value."},
    ]
    assert not CashFlowLine.objects.exists()


def test_nul_byte_or_huge_counterparty_name_in_a_channel_row_is_a_row_error(company, analyst, bank, api_as):
    rows = [CHANNEL_HEADER, channel_row("Line A", "Bank\x00of Ningbo"), channel_row("Line B", "z" * 10_000)]
    response = upload(api_as(analyst), "channels", csv_file(rows), commit=True)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "counterparty"), (3, "counterparty")]
    assert len(errors[1]["message"]) < 200


# -- tenancy --------------------------------------------------------------------------------------------------------


def test_outsiders_import_lands_only_in_the_outsiders_company(company, other_company, outsider, bank, api_as):
    CounterpartyFactory(company=other_company, name="Rival Bank")
    rows = [CHANNEL_HEADER, channel_row("Rival line", "Rival Bank")]
    response = upload(api_as(outsider), "channels", xlsx_file(rows), commit=True)
    assert response.status_code == 201, response.json()
    line = FundingChannel.objects.get(name="Rival line")
    assert line.company == other_company and line.counterparty.company == other_company
    assert not FundingChannel.objects.for_company(company).exists()

    # Company A's counterparty is invisible to the outsider: naming it is an unknown name, not a cross-tenant link.
    response = upload(
        api_as(outsider), "channels", xlsx_file([CHANNEL_HEADER, channel_row("Sneaky", "Bank of Ningbo")])
    )
    assert response.status_code == 400 and response.json()["errors"][0]["column"] == "counterparty"


def test_import_endpoints_are_in_the_openapi_schema(analyst, api_as):
    schema = api_as(analyst).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    post = paths["/api/v1/imports/{dataset}/"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"200", "201", "400"} <= set(post["responses"])
    assert XLSX in paths["/api/v1/imports/{dataset}/template/"]["get"]["responses"]["200"]["content"]
