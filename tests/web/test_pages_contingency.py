"""The contingency pages: pools, forecast, plans, scenarios, drills, schedules, alerts and import.

The fixed cast of tests/conftest.py: a viewer, analyst and treasurer of company A, and an outsider from company B.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contingency import drills
from contingency.models import Alert, ContingencyPlan, DrillSchedule, LiquidityPool, Scenario
from contingency.services import plan_approve, plan_save
from tests.factories import (
    CashFlowLineFactory,
    ContingencyPlanFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
    PlanStepFactory,
)
from tests.web.contingency_pages import count_queries, finished_run, signed_in

pytestmark = pytest.mark.django_db


def page_urls(book, names: str) -> list[str]:
    """The URLs of contingency pages: `pool-detail:pool` is the page of the book's pool, a bare name needs no row."""
    urls = []
    for name in names.split():
        name, _, row = name.partition(":")
        urls.append(reverse(f"contingency:{name}", args=[book[row].pk] if row else []))
    return urls


def read_urls(book) -> list[str]:
    run = book["run"]
    pages = page_urls(book, "pool-list pool-detail:pool cashflow-list plan-list plan-detail:plan scenario-list "
                            "scenario-detail:scenario drill-list drill-detail:run schedule-list alert-list")  # fmt: skip
    return [*pages, reverse("contingency:drill-compare") + f"?a={run.pk}&b={run.pk}"]


def edit_urls(book) -> list[str]:
    return page_urls(book, "pool-add pool-edit:pool cashflow-add plan-add plan-edit:plan scenario-add "
                           "scenario-edit:scenario drill-add schedule-add schedule-edit:schedule "
                           "schedule-delete:schedule import-add")  # fmt: skip


# -- who sees what ----------------------------------------------------------------------------------------------


def test_every_page_renders_for_a_viewer(client, viewer, book):
    signed_in(client, viewer)
    for url in read_urls(book):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<html" in response.content.lower(), url


def test_a_viewer_sees_no_edit_buttons(client, viewer, book):
    signed_in(client, viewer)
    body = "".join(client.get(url).content.decode() for url in read_urls(book))
    import_page = reverse("contingency:import-add")  # the site navigation links it for everyone; it answers 403
    for url in edit_urls(book) + [reverse("contingency:plan-approve", args=[book["plan"].pk])]:
        if url == import_page:
            continue
        assert f'href="{url}"' not in body and f'action="{url}"' not in body, url
    assert "checklist-record" not in body and 'name="outcome"' not in body
    assert reverse("contingency:alert-acknowledge", args=[book["alert"].pk]) not in body


def test_an_analyst_sees_the_edit_buttons_but_not_the_treasurers(client, analyst, book):
    signed_in(client, analyst)
    assert reverse("contingency:pool-add") in client.get(reverse("contingency:pool-list")).content.decode()
    plan_page = client.get(reverse("contingency:plan-detail", args=[book["plan"].pk])).content.decode()
    assert reverse("contingency:plan-edit", args=[book["plan"].pk]) in plan_page
    schedules = client.get(reverse("contingency:schedule-list")).content.decode()
    assert reverse("contingency:schedule-add") not in schedules


def test_a_viewer_is_refused_every_edit_url(client, viewer, book):
    signed_in(client, viewer)
    for url in edit_urls(book):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    plan, run, alert = book["plan"], book["run"], book["alert"]
    item = run.checklist.first()
    for url in [
        reverse("contingency:plan-approve", args=[plan.pk]),
        reverse("contingency:checklist-record", args=[run.pk, item.pk]),
        reverse("contingency:alert-acknowledge", args=[alert.pk]),
    ]:
        assert client.post(url, {"outcome": "passed"}).status_code == 403, url
    alert.refresh_from_db()
    item.refresh_from_db()
    assert alert.acknowledged_at is None and item.outcome == "pending"


def test_an_analyst_may_not_approve_plans_or_manage_schedules(client, analyst, book):
    signed_in(client, analyst)
    plan_save(company=book["plan"].company, by=analyst, plan=book["plan"], name="Plan A (revised)")
    assert client.post(reverse("contingency:plan-approve", args=[book["plan"].pk])).status_code == 403
    assert client.get(reverse("contingency:schedule-add")).status_code == 403
    assert client.post(reverse("contingency:schedule-delete", args=[book["schedule"].pk])).status_code == 403
    assert DrillSchedule.objects.filter(pk=book["schedule"].pk).exists()


def test_another_companys_pages_are_not_found(client, outsider, book):
    signed_in(client, outsider)
    run, item = book["run"], book["run"].checklist.first()
    urls = [url for url in read_urls(book) + edit_urls(book) if "/" in url and any(c.isdigit() for c in url)]
    urls += [reverse("contingency:drill-progress", args=[run.pk])]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("contingency:plan-approve", args=[book["plan"].pk]),
        reverse("contingency:checklist-record", args=[run.pk, item.pk]),
        reverse("contingency:alert-acknowledge", args=[book["alert"].pk]),
        reverse("contingency:schedule-delete", args=[book["schedule"].pk]),
    ]:
        assert client.post(url, {"outcome": "failed"}).status_code == 404, url
    # The lists show only the outsider's own company.
    assert "Plan A" not in client.get(reverse("contingency:plan-list")).content.decode()
    assert "Line closes" not in client.get(reverse("contingency:drill-list")).content.decode()


def test_a_form_cannot_point_at_another_companys_pool(client, analyst, outsider, other_company, company):
    theirs = LiquidityPoolFactory(company=other_company, name="Their fund", kind="money_market_fund")
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:plan-add"),
        {"name": "Sneaky", "trigger": "on_shock", **steps_management(1),
         "steps-0-order": "1", "steps-0-action": "liquidate_pool", "steps-0-pool": str(theirs.pk),
         "steps-0-lead_time_days": "0", "steps-0-cost_rate": "0", "steps-0-success_probability": "100"},
    )  # fmt: skip
    assert response.status_code == 200
    assert not ContingencyPlan.objects.filter(name="Sneaky").exists()
    assert "Select a valid choice" in response.content.decode()


# -- forms: errors next to the field, nothing lost --------------------------------------------------------------


def test_a_refused_pool_keeps_what_was_typed_and_says_why_next_to_the_field(client, analyst, company):
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:pool-add"),
        {"name": "Deposit at Bank X", "kind": "deposit", "currency": "CNY", "amount": "250000", "haircut": "150",
         "days_to_cash": "2"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Deposit at Bank X"' in html and 'value="250000"' in html
    assert 'id="id_haircut_error"' in html
    assert not LiquidityPool.objects.filter(name="Deposit at Bank X").exists()


def test_an_analyst_adds_and_edits_a_pool(client, analyst, company):
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:pool-add"),
        {
            "name": "Deposit",
            "kind": "deposit",
            "currency": "CNY",
            "amount": "250000",
            "haircut": "0",
            "days_to_cash": "2",
        },
    )
    pool = LiquidityPool.objects.get(company=company, name="Deposit")
    assert response.status_code == 302 and response.url == reverse("contingency:pool-detail", args=[pool.pk])
    client.post(
        reverse("contingency:pool-edit", args=[pool.pk]),
        {
            "name": "Deposit",
            "kind": "deposit",
            "currency": "CNY",
            "amount": "300000",
            "haircut": "0",
            "days_to_cash": "2",
        },
    )
    pool.refresh_from_db()
    assert pool.amount == Decimal("300000")


def test_a_duplicate_pool_name_is_refused_on_the_form(client, analyst, company):
    LiquidityPoolFactory(company=company, name="Cash")
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:pool-add"),
        {"name": "Cash", "kind": "cash", "currency": "CNY", "amount": "1", "haircut": "0", "days_to_cash": "0"},
    )
    assert response.status_code == 200
    assert LiquidityPool.objects.filter(company=company, name="Cash").count() == 1
    html = response.content.decode()
    assert 'id="id_name_error"' in html and "There is already a pool called Cash." in html


def test_a_cash_flow_ending_before_it_starts_is_refused_on_the_end_date(client, analyst, company):
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:cashflow-add"),
        {"name": "Rent", "category": "overheads", "amount": "-1000", "currency": "CNY", "start_date": "2026-03-01",
         "end_date": "2026-02-01", "frequency": "monthly"},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'id="id_end_date_error"' in response.content.decode()


def test_the_forecast_page_draws_the_next_90_days(client, viewer, company):
    CashFlowLineFactory(company=company, amount=Decimal("-1000"), start_date=date(2020, 1, 1), frequency="daily")
    signed_in(client, viewer)
    html = client.get(reverse("contingency:cashflow-list")).content.decode()
    assert "<svg" in html
    assert "-90,000" in html or "−90,000" in html  # 90 days of −1,000


def steps_management(total: int, initial: int = 0, prefix: str = "steps") -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def plan_post(plan_name: str, steps: list[dict], initial: int = 0) -> dict:
    data = {
        "name": plan_name,
        "trigger": "on_shock",
        "description": "",
        "threshold": "",
        **steps_management(len(steps), initial),
    }
    for index, step in enumerate(steps):
        defaults = {"lead_time_days": "0", "cost_rate": "0", "success_probability": "100", "pool": "", "amount": ""}
        for key, value in {**defaults, **step}.items():
            data[f"steps-{index}-{key}"] = value
    return data


def test_an_analyst_creates_a_plan_with_ordered_steps(client, analyst, company):
    fund = LiquidityPoolFactory(company=company, name="MMF", kind="money_market_fund")
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:plan-add"),
        plan_post("Playbook", [
            {"order": "2", "action": "cut_discretionary", "amount": "400000"},
            {"order": "1", "action": "liquidate_pool", "pool": str(fund.pk), "lead_time_days": "2"},
        ]),
    )  # fmt: skip
    plan = ContingencyPlan.objects.get(company=company, name="Playbook")
    assert response.status_code == 302
    assert [(s.order, s.action) for s in plan.steps.all()] == [(1, "liquidate_pool"), (2, "cut_discretionary")]
    page = client.get(reverse("contingency:plan-detail", args=[plan.pk])).content.decode()
    assert page.index("Liquidate a pool") < page.index("Cut discretionary spending")


def test_a_step_the_service_refuses_is_marked_on_its_own_row(client, analyst, company):
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:plan-add"),
        plan_post("Playbook", [
            {"order": "1", "action": "cut_discretionary", "amount": "1000"},
            {"order": "2", "action": "liquidate_pool"},  # no pool: the service refuses this row
        ]),
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index('id="steps-row-1"') :]
    assert "This action needs the pool it draws on." in row[: row.index("</tr>") + 400]
    assert 'value="1000"' in html  # the first row is kept as typed
    assert not ContingencyPlan.objects.filter(name="Playbook").exists()


def test_two_steps_with_the_same_order_are_refused_not_crashed(client, analyst, company):
    signed_in(client, analyst)
    response = client.post(
        reverse("contingency:plan-add"),
        plan_post("Playbook", [
            {"order": "1", "action": "cut_discretionary", "amount": "1000"},
            {"order": "1", "action": "other", "amount": "2000"},
        ]),
    )  # fmt: skip
    assert response.status_code == 200
    assert not ContingencyPlan.objects.filter(name="Playbook").exists()


def test_editing_an_approved_plan_returns_it_to_draft_and_says_so(client, analyst, treasurer, book):
    plan = book["plan"]
    assert plan.status == "approved"
    signed_in(client, analyst)
    edit = client.get(reverse("contingency:plan-edit", args=[plan.pk])).content.decode()
    assert "returns it to draft" in edit
    step = plan.steps.get()
    data = plan_post("Plan A", [
        {"order": "1", "action": "liquidate_pool", "pool": str(step.pool_id), "lead_time_days": "5"},
    ], initial=1)  # fmt: skip
    response = client.post(reverse("contingency:plan-edit", args=[plan.pk]), data, follow=True)
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.approved_by is None
    assert plan.steps.get().lead_time_days == 5
    assert "returned it to draft" in response.content.decode()
    # A treasurer approves it again from the plan page.
    signed_in(client, treasurer)
    page = client.get(reverse("contingency:plan-detail", args=[plan.pk])).content.decode()
    assert reverse("contingency:plan-approve", args=[plan.pk]) in page
    client.post(reverse("contingency:plan-approve", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by == treasurer


def test_a_plan_without_steps_cannot_be_approved(client, treasurer, company):
    plan = ContingencyPlanFactory(company=company)
    signed_in(client, treasurer)
    response = client.post(reverse("contingency:plan-approve", args=[plan.pk]), follow=True)
    assert "A plan without steps cannot be approved." in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_a_scenario_is_saved_with_its_shocks_from_one_target_list(client, analyst, company):
    line = FundingChannelFactory(company=company, name="Platform line", channel_type="small_loan_platform")
    signed_in(client, analyst)
    data = {
        "name": "Platform cut", "description": "", "kind": "deterministic", "as_of": "2026-01-01", "horizon_days": "90",
        "paths": "1", "seed": "0", "own_downgrade_notches": "0", "market_stress": "0", "hazard_multiplier": "1",
        "operating_volatility": "0", **steps_management(2, prefix="shocks"),
        "shocks-0-target_choice": f"channel:{line.pk}", "shocks-0-action": "freeze", "shocks-0-day": "3",
        "shocks-0-freeze_days": "10", "shocks-0-reduce_by": "",
        "shocks-1-target_choice": "channel_type:supply_chain_finance", "shocks-1-action": "reduce",
        "shocks-1-day": "5", "shocks-1-reduce_by": "50", "shocks-1-freeze_days": "",
    }  # fmt: skip
    response = client.post(reverse("contingency:scenario-add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    scenario = Scenario.objects.get(company=company, name="Platform cut")
    shocks = list(scenario.shocks.order_by("day").values_list("target_type", "target", "action"))
    assert shocks == [("channel", str(line.pk), "freeze"), ("channel_type", "supply_chain_finance", "reduce")]
    page = client.get(reverse("contingency:scenario-detail", args=[scenario.pk])).content.decode()
    assert "Platform line" in page
    edit = client.get(reverse("contingency:scenario-edit", args=[scenario.pk])).content.decode()
    assert f'value="channel:{line.pk}" selected' in edit


def test_a_shock_outside_the_horizon_is_refused_on_its_row(client, analyst, company):
    signed_in(client, analyst)
    data = {
        "name": "Late", "kind": "deterministic", "as_of": "2026-01-01", "horizon_days": "30", "paths": "1",
        "seed": "0", "own_downgrade_notches": "0", "market_stress": "0", "hazard_multiplier": "1",
        "operating_volatility": "0", **steps_management(1, prefix="shocks"),
        "shocks-0-target_choice": "all:", "shocks-0-action": "close", "shocks-0-day": "45",
    }  # fmt: skip
    response = client.post(reverse("contingency:scenario-add"), data)
    assert response.status_code == 200
    assert "The shock must fall inside the horizon." in response.content.decode()
    assert not Scenario.objects.filter(name="Late").exists()


# -- queries do not grow with rows ------------------------------------------------------------------------------


def test_list_pages_run_a_fixed_number_of_queries(client, viewer, company, book):
    signed_in(client, viewer)
    urls = [reverse(f"contingency:{name}") for name in ("pool-list", "plan-list", "drill-list", "scenario-list",
                                                        "cashflow-list", "alert-list", "schedule-list")]  # fmt: skip
    before = {url: count_queries(client, url) for url in urls}
    line = FundingChannelFactory(company=company, name="Another line")
    for n in range(6):
        pool = LiquidityPoolFactory(company=company, channel=line)
        plan = ContingencyPlanFactory(company=company)
        PlanStepFactory(plan=plan, pool=pool, action="liquidate_pool")
        plan_approve(plan=plan, by=viewer)
        CashFlowLineFactory(company=company)
        Alert.objects.create(company=company, indicator="runway", key=str(n), severity="amber", message="m")
        finished_run(company, book["scenario"], plan, by=viewer)
        drills.schedule_save(company=company, by=viewer, name=f"S{n}", scenario=book["scenario"], cron="0 6 * * 1")
    after = {url: count_queries(client, url) for url in urls}
    assert after == before


# -- languages --------------------------------------------------------------------------------------------------


def test_the_drill_report_speaks_chinese(client, viewer, book):
    signed_in(client, viewer)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("contingency:drill-detail", args=[book["run"].pk])).content.decode()
    assert (
        "未检验：演练期短于政策期限" in html
        and "实地演练清单" in html
        and "可支撑天数" in html
        and "生存期" not in html
    )
    assert "Not tested: the drill is shorter than the policy horizon" not in html
    plans = client.get(reverse("contingency:plan-list")).content.decode()
    assert "应急预案" in plans and "已批准" in plans
