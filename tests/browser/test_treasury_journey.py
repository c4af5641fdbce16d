"""A treasurer's day in the browser: a new platform line, the platform closes it, a drill, the report, Chinese, import.

Runs against the live server and, when a broker is configured, a real Celery worker: the progress page then really
polls while the blocks are simulated. Without a broker the drill runs inline and the progress page forwards at once.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from channels_app.models import ChannelEvent, Counterparty, FundingChannel
from contingency.models import DrillRun
from contingency.services import plan_approve, plan_save, scenario_save
from tests.factories import CashFlowLineFactory, CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def treasury(company, treasurer, analyst):
    """A company that burns 100k a day on 1m of cash, with a revolver, a fund, a plan and an all-platforms shock."""
    CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    FundingChannelFactory(company=company, name="Revolver", limit=Decimal("2000000"), annual_rate=Decimal("0"))
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal("1000000"))
    fund = LiquidityPoolFactory(
        company=company, name="MMF", kind="money_market_fund", amount=Decimal("500000"), haircut=Decimal("0.02")
    )
    CashFlowLineFactory(company=company, name="Spending", amount=Decimal("-100000"), start_date=date(2026, 1, 1))
    plan = plan_save(  # the analyst writes it, the treasurer approves it (four-eyes)
        company=company, by=analyst, name="Playbook", trigger="on_shock",
        steps=[{"order": 1, "action": "liquidate_pool", "pool": fund, "lead_time_days": 3}],
    )  # fmt: skip
    plan_approve(plan=plan, by=treasurer)
    scenario_save(
        company=company, by=treasurer, name="Platforms close", kind="monte_carlo", as_of=date(2026, 1, 1),
        horizon_days=90, paths=16_000, seed=11,  # the policy horizon: a shorter drill does not test it
        shocks=[{"target_type": "all_platforms", "target": "", "action": "close", "day": 0}],
    )  # fmt: skip
    return company


@pytest.fixture
def worker(request, settings):
    """A real Celery worker when a broker is configured (make test); otherwise drills run inline in the request."""
    if not settings.CELERY_BROKER_URL:
        yield None
        return
    from financeplanner.celery import app

    started = request.getfixturevalue("start_worker")("browser")
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    yield started
    app.conf.task_always_eager = eager


def test_a_treasurer_adds_a_line_records_its_closure_drills_and_reads_the_report(
    log_in, page, treasurer, treasury, worker
):
    log_in(treasurer.username)

    # A new online-platform line.
    page.goto("/channels/new/")
    page.fill("#id_name", "QuickLoan credit line")
    page.select_option("#id_counterparty", label="QuickLoan Online")
    page.select_option("#id_channel_type", "small_loan_platform")
    page.fill("#id_limit", "3000000")
    page.fill("#id_annual_rate", "9.8")  # in percent
    page.fill("#id_start_date", "2026-01-01")
    page.fill("#id_maturity_date", "2027-01-01")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("QuickLoan credit line")
    line = FundingChannel.objects.get(name="QuickLoan credit line")

    # The platform's risk control closes it.
    page.click("text=Record a lender action")
    page.select_option("#id_kind", "close")
    page.fill("#id_reason", "Risk control: our borrowing frequency tripped the platform's model.")
    page.click("main form button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("Closed")
    assert ChannelEvent.objects.filter(channel=line, new_status="closed").exists()

    # A Monte Carlo drill: the progress page polls until the worker has simulated every block.
    page.goto("/drills/start/")
    page.select_option("#id_scenario", label="Platforms close")
    page.select_option("#id_plan", label="Playbook")
    page.click("main form button[type=submit]")
    if worker is not None:
        page.wait_for_url(re.compile(r"/drills/\d+/progress/$"))
        expect(page.locator("#drill-progress progress")).to_be_visible()
    page.wait_for_url(re.compile(r"/drills/\d+/$"), timeout=60_000)
    run = DrillRun.objects.get()
    assert run.status == "succeeded" and run.blocks_total > 1

    # The report: verdict, runway, the fan and the checklist.
    expect(page.locator("#verdict")).to_contain_text("liquidity policy")
    expect(page.locator("#runway")).to_contain_text(re.compile(r"\d"))
    expect(page.locator("#fan svg")).to_be_visible()
    expect(page.locator("#checklist")).to_contain_text("Lender and bank contacts confirmed")

    # The same report in Chinese.
    page.select_option("#language-switch", "zh-hans")
    page.click("form:has(#language-switch) button[type=submit]")
    expect(page.locator("#verdict")).to_contain_text("流动性政策")
    expect(page.locator("#checklist h2")).to_have_text("实地演练清单")


def test_an_import_with_one_bad_row_names_that_row(log_in, page, treasurer, treasury):
    log_in(treasurer.username)
    page.goto("/import/")
    page.select_option("#id_dataset", "counterparties")
    csv = b"name,kind,country,notes\nGood Bank,bank,CN,\nShady Lender,loan shark,CN,\nOther Bank,bank,CN,\n"
    page.set_input_files("#id_file", {"name": "lenders.csv", "mimeType": "text/csv", "buffer": csv})
    page.click("main form[enctype] button[type=submit]")
    errors = page.locator("#import-report .errors")
    expect(errors).to_contain_text("Row 3")
    expect(errors).to_contain_text("kind")
    expect(page.locator("button[name=commit]")).to_have_count(0)
    assert not Counterparty.objects.filter(name__in=["Good Bank", "Other Bank"]).exists()

    # Fixed, the same file is checked and then committed.
    fixed = csv.replace(b"loan shark", b"platform")
    page.set_input_files("#id_file", {"name": "lenders.csv", "mimeType": "text/csv", "buffer": fixed})
    page.click("main form[enctype] button[type=submit]")
    page.click("button[name=commit]")
    expect(page.locator(".messages")).to_contain_text("Imported 3 rows")
    assert Counterparty.objects.filter(name__in=["Good Bank", "Shady Lender", "Other Bank"]).count() == 3
