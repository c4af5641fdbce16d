"""What can be imported: each app registers an `ImportSpec` per dataset beside its models (`channels_app/imports.py`,
`contingency/imports.py`) into `registry["imports"]` from its `AppConfig.ready()`; the core never imports them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState
from rest_framework import serializers

from ..registry import registry

CURRENCY_HELP = "An ISO 4217 code, e.g. CNY, USD, EUR, HKD"
RATE_HELP = "A percentage: 4.5 or 4.5% means 4.5 % (an Excel percentage cell works too), at most 50 %"
SHARE_HELP = "A percentage from 0 to 100: 5 or 5% means 5 % (an Excel percentage cell works too)"


@dataclass(frozen=True)
class Percent:
    """A column typed as a percentage — 4.2 or "4.2%" means 4.2 % — and stored as the model's fraction (0.042), as
    the API takes it; a value outside low–high (in percent) is refused, naming the field."""

    low: Decimal
    high: Decimal
    help: str


RATE = Percent(Decimal("-50"), Decimal("50"), RATE_HELP)  # a rate, spread or fee above 50 % is a typo, not a loan
SHARE = Percent(Decimal("0"), Decimal("100"), SHARE_HELP)  # haircuts, shares of a limit, probabilities


@dataclass(frozen=True)
class Column:
    name: str
    example: Any  # typed, so the xlsx template holds a real number or date where the user will put one
    description: str
    allowed: str = ""  # overrides what is derived from the serializer field
    percent: Percent | None = None  # typed as a percentage; the example is the stored fraction

    @property
    def header(self) -> str:
        """The name as a template's header shows it: a percentage column says so ("annual_rate (%)"); reading a
        file accepts the header with or without the "(%)"."""
        return f"{self.name} (%)" if self.percent else self.name


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
    created with the row (given the row, its validated fields and the importing user), unsaved and pointing at it (raising Django's ValidationError, keyed by column, for a
    row they refuse). The commit writes all the made objects at once."""

    name: str
    serializer_class: type[serializers.ModelSerializer]
    columns: tuple[Column, ...]
    build: Callable[..., models.Model] | None = None
    # Columns that name another of the company's objects: the cell holds its name, the serializer wants its id.
    references: dict[str, type[models.Model]] = field(default_factory=dict)
    unique_name: bool = False  # names are unique per company: refuse duplicates in the file and against the database
    related: Callable[[models.Model, dict, Any], Iterable[models.Model]] | None = None

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
    missing = object()
    fields_of_model = model._meta.concrete_fields
    order: list[tuple[str, Any]] = []  # each field's name and what it takes when the row does not give it
    fresh: list[tuple[int, Callable[[], Any]]] = []  # fields whose default is made anew for each row
    related: list[tuple[int, models.Field]] = []
    for position, model_field in enumerate(fields_of_model):
        if model_field.name == "company":
            order.append(("company", company))
        elif model_field.has_default() and callable(model_field.default):
            order.append((model_field.name, missing))
            fresh.append((position, model_field.get_default))
        else:
            order.append((model_field.name, model_field.get_default()))
        if model_field.is_relation and (model_field.many_to_one or model_field.one_to_one):
            related.append((position, model_field))
    attnames = [model_field.attname for model_field in fields_of_model]
    # What Model.__init__ does with one value per field, when nothing else hooks into it (no own __init__, no
    # pre_init / post_init receiver): a new state, each value in the object's attributes.
    plain_init = (
        model.__init__ is models.Model.__init__
        and not signals.pre_init.has_listeners(model)
        and not signals.post_init.has_listeners(model)
    )
    new = object.__new__

    def make(fields: dict) -> models.Model:
        get = fields.get
        values = [get(name, default) for name, default in order]
        for position, default in fresh:
            if values[position] is missing:
                values[position] = default()
        objects = []
        for position, model_field in related:
            value = values[position]
            if isinstance(value, models.Model):
                objects.append((model_field, value))
                values[position] = value.pk
        if plain_init:
            obj = new(model)
            obj._state = ModelState()
            obj.__dict__.update(zip(attnames, values, strict=True))
        else:
            obj = model(*values)
        for model_field, value in objects:
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
