"""The import report: how many rows were read and valid, each error with its row and column, a preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError

MAX_ERRORS = 1_000
PREVIEW_ROWS = 20
PREVIEW_CHARS = 200


class RowError(TypedDict):
    row: int | None  # the spreadsheet row as the user sees it (header = 1); None for the file as a whole
    column: str | None
    message: str


@dataclass
class ImportReport:
    dataset: str
    total_rows: int = 0
    valid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    _error_count: int = field(default=0, repr=False)

    def add_error(self, row: int | None, column: str | None, message: str) -> None:
        self._error_count += 1
        if self._error_count <= MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})

    def finish(self) -> None:
        hidden = self._error_count - MAX_ERRORS
        if hidden > 0:
            self.errors.append({"row": None, "column": None, "message": f"…and {hidden} more errors not shown."})

    def as_dict(self) -> dict[str, Any]:
        """The report as the API shows it (ImportReportSerializer's fields), for an ImportJob's JSON."""
        return {
            "dataset": self.dataset,
            "total_rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "errors": list(self.errors),
            "preview": list(self.preview),
            "committed": self.committed,
            "created": self.created,
        }


def preview(row_number: int, cells: dict[str, str]) -> dict[str, Any]:
    shown = {name: text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…" for name, text in cells.items()}
    return {"row": row_number, **shown}


def messages_of(detail: Any) -> list[str]:
    """The messages of a DRF error detail, however nested."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in messages_of(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in messages_of(value)]
    return [str(detail)]


def django_messages(exc: DjangoValidationError) -> list[tuple[str | None, list[str]]]:
    """A model's ValidationError as (column or None, messages)."""
    if not hasattr(exc, "error_dict"):
        return [(None, exc.messages)]
    return [(None if column == NON_FIELD_ERRORS else column, messages) for column, messages in exc.message_dict.items()]


def shown(text: str) -> str:
    """A user's value inside a message: quoted, and cut short so a 10,000-character cell does not flood the report."""
    return repr(text if len(text) <= 60 else text[:60] + "…")


def report_rows(report: ImportReport | dict[str, Any]) -> dict[str, Any]:
    """The report as the import page shows it, compact enough for a phone: the file's own errors; each bad row once,
    with every error it has; the preview's rows, each marked bad or not, its cells as (column, text, bad)."""
    data = report.as_dict() if isinstance(report, ImportReport) else report
    file_errors = [error["message"] for error in data.get("errors", []) if error["row"] is None]
    by_row: dict[int, list[dict[str, Any]]] = {}
    for error in data.get("errors", []):
        if error["row"] is not None:
            by_row.setdefault(error["row"], []).append({"column": error["column"], "message": error["message"]})
    preview_rows = []
    for cells in data.get("preview", []):
        number = cells.get("row")
        bad_columns = {error["column"] for error in by_row.get(number, [])}
        preview_rows.append(
            {
                "row": number,
                "bad": number in by_row,
                "errors": len(by_row.get(number, [])),
                "cells": [(column, text, column in bad_columns) for column, text in cells.items() if column != "row"],
            }
        )
    return {
        "file_errors": file_errors,
        "rows": [{"row": number, "errors": errors} for number, errors in sorted(by_row.items())],
        "preview": preview_rows,
    }
