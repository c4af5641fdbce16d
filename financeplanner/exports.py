"""ERP exports: the generic machinery that streams any registered dataset as JSON, CSV or XLSX.

The apps register their datasets beside their models (`channels_app/exports.py`, `contingency/exports.py`) into
`registry["exports"]` from their `AppConfig.ready()`; the core never imports them. An ERP mirrors the company with a
full pull, then incremental pulls with `updated_since` (the `X-Export-Watermark` of the previous pull). A dataset is
one of two kinds:

* **row datasets** (channels, ledger, schedules, cash-flow-lines, pools, plans, drills, alerts) return the rows
  changed at or after `updated_since`, plus one *tombstone* row per deleted object: only the key column and
  `deleted_at` filled. Rows are keyed by the dataset's `key` column; an ERP upserts rows by key and deletes the key
  of a tombstone. `plans` and `schedules` have several rows per key (a plan's steps, a channel's payments): the ERP
  replaces all rows of a key it receives.
* **snapshot datasets** (cash-flows: the daily forecast; trigger-watch) are computed as of a date; with
  `updated_since` they return the whole table when any input changed since (else nothing), and the ERP replaces
  its copy.

Rows are read with `QuerySet.iterator(chunk_size=…)` and written one by one (csv writer per row, an openpyxl
write-only workbook), so an export of 100,000 ledger rows runs in constant memory (benchmarks/bench_exports.py).

Deletions of the models in `registry["tombstoned"]` (every dataset's `deleted_models`, and what an app adds with
`record_deletions_of`) are recorded by the post_delete receiver at the bottom, which only keeps the Tombstone table
(derived data) fresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import QuerySet
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .filters import company_choices
from .models import Company, Tombstone
from .registry import registry

CHUNK_SIZE = 2000
MAX_FORECAST_DAYS = 3650

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Column kinds: how a value is written and how the OpenAPI schema describes it.
INTEGER, STRING, DECIMAL, NUMBER, DATE, DATETIME, BOOLEAN = (
    "integer", "string", "decimal", "number", "date", "datetime", "boolean",
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class ExportRequest:
    """What the caller asked for, parsed and validated."""

    company: Company
    updated_since: dt.datetime | None = None
    as_of: dt.date | None = None
    days: int | None = None
    # A download from a list page: the list's filters (its FilterSet over the dataset's rows), applied by `since`.
    narrow: Callable[[QuerySet], QuerySet] | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    key: str
    columns: tuple[Column, ...]
    rows: Callable[[ExportRequest], Iterable[tuple]]
    deleted_models: tuple[str, ...] = ()
    snapshot: bool = False
    description: str = ""
    parameters: tuple[str, ...] = field(default=())
    weight: int = 1000  # the place in the export index and the schema: lighter first
    # The FilterSet of the dataset's list page (the API's): a download from that page keeps the filters in force.
    filterset: Any = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


DELETED_AT = Column("deleted_at", DATETIME, "Set on tombstone rows only: the object was deleted at this time.")


# -- parsing --------------------------------------------------------------------------------------------------------


def parse_updated_since(value: str | None) -> dt.datetime | None:
    """An ISO 8601 date-time (or date, meaning its midnight in the server's zone); naive means the server's zone."""
    if value in (None, ""):
        return None
    parsed: dt.datetime | None = None
    try:
        parsed = parse_datetime(value.strip().replace(" ", "+", 1) if "T" in value and " " in value else value.strip())
        if parsed is None:
            day = parse_date(value.strip())
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({"updated_since": "Give an ISO 8601 date-time, e.g. 2026-01-31T18:00:00+08:00."})
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        # Compare in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
        parsed = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationError({"updated_since": "That date-time is out of range."}) from None
    return parsed


def parse_as_of(value: str | None) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({"as_of": "Give an ISO 8601 date, e.g. 2026-01-31."})
    if not dt.date(1900, 1, 1) <= parsed <= dt.date(2199, 12, 31):
        raise ValidationError({"as_of": "Give a date between 1900 and 2199."})
    return parsed


def parse_days(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_FORECAST_DAYS:
        raise ValidationError({"days": f"Give a whole number of days from 1 to {MAX_FORECAST_DAYS}."})
    return int(value)


# -- the registry ---------------------------------------------------------------------------------------------------

DATASETS: dict[str, Dataset] = registry["exports"]


def register_export(*datasets: Dataset) -> None:
    """Make datasets pullable (from an app's `ready()`); deletions of their `deleted_models` are recorded."""
    for dataset in datasets:
        if dataset.name in DATASETS:
            raise ImproperlyConfigured(f"Two export datasets are called {dataset.name!r}.")
        DATASETS[dataset.name] = dataset
        record_deletions_of(*dataset.deleted_models)
    ordered = sorted(DATASETS.values(), key=lambda d: d.weight)
    DATASETS.clear()
    DATASETS.update((d.name, d) for d in ordered)


def record_deletions_of(*labels: str) -> None:
    """Record a Tombstone when an object of these models (`app_label.modelname`) is deleted."""
    registry["tombstoned"].update(labels)


def since(queryset: QuerySet, request: ExportRequest, field_name: str = "updated_at") -> QuerySet:
    """The rows changed at or after the pull's `updated_since` (all of them on a full pull), narrowed to a list
    page's filters for a download from that page."""
    if request.narrow is not None:
        queryset = request.narrow(queryset)
    if request.updated_since is None:
        return queryset
    return queryset.filter(**{f"{field_name}__gte": request.updated_since})


def export_columns(dataset: Dataset) -> tuple[Column, ...]:
    return (*dataset.columns, DELETED_AT)


def export_rows(dataset: Dataset, request: ExportRequest) -> Iterator[tuple]:
    """The dataset's rows, each ending with `deleted_at` (None), then one tombstone row per deletion since."""
    for row in dataset.rows(request):
        yield (*row, None)
    if request.updated_since is None or not dataset.deleted_models:
        return
    key_index = dataset.column_names.index(dataset.key)
    width = len(dataset.columns)
    tombstones = (
        Tombstone.objects.for_company(request.company)
        .filter(model__in=dataset.deleted_models, deleted_at__gte=request.updated_since)
        .order_by("deleted_at", "id")
        .values_list("object_id", "deleted_at")
    )
    for object_id, deleted_at in tombstones.iterator(chunk_size=CHUNK_SIZE):
        row: list[Any] = [None] * width
        row[key_index] = object_id
        yield (*row, deleted_at)


# -- writers --------------------------------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    """A value as JSON/CSV carry it: money as a decimal string, dates ISO 8601, times in UTC."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Echo:
    """A file-like object whose write() returns what it was given: csv.writer then formats one row at a time."""

    def write(self, value: str) -> str:
        return value


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_KINDS = (INTEGER, DECIMAL, NUMBER)


def neutralise_formula(text: str) -> str:
    """User text that a spreadsheet would run as a formula gets OWASP's single-quote prefix; other text is as is.

    Only text columns go through here: numbers (negative amounts included) stay numbers.
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text_columns(columns: tuple[Column, ...]) -> list[int]:
    return [i for i, c in enumerate(columns) if c.kind not in NUMERIC_KINDS]


def csv_chunks(columns: tuple[Column, ...], rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow([c.name for c in columns])
    booleans = [i for i, c in enumerate(columns) if c.kind == BOOLEAN]
    texts = _text_columns(columns)
    for row in rows:
        values = [_text(v) for v in row]
        for i in texts:
            if isinstance(row[i], str):
                values[i] = neutralise_formula(values[i])
        for i in booleans:
            if values[i] is not None:
                values[i] = "true" if values[i] else "false"
        yield writer.writerow(["" if v is None else v for v in values])


def json_chunks(columns: tuple[Column, ...], rows: Iterable[tuple]) -> Iterator[str]:
    names = [c.name for c in columns]
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(dict(zip(names, (_text(v) for v in row), strict=True)), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def _cell(value: Any, text: bool) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write UTC wall time (the column says so in the schema).
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        # XML 1.0 cannot carry most control characters (openpyxl refuses them): they are dropped.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return neutralise_formula(value) if text else value
    return value


def xlsx_chunks(
    columns: tuple[Column, ...], rows: Iterable[tuple], title: str, chunk: int = 64 * 1024
) -> Iterator[bytes]:
    """A write-only workbook: openpyxl streams rows to a temporary file, which we then send in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.name for c in columns])
    texts = [c.kind not in NUMERIC_KINDS for c in columns]
    for row in rows:
        sheet.append([_cell(v, text) for v, text in zip(row, texts, strict=True)])
    with tempfile.TemporaryFile() as buffer:
        workbook.save(buffer)
        buffer.seek(0)
        while block := buffer.read(chunk):
            yield block


def export_stream(dataset: Dataset, request: ExportRequest, fmt: str) -> Iterator[str | bytes]:
    columns, rows = export_columns(dataset), export_rows(dataset, request)
    # Compute the first row now, so that a refusal (a missing FX rate, say) is a 400 before any byte is sent.
    first = next(rows, None)
    rows = itertools.chain([] if first is None else [first], rows)
    if fmt == "csv":
        return csv_chunks(columns, rows)
    if fmt == "xlsx":
        return xlsx_chunks(columns, rows, dataset.title)
    return json_chunks(columns, rows)


def list_filters(dataset: Dataset, params, request=None) -> Callable[[QuerySet], QuerySet] | None:
    """What narrows the dataset's rows to a list page's filters (`params`, its query string), if the dataset has
    the list's FilterSet; only querysets of the FilterSet's model are narrowed (not, say, a plan's steps)."""
    filterset_class = dataset.filterset
    if filterset_class is None:
        return None
    model = filterset_class._meta.model
    data = params.copy()
    for name in ("format", "page", "sort", "updated_since"):
        data.pop(name, None)

    def narrow(queryset: QuerySet) -> QuerySet:
        if queryset.model is not model:
            return queryset
        filterset = filterset_class(data, queryset=queryset, request=request)
        company_choices(filterset, getattr(request, "company", None))  # another company's id: refused, as a bad one
        if not filterset.is_valid():
            errors = filterset.errors.get_json_data()
            raise ValidationError({name: [error["message"] for error in found] for name, found in errors.items()})
        return filterset.qs

    return narrow


def export_filename(dataset: Dataset, company: Company, fmt: str) -> str:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return f"{company.slug}-{dataset.name}-{stamp}.{fmt}"


# -- tombstones: derived data kept fresh by a signal ----------------------------------------------------------------


@receiver(post_delete, dispatch_uid="financeplanner.exports.tombstone")
def record_tombstone(sender, instance, **kwargs) -> None:
    label = sender._meta.label_lower
    if label in registry["tombstoned"] and getattr(instance, "company_id", None):
        Tombstone.objects.create(company_id=instance.company_id, model=label, object_id=instance.pk)
