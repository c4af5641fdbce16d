"""The channels app's spreadsheet imports (counterparties, funding channels), registered into the core's
`registry["imports"]` from `ChannelsAppConfig.ready()`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from financeplanner.importing import CURRENCY_HELP, RATE_HELP, Column, ImportSpec, register_import

from .api.serializers import CounterpartySerializer, FundingChannelSerializer
from .models import Counterparty


def register() -> None:
    register_import(
        ImportSpec(
            name="counterparties",
            serializer_class=CounterpartySerializer,
            unique_name=True,
            columns=(
                Column("name", "Example Bank", "The lender's or partner's name, unique in your company"),
                Column("kind", "bank", "What kind of counterparty it is"),
                Column("country", "CN", "Where it is domiciled", allowed="A two-letter ISO 3166 code, e.g. CN"),
                Column("notes", "", "Free text"),
            ),
        ),
        ImportSpec(
            name="channels",
            serializer_class=FundingChannelSerializer,
            references={"counterparty": Counterparty},
            unique_name=True,
            columns=(
                Column("name", "Example revolving line", "The facility's name, unique in your company"),
                Column(
                    "counterparty",
                    "Example Bank",
                    "The lender",
                    allowed="The exact name of one of your company's counterparties (import those first)",
                ),
                Column("channel_type", "revolving_credit", "The kind of facility"),
                Column("currency", "CNY", "The facility's currency", allowed=CURRENCY_HELP),
                Column("limit", Decimal("1234567.89"), "The credit limit, in the facility's currency"),
                Column("committed", True, "Whether the lender has committed the line"),
                Column("rate_type", "fixed", "Fixed, or floating = base + spread"),
                Column("base_rate", Decimal("0"), "The floating base rate", allowed=RATE_HELP),
                Column("spread", Decimal("0"), "The spread over the base rate", allowed=RATE_HELP),
                Column("annual_rate", Decimal("0.045"), "The all-in annual interest rate", allowed=RATE_HELP),
                Column("fee_rate", Decimal("0"), "Annual fees on the limit", allowed=RATE_HELP),
                Column("day_count", "ACT/365F", "The interest day-count convention"),
                Column("start_date", date(2026, 1, 1), "When the facility starts"),
                Column("maturity_date", date(2027, 1, 1), "When it matures (after the start date)"),
                Column("repayment_profile", "revolving", "How drawn amounts are repaid"),
                Column("payment_frequency", "monthly", "How often interest and instalments are paid"),
                Column("rolls_over", True, "Whether maturing draws are refinanced while the line is open"),
                Column("notice_days", 30, "The lender's notice period in days", allowed="A whole number, 0–3650"),
                Column(
                    "action_probability",
                    "",
                    "Chance of a lender action (reduce, freeze, close) within a year; empty = derived from PD and type",
                    allowed="A decimal fraction between 0 and 1",
                ),
                Column("notes", "", "Free text"),
            ),
        ),
    )
