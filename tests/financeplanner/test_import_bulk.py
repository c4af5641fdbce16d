"""The bulk commit (issue 12 item 2): the rows it writes are the rows the API's one-by-one service wrote, each with
its audit-log entry; a row refused anywhere in a file — even by the database, past the checks — commits nothing;
checking and committing a file take a fixed number of queries however many rows it holds."""

import csv
import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from channels_app.models import Counterparty, FundingChannel
from contingency.models import CashFlowLine
from financeplanner import importing
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

CHANNEL_FIELDS = [
    "name", "counterparty__name", "channel_type", "currency", "limit", "drawn", "committed", "status", "rate_type",
    "base_rate", "spread", "annual_rate", "fee_rate", "day_count", "start_date", "maturity_date",
    "repayment_profile", "payment_frequency", "rolls_over", "notice_days", "action_probability", "excess_due",
    "excess_due_date", "notes", "company__slug",
]  # fmt: skip


def csv_upload(rows: list[list], name: str = "upload.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def upload(client, dataset: str, file, commit: bool = True):
    body = {"file": file, "commit": "true" if commit else "false"}
    return client.post(f"/api/v1/imports/{dataset}/", body, format="multipart")


@pytest.fixture
def bank(company):
    return CounterpartyFactory(company=company, name="Bank of Ningbo")


def test_committed_channels_hold_exactly_the_values_of_the_file_and_the_defaults(company, analyst, bank, api_as):
    header = [
        "name", "counterparty", "channel_type", "currency", "limit", "committed", "rate_type", "base_rate", "spread",
        "annual_rate", "fee_rate", "day_count", "start_date", "maturity_date", "repayment_profile",
        "payment_frequency", "rolls_over", "notice_days", "action_probability", "notes",
    ]  # fmt: skip
    rows = [
        header,
        # Rates and the probability typed as percentages (issue 11 item 3): 3 % base, 1.25 % spread, 4.25 % all-in,
        # 0.1 % fee, 5 % chance a year; "4.5%" with its sign.
        ["Ningbo revolver", "Bank of Ningbo", "revolving_credit", "USD", "1,234,567.89", "TRUE", "floating", "3",
         "1.25", "4.25", "0.1", "ACT/360", "2026-03-01", "2028-02-29", "revolving", "quarterly", "yes", "15",
         "5", "Main line"],
        ["Ningbo term loan", "Bank of Ningbo", "bank_term_loan", "", "500000", "", "", "", "", "4.5%", "", "",
         "2026-01-01", "2027-01-01", "", "", "", "", "", ""],
    ]  # fmt: skip
    response = upload(api_as(analyst), "channels", csv_upload(rows))
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2 and response.json()["valid_rows"] == 2

    written = list(FundingChannel.objects.order_by("name").values(*CHANNEL_FIELDS))
    assert written == [
        {
            "name": "Ningbo revolver", "counterparty__name": "Bank of Ningbo", "channel_type": "revolving_credit",
            "currency": "USD", "limit": Decimal("1234567.89"), "drawn": Decimal("0.00"), "committed": True,
            "status": "active", "rate_type": "floating", "base_rate": Decimal("0.030000"),
            "spread": Decimal("0.012500"), "annual_rate": Decimal("0.042500"), "fee_rate": Decimal("0.001000"),
            "day_count": "ACT/360", "start_date": date(2026, 3, 1), "maturity_date": date(2028, 2, 29),
            "repayment_profile": "revolving", "payment_frequency": "quarterly", "rolls_over": True,
            "notice_days": 15, "action_probability": Decimal("0.050000"), "excess_due": Decimal("0.00"),
            "excess_due_date": None, "notes": "Main line", "company__slug": "acme",
        },
        {
            "name": "Ningbo term loan", "counterparty__name": "Bank of Ningbo", "channel_type": "bank_term_loan",
            "currency": "CNY", "limit": Decimal("500000.00"), "drawn": Decimal("0.00"), "committed": False,
            "status": "active", "rate_type": "fixed", "base_rate": Decimal("0.000000"),
            "spread": Decimal("0.000000"), "annual_rate": Decimal("0.045000"), "fee_rate": Decimal("0.000000"),
            "day_count": "ACT/365F", "start_date": date(2026, 1, 1), "maturity_date": date(2027, 1, 1),
            "repayment_profile": "bullet", "payment_frequency": "monthly", "rolls_over": False, "notice_days": 0,
            "action_probability": None, "excess_due": Decimal("0.00"), "excess_due_date": None, "notes": "",
            "company__slug": "acme",
        },
    ]  # fmt: skip
    for channel in FundingChannel.objects.all():
        assert channel.created_at is not None and channel.updated_at is not None


def test_committed_cash_flow_lines_and_counterparties_hold_exactly_the_values_of_the_file(company, analyst, api_as):
    client = api_as(analyst)
    rows = [
        ["name", "category", "amount", "currency", "start_date", "end_date", "frequency", "discretionary"],
        ["Payroll", "operations", "-1234567.89", "HKD", "2026-01-25", "2026-12-25", "monthly", "FALSE"],
        ["Receipts", "sales", "98765432109876.54", "", "2026-01-01", "", "", "TRUE"],
    ]
    assert upload(client, "cash-flows", csv_upload(rows)).status_code == 201
    fields = ["name", "category", "amount", "currency", "start_date", "end_date", "frequency", "discretionary"]
    assert list(CashFlowLine.objects.for_company(company).order_by("name").values_list(*fields)) == [
        ("Payroll", "operations", Decimal("-1234567.89"), "HKD", date(2026, 1, 25), date(2026, 12, 25), "monthly",
         False),
        ("Receipts", "sales", Decimal("98765432109876.54"), "CNY", date(2026, 1, 1), None, "once", True),
    ]  # fmt: skip

    rows = [
        ["name", "kind", "country", "notes"],
        ["招商银行", "bank", "cn", "主要结算银行"],
        ["Ant", "platform", "", ""],
    ]
    assert upload(client, "counterparties", csv_upload(rows)).status_code == 201
    lenders = Counterparty.objects.for_company(company).order_by("name")
    assert list(lenders.values_list("name", "kind", "country", "notes")) == [
        ("Ant", "platform", "", ""),
        ("招商银行", "bank", "CN", "主要结算银行"),
    ]


def test_every_created_row_has_its_audit_entry_with_the_importing_user(company, analyst, bank, api_as):
    rows = [["name", "counterparty", "channel_type", "limit", "annual_rate", "start_date", "maturity_date"]]
    rows += [[f"Line {i}", "Bank of Ningbo", "revolving_credit", f"{i}000.50", "4", "2026-01-01", "2027-01-01"]
             for i in range(1, 6)]  # fmt: skip
    assert upload(api_as(analyst), "channels", csv_upload(rows)).status_code == 201

    channels = {channel.pk: channel for channel in FundingChannel.objects.for_company(company)}
    entries = LogEntry.objects.filter(content_type__model="fundingchannel")
    assert sorted(int(entry.object_pk) for entry in entries) == sorted(channels)  # one entry per row, no more
    for entry in entries:
        channel = channels[int(entry.object_pk)]
        assert entry.action == LogEntry.Action.CREATE and entry.object_id == channel.pk
        assert entry.actor == analyst and entry.object_repr == channel.name
        changes = entry.changes_dict
        assert changes["name"] == ["None", channel.name] and changes["limit"] == ["None", str(channel.limit)]
        assert changes["status"] == ["None", "active"] and changes["id"] == ["None", str(channel.pk)]
    # The limits typed in the file, by hand: each row's own, once.
    assert sorted(entry.changes_dict["limit"][1] for entry in entries) == [
        "1000.50", "2000.50", "3000.50", "4000.50", "5000.50"
    ]  # fmt: skip
    # The history of a channel page reads them as any other creation.
    assert LogEntry.objects.get_for_object(channels[min(channels)]).count() == 1


def test_a_dry_run_writes_no_audit_entry_and_a_refused_file_none_either(company, analyst, bank, api_as):
    rows = [["name", "kind"], ["First", "bank"], ["Second", "loan_shark"]]
    assert upload(api_as(analyst), "counterparties", csv_upload(rows)).status_code == 400
    assert upload(api_as(analyst), "counterparties", csv_upload(rows[:2]), commit=False).status_code == 200
    assert not LogEntry.objects.filter(content_type__model="counterparty").exclude(object_pk=str(bank.pk)).exists()
    assert Counterparty.objects.count() == 1


ROWS = 2_100  # beyond one insert batch (importing.commit.BATCH_SIZE = 2,000)


def lenders_file() -> SimpleUploadedFile:
    return csv_upload([["name", "kind"]] + [[f"Lender {i:05d}", "bank"] for i in range(ROWS)])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("taken", [0, ROWS - 1], ids=["first-row", "last-row-in-the-second-batch"])
def test_a_row_the_database_refuses_anywhere_in_the_file_commits_nothing(company, analyst, taken):
    """A colleague saves one of the file's names after the file was checked and before it is written: the bulk
    insert is refused by the unique constraint, the commit traces the row and writes none of the others."""
    assert connection.vendor == "postgresql"
    colleague_saved = threading.Event()

    def colleague_saves_the_name() -> None:
        try:
            Counterparty.objects.create(company=company, name=f"Lender {taken:05d}", kind="bank")
        finally:
            connections.close_all()

    def progress(percent: int) -> None:
        if percent > importing.rows.CHECKED_PERCENT and not colleague_saved.is_set():  # checked, not yet written
            thread = threading.Thread(target=colleague_saves_the_name)
            thread.start()
            thread.join()
            colleague_saved.set()

    report = importing.import_rows(
        company=company, dataset="counterparties", file=lenders_file(), filename="lenders.csv", by=analyst,
        commit=True, progress=progress,
    )  # fmt: skip
    assert colleague_saved.is_set()
    assert report.committed is False and report.created == 0
    assert [error["row"] for error in report.errors] == [taken + 2]  # the header is row 1
    assert report.valid_rows == ROWS - 1
    assert list(Counterparty.objects.values_list("name", flat=True)) == [f"Lender {taken:05d}"]
    assert (
        not LogEntry.objects.filter(content_type__model="counterparty")
        .exclude(object_pk=str(Counterparty.objects.get().pk))
        .exists()
    )


@pytest.mark.parametrize("bad", [0, 1_000, ROWS - 1])
def test_a_bad_row_anywhere_in_a_big_file_commits_nothing(company, analyst, api_as, bad):
    rows = [["name", "kind"]] + [[f"Lender {i:05d}", "loan_shark" if i == bad else "bank"] for i in range(ROWS)]
    response = upload(api_as(analyst), "counterparties", csv_upload(rows))
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(bad + 2, "kind")]
    assert not Counterparty.objects.exists() and not LogEntry.objects.filter(content_type__model="counterparty")


def channel_file(count: int) -> SimpleUploadedFile:
    rows = [["name", "counterparty", "channel_type", "limit", "annual_rate", "start_date", "maturity_date"]]
    rows += [[f"Line {i}", f"Bank {i % 3}", "revolving_credit", "1000", "4", "2026-01-01", "2027-01-01"]
             for i in range(count)]  # fmt: skip
    return csv_upload(rows)


@pytest.mark.parametrize("commit", [False, True], ids=["dry-run", "commit"])
def test_checking_and_committing_take_the_same_queries_for_ten_or_a_thousand_rows(company, analyst, commit):
    for i in range(3):
        CounterpartyFactory(company=company, name=f"Bank {i}")
    queries = []
    for count in (10, 1_000):
        FundingChannel.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            report = importing.import_rows(
                company=company, dataset="channels", file=channel_file(count), filename="c.csv", by=analyst,
                commit=commit,
            )  # fmt: skip
        assert not report.errors and report.created == (count if commit else 0)
        queries.append(len(captured))
    assert queries[0] == queries[1], queries
    assert FundingChannel.objects.count() == (1_000 if commit else 0)


@pytest.mark.django_db(transaction=True)
def test_a_counterparty_deleted_after_the_check_is_a_row_error_not_a_failed_commit(company, analyst):
    CounterpartyFactory(company=company, name="Bank 0")
    doomed = CounterpartyFactory(company=company, name="Bank 1")
    deleted = threading.Event()

    def colleague_deletes_the_lender() -> None:
        try:
            Counterparty.objects.filter(pk=doomed.pk).delete()
        finally:
            connections.close_all()

    def progress(percent: int) -> None:
        if percent > importing.rows.CHECKED_PERCENT and not deleted.is_set():
            thread = threading.Thread(target=colleague_deletes_the_lender)
            thread.start()
            thread.join()
            deleted.set()

    report = importing.import_rows(
        company=company, dataset="channels", file=channel_file(2), filename="c.csv", by=analyst, commit=True,
        progress=progress,
    )  # fmt: skip
    assert deleted.is_set() and report.committed is False and report.created == 0
    assert [(error["row"], error["column"]) for error in report.errors] == [(3, "counterparty")]  # Line 1, Bank 1
    assert not FundingChannel.objects.exists()


def test_an_imported_channels_audit_entry_says_what_the_apis_create_says(company, analyst, bank, api_as):
    """The entry written in bulk is the one django-auditlog writes when the API creates the same channel."""
    client = api_as(analyst)
    terms = {"counterparty": bank.pk, "channel_type": "revolving_credit", "limit": "750000.25",
             "annual_rate": "0.041", "start_date": "2026-02-01", "maturity_date": "2028-01-31", "notice_days": 30,
             "committed": True, "notes": "Relationship line"}  # fmt: skip
    created = client.post("/api/v1/channels/", {"name": "By the API", **terms}, format="json")
    assert created.status_code == 201, created.json()
    header = ["name", "counterparty", "channel_type", "limit", "annual_rate", "start_date", "maturity_date",
              "notice_days", "committed", "notes"]  # fmt: skip
    typed = {**terms, "annual_rate": "4.1"}  # the API's fraction 0.041 is typed in a file as the percentage 4.1
    row = ["By import", "Bank of Ningbo", *[str(typed[column]) for column in header[2:]]]
    assert upload(client, "channels", csv_upload([header, row])).status_code == 201

    def entry(name: str) -> LogEntry:
        [only] = LogEntry.objects.get_for_object(FundingChannel.objects.get(name=name))
        return only

    by_api, by_import = entry("By the API"), entry("By import")
    differ = {"id", "name", "created_at", "updated_at"}
    assert {k: v for k, v in by_import.changes_dict.items() if k not in differ} == {
        k: v for k, v in by_api.changes_dict.items() if k not in differ
    }
    assert set(by_import.changes_dict) == set(by_api.changes_dict)
    assert (by_import.action, by_import.actor, by_import.content_type) == (
        by_api.action, by_api.actor, by_api.content_type
    )  # fmt: skip


def test_a_bad_value_repeated_on_many_rows_is_reported_on_each_with_the_apis_message(company, analyst, api_as):
    """A choice, date or number column is checked once per distinct text: the second row with the same bad text
    gets the same message, and a good text on another row still passes."""
    rows = [["name", "kind"], ["A", "loan_shark"], ["B", "bank"], ["C", "loan_shark"], ["D", "bank"]]
    response = upload(api_as(analyst), "counterparties", csv_upload(rows))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "kind"), (4, "kind")]
    assert errors[0]["message"] == errors[1]["message"] == '"loan_shark" is not a valid choice.'
    api = api_as(analyst).post("/api/v1/counterparties/", {"name": "E", "kind": "loan_shark"})
    assert api.json()["kind"] == ['"loan_shark" is not a valid choice.']
    assert not Counterparty.objects.exists()


def test_text_with_tabs_newlines_and_backslashes_is_stored_and_logged_exactly(company, analyst, api_as):
    """The rows and their audit entries go to PostgreSQL in COPY's text format, where a tab, a newline and a
    backslash are separators and escapes: each must arrive as typed."""
    names = ["Rent\tHQ", "Line one\nline two", "C:\\shares\\payroll \\N", "回车\r换行", "\\"]
    rows = [["name", "category", "amount", "start_date"]]
    rows += [[name, f"cat\\{index}\t", "-1.50", "2026-01-01"] for index, name in enumerate(names)]
    response = upload(api_as(analyst), "cash-flows", csv_upload(rows))
    assert response.status_code == 201, response.json()
    stored = CashFlowLine.objects.for_company(company).order_by("id")
    # The cells' outer whitespace is trimmed (the trailing tab of the category); what is inside stays.
    assert list(stored.values_list("name", "category")) == [(name, f"cat\\{i}") for i, name in enumerate(names)]
    for line in stored:
        [entry] = LogEntry.objects.get_for_object(line)
        assert entry.object_repr == line.name and entry.changes_dict["name"] == ["None", line.name]
        assert entry.changes_dict["category"] == ["None", line.category]
