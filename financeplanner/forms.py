"""Form helpers every page shares (channels and the contingency pages alike).

* `apply_service_errors(form, exc)` puts a service's `ValidationError` next to the field it names (rows of a formset
  included), so a treasurer sees why a draw was refused beside the amount, and everything typed stays in the form.
* `DateInput` renders the browser's date picker with ISO values (a `type=date` input takes nothing else, whatever the
  reader's language).
* `MoneyField` is an amount of money (2 places) that may be typed with thousands separators ("1,250,000.50") and is
  shown grouped the same way; `PercentField` is a rate, share or probability typed and shown in percent (10.5) and
  kept as the fraction the models, the API and the engine use (0.105), with plausible bounds named in its errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from financeplanner.numbers import format_number


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# Grouping is accepted only where it is unambiguous: commas between groups of three digits before the point. "10,5"
# (a European decimal comma) is refused rather than read as 105, and spaces (1 250 000) are simply dropped.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f']")


def parse_typed_number(text: str) -> str:
    """A typed number as plain decimal text: "1,250,000.50" -> "1250000.50", "−5 000" -> "-5000".

    Full-width digits and punctuation (Chinese input methods) are read as their ASCII forms; a minus sign (−) as "-".
    Raises ValueError when commas are not thousands separators.
    """
    text = unicodedata.normalize("NFKC", str(text)).strip().replace("\u2212", "-")
    text = _SPACES.sub("", text)
    if "," in text:
        if not _GROUPED.match(text):
            raise ValueError(text)
        text = text.replace(",", "")
    return text


class MoneyInput(forms.TextInput):
    """A text input (a `type=number` input would refuse the commas people type) with the decimal keyboard on phones;
    a stored amount is shown grouped in thousands, as the pages print it."""

    def __init__(self, attrs=None, places: int = 2):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.places = places

    def format_value(self, value):
        if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
            return format_number(Decimal(str(value)), self.places)
        return super().format_value(value)


class MoneyField(forms.DecimalField):
    """An amount of money: up to 18 digits before the point, cents after it; "1,250,000.50" is accepted."""

    default_error_messages = {
        "grouping": _(
            "Type the amount with a point for the decimals and commas only between thousands, e.g. 1,250,000.50."
        ),
    }

    def __init__(self, *, min_value: Decimal | None = None, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", MoneyInput(places=kwargs["decimal_places"]))
        super().__init__(min_value=min_value, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            try:
                value = parse_typed_number(value)
            except ValueError:
                raise ValidationError(self.error_messages["grouping"], code="grouping") from None
        return super().to_python(value)


class PercentInput(forms.NumberInput):
    """A number input in percent with a "%" after it (the field's help text says "in %" to screen readers)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": "any", "inputmode": "decimal", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return format_html(
            '<span class="input-unit">{}<span class="input-unit__suffix" aria-hidden="true">%</span></span>', html
        )


def percent_text(fraction: Decimal) -> str:
    """A fraction as the percentage typed in a form: 0.105 -> "10.5", 1 -> "100", 0.000100 -> "0.01"."""
    text = format(fraction.scaleb(2).normalize(), "f")
    return "0" if text in ("-0", "") else text


class PercentField(forms.DecimalField):
    """A rate, share or probability typed in percent ("10.5" for 10.5 %) and cleaned to the fraction (0.105).

    `min_percent` / `max_percent` are the plausible bounds (0–100 for shares and probabilities, up to 50 for an annual
    rate): a value outside is refused with a message naming the field, so 10.5 typed where 0.105 was meant can no
    longer become 1,050 % without a word. `max_digits` / `decimal_places` are the stored fraction's (the model's).
    """

    default_error_messages = {
        "percent_range": _(
            "%(field)s must be between %(low)s %% and %(high)s %%. Type a percentage: 10.5 for 10.5 %%."
        ),
        "percent_places": _("%(field)s takes at most %(places)s decimal places in percent."),
    }

    def __init__(
        self,
        *,
        min_percent: Decimal | int = 0,
        max_percent: Decimal | int = 100,
        max_digits: int = 7,
        decimal_places: int = 6,
        **kwargs,
    ):
        self.min_percent, self.max_percent = Decimal(min_percent), Decimal(max_percent)
        kwargs.setdefault("widget", PercentInput())
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def prepare_value(self, value):
        # A stored fraction (the form's initial, a model's value) is shown in percent; typed text is shown as typed.
        if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
            return percent_text(Decimal(str(value)))
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            try:
                value = parse_typed_number(value.replace("%", ""))
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        percent = super().to_python(value)
        return None if percent is None else percent.scaleb(-2)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        name = str(self.label) if self.label else str(_("This value"))
        percent = value.scaleb(2)
        if not self.min_percent <= percent <= self.max_percent:
            raise ValidationError(
                self.error_messages["percent_range"],
                code="percent_range",
                params={"field": name, "low": percent_text(self.min_percent / 100),
                        "high": percent_text(self.max_percent / 100)},
            )  # fmt: skip
        places = max(self.decimal_places - 2, 0) if self.decimal_places is not None else None
        if places is not None and -percent.normalize().as_tuple().exponent > places:
            raise ValidationError(
                self.error_messages["percent_places"], code="percent_places", params={"field": name, "places": places}
            )

    def has_changed(self, initial, data):
        if isinstance(initial, (int, float)) and not isinstance(initial, bool):
            initial = Decimal(str(initial))
        return super().has_changed(initial, data)


RATE_MAX_PERCENT = 50  # above 50 % a year no lender's price is plausible: it is a fraction typed as a percentage


_ROW_KEY = re.compile(r"^(?P<name>\w+)\[(?P<index>\d+)\](?:\.(?P<field>\w+))?$")


def apply_service_errors(
    form: forms.BaseForm,
    error: ValidationError,
    formsets: Mapping[str, tuple[forms.BaseFormSet, Sequence[forms.BaseForm]]] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Put a service's ValidationError next to the field it names; what names no field goes on top of the form.

    Keys like `steps[2].pool` go to the third of the forms the service was given (`formsets["steps"]` holds the
    formset and the forms in the order their rows were passed), a bare `steps` to the formset's own errors;
    `aliases` renames model fields to form fields (e.g. a shock's `target` is the form's `target_choice`).
    """
    formsets, aliases = formsets or {}, aliases or {}
    messages = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for key, texts in messages.items():
        match = _ROW_KEY.match(key)
        if match and match["name"] in formsets:
            formset, rows = formsets[match["name"]]
            index = int(match["index"])
            row = rows[index] if index < len(rows) else None
            field = aliases.get(match["field"] or "", match["field"])
            if row is not None:
                row.add_error(field if field in row.fields else None, texts)
            else:
                formset.non_form_errors().extend(texts)
            continue
        if key in formsets:
            formsets[key][0].non_form_errors().extend(texts)
            continue
        field = aliases.get(key, key)
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, texts)


NO_CHOICE = "—"


def blank_choice(choices, label: object = NO_CHOICE) -> list[tuple[str, object]]:
    """`choices` with an empty first option, for optional selects."""
    return [("", label), *list(choices)]
