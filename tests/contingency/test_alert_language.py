"""Alerts read in the reader's language (issue 11 item 13): an alert keeps its message as an English template and
its values, so the alert list and the dashboard show it in Chinese to a Chinese reader and in English to an English
one; the API keeps the English `message`; an alert e-mail says it in both; no raw code (`bank_term_loan`) in it."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from channels_app.services import channel_draw, channel_event_record
from contingency.early_warnings.alerts import evaluate_company
from contingency.early_warnings.notifications import alert_email_send
from contingency.models import Alert
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_as():
    def signed_in(user, **headers) -> Client:
        client = Client(**headers)
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def concentrated(company, treasurer):
    """One bank term loan drawn to 90 %: every drawn yuan with one lender and one type (HHI 10,000, red)."""
    bank = CounterpartyFactory(company=company, name="Harbour Bank")
    line = FundingChannelFactory(company=company, counterparty=bank, name="Harbour term loan",
                                 channel_type="bank_term_loan", limit=Decimal("1000000"))  # fmt: skip
    channel_draw(channel=line, amount=Decimal("900000"), date=date(2026, 1, 1), by=treasurer)
    evaluate_company(company=company, today=date(2026, 1, 5))
    return line


def test_an_alert_is_shown_in_the_readers_language(concentrated, web_as, viewer):
    alert = Alert.objects.get(indicator="hhi_type")
    assert alert.message == "Funding concentration by channel type is HHI 10,000 (largest: Bank term loan)."

    chinese = web_as(viewer, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/alerts/").content.decode()
    assert "按渠道类型的融资集中度 HHI 为 10,000（最大：银行定期贷款）。" in chinese
    assert "Funding concentration by channel type" not in chinese
    english = web_as(viewer, HTTP_ACCEPT_LANGUAGE="en").get("/alerts/").content.decode()
    assert "Funding concentration by channel type is HHI 10,000 (largest: Bank term loan)." in english

    dashboard = web_as(viewer, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/").content.decode()
    assert "按贷款方的融资集中度 HHI 为 10,000（最大：Harbour Bank）。" in dashboard


def test_no_raw_code_in_an_alert(concentrated):
    for alert in Alert.objects.all():
        assert "bank_term_loan" not in alert.message
        assert "_" not in alert.display_message.replace("Harbour term loan", "")


def test_the_api_keeps_the_english_message(concentrated, api_as, viewer):
    rows = api_as(viewer).get("/api/v1/alerts/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    messages = {row["indicator"]: row["message"] for row in rows}
    assert messages["hhi_type"] == "Funding concentration by channel type is HHI 10,000 (largest: Bank term loan)."


def test_a_lender_action_alert_in_chinese(company, treasurer, web_as, viewer):
    bank = CounterpartyFactory(company=company, name="Harbour Bank")
    line = FundingChannelFactory(company=company, counterparty=bank, name="Harbour revolver", limit=Decimal("2000000"))
    channel_event_record(channel=line, kind="reduce", date=date(2026, 1, 2), new_limit=Decimal("1500000"),
                         reason="年度复核", by=treasurer)  # fmt: skip
    alert = Alert.objects.get(indicator="lender_action")
    assert alert.message == (
        "Harbour Bank reduced Harbour revolver on 2026-01-02: limit CNY 2,000,000.00 → CNY 1,500,000.00. "
        "Reason: 年度复核"
    )
    page = web_as(viewer, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/alerts/").content.decode()
    assert (
        "Harbour Bank 于 2026-01-02 压降了 Harbour revolver 的额度：CNY 2,000,000.00 → CNY 1,500,000.00。原因：年度复核"
        in page
    )
    assert "已记录贷款方行动" in page  # the indicator's name


def test_an_alert_email_says_it_in_english_and_chinese(company, treasurer, concentrated):
    alert = Alert.objects.get(indicator="hhi_type")
    assert alert_email_send(alert_id=alert.pk, event="raised") == 1  # the treasurer, by role
    body = mail.outbox[-1].body
    assert "Funding concentration by channel type is HHI 10,000 (largest: Bank term loan)." in body
    assert "按渠道类型的融资集中度 HHI 为 10,000（最大：银行定期贷款）。" in body
    assert "请在 financeplanner 的预警页面确认。" in body


def test_an_alert_raised_before_templates_were_kept_shows_its_message(company, web_as, viewer):
    Alert.objects.create(company=company, indicator="runway", severity="red", message="Runway is short.")
    page = web_as(viewer, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/alerts/").content.decode()
    assert "Runway is short." in page


def test_the_live_drill_checklist_is_in_the_readers_language(company, treasurer, web_as, viewer):
    """The checklist is made when the drill starts (here from a Chinese page's request); each reader sees it in
    their own language, the pool's name as the company typed it."""
    from django.utils import translation

    from contingency import drills
    from contingency.services import plan_save, scenario_save
    from tests.factories import LiquidityPoolFactory

    fund = LiquidityPoolFactory(company=company, name="Money-market fund", kind="money_market_fund")
    plan = plan_save(company=company, by=treasurer, name="Playbook", trigger="on_shock",
                     steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 2},
                            {"order": 2, "action": "cut_discretionary", "amount": Decimal("1000")}])  # fmt: skip
    scenario = scenario_save(company=company, by=treasurer, name="Nothing happens", as_of=date(2026, 1, 1),
                             horizon_days=30)  # fmt: skip
    with translation.override("zh-hans"):
        run = drills.drill_start(company=company, scenario=scenario, plan=plan, by=treasurer, enqueue=False)
    drills.drill_run_here(drills.claim(run.pk))
    assert [item.title for item in run.checklist.order_by("order")] == [
        "Confirm same-day redemption terms: Money-market fund",
        "Confirm step 2 can be executed: Cut discretionary spending",
        "Lender and bank contacts confirmed",
        "Facility documents and mandates in place",
    ]
    page = web_as(viewer, HTTP_ACCEPT_LANGUAGE="zh-hans").get(f"/drills/{run.pk}/").content.decode()
    for title in ("确认当日赎回条款：Money-market fund", "确认第 2 步可以执行：削减可自由支配支出", "已确认贷款方和银行的联系人",
                  "授信文件和授权书已备妥"):  # fmt: skip
        assert title in page
    english = web_as(viewer, HTTP_ACCEPT_LANGUAGE="en").get(f"/drills/{run.pk}/").content.decode()
    assert "Confirm step 2 can be executed: Cut discretionary spending" in english
