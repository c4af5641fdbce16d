"""Yes / no filters that say "All" when they are not set (django-filter's BooleanFilter offers Django's
NullBooleanSelect, whose empty choice reads "Unknown" — 未知 in Chinese — where a list filter means "all rows").

The values stay what the API has always taken (`true` / `false`, empty for all), so the page and the API keep
sharing one FilterSet."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _


class AllYesNoSelect(forms.NullBooleanSelect):
    """NullBooleanSelect with "All" for the empty choice."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]

    def format_value(self, value):
        # A list, as every choice widget's: the empty choice's "" is "in" any string, so a string would select it.
        return [{True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")]


class YesNoFilter(django_filters.BooleanFilter):
    """A BooleanFilter whose empty choice is "All"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", AllYesNoSelect)
        super().__init__(*args, **kwargs)


# For a FilterSet's Meta.filter_overrides: the model's boolean fields listed in Meta.fields get YesNoFilter.
BOOLEAN_OVERRIDES = {models.BooleanField: {"filter_class": YesNoFilter}}
