"""Plan governance and drill schedules in the browser, as two treasurers do it in the UI only.

A edits a plan and may not approve it (the page says why); B approves it with a comment; after A edits again the plan
page shows the version history and the changes since the approved version. A schedule built with the plain builder
(weekly, Monday 08:00, Asia/Shanghai) shows its next run; "run now" makes a drill, simulated by a real Celery worker
when a broker is configured, whose report names the plan version and that it was approved.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from contingency.models import DrillRun, PlanVersion
from contingency.services import plan_approve, plan_save, scenario_save
from tests.browser.test_treasury_journey import worker  # noqa: F401 — the real Celery worker fixture
from tests.conftest import _member
from tests.factories import CashFlowLineFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(company):
    """A plan seeded by nobody (version 1, approvable by anyone) and a Monte Carlo scenario big enough for a worker."""
    FundingChannelFactory(company=company, name="Revolver", limit=Decimal("2000000"), annual_rate=Decimal("0"))
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal("1000000"))
    fund = LiquidityPoolFactory(
        company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"), haircut=Decimal("0.02")
    )
    CashFlowLineFactory(company=company, name="Spending", amount=Decimal("-100000"), start_date=date(2026, 1, 1))
    plan = plan_save(
        company=company, by=None, name="Playbook", trigger="on_shock", description="Sell the fund.",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3}],
    )  # fmt: skip
    scenario_save(
        company=company, by=None, name="Platforms close", kind="monte_carlo", as_of=date(2026, 1, 1),
        horizon_days=90, paths=16_000, seed=11,
        shocks=[{"target_type": "all_platforms", "target": "", "action": "close", "day": 0}],
    )  # fmt: skip
    return plan


def _second_browser(chromium, live_server, username):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-123")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def _edit_description(page, plan_pk: int, text: str) -> None:
    page.goto(f"/plans/{plan_pk}/edit/")
    page.fill("#id_description", text)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/plans/{plan_pk}/")


def test_four_eyes_approval_comment_history_and_diff(log_in, page, chromium, live_server, company, treasurer, book):
    second = _member(company, "treasurer", "tina-treasurer")
    log_in(treasurer.username)

    # A edits the plan: version 2, a draft A may not approve.
    _edit_description(page, book.pk, "Sell the fund first, then draw the revolver.")
    expect(page.locator("[data-approval-refusal]")).to_have_text(
        "You saved version 2 of this plan, so another treasurer must approve it (four-eyes rule)."
    )
    expect(page.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)

    # B approves it with a comment.
    context, other = _second_browser(chromium, live_server, second.username)
    other.goto(f"/plans/{book.pk}/")
    other.fill("#id_comment", "Checked the fund's same-day redemption terms.")
    other.get_by_role("button", name="Approve version 2").click()
    expect(other.locator("main")).to_contain_text("Version 2, approved by tina-treasurer")
    expect(other.locator("main")).to_contain_text("Checked the fund's same-day redemption terms.")
    assert PlanVersion.objects.get(plan=book, number=2).approved_by == second

    # A edits again: back to draft, and the page shows the history and what changed since version 2.
    _edit_description(page, book.pk, "Draw the revolver first.")
    other.reload()
    expect(other.locator("#diff-title")).to_have_text("Changes since the approved version: version 2 → version 3")
    expect(other.locator(".plan-diff").first).to_contain_text("Description changed")
    expect(other.locator(".plan-diff del").first).to_have_text("Sell the fund first, then draw the revolver.")
    expect(other.locator(".plan-diff ins").first).to_have_text("Draw the revolver first.")
    history = other.locator("table[aria-labelledby=versions-title] tbody tr")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("current")
    expect(history.nth(1)).to_contain_text("Approved")
    expect(history.nth(2)).to_contain_text("First version")
    context.close()


def _next_monday_0800_shanghai(now: datetime) -> datetime:
    """By hand: the coming Monday at 08:00 in Shanghai (UTC+8 all year), today if it is Monday before 08:00."""
    zone = ZoneInfo("Asia/Shanghai")
    local = now.astimezone(zone)
    days = (7 - local.weekday()) % 7  # Monday is weekday 0
    candidate = datetime(local.year, local.month, local.day, 8, 0, tzinfo=zone) + timedelta(days=days)
    return candidate if candidate > local else candidate + timedelta(days=7)


def test_a_schedule_built_weekly_shows_its_next_run_and_runs_now(
    log_in,
    page,
    company,
    treasurer,
    book,
    worker,  # noqa: F811
):
    plan_approve(plan=book, by=treasurer)  # version 1 was seeded by nobody
    log_in(treasurer.username)
    page.goto("/schedules/add/")
    page.fill("#id_name", "Monday morning drill")
    page.select_option("#id_scenario", label="Platforms close")
    page.select_option("#id_plan", label="Playbook")
    page.select_option("#id_repeat", "weekly")
    page.fill("#id_at", "08:00")
    page.select_option("#id_weekday", label="Monday")
    page.select_option("#id_timezone", "Asia/Shanghai")
    expect(page.locator("#id_cron")).to_have_value("0 8 * * 1")  # the builder fills the cron as it is chosen
    expect(page.locator("#id_day_of_month")).to_be_hidden()
    before = datetime.now(ZoneInfo("UTC"))
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_have_text("Monday morning drill")
    expect(page.locator("main")).to_contain_text("Every Monday at 08:00")
    expected = _next_monday_0800_shanghai(before)
    expect(page.locator("[data-next-run]")).to_have_attribute("datetime", expected.isoformat())
    expect(page.locator("[data-last-run]")).to_have_text("Not run yet")

    page.get_by_role("button", name="Run now").click()
    if worker is not None:
        page.wait_for_url(re.compile(r"/drills/\d+/progress/$"))
    page.wait_for_url(re.compile(r"/drills/\d+/$"), timeout=60_000)
    run = DrillRun.objects.get()
    assert run.status == "succeeded" and run.schedule.name == "Monday morning drill" and run.created_by == treasurer
    assert run.blocks_total > 1  # simulated in blocks, on the worker when there is one
    expect(page.locator("main .meta")).to_contain_text("Plan: Playbook, version 1")
    expect(page.locator("[data-plan-approval]")).to_have_text("approved when the drill ran")
    expect(page.locator("#verdict")).to_contain_text("liquidity policy")

    # The schedule's page now names the run and its verdict.
    page.goto(f"/schedules/{run.schedule_id}/")
    expect(page.locator("[data-last-run] a")).to_have_text(f"#{run.pk}")
