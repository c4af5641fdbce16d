"""Form helpers every page shares (channels and the contingency pages alike).

* `apply_service_errors(form, exc)` puts a service's `ValidationError` next to the field it names (rows of a formset
  included), so a treasurer sees why a draw was refused beside the amount, and everything typed stays in the form.
* `DateInput` renders the browser's date picker with ISO values; `MoneyField` / `ShareField` are the decimal fields
  of money (2 places) and shares (0–1, 6 places) with the bounds the models and database enforce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
