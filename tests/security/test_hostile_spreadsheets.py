"""Issue 9 item 5: hostile spreadsheets are refused quickly with a 400 that names the limit; Chinese Excel's CSV
(GB18030/GBK) and UTF-8 with a BOM are accepted.

The hostile workbooks are real .xlsx zips built here part by part, as an attacker would build them.
"""

import io
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import Counterparty

pytestmark = pytest.mark.django_db

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'


def _workbook() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "kind", "country"])
    workbook.active.append(["Bank", "bank", "CN"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_part(name: str, data: bytes, extra: int = 0) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == name else src.read(info.filename))
        if name and name not in src.namelist():
            dst.writestr(name, data)
        for i in range(extra):
            dst.writestr(f"customXml/item{i}.xml", b"<a/>")
    return out.getvalue()


def _sheet(rows: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {MAIN}><sheetData>{rows}</sheetData></worksheet>'.encode()


def _post(client, content: bytes, name: str = "hostile.xlsx"):
    started = time.monotonic()
    response = client.post(
        "/api/v1/imports/counterparties/",
        {"file": SimpleUploadedFile(name, content), "commit": "true"},
        format="multipart",
    )
    return response, time.monotonic() - started


def _refused(response, *words: str) -> str:
    assert response.status_code == 400, response.content[:300]
    message = response.json()["errors"][0]["message"]
    for word in words:
        assert word in message, message
    assert not Counterparty.objects.exists()
    return message


def test_a_shared_strings_bomb_is_refused_before_parsing(company, analyst, api_as):
    strings = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    bomb = f'<?xml version="1.0" encoding="UTF-8"?><sst {MAIN}>'.encode() + strings * 20_000 + b"</sst>"
    content = _with_part("xl/sharedStrings.xml", bomb)
    assert len(content) < 300_000  # 20 MB of text in a small upload
    response, seconds = _post(api_as(analyst), content)
    _refused(response, "shared strings", "16 MB")
    assert seconds < 2


def test_a_worksheet_that_unpacks_huge_is_refused_before_parsing(company, analyst, api_as):
    rows = "".join(f'<row r="{i}"><c r="XFD{i}" s="0"/></row>' for i in range(2, 450_000))
    response, seconds = _post(api_as(analyst), _with_part("xl/worksheets/sheet1.xml", _sheet(HEADER_ROW + rows)))
    _refused(response, "worksheet", "16 MB")
    assert seconds < 2


def test_a_workbook_of_a_thousand_parts_is_refused(company, analyst, api_as):
    response, _ = _post(api_as(analyst), _with_part("", b"", extra=1_000))
    _refused(response, "parts", "1,000")


def test_a_value_far_right_in_a_sparse_row_is_refused_naming_the_column_limit(company, analyst, api_as):
    rows = '<row r="2"><c r="XFD2" t="inlineStr"><is><t>hidden</t></is></c></row>'
    response, _ = _post(api_as(analyst), _with_part("xl/worksheets/sheet1.xml", _sheet(HEADER_ROW + rows)))
    _refused(response, "beyond column 100")


def test_a_value_below_the_last_row_a_sheet_can_have_is_refused(company, analyst, api_as):
    rows = '<row r="5000000"><c r="A5000000" t="inlineStr"><is><t>x</t></is></c></row>'
    response, seconds = _post(api_as(analyst), _with_part("xl/worksheets/sheet1.xml", _sheet(HEADER_ROW + rows)))
    _refused(response, "beyond row 1,048,576")
    assert seconds < 2


def test_too_many_cells_are_refused_naming_the_cell_limit(company, analyst, api_as):
    cells = lambda i: "".join(f'<c r="{col}{i}"><v>1</v></c>' for col in COLUMNS)  # noqa: E731
    rows = "".join(f'<row r="{i}">{cells(i)}</row>' for i in range(2, 10_001))
    response, seconds = _post(api_as(analyst), _with_part("xl/worksheets/sheet1.xml", _sheet(HEADER_ROW + rows)))
    _refused(response, "400,000 cells")
    assert seconds < 10


COLUMNS = [openpyxl.utils.get_column_letter(i) for i in range(1, 42)]  # 41 columns x 9,999 rows > 400,000


def test_parsing_stops_at_the_time_limit(company, analyst, api_as, settings):
    settings.IMPORT_MAX_PARSE_SECONDS = 0
    rows = "".join(f'<row r="{i}"><c r="B{i}" s="0"/></row>' for i in range(2, 20_000))
    response, _ = _post(api_as(analyst), _with_part("xl/worksheets/sheet1.xml", _sheet(HEADER_ROW + rows)))
    _refused(response, "0 seconds (the limit)")


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig"])
def test_a_chinese_excel_csv_is_accepted(encoding, company, analyst, api_as):
    text = "name,kind,country,notes\r\n宁波银行,bank,CN,授信额度 — 年审\r\n"
    response, _ = _post(api_as(analyst), text.encode(encoding), name="counterparties.csv")
    assert response.status_code == 201, response.json()
    assert list(Counterparty.objects.values_list("name", "notes")) == [("宁波银行", "授信额度 — 年审")]


def test_a_csv_in_neither_utf8_nor_gb18030_is_refused_with_the_reason(company, analyst, api_as):
    response, _ = _post(api_as(analyst), b"name,kind\r\n\xff\x80\x80", "x.csv")
    _refused(response, "UTF-8", "GB18030")
