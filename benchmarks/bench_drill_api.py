"""A deterministic drill of a 50-channel company through the API, start to result, over real HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python benchmarks/bench_drill_api.py [--runs 30] [--port 8765]

Creates a throw-away PostgreSQL test database, stores the 50-channel company of `bench_drill_common` through the
services, starts gunicorn on 127.0.0.1 (2 sync workers, DEBUG off) and one Celery worker (concurrency 1), as a
deployment runs them, and then, `--runs` times: POST /api/v1/drills/ (token authentication) for the deterministic
scenario with the approved plan, then GET /api/v1/drills/{id}/ every 5 ms until the run has succeeded. The time is
from sending the POST to receiving the GET that carries the results; first run reported apart (cold caches).

Also timed in this process, to show where the time goes: building the snapshot from the database (and its SQL
queries) and the engine's run of the one path with the channel-impact ranking. The target is under 300 ms.
Prints a Markdown section for docs/benchmarks.md. The Redis database is purged first: use a private one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_drill_common import (
    ROOT,
    Worker,
    bench_database,
    database_url,
    fifty_channel_company,
    load,
    machine,
)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

TARGET_MS = 300


def start_gunicorn(port: int, broker: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "financeplanner.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not start:\n{log.read_text()}")


def one_drill(conn: http.client.HTTPConnection, headers: dict, body: bytes) -> tuple[float, float, int, str]:
    """(milliseconds from POST to results, milliseconds the POST took, GET polls, status of the POST's answer)."""
    started = time.perf_counter()
    conn.request("POST", "/api/v1/drills/", body=body, headers=headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    post_ms = (time.perf_counter() - started) * 1000
    if response.status != 202:
        raise SystemExit(f"POST answered {response.status}: {answer}")
    first_status, polls = answer["status"], 0
    while answer["status"] not in ("succeeded", "failed"):
        time.sleep(0.005)
        conn.request("GET", f"/api/v1/drills/{answer['id']}/", headers=headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        polls += 1
    elapsed = (time.perf_counter() - started) * 1000
    if answer["status"] != "succeeded" or not answer["results"]:
        raise SystemExit(f"The drill failed: {answer.get('error')}")
    return elapsed, post_ms, polls, first_status


def in_process(company, scenario, plan) -> dict:
    from contingency import engine
    from contingency.snapshot import build_inputs

    timings, engine_ms = [], []
    with CaptureQueriesContext(connection) as captured:
        inputs = build_inputs(company=company, scenario=scenario, plan=plan, paths=1, seed=scenario.seed)
    queries = len(captured)
    for _ in range(10):
        started = time.perf_counter()
        inputs = build_inputs(company=company, scenario=scenario, plan=plan, paths=1, seed=scenario.seed)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        engine.run(inputs)
        engine_ms.append((time.perf_counter() - started) * 1000)
    return {"snapshot_ms": statistics.median(timings), "queries": queries, "engine_ms": statistics.median(engine_ms),
            "channels": len(inputs.channels), "horizon": inputs.scenario.horizon_days}  # fmt: skip


def section(times: list[float], posts: list[float], polls: list[int], statuses: set[str], parts: dict,
            load_before: str, load_after: str) -> str:  # fmt: skip
    rest = sorted(times[1:])
    median = statistics.median(rest)
    p95 = rest[min(len(rest) - 1, round(0.95 * (len(rest) - 1)))]
    return "\n".join([
        "## Deterministic drill through the API",
        "",
        "`benchmarks/bench_drill_api.py`: a deterministic drill (one path, every platform closed on day 0, our rating"
        f" cut three notches on day 10, {parts['horizon']} days) of a company with {parts['channels']} funding"
        " channels, seven cash-flow lines and a four-step approved plan, stored in PostgreSQL through the services."
        " Real HTTP to gunicorn on 127.0.0.1 (2 sync workers, DEBUG off) with one Celery worker (concurrency 1) on"
        " Redis, as deployed: POST /api/v1/drills/ with a token, then GET /api/v1/drills/{id}/ every 5 ms until the"
        f" results are there. {len(times)} drills; the first is reported apart. Target: under {TARGET_MS} ms.",
        "",
        f"Machine: {machine()}. Load average (1 / 5 / 15 min) {load_before} before, {load_after} after (shared with"
        " other helpers' work).",
        "",
        "| what | result |",
        "|---|---:|",
        f"| start to result, first drill | {times[0]:.0f} ms |",
        f"| start to result, median of the rest | **{median:.0f} ms** |",
        f"| start to result, 95th percentile | {p95:.0f} ms |",
        f"| of which: the POST's answer (median) | {statistics.median(posts[1:]):.0f} ms |",
        f"| GET polls per drill (median) | {statistics.median(polls):.0f} |",
        f"| status in the POST's answer | {', '.join(sorted(statuses))} |",
        f"| of which: building the snapshot from the database (in process) | {parts['snapshot_ms']:.0f} ms,"
        f" {parts['queries']} SQL queries |",
        f"| of which: the engine, one path plus the channel-impact ranking (in process) | {parts['engine_ms']:.0f} ms |",
        "",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    broker = settings.CELERY_BROKER_URL
    if not broker:
        raise SystemExit("Set CELERY_BROKER_URL to a private Redis database.")
    from rest_framework.authtoken.models import Token

    load_before = load()
    with bench_database(), tempfile.TemporaryDirectory() as logs:
        user, company, plan, deterministic, _ = fifty_channel_company()
        token = Token.objects.get_or_create(user=user)[0].key
        parts = in_process(company, deterministic, plan)
        subprocess.run([sys.executable, "-m", "celery", "-A", "financeplanner", "purge", "-f"], cwd=ROOT, check=True,
                       env={**os.environ, "CELERY_BROKER_URL": broker}, capture_output=True)  # fmt: skip
        connection.close()
        worker = Worker("api-bench", Path(logs), broker, database_url())
        web = start_gunicorn(args.port, broker, Path(logs) / "gunicorn.log")
        try:
            worker.wait_ready()
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                       "X-Company": company.slug}  # fmt: skip
            body = json.dumps({"scenario": deterministic.pk, "plan": plan.pk}).encode()
            times, posts, polls, statuses = [], [], [], set()
            for _ in range(args.runs):
                elapsed, post_ms, count, status = one_drill(conn, headers, body)
                times.append(elapsed)
                posts.append(post_ms)
                polls.append(count)
                statuses.add(status)
                print(f"{elapsed:7.1f} ms (POST {post_ms:6.1f} ms)  {count} polls  POST said {status}", file=sys.stderr)
        finally:
            os.killpg(web.pid, 15)
            web.wait(timeout=30)
            worker.stop()
    print(section(times, posts, polls, statuses, parts, load_before, load()))


if __name__ == "__main__":
    main()
