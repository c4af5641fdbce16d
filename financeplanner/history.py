"""Who changed what, when: django-auditlog's entries for a page's objects, ready for the "History" section.

`history_for(channel, channel.events.all(), ...)` takes model instances and querysets, and reads their log
entries in one query (plus one per related model named in the changes), however long the history is. Changes are
shown with translated field names and choice labels, and foreign keys by their name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .numbers import format_number

HIDDEN_FIELDS = {"id", "company", "created_at", "updated_at", "secret", "secret_hash"}
ACTIONS = {
    LogEntry.Action.CREATE: _("created"),
    LogEntry.Action.UPDATE: _("changed"),
    LogEntry.Action.DELETE: _("deleted"),
}
EMPTY = {"None", "", "null"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    entry: LogEntry
    actor: str
    action: str
    subject: str
    changes: list[Change]

    @property
    def timestamp(self):
        return self.entry.timestamp

    @property
    def is_create(self) -> bool:
        return self.entry.action == LogEntry.Action.CREATE


def history_for(
    *targets: models.Model | models.QuerySet, limit: int = 50, labels: dict | None = None
) -> list[HistoryRow]:
    """The latest `limit` changes to the given objects and querysets, newest first."""
    conditions = []
    for target in targets:
        if isinstance(target, models.QuerySet):
            content_type = ContentType.objects.get_for_model(target.model)
            conditions.append(Q(content_type=content_type, object_id__in=target.values("pk")))
        elif target is not None and target.pk is not None:
            content_type = ContentType.objects.get_for_model(type(target))
            conditions.append(Q(content_type=content_type, object_id=target.pk))
    if not conditions:
        return []
    entries = list(
        LogEntry.objects.filter(reduce(or_, conditions))
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:limit]
    )
    names = _related_names(entries)
    names.update(_subjects(entries))
    return [_row(entry, names, labels) for entry in entries]


def _subjects(entries: list[LogEntry]) -> dict[tuple[type, str], str]:
    """The objects the entries are about, named now (in the reader's language) where they still exist: the name
    auditlog stored is in the language of whoever made the change. One query per model."""
    wanted: dict[type, set[str]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        if model is not None and str(entry.object_id).isdigit():
            wanted.setdefault(model, set()).add(str(entry.object_id))
    return {
        (model, str(obj.pk)): str(obj)
        for model, pks in wanted.items()
        # select_related(): a name may read the object's parents (an event is named by its channel), in this query
        for obj in model._default_manager.filter(pk__in=pks).select_related()
    }


def _model_fields(entry: LogEntry) -> dict[str, models.Field]:
    model = entry.content_type.model_class()
    if model is None:
        return {}
    # Only the row's own columns: auditlog also lists reverse relations ("ledger", "events"), which say nothing.
    return {f.name: f for f in model._meta.concrete_fields}


def _related_names(entries: list[LogEntry]) -> dict[tuple[type, str], str]:
    """One query per related model: the names behind the foreign-key ids the changes mention."""
    wanted: dict[type, set[str]] = {}
    for entry in entries:
        fields = _model_fields(entry)
        for name, values in (entry.changes_dict or {}).items():
            field = fields.get(name)
            if isinstance(field, models.ForeignKey) and name not in HIDDEN_FIELDS and isinstance(values, list):
                wanted.setdefault(field.related_model, set()).update(v for v in values if v not in EMPTY)
    names: dict[tuple[type, str], str] = {}
    for model, pks in wanted.items():
        valid = [pk for pk in pks if str(pk).isdigit()]
        for obj in model._default_manager.filter(pk__in=valid):
            names[(model, str(obj.pk))] = str(obj)
    return names


def _display(field: models.Field | None, value: str, names: dict) -> str:
    if value in EMPTY:
        return "—"
    if field is None:
        return value
    if isinstance(field, models.ForeignKey):
        return names.get((field.related_model, value), f"#{value}")
    if isinstance(field, models.BooleanField):
        return str(_("Yes")) if value == "True" else str(_("No"))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DecimalField) and field.decimal_places == 2:
        try:
            return format_number(Decimal(value), 2)
        except (InvalidOperation, ValueError):
            return value
    return value


def _row(entry: LogEntry, names: dict, labels: dict | None) -> HistoryRow:
    fields = _model_fields(entry)
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        if name in HIDDEN_FIELDS or name not in fields or not isinstance(values, list | tuple):
            continue
        old, new = (list(values) + ["None", "None"])[:2]
        if entry.action == LogEntry.Action.CREATE and new in EMPTY:
            continue
        field = fields.get(name)
        label = labels[name] if labels and name in labels else capfirst(field.verbose_name)
        changes.append(Change(str(label), _display(field, old, names), _display(field, new, names)))
    model = entry.content_type.model_class()
    kind = model._meta.verbose_name if model else ""
    return HistoryRow(
        entry=entry,
        actor=entry.actor.get_username() if entry.actor else str(_("system")),
        action=str(ACTIONS.get(entry.action, _("accessed"))),
        subject=f"{str(kind)[:1].upper()}{str(kind)[1:]}: {names.get((model, str(entry.object_id)), entry.object_repr)}",
        changes=changes,
    )
