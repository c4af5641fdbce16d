"""Ledger export benchmark: peak memory of streaming 10,000 vs 100,000 ledger rows as CSV, JSON and XLSX.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/financeplanner_bench .venv/bin/python benchmarks/bench_exports.py

Needs PostgreSQL (server-side cursors are what keeps the memory flat). Creates the database if it is missing,
migrates it, seeds one company per size (kept between runs), then measures each export in a fresh child process:
the peak of Python allocations (tracemalloc) and the growth of the process's peak resident set (VmHWM) while the
whole response is produced and thrown away. Prints a Markdown table for docs/benchmarks.md ("## API load test").
"""

from __future__ import annotations

import argparse
import json
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
SIZES = (10_000, 100_000)
FORMATS = ("csv", "json", "xlsx")


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def seed(rows: int) -> None:
    from datetime import date, timedelta
    from decimal import Decimal

    from channels_app.models import Counterparty, FundingChannel, LedgerEntry
    from financeplanner.models import Company

    company, _ = Company.objects.get_or_create(slug=f"bench-ledger-{rows}", defaults={"name": f"Ledger {rows}"})
    if LedgerEntry.objects.for_company(company).count() == rows:
        return
    LedgerEntry.objects.for_company(company).delete()
    lender, _ = Counterparty.objects.get_or_create(company=company, name="Bench bank", defaults={"kind": "bank"})
    channel, _ = FundingChannel.objects.get_or_create(
        company=company,
        name="Bench line",
        defaults={
            "counterparty": lender, "channel_type": "revolving_credit", "limit": Decimal("1e12"),
            "annual_rate": Decimal("0.04"), "start_date": date(2020, 1, 1), "maturity_date": date(2040, 1, 1),
        },
    )  # fmt: skip
    start = date(2020, 1, 1)
    batch = []
    for i in range(rows):
        batch.append(
            LedgerEntry(
                company=company,
                channel=channel,
                date=start + timedelta(days=i % 7000),
                kind="fee",
                amount=Decimal(1000 + i % 997) + Decimal(i % 100) / 100,
                reference=f"ERP-{i:08d} supplier invoice",
            )  # fmt: skip
        )
        if len(batch) == 10_000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)


def measure(rows: int, fmt: str) -> dict:
    """In this (child) process: produce the whole export once, discard it, report time and memory."""
    import tracemalloc

    import django

    django.setup()
    from financeplanner.exports import DATASETS, ExportRequest, export_stream
    from financeplanner.models import Company

    company = Company.objects.get(slug=f"bench-ledger-{rows}")
    # Warm up imports and the connection so that the baseline holds everything but the export itself.
    for _ in export_stream(DATASETS["ledger"], ExportRequest(company=Company.objects.get(slug=company.slug)), fmt):
        break
    baseline_hwm = _vm_hwm_kib()
    started = time.perf_counter()
    size = 0
    for chunk in export_stream(DATASETS["ledger"], ExportRequest(company=company), fmt):
        size += len(chunk)
    seconds = time.perf_counter() - started
    rss_growth = _vm_hwm_kib() - baseline_hwm
    # A second pass under tracemalloc (which slows Python down several times) for the peak of Python allocations.
    tracemalloc.start()
    for _ in export_stream(DATASETS["ledger"], ExportRequest(company=company), fmt):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": rows,
        "format": fmt,
        "seconds": round(seconds, 2),
        "bytes": size,
        "python_peak_mib": round(peak / 2**20, 1),
        "rss_growth_mib": round(rss_growth / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", nargs=2, metavar=("ROWS", "FORMAT"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(int(args.measure[0]), args.measure[1])))
        return

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The export benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    sizes = [int(s) for s in args.sizes.split(",")]
    for rows in sizes:
        seed(rows)
    results = []
    for rows in sizes:
        for fmt in FORMATS:
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(rows), fmt],
                capture_output=True, text=True, check=True, env=os.environ, cwd=ROOT,
            )  # fmt: skip
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
            print(f"  {rows:>7,} rows {fmt:<4}: {results[-1]}", file=sys.stderr)

    print(f"Measured on {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL; ")
    print("each export produced whole in a fresh process and discarded (no network); time without tracemalloc.\n")
    print("| rows | format | time (s) | output (MB) | Python peak (MiB) | peak RSS growth (MiB) |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['format']} | {r['seconds']} | {r['bytes'] / 1e6:.1f} | {r['python_peak_mib']} "
            f"| {r['rss_growth_mib']} |"
        )


if __name__ == "__main__":
    main()
