"""A newcomer's first run: SQLite, no broker, tasks inline — and the demo company, idempotently."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from channels_app.models import FundingChannel
from contingency.models import ContingencyPlan, Scenario
from financeplanner.demo import seed_demo
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
        "One platform closes", "All platforms close", "Market-wide tightening",
    }  # fmt: skip
