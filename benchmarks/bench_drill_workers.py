"""A million-path drill through real Celery workers on PostgreSQL: 1 worker, then 2 workers (concurrency 1 each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python benchmarks/bench_drill_workers.py [--paths 1000000] [--workers 1 2]

Creates a throw-away test database (test_<name of DATABASE_URL's database>), stores the 50-channel, 365-day drill
of the engine benchmark (`bench_engine.company`, with the extra-liquidity search, blocks of DRILL_BLOCK_SIZE paths)
as a queued run, starts the workers itself (`celery -A financeplanner worker --concurrency=1`, each a main process
and one pool process), enqueues the run as the API would and waits until it succeeded. Measured:

* wall time from enqueueing to the run's status `succeeded` (polled every 0.5 s);
* peak resident set (VmHWM from /proc) of every worker process, read just before the workers are stopped: the pool
  process that finished the run folded all of its blocks;
* database bytes: the stored blocks' payloads at their largest while the run was going (polled), the growth of the
  blocks table on disk (`pg_total_relation_size`), and what stays per finished run (its results, block rows).

Prints a Markdown section for docs/benchmarks.md. The Redis database is purged first: use a private one.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from bench_drill_common import ROOT, Worker, bench_database, database_url, load, machine, peak_rss_mb, processes_of

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_engine import company  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402


def setup_run(paths: int):
    from contingency.models import DrillRun
    from contingency.services import scenario_save
    from financeplanner.models import Company

    bench_company = Company.objects.get_or_create(slug="bench-workers", defaults={"name": "Bench"})[0]
    scenario = scenario_save(company=bench_company, by=None, name=f"1M {time.time()}", horizon_days=365,
                             kind="monte_carlo", paths=paths, seed=42)  # fmt: skip
    inputs = company(paths, block_size=settings.DRILL_BLOCK_SIZE)
    return DrillRun.objects.create(
        company=bench_company, scenario=scenario, paths=paths, seed=42, snapshot=inputs.to_dict(),
        blocks_total=math.ceil(paths / inputs.scenario.block_size),
    )  # fmt: skip


def table_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('contingency_drillblock')")
        return int(cursor.fetchone()[0])


def live_payload_bytes(run_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(octet_length(payload)), 0) FROM contingency_drillblock WHERE run_id = %s", [run_id]
        )
        return int(cursor.fetchone()[0])


def kept_bytes(run_id: int) -> tuple[int, int]:
    """(bytes of the run's results JSON, bytes of its block rows) once it is finished."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT octet_length(results::text) FROM contingency_drillrun WHERE id = %s", [run_id])
        results = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT coalesce(sum(pg_column_size(b.*)), 0) FROM contingency_drillblock b WHERE run_id = %s", [run_id]
        )
        rows = int(cursor.fetchone()[0])
    return results, rows


def measure(paths: int, n_workers: int, broker: str, log_dir: Path) -> dict:
    from contingency import dispatch
    from contingency.models import DrillRun

    subprocess_purge(broker)
    workers = [Worker(f"bench{i}", log_dir, broker, database_url()) for i in range(n_workers)]
    try:
        for worker in workers:
            worker.wait_ready()
        run = setup_run(paths)
        before = table_bytes()
        started = time.perf_counter()
        dispatch.enqueue_run(run)
        peak_payload, status = 0, "queued"
        while status not in ("succeeded", "failed"):
            time.sleep(0.5)
            peak_payload = max(peak_payload, live_payload_bytes(run.pk))
            status = DrillRun.objects.filter(pk=run.pk).values_list("status", flat=True).get()
        wall = time.perf_counter() - started
        run.refresh_from_db()
        if status != "succeeded":
            raise SystemExit(f"The run failed: {run.error}")
        time.sleep(1.0)  # the warnings evaluation the finish enqueued
        rss = {}
        for worker in workers:
            for pid in processes_of(worker.process.pid):
                role = "main" if pid == worker.process.pid else "pool"
                rss[f"{worker.name} {role} ({pid})"] = peak_rss_mb(pid)
        results_bytes, rows_bytes = kept_bytes(run.pk)
        by_worker: dict[str, int] = {}
        for name in run.blocks.values_list("worker", flat=True):
            by_worker[name.split("@")[0]] = by_worker.get(name.split("@")[0], 0) + 1
        return {
            "workers": n_workers,
            "paths": paths,
            "blocks": run.blocks_total,
            "wall": wall,
            "rss": rss,
            "peak_payload": peak_payload,
            "table_growth": table_bytes() - before,
            "results_bytes": results_bytes,
            "rows_bytes": rows_bytes,
            "by_worker": by_worker,
            "survival": run.results["survival_probability"],
            "extra": run.results["extra_liquidity_needed"],
            "results": run.results,
        }
    finally:
        for worker in workers:
            worker.stop()


def subprocess_purge(broker: str) -> None:
    import os
    import subprocess

    subprocess.run([sys.executable, "-m", "celery", "-A", "financeplanner", "purge", "-f"], cwd=ROOT, check=True,
                   env={**os.environ, "CELERY_BROKER_URL": broker}, capture_output=True)  # fmt: skip


def section(rows: list[dict], load_before: str, load_after: str) -> str:
    mb = 1024 * 1024
    lines = [
        "## Drills across Celery workers",
        "",
        f"`benchmarks/bench_drill_workers.py`: the engine benchmark's drill (50 channels, 365 days, the extra-liquidity"
        f" search on) with {rows[0]['paths']:,} paths in blocks of {settings.DRILL_BLOCK_SIZE:,}"
        f" ({rows[0]['blocks']} blocks), stored as a queued run in PostgreSQL and enqueued as the API does; real"
        " `celery worker` processes (concurrency 1 each: a main process and one pool process) on a private Redis"
        " database. Wall time from enqueueing to `succeeded`; peak RSS is VmHWM from /proc of every process;"
        " database bytes as described in the script's docstring.",
        "",
        f"Machine: {machine()}. Load average (1 / 5 / 15 min) {load_before} before, {load_after} after: the machine"
        " was shared with other helpers' test suites, so the times are what the drill got of two busy cores.",
        "",
        "| workers | wall time | blocks per worker | peak RSS per process (MB) | block payloads at most | table growth"
        " | kept per finished run |",
        "|---:|---:|---|---|---:|---:|---:|",
    ]
    for row in rows:
        rss = ", ".join(f"{name}: {value:.0f}" for name, value in row["rss"].items())
        split = ", ".join(f"{name} {count}" for name, count in sorted(row["by_worker"].items()))
        lines.append(
            f"| {row['workers']} | {row['wall']:.1f} s | {split} | {rss} | {row['peak_payload'] / mb:.1f} MB |"
            f" {row['table_growth'] / mb:.1f} MB | {(row['results_bytes'] + row['rows_bytes']) / 1024:.0f} KB"
            f" (results {row['results_bytes'] / 1024:.0f} KB, {row['blocks']} block rows"
            f" {row['rows_bytes'] / 1024:.0f} KB) |"
        )
    if len(rows) > 1:
        lines += ["", f"Speed-up from 1 to 2 workers: {rows[0]['wall'] / rows[1]['wall']:.2f}x."]
    same = all(row["results"] == rows[0]["results"] for row in rows)
    lines += [
        "",
        f"Survival probability {rows[0]['survival']:.4f}, extra liquidity needed {rows[0]['extra']:,.2f};"
        f" results identical across the runs: {'yes' if same else '**no**'}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    broker = settings.CELERY_BROKER_URL
    if not broker:
        raise SystemExit("Set CELERY_BROKER_URL to a private Redis database.")
    load_before = load()
    rows = []
    with bench_database(), tempfile.TemporaryDirectory() as logs:
        for n in args.workers:
            rows.append(measure(args.paths, n, broker, Path(logs)))
            row = {k: v for k, v in rows[-1].items() if k != "results"}
            print(json.dumps(row, default=str), file=sys.stderr)
    print(section(rows, load_before, load()))


if __name__ == "__main__":
    main()
