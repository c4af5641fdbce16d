"""Spreadsheet import: counterparties, funding channels and cash-flow lines from .xlsx or .csv, all or nothing.

Every row is validated by the same DRF serializer the API uses, plus the checks an API client makes one request at a
time (names unique in the company, counterparties named within the company). A dry run stops there and writes nothing.
A commit then saves every row through the same service as the API inside one transaction: if any row fails there
too, nothing is written and the report names that row.

Cells are read as text, never as floats: "1234567.89" in a CSV stays exactly that. An Excel number cell is a binary
double; it is turned into a Decimal through its 15-significant-digit form, which is Excel's own precision, so the
amount a user sees in Excel is the amount we store.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time as time_module
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any, TypedDict
from xml.parsers import expat

import openpyxl
import pandas as pd
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string
from rest_framework import serializers
from rest_framework.settings import api_settings

from channels_app.api.serializers import CounterpartySerializer, FundingChannelSerializer
from channels_app.models import Counterparty
from channels_app.services import channel_create
from contingency.api.serializers import CashFlowLineSerializer
from contingency.models import CashFlowLine
from financeplanner.choices import ImportJobStatus
from financeplanner.models import Company, ImportJob
from financeplanner.services import tenant_object_save

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 100
# A 5 MB .xlsx is a zip; refuse one that would unpack into far more XML than 10,000 rows can need (a zip bomb).
# Each part is measured from the zip directory before openpyxl parses anything. 10,000 rows of a channel's 21
# columns take ~7 MB of sheet XML; openpyxl reads every sheet's XML once on opening, we once more before the rows,
# so these sizes bound the time too (~1 s per 3 MB of hostile XML on one core).
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_SHEET_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
MAX_OTHER_PART_BYTES = 8 * 1024 * 1024  # styles, workbook, relationships, themes…
MAX_PARTS = 1_000
MAX_CELLS = 400_000  # cells holding a value: 10,000 rows of 40 columns (a channel has 21)
TOO_MANY_CELLS = f"The file has more than {MAX_CELLS:,} cells holding a value (the limit); split it up."
MAX_PARSE_SECONDS = 10.0  # settings.IMPORT_MAX_PARSE_SECONDS overrides it
# A text cell starting with one of these would be a live formula when the data is exported to a spreadsheet
# again (OWASP "CSV Injection"): the import refuses it in text columns. Numbers (-1234.5) are not text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_ERRORS = 1_000
PREVIEW_ROWS = 20
PREVIEW_CHARS = 200
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
EXCEL_ERRORS = frozenset("#NULL! #DIV/0! #VALUE! #REF! #NAME? #NUM! #N/A #GETTING_DATA #SPILL! #CALC!".split())


HEADER_MISSING = "The first row must be the header with the column names; it is empty."


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong type, empty, too big, too many rows, not a spreadsheet."""


class RowError(TypedDict):
    row: int | None  # the spreadsheet row as the user sees it (header = 1); None for the file as a whole
    column: str | None
    message: str


@dataclass
class ImportReport:
    dataset: str
    total_rows: int = 0
    valid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    _error_count: int = field(default=0, repr=False)

    def add_error(self, row: int | None, column: str | None, message: str) -> None:
        self._error_count += 1
        if self._error_count <= MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})

    def finish(self) -> None:
        hidden = self._error_count - MAX_ERRORS
        if hidden > 0:
            self.errors.append({"row": None, "column": None, "message": f"…and {hidden} more errors not shown."})

    def as_dict(self) -> dict[str, Any]:
        """The report as the API shows it (ImportReportSerializer's fields), for an ImportJob's JSON."""
        return {
            "dataset": self.dataset,
            "total_rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "errors": list(self.errors),
            "preview": list(self.preview),
            "committed": self.committed,
            "created": self.created,
        }


# -- the datasets -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    example: Any  # typed, so the xlsx template holds a real number or date where the user will put one
    description: str
    allowed: str = ""  # overrides what is derived from the serializer field


@dataclass(frozen=True)
class Dataset:
    name: str
    serializer_class: type[serializers.ModelSerializer]
    columns: tuple[Column, ...]
    save: Callable[..., models.Model]
    # Columns that name another of the company's objects: the cell holds its name, the serializer wants its id.
    references: dict[str, type[models.Model]] = field(default_factory=dict)
    unique_name: bool = False  # names are unique per company: refuse duplicates in the file and against the database

    @property
    def model(self) -> type[models.Model]:
        return self.serializer_class.Meta.model

    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def required_columns(self) -> list[str]:
        fields = self.serializer_class(context={"company": None}).fields
        return [name for name in self.column_names() if fields[name].required]


def _save_counterparty(*, company: Company, by, fields: dict) -> models.Model:
    return tenant_object_save(obj=Counterparty(), company=company, fields=fields)


def _save_channel(*, company: Company, by, fields: dict) -> models.Model:
    return channel_create(company=company, by=by, **fields)


def _save_cash_flow(*, company: Company, by, fields: dict) -> models.Model:
    return tenant_object_save(obj=CashFlowLine(), company=company, fields=fields)


CURRENCY_HELP = "An ISO 4217 code, e.g. CNY, USD, EUR, HKD"
RATE_HELP = "A decimal fraction: 0.045 = 4.5% (an Excel percentage cell works too)"

DATASETS: dict[str, Dataset] = {
    "counterparties": Dataset(
        name="counterparties",
        serializer_class=CounterpartySerializer,
        save=_save_counterparty,
        unique_name=True,
        columns=(
            Column("name", "Example Bank", "The lender's or partner's name, unique in your company"),
            Column("kind", "bank", "What kind of counterparty it is"),
            Column("country", "CN", "Where it is domiciled", allowed="A two-letter ISO 3166 code, e.g. CN"),
            Column("notes", "", "Free text"),
        ),
    ),
    "channels": Dataset(
        name="channels",
        serializer_class=FundingChannelSerializer,
        save=_save_channel,
        references={"counterparty": Counterparty},
        unique_name=True,
        columns=(
            Column("name", "Example revolving line", "The facility's name, unique in your company"),
            Column(
                "counterparty",
                "Example Bank",
                "The lender",
                allowed="The exact name of one of your company's counterparties (import those first)",
            ),
            Column("channel_type", "revolving_credit", "The kind of facility"),
            Column("currency", "CNY", "The facility's currency", allowed=CURRENCY_HELP),
            Column("limit", Decimal("1234567.89"), "The credit limit, in the facility's currency"),
            Column("committed", True, "Whether the lender has committed the line"),
            Column("rate_type", "fixed", "Fixed, or floating = base + spread"),
            Column("base_rate", Decimal("0"), "The floating base rate", allowed=RATE_HELP),
            Column("spread", Decimal("0"), "The spread over the base rate", allowed=RATE_HELP),
            Column("annual_rate", Decimal("0.045"), "The all-in annual interest rate", allowed=RATE_HELP),
            Column("fee_rate", Decimal("0"), "Annual fees on the limit", allowed=RATE_HELP),
            Column("day_count", "ACT/365F", "The interest day-count convention"),
            Column("start_date", date(2026, 1, 1), "When the facility starts"),
            Column("maturity_date", date(2027, 1, 1), "When it matures (after the start date)"),
            Column("repayment_profile", "revolving", "How drawn amounts are repaid"),
            Column("payment_frequency", "monthly", "How often interest and instalments are paid"),
            Column("rolls_over", True, "Whether maturing draws are refinanced while the line is open"),
            Column("notice_days", 30, "The lender's notice period in days", allowed="A whole number, 0–3650"),
            Column(
                "action_probability",
                "",
                "Chance of a lender action (reduce, freeze, close) within a year; empty = derived from PD and type",
                allowed="A decimal fraction between 0 and 1",
            ),
            Column("notes", "", "Free text"),
        ),
    ),
    "cash-flows": Dataset(
        name="cash-flows",
        serializer_class=CashFlowLineSerializer,
        save=_save_cash_flow,
        columns=(
            Column("name", "Payroll", "What the flow is"),
            Column("category", "operations", "Your own grouping, e.g. operations, tax, capex", allowed="Any text"),
            Column("amount", Decimal("-1234567.89"), "Signed: + inflow, − outflow; per occurrence"),
            Column("currency", "CNY", "The flow's currency", allowed=CURRENCY_HELP),
            Column("start_date", date(2026, 1, 25), "The first (or only) date it occurs"),
            Column("end_date", date(2026, 12, 25), "The last date it may occur; empty = open-ended"),
            Column("frequency", "monthly", "How often it recurs between start and end date"),
            Column("discretionary", False, "Whether a contingency plan may cut it"),
        ),
    ),
}


def get_dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.") from None


# -- reading a file ---------------------------------------------------------------------------------------------


def read_table(file: IO[bytes], filename: str) -> pd.DataFrame:
    """The sheet as text: columns are the normalised header names, the index the spreadsheet row numbers.

    Row 1 is the header. Blank rows are left out, and later rows keep the numbers the user sees.
    Raises ImportFileError with a message for the user when the file as a whole cannot be read.
    """
    content = file.read(MAX_BYTES + 1)
    extension = precheck(content, filename)
    rows = _xlsx_rows(content) if extension == "xlsx" else _csv_rows(content)
    if not rows or rows[0][0] != 1:
        raise ImportFileError(HEADER_MISSING)
    (_, header), body = rows[0], rows[1:]
    width = max(len(cells) for _, cells in rows)
    table = pd.DataFrame(
        [cells + [""] * (width - len(cells)) for _, cells in body],
        index=pd.Index([number for number, _ in body], dtype=int),
        columns=[_column_name(name) for name in header] + [""] * (width - len(header)),
        dtype=object,
    )
    named = [bool(name) for name in table.columns]
    for position, has_name in enumerate(named):
        if not has_name and (table.iloc[:, position] != "").any():
            letter = get_column_letter(position + 1)
            raise ImportFileError(f"Column {letter} holds data but has no name in row 1, the header.")
    return table.loc[:, named]


def precheck(content: bytes, filename: str) -> str:
    """The checks that need no parsing: type, size and (.xlsx) the unpacked sizes from the zip directory. Cheap, so
    a file a worker is to parse is refused at once. Returns the extension; raises ImportFileError."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FORMATS:
        raise ImportFileError(
            f"{filename or 'The file'} is not a spreadsheet we can read: upload an .xlsx workbook or a .csv file"
            " (save older .xls workbooks as .xlsx first)."
        )
    if not content:
        raise ImportFileError("The file is empty.")
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files.")
    if extension == "xlsx":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                _check_parts(archive)
        except zipfile.BadZipFile:
            raise ImportFileError("The file is not a valid .xlsx workbook.") from None
    return extension


def _column_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _numbered_rows(rows: Iterable[Sequence[object]]) -> list[tuple[int, list[str]]]:
    """The rows that hold anything, as text without trailing empty cells, with their 1-based row numbers.

    Bounded whatever the file claims: rows (blank ones included), cells and the time spent reading.
    """
    numbered: list[tuple[int, list[str]]] = []
    deadline = time_module.monotonic() + _max_parse_seconds()
    cells_read = 0
    for number, values in enumerate(rows, start=1):
        if time_module.monotonic() > deadline:
            raise ImportFileError(_too_slow())
        if values.count(None) == len(values):
            continue  # a sheet may pad empty rows: skip them before any per-cell work
        if len(values) > MAX_COLUMNS:
            beyond = values[MAX_COLUMNS:]  # formatting alone can stretch a row to column XFD
            if beyond.count(None) + beyond.count("") != len(beyond):
                raise ImportFileError(f"Row {number} has data beyond column {MAX_COLUMNS}; an import has fewer.")
            values = values[:MAX_COLUMNS]
        cells_read += len(values) - values.count(None) - values.count("")
        if cells_read > MAX_CELLS:
            raise ImportFileError(TOO_MANY_CELLS)
        cells = [_cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        numbered.append((number, cells))
        if len(numbered) > MAX_ROWS + 1:  # the header and more rows than an import may hold: stop reading
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.")
    return numbered


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose parts would unpack too big, from the sizes its zip directory declares.

    zipfile refuses to read a part beyond its declared size, so openpyxl can never unpack more than was checked.
    """
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise ImportFileError(f"The workbook has {len(parts):,} parts; an import reads at most {MAX_PARTS:,}.")
    if sum(info.file_size for info in parts) > MAX_UNZIPPED_BYTES:
        raise ImportFileError(
            f"The workbook unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MB (the limit); split it up."
        )
    for info in parts:
        name = info.filename.lower()
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            limit, what = MAX_SHEET_BYTES, "A worksheet"
        elif name == "xl/sharedstrings.xml":
            limit, what = MAX_SHARED_STRINGS_BYTES, "The shared strings (the workbook's texts)"
        else:
            limit, what = MAX_OTHER_PART_BYTES, f"The part {info.filename[:60]}"
        if info.file_size > limit:
            raise ImportFileError(
                f"{what}: {info.file_size / 2**20:.0f} MB unpacked, more than the {limit // 2**20} MB an import"
                " reads; split the file up."
            )


EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384


def _scan_sheet(source: IO[bytes]) -> int:
    """One streaming pass (expat, no element objects) over the sheet's XML before openpyxl builds any row: refuse
    data beyond column MAX_COLUMNS or row EXCEL_MAX_ROWS, more than MAX_CELLS cells holding a value, or a scan
    longer than the parse-time limit. Returns the last row number that holds a value (0: none). Memory stays flat
    whatever the file holds; the time is that of reading its (size-checked) XML once.
    """
    deadline = time_module.monotonic() + _max_parse_seconds()
    state = {"row": 0, "column": 0, "last_row": 0, "cells": 0, "calls": 0}

    def start(name: str, attributes: dict[str, str]) -> None:
        name = name.rpartition(":")[2]
        state["calls"] += 1
        if state["calls"] % 8192 == 0 and time_module.monotonic() > deadline:
            raise ImportFileError(_too_slow())
        if name == "c":
            reference = attributes.get("r", "")
            letters = reference.rstrip("0123456789")
            state["column"] = column_index_from_string(letters) if letters else state["column"] + 1
        elif name in ("v", "is"):
            if state["row"] > EXCEL_MAX_ROWS:
                raise ImportFileError(f"The sheet has data beyond row {EXCEL_MAX_ROWS:,}.")
            if state["column"] > MAX_COLUMNS:
                raise ImportFileError(f"Row {state['row']} has data beyond column {MAX_COLUMNS}; an import has fewer.")
            state["cells"] += 1
            if state["cells"] > MAX_CELLS:
                raise ImportFileError(TOO_MANY_CELLS)
            state["last_row"] = max(state["last_row"], state["row"])
        elif name == "row":
            declared = attributes.get("r", "")
            state["row"] = int(declared) if declared.isdigit() else state["row"] + 1
            state["column"] = 0

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        while block := source.read(64 * 1024):
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None
    return state["last_row"]


def _max_parse_seconds() -> float:
    return float(getattr(settings, "IMPORT_MAX_PARSE_SECONDS", MAX_PARSE_SECONDS))


def _too_slow() -> str:
    return (
        f"Reading the file took longer than {_max_parse_seconds():g} seconds (the limit); split it into smaller files."
    )


def _xlsx_rows(content: bytes) -> list[tuple[int, list[str]]]:
    """Rows of a workbook that passed precheck()."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise ImportFileError("The workbook has no worksheet.")
            # The first sheet holds the data (the template's second sheet is the help).
            sheet = workbook.worksheets[0]
            with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(sheet._worksheet_path) as source:
                last_row = _scan_sheet(source)
            # The size a file declares may be anything (A1:XFD1048576): read only the rows and columns that the
            # scan found data in.
            sheet.reset_dimensions()
            return _numbered_rows(sheet.iter_rows(max_col=MAX_COLUMNS, max_row=last_row, values_only=True))
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds of error on a damaged or disguised file
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None


def _decode_csv(content: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 — what Excel saves as "CSV" on a Chinese Windows (a
    superset of GBK and GB2312). Any byte string decodes as GB18030 only if it is valid there, so other encodings
    still get a clear refusal."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        "The CSV file is neither UTF-8 nor GB18030/GBK text; in Excel use Save As → 'CSV UTF-8 (comma delimited)'."
    )


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    text = _decode_csv(content)
    first_line = text.split("\n", 1)[0]
    # Excel in many European locales writes ';' between fields.
    separator = ";" if ";" in first_line and "," not in first_line else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:  # pandas' answer to a blank first line, too
        raise ImportFileError(HEADER_MISSING if text.strip() else "The file is empty.") from None
    except (pd.errors.ParserError, ValueError) as exc:
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if ragged:
            columns, line, cells = ragged.groups()
            raise ImportFileError(
                f"Row {line} has {cells} cells but the header names only {columns} columns."
            ) from None
        raise ImportFileError(f"The CSV file could not be read: {exc}") from None
    # Cells a short row lacks come back as NaN: make them None, i.e. empty.
    return _numbered_rows(
        [None if value != value else value for value in row] for row in frame.itertuples(index=False, name=None)
    )


def _cell_text(value: object) -> str:
    """One cell as the text a user would type: exact decimals, ISO dates, true/false."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return str(value)
        # A double carries binary noise beyond Excel's 15 significant digits (0.1 + 0.2 = 0.30000000000000004);
        # Excel shows and means 0.3, and so do we. Exact decimals typed into Excel survive unchanged.
        return _plain(Decimal(format(value, ".15g")))
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _plain(value: Decimal) -> str:
    return format(value, "f")


_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_TRAILING_ZEROS = re.compile(r"([+-]?\d+\.\d*?)0+")


def _decimal_text(text: str) -> str:
    """Accept what spreadsheets print for numbers without changing their value: 1,234,567.890 → 1234567.89."""
    if _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    if _TRAILING_ZEROS.fullmatch(text):
        text = _TRAILING_ZEROS.fullmatch(text).group(1).rstrip(".")  # type: ignore[union-attr]
    return text


# -- importing --------------------------------------------------------------------------------------------------


def import_rows(
    *,
    company: Company,
    dataset: str,
    file: IO[bytes],
    filename: str,
    by,
    commit: bool,
    progress: Callable[[int], None] | None = None,
    seal: Callable[[ImportReport], bool] | None = None,
) -> ImportReport:
    """Validate every row of the file; with `commit`, create them all — or, if any row fails, none.

    Never raises for bad input: file-level, header and row problems all end up in `report.errors`.
    `progress(percent)` hears how far reading and checking have come (a background job shows it); `seal(report)`
    runs inside the commit's transaction once every row is saved and may refuse it (False: nothing is written).
    """
    spec = get_dataset(dataset)
    report = ImportReport(dataset=spec.name)
    try:
        table = read_table(file, filename)
    except ImportFileError as exc:
        report.add_error(None, None, str(exc))
        report.finish()
        return report
    if progress:
        progress(READ_PERCENT)
    report.total_rows = len(table)
    report.preview = [_preview(row_number, cells) for row_number, cells in _rows(table.head(PREVIEW_ROWS))]
    if _check_header(spec, list(table.columns), report):
        if report.total_rows == 0:
            report.add_error(None, None, "The file has a header but no data rows.")
        else:
            checked_percent = CHECKED_PERCENT if commit else 100
            valid = _validate(spec, company, table, report, _scaled(progress, READ_PERCENT, checked_percent))
            if commit and not report.errors:
                _commit(spec, company, by, valid, report, seal)
    report.finish()
    return report


def _rows(table: pd.DataFrame) -> Iterable[tuple[int, dict[str, str]]]:
    columns = list(table.columns)
    for row_number, values in zip(table.index, table.itertuples(index=False, name=None), strict=True):
        yield int(row_number), dict(zip(columns, values, strict=True))


def _preview(row_number: int, cells: dict[str, str]) -> dict[str, Any]:
    shown = {name: text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…" for name, text in cells.items()}
    return {"row": row_number, **shown}


def _check_header(spec: Dataset, columns: list[str], report: ImportReport) -> bool:
    expected = spec.column_names()
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            report.add_error(1, name, f"The column {name!r} appears more than once.")
        elif name not in expected:
            report.add_error(1, name, f"Unknown column {_shown(name)}; the columns are: {', '.join(expected)}.")
        seen.add(name)
    for name in spec.required_columns():
        if name not in seen:
            report.add_error(1, name, f"The required column {name!r} is missing.")
    return not report.errors


READ_PERCENT = 10  # a job's progress once the file is read; checking the rows takes it to CHECKED_PERCENT or 100
CHECKED_PERCENT = 60  # then the commit's one transaction: invisible to others until it ends, at 100


def _scaled(progress: Callable[[int], None] | None, start: int, end: int) -> Callable[[int, int], None] | None:
    """`done of total` rows as a percent between start and end, told only when the percent changes."""
    if progress is None:
        return None
    told = [start]

    def tell(done: int, total: int) -> None:
        percent = start + (end - start) * done // max(total, 1)
        if percent != told[0]:
            told[0] = percent
            progress(percent)

    return tell


def _validate(
    spec: Dataset,
    company: Company,
    table: pd.DataFrame,
    report: ImportReport,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Run every row through the API's serializer; return the rows that passed, with their validated data."""
    # One serializer validates every row: `run_validation` is what `is_valid()` runs, without building the ~30
    # fields of a channel serializer again for each of 10,000 rows.
    serializer = spec.serializer_class(context={"company": company})
    decimal_columns = {name for name, f in serializer.fields.items() if isinstance(f, serializers.DecimalField)}
    text_columns = {name for name, f in serializer.fields.items() if isinstance(f, serializers.CharField)}
    # Names resolve within the company only: another company's counterparty is simply unknown here.
    references = {
        column: dict(model.objects.for_company(company).values_list("name", "pk"))
        for column, model in spec.references.items()
    }
    existing_names = (
        set(spec.model.objects.for_company(company).values_list("name", flat=True)) if spec.unique_name else set()
    )
    order = {name: position for position, name in enumerate(spec.column_names())}
    first_row_of_name: dict[str, int] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for done, (row_number, cells) in enumerate(_rows(table)):
        if progress:
            progress(done, len(table))
        row_errors: dict[str | None, list[str]] = {}
        data: dict[str, Any] = {}
        for column, text in cells.items():
            if not text:
                continue  # an empty cell takes the column's default (or is missing, if the column is required)
            if text in EXCEL_ERRORS:
                row_errors[column] = [f"The cell holds the spreadsheet error {text}; enter a value."]
            elif column in text_columns and text.startswith(FORMULA_PREFIXES):
                row_errors[column] = [
                    f"{_shown(text)} starts with {text[0]!r}, which a spreadsheet runs as a formula; "
                    "start the text with a letter or a digit."
                ]
            elif column in references:
                pk = references[column].get(text)
                if pk is None:
                    row_errors[column] = [f"Your company has no {column} called {_shown(text)}."]
                else:
                    data[column] = pk
            else:
                data[column] = _decimal_text(text) if column in decimal_columns else text
        try:
            validated = serializer.run_validation(data)
        except serializers.ValidationError as exc:
            for key, detail in exc.detail.items():
                column = None if key in (NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY) else key
                # A cell we already explained (unknown name, Excel error) is not also "required".
                row_errors.setdefault(column, _messages(detail))
        else:
            if spec.unique_name:
                name = validated["name"]
                if name in existing_names:
                    row_errors["name"] = [f"Your company already has one called {_shown(name)}."]
                elif name in first_row_of_name:
                    row_errors["name"] = [
                        f"{_shown(name)} appears twice in the file: also on row {first_row_of_name[name]}."
                    ]
                else:
                    first_row_of_name[name] = row_number
            if not row_errors:
                valid.append((row_number, validated))
        for column in sorted(row_errors, key=lambda name: order.get(name or "", len(order))):
            for message in row_errors[column]:
                report.add_error(row_number, column, message)
    report.valid_rows = len(valid)
    return valid


def _commit(
    spec: Dataset,
    company: Company,
    by,
    valid: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    seal: Callable[[ImportReport], bool] | None = None,
) -> None:
    """Save every row through the API's service in one transaction: all of them, or — if the service refuses any
    row (a check only the model makes, a name a colleague took meanwhile) — none, with that row in the report."""
    with transaction.atomic():
        for row_number, fields in valid:
            try:
                with transaction.atomic():  # a savepoint: one refused row leaves the transaction usable for the rest
                    spec.save(company=company, by=by, fields=dict(fields))
            except DjangoValidationError as exc:
                for column, messages in _django_messages(exc):
                    for message in messages:
                        report.add_error(row_number, column, message)
                report.valid_rows -= 1
            except IntegrityError:  # the unique name a colleague saved after we checked
                report.add_error(row_number, None, "This row conflicts with a record saved meanwhile; try again.")
                report.valid_rows -= 1
            except DataError:
                report.add_error(row_number, None, "The database refused a value of this row as out of range.")
                report.valid_rows -= 1
        if report.errors:
            transaction.set_rollback(True)
            return
        report.committed = True
        report.created = len(valid)
        if seal is not None and not seal(report):
            report.committed, report.created = False, 0
            transaction.set_rollback(True)


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


def _django_messages(exc: DjangoValidationError) -> list[tuple[str | None, list[str]]]:
    if not hasattr(exc, "error_dict"):
        return [(None, exc.messages)]
    return [(None if column == NON_FIELD_ERRORS else column, messages) for column, messages in exc.message_dict.items()]


def _shown(text: str) -> str:
    """A user's value inside a message: quoted, and cut short so a 10,000-character cell does not flood the report."""
    return repr(text if len(text) <= 60 else text[:60] + "…")


# -- background jobs --------------------------------------------------------------------------------------------

ASYNC_BYTES = 1024 * 1024  # settings.IMPORT_ASYNC_BYTES overrides it: a bigger file is parsed by a worker
JOB_STALL_SECONDS = 300  # settings.IMPORT_JOB_STALL_SECONDS: a running job untouched this long may be claimed again
QUEUE_UNREACHABLE = "The task queue is unreachable right now, so the import was not started. Try again shortly."
JOB_FAULT = "The import stopped on an unexpected fault; nothing was imported. Try again or contact support."


class ImportQueueUnavailable(Exception):
    """The job could not be handed to a worker: it is marked failed and nothing was imported."""


def async_bytes() -> int:
    return int(getattr(settings, "IMPORT_ASYNC_BYTES", ASYNC_BYTES))


def import_job_create(*, company: Company, dataset: str, content: bytes, filename: str, by, commit: bool) -> ImportJob:
    """Store the upload as a queued job and hand it to a worker (call it outside a transaction: the worker must see
    the row). Raises ImportQueueUnavailable, with the job marked failed, when the broker does not take it."""
    get_dataset(dataset)
    job = ImportJob.objects.create(
        company=company, created_by=by, dataset=dataset, filename=filename[:255], file=content, dry_run=not commit
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db(fields=["status", "error"])
    if job.status == ImportJobStatus.FAILED and job.error == QUEUE_UNREACHABLE:
        raise ImportQueueUnavailable(QUEUE_UNREACHABLE)
    return job


def import_job_commit(*, job: ImportJob, by) -> ImportJob:
    """Commit the very file a dry-run job checked: a new job on the same bytes; the checked job lets go of them."""
    with transaction.atomic():
        checked = ImportJob.objects.select_for_update().get(pk=job.pk)
        content = bytes(checked.file or b"")
        if not (checked.dry_run and checked.status == ImportJobStatus.SUCCEEDED and content):
            raise DjangoValidationError("That check has expired or was already imported; upload the file again.")
        ImportJob.objects.filter(pk=checked.pk).update(file=b"", updated_at=timezone.now())
    return import_job_create(
        company=checked.company, dataset=checked.dataset, content=content, filename=checked.filename, by=by, commit=True
    )


def _enqueue(job_id: int) -> None:
    from kombu.exceptions import OperationalError

    from .tasks import import_job_task

    try:
        import_job_task.apply_async((job_id,), retry=False)
    except (OperationalError, ConnectionError, OSError):
        now = timezone.now()
        ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
            status=ImportJobStatus.FAILED, error=QUEUE_UNREACHABLE, file=b"", finished_at=now, updated_at=now
        )


def import_jobs_sweep() -> dict:
    """Hand out again the jobs whose queue message was lost (queued and untouched for IMPORT_JOB_REQUEUE_SECONDS)
    or whose worker died (running and untouched for IMPORT_JOB_STALL_SECONDS), and let go of the files of checks
    never committed within a day: a fault strands nothing. On beat, beside the drill sweeper."""
    now = timezone.now()
    due = {
        ImportJobStatus.QUEUED: now - timedelta(seconds=float(getattr(settings, "IMPORT_JOB_REQUEUE_SECONDS", 60))),
        ImportJobStatus.RUNNING: now
        - timedelta(seconds=float(getattr(settings, "IMPORT_JOB_STALL_SECONDS", JOB_STALL_SECONDS))),
    }
    counts = {"requeued": 0, "expired": 0}
    for status, before in due.items():
        for job in ImportJob.objects.filter(status=status, updated_at__lt=before).order_by("created_at")[:100]:
            # A queued job is touched first (one sweeper wins it); a running one keeps its stalled time, which is
            # what lets the redelivered task claim it again.
            if status == ImportJobStatus.QUEUED and not ImportJob.objects.filter(
                pk=job.pk, status=status, updated_at=job.updated_at
            ).update(updated_at=now):
                continue
            _enqueue(job.pk)
            counts["requeued"] += 1
    counts["expired"] = (
        ImportJob.objects.filter(
            status=ImportJobStatus.SUCCEEDED, dry_run=True, finished_at__lt=now - timedelta(days=1)
        )
        .exclude(file=b"")
        .update(file=b"", updated_at=now)
    )
    return counts


def import_job_claim(job_id: int) -> ImportJob | None:
    """Claim a queued job, or one whose worker died (running, untouched for JOB_STALL_SECONDS); None otherwise.

    Each claim numbers itself (`attempt`); only the latest claim can finish the job (see import_job_run)."""
    now = timezone.now()
    claim = {"status": ImportJobStatus.RUNNING, "attempt": F("attempt") + 1, "updated_at": now}
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(**claim, started_at=now)
    if not claimed:
        stall = float(getattr(settings, "IMPORT_JOB_STALL_SECONDS", JOB_STALL_SECONDS))
        claimed = ImportJob.objects.filter(
            pk=job_id, status=ImportJobStatus.RUNNING, updated_at__lt=now - timedelta(seconds=stall)
        ).update(**claim)
    if not claimed:
        return None
    return ImportJob.objects.select_related("company", "created_by").get(pk=job_id)


def import_job_run(job_id: int) -> None:
    """Run a claimed job through import_rows, telling its progress; a duplicate or retried task does nothing.

    A commit and the job's `succeeded` are written in one transaction, and only by the latest claim: two workers
    on one job can never both commit its rows."""
    job = import_job_claim(job_id)
    if job is None:
        return
    mine = ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.RUNNING, attempt=job.attempt)

    def progress(percent: int) -> None:
        mine.update(progress=percent, updated_at=timezone.now())

    try:
        report = import_rows(
            company=job.company,
            dataset=job.dataset,
            file=io.BytesIO(bytes(job.file)),
            filename=job.filename,
            by=job.created_by,
            commit=not job.dry_run,
            progress=progress,
            seal=lambda report: _job_finish(mine, report, job.dry_run),
        )
    except Exception:
        now = timezone.now()
        mine.update(status=ImportJobStatus.FAILED, error=JOB_FAULT, file=b"", finished_at=now, updated_at=now)
        raise
    if not report.committed:
        _job_finish(mine, report, job.dry_run)


def _job_finish(mine: models.QuerySet, report: ImportReport, dry_run: bool) -> bool:
    passed = not report.errors
    error = "" if passed else "The file has problems, listed in the report; nothing was imported."
    now = timezone.now()
    return bool(
        mine.update(
            status=ImportJobStatus.SUCCEEDED if passed else ImportJobStatus.FAILED,
            progress=100,
            report=report.as_dict(),
            error=error,
            # A dry run that passed keeps the file for its commit; otherwise the bytes are no longer needed.
            **({} if passed and dry_run else {"file": b""}),
            finished_at=now,
            updated_at=now,
        )
    )


# -- templates --------------------------------------------------------------------------------------------------


def template(dataset: str, fmt: str) -> bytes:
    """A file to fill in: the header and one example row; an .xlsx adds a "help" sheet describing every column."""
    spec = get_dataset(dataset)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown template format {fmt!r}; choose xlsx or csv.")
    names = spec.column_names()
    examples = [column.example for column in spec.columns]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerow([_cell_text(value) for value in examples])
        return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel open Chinese text correctly
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = spec.name
    sheet.append(names)
    sheet.append(examples)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell, value in zip(sheet[2], examples, strict=True):
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, Decimal):
            cell.number_format = "#,##0.00" if value.as_tuple().exponent == -2 else "General"
    for index, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 4)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("help")
    help_sheet.append(["column", "required", "allowed values", "default when empty", "description"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for row in column_help(spec):
        help_sheet.append(row)
    help_sheet.append([])
    help_sheet.append(
        [
            "Fill in one row per record below the header on the first sheet and replace the example row. Row 1 must"
            " stay the header. If any row is wrong, nothing is imported and the report names the row and column."
        ]
    )
    for letter, width in zip("ABCDE", (22, 10, 60, 20, 70), strict=True):
        help_sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_help(spec: Dataset) -> list[list[str]]:
    """One line per column: name, required, allowed values, default, description."""
    fields = spec.serializer_class(context={"company": None}).fields
    lines = []
    for column in spec.columns:
        serializer_field = fields[column.name]
        lines.append(
            [
                column.name,
                "yes" if serializer_field.required else "no",
                column.allowed or _allowed(serializer_field),
                "" if serializer_field.required else _default(spec.model, column.name),
                column.description,
            ]
        )
    return lines


def _allowed(serializer_field: serializers.Field) -> str:
    if isinstance(serializer_field, serializers.ChoiceField):
        return ", ".join(str(choice) for choice in serializer_field.choices)
    if isinstance(serializer_field, serializers.BooleanField):
        return "TRUE or FALSE (also yes/no, 1/0)"
    if isinstance(serializer_field, serializers.DateField):
        return "A date: an Excel date cell or YYYY-MM-DD"
    if isinstance(serializer_field, serializers.DecimalField):
        return f"A number with at most {serializer_field.decimal_places} decimals, e.g. 1234567.89"
    if isinstance(serializer_field, serializers.IntegerField):
        return "A whole number"
    if isinstance(serializer_field, serializers.CharField) and serializer_field.max_length:
        return f"Text, at most {serializer_field.max_length} characters"
    return "Text"


def _default(model: type[models.Model], name: str) -> str:
    model_field = model._meta.get_field(name)
    if model_field.has_default():
        default = model_field.get_default()
        if isinstance(default, bool):
            return "FALSE" if not default else "TRUE"
        return str(default) if default != "" else "(empty)"
    return "(empty)"
