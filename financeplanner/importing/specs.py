"""What can be imported: each app registers an `ImportSpec` per dataset beside its models (`channels_app/imports.py`,
`contingency/imports.py`) into `registry["imports"]` from its `AppConfig.ready()`; the core never imports them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


class CheckedRow(NamedTuple):
    """A row that passed every check: its spreadsheet row number, the unsaved object (built once, cleaned) and the
    objects created with it (a channel's trigger and opening draw), which point at it."""

    row: int
    instance: models.Model
    related: tuple[models.Model, ...] = ()


@dataclass(frozen=True)
class ImportSpec:
    """One importable dataset. Every row is validated by `serializer_class` (the API's, which runs the model's own
    checks; with `bulk` in its context, those that need no query), then turned into an unsaved object by
    `make(company=, by=, fields=)`: the model's row in the company, or what `build` returns when a dataset's create
    service does more before it saves (without a query). The object is made once, while the row is checked (the
    model's `clean()` runs on it), and is the one the commit inserts. `related(obj, fields)` returns the objects
    created with the row, unsaved and pointing at it (raising Django's ValidationError, keyed by column, for a
    row they refuse). The commit writes all the made objects at once."""

    name: str
    serializer_class: type[serializers.ModelSerializer]
    columns: tuple[Column, ...]
    build: Callable[..., models.Model] | None = None
    # Columns that name another of the company's objects: the cell holds its name, the serializer wants its id.
    references: dict[str, type[models.Model]] = field(default_factory=dict)
    unique_name: bool = False  # names are unique per company: refuse duplicates in the file and against the database
    related: Callable[[models.Model, dict], Iterable[models.Model]] | None = None

    @property
    def model(self) -> type[models.Model]:
        return self.serializer_class.Meta.model

    def make(self, *, company, by, fields: dict) -> models.Model:
        return self.maker(company=company, by=by)(fields)

    def maker(self, *, company, by) -> Callable[[dict], models.Model]:
        """`make` for one company and user, with what depends only on the model worked out once."""
        if self.build is not None:
            build = self.build
            return lambda fields: build(company=company, by=by, fields=dict(fields))
        return row_maker(self.model, company)

    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def required_columns(self) -> list[str]:
        fields = self.serializer_class(context={"company": None}).fields
        return [name for name in self.column_names() if fields[name].required]


def row_maker(model: type[models.Model], company) -> Callable[[dict], models.Model]:
    """`model(company=company, **fields)` (fields that are not the model's are left out), built the way Django
    builds a row read from the database: one positional value per concrete field, in order — the given value,
    else the field's default — with a related object's id in its column and the object in the field's cache, as
    the related descriptor would store them. The same object, a good deal faster for 100,000 rows."""
    fixed = {"company": company} if any(f.name == "company" for f in model._meta.concrete_fields) else {}
    plan: list[tuple[str, Any, bool]] = []  # name, default (or the field's get_default), related
    cached: list[tuple[models.Field, str]] = []
    for model_field in model._meta.concrete_fields:
        related = bool(model_field.is_relation and (model_field.many_to_one or model_field.one_to_one))
        fresh = model_field.has_default() and callable(model_field.default)  # a new value for each row
        default: Any = model_field.get_default if fresh else model_field.get_default()
        plan.append((model_field.name, default, related))
        if related:
            cached.append((model_field, model_field.name))
    missing = object()

    def make(fields: dict) -> models.Model:
        fields = {**fields, **fixed}
        values = []
        for name, default, related in plan:
            value = fields.get(name, missing)
            if value is missing:
                values.append(default() if callable(default) else default)
            elif related:
                values.append(value.pk if isinstance(value, models.Model) else value)
            else:
                values.append(value)
        obj = model(*values)
        for model_field, name in cached:
            value = fields.get(name)
            if isinstance(value, models.Model):
                model_field.set_cached_value(obj, value)
        return obj

    return make


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
