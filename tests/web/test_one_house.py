"""One home for each rule (issue 13 items 3-4): the model says it, and forms, the API and the database agree.

Names are unique in a company whatever their letter case — a database constraint whose one message, next to
`name`, is what the pages and the API show; the API's serializers run the model's own checks.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from channels_app.models import Counterparty
from contingency.models import LiquidityPool
from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = pytest.mark.django_db


def import_page() -> str:
    return reverse("contingency:import-add")


def test_the_database_refuses_a_name_that_differs_only_in_case(company, other_company):
    CounterpartyFactory(company=company, name="Bank of Ningbo")
    CounterpartyFactory(company=other_company, name="BANK OF NINGBO")  # another company's names are its own
    with pytest.raises(IntegrityError), transaction.atomic():
        Counterparty.objects.create(company=company, name="bank of ningbo", kind="bank")


def test_the_api_refuses_a_case_variant_next_to_the_name(company, analyst, api_as):
    FundingChannelFactory(company=company, name="Revolver")
    pool = LiquidityPoolFactory(company=company, name="Cash")
    client = api_as(analyst)
    lender = client.post("/api/v1/counterparties/", {"name": "Bank A", "kind": "bank"}).json()
    response = client.post("/api/v1/counterparties/", {"name": "BANK a", "kind": "bank"})
    assert response.status_code == 400
    assert response.json() == {"name": ["There is already a counterparty called BANK a."]}
    body = {"name": "cash", "kind": "deposit", "currency": "CNY", "amount": "1.00"}
    response = client.post("/api/v1/pools/", body, format="json")
    assert response.status_code == 400 and response.json() == {"name": ["There is already a pool called cash."]}
    # Renaming a row to its own name in another case is no clash with itself.
    renamed = client.patch(f"/api/v1/counterparties/{lender['id']}/", {"name": "bank a"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "bank a"
    assert client.patch(f"/api/v1/pools/{pool.pk}/", {"name": "CASH"}).status_code == 200


def test_the_pages_refuse_a_case_variant_with_the_models_message(company, analyst, web_as):
    LiquidityPoolFactory(company=company, name="Cash")
    body = {"name": "CASH", "kind": "cash", "currency": "CNY", "amount": "1", "haircut": "0", "days_to_cash": "0"}
    response = web_as(analyst).post(reverse("contingency:pool-add"), body)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="id_name_error"' in page
    assert "There is already a pool called CASH." in page
    assert LiquidityPool.objects.filter(company=company).count() == 1


def test_one_upload_limit_on_the_page_and_the_api(company, analyst, web_as, api_as, settings):
    """10 MB (README): one CSV of 100,000 cash-flow lines (the row limit) fits; the page and the API share it."""
    assert settings.MAX_UPLOAD_BYTES == 10 * 1024 * 1024
    big = b"name,kind\n" + b"x" * settings.MAX_UPLOAD_BYTES
    upload = SimpleUploadedFile("big.csv", big, content_type="text/csv")
    page = web_as(analyst).post(import_page(), {"dataset": "counterparties", "file": upload})
    assert page.status_code == 200 and "The file is larger than 10 MB." in page.content.decode()
    upload = SimpleUploadedFile("big.csv", big, content_type="text/csv")
    response = api_as(analyst).post("/api/v1/imports/counterparties/", {"file": upload}, format="multipart")
    assert response.status_code == 400 and "larger than 10 MB" in str(response.json())


def test_labels_come_from_the_models_in_both_languages(company):
    """The pages' labels are the models' verbose names: the same words as before, in English and in Chinese."""
    from django.utils import translation

    from channels_app.forms import FundingChannelForm
    from contingency.models import Scenario

    form = FundingChannelForm(company=company)
    assert str(form.fields["annual_rate"].label) == "Annual rate"
    assert str(form.fields["notice_days"].label) == "Notice period (days)"
    assert str(form.fields["limit"].label) == "Limit"
    assert str(form.fields["annual_rate"].help_text) == "All-in annual rate in %: 4.5 = 4.5 % a year"
    with translation.override("zh-hans"):
        assert str(form.fields["start_date"].label) == "起始日"
        assert str(Scenario._meta.get_field("as_of").verbose_name) == "基准日（第 0 天）"
        assert str(Counterparty._meta.verbose_name_plural) == "交易对手"
