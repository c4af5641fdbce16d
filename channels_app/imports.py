"""The channels app's spreadsheet imports (counterparties, funding channels), registered into the core's
`registry["imports"]` from `ChannelsAppConfig.ready()`.

A channel's row may also say what is drawn on it now (recorded as one draw on the ledger, so that `drawn` changes
only through the ledger, as everywhere else) and one lender trigger (the `trigger_…` columns; more triggers per line
are added on the channel's page or through the API).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from financeplanner.importing import CURRENCY_HELP, RATE, SHARE, Column, ImportSpec, register_import
from financeplanner.validators import validate_treasury_date

from .api.serializers import CounterpartySerializer, FundingChannelSerializer, LenderTriggerSerializer
from .choices import LedgerKind
from .models import Counterparty, FundingChannel, LedgerEntry, LenderTrigger

TRIGGER_FIELDS = list(LenderTriggerSerializer.Meta.fields)  # kind, action, rating, scale, level, days, …
OPENING_DRAW = "Drawn when imported"


def _trigger_fields() -> dict[str, serializers.Field]:
    """The API's trigger fields as optional columns `trigger_<name>` (new fields from the same arguments): a row
    without a trigger leaves them empty."""
    fields = {}
    for name, field in LenderTriggerSerializer().fields.items():
        fields[f"trigger_{name}"] = type(field)(*field._args, **{**field._kwargs, "required": False})
    return fields


class _ChannelImportMeta(FundingChannelSerializer.Meta):
    fields = [name for name in FundingChannelSerializer.Meta.fields if name != "triggers"] + [
        "drawn_date", *(f"trigger_{name}" for name in TRIGGER_FIELDS)
    ]  # fmt: skip
    read_only_fields = [name for name in FundingChannelSerializer.Meta.read_only_fields if name != "drawn"]


# A channel's row of an import: the API's channel, what is drawn on it now, and one trigger (its fields declared from
# the trigger serializer's, hence built with type()).
FundingChannelImportSerializer = type(
    "FundingChannelImportSerializer",
    (FundingChannelSerializer,),
    {
        "__module__": __name__,
        "__doc__": "A funding channel's row of an import: the API's channel, what is drawn on it now, one trigger.",
        "drawn": serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0"), required=False),
        "drawn_date": serializers.DateField(required=False, validators=[validate_treasury_date]),
        **_trigger_fields(),
        "Meta": _ChannelImportMeta,
    },
)


def channel_related(channel: FundingChannel, fields: dict, by) -> list:
    """What an imported channel creates with it: the draw of what is drawn on it, and its trigger; every problem of
    the row named by its column."""
    errors: dict[str, str | list[str]] = {}
    related: list = []
    drawn = fields.get("drawn") or Decimal("0")
    if drawn > 0:
        drawn_on = fields.get("drawn_date") or channel.start_date
        if channel.limit is not None and drawn > channel.limit:
            errors["drawn"] = _("What is drawn (%(drawn)s) cannot exceed the limit (%(limit)s).") % {
                "drawn": drawn, "limit": channel.limit
            }  # fmt: skip
        if channel.start_date and channel.maturity_date and not channel.start_date <= drawn_on <= channel.maturity_date:
            errors["drawn_date"] = _("The draw date must fall between the line's start and maturity.")
        related.append(
            LedgerEntry(
                company=channel.company, channel=channel, kind=LedgerKind.DRAW, amount=drawn, date=drawn_on,
                reference=OPENING_DRAW, created_by=by if getattr(by, "pk", None) else None,
            )
        )  # fmt: skip
    elif fields.get("drawn_date"):
        errors["drawn_date"] = _("A draw date needs the amount drawn.")
    trigger = {name: fields[f"trigger_{name}"] for name in TRIGGER_FIELDS if f"trigger_{name}" in fields}
    if trigger:
        if "kind" not in trigger:
            errors["trigger_kind"] = _("A trigger needs its kind.")
        else:
            rule = LenderTrigger(channel=channel, **trigger)
            try:
                rule.clean()
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors[f"trigger_{name}"] = messages
            related.append(rule)
    if errors:
        raise ValidationError(errors)
    return related


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
            serializer_class=FundingChannelImportSerializer,
            references={"counterparty": Counterparty},
            unique_name=True,
            related=channel_related,
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
                Column(
                    "drawn",
                    Decimal("250000.00"),
                    "What is drawn on it now, in its currency (recorded as one draw on the ledger); empty = nothing",
                ),  # fmt: skip
                Column("drawn_date", "", "When it was drawn; empty = the start date"),
                Column("committed", True, "Whether the lender has committed the line"),
                Column("rate_type", "fixed", "Fixed, or floating = base + spread"),
                Column("base_rate", Decimal("0"), "The floating base rate", percent=RATE),
                Column("spread", Decimal("0"), "The spread over the base rate", percent=RATE),
                Column("annual_rate", Decimal("0.045"), "The all-in annual interest rate", percent=RATE),
                Column("fee_rate", Decimal("0"), "Annual fees on the limit", percent=RATE),
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
                    percent=SHARE,
                ),
                Column("trigger_kind", "utilisation_above", "The lender's risk trigger on this line; empty = none"),
                Column("trigger_action", "freeze", "What the lender does when it fires"),
                Column("trigger_rating", "", "For own_rating_below: the rating below which it fires"),
                Column("trigger_scale", "", "For own_rating_below: the scale the rating is read on"),
                Column(
                    "trigger_level",
                    Decimal("0.9"),
                    "For utilisation_above / _below: the utilisation; for inflow_drop: the share of forecast inflows",
                    percent=SHARE,
                ),  # fmt: skip
                Column("trigger_days", 30, "Consecutive days (utilisation) or the window of inflows looked at"),
                Column("trigger_count", "", "For borrowing_frequency: the draws that fire it"),
                Column("trigger_window_days", "", "For borrowing_frequency: the window the draws are counted in"),
                Column("trigger_grace_days", "", "For any_overdue: days a missed payment may last"),
                Column("trigger_reduce_by", "", "For a reduction: the share of the limit it removes", percent=SHARE),
                Column("trigger_freeze_days", 10, "For a freeze: how many days it lasts"),
                Column("notes", "", "Free text"),
            ),
        ),
    )
