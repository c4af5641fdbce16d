"""Membership needs consent: admins invite, the invitee accepts or declines, members leave; usernames stay private."""

import pytest

from financeplanner.models import Invitation, Membership
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def invite(client, username, role="analyst", slug="acme"):
    return client.post(f"/api/v1/companies/{slug}/members/", {"username": username, "role": role}, format="json")


def test_adding_a_user_only_invites_them_and_they_join_by_accepting(company, company_admin, outsider, api_as):
    response = invite(api_as(company_admin), "otto-outsider")
    assert response.status_code == 202
    assert not Membership.objects.filter(company=company, user=outsider).exists()
    # The invitee's token calls without X-Company keep working: they are still in one company only.
    assert api_as(outsider).get("/api/v1/counterparties/").status_code == 200

    pending = api_as(outsider).get("/api/v1/invitations/").json()["results"]
    assert [(i["company"], i["role"], i["invited_by"], i["status"]) for i in pending] == [
        ("acme", "analyst", "ada-admin", "pending")
    ]
    accepted = api_as(outsider).post(f"/api/v1/invitations/{pending[0]['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Membership.objects.get(company=company, user=outsider).role == "analyst"
    assert api_as(outsider).get("/api/v1/invitations/").json()["results"] == []


def test_a_declined_invitation_adds_nobody(company, company_admin, outsider, api_as):
    invite(api_as(company_admin), "otto-outsider")
    invitation = Invitation.objects.get(user=outsider)
    assert api_as(outsider).post(f"/api/v1/invitations/{invitation.pk}/decline/").status_code == 204
    assert not Membership.objects.filter(company=company, user=outsider).exists()
    assert api_as(outsider).post(f"/api/v1/invitations/{invitation.pk}/accept/").status_code == 404  # not pending


def test_nobody_accepts_an_invitation_addressed_to_someone_else(company, company_admin, outsider, viewer, api_as):
    invite(api_as(company_admin), "otto-outsider")
    invitation = Invitation.objects.get(user=outsider)
    intruder = UserFactory(username="mallory")
    assert api_as(intruder).post(f"/api/v1/invitations/{invitation.pk}/accept/").status_code == 404
    assert api_as(intruder).get(f"/api/v1/invitations/{invitation.pk}/").status_code == 404
    assert not Membership.objects.filter(user=intruder).exists()


def test_inviting_an_unknown_and_a_known_username_answer_the_same(company, company_admin, outsider, viewer, api_as):
    client = api_as(company_admin)
    answers = {}
    for name in ("otto-outsider", "no-such-user-42", "vera-viewer"):  # a user, nobody, an existing member
        response = invite(client, name)
        answers[name] = (response.status_code, response.json() | {"username": "*"}, response["Content-Type"])
        answers[name][1]["detail"] = answers[name][1]["detail"].replace(repr(name), "*")
    assert answers["otto-outsider"] == answers["no-such-user-42"] == answers["vera-viewer"]
    assert answers["otto-outsider"][0] == 202
    assert Membership.objects.get(company=company, user=viewer).role == "viewer"  # not changed by an invitation


def test_only_admins_invite(company, analyst, api_as):
    assert invite(api_as(analyst), "someone").status_code == 403


def test_a_member_leaves_but_the_last_admin_cannot(company, company_admin, viewer, api_as):
    assert api_as(viewer).delete("/api/v1/companies/acme/members/vera-viewer/").status_code == 204
    assert not Membership.objects.filter(company=company, user=viewer).exists()
    last_admin = api_as(company_admin).delete("/api/v1/companies/acme/members/ada-admin/")
    assert last_admin.status_code == 400 and "admin" in str(last_admin.json())


def test_a_member_cannot_remove_others(company, analyst, viewer, api_as):
    assert api_as(analyst).delete("/api/v1/companies/acme/members/vera-viewer/").status_code == 403
    assert Membership.objects.filter(company=company, user=viewer).exists()


def test_admins_change_and_remove_members_and_the_list_keeps_its_fields(company, company_admin, viewer, api_as):
    client = api_as(company_admin)
    changed = client.patch("/api/v1/companies/acme/members/vera-viewer/", {"role": "treasurer"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "treasurer"
    listed = client.get("/api/v1/companies/acme/members/").json()
    assert {(m["username"], m["role"]) for m in listed} == {("ada-admin", "admin"), ("vera-viewer", "treasurer")}
    assert client.delete("/api/v1/companies/acme/members/vera-viewer/").status_code == 204


def test_invitations_page_accepts_and_declines(client, company, company_admin, api_as):
    invitee = UserFactory(username="nina-new")
    client.force_login(invitee)
    invite(api_as(company_admin), "nina-new", role="viewer")
    other = CompanyFactory(slug="globex", name="Globex")
    other_admin = MembershipFactory(company=other, role="admin", user=UserFactory(username="gus")).user
    invite(api_as(other_admin), "nina-new", role="analyst", slug="globex")

    page = client.get("/invitations/")
    assert page.status_code == 200
    assert "Acme Manufacturing" in page.content.decode() and "Globex" in page.content.decode()
    acme = Invitation.objects.get(company=company, user=invitee)
    globex = Invitation.objects.get(company=other, user=invitee)
    assert client.post("/invitations/", {"invitation": acme.pk, "answer": "accept"}).status_code == 302
    assert client.post("/invitations/", {"invitation": globex.pk, "answer": "decline"}).status_code == 302
    assert list(Membership.objects.filter(user=invitee).values_list("company__slug", "role")) == [("acme", "viewer")]
    assert client.post("/invitations/", {"invitation": "abc", "answer": "accept"}).status_code == 404
    intruder_invite = Invitation.objects.create(company=other, user=other_admin, role="viewer")
    assert client.post("/invitations/", {"invitation": intruder_invite.pk, "answer": "accept"}).status_code == 404


def test_invitations_page_speaks_chinese(client, company, company_admin, api_as):
    invitee = UserFactory(username="li-lei")
    invite(api_as(company_admin), "li-lei", role="viewer")
    client.force_login(invitee)
    page = client.get("/invitations/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "以下公司的管理员邀请您加入其资金管理团队" in page and "接受" in page and "拒绝" in page
