"""Issue 9 item 9 (the parts in the export, e-mail, page-argument and error-handler code): hostile values get a clear
answer or are handled, never a 500 or a forged header."""

import io

import openpyxl
import pytest
from django.http import HttpResponse
from django.urls import path

import financeplanner.urls as project_urls
from contingency.early_warnings.notifications import send_alert_email_task
from contingency.models import Alert
from tests.factories import CounterpartyFactory, FundingChannelFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_control_character_in_names_does_not_make_the_xlsx_export_a_500(company, viewer, api_as):
    lender = CounterpartyFactory(company=company, name="Bank\x01 of\x0b Ningbo")
    FundingChannelFactory(company=company, counterparty=lender, name="Line\x02\x1f A")
    response = api_as(viewer).get("/api/v1/exports/channels/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = [cell.value for cell in sheet[2]]
    assert row[header.index("name")] == "Line A"
    assert row[header.index("counterparty_name")] == "Bank of Ningbo"


def test_crlf_in_a_company_name_does_not_reach_an_email_header(company, mailoutbox):
    company.name = "Acme\r\nBcc: attacker@example.com\r\nX-Injected: yes"
    company.save()
    MembershipFactory(company=company, role="admin", user=UserFactory(username="boss", email="boss@example.com"))
    alert = Alert.objects.create(company=company, indicator="hhi_lender", severity="red", message="concentrated")
    send_alert_email_task.apply(args=(alert.pk, "raised"))
    (mail,) = mailoutbox
    assert mail.to == ["boss@example.com"] and mail.bcc == []
    message = mail.message()
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "Acme Bcc: attacker@example.com X-Injected: yes" in mail.subject


@pytest.mark.parametrize("value", ["²", "١", "1e3", "-1", "x"])
def test_drill_compare_with_a_non_ascii_or_odd_id_is_a_404_not_a_500(value, company, treasurer, client):
    client.force_login(treasurer)
    response = client.get("/drills/compare/", {"a": value, "b": "1"})
    assert response.status_code == 404


def _boom(request):
    raise RuntimeError("an unexpected fault")


urlpatterns = [
    path("api/v1/boom/", _boom),
    path("boom/", _boom),
    *project_urls.urlpatterns,
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.mark.urls(__name__)
def test_an_unexpected_api_error_is_a_json_500_and_a_page_error_stays_html(client):
    client.raise_request_exception = False
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error."}
    page = client.get("/boom/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert isinstance(page, HttpResponse)
