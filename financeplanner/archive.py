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

    def __init__(self, *, archived: Q | None = None, **kwargs):
        kwargs.setdefault("label", _("Archived"))
        super().__init__(choices=[("no", _("Not archived")), ("yes", _("Archived"))], empty_label=_("All"), **kwargs)
        self.archived = archived if archived is not None else Q(archived_at__isnull=False)

    def filter(self, qs, value):
        if value == "no":
            return qs.exclude(self.archived)
        if value == "yes":
            return qs.filter(self.archived)
        return qs
