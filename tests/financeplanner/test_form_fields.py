"""The form fields every page shares: amounts typed with thousands separators, rates and shares typed in percent.

Expected values are written by hand: what a treasurer types, and the decimal the model keeps.
"""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from financeplanner.forms import MoneyField, PercentField


class Sample(forms.Form):
    amount = MoneyField(label="Amount", required=False)
    haircut = PercentField(label="Haircut", required=False)
    annual_rate = PercentField(label="Annual rate", max_percent=50, max_digits=9, required=False)
    spread = PercentField(label="Spread", min_percent=-50, max_percent=50, max_digits=9, required=False)


def cleaned(**typed: str) -> dict:
    form = Sample(data=typed)
    assert form.is_valid(), form.errors
    return {name: form.cleaned_data[name] for name in typed}


def errors(**typed: str) -> dict:
    form = Sample(data=typed)
    assert not form.is_valid()
    return {name: " ".join(messages) for name, messages in form.errors.items()}


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1,250,000.50", Decimal("1250000.50")),
        ("1250000.5", Decimal("1250000.5")),
        ("-5,000", Decimal("-5000")),
        ("\u22125,000.25", Decimal("-5000.25")),  # the minus sign a spreadsheet copies
        (" 1 250 000 ", Decimal("1250000")),
        ("１，２５０．５", Decimal("1250.5")),  # full-width, as a Chinese input method types it
        ("999", Decimal("999")),
    ],
)
def test_an_amount_may_be_typed_with_thousands_separators(typed, amount):
    assert cleaned(amount=typed) == {"amount": amount}


@pytest.mark.parametrize("typed", ["10,5", "1,25,000", "1,2500", ",100", "1.250,50"])
def test_commas_that_are_not_thousands_separators_are_refused_not_guessed(typed):
    assert "commas only between thousands" in errors(amount=typed)["amount"]


def test_a_stored_amount_is_shown_grouped_in_both_languages():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            html = str(Sample(initial={"amount": Decimal("1250000.5")})["amount"])
        assert 'value="1,250,000.50"' in html and 'type="text"' in html and 'inputmode="decimal"' in html


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [("10.5", Decimal("0.105")), ("2", Decimal("0.02")), ("0", Decimal("0")), ("100", Decimal("1")),
     ("0.0125", Decimal("0.000125")), ("12.5 %", Decimal("0.125"))],
)  # fmt: skip
def test_a_share_is_typed_in_percent_and_kept_as_a_fraction(typed, fraction):
    assert cleaned(haircut=typed) == {"haircut": fraction}


def test_an_annual_rate_above_50_percent_is_refused_naming_the_field():
    assert cleaned(annual_rate="50") == {"annual_rate": Decimal("0.5")}
    assert errors(annual_rate="50.01") == {
        "annual_rate": "Annual rate must be between 0 % and 50 %. Type a percentage: 10.5 for 10.5 %."
    }
    assert "Annual rate must be between 0 % and 50 %" in errors(annual_rate="-0.5")["annual_rate"]


def test_a_share_outside_0_to_100_percent_is_refused_naming_the_field():
    assert errors(haircut="100.5") == {
        "haircut": "Haircut must be between 0 % and 100 %. Type a percentage: 10.5 for 10.5 %."
    }
    assert "Haircut must be between 0 % and 100 %" in errors(haircut="-1")["haircut"]


def test_a_spread_may_be_negative_within_its_bounds():
    assert cleaned(spread="-0.35") == {"spread": Decimal("-0.0035")}
    assert "Spread must be between -50 % and 50 %" in errors(spread="-60")["spread"]


def test_more_places_than_the_stored_fraction_keeps_are_refused_in_percent_terms():
    # Six places of a fraction are four of a percentage: 12.3456 % is kept, 12.34567 % cannot be.
    assert cleaned(haircut="12.3456") == {"haircut": Decimal("0.123456")}
    assert errors(haircut="12.34567") == {"haircut": "Haircut takes at most 4 decimal places in percent."}


@pytest.mark.parametrize("typed", ["ten", "10,5", "1e400"])
def test_a_percentage_that_is_not_a_number_is_refused(typed):
    assert "haircut" in errors(haircut=typed)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [(Decimal("0.105000"), "10.5"), (Decimal("1"), "100"), (Decimal("0"), "0"), (0.02, "2"),
     (Decimal("0.000125"), "0.0125"), (Decimal("-0.0035"), "-0.35")],
)  # fmt: skip
def test_a_stored_fraction_is_shown_in_percent_with_a_percent_sign(stored, shown):
    html = str(Sample(initial={"haircut": stored, "spread": stored})["spread"])
    assert f'value="{shown}"' in html and 'type="number"' in html and 'step="any"' in html
    assert '<span class="input-unit__suffix" aria-hidden="true">%</span>' in html


def test_what_was_typed_is_shown_as_typed_when_the_form_is_refused():
    form = Sample(data={"haircut": "150"})
    assert not form.is_valid() and 'value="150"' in str(form["haircut"])


def test_an_untouched_percentage_is_unchanged_so_a_blank_row_stays_blank():
    field = PercentField(initial=Decimal("1"))
    assert not field.has_changed(Decimal("1"), "100")
    assert not field.has_changed(1, "100.0")
    assert not field.has_changed(0.105, "10.5")
    assert field.has_changed(Decimal("1"), "99")
    assert not field.has_changed(None, "")
