"""What the drill benchmarks share: Django set up on a throw-away PostgreSQL database, a 50-channel company stored
through the services (as a user would enter it), real Celery workers, and peak memory read from /proc.

Not a benchmark itself; `bench_drill_api.py` and `bench_drill_workers.py` import it.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "financeplanner.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

D = Decimal
CHANNELS = 50
TYPES = (
    ("bank_term_loan", "annuity"),
    ("revolving_credit", "revolving"),
    ("supply_chain_finance", "bullet"),
    ("small_loan_platform", "annuity"),
    ("bond", "bullet"),
    ("shareholder_loan", "bullet"),
    ("leasing", "linear"),
    ("other", "bullet"),
)


@contextmanager
def bench_database():
    """A fresh test database on whatever DATABASE_URL points at (PostgreSQL here), destroyed afterwards."""
    if connection.vendor != "postgresql":
        raise SystemExit("Point DATABASE_URL at PostgreSQL (the benchmarks measure it, not SQLite).")
    setup_test_environment()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver", "127.0.0.1"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection.settings_dict["NAME"]
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def fifty_channel_company(slug: str = "bench"):
    """A borrower with 50 funding channels of every type (drawn, with triggers on banks and platforms), four
    counterparties per type, cash and three contingency pools, seven cash-flow lines, a four-step approved plan, a
    deterministic scenario (every platform closes, our rating is cut three notches on day 10) and a Monte Carlo one.
    Returns (user, company, plan, deterministic scenario, Monte Carlo scenario)."""
    from django.contrib.auth import get_user_model

    from channels_app import services as channel_services
    from channels_app.models import Counterparty
    from contingency import services as plan_services
    from contingency.models import CashFlowLine, LiquidityPool
    from financeplanner.services import company_create, tenant_object_save

    user = get_user_model().objects.create_user(username=f"{slug}-treasurer", password="bench-password")  # noqa: S106
    company = company_create(
        by=user, slug=slug, name="Bench Manufacturing", reporting_currency="CNY", survival_horizon_days=90,
        min_cash_buffer=D("2000000"), target_survival_probability=D("0.99"),
    )  # fmt: skip
    today = date.today()
    start = today - timedelta(days=180)
    parties = {}
    for kind in ("bank", "platform", "scf_provider", "other"):
        parties[kind] = [
            tenant_object_save(obj=Counterparty(), company=company,
                               fields={"name": f"{kind} {i}", "kind": kind, "country": "CN"})
            for i in range(4)
        ]  # fmt: skip
    channels = []
    for j in range(CHANNELS):
        channel_type, profile = TYPES[j % len(TYPES)]
        kind = {"bank_term_loan": "bank", "revolving_credit": "bank", "small_loan_platform": "platform",
                "supply_chain_finance": "scf_provider"}.get(channel_type, "other")  # fmt: skip
        limit = D(2_000_000 + 400_000 * j)
        triggers = []
        if channel_type == "small_loan_platform":
            triggers = [{"kind": "utilisation_above", "level": D("0.9"), "days": 5, "action": "reduce",
                         "reduce_by": D("0.5")}]  # fmt: skip
        elif kind == "bank":
            triggers = [{"kind": "own_rating_below", "rating": "BBB", "action": "freeze", "freeze_days": 30}]
        channel = channel_services.channel_create(
            company=company, by=user, name=f"Line {j:02d} {channel_type}", counterparty=parties[kind][j % 4],
            channel_type=channel_type, currency="CNY", limit=limit, annual_rate=D("0.035") + D(j) / 1000,
            start_date=start, maturity_date=start + timedelta(days=365 * (1 + j % 5)), repayment_profile=profile,
            payment_frequency="monthly" if profile in ("annuity", "linear") else "quarterly",
            rolls_over=channel_type in ("revolving_credit", "supply_chain_finance", "small_loan_platform"),
            committed=kind == "bank", notice_days=30 if kind == "bank" else 0, triggers=triggers,
        )  # fmt: skip
        channel_services.channel_draw(channel=channel, amount=(limit * D("0.6")).quantize(D("1")), date=start,
                                      reference="initial draw", by=user)  # fmt: skip
        channels.append(channel)

    def pool(name, kind, amount, haircut="0", days=0, ch=None):
        return tenant_object_save(obj=LiquidityPool(), company=company,
                                  fields={"name": name, "kind": kind, "amount": D(amount), "haircut": D(haircut),
                                          "days_to_cash": days, "channel": ch})  # fmt: skip

    pool("Cash", "cash", "60000000")
    mmf = pool("Money-market fund", "money_market_fund", "20000000", "0.02", 2)
    receivables = pool("Receivables", "receivables", "30000000", "0.15", 10)
    for name, category, amount, frequency, first, discretionary in (
        ("Customer receipts", "sales", "3500000", "daily", 0, False),
        ("Supplier payments", "purchases", "-2600000", "daily", 0, False),
        ("Payroll", "payroll", "-18000000", "monthly", 9, False),
        ("Rent", "overheads", "-2500000", "monthly", 4, False),
        ("Taxes", "tax", "-8000000", "monthly", 14, False),
        ("Capex", "capex", "-12000000", "quarterly", 20, True),
        ("Marketing", "marketing", "-1500000", "monthly", 1, True),
    ):
        tenant_object_save(obj=CashFlowLine(), company=company,
                           fields={"name": name, "category": category, "amount": D(amount), "currency": "CNY",
                                   "start_date": today + timedelta(days=first), "end_date": today + timedelta(days=364),
                                   "frequency": frequency, "discretionary": discretionary})  # fmt: skip
    plan = plan_services.plan_save(
        company=company, by=user, name="Contingency plan", trigger="on_shock",
        steps=[
            {"order": 1, "action": "liquidate_pool", "pool": mmf, "lead_time_days": 2, "cost_rate": D("0.001"),
             "success_probability": D("0.99")},
            {"order": 2, "action": "cut_discretionary", "amount": D("8000000"), "lead_time_days": 7,
             "success_probability": D("0.9")},
            {"order": 3, "action": "factor_receivables", "pool": receivables, "lead_time_days": 10,
             "cost_rate": D("0.02"), "success_probability": D("0.8")},
            {"order": 4, "action": "shareholder_support", "amount": D("10000000"), "lead_time_days": 20,
             "success_probability": D("0.7")},
        ],
    )  # fmt: skip
    plan_services.plan_approve(plan=plan, by=user)
    deterministic = plan_services.scenario_save(
        company=company, by=user, name="Platforms close, rating cut", as_of=today, horizon_days=90,
        shocks=[{"target_type": "all_platforms", "target": "", "action": "close", "day": 0},
                {"target_type": "company", "target": "", "action": "downgrade", "notches": 3, "day": 10}],
    )  # fmt: skip
    monte_carlo = plan_services.scenario_save(
        company=company, by=user, name="Market-wide tightening", as_of=today, horizon_days=90, kind="monte_carlo",
        paths=2000, seed=20261201, market_stress=D("1.5"), hazard_multiplier=D("2"),
    )  # fmt: skip
    return user, company, plan, deterministic, monte_carlo


class Worker:
    """`celery -A financeplanner worker` (concurrency 1, prefork) in its own process group, on the bench database."""

    def __init__(self, name: str, log_dir: Path, broker: str, db_url: str):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        # As a deployment runs them: with DEBUG on, Django keeps the text of every query a process makes (each block's
        # payload among them), which would be measured as the worker's memory.
        env = {
            **os.environ, "DATABASE_URL": db_url, "CELERY_BROKER_URL": broker, "PYTHONUNBUFFERED": "1",
            "DEBUG": "false", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "x" * 50),
            "ALLOWED_HOSTS": "127.0.0.1",
        }  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "financeplanner", "worker", "--loglevel=WARNING",
             "--concurrency=1", "--pool=prefork", f"--hostname={name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--prefetch-multiplier=1"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.log_path.read_text()}")
            if len(processes_of(self.process.pid)) >= 2:  # the main process and its pool child are up
                time.sleep(1.0)
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def processes_of(root: int) -> list[int]:
    """The process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.machine(),
    )  # fmt: skip
    import numpy

    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {numpy.__version__},"
        f" Linux {platform.release()}"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"
