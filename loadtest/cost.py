"""What one request of each load-tested endpoint costs the server: CPU time, wall time and SQL queries.

The load test's percentiles depend on everything else the machine runs; the CPU a request burns in the web process
does much less, so this is the figure to compare before and after a change on a shared machine. Each endpoint is
requested in-process (Django's test client, the demo user, the demo company) once to warm up, then `--repeat`
times; the medians are printed as a Markdown table. Run it on the load test's database after `loadtest/run.sh` has
seeded it (or any database with `manage.py seed_demo`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/financeplanner_loadtest DEBUG=false SECRET_KEY=x \
        ALLOWED_HOSTS=testserver .venv/bin/python loadtest/cost.py [--repeat 30] [--cold]

`--cold` empties the cache before each request (what a request costs after every write: the uncached path).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "financeplanner.settings")
os.environ.setdefault("THROTTLE_USER", "100000000/hour")
os.environ.setdefault("THROTTLE_EXPORTS", "10000000/minute")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache, caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

ENDPOINTS = [
    ("page", "GET / (dashboard)", "/"),
    ("api", "GET /api/v1/channels/", "/api/v1/channels/"),
    ("api", "GET /api/v1/ledger/", "/api/v1/ledger/?ordering=-date"),
    ("api", "GET /api/v1/companies/", "/api/v1/companies/"),
    ("api", "GET /api/v1/trigger-watch/", "/api/v1/trigger-watch/"),
    ("api", "GET /api/v1/drills/", "/api/v1/drills/"),
    ("api", "GET /api/v1/exports/ledger/ csv", "/api/v1/exports/ledger/?format=csv"),
    ("api", "GET /api/v1/exports/channels/ xlsx", "/api/v1/exports/channels/?format=xlsx"),
    ("api", "GET /api/v1/exports/cash-flows/ json", "/api/v1/exports/cash-flows/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cold", action="store_true", help="empty the cache before every request")
    args = parser.parse_args()
    user = get_user_model().objects.get(username="demo")
    token = Token.objects.get_or_create(user=user)[0].key
    page, api = Client(), Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_COMPANY="demo")
    page.force_login(user)
    session = page.session
    session["company_slug"] = "demo"
    session.save()
    print(f"{args.repeat} requests each, {'cold cache' if args.cold else 'warm cache'}, load average "
          f"{os.getloadavg()[0]:.1f}, cache {type(caches['default']).__name__}")  # fmt: skip
    print("| endpoint | CPU (ms) | wall (ms) | SQL queries | bytes |")
    print("|---|---:|---:|---:|---:|")
    for kind, name, url in ENDPOINTS:
        client = page if kind == "page" else api
        cpu, wall, queries, size = [], [], [], 0
        for attempt in range(args.repeat + 1):
            if args.cold:
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                ended_cpu, ended = time.process_time(), time.perf_counter()
            if response.status_code != 200:
                raise SystemExit(f"{name} answered {response.status_code}: {body[:300]!r}")
            if attempt:  # the first request warms up
                cpu.append((ended_cpu - started_cpu) * 1000)
                wall.append((ended - started) * 1000)
                queries.append(len(captured))
                size = len(body)
        print(f"| {name} | {statistics.median(cpu):.1f} | {statistics.median(wall):.1f} "
              f"| {statistics.median(queries):.0f} | {size:,} |")  # fmt: skip


if __name__ == "__main__":
    main()
