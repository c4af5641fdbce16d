"""Yes / no filters that say "All" when they are not set (django-filter's BooleanFilter offers Django's
NullBooleanSelect, whose empty choice reads "Unknown" — 未知 in Chinese — where a list filter means "all rows").

The values stay what the API has always taken (`true` / `false`, empty for all), so the page and the API keep
sharing one FilterSet.

`company_choices` (and the API's `CompanyFilterBackend`) limits a shared FilterSet's choices of rows to one company."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend


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


def company_choices(filterset, company) -> None:
    """Limit a FilterSet's choices of rows (`?counterparty=`, `?scenario=`) to the company's own: the FilterSets are
    shared and list every company's rows, so another company's id would be a valid choice (an empty answer) where an
    id that exists nowhere is refused, telling which ids exist in other companies. Scoped, both are refused alike."""
    if company is None:
        return
    for field in filterset.form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_company"):
            field.queryset = queryset.for_company(company)


class CompanyFilterBackend(DjangoFilterBackend):
    """The API's django-filter backend, with the choices of rows limited to the request's company
    (`company_choices`)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            company_choices(filterset, getattr(request, "company", None))
        return filterset
