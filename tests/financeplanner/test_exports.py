"""ERP exports: every dataset in JSON, CSV and XLSX reads back with pandas as the database has it; incremental pulls
return exactly the changes and the deletions."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.models import FundingChannel, LedgerEntry
from contingency.models import Alert, CashFlowLine, DrillRun, LiquidityPool, PlanStep
from financeplanner.exports import DATASETS, export_columns
from financeplanner.models import FxRate, Tombstone
from tests.factories import (
    CashFlowLineFactory,
    ContingencyPlanFactory,
    FundingChannelFactory,
    LiquidityPoolFactory,
    PlanStepFactory,
    ScenarioFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("close_unread_exports")]


D = Decimal
AS_OF = date(2026, 3, 1)
FORMATS = ["json", "csv", "xlsx"]
FORMATS_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def book(company):
    """A small but complete company: two currencies, a ledger, pools, a forecast, plans, drills and alerts."""
    FxRate.objects.create(company=company, currency="USD", as_of=date(2026, 1, 1), rate=D("7.10000000"))
    revolver = FundingChannelFactory(company=company, name="Revolver", limit=D("5000000.00"))
    term = FundingChannelFactory(
        company=company, name="Term loan", channel_type="bank_term_loan", repayment_profile="annuity",
        payment_frequency="quarterly", limit=D("1200000.00"), maturity_date=date(2028, 3, 1),
    )  # fmt: skip
    usd = FundingChannelFactory(company=company, name="USD line", currency="USD", limit=D("300000.00"))
    for channel, amount in ((revolver, "750000.00"), (term, "1200000.00"), (usd, "100000.00")):
        channel_services.channel_draw(channel=channel, amount=D(amount), date=date(2026, 2, 1), by=None)
    channel_services.channel_repay(channel=revolver, amount=D("50000.25"), date=date(2026, 2, 10), by=None)
    channel_services.ledger_charge(channel=term, kind="interest", amount=D("4321.09"), date=date(2026, 2, 28), by=None)
    LiquidityPoolFactory(company=company, name="Cash", amount=D("900000.00"))
    LiquidityPoolFactory(
        company=company, name="MMF", kind="money_market_fund", amount=D("250000.50"), haircut=D("0.02")
    )
    CashFlowLineFactory(
        company=company, name="Suppliers", amount=D("-1000.00"), start_date=AS_OF, end_date=AS_OF + timedelta(days=9)
    )
    CashFlowLineFactory(company=company, name="USD receipt", amount=D("100.00"), currency="USD", frequency="once",
                        start_date=AS_OF + timedelta(days=3))  # fmt: skip
    CashFlowLineFactory(company=company, name="Marketing", amount=D("-500.00"), frequency="monthly",
                        discretionary=True, start_date=AS_OF)  # fmt: skip
    plan = ContingencyPlanFactory(company=company, name="Plan A")
    PlanStepFactory(plan=plan, order=1, amount=D("300000.00"))
    PlanStepFactory(plan=plan, order=2, amount=D("150000.00"))
    ContingencyPlanFactory(company=company, name="Empty plan")
    scenario = ScenarioFactory(company=company)
    DrillRun.objects.create(
        company=company, scenario=scenario, plan=plan, paths=1, seed=0, status="succeeded", passed_policy=False,
        results={"horizon_days": 60, "paths": 1, "seed": 0, "survived": False, "survival_probability": 0.0,
                 "runway_days": 14, "min_liquidity": -123456.785, "min_liquidity_day": 20,
                 "liquidity_at_risk_95": -1000.0, "liquidity_at_risk_99": -2000.0, "extra_liquidity_needed": 5000.0,
                 "contingency_used": 490000.0},
    )  # fmt: skip
    DrillRun.objects.create(
        company=company, scenario=scenario, paths=2000, seed=7, status="succeeded", passed_policy=True,
        results={"survived": None, "survival_probability": 0.995, "runway_days": {"p1": 40, "p5": None, "p50": None},
                 "min_liquidity": 10.0},
    )  # fmt: skip
    Alert.objects.create(company=company, indicator="hhi_lender", severity="amber", value=D("3000"), message="HHI")
    return company


def pull(client, dataset, fmt="json", **params):
    response = client.get(f"/api/v1/exports/{dataset}/", {"format": fmt, **params})
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content)
    if fmt == "json":
        frame = pd.DataFrame(pd.read_json(io.BytesIO(content), dtype=False)) if content.strip() != b"[\n]" else None
        if frame is None or frame.empty:
            frame = pd.DataFrame(columns=[c.name for c in export_columns(DATASETS[dataset])])
    elif fmt == "csv":
        frame = pd.read_csv(io.BytesIO(content))
    else:
        frame = pd.read_excel(io.BytesIO(content), engine="openpyxl")
    return response, frame


def total(frame, column) -> Decimal:
    values = pd.to_numeric(frame[column], errors="coerce").dropna()
    return D(str(round(float(values.sum()), 2))).quantize(D("0.01"))


def cents(value) -> Decimal:
    return D(value).quantize(D("0.01"))


def expected(company):
    """Rows and totals straight from the database (the forecast computed by hand from the three lines)."""
    channels = FundingChannel.objects.for_company(company)
    steps = PlanStep.objects.for_company(company)
    return {
        "channels": (channels.count(), {"limit": sum(c.limit for c in channels), "drawn": sum(c.drawn for c in channels)}),
        "ledger": (LedgerEntry.objects.for_company(company).count(),
                   {"amount": sum(e.amount for e in LedgerEntry.objects.for_company(company))}),
        # Every schedule clears what is drawn: its principal adds up to the drawn balances.
        "schedules": (None, {"principal": sum(c.drawn for c in channels)}),
        # 10 × −1,000 + 100 USD × 7.10 − 500 on day 0 and on day 31 (40 days).
        "cash-flows": (40, {"net": D("-10000") + D("710") - D("1000")}),
        "cash-flow-lines": (CashFlowLine.objects.for_company(company).count(),
                            {"amount": sum(c.amount for c in CashFlowLine.objects.for_company(company))}),
        "pools": (LiquidityPool.objects.for_company(company).count(),
                  {"amount": sum(p.amount for p in LiquidityPool.objects.for_company(company))}),
        "plans": (steps.count() + 1, {"amount": sum(s.amount for s in steps)}),
        "drills": (2, {"min_liquidity": cents(D("-123456.79") + D("10"))}),
        "alerts": (Alert.objects.for_company(company).count(), {"value": D("3000")}),
        "trigger-watch": (0, {}),  # no line has a trigger (tests/channels_app/test_trigger_watch.py has the rows)
        "counterparties": (3, {}),  # one lender per channel (the factory's)
        "scenarios": (1, {"horizon_days": D("60")}),
        "drill-schedules": (0, {}),
    }  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_dataset_reads_back_with_the_same_rows_and_totals(dataset, fmt, book, viewer, api_as):
    response, frame = pull(api_as(viewer), dataset, fmt, as_of=AS_OF.isoformat(), days=40)
    assert list(frame.columns) == [c.name for c in export_columns(DATASETS[dataset])]
    rows, totals = expected(book)[dataset]
    if rows is not None:
        assert len(frame) == rows
    for column, amount in totals.items():
        assert total(frame, column) == cents(amount), column
    assert frame["deleted_at"].isna().all()
    assert response["X-Export-Mode"] == ("snapshot" if dataset in ("cash-flows", "trigger-watch") else "full")
    assert f".{fmt}" in response["Content-Disposition"]


def test_schedules_are_every_channels_payments_by_date(book, viewer, api_as):
    _, frame = pull(api_as(viewer), "schedules", as_of=AS_OF.isoformat())
    assert list(frame["date"]) == sorted(frame["date"])
    by_channel = frame.groupby("channel")["principal"].apply(lambda s: sum(D(v) for v in s))
    for channel in FundingChannel.objects.for_company(book):
        assert by_channel[channel.pk] == channel.drawn
    usd = FundingChannel.objects.get(name="USD line")
    assert set(frame.loc[frame["channel"] == usd.pk, "currency"]) == {"USD"}


def test_forecast_is_in_the_reporting_currency_at_the_fx_rate(book, viewer, api_as):
    _, frame = pull(api_as(viewer), "cash-flows", as_of=AS_OF.isoformat(), days=40)
    day3 = frame.loc[frame["date"] == (AS_OF + timedelta(days=3)).isoformat()].iloc[0]
    assert (day3["currency"], day3["inflows"], day3["outflows"], day3["net"]) == (
        "CNY",
        "710.00",
        "-1000.00",
        "-290.00",
    )
    assert frame.iloc[-1]["cumulative_net"] == "-10290.00"
    assert frame.iloc[31]["discretionary_outflows"] == "-500.00"


def test_missing_fx_rate_is_a_400_that_says_which_currency(book, viewer, api_as):
    CashFlowLineFactory(company=book, name="Euro rent", currency="EUR", amount=D("-1.00"), start_date=AS_OF)
    response = api_as(viewer).get("/api/v1/exports/cash-flows/", {"as_of": AS_OF.isoformat()})
    assert response.status_code == 400
    assert "EUR" in str(response.json())


def test_money_is_a_decimal_string_and_amounts_are_exact(book, viewer, api_as):
    _, ledger = pull(api_as(viewer), "ledger")
    assert {"50000.25", "4321.09"} <= set(ledger["amount"])
    assert D(ledger["amount"].map(D).sum()) == sum(e.amount for e in LedgerEntry.objects.all())


def test_incremental_pull_returns_exactly_the_changes_and_the_deletions(book, viewer, api_as):
    client = api_as(viewer)
    first = client.get("/api/v1/exports/pools/")
    watermark = first["X-Export-Watermark"]
    untouched_before = {ds: pull(client, ds, updated_since=watermark)[1] for ds in ("pools", "ledger", "channels")}
    assert all(frame.empty for frame in untouched_before.values())

    mmf = LiquidityPool.objects.get(name="MMF")
    mmf.amount = D("260000.00")
    mmf.save()
    LiquidityPool.objects.get(name="Cash").delete()
    revolver = FundingChannel.objects.get(name="Revolver")
    entry = channel_services.channel_draw(channel=revolver, amount=D("10.00"), date=date(2026, 3, 2), by=None)
    suppliers = CashFlowLine.objects.get(name="Suppliers")
    suppliers_id = suppliers.pk
    suppliers.delete()

    _, pools = pull(client, "pools", "csv", updated_since=watermark)
    assert len(pools) == 2
    changed = pools[pools["deleted_at"].isna()].iloc[0]
    assert (changed["id"], D(str(changed["amount"])).quantize(D("0.01"))) == (mmf.pk, D("260000.00"))
    tombstone = pools[pools["deleted_at"].notna()].iloc[0]
    assert tombstone["name"] != tombstone["name"]  # NaN: only the key and deleted_at are filled
    assert int(tombstone["id"]) not in LiquidityPool.objects.values_list("pk", flat=True)

    _, ledger = pull(client, "ledger", updated_since=watermark)
    assert list(ledger["id"]) == [entry.pk]
    _, channels = pull(client, "channels", updated_since=watermark)
    assert list(channels["id"]) == [revolver.pk]
    assert channels.iloc[0]["drawn"] == "700009.75"
    _, lines = pull(client, "cash-flow-lines", "xlsx", updated_since=watermark)
    assert list(lines["id"]) == [suppliers_id] and lines["deleted_at"].notna().all()
    _, forecast = pull(client, "cash-flows", updated_since=watermark, as_of=AS_OF.isoformat(), days=40)
    assert len(forecast) == 40  # a snapshot: whole again, since a line changed
    _, plans = pull(client, "plans", updated_since=watermark)
    assert plans.empty

    later = client.get("/api/v1/exports/pools/", {"updated_since": timezone.now().isoformat()})
    assert later["X-Export-Mode"] == "incremental"
    assert b"".join(later.streaming_content).split() == [b"[", b"]"]
    _, nothing = pull(client, "cash-flows", updated_since=timezone.now().isoformat())
    assert nothing.empty


def test_deleting_a_company_leaves_no_dangling_constraint(book):
    Alert.objects.for_company(book).delete()
    DrillRun.objects.for_company(book).delete()
    PlanStep.objects.for_company(book).delete()
    LedgerEntry.objects.for_company(book).delete()
    LiquidityPool.objects.for_company(book).delete()
    FundingChannel.objects.for_company(book).delete()
    assert Tombstone.objects.for_company(book).filter(model="channels_app.fundingchannel").count() == 3
    book.delete()  # tombstones carry no FK constraint: the company goes


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45", "9999-12-31T23:59:59-23:59"])
def test_bad_updated_since_is_a_400(value, book, viewer, api_as):
    response = api_as(viewer).get("/api/v1/exports/ledger/", {"updated_since": value})
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_unknown_format_is_a_404_and_accept_header_negotiates(book, viewer, api_as):
    client = api_as(viewer)
    assert client.get("/api/v1/exports/ledger/", {"format": "pdf"}).status_code == 404
    response = client.get("/api/v1/exports/ledger/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_outsider_exports_only_their_own_company(book, outsider, api_as):
    client = api_as(outsider)
    for dataset in DATASETS:
        _, frame = pull(client, dataset)
        if dataset == "cash-flows":  # the rival's own (empty) forecast: every day, nothing moves
            assert set(frame["net"]) == {"0.00"}
        else:
            assert frame.empty, dataset
    assert client.get("/api/v1/exports/ledger/", HTTP_X_COMPANY=book.slug).status_code == 404


def test_anonymous_cannot_export(book, client):
    assert client.get("/api/v1/exports/ledger/").status_code in (401, 403)


def test_index_lists_the_datasets_and_their_columns(viewer, api_as):
    rows = api_as(viewer).get("/api/v1/exports/").json()
    assert [r["name"] for r in rows] == list(DATASETS)
    ledger = next(r for r in rows if r["name"] == "ledger")
    assert [c["name"] for c in ledger["columns"]][:3] == ["id", "channel", "channel_name"]


def test_schema_documents_the_columns_of_every_dataset():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for name, dataset in DATASETS.items():
        operation = schema["paths"][f"/api/v1/exports/{name}/"]["get"]
        content = operation["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv", FORMATS_XLSX}
        ref = content["application/json"]["schema"]["items"]["$ref"].rsplit("/", 1)[1]
        columns = list(schema["components"]["schemas"][ref]["properties"])
        assert columns == [c.name for c in export_columns(dataset)]
        assert {p["name"] for p in operation["parameters"]} >= {"format", "updated_since"}


def _ledger_export_peak(company, rows: int, fmt: str) -> int:
    import tracemalloc

    from financeplanner.exports import ExportRequest, export_stream

    channel = FundingChannel.objects.get(company=company, name="Big")
    LedgerEntry.objects.for_company(company).delete()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(company=company, channel=channel, date=date(2026, 1, 1), kind="fee", amount=D("12.34"),
                    reference=f"INV-{i:08d}")
        for i in range(rows)
    )  # fmt: skip
    tracemalloc.start()
    size = sum(len(chunk) for chunk in export_stream(DATASETS["ledger"], ExportRequest(company=company), fmt))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert size > rows * 20
    return peak


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])  # JSON is written like CSV, row by row
def test_ledger_export_memory_does_not_grow_with_the_rows(fmt, company):
    """Constant memory: three times the rows, the same peak (benchmarks/bench_exports.py measures 10k vs 100k).

    Both sizes span several 2,000-row fetches, so both peaks hold the same two chunks at most."""
    FundingChannelFactory(company=company, name="Big")
    small, large = _ledger_export_peak(company, 5_000, fmt), _ledger_export_peak(company, 15_000, fmt)
    assert large < small * 1.2 + 128 * 1024, (small, large)


def test_the_contract_path_takes_the_dataset_by_name(book, viewer, api_as):
    client = api_as(viewer)
    by_name = client.get("/api/v1/exports/pools/")  # resolves to the dataset's own view
    assert by_name.status_code == 200
    b"".join(by_name.streaming_content)
    missing = client.get("/api/v1/exports/no-such-thing/")
    assert missing.status_code == 404 and "pools" in missing.json()["detail"]
    from rest_framework.test import APIRequestFactory, force_authenticate

    from financeplanner.api.exports import ExportByNameView

    request = APIRequestFactory().get("/api/v1/exports/pools/", {"format": "csv"})
    force_authenticate(request, viewer)
    response = ExportByNameView.as_view()(request, dataset="pools")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"id,name,kind,")
