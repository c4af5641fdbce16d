"""Importing the rows of a file: every row validated, then — with `commit` — all of them created, or none.

Every row is validated by the same DRF serializer the API uses, plus the checks an API client makes one request at a
time (names unique in the company, counterparties named within the company), each done once for the whole file: the
company's names and the objects a column may name are read in one query each, so checking 10,000 rows makes no
query per row. A dry run stops there and writes nothing. A commit then writes every row in one transaction
(commit.py): if any row fails there too, nothing is written and the report names that row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import pandas as pd
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import UniqueConstraint
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings

from ..models import Company
from .commit import commit_rows
from .reading import EXCEL_ERRORS, FORMULA_PREFIXES, ImportFileError, decimal_text, read_table
from .report import PREVIEW_ROWS, ImportReport, django_messages, messages_of, preview, shown
from .specs import CheckedRow, ImportSpec, Percent, get_dataset

READ_PERCENT = 10  # a job's progress once the file is read; checking the rows takes it to CHECKED_PERCENT or 100
CHECKED_PERCENT = 50  # each row checked and built; then the commit writes them, up to 100 when its transaction ends
WRITING_PERCENT = CHECKED_PERCENT + 1  # told once every row is checked, before the first is written


def import_rows(
    *,
    company: Company,
    dataset: str,
    file: IO[bytes],
    filename: str,
    by,
    commit: bool,
    progress: Callable[[int], None] | None = None,
    seal: Callable[[ImportReport], bool] | None = None,
) -> ImportReport:
    """Validate every row of the file; with `commit`, create them all — or, if any row fails, none.

    Never raises for bad input: file-level, header and row problems all end up in `report.errors`.
    `progress(percent)` hears how far reading, checking and writing have come (a background job shows it);
    `seal(report)` runs inside the commit's transaction once every row is saved and may refuse it (False: nothing
    is written).
    """
    spec = get_dataset(dataset)
    report = ImportReport(dataset=spec.name)
    try:
        table = read_table(file, filename)
    except ImportFileError as exc:
        report.add_error(None, None, str(exc))
        report.finish()
        return report
    if progress:
        progress(READ_PERCENT)
    report.total_rows = len(table)
    report.preview = [preview(row_number, cells) for row_number, cells in _rows(table.head(PREVIEW_ROWS))]
    if _check_header(spec, list(table.columns), report):
        if report.total_rows == 0:
            report.add_error(None, None, "The file has a header but no data rows.")
        else:
            checked_percent = CHECKED_PERCENT if commit else 100
            valid = _validate(spec, company, by, table, report, _scaled(progress, READ_PERCENT, checked_percent))
            if commit and not report.errors:
                if progress:
                    progress(WRITING_PERCENT)
                commit_rows(spec, company, by, valid, report, seal, _scaled(progress, WRITING_PERCENT, 99))
    report.finish()
    return report


def _rows(table: pd.DataFrame) -> Iterable[tuple[int, dict[str, str]]]:
    columns = list(table.columns)
    # As plain lists at once: pandas' row iterators read a text column cell by cell.
    for row_number, values in zip(table.index.tolist(), table.to_numpy(dtype=object).tolist(), strict=True):
        yield row_number, dict(zip(columns, values, strict=True))


def _check_header(spec: ImportSpec, columns: list[str], report: ImportReport) -> bool:
    expected = spec.column_names()
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            report.add_error(1, name, f"The column {name!r} appears more than once.")
        elif name not in expected:
            report.add_error(1, name, f"Unknown column {shown(name)}; the columns are: {', '.join(expected)}.")
        seen.add(name)
    for name in spec.required_columns():
        if name not in seen:
            report.add_error(1, name, f"The required column {name!r} is missing.")
    return not report.errors


def _scaled(progress: Callable[[int], None] | None, start: int, end: int) -> Callable[[int, int], None] | None:
    """`done of total` rows as a percent between start and end, told only when the percent changes."""
    if progress is None:
        return None
    told = [start]

    def tell(done: int, total: int) -> None:
        percent = start + (end - start) * done // max(total, 1)
        if percent != told[0]:
            told[0] = percent
            progress(percent)

    return tell


class PreloadedObject(serializers.Field):
    """A reference column resolved before the rows are checked: the id maps to the company's object read once for
    the whole file, where the API's related field would read it again for each row."""

    def __init__(self, objects: dict[Any, models.Model], **kwargs):
        self.objects = objects
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> models.Model:
        return self.objects[data]

    def to_representation(self, value: models.Model) -> Any:
        return value.pk


# DRF's own fields whose check depends on the cell's text alone.
PURE_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DecimalField,
    serializers.IntegerField,
)


REMEMBERED_TEXTS = 10_000  # distinct texts remembered per column


class RememberedField(serializers.Field):
    """A column whose check depends on the cell's text alone (a yes/no, a choice, a date, a number): each distinct
    text is checked once by the API's field, and its value — or its error — is reused on the other rows where the
    same text appears. An empty cell (a default) is not remembered."""

    def __init__(self, field: serializers.Field):
        self.field = field
        self.seen: dict[str, tuple[bool, Any]] = {}
        source = None if field.source == field.field_name else field.source
        super().__init__(required=field.required, source=source)

    def get_value(self, dictionary: Any) -> Any:
        return self.field.get_value(dictionary)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if not isinstance(data, str):
            return self.field.run_validation(data)
        outcome = self.seen.get(data)
        if outcome is None:
            try:
                outcome = (True, self.field.run_validation(data))
            except serializers.ValidationError as exc:
                outcome = (False, exc.detail)
            except DjangoValidationError as exc:
                outcome = (False, get_error_detail(exc))
            if len(self.seen) < REMEMBERED_TEXTS:  # a column of mostly distinct texts (amounts) gains nothing
                self.seen[data] = outcome
        passed, value = outcome
        if not passed:
            raise serializers.ValidationError(value)
        return value

    def to_representation(self, value: Any) -> Any:
        return self.field.to_representation(value)


class PercentField(serializers.Field):
    """A percentage column (`Column.percent`): 4.2, "4.2%" or "4.2 %" means 4.2 % and is checked by the API's field
    as the fraction it stores, 0.042; outside the column's plausible range it is refused with a message naming the
    field (a rate of 420 % is 4.2 typed as a fraction's hundredfold, or 0.042 typed as a percentage's hundredth)."""

    def __init__(self, field: serializers.DecimalField, percent: Percent, label: str):
        self.field, self.percent = field, percent
        source = None if field.source == field.field_name else field.source
        super().__init__(required=field.required, source=source, label=label)

    def get_value(self, dictionary: Any) -> Any:
        return self.field.get_value(dictionary)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if not isinstance(data, str):
            return self.field.run_validation(data)
        text = data.strip().rstrip("%％").strip()
        try:
            percent = Decimal(text)
        except InvalidOperation:
            return self.field.run_validation(data)  # the API's own "A valid number is required."
        if not percent.is_finite():
            return self.field.run_validation(data)
        values = {"field": self.label, "value": _percent_text(percent)}
        if percent > self.percent.high:
            values["bound"] = _percent_text(self.percent.high)
            raise serializers.ValidationError(
                _("%(field)s: %(value)s %% is above %(bound)s %%, more than it can plausibly be (4.2 means 4.2 %%).")
                % values
            )
        if percent < self.percent.low:
            values["bound"] = _percent_text(self.percent.low)
            raise serializers.ValidationError(
                _("%(field)s: %(value)s %% is below %(bound)s %%, less than it can plausibly be (4.2 means 4.2 %%).")
                % values
            )
        places = (self.field.decimal_places or 2) - 2
        if percent.normalize().as_tuple().exponent < -places:  # type: ignore[operator]
            raise serializers.ValidationError(
                _("%(field)s: at most %(places)d decimals in a percentage.") % {"field": self.label, "places": places}
            )
        return self.field.run_validation(format(percent.scaleb(-2), "f"))

    def to_representation(self, value: Any) -> Any:
        return self.field.to_representation(value)


def _percent_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _remembered(field: serializers.Field) -> bool:
    return type(field) in PURE_FIELDS and not any(
        getattr(validator, "requires_context", False) for validator in field.validators
    )


def _name_key(model: type[models.Model]) -> Callable[[str], str]:
    """How the model's unique name constraint compares two names: whatever the letter case if it is on
    `Lower("name")`, else exactly. The constraint is the rule; the database refuses what this check lets through."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and any(
            isinstance(expression, Lower) for expression in constraint.expressions
        ):
            return str.lower
    return str


def _validate(
    spec: ImportSpec,
    company: Company,
    by,
    table: pd.DataFrame,
    report: ImportReport,
    progress: Callable[[int, int], None] | None = None,
) -> list[CheckedRow]:
    """Run every row through the API's serializer; return the rows that passed, each built once (the object the
    commit inserts). A row's errors are all reported: its cells', the model's rules over several fields and its
    name's, at once."""
    # One serializer validates every row (`validate_bulk`), without building the ~30 fields of a channel
    # serializer again for each of 10,000 rows.
    # `bulk`: the serializer leaves out its per-row queries (uniqueness, constraints, foreign keys); the names and
    # the references are checked here for the whole file instead. `build`: each row is made once, as the commit
    # will insert it.
    serializer = spec.serializer_class(
        context={"company": company, "bulk": True, "build": spec.maker(company=company, by=by)}
    )
    decimal_columns = {name for name, f in serializer.fields.items() if isinstance(f, serializers.DecimalField)}
    text_columns = {name for name, f in serializer.fields.items() if isinstance(f, serializers.CharField)}
    # Names resolve within the company only: another company's counterparty is simply unknown here.
    references: dict[str, dict[str, Any]] = {}
    for column, model in spec.references.items():
        objects = {obj.pk: obj for obj in model.objects.for_company(company)}
        references[column] = {obj.name: pk for pk, obj in objects.items()}
        api_field = serializer.fields[column]
        serializer.fields[column] = PreloadedObject(objects, required=api_field.required)
    for column in spec.columns:
        api_field = serializer.fields[column.name]
        if column.percent is not None and isinstance(api_field, serializers.DecimalField):
            label = str(api_field.label or column.name)
            serializer.fields[column.name] = PercentField(api_field, column.percent, label)
    for column, api_field in list(serializer.fields.items()):
        if _remembered(api_field):
            serializer.fields[column] = RememberedField(api_field)
    name_key = _name_key(spec.model)
    existing_names = set()
    if spec.unique_name:
        existing_names = {
            name_key(name) for name in spec.model.objects.for_company(company).values_list("name", flat=True)
        }
    order = {name: position for position, name in enumerate(spec.column_names())}
    first_row_of_name: dict[str, int] = {}
    valid: list[CheckedRow] = []
    for done, (row_number, cells) in enumerate(_rows(table)):
        if progress:
            progress(done, len(table))
        row_errors: dict[str | None, list[str]] = {}
        data: dict[str, Any] = {}
        for column, text in cells.items():
            if not text:
                continue  # an empty cell takes the column's default (or is missing, if the column is required)
            if text in EXCEL_ERRORS:
                row_errors[column] = [f"The cell holds the spreadsheet error {text}; enter a value."]
            elif column in text_columns and text.startswith(FORMULA_PREFIXES):
                row_errors[column] = [
                    f"{shown(text)} starts with {text[0]!r}, which a spreadsheet runs as a formula; "
                    "start the text with a letter or a digit."
                ]
            elif column in references:
                pk = references[column].get(text)
                if pk is None:
                    row_errors[column] = [f"Your company has no {column} called {shown(text)}."]
                else:
                    data[column] = pk
            else:
                data[column] = decimal_text(text) if column in decimal_columns else text
        checked = serializer.validate_bulk(data)
        for key, detail in checked.errors.items():
            column = None if key in (NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY) else key
            # A cell we already explained (unknown name, Excel error) is not also "required".
            row_errors.setdefault(column, messages_of(detail))
        name = checked.data.get("name") if spec.unique_name else None
        if name is not None and "name" not in row_errors:
            key = name_key(name)
            if key in existing_names:
                row_errors["name"] = [f"Your company already has one called {shown(name)}."]
            elif key in first_row_of_name:
                row_errors["name"] = [f"{shown(name)} appears twice in the file: also on row {first_row_of_name[key]}."]
            else:
                first_row_of_name[key] = row_number
        related: tuple[models.Model, ...] = ()
        if spec.related is not None and checked.instance is not None:
            try:
                related = tuple(spec.related(checked.instance, checked.data, by))
            except DjangoValidationError as exc:
                for column, messages in django_messages(exc):
                    row_errors.setdefault(column, list(messages))
        if not row_errors and checked.instance is not None:
            valid.append(CheckedRow(row_number, checked.instance, related))
        for column in sorted(row_errors, key=lambda name: order.get(name or "", len(order))):
            for message in row_errors[column]:
                report.add_error(row_number, column, message)
    report.valid_rows = len(valid)
    return valid
