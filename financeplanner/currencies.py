"""ISO 4217 currency codes the product accepts, the order a currency select offers them in, and what a total in
the reporting currency leaves out when a line's currency has no FX rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ISO_4217 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF "
    "CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD "
    "HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD "
    "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN "
    "PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT TND TOP TRY TTD "
    "TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL"
).split()

# The models' choices stay in ISO order (the choices are part of each field's migration state); a select offers
# the currencies a Chinese treasury uses most first, then the rest (`common_first`).
CURRENCY_CHOICES = [(code, code) for code in ISO_4217]
COMMON_CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY", "GBP")
_ISO = frozenset(ISO_4217)


def common_first(choices: Iterable[tuple]) -> list[tuple]:
    """Currency choices with a blank option first (if any), then COMMON_CURRENCIES, then the rest in order."""
    choices = list(choices)
    blank = [c for c in choices if c[0] in ("", None)]
    rank = {code: i for i, code in enumerate(COMMON_CURRENCIES)}
    common = sorted((c for c in choices if c[0] in rank), key=lambda c: rank[c[0]])
    rest = [c for c in choices if c[0] not in rank and c[0] not in ("", None)]
    return [*blank, *common, *rest]


def is_currency_choices(choices: Iterable[tuple]) -> bool:
    """Whether a select's choices are currencies (every value an ISO code, and many of them)."""
    values = [c[0] for c in choices if c[0] not in ("", None)]
    return len(values) > len(COMMON_CURRENCIES) and all(isinstance(v, str) and v in _ISO for v in values)


def order_currency_selects(form) -> None:
    """Put the common currencies first in every currency select of a form (a page's form or its filters)."""
    from django import forms  # the core's models import this module; forms are only needed here

    for field in form.fields.values():
        if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.ModelChoiceField):
            continue
        listed = list(field.choices)
        if all(isinstance(c, (tuple, list)) and len(c) == 2 for c in listed) and is_currency_choices(listed):
            field.choices = common_first(listed)


@dataclass(frozen=True)
class Unconverted:
    """A line left out of a total in the reporting currency: its currency has no FX rate known on the day.

    `kind` is the model's name ("fundingchannel", "liquiditypool", "cashflowline"): the page links the line with it.
    """

    kind: str
    pk: int
    name: str
    currency: str


def missing_currencies(lines: Iterable[Unconverted]) -> list[str]:
    """The currencies without a rate, in the order a select offers them."""
    found = {line.currency for line in lines}
    return [code for code, _ in common_first((c, c) for c in sorted(found))]
