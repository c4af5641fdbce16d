"""The contingency app's spreadsheet import (cash-flow lines), registered into the core's `registry["imports"]`
from `ContingencyConfig.ready()`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from financeplanner.importing import CURRENCY_HELP, Column, ImportSpec, register_import

from .api.serializers import CashFlowLineSerializer


def register() -> None:
    register_import(
        ImportSpec(
            name="cash-flows",
            serializer_class=CashFlowLineSerializer,
            columns=(
                Column("name", "Payroll", "What the flow is"),
                Column("category", "operations", "Your own grouping, e.g. operations, tax, capex", allowed="Any text"),
                Column("amount", Decimal("-1234567.89"), "Signed: + inflow, − outflow; per occurrence"),
                Column("currency", "CNY", "The flow's currency", allowed=CURRENCY_HELP),
                Column("start_date", date(2026, 1, 25), "The first (or only) date it occurs"),
                Column("end_date", date(2026, 12, 25), "The last date it may occur; empty = open-ended"),
                Column("frequency", "monthly", "How often it recurs between start and end date"),
                Column("discretionary", False, "Whether a contingency plan may cut it"),
            ),
        ),
    )
