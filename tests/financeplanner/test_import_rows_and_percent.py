"""Issue 11 items 12 and 3, for imports: every error of a row is reported at once; a channel's row brings what is
drawn on it and a lender trigger; rates, shares and probabilities are typed as percentages and implausible ones
refused naming the field; a GBK-encoded CSV (Chinese Excel's "CSV") imports its Chinese names. Expected values are
worked out by hand from the files below."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import capfirst

from channels_app.models import FundingChannel, LedgerEntry, LenderTrigger
from contingency.models import CashFlowLine
from tests.factories import CounterpartyFactory
from tests.financeplanner.import_files import csv_file, upload

pytestmark = pytest.mark.django_db

CHANNEL = ["name", "counterparty", "channel_type", "limit", "annual_rate", "start_date", "maturity_date"]


@pytest.fixture
def bank(company):
    return CounterpartyFactory(company=company, name="Bank of Ningbo")


def errors_of(response) -> list[tuple[int | None, str | None]]:
    return [(error["row"], error["column"]) for error in response.json()["errors"]]


def test_every_error_of_a_row_is_reported_at_once(company, analyst, bank, api_as):
    rows = [
        CHANNEL,
        ["Revolver", "Bank of Ningbo", "revolving_credit", "1000", "4", "2026-01-01", "2027-01-01"],
        # A bad type, an unknown lender, a maturity before the start and the name of row 2, all on row 3.
        ["revolver", "Bank of Nowhere", "loan_shark", "1000", "4", "2026-06-01", "2026-01-01"],
    ]
    response = upload(api_as(analyst), "channels", csv_file(rows), commit=True)
    assert response.status_code == 400
    assert errors_of(response) == [(3, "name"), (3, "counterparty"), (3, "channel_type"), (3, "maturity_date")]
    messages = {error["column"]: error["message"] for error in response.json()["errors"]}
    assert messages["name"] == "'revolver' appears twice in the file: also on row 2."
    assert messages["counterparty"] == "Your company has no counterparty called 'Bank of Nowhere'."
    assert messages["maturity_date"] == "The maturity date must be after the start date."
    assert response.json()["valid_rows"] == 1
    assert not FundingChannel.objects.exists()

    lines = [
        ["name", "category", "amount", "start_date", "end_date", "frequency"],
        ["Rent", "operations", "ten", "2026-03-01", "2026-01-01", "weekly"],  # a bad amount and an end before start
    ]
    response = upload(api_as(analyst), "cash-flows", csv_file(lines))
    assert errors_of(response) == [(2, "amount"), (2, "end_date")]
    assert response.json()["errors"][1]["message"] == "The end date cannot be before the start date."


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("4.2", "0.042000"), ("4.2%", "0.042000"), ("4.2 %", "0.042000"), ("0.5", "0.005000"), ("12.3456", "0.123456")],
)
def test_a_rate_in_a_file_is_a_percentage(typed, stored, company, analyst, bank, api_as):
    rows = [CHANNEL, ["Line", "Bank of Ningbo", "revolving_credit", "1000", typed, "2026-01-01", "2027-01-01"]]
    response = upload(api_as(analyst), "channels", csv_file(rows), commit=True)
    assert response.status_code == 201, response.json()
    assert FundingChannel.objects.get().annual_rate == Decimal(stored)
    # The REST API keeps fractions: it shows the same line's rate as the fraction it stores.
    assert api_as(analyst).get("/api/v1/channels/").json()["results"][0]["annual_rate"] == stored


@pytest.mark.parametrize(
    ("column", "typed", "message"),
    [
        ("annual_rate", "420", "Annual rate: 420 % is above 50 %, more than it can plausibly be (4.2 means 4.2 %)."),
        ("annual_rate", "50.5", "Annual rate: 50.5 % is above 50 %, more than it can plausibly be (4.2 means 4.2 %)."),
        (
            "action_probability", "150",
            "{label}: 150 % is above 100 %, more than it can plausibly be (4.2 means 4.2 %).",
        ),
        (
            "action_probability", "-5%",
            "{label}: -5 % is below 0 %, less than it can plausibly be (4.2 means 4.2 %).",
        ),
        ("annual_rate", "4.12345", "Annual rate: at most 4 decimals in a percentage."),
    ],
)  # fmt: skip
def test_an_implausible_percentage_is_refused_naming_the_field(column, typed, message, company, analyst, bank, api_as):
    header = [*CHANNEL, "action_probability"]
    row = ["Line", "Bank of Ningbo", "revolving_credit", "1000", "4", "2026-01-01", "2027-01-01", ""]
    row[header.index(column)] = typed
    response = upload(api_as(analyst), "channels", csv_file([header, row]))
    assert response.status_code == 400
    label = capfirst(FundingChannel._meta.get_field(column).verbose_name)  # the field's own name, as forms show it
    assert label in ("Annual rate", "Lender action probability")
    assert response.json()["errors"] == [{"row": 2, "column": column, "message": message.format(label=label)}]


def test_fifty_percent_and_a_hundred_percent_are_still_accepted(company, analyst, bank, api_as):
    header = [*CHANNEL, "action_probability", "trigger_kind", "trigger_action", "trigger_level", "trigger_reduce_by"]
    row = ["Line", "Bank of Ningbo", "revolving_credit", "1000", "50", "2026-01-01", "2027-01-01", "100%",
           "utilisation_above", "reduce", "0", "100"]  # fmt: skip
    response = upload(api_as(analyst), "channels", csv_file([header, row]), commit=True)
    assert response.status_code == 201, response.json()
    line = FundingChannel.objects.get()
    assert (line.annual_rate, line.action_probability) == (Decimal("0.5"), Decimal("1"))
    trigger = LenderTrigger.objects.get()
    assert (trigger.level, trigger.reduce_by) == (Decimal("0"), Decimal("1"))


def test_a_channel_row_brings_what_is_drawn_and_a_trigger(company, analyst, bank, api_as):
    header = [*CHANNEL, "drawn", "drawn_date", "trigger_kind", "trigger_action", "trigger_level (%)", "trigger_days",
              "trigger_freeze_days"]  # fmt: skip
    rows = [
        header,
        ["Revolver", "Bank of Ningbo", "revolving_credit", "2,000,000", "3.85", "2026-01-01", "2028-01-01",
         "750,000.50", "2026-02-15", "utilisation_above", "freeze", "90%", "30", "10"],
        ["Term loan", "Bank of Ningbo", "bank_term_loan", "500000", "4.5", "2026-03-01", "2029-03-01", "", "", "", "",
         "", "", ""],
    ]  # fmt: skip
    response = upload(api_as(analyst), "channels", csv_file(rows), commit=True)
    assert response.status_code == 201, response.json()
    revolver = FundingChannel.objects.get(name="Revolver")
    assert revolver.drawn == Decimal("750000.50") and revolver.limit == Decimal("2000000.00")
    assert revolver.headroom == Decimal("1249999.50")  # 2,000,000 − 750,000.50
    assert list(LedgerEntry.objects.values_list("channel__name", "kind", "amount", "date", "created_by")) == [
        ("Revolver", "draw", Decimal("750000.50"), date(2026, 2, 15), analyst.pk)
    ]
    assert list(LenderTrigger.objects.values_list("channel__name", "kind", "action", "level", "days", "freeze_days")) == [
        ("Revolver", "utilisation_above", "freeze", Decimal("0.9"), 30, 10)
    ]  # fmt: skip
    term = FundingChannel.objects.get(name="Term loan")
    assert term.drawn == 0 and not term.triggers.exists() and not term.ledger.exists()
    # Each created row has its audit entry, by the importing user: two channels, the draw, the trigger.
    entries = LogEntry.objects.filter(actor=analyst, action=LogEntry.Action.CREATE)
    assert sorted(entry.content_type.model for entry in entries) == [
        "fundingchannel", "fundingchannel", "ledgerentry", "lendertrigger"
    ]  # fmt: skip
    draw = LogEntry.objects.get_for_object(LedgerEntry.objects.get()).get()
    assert draw.changes_dict["amount"] == ["None", "750000.50"]


def test_a_draw_above_the_limit_or_an_incomplete_trigger_is_a_row_error(company, analyst, bank, api_as):
    header = [*CHANNEL, "drawn", "trigger_kind", "trigger_action", "trigger_rating", "trigger_level"]
    rows = [
        header,
        ["A", "Bank of Ningbo", "revolving_credit", "1000", "4", "2026-01-01", "2027-01-01", "1000.01", "", "", "", ""],
        ["B", "Bank of Ningbo", "revolving_credit", "1000", "4", "2026-01-01", "2027-01-01", "", "own_rating_below",
         "reduce", "", ""],
        ["C", "Bank of Ningbo", "revolving_credit", "1000", "4", "2026-01-01", "2027-01-01", "", "", "close", "", ""],
    ]  # fmt: skip
    response = upload(api_as(analyst), "channels", csv_file(rows), commit=True)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "drawn", "message": "What is drawn (1000.01) cannot exceed the limit (1000.00)."},
        {"row": 3, "column": "trigger_rating", "message": "A rating trigger needs the rating it watches."},
        {"row": 3, "column": "trigger_reduce_by",
         "message": "A reduction needs the share of the limit it removes (0–1)."},
        {"row": 4, "column": "trigger_kind", "message": "A trigger needs its kind."},
    ]  # fmt: skip
    assert not FundingChannel.objects.exists() and not LedgerEntry.objects.exists()


def test_the_channel_template_says_which_columns_are_percentages_and_offers_drawn_and_a_trigger(analyst, api_as):
    content = api_as(analyst).get("/api/v1/imports/channels/template/", {"format": "csv"}).content.decode("utf-8-sig")
    header, example = (line.split(",") for line in content.splitlines())
    values = dict(zip(header, example, strict=True))
    assert {"base_rate (%)", "spread (%)", "annual_rate (%)", "fee_rate (%)", "action_probability (%)",
            "trigger_level (%)", "trigger_reduce_by (%)"} <= set(header)  # fmt: skip
    assert {"drawn", "drawn_date", "trigger_kind", "trigger_action", "trigger_days", "trigger_freeze_days"} <= set(
        header
    )
    assert values["annual_rate (%)"] == "4.5" and values["trigger_level (%)"] == "90"  # 4.5 %, 90 %


def test_a_gbk_csv_of_cash_flow_lines_imports_its_chinese_names(company, analyst, api_as):
    text = (
        "name,category,amount,currency,start_date,end_date,frequency,discretionary\r\n"
        "员工工资,运营,-1250000.00,CNY,2026-01-25,2026-12-25,monthly,FALSE\r\n"
        "货款回收（华东区）,销售,3380000.50,CNY,2026-01-10,,once,FALSE\r\n"
    )
    content = text.encode("gbk")
    assert content != text.encode("utf-8")  # Python's gbk codec, as Chinese Excel saves "CSV"
    file = SimpleUploadedFile("现金流.csv", content, content_type="text/csv")
    response = upload(api_as(analyst), "cash-flows", file, commit=True)
    assert response.status_code == 201, response.json()
    assert list(CashFlowLine.objects.order_by("start_date").values_list("name", "category", "amount", "end_date")) == [
        ("货款回收（华东区）", "销售", Decimal("3380000.50"), None),
        ("员工工资", "运营", Decimal("-1250000.00"), date(2026, 12, 25)),
    ]
