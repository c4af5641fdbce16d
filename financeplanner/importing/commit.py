"""Writing the rows of an import: built in memory, inserted in bulk in one transaction, with their audit trail.

Each row became an unsaved object while it was checked (its dataset's `make`, what the create service saves; the
model's `clean()` ran on that very object), with the objects it creates (`ImportSpec.related`: a channel's draw and
trigger); here all of them are inserted — on PostgreSQL by COPY, their ids reserved from the
table's sequence first (COPY returns none); elsewhere (SQLite for `make run`) with `bulk_create` — and their
audit-log entries written the same way: the entry django-auditlog writes on each save (it does not see bulk
inserts) — the same changes, representation, correlation id and actor. All or nothing: if a row is refused, nothing
is written and the report names it. When the database refuses the bulk insert (a name a colleague saved meanwhile,
a value out of range), the transaction goes back to its savepoint and saves the rows one by one, with the model's
full validation, to name the row it refuses.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii as encode_json_string
from typing import Any, NamedTuple

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled
from auditlog.diff import get_field_value, get_fields_in_model, model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, connection, connections, models, router, transaction
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import pre_save
from django.utils.encoding import smart_str

from ..caching import company_changed
from ..models import Company
from .report import ImportReport, django_messages
from .specs import CheckedRow, ImportSpec

BATCH_SIZE = 2_000
CONFLICT = "This row conflicts with a record saved meanwhile; try again."
OUT_OF_RANGE = "The database refused a value of this row as out of range."


def commit_rows(
    spec: ImportSpec,
    company: Company,
    by,
    valid: list[CheckedRow],
    report: ImportReport,
    seal: Callable[[ImportReport], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Create every checked row (and what it creates with it) in one transaction: all of them, or — if any row is
    refused — none, with that row named.

    `progress(done, total)` hears each batch inserted and logged (the transaction is invisible to others until it
    ends, so a job tells its progress on a connection of its own)."""
    objects = [row.instance for row in valid]
    related = [obj for row in valid for obj in row.related]
    with transaction.atomic():
        with _foreign_keys_checked_at_once():
            try:
                with transaction.atomic():  # a savepoint: a refused insert leaves the transaction usable for the rows
                    _insert(spec.model, objects, progress, len(objects) + len(related))
                    done = len(objects)
                    for model, group in _by_model(related):
                        for obj in group:  # the id of the row each points at, inserted just now
                            obj._prepare_related_fields_for_save(operation_name="bulk_create")
                        _insert(model, group, progress, len(objects) + len(related), done)
                        done += len(group)
            except (IntegrityError, DataError):
                _unsave(objects, related)  # the savepoint undid the inserts: the objects are unsaved again
                _save_one_by_one(valid, report)
        if report.errors:
            transaction.set_rollback(True)
            return
        report.committed = True
        report.created = len(valid)
        company_changed(company.pk)  # bulk_create sends no post_save: the company's cached reads are stale
        if seal is not None and not seal(report):
            report.committed, report.created = False, 0
            transaction.set_rollback(True)


def _by_model(objects: list[models.Model]) -> list[tuple[type[models.Model], list[models.Model]]]:
    groups: dict[type[models.Model], list[models.Model]] = {}
    for obj in objects:
        groups.setdefault(type(obj), []).append(obj)
    return list(groups.items())


def _unsave(objects: list[models.Model], related: list[models.Model]) -> None:
    for obj in objects + related:
        obj.pk, obj._state.adding, obj._state.db = None, True, None
    rows = {id(obj) for obj in objects}
    for obj in related:  # their foreign keys held the ids the savepoint took back: read again on save
        for field in obj._meta.concrete_fields:
            if field.is_relation and field.is_cached(obj) and id(field.get_cached_value(obj)) in rows:
                setattr(obj, field.attname, None)


@contextmanager
def _foreign_keys_checked_at_once() -> Iterator[None]:
    """Foreign keys checked at each insert rather than at COMMIT (Django makes them deferrable on PostgreSQL): a
    counterparty deleted since the file was checked is then a refused insert, traced to its row, not a failed
    commit."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _refuse(report: ImportReport, row_number: int, exc: DjangoValidationError) -> None:
    for column, messages in django_messages(exc):
        for message in messages:
            report.add_error(row_number, column, message)
    report.valid_rows -= 1


def _insert(
    model: type[models.Model],
    objects: list[models.Model],
    progress: Callable[[int, int], None] | None,
    total: int,
    done: int = 0,
) -> None:
    """Insert the objects and their audit entries. On PostgreSQL each goes in as one COPY streamed batch by batch:
    the database writes a batch while the next is prepared (a COPY per batch would leave each side idle while the
    other works); elsewhere bulk_create in batches."""

    def told(count: int) -> None:
        if progress:
            progress(done + count, total)

    if _copies(model):
        _copy_new(model, objects, told)
        log_created(objects)
        return
    for start in range(0, len(objects), BATCH_SIZE):
        batch = objects[start : start + BATCH_SIZE]
        model.objects.bulk_create(batch)
        log_created(batch)
        told(start + len(batch))


def _copies(model: type[models.Model]) -> bool:
    """COPY is PostgreSQL's; a model whose rows span tables (multi-table inheritance) or whose id is not drawn from a
    sequence takes bulk_create's path."""
    return connection.vendor == "postgresql" and not model._meta.parents and isinstance(model._meta.pk, AutoFieldMixin)


def _copy_new(model: type[models.Model], objects: list[models.Model], told: Callable[[int], None]) -> None:
    """Insert new objects by COPY, as bulk_create would: each field's value as `save()` prepares it (auto_now and
    defaults by `pre_save`, then `get_db_prep_save`), the ids reserved from the table's sequence in one query.
    Prepared batch by batch and column by column (`_db_column`): a field's work is chosen once per batch, not for
    each of its cells; `told(count)` hears each batch written."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    database = connections[connection.alias]  # the wrapper itself: `connection` is a proxy, slow in a loop
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(meta.db_table), meta.pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    pk_attname = meta.pk.attname
    for obj, pk in zip(objects, ids, strict=True):
        setattr(obj, pk_attname, pk)

    def batches() -> Iterator[list[list[Any] | Same]]:
        for start in range(0, len(objects), BATCH_SIZE):
            if start:
                told(start)
            batch = objects[start : start + BATCH_SIZE]
            yield [ids[start : start + BATCH_SIZE], *(_db_column(field, batch, database) for field in fields)]

    _copy(meta.db_table, [meta.pk.column, *(field.column for field in fields)], batches())
    told(len(objects))
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


# Django's own fields whose database value, for a Python value of one of PLAIN_VALUES, is that value (psycopg writes
# it as `get_db_prep_save` would have it written): read with `pre_save` only. Anything else is prepared as save() does.
PLAIN_FIELDS = frozenset(
    "AutoField BigAutoField BigIntegerField BooleanField CharField DateField DateTimeField DecimalField EmailField "
    "ForeignKey IntegerField PositiveBigIntegerField PositiveIntegerField PositiveSmallIntegerField SlugField "
    "SmallIntegerField TextField".split()
)
PLAIN_VALUES = (type(None), str, bool, int, Decimal, date)  # and an aware datetime
PLAIN_TYPES = frozenset(PLAIN_VALUES)
# `pre_save` that only reads the attribute (DateField's and DateTimeField's unless auto_now / auto_now_add).
READING_PRE_SAVES = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)


def _db_column(field: models.Field, objects: list[models.Model], database) -> list[Any]:
    """A field's database values for a batch of new objects, as save() writes each: `pre_save`, then
    `get_db_prep_save` unless the value is plain (`_db_prep`). An auto_now / auto_now_add field takes one time for
    the batch (save() reads the clock for each row; the batch goes in in one statement of one transaction)."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        now = field.pre_save(objects[0], True)  # sets it on the object, as save() does
        for obj in objects[1:]:
            setattr(obj, attname, now)
        python = [now] * len(objects)
    elif type(field).pre_save in READING_PRE_SAVES:
        python = [getattr(obj, attname) for obj in objects]
    else:
        python = [field.pre_save(obj, True) for obj in objects]
    prep = _db_prep(field, database)
    if _plain(field):
        return [value if type(value) in PLAIN_TYPES else prep(value) for value in python]
    return [prep(value) for value in python]


def _plain(field: models.Field) -> bool:
    return type(field).__name__ in PLAIN_FIELDS and type(field).__module__.startswith("django.db.models")


def _db_prep(field: models.Field, database) -> Callable[[Any], Any]:
    """`get_db_prep_save` of a field, skipped for a plain value of one of Django's plain fields."""
    if not _plain(field):
        return lambda python: field.get_db_prep_save(python, database)

    def prep(python: Any) -> Any:
        if type(python) in PLAIN_VALUES or isinstance(python, str):  # str: a TextChoices member too
            return python
        if type(python) is datetime and python.tzinfo is not None:
            return python
        return field.get_db_prep_save(python, database)

    return prep


def _no_serialized_data(obj: models.Model) -> None:
    return None


class Same(NamedTuple):
    """A column of a batch that holds one value on every row."""

    value: Any
    count: int


def _copy(table: str, columns: list[str], batches: Iterable[list[list[Any] | Same]]) -> None:
    """COPY rows into a table on this transaction's connection, a batch of columns at a time; a refused row raises
    Django's IntegrityError or DataError, as an INSERT would. A batch whose values are all of COPY_TEXT's types is
    written as COPY's text format, column by column (`_copy_texts`); any other goes row by row through psycopg's
    `write_row`, which adapts every value."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for batch in batches:
            count = len(batch[0]) if not isinstance(batch[0], Same) else batch[0].count
            texts = [_copy_texts(values) for values in batch]
            if all(text is not None for text in texts):
                lines = zip(
                    *(text if isinstance(text, list) else itertools.repeat(text, count) for text in texts), strict=True
                )
                copy.write("".join("\t".join(line) + "\n" for line in lines))
            else:
                rows = (values if not isinstance(values, Same) else [values.value] * count for values in batch)
                for row in zip(*rows, strict=True):
                    copy.write_row(row)


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_escape(text: str) -> str:
    """A text in COPY's text format: backslash, tab, newline and carriage return escaped (PostgreSQL's rules)."""
    if _COPY_SPECIAL.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_text_of(kind: type) -> Callable[[Any], str] | None:
    """How a value of this type is written in COPY's text format, as psycopg writes it; None: leave it to psycopg."""
    if kind is type(None):
        return lambda value: "\\N"
    if kind is bool:
        return lambda value: "t" if value else "f"
    if issubclass(kind, str):  # a TextChoices member is its text
        return _copy_escape if kind is str else lambda value: _copy_escape(str.__str__(value))
    if issubclass(kind, int):  # an IntegerChoices member is its number
        return str if kind is int else lambda value: int.__repr__(value)
    if kind is Decimal:
        return lambda value: format(value, "f")
    if kind is date:
        return date.isoformat
    if kind is datetime:
        return lambda value: value.isoformat() if value.tzinfo is not None else None  # naive: psycopg's call
    return None


def _copy_texts(values: list[Any] | Same) -> list[str] | str | None:
    """A column's values as COPY text (one text for a `Same` column), or None if one of them is not for us."""
    if isinstance(values, Same):
        convert = _copy_text_of(type(values.value))
        text = convert(values.value) if convert is not None else None
        return text
    converters = {kind: _copy_text_of(kind) for kind in {type(value) for value in values}}
    if any(convert is None for convert in converters.values()):
        return None
    if len(converters) == 1:
        [convert] = converters.values()
        texts = [convert(value) for value in values]  # type: ignore[misc]
    else:
        texts = [converters[type(value)](value) for value in values]  # type: ignore[misc]
    return None if None in texts else texts


def _save_one_by_one(valid: list[CheckedRow], report: ImportReport) -> None:
    """The rows as the API's service saves one: full validation, then save (django-auditlog logs each)."""
    for row_number, obj, related in valid:
        try:
            with transaction.atomic():  # a savepoint: one refused row leaves the transaction usable for the rest
                for each in (obj, *related):
                    each.full_clean()
                    each.save()
        except DjangoValidationError as exc:
            _refuse(report, row_number, exc)
        except IntegrityError:  # the unique name a colleague saved after we checked
            report.add_error(row_number, None, CONFLICT)
            report.valid_rows -= 1
        except DataError:
            report.add_error(row_number, None, OUT_OF_RANGE)
            report.valid_rows -= 1


class _Changes:
    """django-auditlog's changes for each new object of a batch, `model_instance_diff(None, obj)`, with a fraction of
    its work: the old side of a creation is "None" for every field, so only the new side is read, field by field
    over the batch (`_field_texts`) rather than object by object, and an entry's JSON is written from those texts
    directly. A model with include, exclude or masked fields, or JSON changes, goes through auditlog."""

    def __init__(self, objects: list[models.Model]):
        use_json = getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False)
        options = auditlog.get_model_fields(type(objects[0]))
        self.diffs: list[dict | None] | None = None
        if use_json or options["include_fields"] or options["exclude_fields"] or options["mask_fields"]:
            self.diffs = [model_instance_diff(None, obj, use_json_for_changes=use_json) for obj in objects]
            return
        fields = list(set(get_fields_in_model(objects[0])))
        self.names = [field.name for field in fields]
        self.texts = list(zip(*(_field_texts(field, objects) for field in fields), strict=True))
        # '"name": ["None", ' for each field: json.dumps' own separators
        self.openings = [f"{encode_json_string(name)}: [{encode_json_string(NONE)}, " for name in self.names]

    def changed(self, index: int) -> bool:
        if self.diffs is not None:
            return bool(self.diffs[index])
        return any(text is not None for text in self.texts[index])

    def as_dict(self, index: int) -> dict:
        if self.diffs is not None:
            return self.diffs[index] or {}
        return {
            name: (NONE, text) for name, text in zip(self.names, self.texts[index], strict=True) if text is not None
        }

    def as_json(self, index: int) -> str:
        """What json.dumps(self.as_dict(index)) gives, as Django's JSONField writes it (no encoder)."""
        if self.diffs is not None:
            return json.dumps(self.diffs[index])
        parts = [
            opening + encode_json_string(text) + "]"
            for opening, text in zip(self.openings, self.texts[index], strict=True)
            if text is not None
        ]
        return "{" + ", ".join(parts) + "}"


NONE = smart_str(None)  # what get_field_value gives for the missing old object: "None"


def _field_texts(field: models.Field, objects: list[models.Model]) -> list[str | None]:
    """The new side of auditlog's change of one field, for each object: `get_field_value(obj, field)` as text, or
    None where it equals the old side ("None": no change). For a plain field that is `str(value)` (what smart_str
    gives for anything but bytes), for a foreign key `str(id)` (auditlog reads the id, and None differs from "None",
    so even an empty one is a change), read over the column at once; a date-time (the same for a whole batch, see
    `_db_column`) once per distinct value; JSON, binary and anything else through auditlog, object by object."""
    concrete = getattr(field, "concrete", False)
    if concrete and field.is_relation:
        fk = (field.one_to_one or field.many_to_one) and hasattr(field, "rel_class")
        if fk and not settings.AUDITLOG_USE_FK_STRING_REPRESENTATION:
            attname = field.get_attname()
            return [str(getattr(obj, attname)) for obj in objects]
    elif concrete and not isinstance(field, models.DateTimeField | models.JSONField | models.BinaryField):
        name = field.name
        return [None if text == NONE else text for text in (str(getattr(obj, name)) for obj in objects)]
    elif isinstance(field, models.DateTimeField):
        seen: dict[Any, str | None] = {}
        texts = []
        for obj in objects:
            raw = getattr(obj, field.name)
            if raw not in seen:
                seen[raw] = _changed_text(get_field_value(obj, field))
            texts.append(seen[raw])
        return texts
    return [_changed_text(get_field_value(obj, field)) for obj in objects]


def _changed_text(value: Any) -> str | None:
    if value == NONE:
        return None
    return value if isinstance(value, str) else smart_str(value)


class _Entries:
    """The audit entries of a batch of new objects, field by field: the objects that have changes (all of them, but
    for a model whose only tracked fields are empty), each one's own values (id, representation, serialized data,
    extra data) and their changes."""

    def __init__(self, objects: list[models.Model], serialized: Callable[[models.Model], Any]):
        self.changes = _Changes(objects)
        self.kept = [index for index in range(len(objects)) if self.changes.changed(index)]
        logged = [objects[index] for index in self.kept]
        self.own: dict[str, list[Any]] = {
            "object_pk": [str(obj.pk) for obj in logged],
            "object_id": [obj.pk if isinstance(obj.pk, int) else None for obj in logged],
            "object_repr": [smart_str(obj) for obj in logged],
            "serialized_data": [serialized(obj) for obj in logged],
        }
        if logged and callable(getattr(logged[0], "get_additional_data", None)):
            self.own["additional_data"] = [obj.get_additional_data() for obj in logged]

    def __len__(self) -> int:
        return len(self.kept)

    def first_values(self) -> dict[str, Any]:
        return {name: values[0] for name, values in self.own.items()} | {"changes": self.changes.as_dict(self.kept[0])}

    def values(self, name: str, as_json: bool) -> list[Any]:
        if name == "changes":
            convert = self.changes.as_json if as_json else self.changes.as_dict
            return [convert(index) for index in self.kept]
        return self.own[name]


OWN_VALUES = ("object_pk", "object_id", "object_repr", "serialized_data", "additional_data", "changes")


def log_created(objects: Iterable[models.Model]) -> int:
    """Write the audit-log entries django-auditlog writes when each object is created, in one insert; return how
    many.

    The same fields as its post_save receiver (the changes from nothing, the representation, the serialized data of
    models that ask for it, the correlation id), and the actor, remote address and extra data of the request or job
    (`auditlog.context.set_actor`), which auditlog adds in a pre_save receiver that a bulk insert would not run: it
    runs here once, on a first entry, and what it set (with the entry's timestamp) is the same for every entry. On
    PostgreSQL the entries go in by one COPY, as rows built batch by batch and column by column (no LogEntry object
    each, the changes as JSON text), streamed so the database writes a batch while the next is built; elsewhere by
    `bulk_create`.
    """
    objects = list(objects)
    if not objects or auditlog_disabled.get() or not auditlog.contains(type(objects[0])):
        return 0
    model = type(objects[0])
    serialized = LogEntry.objects._get_serialized_data_or_none
    if not auditlog.get_serialize_options(model)["serialize_data"]:
        serialized = _no_serialized_data  # what auditlog gives each object of a model that asks for none, asked once
    batches = (
        _Entries(objects[start : start + BATCH_SIZE], serialized) for start in range(0, len(objects), BATCH_SIZE)
    )
    started = next((entries for entries in batches if len(entries)), None)
    if started is None:
        return 0
    every = itertools.chain([started], batches)
    database = router.db_for_write(LogEntry)
    content_type = ContentType.objects.get_for_model(model)
    first = LogEntry(content_type=content_type, action=LogEntry.Action.CREATE, cid=get_cid(), **started.first_values())
    context = _pre_saved(first, database)  # what the context's receivers set wins over the object's own values
    own = [name for name in OWN_VALUES if name not in context and (name != "additional_data" or name in started.own)]
    if connection.vendor != "postgresql" or database != connection.alias:
        logs = []
        for entries in every:
            values = {name: entries.values(name, as_json=False) for name in own}
            for position in range(len(entries)):
                log = copy.copy(first)
                for name in own:
                    setattr(log, name, values[name][position])
                logs.append(log)
        return len(LogEntry.objects.bulk_create(logs))
    wrapper = connections[database]
    fields = [field for field in LogEntry._meta.concrete_fields if field is not LogEntry._meta.pk]
    shared = {
        field.attname: field.get_db_prep_save(field.pre_save(first, True), wrapper)
        for field in fields
        if field.attname not in own
    }
    prepare = {name: _db_prep(LogEntry._meta.get_field(name), wrapper) for name in own if name != "changes"}
    written = 0

    def batches() -> Iterator[list[list[Any] | Same]]:
        nonlocal written
        for entries in every:
            columns: list[list[Any] | Same] = []
            for field in fields:
                name = field.attname
                if name == "changes" and name in own:
                    columns.append(entries.values(name, as_json=True))  # JSON text: COPY hands it to jsonb as is
                elif name in own:
                    columns.append([prepare[name](value) for value in entries.values(name, as_json=False)])
                else:
                    columns.append(Same(shared[name], len(entries)))
            written += len(entries)
            yield columns

    _copy(LogEntry._meta.db_table, [field.column for field in fields], batches())
    return written


def _pre_saved(entry: LogEntry, database: str) -> dict[str, Any]:
    """Send pre_save for one entry (auditlog's context receiver sets the actor, remote address…); return the
    attributes it changed."""
    attnames = [field.attname for field in LogEntry._meta.concrete_fields]
    before = {attname: getattr(entry, attname) for attname in attnames}
    pre_save.send(sender=LogEntry, instance=entry, raw=False, using=database, update_fields=None)
    return {attname: getattr(entry, attname) for attname in attnames if getattr(entry, attname) != before[attname]}
