"""Reading an uploaded spreadsheet: the file's guards (type, size, zip bombs, cells, time) and its cells as text.

Cells are read as text, never as floats: "1234567.89" in a CSV stays exactly that. An Excel number cell is a binary
double; it is turned into a Decimal through its 15-significant-digit form, which is Excel's own precision, so the
amount a user sees in Excel is the amount we store.
"""

from __future__ import annotations

import io
import math
import re
import time as time_module
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO
from xml.parsers import expat

import openpyxl
import pandas as pd
from django.conf import settings
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string

MAX_BYTES = settings.MAX_UPLOAD_BYTES  # the one upload limit (10 MB), the import page's too
MAX_ROWS = 100_000  # 100,000 cash-flow lines in one CSV (~6.1 MB); a workbook is bounded by its cells first
MAX_COLUMNS = 100
# A .xlsx is a zip; refuse one that would unpack into far more XML than its cells can need (a zip bomb).
# Each part is measured from the zip directory before openpyxl parses anything. 10,000 rows of a channel's 21
# columns take ~7 MB of sheet XML; openpyxl reads every sheet's XML once on opening, we once more before the rows,
# so these sizes bound the time too (~1 s per 3 MB of hostile XML on one core).
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_SHEET_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
MAX_OTHER_PART_BYTES = 8 * 1024 * 1024  # styles, workbook, relationships, themes…
MAX_PARTS = 1_000
MAX_CELLS = 400_000  # a workbook's cells holding a value: 10,000 rows of 40 columns (a channel has 21)
# A CSV is not unpacked: its bytes bound it. 100,000 rows of 20 columns (a cash-flow line has 8).
MAX_CSV_CELLS = 2_000_000
TOO_MANY_CELLS = "The file has more than {:,} cells holding a value (the limit); split it up."
MAX_PARSE_SECONDS = 10.0  # settings.IMPORT_MAX_PARSE_SECONDS overrides it
# A text cell starting with one of these would be a live formula when the data is exported to a spreadsheet
# again (OWASP "CSV Injection"): the import refuses it in text columns. Numbers (-1234.5) are not text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
EXCEL_ERRORS = frozenset("#NULL! #DIV/0! #VALUE! #REF! #NAME? #NUM! #N/A #GETTING_DATA #SPILL! #CALC!".split())


HEADER_MISSING = "The first row must be the header with the column names; it is empty."


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong type, empty, too big, too many rows, not a spreadsheet."""


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
    """A header cell as a column name: "Annual rate (%)" → "annual_rate" (a template marks its percentage columns)."""
    name = re.sub(r"[\s_]*\(?\s*[%％]\s*\)?$", "", cell.strip().lower())
    return re.sub(r"[\s\-]+", "_", name.strip())


def _numbered_rows(
    rows: Iterable[Sequence[object]], max_cells: int = MAX_CELLS, texts_only: bool = False
) -> list[tuple[int, list[str]]]:
    """The rows that hold anything, as text without trailing empty cells, with their 1-based row numbers.
    `texts_only`: every cell is a text or None (a CSV's).

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
        if cells_read > max_cells:
            raise ImportFileError(TOO_MANY_CELLS.format(max_cells))
        if texts_only:
            cells = ["" if value is None else value.strip() for value in values]  # cell_text's answer for both
        else:
            cells = [cell_text(value) for value in values]
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
                raise ImportFileError(TOO_MANY_CELLS.format(MAX_CELLS))
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
            return _numbered_rows(
                [_cell_value(cell) for cell in row] for row in sheet.iter_rows(max_col=MAX_COLUMNS, max_row=last_row)
            )
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds of error on a damaged or disguised file
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None


def _cell_value(cell) -> object:
    """A cell's value, except that a number shown as a percentage (Excel stores 4.2 % as 0.042) is the text the user
    sees, "4.2%": the percentage columns read it as 4.2 %, like a typed 4.2."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return cell_text(Decimal(format(value, ".15g")).scaleb(2)) + "%"
    return value


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
    # Cells a short row lacks come back missing: make them None, i.e. empty. As plain lists at once: pandas' row
    # iterators read a text column cell by cell.
    return _numbered_rows(frame.to_numpy(dtype=object, na_value=None).tolist(), MAX_CSV_CELLS, texts_only=True)


def cell_text(value: object) -> str:
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


def decimal_text(text: str) -> str:
    """Accept what spreadsheets print for numbers without changing their value: 1,234,567.890 → 1234567.89."""
    if _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    if _TRAILING_ZEROS.fullmatch(text):
        text = _TRAILING_ZEROS.fullmatch(text).group(1).rstrip(".")  # type: ignore[union-attr]
    return text
