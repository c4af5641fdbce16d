"""The settings pages (issue 11 items 2 and 7): FX rates and what a line without one does, the liquidity policy,
members and roles, API keys, early-warning thresholds, alert e-mails, webhooks and chat robots.

Expected figures are computed by hand from the rows each test makes; the roles are the API's (DESIGN.md's table).
"""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from channels_app.services import channel_draw
from contingency import drills
from contingency.early_warnings.notifications import alert_recipients
from contingency.models import AlertRobot, WarningThreshold, Webhook
from financeplanner.apikeys import apikey_lookup
from financeplanner.models import ApiKey, Company, FxRate, Invitation, Membership
from tests.factories import (
    AlertFactory,
    CashFlowLineFactory,
    FundingChannelFactory,
    FxRateFactory,
    LiquidityPoolFactory,
    ScenarioFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def text(response) -> str:
    return response.content.decode()


def kpi(html: str, label: str) -> str:
    """The figure of a dashboard tile, by its label."""
    match = re.search(re.escape(label) + r"</dt><dd>([^<]*)</dd>", html)
    assert match, f"no tile {label!r}"
    return match.group(1).strip()


@pytest.fixture
def book(company):
    """In CNY: a line of 1,000,000 with 250,000 drawn and a cash pool of 500,000. In USD: a line of 100,000, a cash
    pool of 10,000 and a monthly receipt of 2,000 — no USD rate yet."""
    cny = FundingChannelFactory(company=company, name="Yuan revolver", limit=Decimal("1000000.00"))
    channel_draw(channel=cny, amount=Decimal("250000.00"), date=date(2026, 2, 1), by=None)
    usd = FundingChannelFactory(company=company, name="Dollar revolver", currency="USD", limit=Decimal("100000.00"))
    LiquidityPoolFactory(company=company, name="Yuan cash", kind="cash", amount=Decimal("500000.00"), haircut=0)
    LiquidityPoolFactory(company=company, name="Dollar cash", kind="cash", currency="USD", amount=Decimal("10000.00"))
    CashFlowLineFactory(company=company, name="Dollar receipts", currency="USD", amount=Decimal("2000.00"))
    return {"cny": cny, "usd": usd}


# -- item 2: a line without an FX rate ----------------------------------------------------------------------------


def test_a_line_without_a_rate_is_left_out_of_the_dashboard_which_says_so(book, viewer, web_as):
    html = text(web_as(viewer).get(reverse("dashboard")))
    # Never blank: the CNY line and pool are counted (1,000,000 limit, 250,000 drawn, 500,000 cash).
    assert kpi(html, "Total credit limits") == "1,000,000"
    assert kpi(html, "Drawn") == "250,000"
    assert kpi(html, "Liquidity (cash after haircut)") == "500,000"
    banner = html[html.index('class="alert alert--warning fx-missing"') :]
    banner = banner[: banner.index("</div>")]
    assert "No FX rate for USD: the totals below exclude 3 lines" in banner
    for name in ("Dollar revolver", "Dollar cash", "Dollar receipts"):
        assert name in banner
    assert "Yuan" not in banner
    assert reverse("settings:fxrate-list") in banner


def test_each_list_and_detail_warns_beside_the_line_without_a_rate(book, viewer, web_as):
    client = web_as(viewer)
    warning = "No FX rate for USD"
    channels = text(client.get(reverse("channels:channel-list")))
    assert channels.count(warning) == 1
    row = channels[channels.index("Dollar revolver") :]
    assert row.index(warning) < row.index("</tr>")
    assert warning in text(client.get(reverse("channels:channel-detail", args=[book["usd"].pk])))
    assert warning not in text(client.get(reverse("channels:channel-detail", args=[book["cny"].pk])))
    assert text(client.get(reverse("contingency:pool-list"))).count(warning) == 1
    assert text(client.get(reverse("contingency:cashflow-list"))).count(warning) == 1


def test_with_its_rate_the_line_counts_and_the_warnings_go(book, analyst, web_as):
    client = web_as(analyst)
    response = client.post(
        reverse("settings:fxrate-add"), {"currency": "USD", "as_of": "2026-01-02", "rate": "7.1"}, follow=True
    )
    assert response.status_code == 200
    assert FxRate.objects.get(company=book["usd"].company).rate == Decimal("7.1")
    html = text(client.get(reverse("dashboard")))
    assert "fx-missing" not in html
    # 1,000,000 + 100,000 × 7.1 = 1,710,000; cash 500,000 + 10,000 × 7.1 = 571,000.
    assert kpi(html, "Total credit limits") == "1,710,000"
    assert kpi(html, "Liquidity (cash after haircut)") == "571,000"
    assert "No FX rate for USD" not in text(client.get(reverse("channels:channel-list")))


def test_the_fx_page_shows_the_rate_a_drill_on_a_day_uses(company, book, viewer, web_as):
    FxRateFactory(company=company, currency="USD", as_of=date(2026, 1, 2), rate=Decimal("7.10"))
    FxRateFactory(company=company, currency="USD", as_of=date(2026, 3, 1), rate=Decimal("7.25"))
    FxRateFactory(company=company, currency="EUR", as_of=TODAY + timedelta(days=30), rate=Decimal("7.9"))
    client = web_as(viewer)

    def in_use(query: str) -> dict[str, str]:
        html = text(client.get(reverse("settings:fxrate-list") + query))
        table = html[html.index('id="rates-in-use"') : html.index("</table>", html.index('id="rates-in-use"'))]
        rows = re.findall(r'data-currency="(\w+)">\s*<th scope="row">\w+</th>\s*(.*?)</tr>', table, re.S)
        return {currency: " ".join(re.sub(r"<[^>]+>", " ", cells).split()) for currency, cells in rows}

    on_feb = in_use("?as_of=2026-02-15")
    assert on_feb["USD"].startswith("7.1 2026-01-02")
    assert on_feb["EUR"].startswith("No rate")  # dated after the day: not known yet
    assert in_use("?as_of=2026-03-01")["USD"].startswith("7.25 2026-03-01")
    assert list(on_feb) == ["USD", "EUR"]  # common currencies first


def test_a_drill_is_refused_naming_the_currency_and_the_day(company, book, analyst, web_as):
    scenario = ScenarioFactory(company=company, name="Base", as_of=date(2026, 3, 1))
    with pytest.raises(Exception) as refused:
        drills.drill_start(company=company, scenario=scenario, enqueue=False)
    message = " ".join(refused.value.message_dict["currency"])
    assert "No FX rate from USD to CNY known on 2026-03-01" in message
    assert "Dollar revolver" in message and "Dollar cash" in message and "Dollar receipts" in message

    api = APIClient()
    api.force_authenticate(analyst)
    response = api.post("/api/v1/drills/", {"scenario": scenario.pk}, format="json")
    assert response.status_code == 400
    assert "USD" in " ".join(response.json()["currency"])

    page = web_as(analyst).post(reverse("contingency:drill-add"), {"scenario": scenario.pk, "paths": 1, "seed": 1})
    assert page.status_code == 200
    html = text(page)
    assert "No FX rate from USD to CNY known on 2026-03-01" in html
    assert reverse("settings:fxrate-list") in html

    FxRateFactory(company=company, currency="USD", as_of=date(2026, 2, 28), rate=Decimal("7.1"))
    assert drills.drill_start(company=company, scenario=scenario, enqueue=False).pk


def test_common_currencies_come_first_in_every_currency_select(analyst, web_as):
    client = web_as(analyst)
    for url in (reverse("channels:channel-add"), reverse("settings:fxrate-add"), reverse("contingency:pool-list")):
        html = text(client.get(url))
        select = html[html.index('name="currency"') :]
        codes = re.findall(r'<option value="([A-Z]{3})"', select[: select.index("</select>")])
        assert codes[:7] == ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "AED"], url


# -- item 7: the liquidity policy -----------------------------------------------------------------------------------


def test_an_admin_sets_the_policy_in_percent_and_the_api_sees_it(company, company_admin, viewer, web_as):
    response = web_as(company_admin).post(
        reverse("settings:policy"),
        {
            "survival_horizon_days": "30",
            "min_cash_buffer": "50000",
            "target_survival_percent": "97.5",
            "domestic_notch_offset": "6",
        },
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.survival_horizon_days, company.min_cash_buffer) == (30, Decimal("50000.00"))
    assert company.target_survival_probability == Decimal("0.9750")
    api = APIClient()
    api.force_authenticate(viewer)
    assert api.get("/api/v1/companies/acme/").json()["target_survival_probability"] == "0.9750"
    overview = text(web_as(viewer).get(reverse("settings:index")))
    assert "97.5%" in overview and "Only an admin changes the policy." in overview


def test_the_policy_form_shows_the_probability_as_a_percentage_and_refuses_above_100(company_admin, web_as):
    client = web_as(company_admin)
    assert 'value="99"' in text(client.get(reverse("settings:policy")))
    response = client.post(
        reverse("settings:policy"),
        {"survival_horizon_days": "90", "min_cash_buffer": "0", "target_survival_percent": "150"},
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100" in text(response)
    assert Company.objects.get(slug="acme").target_survival_probability == Decimal("0.99")


def test_only_an_admin_opens_the_policy_form(treasurer, web_as):
    assert web_as(treasurer).get(reverse("settings:policy")).status_code == 403


# -- members and roles ------------------------------------------------------------------------------------------------


def test_an_admin_invites_changes_a_role_and_removes_a_member(company, company_admin, viewer, web_as):
    UserFactory(username="nina-new")
    client = web_as(company_admin)
    response = client.post(reverse("settings:member-add"), {"username": "nina-new", "role": "analyst"}, follow=True)
    assert "If nina-new has an account and is not yet a member" in text(response)
    assert Invitation.objects.get(user__username="nina-new").role == "analyst"
    assert "nina-new" in text(client.get(reverse("settings:member-list")))  # pending invitations

    member = Membership.objects.get(user=viewer)
    assert client.post(reverse("settings:member-edit", args=[member.pk]), {"role": "treasurer"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "treasurer"
    assert client.post(reverse("settings:member-delete", args=[member.pk])).status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_the_last_admin_can_neither_step_down_nor_leave(company_admin, web_as):
    client = web_as(company_admin)
    me = Membership.objects.get(user=company_admin)
    response = client.post(reverse("settings:member-edit", args=[me.pk]), {"role": "viewer"})
    assert response.status_code == 200 and "A company must keep at least one admin." in text(response)
    response = client.post(reverse("settings:member-delete", args=[me.pk]))
    assert response.status_code == 200 and "A company must keep at least one admin." in text(response)
    me.refresh_from_db()
    assert me.role == "admin"


def test_any_member_may_leave_but_not_remove_another(viewer, analyst, company_admin, web_as):
    client = web_as(viewer)
    other = Membership.objects.get(user=analyst)
    assert client.post(reverse("settings:member-delete", args=[other.pk])).status_code == 403
    mine = Membership.objects.get(user=viewer)
    assert client.post(reverse("settings:member-delete", args=[mine.pk])).status_code == 302
    assert not Membership.objects.filter(pk=mine.pk).exists()


# -- API keys ---------------------------------------------------------------------------------------------------------


def test_an_api_key_is_shown_once_and_listed_by_its_prefix(company_admin, web_as):
    client = web_as(company_admin)
    response = client.post(reverse("settings:apikey-add"), {"name": "SAP nightly pull"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    plain = re.search(r'value="(fp_[0-9a-f]{8}\.[^"]+)"', text(response)).group(1)
    key = apikey_lookup(plain)
    assert key is not None and key.name == "SAP nightly pull"
    listing = text(client.get(reverse("settings:apikey-list")))
    secret = plain.partition(".")[2]
    assert f"fp_{key.prefix}" in listing and secret not in listing
    assert "never" in listing  # not used yet

    assert client.post(reverse("settings:apikey-revoke", args=[key.pk])).status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert apikey_lookup(plain) is None


def test_only_admins_see_the_api_keys_webhooks_and_robots(treasurer, web_as):
    client = web_as(treasurer)
    for name in ("settings:apikey-list", "contingency:webhook-list", "contingency:alertrobot-list"):
        assert client.get(reverse(name)).status_code == 403, name
    overview = text(client.get(reverse("settings:index")))
    assert reverse("settings:apikey-list") not in overview and reverse("settings:fxrate-list") in overview


# -- early-warning thresholds -----------------------------------------------------------------------------------------


def test_a_treasurer_changes_a_threshold_and_the_page_shows_it(company, treasurer, viewer, web_as):
    listing = text(web_as(viewer).get(reverse("contingency:threshold-list")))
    row = listing[listing.index('data-indicator="headroom_ratio"') :]
    assert "25%" in row[: row.index("</tr>")]  # the documented default, 0.25, in percent
    client = web_as(treasurer)
    page = text(client.get(reverse("contingency:threshold-edit")))
    # Keep every indicator on, as the page shows them, and change one level.
    data = {name: "on" for name in re.findall(r'name="([\w-]+-enabled)"', page)}
    data["headroom_ratio-amber"] = "30"  # in percent
    assert client.post(reverse("contingency:threshold-edit"), data).status_code == 302
    row = WarningThreshold.objects.get(company=company)
    assert (row.indicator, row.amber, row.red, row.enabled) == ("headroom_ratio", Decimal("0.3"), None, True)


def test_thresholds_are_saved_all_or_nothing(company, treasurer, web_as):
    client = web_as(treasurer)
    page = text(client.get(reverse("contingency:threshold-edit")))
    data = {name: "on" for name in re.findall(r'name="([\w-]+-enabled)"', page)}
    data["hhi_lender-amber"] = "3000"  # valid
    data["headroom_ratio-amber"] = "5"  # 5 %: lower is worse, amber below the red 10 % is refused
    response = client.post(reverse("contingency:threshold-edit"), data)
    assert response.status_code == 200
    assert "amber must not be below red" in text(response)
    assert not WarningThreshold.objects.filter(company=company).exists()


def test_an_analyst_cannot_change_thresholds(analyst, web_as):
    assert web_as(analyst).get(reverse("contingency:threshold-edit")).status_code == 403


# -- who receives alert e-mails ---------------------------------------------------------------------------------------


def test_members_subscribe_and_unsubscribe_themselves(company, viewer, treasurer, web_as):
    viewer.email, treasurer.email = "vera@example.com", "tom@example.com"
    viewer.save()
    treasurer.save()
    alert = AlertFactory(company=company, indicator="headroom_ratio")
    assert alert_recipients(alert) == ["tom@example.com"]  # by role: treasurers receive them
    response = web_as(viewer).post(reverse("contingency:alert-emails"), {"alert_emails": "yes"})
    assert response.status_code == 302
    assert web_as(treasurer).post(reverse("contingency:alert-emails"), {"alert_emails": "no"}).status_code == 302
    assert alert_recipients(alert) == ["vera@example.com"]
    page = text(web_as(viewer).get(reverse("contingency:alert-emails")))
    vera = page[page.index('data-member="vera-viewer"') :]
    assert "yes" in vera[: vera.index("</tr>")]


# -- webhooks and robots ----------------------------------------------------------------------------------------------


def test_a_webhook_secret_is_shown_once_and_never_again(company, company_admin, web_as):
    client = web_as(company_admin)
    response = client.post(
        reverse("contingency:webhook-add"), {"name": "ERP", "url": "https://erp.example.com/hooks", "enabled": "on"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    webhook = Webhook.objects.get(company=company)
    assert webhook.secret in text(response)
    assert webhook.secret not in text(client.get(reverse("contingency:webhook-list")))
    assert webhook.secret not in text(client.get(reverse("contingency:webhook-edit", args=[webhook.pk])))


def test_a_webhook_must_be_a_public_https_address(company, company_admin, web_as, settings):
    settings.WEBHOOK_ALLOW_HTTP = False  # production's default (DEBUG off)
    client = web_as(company_admin)
    response = client.post(reverse("contingency:webhook-add"), {"name": "ERP", "url": "http://erp.example.com/h"})
    assert response.status_code == 200 and "Use an https:// address." in text(response)
    response = client.post(reverse("contingency:webhook-add"), {"name": "ERP", "url": "https://127.0.0.1/h"})
    assert "Webhooks go to public addresses only" in text(response)
    assert not Webhook.objects.exists()


def test_a_robots_address_and_secret_are_never_shown_back(company, company_admin, web_as):
    client = web_as(company_admin)
    url = "https://oapi.dingtalk.com/robot/send?access_token=tok3n"
    response = client.post(
        reverse("contingency:alertrobot-add"),
        {"name": "Treasury group", "kind": "dingtalk", "url": url, "secret": "SECsecret", "enabled": "on"},
    )
    assert response.status_code == 302
    robot = AlertRobot.objects.get(company=company)
    for page in (reverse("contingency:alertrobot-list"), reverse("contingency:alertrobot-edit", args=[robot.pk])):
        html = text(client.get(page))
        assert "tok3n" not in html and "SECsecret" not in html
    assert "https://oapi.dingtalk.com/robot/send?…" in text(client.get(reverse("contingency:alertrobot-list")))
    # An edit that leaves the address and the secret empty keeps them.
    response = client.post(
        reverse("contingency:alertrobot-edit", args=[robot.pk]),
        {"name": "Treasury", "kind": "dingtalk", "enabled": "on"},
    )
    assert response.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.url, robot.secret) == ("Treasury", url, "SECsecret")
    response = client.post(
        reverse("contingency:alertrobot-add"),
        {"name": "WeCom", "kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"},
    )
    assert "A WeCom robot&#x27;s address carries its key" in text(response)
