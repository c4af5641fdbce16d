"""One daily forecast and one 'current assessment' (issue 13 item 4), checked against numbers worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from channels_app.selectors import latest_assessment, latest_assessments, latest_pd_by_counterparty
from contingency.snapshot import daily_forecast, operating_flows
from financeplanner.models import FxRate
from tests.factories import CashFlowLineFactory, CounterpartyFactory, CreditAssessmentFactory

pytestmark = pytest.mark.django_db

D = Decimal
DAY0 = date(2026, 1, 1)


@pytest.fixture
def lines(company):
    """Five days from 1 January: sales of 150 every day; rent of 100 on day 0; marketing (a plan may cut it) of 40
    a day from day 2; a USD fee of 10 (at 7.1 = 71.00) on day 4."""
    FxRate.objects.create(company=company, currency="USD", as_of=DAY0, rate=D("7.1"))
    CashFlowLineFactory(company=company, name="Sales", amount=D("150.00"), frequency="daily")
    CashFlowLineFactory(company=company, name="Rent", amount=D("-100.00"), frequency="once")
    CashFlowLineFactory(company=company, name="Marketing", amount=D("-40.00"), start_date=date(2026, 1, 3),
                        discretionary=True)  # fmt: skip
    CashFlowLineFactory(company=company, name="Fee", amount=D("-10.00"), currency="USD", start_date=date(2026, 1, 5),
                        frequency="once")  # fmt: skip


def test_the_forecast_is_signed_as_the_lines_are(company, lines):
    forecast = daily_forecast(company, DAY0, 5)
    assert forecast.inflows == [D("150.00")] * 5
    assert forecast.outflows == [D("-100.00"), 0, 0, 0, D("-71.00")]
    assert forecast.discretionary_outflows == [0, 0, D("-40.00"), D("-40.00"), D("-40.00")]
    assert forecast.net == [D("50.00"), D("150.00"), D("110.00"), D("110.00"), D("39.00")]


def test_the_drill_takes_the_same_forecast_with_cuts_as_savings(company, lines):
    forecast = daily_forecast(company, DAY0, 5)
    flows, discretionary, inflows = operating_flows(company, DAY0, 5, None)
    assert flows.tolist() == [50.0, 150.0, 150.0, 150.0, 79.0]  # without what a plan may cut
    assert discretionary.tolist() == [0.0, 0.0, 40.0, 40.0, 40.0]  # what cutting saves: positive
    assert inflows.tolist() == [150.0] * 5
    assert (flows - discretionary).tolist() == [float(v) for v in forecast.net]


def test_the_current_assessment_is_the_latest_dated_then_the_last_recorded(company):
    bank, other = CounterpartyFactory(company=company), CounterpartyFactory(company=company)
    CreditAssessmentFactory(company=company, counterparty=bank, as_of=date(2026, 1, 1), rating="A", pd_1y=D("0.001"))
    CreditAssessmentFactory(company=company, counterparty=bank, as_of=date(2026, 3, 1), rating="BBB", pd_1y=D("0.002"))
    same_day = CreditAssessmentFactory(
        company=company, counterparty=bank, as_of=date(2026, 3, 1), rating="BB", pd_1y=D("0.01")
    )
    CreditAssessmentFactory(company=company, counterparty=other, as_of=date(2026, 2, 1), rating="AA", pd_1y=D("0"))
    ours = CreditAssessmentFactory(company=company, counterparty=None, as_of=date(2026, 2, 1), rating="A-")
    CreditAssessmentFactory(company=company, counterparty=None, as_of=date(2026, 6, 1), rating="B")

    assert latest_assessment(company, bank) == same_day  # same day: the one recorded last
    assert latest_assessment(company, bank, as_of=date(2026, 2, 28)).rating == "A"  # not known before 1 March
    assert latest_assessment(company, as_of=date(2026, 5, 31)) == ours
    assert latest_assessment(company).rating == "B"
    assert latest_pd_by_counterparty(company, as_of=date(2026, 3, 1)) == {bank.pk: D("0.01"), other.pk: D("0")}
    two = [(a.counterparty_id, a.rating) for a in latest_assessments(company, per_subject=2)]
    assert sorted(two, key=lambda row: (row[0] or 0, row[1])) == [
        (None, "A-"), (None, "B"), (bank.pk, "BB"), (bank.pk, "BBB"), (other.pk, "AA"),
    ]  # fmt: skip


def test_the_cash_flow_export_is_the_same_forecast(company, lines):
    from contingency.exports import cash_flow_forecast_frame

    frame = cash_flow_forecast_frame(company=company, as_of=DAY0, days=5)
    assert frame["inflows"].tolist() == [D("150.00")] * 5
    assert frame["outflows"].tolist() == [D("-100.00"), 0, 0, 0, D("-71.00")]
    assert frame["discretionary_outflows"].tolist() == [0, 0, D("-40.00"), D("-40.00"), D("-40.00")]
    assert frame["net"].tolist() == [D("50.00"), D("150.00"), D("110.00"), D("110.00"), D("39.00")]
    assert frame["cumulative_net"].tolist()[-1] == D("459.00")


def test_the_cash_flow_page_shows_gross_inflows_and_outflows_of_that_forecast(company, viewer, client):
    """90 days from today: sales of 150 a day (13,500 in); rent of 100 today and marketing of 40 a day on days 2-4
    (220 out); net 13,280. The page used to net each day first and count only the days' signs: 13,400 'in' (day 0's
    rent netted away) and 120 'out'."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    today = timezone.localdate()
    CashFlowLineFactory(company=company, name="Sales", amount=D("150.00"), start_date=today, frequency="daily")
    CashFlowLineFactory(company=company, name="Rent", amount=D("-100.00"), start_date=today, frequency="once")
    CashFlowLineFactory(company=company, name="Marketing", amount=D("-40.00"), start_date=today + timedelta(days=2),
                        end_date=today + timedelta(days=4), frequency="daily", discretionary=True)  # fmt: skip
    client.force_login(viewer)
    response = client.get(reverse("contingency:cashflow-list"))
    assert response.status_code == 200
    context = response.context
    assert (context["forecast_inflow"], context["forecast_outflow"], context["forecast_net"]) == (
        D("13500.00"), D("220.00"), D("13280.00"),
    )  # fmt: skip
    page = response.content.decode()
    assert "13,500" in page and "13,280" in page
