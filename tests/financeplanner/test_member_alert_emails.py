"""The members API shows each member's alert e-mail choice (`alert_emails`: true, false, or null = as their role has
it); each member changes only their own, as on the settings page; an admin changes roles but not others' choice."""

import pytest

from financeplanner.models import Membership

pytestmark = pytest.mark.django_db

URL = "/api/v1/companies/acme/members/"


def choice_of(company, user):
    return Membership.objects.get(company=company, user=user).alert_emails


def test_a_member_chooses_their_own_alert_emails(company, company_admin, viewer, api_as):
    client = api_as(viewer)
    answer = client.patch(f"{URL}vera-viewer/", {"alert_emails": True}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {
        "username": "vera-viewer",
        "role": "viewer",
        "notify_on_failed_drill": False,
        "alert_emails": True,
    }
    assert choice_of(company, viewer) is True
    assert client.patch(f"{URL}vera-viewer/", {"alert_emails": None}, format="json").json()["alert_emails"] is None
    assert choice_of(company, viewer) is None  # back to "as my role has it"
    assert client.patch(f"{URL}vera-viewer/", {"alert_emails": "maybe"}, format="json").status_code == 400
    # Every member sees everyone's choice.
    client.patch(f"{URL}vera-viewer/", {"alert_emails": False}, format="json")
    listed = {m["username"]: m["alert_emails"] for m in client.get(URL).json()}
    assert listed == {"ada-admin": None, "vera-viewer": False}


def test_nobody_changes_another_members_choice_nor_their_own_role_without_being_admin(
    company, company_admin, viewer, analyst, api_as
):
    assert api_as(analyst).patch(f"{URL}vera-viewer/", {"alert_emails": True}, format="json").status_code == 403
    admin = api_as(company_admin)
    assert admin.patch(f"{URL}vera-viewer/", {"alert_emails": True}, format="json").status_code == 403
    assert (
        admin.patch(f"{URL}vera-viewer/", {"role": "analyst", "alert_emails": True}, format="json").status_code == 403
    )
    assert choice_of(company, viewer) is None
    assert Membership.objects.get(company=company, user=viewer).role == "viewer"  # all or nothing
    # A member's own choice does not come with a role: a non-admin asking for one is refused, and nothing changes.
    mixed = api_as(viewer).patch(f"{URL}vera-viewer/", {"alert_emails": True, "role": "admin"}, format="json")
    assert mixed.status_code == 403
    assert choice_of(company, viewer) is None and Membership.objects.get(company=company, user=viewer).role == "viewer"
    # The admin still changes roles, and their own choice.
    assert admin.patch(f"{URL}vera-viewer/", {"role": "analyst"}, format="json").json()["role"] == "analyst"
    own = admin.patch(f"{URL}ada-admin/", {"alert_emails": False}, format="json")
    assert own.status_code == 200 and own.json()["alert_emails"] is False and own.json()["role"] == "admin"
    assert choice_of(company, company_admin) is False
