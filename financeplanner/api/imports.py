"""Spreadsheet import over the API: upload, dry-run or commit, and download a template to fill in.

A file above importing.async_bytes() (1 MB), or any file with `?async=1`, is parsed by a worker: the answer is a
202 with an import job to poll at import-jobs/{id}/.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from financeplanner import importing
from financeplanner.models import ImportJob
from financeplanner.permissions import HasCompanyRole

from .base import CompanyContextMixin, CompanyScopedMixin

DATASET_PARAMETER = OpenApiParameter(
    "dataset", str, OpenApiParameter.PATH, enum=list(importing.DATASETS), description="What the file holds."
)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="An .xlsx workbook (first sheet) or a .csv in UTF-8 (with or without BOM) or GB18030/GBK",
    )
    commit = serializers.BooleanField(
        default=False, help_text="false (default): a dry run that writes nothing; true: create every row, or none"
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="The spreadsheet row (the header is row 1); null for the file as a whole"
    )
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    total_rows = serializers.IntegerField(help_text="Data rows in the file (blank rows are skipped)")
    valid_rows = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)
    preview = serializers.ListField(
        child=serializers.DictField(), help_text="The first rows as read, each with its `row` number"
    )
    committed = serializers.BooleanField()
    created = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    report = ImportReportSerializer(
        allow_null=True, read_only=True, help_text="The import report once the job has finished; null before"
    )
    url = serializers.HyperlinkedIdentityField(view_name="importjob-detail")

    class Meta:
        model = ImportJob
        fields = [
            "id", "url", "dataset", "filename", "dry_run", "status", "progress", "report", "error",
            "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


def _dataset(name: str) -> str:
    if name not in importing.DATASETS:
        raise Http404(f"No import for {name!r}; choose one of {', '.join(importing.DATASETS)}.")
    return name


def _too_big(request: Request) -> bool:
    # Refuse before Django spools a huge upload to disk; the multipart envelope adds a little to the file itself.
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > importing.MAX_BYTES + 64 * 1024
    except ValueError:
        return False


class ImportView(CompanyContextMixin, APIView):
    """Import a spreadsheet of counterparties, channels or cash-flow lines into your company (analyst)."""

    permission_classes = [HasCompanyRole]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="imports_create",
        parameters=[
            DATASET_PARAMETER,
            OpenApiParameter(
                "async",
                str,
                OpenApiParameter.QUERY,
                enum=["0", "1"],
                description="1: parse the file in the background whatever its size (answer 202 with a job)",
            ),
        ],
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            200: OpenApiResponse(ImportReportSerializer, description="Dry run: every row is valid; nothing written."),
            201: OpenApiResponse(ImportReportSerializer, description="Committed: every row was created."),
            202: OpenApiResponse(
                ImportJobSerializer,
                description="A big file (above 1 MB) or `async=1`: a worker checks (and commits) it; poll the job.",
            ),
            400: OpenApiResponse(
                ImportReportSerializer,
                description="Some row is invalid (each error names its row and column), or the file or the form "
                "cannot be read. Nothing was written.",
            ),
            503: OpenApiResponse(ImportReportSerializer, description="The task queue is unreachable: nothing stored."),
        },
        description="Upload `file` (.xlsx or .csv, up to 10 MB, 100,000 rows, 100 columns and 400,000 filled cells "
        "in a workbook, 2,000,000 in a CSV; an .xlsx may unpack to at most 16 MB per worksheet, 16 MB of shared strings and 40 MB in all; text cells "
        "starting with =, +, -, @, tab or CR are refused as spreadsheet formulas) with `commit` false for a dry run "
        "or true to create every row — all or nothing. Column names are the API's field names; channels name their "
        "counterparty by name. Download a template from `template/`.",
    )
    def post(self, request: Request, dataset: str) -> Response:
        dataset = _dataset(dataset)
        # Every 400 of this endpoint is a report, so a client reads one shape whatever went wrong.
        refused = importing.ImportReport(dataset=dataset)
        if _too_big(request):
            refused.add_error(None, None, f"The file is larger than {importing.MAX_BYTES // (1024 * 1024)} MB.")
            return Response(ImportReportSerializer(refused).data, status=status.HTTP_400_BAD_REQUEST)
        try:
            upload = ImportUploadSerializer(data=request.data)
            valid = upload.is_valid()
        except ParseError as exc:
            refused.add_error(None, None, str(exc.detail))
            return Response(ImportReportSerializer(refused).data, status=status.HTTP_400_BAD_REQUEST)
        if not valid:
            for field, messages in upload.errors.items():
                for message in messages:
                    refused.add_error(None, field, str(message))
            return Response(ImportReportSerializer(refused).data, status=status.HTTP_400_BAD_REQUEST)
        file = upload.validated_data["file"]
        background = request.query_params.get("async", "0")
        if background not in ("0", "1"):
            refused.add_error(None, "async", "Use async=1 for a background import, or 0 (the default).")
            return Response(ImportReportSerializer(refused).data, status=status.HTTP_400_BAD_REQUEST)
        if background == "1" or (file.size or 0) > importing.async_bytes():
            return self._start_job(request, dataset, file, upload.validated_data["commit"], refused)
        report = importing.import_rows(
            company=request.company,
            dataset=dataset,
            file=file,
            filename=file.name,
            by=request.user,
            commit=upload.validated_data["commit"],
        )
        if report.errors:
            code = status.HTTP_400_BAD_REQUEST
        else:
            code = status.HTTP_201_CREATED if report.committed else status.HTTP_200_OK
        return Response(ImportReportSerializer(report).data, status=code)

    def _start_job(
        self, request: Request, dataset: str, file, commit: bool, refused: importing.ImportReport
    ) -> Response:
        content = file.read(importing.MAX_BYTES + 1)
        try:
            importing.precheck(content, file.name or "")
        except importing.ImportFileError as exc:
            refused.add_error(None, None, str(exc))
            return Response(ImportReportSerializer(refused).data, status=status.HTTP_400_BAD_REQUEST)
        try:
            job = importing.import_job_create(
                company=request.company,
                dataset=dataset,
                content=content,
                filename=file.name or "",
                by=request.user,
                commit=commit,
            )
        except importing.ImportQueueUnavailable as exc:
            refused.add_error(None, None, str(exc))
            return Response(
                ImportReportSerializer(refused).data,
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "30"},
            )
        data = ImportJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class ImportJobViewSet(CompanyScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background imports of your company, newest first: poll one for its progress and, once finished, its report."""

    queryset = ImportJob.objects.defer("file")
    serializer_class = ImportJobSerializer


class FormatNamesTheFileType(DefaultContentNegotiation):
    """Here `?format=` chooses the template's file type, not a DRF renderer; errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ImportTemplateView(CompanyContextMixin, APIView):
    """A template to fill in for an import: header, one example row and (xlsx) a help sheet. Any member may."""

    permission_classes = [HasCompanyRole]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatNamesTheFileType

    @extend_schema(
        operation_id="imports_template",
        parameters=[
            DATASET_PARAMETER,
            OpenApiParameter("format", str, OpenApiParameter.QUERY, enum=list(importing.FORMATS), default="xlsx"),
        ],
        responses={
            (200, importing.CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            400: OpenApiResponse(
                inline_serializer(
                    "TemplateFormatError", {"format": serializers.ListField(child=serializers.CharField())}
                ),
                description="`format` is neither xlsx nor csv.",
            ),
        },
    )
    def get(self, request: Request, dataset: str) -> HttpResponse:
        dataset = _dataset(dataset)
        fmt = request.query_params.get("format", "xlsx")
        if fmt not in importing.FORMATS:
            raise serializers.ValidationError({"format": [f"Choose one of {', '.join(importing.FORMATS)}."]})
        response = HttpResponse(importing.template(dataset, fmt), content_type=importing.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{dataset}-template.{fmt}"'
        return response
