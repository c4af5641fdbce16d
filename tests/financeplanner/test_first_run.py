"""A newcomer's first run: SQLite, no broker, tasks inline — and the demo company, idempotently."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from channels_app.models import FundingChannel
from contingency.demo import seed_demo
from contingency.models import ContingencyPlan, DrillSchedule, Scenario
from financeplanner.models import Company

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_first_run_on_sqlite_with_inline_tasks(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'first-run.sqlite3'}"
    migrate = manage("migrate", "--noinput", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert "background tasks run inline" in migrate.stderr  # said once at start-up
    seeded = manage("seed_demo", env=env)
    assert seeded.returncode == 0 and "demo / demo-password" in seeded.stdout, seeded.stderr
    drill = manage("run_drill", "--company", "demo", "--scenario", "All platforms close", "--plan",
                   "Liquidity contingency plan 2026", "--json", env=env)  # fmt: skip
    assert drill.returncode == 0, drill.stderr
    results = json.loads(drill.stdout)
    assert results["paths"] == 1 and results["horizon_days"] == 90
    again = manage("seed_demo", env=env)
    assert again.returncode == 0


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_realistic():
    first = seed_demo()
    second = seed_demo()
    assert first == second and Company.objects.filter(slug="demo").count() == 1
    channels = FundingChannel.objects.for_company(first)
    assert channels.count() == 7
    assert channels.filter(channel_type="small_loan_platform").count() == 2
    assert channels.filter(channel_type="bank_term_loan").count() == 2
    assert ContingencyPlan.objects.for_company(first).get().status == "approved"
    assert set(Scenario.objects.for_company(first).values_list("name", flat=True)) == {
        "One platform closes", "All platforms close", "Market-wide tightening", "Our rating cut three notches",
    }  # fmt: skip
    # One weekly schedule, Mondays 07:00 in Shanghai, with its beat task (seeding twice made no second one).
    schedule = DrillSchedule.objects.for_company(first).get()
    assert (schedule.scenario.name, schedule.cron, schedule.timezone) == (
        "Market-wide tightening",
        "0 7 * * 1",
        "Asia/Shanghai",
    )
    assert schedule.periodic_task.enabled and schedule.periodic_task.crontab.hour == "7"


@pytest.mark.django_db
def test_the_demo_tells_the_lender_risk_control_story():
    from channels_app.watch import trigger_watch
    from contingency.models import Shock

    company = seed_demo()
    rows = {(r.channel_name, r.kind): r for r in trigger_watch(company=company)}
    # 2,550,000 of 3,000,000 drawn (85 %) against the 90 % trigger: 5 percentage points.
    quick = rows[("QuickLoan credit line", "utilisation_above")]
    assert (quick.current, quick.distance, quick.fires_now) == ("0.8500", Decimal("5.00"), False)
    # Three draws this month against "6 in 30 days": 3 more draws freeze the line.
    micro = rows[("MicroCredit working-capital line", "borrowing_frequency")]
    assert (micro.current, micro.distance) == ("3", Decimal(3))
    # The cross-default clause on the bank loan: an overdue beyond 3 grace days, i.e. on its 4th day.
    overdue = rows[("Term loan A", "any_overdue")]
    assert (overdue.distance, overdue.action) == (Decimal(4), "call")
    # Our domestic AAA (Chinese agency) is master A- at the 6-notch offset: three downgrades from "below BBB".
    assert rows[("Revolving facility", "own_rating_below")].distance == Decimal(3)
    shock = Shock.objects.get(scenario__company=company, scenario__name="Our rating cut three notches")
    assert (shock.target_type, shock.action, shock.notches, shock.day) == ("company", "downgrade", 3, 10)
