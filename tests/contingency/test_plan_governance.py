"""Plan governance: four-eyes approval with a comment, numbered versions of every saved change, the difference to the
approved version, and drills that record the plan version they ran and whether it was approved."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contingency import drills
from contingency.models import PlanVersion
from contingency.plan_versions import content_diff, diff_to_approved
from contingency.services import plan_approve, plan_save, scenario_save
from tests.conftest import _member
from tests.factories import CashFlowLineFactory, LiquidityPoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(company):
    return LiquidityPoolFactory(
        company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"), days_to_cash=1
    )


@pytest.fixture
def second_treasurer(company):
    return _member(company, "treasurer", "tina-treasurer")


def _plan(company, by, fund, **fields):
    return plan_save(
        company=company, by=by, name="Playbook", trigger="on_shock", description="",
        steps=[
            {"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3},
            {"order": 2, "action": "cut_discretionary", "amount": Decimal("1000.00")},
        ],
        **fields,
    )  # fmt: skip


def test_the_last_editor_cannot_approve_and_is_told_why(company, treasurer, second_treasurer, fund):
    plan = _plan(company, treasurer, fund)
    with pytest.raises(ValidationError) as refused:
        plan_approve(plan=plan, by=treasurer)
    assert refused.value.message_dict["approved_by"] == [
        "You saved version 1 of this plan, so another treasurer must approve it (four-eyes rule)."
    ]
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.approved_by is None

    plan = plan_approve(plan=plan, by=second_treasurer, comment="  Checked the MMF's redemption terms.  ")
    assert plan.status == "approved" and plan.approved_by == second_treasurer
    version = PlanVersion.objects.get(plan=plan)
    assert (version.number, version.saved_by, version.approved_by) == (1, treasurer, second_treasurer)
    assert version.approval_comment == "Checked the MMF's redemption terms."


def test_no_one_approves_a_change_they_made_since_the_last_approval(company, treasurer, second_treasurer, fund):
    plan = _plan(company, None, fund)  # seeded: saved by nobody known
    plan_approve(plan=plan, by=treasurer)
    plan = plan_save(company=company, by=treasurer, plan=plan, description="Faster")  # version 2
    plan = plan_save(company=company, by=second_treasurer, plan=plan, description="Faster still")  # version 3
    # Either of them reviewing the other's change would leave their own change unreviewed.
    for editor, versions in ((treasurer, "2"), (second_treasurer, "3")):
        with pytest.raises(ValidationError, match=f"You saved version {versions} of this plan"):
            plan_approve(plan=plan, by=editor)
    third = _member(company, "treasurer", "theo-treasurer")
    assert plan_approve(plan=plan, by=third).status == "approved"


def test_the_api_obeys_four_eyes(company, analyst, treasurer, second_treasurer, fund, api_as):
    body = {"name": "P", "trigger": "on_shock",
            "steps": [{"order": 1, "action": "liquidate_pool", "pool": fund.pk, "lead_time_days": 2}]}  # fmt: skip
    plan = api_as(treasurer).post("/api/v1/plans/", body, format="json").json()
    assert plan["version"] == 1 and plan["status"] == "draft"
    refused = api_as(treasurer).post(f"/api/v1/plans/{plan['id']}/approve/", {}, format="json")
    assert refused.status_code == 400
    assert "four-eyes" in refused.json()["approved_by"][0]
    approved = api_as(second_treasurer).post(
        f"/api/v1/plans/{plan['id']}/approve/", {"comment": "Fine."}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["approved_by"] == "tina-treasurer" and approved.json()["status"] == "approved"
    assert PlanVersion.objects.get(plan_id=plan["id"]).approval_comment == "Fine."
    too_long = api_as(second_treasurer).post(
        f"/api/v1/plans/{plan['id']}/approve/", {"comment": "x" * 2001}, format="json"
    )
    assert too_long.status_code == 400 and "comment" in too_long.json()


def test_every_saved_change_is_the_next_version_and_a_save_without_change_is_none(
    company, treasurer, second_treasurer, fund
):
    plan = _plan(company, treasurer, fund)
    assert plan.version == 1
    plan_approve(plan=plan, by=second_treasurer)

    # The same figures typed again (another scale of the same decimal): no change, the approval stands.
    same = plan_save(
        company=company, by=treasurer, plan=plan, name="Playbook", trigger="on_shock", description="",
        steps=[
            {"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3},
            {"order": 2, "action": "cut_discretionary", "amount": Decimal("1000")},
        ],
    )  # fmt: skip
    assert (same.version, same.status) == (1, "approved")

    changed = plan_save(company=company, by=treasurer, plan=plan, description="Call the fund first.")
    assert (changed.version, changed.status, changed.approved_by) == (2, "draft", None)
    steps_changed = plan_save(
        company=company, by=treasurer, plan=changed,
        steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 5}],
    )  # fmt: skip
    assert steps_changed.version == 3
    assert list(PlanVersion.objects.filter(plan=plan).order_by("number").values_list("number", "saved_by")) == [
        (1, treasurer.pk), (2, treasurer.pk), (3, treasurer.pk),
    ]  # fmt: skip


def test_the_difference_to_the_approved_version_lists_fields_and_steps(company, treasurer, second_treasurer, fund):
    plan = _plan(company, treasurer, fund)
    plan_approve(plan=plan, by=second_treasurer)
    plan_save(
        company=company, by=treasurer, plan=plan, description="Fund first.", trigger="below_threshold",
        threshold=Decimal("250000"),
        steps=[
            {"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 5},
            {"order": 3, "action": "shareholder_support", "amount": Decimal("2000000"),
             "success_probability": Decimal("0.5")},
        ],
    )  # fmt: skip
    approved, diff = diff_to_approved(plan)
    assert approved.number == 1 and (diff.old_number, diff.new_number) == (1, 2)
    assert [(c.name, c.old, c.new) for c in diff.fields] == [
        ("description", None, "Fund first."),
        ("trigger", "On a shock", "Liquidity below a threshold"),
        ("threshold", None, Decimal("250000")),
    ]
    assert [(s.order, s.kind) for s in diff.steps] == [(1, "changed"), (2, "removed"), (3, "added")]
    assert [(c.name, c.old, c.new) for c in diff.steps[0].changes] == [("lead_time_days", 3, 5)]
    assert diff.steps[1].step["action"] == "Cut discretionary spending"
    assert diff.steps[1].step["amount"] == Decimal("1000")
    assert diff.steps[2].step["pool"] is None and diff.steps[2].step["success_probability"] == Decimal("0.5")


def test_a_step_on_another_pool_is_a_change_and_a_renamed_pool_is_not(fund, company):
    other = LiquidityPoolFactory(company=company, name="Deposit", kind="deposit")
    step = {"order": 1, "action": "liquidate_pool", "pool": fund.pk, "pool_name": "MMF", "amount": None,
            "lead_time_days": 3, "cost_rate": "0", "success_probability": "1"}  # fmt: skip
    old = {"fields": {"name": "P"}, "steps": [step]}
    renamed = {"fields": {"name": "P"}, "steps": [{**step, "pool_name": "Money fund"}]}
    moved = {"fields": {"name": "P"}, "steps": [{**step, "pool": other.pk, "pool_name": "Deposit"}]}
    assert content_diff(old, renamed).empty
    changes = content_diff(old, moved).steps[0].changes
    assert [(c.label, c.old, c.new) for c in changes] == [("Pool", "MMF", "Deposit")]


def test_a_drill_records_the_plan_version_and_whether_it_was_approved(company, treasurer, second_treasurer, fund):
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal("1000000"))
    CashFlowLineFactory(company=company, name="Spending", amount=Decimal("-100000"), start_date=date(2026, 1, 1))
    scenario = scenario_save(company=company, by=treasurer, name="Quiet", as_of=date(2026, 1, 1), horizon_days=30)
    plan = _plan(company, treasurer, fund)
    plan_approve(plan=plan, by=second_treasurer)
    approved_run = drills.drill_start(company=company, scenario=scenario, plan=plan, enqueue=False)
    plan = plan_save(company=company, by=treasurer, plan=plan, description="Changed after approval")
    draft_run = drills.drill_start(company=company, scenario=scenario, plan=plan, enqueue=False)
    no_plan = drills.drill_start(company=company, scenario=scenario, enqueue=False)
    assert (approved_run.plan_version, approved_run.plan_approved) == (1, True)
    assert (draft_run.plan_version, draft_run.plan_approved) == (2, False)
    assert (no_plan.plan_version, no_plan.plan_approved) == (None, None)
