"""Load test of the web app and the API with the demo company (run by loadtest/run.sh, not by `make test`).

Each simulated user is the demo treasurer: it opens the dashboard, lists channels and the ledger, reads the
companies list and pulls ERP exports, with a think time of 0.5–1.5 s between requests
(LOADTEST_THINK=0: none, to find the saturation throughput). Credentials come from the
environment (run.sh creates them): LOADTEST_TOKEN for the API, LOADTEST_SESSION for the HTML dashboard.
"""

import os

from locust import HttpUser, between, constant, task

TOKEN = os.environ["LOADTEST_TOKEN"]
SESSION = os.environ["LOADTEST_SESSION"]
COMPANY = os.environ.get("LOADTEST_COMPANY", "demo")
# Think time between a user's requests, in seconds: "0.5-1.5" (default) or "0" for a closed loop (saturation).
THINK = os.environ.get("LOADTEST_THINK", "0.5-1.5")


class Treasurer(HttpUser):
    wait_time = constant(0) if THINK == "0" else between(*(float(x) for x in THINK.split("-")))

    def on_start(self) -> None:
        self.api = {"Authorization": f"Token {TOKEN}", "X-Company": COMPANY}
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
