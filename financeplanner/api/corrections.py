"""Correcting mistakes over the API, on the same services as the pages: DELETE through the feature's delete service
(refused with 400 and the reason where history depends on the object) and, for what can be archived, the `archive`
and `restore` actions (`POST …/{id}/archive/`), which answer the object with its `archived_at`.

A viewset names its services: `corrections = {"delete": services.pool_delete, "archive": …, "restore": …}` and the
keyword they take the object by (`correction_subject = "pool"`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response


class DeleteThroughServiceMixin:
    corrections: dict[str, Any] = {}
    correction_subject: str = ""

    def _correct(self, name: str, obj):
        return self.corrections[name](**{self.correction_subject: obj, "by": self.request.user})

    def perform_destroy(self, instance) -> None:
        self._correct("delete", instance)


class ArchiveActionsMixin(DeleteThroughServiceMixin):
    @extend_schema(request=None, description="Archive: left out of drills and lists until restored; history is kept.")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return Response(self.get_serializer(self._correct("archive", self.get_object())).data)

    @extend_schema(request=None, description="Restore an archived object.")
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        return Response(self.get_serializer(self._correct("restore", self.get_object())).data)
