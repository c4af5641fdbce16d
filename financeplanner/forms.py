"""Form helpers every page shares (channels and the contingency pages alike).

* `add_service_errors(form, exc)` puts a service's `ValidationError` next to the field it names, so a treasurer sees
  why a draw was refused beside the amount, and everything typed stays in the bound form.
* `DateInput` renders the browser's date picker with ISO values; `MoneyField` / `ShareField` are the decimal fields
  of money (2 places) and shares (0–1, 6 places) with the bounds the models and database enforce.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MoneyField(forms.DecimalField):
    """An amount of money: up to 18 digits before the point, cents after it."""

    def __init__(self, *, min_value: Decimal | None = None, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
        super().__init__(min_value=min_value, **kwargs)


class ShareField(forms.DecimalField):
    """A share between 0 and 1 (0.25 = 25 %)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 6)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", Decimal("1"))
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
        super().__init__(**kwargs)


def add_service_errors(form: forms.BaseForm, exc: ValidationError, *, elsewhere: Iterable[str] = ()) -> list[str]:
    """Attach a service's ValidationError to the form: each message next to its field, the rest on top.

    Keys listed in `elsewhere` (e.g. the fields of a formset on the same page) are not added to the form; their
    messages are returned so the page can show them where they belong.
    """
    elsewhere = set(elsewhere)
    returned: list[str] = []
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return returned
    for field, messages in exc.message_dict.items():
        if field in elsewhere:
            returned.extend(messages)
        elif field in form.fields and field != NON_FIELD_ERRORS:
            form.add_error(field, messages)
        else:
            form.add_error(None, messages)
    return returned


NO_CHOICE = "—"


def blank_choice(choices, label: object = NO_CHOICE) -> list[tuple[str, object]]:
    """`choices` with an empty first option, for optional selects."""
    return [("", label), *list(choices)]
