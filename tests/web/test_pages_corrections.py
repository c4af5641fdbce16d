"""Correcting mistakes in the pages and the API (delete, archive, restore, reverse), and the downloads of every list
with its filters, and the Exports page."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from channels_app import services
from channels_app.models import FundingChannel, LedgerEntry
from contingency.models import CashFlowLine
from tests.factories import CashFlowLineFactory, CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def line(company, analyst):
    channel = FundingChannelFactory(company=company, name="Ping An revolver", limit=D("1000000.00"))
    services.channel_draw(channel=channel, amount=D("400000.00"), date=date(2026, 2, 1), by=analyst)
    return channel


def _text(response) -> str:
    return response.content.decode()


def test_deleting_a_channel_with_history_is_refused_and_archiving_is_offered(web_as, treasurer, line):
    client = web_as(treasurer)
    url = reverse("channels:channel-delete", args=[line.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url)
    assert refused.status_code == 200
    assert "has ledger entries or lender actions" in _text(refused)
    archive_url = reverse("channels:channel-archive", args=[line.pk])
    assert f'action="{archive_url}"' in _text(refused)
    assert FundingChannel.objects.filter(pk=line.pk).exists()

    archived = client.post(archive_url, follow=True)  # to the channel's page, which says so
    assert "Archived Ping An revolver" in _text(archived)
    line.refresh_from_db()
    assert line.archived_at is not None
    listing = _text(client.get(reverse("channels:channel-list")))
    assert "Ping An revolver" not in listing
    assert "Ping An revolver" in _text(client.get(reverse("channels:channel-list") + "?archived=yes"))
    assert "Ping An revolver" in _text(client.get(reverse("channels:channel-list") + "?archived="))

    client.post(reverse("channels:channel-restore", args=[line.pk]))
    line.refresh_from_db()
    assert line.archived_at is None


def test_a_channel_without_history_is_deleted_from_its_page(web_as, analyst, company):
    channel = FundingChannelFactory(company=company)
    response = web_as(analyst).post(reverse("channels:channel-delete", args=[channel.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("channels:channel-list")
    assert not FundingChannel.objects.filter(pk=channel.pk).exists()


def test_a_cash_flow_line_is_deleted_from_the_list(web_as, analyst, company):
    flow = CashFlowLineFactory(company=company, name="Duplicate payroll")
    client = web_as(analyst)
    listing = _text(client.get(reverse("contingency:cashflow-list")))
    assert reverse("contingency:cashflow-delete", args=[flow.pk]) in listing
    response = client.post(reverse("contingency:cashflow-delete", args=[flow.pk]))
    assert response.status_code == 302
    assert not CashFlowLine.objects.filter(pk=flow.pk).exists()


def test_a_ledger_entry_is_reversed_from_the_channel_page(web_as, analyst, line):
    entry = LedgerEntry.objects.get(channel=line)
    client = web_as(analyst)
    page = _text(client.get(reverse("channels:channel-detail", args=[line.pk])))
    assert reverse("channels:ledger-reverse", args=[entry.pk]) in page
    response = client.post(reverse("channels:ledger-reverse", args=[entry.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("channels:channel-detail", args=[line.pk])
    line.refresh_from_db()
    assert line.drawn == D("0.00")  # 400,000 drawn, reversed by a repayment of 400,000
    page = _text(client.get(reverse("channels:channel-detail", args=[line.pk])))
    assert f"Reversed by #{entry.reversal.pk}" in page and f"Reverses entry #{entry.pk}" in page
    again = client.post(reverse("channels:ledger-reverse", args=[entry.pk]), follow=True)
    assert "already been reversed" in _text(again)
    line.refresh_from_db()
    assert line.drawn == D("0.00")


def test_a_viewer_cannot_reverse_archive_or_delete(web_as, viewer, line):
    entry = LedgerEntry.objects.get(channel=line)
    client = web_as(viewer)
    assert client.post(reverse("channels:ledger-reverse", args=[entry.pk])).status_code == 403
    assert client.post(reverse("channels:channel-archive", args=[line.pk])).status_code == 403
    assert client.post(reverse("channels:channel-delete", args=[line.pk])).status_code == 403
    page = _text(client.get(reverse("channels:channel-detail", args=[line.pk])))
    assert reverse("channels:ledger-reverse", args=[entry.pk]) not in page


def test_another_companys_channel_is_not_found(web_as, outsider, line):
    client = web_as(outsider)
    assert client.post(reverse("channels:channel-delete", args=[line.pk])).status_code == 404
    assert client.post(reverse("channels:channel-archive", args=[line.pk])).status_code == 404


# -- downloads --------------------------------------------------------------------------------------------------


def test_a_list_offers_its_rows_as_csv_and_xlsx_with_its_filters(web_as, viewer, company):
    bank = CounterpartyFactory(company=company, name="ICBC")
    FundingChannelFactory(company=company, counterparty=bank, name="Bank term loan", channel_type="bank_term_loan")
    FundingChannelFactory(company=company, name="=HYPERLINK(1)", channel_type="small_loan_platform")
    archived = FundingChannelFactory(company=company, name="Old platform", channel_type="small_loan_platform")
    services.channel_archive(channel=archived, by=None)
    client = web_as(viewer)
    page = _text(client.get(reverse("channels:channel-list") + "?channel_type=small_loan_platform"))
    download = reverse("export-download", args=["channels"])
    assert f"{download}?channel_type=small_loan_platform&amp;archived=no&amp;format=csv" in page

    response = client.get(download, {"channel_type": "small_loan_platform", "archived": "no", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="acme-channels-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["name"] for row in rows] == ["'=HYPERLINK(1)"]  # filtered; a formula is neutralised

    response = client.get(download, {"format": "xlsx"})  # no filters: every channel, archived included
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == ["'=HYPERLINK(1)", "Bank term loan", "Old platform"]


def test_a_download_refuses_an_unknown_format_and_dataset(web_as, viewer):
    client = web_as(viewer)
    assert client.get(reverse("export-download", args=["channels"]), {"format": "pdf"}).status_code == 400
    assert client.get(reverse("export-download", args=["nothing"])).status_code == 404


def test_every_list_offers_downloads(web_as, viewer):
    client = web_as(viewer)
    for name, dataset in [
        ("channels:channel-list", "channels"),
        ("contingency:pool-list", "pools"),
        ("contingency:cashflow-list", "cash-flow-lines"),
        ("contingency:plan-list", "plans"),
        ("contingency:drill-list", "drills"),
        ("contingency:alert-list", "alerts"),
        ("channels:counterparty-list", "counterparties"),
        ("contingency:scenario-list", "scenarios"),
        ("contingency:schedule-list", "drill-schedules"),
    ]:
        page = _text(client.get(reverse(name)))
        assert reverse("export-download", args=[dataset]) + "?" in page, name


def test_the_exports_page_lists_the_erp_datasets_with_their_urls(web_as, viewer):
    page = _text(web_as(viewer).get(reverse("exports")))
    for dataset in ("channels", "ledger", "schedules", "cash-flows", "pools", "plans", "drills", "alerts"):
        assert f"/api/v1/exports/{dataset}/?format=json" in page, dataset
        assert f"/api/v1/exports/{dataset}/?format=csv&amp;updated_since=" in page, dataset
    assert reverse("api-docs") in page


# -- the API: the same rules --------------------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_refuses_deleting_a_channel_with_history_and_archives_it(analyst, line):
    api = _api(analyst)
    refused = api.delete(f"/api/v1/channels/{line.pk}/")
    assert refused.status_code == 400
    assert "Archive it instead" in refused.json()["non_field_errors"][0]
    archived = api.post(f"/api/v1/channels/{line.pk}/archive/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert api.get(f"/api/v1/channels/{line.pk}/").json()["headroom"] == "0.00"
    assert len(api.get("/api/v1/channels/?archived=no").json()["results"]) == 0
    assert len(api.get("/api/v1/channels/").json()["results"]) == 1  # the API answers every row, as before
    assert api.post(f"/api/v1/channels/{line.pk}/restore/").json()["archived_at"] is None


def test_the_api_reverses_a_ledger_entry_once(analyst, viewer, line):
    entry = LedgerEntry.objects.get(channel=line)
    assert _api(viewer).post(f"/api/v1/ledger/{entry.pk}/reverse/").status_code == 403
    response = _api(analyst).post(f"/api/v1/ledger/{entry.pk}/reverse/")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["amount"], response.json()["reverses"]) == (
        "repay", "400000.00", entry.pk,
    )  # fmt: skip
    assert _api(analyst).post(f"/api/v1/ledger/{entry.pk}/reverse/").status_code == 400
    assert _api(analyst).get(f"/api/v1/channels/{line.pk}/").json()["drawn"] == "0.00"


def test_the_api_deletes_a_cash_flow_line_and_refuses_a_drilled_scenario(analyst, company):
    from contingency import drills
    from tests.factories import ScenarioFactory

    flow = CashFlowLineFactory(company=company)
    assert _api(analyst).delete(f"/api/v1/cash-flows/{flow.pk}/").status_code == 204
    scenario = ScenarioFactory(company=company)
    drills.drill_start(company=company, scenario=scenario, enqueue=False)
    refused = _api(analyst).delete(f"/api/v1/scenarios/{scenario.pk}/")
    assert refused.status_code == 400 and "drill runs" in str(refused.json())


def test_archiving_and_reversing_are_in_the_channels_history(web_as, analyst, line):
    from auditlog.models import LogEntry

    client = web_as(analyst)
    entry = LedgerEntry.objects.get(channel=line)
    client.post(reverse("channels:ledger-reverse", args=[entry.pk]))
    client.post(reverse("channels:channel-archive", args=[line.pk]))
    page = _text(client.get(reverse("channels:channel-detail", args=[line.pk])))
    history = page[page.index('id="history-title"') :]
    assert "Archived at" in history
    reversal = LedgerEntry.objects.get(reverses=entry)
    assert (reversal.kind, reversal.amount) == ("repay", D("400000.00"))
    assert escape(str(reversal)) in history  # the reversal, recorded as a new entry
    updates = LogEntry.objects.get_for_object(line).filter(action=LogEntry.Action.UPDATE)
    archived = updates.filter(changes__icontains="archived_at").get()
    assert archived.actor == analyst


def test_archived_objects_are_not_offered_in_choices_except_the_one_held(web_as, analyst, company, line):
    from contingency import services as contingency_services
    from tests.factories import LiquidityPoolFactory, ScenarioFactory

    pool = LiquidityPoolFactory(company=company, name="Backup", kind="backup_line", channel=line)
    services.channel_archive(channel=line, by=analyst)
    old = ScenarioFactory(company=company, name="Old stress")
    contingency_services.scenario_archive(scenario=old, by=analyst)
    ScenarioFactory(company=company, name="Current stress")
    client = web_as(analyst)
    option = f'<option value="{line.pk}"'
    assert option not in _text(client.get(reverse("contingency:pool-add")))
    assert option in _text(client.get(reverse("contingency:pool-edit", args=[pool.pk])))  # the pool holds it
    start = _text(client.get(reverse("contingency:drill-add")))
    assert "Current stress" in start and "Old stress" not in start


def test_the_erp_export_says_which_channels_are_archived(viewer, analyst, line):
    import json

    services.channel_archive(channel=line, by=analyst)
    response = _api(viewer).get("/api/v1/exports/channels/", {"format": "json"})
    (row,) = json.loads(b"".join(response.streaming_content))
    assert row["archived_at"] is not None
    assert (row["drawn"], row["headroom"]) == ("400000.00", "0.00")  # still owed; no headroom while archived
