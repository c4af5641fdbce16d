"""What an ERP does with the published contract: generate a Python client with openapi-python-client (default
settings) from the schema the live server serves, import it, and drive a treasurer's flow through it against that
server — token, company, counterparty, channel, draw, pool, scenario, and a Monte Carlo drill to its results."""

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
BIN = Path(sys.executable).parent


@pytest.fixture
def generated_client(live_server, tmp_path):
    UserFactory(username="schema-reader", password="schema-reader-pw")
    token = requests.post(
        f"{live_server.url}/api/v1/auth/token/",
        json={"username": "schema-reader", "password": "schema-reader-pw"},
        timeout=30,
    ).json()["token"]
    schema = requests.get(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Token {token}"}, timeout=60
    )
    assert schema.status_code == 200
    (tmp_path / "schema.json").write_text(json.dumps(schema.json()))
    generated = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", tmp_path / "schema.json", "--output-path",
         tmp_path / "client"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    sys.path.insert(0, str(tmp_path / "client"))
    try:
        yield importlib.import_module("financeplanner_api_client")
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [m for m in sys.modules if m.startswith("financeplanner_api_client")]:
            del sys.modules[name]


def test_a_generated_client_drives_a_treasurers_flow(generated_client, live_server):
    client_module = generated_client
    api = importlib.import_module("financeplanner_api_client.api")
    models = importlib.import_module("financeplanner_api_client.models")

    def call(module_path: str, **kwargs):
        module = importlib.import_module(f"financeplanner_api_client.api.{module_path}")
        response = module.sync_detailed(**kwargs)
        assert response.status_code < 300, (module_path, response.status_code, response.content)
        return response.parsed

    UserFactory(username="tess-treasurer", password="treasurer-pw")
    anonymous = client_module.AuthenticatedClient(base_url=live_server.url, token="", prefix="")
    token = call(
        "auth.auth_token_create",
        client=anonymous,
        body=models.AuthTokenRequest(username="tess-treasurer", password="treasurer-pw"),
    )
    client = client_module.AuthenticatedClient(base_url=live_server.url, token=token.token, prefix="Token")
    company = call(
        "companies.companies_create",
        client=client,
        body=models.CompanyRequest(slug="erp-co", name="ERP Co", survival_horizon_days=30),
    )
    assert company.slug == "erp-co"
    bank = call(
        "counterparties.counterparties_create",
        client=client,
        body=models.CounterpartyRequest(name="Bank of Tests", kind=models.CounterpartyKindEnum("bank")),
    )
    import datetime

    channel = call(
        "channels.channels_create",
        client=client,
        body=models.FundingChannelRequest.from_dict(
            {"name": "Revolver", "counterparty": bank.id, "channel_type": "revolving_credit", "limit": "2000000.00",
             "annual_rate": "0.0300", "start_date": "2026-01-01", "maturity_date": "2028-01-01"}
        ),
    )  # fmt: skip
    entry = call(
        "channels.channels_draw_create",
        id=channel.id,
        client=client,
        body=models.MoneyMovementRequest(amount="500000.00", date=datetime.date(2026, 2, 1)),
    )
    assert entry.amount == "500000.00"
    call(
        "pools.pools_create",
        client=client,
        body=models.LiquidityPoolRequest.from_dict({"name": "Cash", "kind": "cash", "amount": "1000000.00"}),
    )
    scenario = call(
        "scenarios.scenarios_create",
        client=client,
        body=models.ScenarioRequest.from_dict(
            {"name": "Tightening", "kind": "monte_carlo", "as_of": "2026-03-02", "horizon_days": 30, "paths": 200,
             "seed": 7, "market_stress": "1.0", "hazard_multiplier": "5.0"}
        ),
    )  # fmt: skip
    drill = call("drills.drills_create", client=client, body=models.DrillRunRequest(scenario=scenario.id, paths=200))
    deadline = time.monotonic() + 60
    while str(drill.status) not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        drill = call("drills.drills_retrieve", id=drill.id, client=client)
    assert str(drill.status) == "succeeded", drill.error
    assert drill.paths == 200 and drill.results is not None
    assert api is not None
