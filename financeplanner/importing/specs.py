"""What can be imported: each app registers an `ImportSpec` per dataset beside its models (`channels_app/imports.py`,
`contingency/imports.py`) into `registry["imports"]` from its `AppConfig.ready()`; the core never imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework import serializers

from ..registry import registry

CURRENCY_HELP = "An ISO 4217 code, e.g. CNY, USD, EUR, HKD"
RATE_HELP = "A decimal fraction: 0.045 = 4.5% (an Excel percentage cell works too)"


@dataclass(frozen=True)
class Column:
    name: str
    example: Any  # typed, so the xlsx template holds a real number or date where the user will put one
    description: str
    allowed: str = ""  # overrides what is derived from the serializer field


@dataclass(frozen=True)
class ImportSpec:
    """One importable dataset. Every row is validated by `serializer_class` (the API's, which runs the model's own
    checks; with `bulk` in its context, those that need no query), then turned into an unsaved object by
    `make(company=, by=, fields=)`: the model's row in the company, or what `build` returns when a dataset's create
    service does more before it saves (without a query). The commit writes all the made objects at once."""

    name: str
    serializer_class: type[serializers.ModelSerializer]
    columns: tuple[Column, ...]
    build: Callable[..., models.Model] | None = None
    # Columns that name another of the company's objects: the cell holds its name, the serializer wants its id.
    references: dict[str, type[models.Model]] = field(default_factory=dict)
    unique_name: bool = False  # names are unique per company: refuse duplicates in the file and against the database

    @property
    def model(self) -> type[models.Model]:
        return self.serializer_class.Meta.model

    def make(self, *, company, by, fields: dict) -> models.Model:
        if self.build is not None:
            return self.build(company=company, by=by, fields=fields)
        return self.model(company=company, **fields)

    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def required_columns(self) -> list[str]:
        fields = self.serializer_class(context={"company": None}).fields
        return [name for name in self.column_names() if fields[name].required]


DATASETS: dict[str, ImportSpec] = registry["imports"]


def register_import(*specs: ImportSpec) -> None:
    """Make datasets importable (from an app's `ready()`), in the order given."""
    for spec in specs:
        if spec.name in DATASETS:
            raise ImproperlyConfigured(f"Two import datasets are called {spec.name!r}.")
        DATASETS[spec.name] = spec


def get_dataset(name: str) -> ImportSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.") from None
