"""Load test of the web app and the API with the demo company (run by loadtest/run.sh, not by `make test`).

Each simulated `Treasurer` is the demo treasurer: it opens the dashboard, lists channels and the ledger, reads the
trigger watch and the companies list and pulls ERP exports, with a think time of 0.5–1.5 s between requests
(LOADTEST_THINK=0: none, to find the saturation throughput). One `DrillRunner` besides them starts drills — a
deterministic one and a small Monte Carlo one (LOADTEST_DRILL_PATHS paths) in turn — and polls each until it has
finished, as the drill page does: at most LOADTEST_DRILLS drills, each given LOADTEST_DRILL_TIMEOUT seconds, a
pause of LOADTEST_DRILL_PAUSE seconds between them. How long each drill took from start to finished is written to
`<LOADTEST_OUT>/drills.csv` (report.py summarises it). Credentials come from the environment (run.sh creates them):
LOADTEST_TOKEN for the API, LOADTEST_SESSION for the HTML dashboard.
"""

import csv
import os
import time

from locust import HttpUser, between, constant, events, task

TOKEN = os.environ["LOADTEST_TOKEN"]
SESSION = os.environ["LOADTEST_SESSION"]
COMPANY = os.environ.get("LOADTEST_COMPANY", "demo")
# Think time between a user's requests, in seconds: "0.5-1.5" (default) or "0" for a closed loop (saturation).
THINK = os.environ.get("LOADTEST_THINK", "0.5-1.5")
DRILLS = int(os.environ.get("LOADTEST_DRILLS", "10"))
DRILL_PATHS = int(os.environ.get("LOADTEST_DRILL_PATHS", "200"))
DRILL_TIMEOUT = float(os.environ.get("LOADTEST_DRILL_TIMEOUT", "60"))
DRILL_PAUSE = float(os.environ.get("LOADTEST_DRILL_PAUSE", "2"))
POLL_SECONDS = 0.5
OUT = os.environ.get("LOADTEST_OUT", "/tmp/financeplanner-loadtest")
API = {"Authorization": f"Token {TOKEN}", "X-Company": COMPANY}

drill_times: list[tuple[str, str, float]] = []  # (kind, final status, seconds from start to finished)


class Treasurer(HttpUser):
    wait_time = constant(0) if THINK == "0" else between(*(float(x) for x in THINK.split("-")))

    def on_start(self) -> None:
        self.api = API
        # The session cookie is Secure in production settings; over plain http we send it ourselves.
        self.page = {"Cookie": f"sessionid={SESSION}"}

    @task(3)
    def dashboard(self) -> None:
        with self.client.get("/", headers=self.page, name="GET / (dashboard)", allow_redirects=False,
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"dashboard answered {response.status_code}")

    @task(3)
    def channels(self) -> None:
        self.client.get("/api/v1/channels/", headers=self.api, name="GET /api/v1/channels/")

    @task(2)
    def ledger(self) -> None:
        self.client.get("/api/v1/ledger/?ordering=-date", headers=self.api, name="GET /api/v1/ledger/")

    @task(2)
    def trigger_watch(self) -> None:
        self.client.get("/api/v1/trigger-watch/", headers=self.api, name="GET /api/v1/trigger-watch/")

    @task(1)
    def companies(self) -> None:
        self.client.get("/api/v1/companies/", headers=self.api, name="GET /api/v1/companies/")

    @task(2)
    def export_ledger_csv(self) -> None:
        self.client.get("/api/v1/exports/ledger/?format=csv", headers=self.api, name="GET /api/v1/exports/ledger/ csv")

    @task(1)
    def export_channels_xlsx(self) -> None:
        self.client.get(
            "/api/v1/exports/channels/?format=xlsx", headers=self.api, name="GET /api/v1/exports/channels/ xlsx"
        )

    @task(1)
    def export_forecast_json(self) -> None:
        self.client.get("/api/v1/exports/cash-flows/", headers=self.api, name="GET /api/v1/exports/cash-flows/ json")


class DrillRunner(HttpUser):
    """One analyst rehearsing: start a drill, poll it until it has finished, pause, start the next one."""

    fixed_count = 1
    wait_time = constant(DRILL_PAUSE)

    def on_start(self) -> None:
        scenarios = self.client.get("/api/v1/scenarios/", headers=API, name="GET /api/v1/scenarios/")
        rows = scenarios.json()["results"]
        self.scenarios = {
            "deterministic": next(row["id"] for row in rows if row["kind"] == "deterministic"),
            "monte_carlo": next(row["id"] for row in rows if row["kind"] == "monte_carlo"),
        }
        self.started = 0

    @task
    def drill(self) -> None:
        if self.started >= DRILLS:
            time.sleep(1)  # the drills are done; the treasurers go on until the run ends
            return
        kind = "deterministic" if self.started % 2 == 0 else "monte_carlo"
        self.started += 1
        body = {"scenario": self.scenarios[kind], **({"paths": DRILL_PATHS} if kind == "monte_carlo" else {})}
        began = time.monotonic()
        with self.client.post("/api/v1/drills/", json=body, headers=API, name=f"POST /api/v1/drills/ {kind}",
                              catch_response=True) as response:  # fmt: skip
            if response.status_code != 202:
                response.failure(f"drill start answered {response.status_code}: {response.text[:200]}")
                return
            run = response.json()["id"]
        status = "queued"
        while time.monotonic() - began < DRILL_TIMEOUT:
            time.sleep(POLL_SECONDS)
            with self.client.get(f"/api/v1/drills/{run}/", headers=API, name="GET /api/v1/drills/{id}/ (poll)",
                                 catch_response=True) as response:  # fmt: skip
                if response.status_code != 200:
                    response.failure(f"drill poll answered {response.status_code}")
                    continue
                status = response.json()["status"]
                if status == "failed":
                    response.failure(f"drill {run} failed: {response.json()['error'][:200]}")
            if status in ("succeeded", "failed"):
                break
        else:
            events.request.fire(request_type="DRILL", name=f"drill {kind} finished in time", response_time=0,
                                response_length=0, exception=TimeoutError(f"drill {run} still {status}"))  # fmt: skip
        drill_times.append((kind, status, time.monotonic() - began))


@events.test_stop.add_listener
def _write_drill_times(**kwargs) -> None:
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "drills.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "status", "seconds"])
        writer.writerows((kind, status, f"{seconds:.2f}") for kind, status, seconds in drill_times)
