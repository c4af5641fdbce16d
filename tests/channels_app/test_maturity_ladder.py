"""The maturity ladder: principal falling due by bucket on the channels' repayment schedules, beside the limits
that expire. Expected figures are worked out by hand from the loans' terms (DESIGN.md "Schedules")."""

from datetime import date
from decimal import Decimal

import pytest

from channels_app import selectors
from channels_app.services import channel_draw, channel_event_record
from tests.factories import FundingChannelFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 1, 1)
# Buckets from Jan 1, 2026: ≤ 30 days to Jan 31; 31–90 to Apr 1; 91–180 to Jun 30; 181–365 to Jan 1, 2027.


def by_bucket(ladder, key):
    return {row["bucket"]: row[key] for row in ladder}


def test_a_linear_term_loan_falls_due_instalment_by_instalment(company):
    # 12,000,000 drawn, repaid linearly over 12 monthly instalments on the 15th (Jan 15 … Dec 15, 2026):
    # 1,000,000 each, whatever the rate.
    term = FundingChannelFactory(
        company=company, name="Term loan", channel_type="bank_term_loan", limit=Decimal("12000000"),
        repayment_profile="linear", payment_frequency="monthly", annual_rate=Decimal("0.05"),
        start_date=date(2025, 12, 15), maturity_date=date(2026, 12, 15),
    )  # fmt: skip
    channel_draw(channel=term, amount=Decimal("12000000"), date=date(2025, 12, 15), by=None)
    # A revolver repaid at its maturity (Mar 1: day 59), 500,000 drawn of 2,000,000.
    revolver = FundingChannelFactory(
        company=company, name="Revolver", limit=Decimal("2000000"), repayment_profile="revolving",
        start_date=date(2025, 3, 1), maturity_date=date(2026, 3, 1),
    )  # fmt: skip
    channel_draw(channel=revolver, amount=Decimal("500000"), date=date(2025, 6, 1), by=None)
    # A closed line maturing on Feb 10: nothing drawn, and its limit no longer expires: it is gone.
    closed = FundingChannelFactory(
        company=company, name="Closed", limit=Decimal("4000000"), start_date=date(2025, 2, 10),
        maturity_date=date(2026, 2, 10),
    )  # fmt: skip
    channel_event_record(channel=closed, kind="close", date=date(2025, 12, 1), reason="Lender exit", by=None)

    ladder = selectors.maturity_ladder(company, AS_OF)

    assert by_bucket(ladder, "principal_due") == {
        "≤ 30 days": Decimal("1000000.00"),  # Jan 15
        "31–90 days": Decimal("2500000.00"),  # Feb 15, Mar 15, and the revolver's 500,000 on Mar 1
        "91–180 days": Decimal("3000000.00"),  # Apr 15, May 15, Jun 15
        "181–365 days": Decimal("6000000.00"),  # Jul 15 … Dec 15
        "> 365 days": Decimal("0"),
    }
    assert by_bucket(ladder, "limits_expiring") == {
        "≤ 30 days": Decimal("0"),
        "31–90 days": Decimal("2000000.00"),  # the revolver; the closed line's 4,000,000 is not counted
        "91–180 days": Decimal("0"),
        "181–365 days": Decimal("12000000.00"),  # the term loan, Dec 15
        "> 365 days": Decimal("0"),
    }
    # Every unit drawn falls due exactly once.
    assert sum(by_bucket(ladder, "principal_due").values()) == Decimal("12500000.00")


def test_a_lenders_demand_falls_due_on_its_date_and_an_overdue_balance_at_once(company):
    # A bullet line reduced to 600,000 on Dec 20 with 30 days' notice: 400,000 of the 1,000,000 drawn falls due on
    # Jan 19 (≤ 30 days); the remaining 600,000 at maturity (Jun 1, 2026: 91–180 days).
    reduced = FundingChannelFactory(
        company=company, limit=Decimal("1000000"), repayment_profile="bullet", notice_days=30,
        start_date=date(2025, 6, 1), maturity_date=date(2026, 6, 1),
    )  # fmt: skip
    channel_draw(channel=reduced, amount=Decimal("1000000"), date=date(2025, 6, 1), by=None)
    channel_event_record(
        channel=reduced, kind="reduce", date=date(2025, 12, 20), new_limit=Decimal("600000"), reason="Risk", by=None
    )
    # A line past its maturity (Dec 31, 2025) with 250,000 still drawn: due now.
    overdue = FundingChannelFactory(
        company=company, limit=Decimal("250000"), repayment_profile="bullet",
        start_date=date(2025, 1, 1), maturity_date=date(2025, 12, 31),
    )  # fmt: skip
    channel_draw(channel=overdue, amount=Decimal("250000"), date=date(2025, 1, 1), by=None)

    due = by_bucket(selectors.maturity_ladder(company, AS_OF), "principal_due")

    assert due["≤ 30 days"] == Decimal("650000.00")
    assert due["91–180 days"] == Decimal("600000.00")
    assert sum(due.values()) == Decimal("1250000.00")
