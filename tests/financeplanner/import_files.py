"""Files and uploads for the spreadsheet-import tests (test_imports.py, test_import_files.py)."""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CHANNEL_HEADER = ["name", "counterparty", "channel_type", "limit", "annual_rate", "start_date", "maturity_date"]


def xlsx_file(rows: list[list], name: str = "upload.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def csv_file(rows: list[list], name: str = "upload.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def upload(client, dataset: str, file, commit: bool = False):
    return client.post(
        f"/api/v1/imports/{dataset}/", {"file": file, "commit": "true" if commit else "false"}, format="multipart"
    )


def channel_row(name: str, counterparty: str, limit="500000.00", **overrides) -> list:
    row = dict(
        name=name, counterparty=counterparty, channel_type="revolving_credit", limit=limit, annual_rate="4.5",
        start_date="2026-01-01", maturity_date="2027-01-01",
    )  # fmt: skip
    row.update(overrides)
    return [row[column] for column in CHANNEL_HEADER]
