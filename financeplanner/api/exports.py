"""`/api/v1/exports/{dataset}/`: one GET per dataset, streamed as JSON, CSV or XLSX (financeplanner.exports).

`?format=json|csv|xlsx` is DRF's URL_FORMAT_OVERRIDE: each format is a renderer here, so content negotiation picks
the format (the `Accept` header works too) and an unknown format is a 404. The rows are streamed by the export
module, not rendered by DRF; errors are always JSON. Each dataset has its own URL so that its columns are documented
in the OpenAPI schema. Viewers may download exports; so may an API key of the company (read-only, exports only).
"""

from __future__ import annotations

import re

from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from .. import exports
from ..apikeys import ApiKeyAuthentication
from ..permissions import HasCompanyRole
from .base import CompanyContextMixin


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key fp_…` — a read-only export key issued by an admin (exports only).",
        }


class JSONExportRenderer(renderers.JSONRenderer):
    format = "json"


class CSVExportRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover - rows are streamed
        raise NotImplementedError("Exports are streamed by financeplanner.exports.")


class XLSXExportRenderer(CSVExportRenderer):
    media_type = exports.FORMATS["xlsx"]
    format = "xlsx"
    charset = None


FIELD_FOR_KIND = {
    exports.INTEGER: serializers.IntegerField,
    exports.STRING: serializers.CharField,
    exports.DECIMAL: lambda **kw: serializers.DecimalField(max_digits=30, decimal_places=10, **kw),
    exports.NUMBER: serializers.FloatField,
    exports.DATE: serializers.DateField,
    exports.DATETIME: serializers.DateTimeField,
    exports.BOOLEAN: serializers.BooleanField,
}


def row_serializer(dataset: exports.Dataset) -> serializers.Serializer:
    """The dataset's columns as an OpenAPI component: every column is always present, null when empty."""
    fields = {}
    for column in exports.export_columns(dataset):
        fields[column.name] = FIELD_FOR_KIND[column.kind](
            allow_null=True, read_only=True, help_text=column.description or None
        )
    name = "".join(part.capitalize() for part in re.split(r"[-_]", dataset.name))
    return inline_serializer(f"{name}ExportRow", fields, many=True)


UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="Only rows changed at or after this time, plus tombstones of rows deleted since (`deleted_at` set). "
    "Pass the `X-Export-Watermark` header of the previous pull.",
)
AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="The first day (default: today).")
DAYS = OpenApiParameter(
    "days",
    {"type": "integer", "minimum": 1, "maximum": exports.MAX_FORECAST_DAYS},
    description="How many days (default: the company's survival horizon; at most 3650).",
)
RESPONSE_HEADERS = [
    OpenApiParameter(
        "X-Export-Watermark",
        OpenApiTypes.DATETIME,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="The server time when the pull started: the `updated_since` of the next pull.",
    ),
    OpenApiParameter(
        "X-Export-Mode",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        enum=["full", "incremental", "snapshot"],
        description="full; incremental (upsert rows by key, delete the keys of tombstones); snapshot (replace).",
    ),
]


class ExportView(CompanyContextMixin, APIView):
    """Stream one dataset. Subclasses (one per dataset, made by `_export_view`) set `dataset`."""

    dataset: exports.Dataset
    permission_classes = [HasCompanyRole]
    authentication_classes = [ApiKeyAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    renderer_classes = [JSONExportRenderer, CSVExportRenderer, XLSXExportRenderer]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "exports"

    def get(self, request, *args, **kwargs):
        params = request.query_params
        export_request = exports.ExportRequest(
            company=request.company,
            updated_since=exports.parse_updated_since(params.get("updated_since")),
            as_of=exports.parse_as_of(params.get("as_of")) if "as_of" in self.dataset.parameters else None,
            days=exports.parse_days(params.get("days")) if "days" in self.dataset.parameters else None,
        )
        watermark = timezone.now()
        fmt = request.accepted_renderer.format
        response = StreamingHttpResponse(
            exports.export_stream(self.dataset, export_request, fmt), content_type=exports.FORMATS[fmt]
        )
        filename = exports.export_filename(self.dataset, request.company, fmt)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Export-Watermark"] = watermark.isoformat()
        if self.dataset.snapshot:
            response["X-Export-Mode"] = "snapshot"
        else:
            response["X-Export-Mode"] = "incremental" if export_request.updated_since else "full"
        response["Cache-Control"] = "no-store"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):
            # Errors are JSON whatever format was asked for: a CSV or XLSX renderer has no error shape.
            request.accepted_renderer, request.accepted_media_type = JSONExportRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def _export_view(dataset: exports.Dataset) -> type[ExportView]:
    parameters = [UPDATED_SINCE, *RESPONSE_HEADERS]
    if "as_of" in dataset.parameters:
        parameters.append(AS_OF)
    if "days" in dataset.parameters:
        parameters.append(DAYS)
    columns = ", ".join(f"`{c.name}`" for c in exports.export_columns(dataset))
    description = (
        f"{dataset.description}\n\n" if dataset.description else ""
    ) + f"Key column: `{dataset.key}`. Columns, in this order: {columns}."

    def get(self, request, *args, **kwargs):
        return ExportView.get(self, request, *args, **kwargs)

    documented_get = extend_schema(
        operation_id=f"exports_{dataset.name.replace('-', '_')}",
        summary=f"Export: {dataset.title.lower()}",
        description=description,
        tags=["exports"],
        parameters=parameters,
        responses={
            (200, "application/json"): OpenApiResponse(row_serializer(dataset), description="The rows."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A header row, then the rows."),
            (200, exports.FORMATS["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="One worksheet."),
        },
    )(get)
    name = f"{dataset.name.title().replace('-', '')}ExportView"
    return type(name, (ExportView,), {"dataset": dataset, "get": documented_get, "__doc__": dataset.title})


EXPORT_VIEWS = {name: _export_view(dataset) for name, dataset in exports.DATASETS.items()}


class ExportByNameView(ExportView):
    """`exports/{dataset}/` with the dataset as a parameter, as the public contract names it. Each dataset also has
    its own path (above), where its columns are documented; both give the same rows."""

    @extend_schema(
        operation_id="exports_retrieve",
        summary="Export any dataset by name",
        description="The same as `GET /api/v1/exports/<name>/`; see each dataset's own path for its columns. "
        "`as_of` applies to schedules and cash-flows, `days` to cash-flows.",
        tags=["exports"],
        parameters=[
            OpenApiParameter("dataset", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(exports.DATASETS)),
            UPDATED_SINCE,
            AS_OF,
            DAYS,
            *RESPONSE_HEADERS,
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                description="The rows, one object each, keyed by column.",
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A header row, then the rows."),
            (200, exports.FORMATS["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="One worksheet."),
        },
    )
    def get(self, request, dataset: str, *args, **kwargs):
        if dataset not in exports.DATASETS:
            raise NotFound(f"No dataset {dataset!r}: choose one of {', '.join(exports.DATASETS)}.")
        self.dataset = exports.DATASETS[dataset]
        return super().get(request, *args, **kwargs)


class ExportIndexView(CompanyContextMixin, APIView):
    """The datasets an ERP can pull, with their key and columns."""

    permission_classes = [HasCompanyRole]
    authentication_classes = [ApiKeyAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    @extend_schema(
        tags=["exports"],
        responses=inline_serializer(
            "ExportDataset",
            {
                "name": serializers.CharField(),
                "title": serializers.CharField(),
                "key": serializers.CharField(),
                "snapshot": serializers.BooleanField(),
                "url": serializers.CharField(),
                "columns": inline_serializer(
                    "ExportColumn",
                    {
                        "name": serializers.CharField(),
                        "type": serializers.CharField(),
                        "description": serializers.CharField(),
                    },
                    many=True,
                ),
            },
            many=True,
        ),
    )
    def get(self, request):
        return Response(
            [
                {
                    "name": d.name,
                    "title": d.title,
                    "key": d.key,
                    "snapshot": d.snapshot,
                    "url": request.build_absolute_uri(f"{d.name}/"),
                    "columns": [
                        {"name": c.name, "type": c.kind, "description": c.description}
                        for c in exports.export_columns(d)
                    ],
                }
                for d in exports.DATASETS.values()
            ]
        )


urlpatterns = [
    path("exports/", ExportIndexView.as_view(), name="export-index"),
    *[path(f"exports/{name}/", view.as_view(), name=f"export-{name}") for name, view in EXPORT_VIEWS.items()],
    path("exports/<str:dataset>/", ExportByNameView.as_view(), name="export"),
]
