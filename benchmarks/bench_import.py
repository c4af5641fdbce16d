"""Import benchmark: 10,000 funding channels and 100,000 cash-flow lines, dry run and commit, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/financeplanner_bench .venv/bin/python benchmarks/bench_import.py

Goes through the code path the API and the import jobs use (`financeplanner.importing.import_rows`, from the CSV
bytes a user uploads), with an analyst as the audit trail's actor. The 100,000 cash-flow lines are one file
(an upload may hold 100,000 rows; `--cash-flow-files 10` imports them as ten files of 10,000, as before). Creates the database if it is missing and migrates it; the
channels and the cash-flow lines each go to a new company (with 50 counterparties), left in the database. Prints
the machine, the load (`uptime`) before and after, and each step's wall time and this process's CPU time (the
database's own time is not in it; on a shared machine it moves less with the load than the wall time), as a
Markdown table for docs/benchmarks.md ("## Imports").
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "financeplanner.settings")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/financeplanner_bench"
SLUG = "bench-import"
COUNTERPARTIES = 50
CHANNELS = 10_000
CASH_FLOW_LINES = 100_000

CHANNEL_HEADER = [
    "name", "counterparty", "channel_type", "currency", "limit", "committed", "annual_rate", "day_count",
    "start_date", "maturity_date", "repayment_profile", "payment_frequency", "notice_days", "notes",
]  # fmt: skip
CASH_FLOW_HEADER = ["name", "category", "amount", "currency", "start_date", "end_date", "frequency", "discretionary"]
CHANNEL_TYPES = ("revolving_credit", "bank_term_loan", "supply_chain_finance")
FREQUENCIES = ("once", "weekly", "monthly", "quarterly")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def csv_bytes(header: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def channel_file() -> bytes:
    return csv_bytes(
        CHANNEL_HEADER,
        (
            [
                f"Line {i:05d}", f"Bench bank {i % COUNTERPARTIES:02d}", CHANNEL_TYPES[i % 3], "CNY",
                f"{1_000_000 + i * 37}.{i % 100:02d}", "TRUE" if i % 2 else "FALSE", f"{(35 + i % 30) // 10}.{(35 + i % 30) % 10}", "ACT/365F",
                "2026-01-01", f"{2027 + i % 5}-06-30", "bullet", "monthly", str(i % 90), f"Imported line {i}",
            ]
            for i in range(CHANNELS)
        ),
    )  # fmt: skip


def cash_flow_file(part: int, rows: int) -> bytes:
    return csv_bytes(
        CASH_FLOW_HEADER,
        (
            [
                f"Flow {part:02d}-{i:05d}", ("operations", "tax", "capex", "sales")[i % 4],
                f"{'-' if i % 3 else ''}{10_000 + i * 7}.{i % 100:02d}", "CNY", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "" if i % 5 else "2027-12-31", FREQUENCIES[i % 4], "TRUE" if i % 7 == 0 else "FALSE",
            ]
            for i in range(rows)
        ),
    )  # fmt: skip


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cash-flow-files", type=int, default=1, help="the 100,000 cash-flow lines split into this many files (1)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The import benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    from auditlog.context import set_actor
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model

    from channels_app.models import Counterparty, FundingChannel
    from contingency.models import CashFlowLine
    from financeplanner.importing import import_rows
    from financeplanner.models import Company, Membership

    analyst, _ = get_user_model().objects.get_or_create(username="bench-import-analyst")

    def fresh_company() -> Company:
        """A company of its own for each import, with the counterparties the channels name: nothing to delete
        between runs (deleting 100,000 rows would run the tombstone and audit receivers on each)."""
        company = Company.objects.create(slug=f"{SLUG}-{time.time_ns()}", name="Import benchmark")
        Membership.objects.create(company=company, user=analyst, role="analyst")
        Counterparty.objects.bulk_create(
            Counterparty(company=company, name=f"Bench bank {i:02d}", kind="bank") for i in range(COUNTERPARTIES)
        )
        return company

    cpu = {"seconds": 0.0}

    def run(company: Company, dataset: str, content: bytes, commit: bool) -> tuple[float, int]:
        """Wall time of one import; its process CPU time is added to cpu["seconds"]."""
        started, cpu_started = time.perf_counter(), time.process_time()
        with set_actor(analyst):
            report = import_rows(
                company=company, dataset=dataset, file=io.BytesIO(content), filename=f"{dataset}.csv", by=analyst,
                commit=commit,
            )  # fmt: skip
        seconds = time.perf_counter() - started
        cpu["seconds"] += time.process_time() - cpu_started
        if report.errors:
            sys.exit(f"{dataset}: the benchmark file was refused: {report.errors[:3]}")
        return seconds, report.created

    load_before = uptime()
    results = []
    channels = channel_file()
    company = fresh_company()
    seconds, _ = run(company, "channels", channels, commit=False)
    results.append(("10,000 channels", "dry run", seconds, cpu.pop("seconds")))
    cpu["seconds"] = 0.0
    seconds, created = run(company, "channels", channels, commit=True)
    assert created == CHANNELS and FundingChannel.objects.for_company(company).count() == CHANNELS
    assert LogEntry.objects.filter(content_type__model="fundingchannel", actor=analyst).count() >= CHANNELS
    results.append(("10,000 channels", "commit", seconds, cpu.pop("seconds")))
    print(f"  channels: {results[-2][2:]} dry run, {results[-1][2:]} commit (wall, CPU s)", file=sys.stderr)

    per_file = CASH_FLOW_LINES // args.cash_flow_files
    files = [cash_flow_file(part, per_file) for part in range(args.cash_flow_files)]
    total = per_file * len(files)
    company = fresh_company()
    cpu["seconds"] = 0.0
    dry = sum(run(company, "cash-flows", content, commit=False)[0] for content in files)
    what = f"{total:,} cash-flow lines ({len(files)} file{'s' if len(files) > 1 else ''})"
    results.append((what, "dry run", dry, cpu.pop("seconds")))
    cpu["seconds"] = 0.0
    committed = 0.0
    for content in files:
        seconds, created = run(company, "cash-flows", content, commit=True)
        assert created == per_file
        committed += seconds
    assert CashFlowLine.objects.for_company(company).count() == total
    assert LogEntry.objects.filter(content_type__model="cashflowline", actor=analyst).count() >= total
    results.append((what, "commit", committed, cpu.pop("seconds")))
    print(f"  cash flows: {results[-2][2:]} dry run, {results[-1][2:]} commit (wall, CPU s)", file=sys.stderr)
    load_after = uptime()

    print(f"Measured on {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL.")
    print(f"Load before: {load_before}")
    print(f"Load after:  {load_after}\n")
    print("| import | step | wall time (s) | process CPU time (s) |")
    print("|---|---|---:|---:|")
    for what, step, seconds, cpu_seconds in results:
        print(f"| {what} | {step} | {seconds:.2f} | {cpu_seconds:.2f} |")


if __name__ == "__main__":
    main()
