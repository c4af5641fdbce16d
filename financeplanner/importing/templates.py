"""Templates to fill in for an import: the header and one example row; an .xlsx adds a "help" sheet."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from rest_framework import serializers

from .reading import FORMATS, cell_text
from .specs import Column, ImportSpec, get_dataset


def template(dataset: str, fmt: str) -> bytes:
    """A file to fill in: the header and one example row; an .xlsx adds a "help" sheet describing every column."""
    spec = get_dataset(dataset)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown template format {fmt!r}; choose xlsx or csv.")
    names = [column.header for column in spec.columns]
    examples = [column.example for column in spec.columns]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerow([_csv_example(column) for column in spec.columns])
        return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel open Chinese text correctly
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = spec.name
    sheet.append(names)
    sheet.append(examples)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell, column in zip(sheet[2], spec.columns, strict=True):
        value = column.example
        if column.percent is not None:
            cell.number_format = "0.00%"  # Excel shows the fraction 0.045 as 4.50 %; reading it back gives 4.5 %
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, Decimal):
            cell.number_format = "#,##0.00" if value.as_tuple().exponent == -2 else "General"
    for index, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 4)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("help")
    help_sheet.append(["column", "required", "allowed values", "default when empty", "description"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for row in column_help(spec):
        help_sheet.append(row)
    help_sheet.append([])
    help_sheet.append(
        [
            "Fill in one row per record below the header on the first sheet and replace the example row. Row 1 must"
            " stay the header. If any row is wrong, nothing is imported and the report names the row and column."
        ]
    )
    for letter, width in zip("ABCDE", (22, 10, 60, 20, 70), strict=True):
        help_sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_example(column: Column) -> str:
    if column.percent is not None and isinstance(column.example, Decimal):
        return cell_text(column.example.scaleb(2).normalize())  # the stored fraction 0.045 typed as 4.5
    return cell_text(column.example)


def column_help(spec: ImportSpec) -> list[list[str]]:
    """One line per column: name, required, allowed values, default, description."""
    fields = spec.serializer_class(context={"company": None}).fields
    lines = []
    for column in spec.columns:
        serializer_field = fields[column.name]
        lines.append(
            [
                column.header,
                "yes" if serializer_field.required else "no",
                column.allowed or (column.percent.help if column.percent else _allowed(serializer_field)),
                "" if serializer_field.required else _default(spec.model, column.name),
                column.description,
            ]
        )
    return lines


def _allowed(serializer_field: serializers.Field) -> str:
    if isinstance(serializer_field, serializers.ChoiceField):
        return ", ".join(str(choice) for choice in serializer_field.choices)
    if isinstance(serializer_field, serializers.BooleanField):
        return "TRUE or FALSE (also yes/no, 1/0)"
    if isinstance(serializer_field, serializers.DateField):
        return "A date: an Excel date cell or YYYY-MM-DD"
    if isinstance(serializer_field, serializers.DecimalField):
        return f"A number with at most {serializer_field.decimal_places} decimals, e.g. 1234567.89"
    if isinstance(serializer_field, serializers.IntegerField):
        return "A whole number"
    if isinstance(serializer_field, serializers.CharField) and serializer_field.max_length:
        return f"Text, at most {serializer_field.max_length} characters"
    return "Text"


def _default(model: type[models.Model], name: str) -> str:
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a column of the import only (a channel's trigger, its draw date)
        return "(empty)"
    if model_field.has_default():
        default = model_field.get_default()
        if isinstance(default, bool):
            return "FALSE" if not default else "TRUE"
        return str(default) if default != "" else "(empty)"
    return "(empty)"
