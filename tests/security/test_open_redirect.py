"""Attack: a form's `next` must never send the browser to another site (an open redirect lends our address to a
phishing page). Each form that follows `next` is posted a foreign URL and must land on its own default page."""

import pytest
from django.urls import reverse

from tests.factories import AlertFactory

FOREIGN = ["https://evil.example/login", "//evil.example/", "https:evil.example", "/\\evil.example"]


@pytest.mark.parametrize("target", FOREIGN)
def test_acknowledging_an_alert_never_redirects_off_site(web_as, analyst, company, target):
    alert = AlertFactory(company=company)
    response = web_as(analyst).post(reverse("contingency:alert-acknowledge", args=[alert.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("contingency:alert-list")
    alert.refresh_from_db()
    assert alert.acknowledged_by == analyst


def test_acknowledging_an_alert_follows_a_next_of_this_site(web_as, analyst, company):
    alert = AlertFactory(company=company)
    here = reverse("dashboard")
    response = web_as(analyst).post(reverse("contingency:alert-acknowledge", args=[alert.pk]), {"next": here})
    assert response["Location"] == here


@pytest.mark.parametrize("target", FOREIGN)
def test_choosing_a_company_never_redirects_off_site(web_as, analyst, company, target):
    response = web_as(analyst).post(reverse("choose-company"), {"company": company.slug, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
