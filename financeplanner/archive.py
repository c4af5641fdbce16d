"""Archiving in lists: one filter for every FilterSet whose rows can be archived (channels, counterparties, pools,
scenarios; plans, whose archived state is "retired").

Archived rows keep their history and stay readable; a list page opens on what is not archived (`archived=no`, set
by `FilteredListMixin.archive_filter`), the filter shows the others. The API, which shares the FilterSet, keeps
answering every row unless `archived` is given, as it always did."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ArchivedFilter(django_filters.ChoiceFilter):
    """`archived=no`: not archived; `yes`: archived only; empty: all. `archived` is what an archived row is."""

    def __init__(self, *, archived: Q | None = None, labels: tuple | None = None, **kwargs):
        labels = labels or (_("Not archived"), _("Archived"))
        kwargs.setdefault("label", _("Archived"))
        super().__init__(choices=[("no", labels[0]), ("yes", labels[1])], empty_label=_("All"), **kwargs)
        self.archived = archived if archived is not None else Q(archived_at__isnull=False)

    def filter(self, qs, value):
        if value == "no":
            return qs.exclude(self.archived)
        if value == "yes":
            return qs.filter(self.archived)
        return qs


def in_use(queryset, keep=None):
    """The rows a choice offers: those not archived (a plan: not retired), and `keep`, the value the edited object
    already holds (so editing it does not lose its choice)."""
    fields = {f.name: f for f in queryset.model._meta.concrete_fields}
    if "archived_at" in fields:
        condition = Q(archived_at__isnull=True)
    elif "status" in fields and "retired" in dict(fields["status"].choices or ()):
        condition = ~Q(status="retired")
    else:
        return queryset
    if keep is not None:
        condition |= Q(pk=getattr(keep, "pk", keep))
    return queryset.filter(condition)
