"""Page benchmark: every server-rendered page on the demo company, timed with Django's test client.

    .venv/bin/python benchmarks/bench_pages.py                 # print the table
    .venv/bin/python benchmarks/bench_pages.py --write         # and put it into docs/benchmarks.md ("## Pages")
    .venv/bin/python benchmarks/bench_pages.py --runs 50 --language zh-hans

Runs in a throw-away test database (created and destroyed here, on whatever DATABASE_URL points at: PostgreSQL in
production-like runs, SQLite by default), seeds the demo company, runs a deterministic and a Monte Carlo drill in
this process (and one of 100,000 paths, `--big-paths`), then requests each page `--runs` times as the demo user.
Reports the first (cold) request, the median and the 95th percentile of the rest, and the number of SQL queries.
The target is a median under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "financeplanner.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

TARGET_MS = 300
#: Paths of the big Monte Carlo run whose report is measured too (`--big-paths`).
BIG_PATHS = 100_000
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Pages"


def seed(big_paths: int = BIG_PATHS) -> dict:
    """The demo company plus what the pages need to show: three finished drills (one of `big_paths` paths) and one
    still queued."""
    from channels_app.models import Counterparty, FundingChannel
    from contingency import drills
    from contingency.demo import DEMO_USERNAME, seed_demo
    from contingency.models import CashFlowLine, ContingencyPlan, LiquidityPool, Scenario
    from financeplanner.celery import app

    app.conf.task_always_eager = True  # alert evaluations and e-mails run inline here
    company = seed_demo()
    plan = ContingencyPlan.objects.for_company(company).get(status="approved")
    scenarios = {s.name: s for s in Scenario.objects.for_company(company)}

    def finished(name: str, paths: int | None = None):
        run = drills.drill_start(company=company, scenario=scenarios[name], plan=plan, paths=paths, enqueue=False)
        drills.drill_run_here(drills.claim(run.pk))
        run.refresh_from_db()
        return run

    one_path = finished("One platform closes")
    monte_carlo = finished("Market-wide tightening")
    started = time.perf_counter()
    big = finished("Market-wide tightening", paths=big_paths)
    print(f"{big.paths:,}-path drill simulated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    queued = drills.drill_start(company=company, scenario=scenarios["All platforms close"], plan=plan, enqueue=False)
    drills.schedule_save(
        company=company, by=None, name="Weekly platform drill", scenario=scenarios["All platforms close"],
        plan=plan, cron="0 6 * * 1",
    )  # fmt: skip
    return {
        "user": get_user_model().objects.get(username=DEMO_USERNAME),
        "channel": FundingChannel.objects.for_company(company).order_by("pk").first(),
        "counterparty": Counterparty.objects.for_company(company).order_by("pk").first(),
        "pool": LiquidityPool.objects.for_company(company).order_by("pk").first(),
        "cash_flow": CashFlowLine.objects.for_company(company).order_by("pk").first(),
        "plan": plan,
        "scenario": scenarios["Market-wide tightening"],
        "one_path": one_path,
        "monte_carlo": monte_carlo,
        "big": big,
        "queued": queued,
    }


def pages(data: dict) -> list[tuple[str, str, dict]]:
    """(label, url, extra request headers) for every page."""
    run, mc, big = data["one_path"], data["monte_carlo"], data["big"]
    htmx = {"HTTP_HX_REQUEST": "true"}
    return [
        ("Dashboard", reverse("dashboard"), {}),
        ("Channels", reverse("channels:channel-list"), {}),
        ("Channel detail", reverse("channels:channel-detail", args=[data["channel"].pk]), {}),
        ("Counterparties", reverse("channels:counterparty-list"), {}),
        ("Counterparty detail", reverse("channels:counterparty-detail", args=[data["counterparty"].pk]), {}),
        ("Pools", reverse("contingency:pool-list"), {}),
        ("Pool detail", reverse("contingency:pool-detail", args=[data["pool"].pk]), {}),
        ("Pool form (edit)", reverse("contingency:pool-edit", args=[data["pool"].pk]), {}),
        ("Cash-flow forecast (90-day chart)", reverse("contingency:cashflow-list"), {}),
        ("Cash-flow form (edit)", reverse("contingency:cashflow-edit", args=[data["cash_flow"].pk]), {}),
        ("Plans", reverse("contingency:plan-list"), {}),
        ("Plan detail", reverse("contingency:plan-detail", args=[data["plan"].pk]), {}),
        ("Plan form with steps", reverse("contingency:plan-edit", args=[data["plan"].pk]), {}),
        ("Scenarios", reverse("contingency:scenario-list"), {}),
        ("Scenario detail", reverse("contingency:scenario-detail", args=[data["scenario"].pk]), {}),
        ("Scenario form with shocks", reverse("contingency:scenario-edit", args=[data["scenario"].pk]), {}),
        ("Drills", reverse("contingency:drill-list"), {}),
        ("Drill start form", reverse("contingency:drill-add"), {}),
        ("Drill progress (htmx poll)", reverse("contingency:drill-progress", args=[data["queued"].pk]), htmx),
        ("Drill report, 1 path", reverse("contingency:drill-detail", args=[run.pk]), {}),
        (f"Drill report, {mc.paths:,} paths", reverse("contingency:drill-detail", args=[mc.pk]), {}),
        (f"Drill report, {big.paths:,} paths", reverse("contingency:drill-detail", args=[big.pk]), {}),
        ("Compare two drills", reverse("contingency:drill-compare") + f"?a={run.pk}&b={mc.pk}", {}),
        (
            f"Compare {mc.paths:,} and {big.paths:,} paths",
            reverse("contingency:drill-compare") + f"?a={mc.pk}&b={big.pk}",
            {},
        ),
        ("Schedules", reverse("contingency:schedule-list"), {}),
        ("Schedule form", reverse("contingency:schedule-add"), {}),
        ("Alerts", reverse("contingency:alert-list"), {}),
        ("Import", reverse("contingency:import-add"), {}),
    ]


def measure(client: Client, url: str, headers: dict, runs: int) -> dict:
    timings = []
    first_ms, queries = 0.0, 0
    for attempt in range(runs + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, **headers)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if attempt == 0:
            first_ms, queries = elapsed, len(captured)
        else:
            timings.append(elapsed)
    timings.sort()
    return {
        "first": first_ms,
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))],
        "queries": queries,
    }


def table(rows: list[tuple[str, dict]], runs: int, language: str) -> str:
    vendor = connection.vendor
    version = ".".join(str(part) for part in connection.Database.__version__.split(".")[:2]) if vendor else ""
    lines = [
        SECTION,
        "",
        f"Every server-rendered page on the demo company (`seed_demo`), requested as the demo user with Django's test"
        f" client: the first request, then the median and 95th percentile of {runs} more; target: median under"
        f" {TARGET_MS} ms. `python benchmarks/bench_pages.py --write` regenerates this section.",
        "",
        f"Measured on {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python"
        f" {platform.python_version()}, {vendor} ({connection.Database.__name__} {version}), language {language},"
        f" DEBUG={settings.DEBUG}; load average {os.getloadavg()[0]:.1f} while measuring (other work on the machine"
        " slows every figure alike).",
        "",
        "| page | first (ms) | median (ms) | p95 (ms) | SQL queries | under target |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for label, numbers in rows:
        ok = "yes" if numbers["median"] < TARGET_MS else "**no**"
        lines.append(
            f"| {label} | {numbers['first']:.1f} | {numbers['median']:.1f} | {numbers['p95']:.1f} |"
            f" {numbers['queries']} | {ok} |"
        )
    slowest = max(rows, key=lambda row: row[1]["median"])
    lines += ["", f"Slowest median: {slowest[0]}, {slowest[1]['median']:.1f} ms.", ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace the "## Pages" section of docs/benchmarks.md (or append it), leaving the other sections alone."""
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: text + "\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page after the first")
    parser.add_argument("--language", default="en", choices=[code for code, _name in settings.LANGUAGES])
    parser.add_argument("--write", action="store_true", help=f"write the table into {DOC.relative_to(ROOT)}")
    parser.add_argument("--big-paths", type=int, default=BIG_PATHS, help="paths of the big run whose report is timed")
    args = parser.parse_args()

    setup_test_environment()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        data = seed(args.big_paths)
        client = Client()
        client.force_login(data["user"])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = args.language
        rows = []
        for label, url, headers in pages(data):
            numbers = measure(client, url, headers, args.runs)
            rows.append((label, numbers))
            print(f"{label:40} first {numbers['first']:7.1f}  median {numbers['median']:7.1f}  "
                  f"p95 {numbers['p95']:7.1f} ms  {numbers['queries']:3} queries", file=sys.stderr)  # fmt: skip
        text = table(rows, args.runs, args.language)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    print(text)
    if args.write:
        write_section(text)
        print(f"Wrote {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
