"""The plan page's governance: who may approve (four-eyes, said before anyone presses a button), the approval comment,
the version history and the changes since the approved version; the drill report's plan version line."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contingency import drills
from contingency.models import PlanVersion
from contingency.services import plan_save, scenario_save
from tests.conftest import _member
from tests.factories import CashFlowLineFactory, LiquidityPoolFactory
from tests.web.contingency_pages import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(company, treasurer):
    fund = LiquidityPoolFactory(company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"))
    return plan_save(
        company=company, by=treasurer, name="Playbook", trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3}],
    )  # fmt: skip


def test_the_author_sees_why_they_cannot_approve_and_a_second_treasurer_approves_with_a_comment(
    client, company, treasurer, draft
):
    url = reverse("contingency:plan-detail", args=[draft.pk])
    approve = reverse("contingency:plan-approve", args=[draft.pk])
    signed_in(client, treasurer)
    page = client.get(url).content.decode()
    assert "You saved version 1 of this plan, so another treasurer must approve it (four-eyes rule)." in page
    assert approve not in page  # no button to press for a refusal
    refused = client.post(approve, {"comment": "mine"}, follow=True).content.decode()
    assert "four-eyes rule" in refused
    draft.refresh_from_db()
    assert draft.status == "draft"

    second = _member(company, "treasurer", "tina-treasurer")
    signed_in(client, second)
    page = client.get(url).content.decode()
    assert approve in page and "Approve version 1" in page and 'name="comment"' in page
    done = client.post(approve, {"comment": "Redemption terms <checked>."}, follow=True).content.decode()
    assert "Approved version 1 of Playbook." in done
    assert "Redemption terms &lt;checked&gt;." in done  # the comment, escaped
    assert "Version 1, approved by tina-treasurer" in done
    assert PlanVersion.objects.get(plan=draft).approval_comment == "Redemption terms <checked>."


def test_the_page_shows_the_history_and_the_changes_since_the_approved_version(client, company, treasurer, draft):
    from contingency.services import plan_approve

    second = _member(company, "treasurer", "tina-treasurer")
    plan_approve(plan=draft, by=second, comment="OK")
    plan_save(
        company=company, by=treasurer, plan=draft, description="Fund first.",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": draft.steps.get().pool, "lead_time_days": 5},
               {"order": 2, "action": "cut_discretionary", "amount": Decimal("250000")}],
    )  # fmt: skip
    signed_in(client, second)
    page = client.get(reverse("contingency:plan-detail", args=[draft.pk])).content.decode()
    assert "Changes since the approved version: version 1 → version 2" in page
    assert "Description changed" in page and "Fund first." in page
    assert "Step 1 changed" in page and "Lead time (days)" in page
    assert "Step 2 added: Cut discretionary spending" in page
    assert "Version history" in page and "First version" in page and "“OK”" in page
    assert "Approve version 2" in page  # the second treasurer saved nothing since the approval


def test_governance_speaks_chinese(client, company, treasurer, draft):
    signed_in(client, treasurer)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("contingency:plan-detail", args=[draft.pk])).content.decode()
    assert "您保存了此预案的第 1 版，因此必须由另一位资金主管批准（四眼原则）。" in page
    assert "版本历史" in page and "第一版" in page
    assert "four-eyes" not in page and "Version history" not in page


def test_the_drill_report_names_the_plan_version_and_whether_it_was_approved(client, company, viewer, draft):
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal("1000000"))
    CashFlowLineFactory(company=company, name="Spending", amount=Decimal("-1000"), start_date=date(2026, 1, 1))
    scenario = scenario_save(company=company, by=None, name="Quiet", as_of=date(2026, 1, 1), horizon_days=30)
    run = drills.drill_start(company=company, scenario=scenario, plan=draft, enqueue=False)
    drills.drill_run_here(drills.claim(run.pk))
    signed_in(client, viewer)
    page = client.get(reverse("contingency:drill-detail", args=[run.pk])).content.decode()
    assert "Plan: Playbook, version 1" in page and "not approved when the drill ran" in page


def test_saving_an_approved_plan_unchanged_keeps_it_approved(client, company, treasurer, draft):
    from contingency.services import plan_approve

    plan_approve(plan=draft, by=_member(company, "treasurer", "tina-treasurer"))
    signed_in(client, treasurer)
    edit = client.get(reverse("contingency:plan-edit", args=[draft.pk]))
    form, formset = edit.context["form"], edit.context["formset"]
    data = {f"{field.html_name}": field.value() for field in form if field.value() is not None}
    data.update({f"{f.html_name}": f.value() for row in formset.forms for f in row if f.value() is not None})
    data.update({f"{f.html_name}": f.value() for f in formset.management_form})
    response = client.post(reverse("contingency:plan-edit", args=[draft.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("contingency:plan-detail", args=[draft.pk])  # it was saved
    draft.refresh_from_db()
    assert (draft.status, draft.version) == ("approved", 1)
    assert "Saved Playbook." in response.content.decode() and "returned it to draft" not in response.content.decode()
