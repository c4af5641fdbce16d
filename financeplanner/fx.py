"""FX rates as a drill uses them: the latest rate on or before a day (DESIGN.md: "FX rates are those known on the
as-of date"), and the company's lines that cannot be converted into its reporting currency on a day.

The lines are the rows of every company model with a `currency` field (funding channels, liquidity pools,
cash-flow lines), found through the app registry, so the core names no app above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.apps import apps

from .currencies import Unconverted, common_first
from .models import Company, FxRate


def fx_rates(company: Company, as_of: date | None = None) -> dict[str, Decimal]:
    """Units of reporting currency per unit of each currency: the latest rate on or before `as_of`."""
    rates: dict[str, Decimal] = {company.reporting_currency: Decimal("1")}
    queryset = FxRate.objects.for_company(company).order_by("currency", "-as_of")
    if as_of:
        queryset = queryset.filter(as_of__lte=as_of)
    for currency, rate in queryset.values_list("currency", "rate"):
        rates.setdefault(currency, rate)
    return rates


def line_models() -> list[Any]:
    """The company models whose rows carry an amount in their own currency (FX rates themselves aside)."""
    found: list[Any] = []  # TenantModel subclasses (their managers have for_company)
    for model in apps.get_models():
        names = {field.name for field in model._meta.concrete_fields}
        manager = model._default_manager
        if model is not FxRate and {"currency", "company", "name"} <= names and hasattr(manager, "for_company"):
            found.append(model)
    return sorted(found, key=lambda model: model._meta.label_lower)


def unconverted_lines(company: Company, as_of: date | None) -> list[Unconverted]:
    """Every line whose currency has no rate on or before `as_of` (one query per kind of line, and one for rates)."""
    known = list(fx_rates(company, as_of))
    lines = []
    for model in line_models():
        rows = model.objects.for_company(company).exclude(currency__in=known).order_by("name", "pk")
        for pk, name, currency in rows.values_list("pk", "name", "currency"):
            lines.append(Unconverted(kind=model._meta.model_name, pk=pk, name=name, currency=currency))
    return lines


@dataclass(frozen=True)
class RateInUse:
    """What a drill as of `as_of` converts one currency at: the latest rate on or before that day, if any."""

    currency: str
    rate: FxRate | None
    lines: int  # the company's lines in this currency


def rates_in_use(company: Company, as_of: date) -> list[RateInUse]:
    """Per currency the company has a line or a rate in (the reporting currency aside): the rate a drill as of
    `as_of` uses, or None when it has none — then the drill is refused and the dashboard leaves the lines out."""
    counts: dict[str, int] = {}
    for model in line_models():
        for currency in model.objects.for_company(company).values_list("currency", flat=True):
            counts[currency] = counts.get(currency, 0) + 1
    latest: dict[str, FxRate] = {}
    for rate in FxRate.objects.for_company(company).filter(as_of__lte=as_of).order_by("currency", "-as_of"):
        latest.setdefault(rate.currency, rate)
    currencies = (
        set(counts)
        | set(latest)
        | set(FxRate.objects.for_company(company).values_list("currency", flat=True).distinct())
    )
    currencies.discard(company.reporting_currency)
    ordered = [code for code, _ in common_first((c, c) for c in sorted(currencies))]
    return [RateInUse(currency=c, rate=latest.get(c), lines=counts.get(c, 0)) for c in ordered]
