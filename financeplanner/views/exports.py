"""The Exports page (the ERP datasets with their API URLs and how to get an API key) and the download behind every
list's "Download CSV / XLSX" buttons (`ObjectListView.export_dataset`), both reading the core's export registry.

A download is the API's export (financeplanner.exports) of the dataset, for the signed-in member (viewers may download
exports, as in the API), narrowed to the list's filters where the dataset has the list's FilterSet."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from financeplanner import exports
from financeplanner.choices import Role

from .base import CompanyViewMixin, can
from .generic import ObjectMixin

DOWNLOAD_FORMATS = ("csv", "xlsx")
# The API keys page of the settings (an admin issues read-only export keys there).
API_KEYS_URL_NAME = "settings:apikey-list"


class ExportDownloadView(CompanyViewMixin, View):
    """GET `exports/<dataset>/download/?format=csv|xlsx&<the list's filters>`: the file, streamed."""

    def get(self, request, dataset: str):
        found = exports.DATASETS.get(dataset)
        if found is None:
            raise Http404("No such dataset.")
        fmt = request.GET.get("format", "csv")
        if fmt not in DOWNLOAD_FORMATS:
            return HttpResponseBadRequest(_("Choose CSV or XLSX."))
        params = request.GET
        try:
            export_request = exports.ExportRequest(
                company=request.company,
                updated_since=exports.parse_updated_since(params.get("updated_since")),
                as_of=exports.parse_as_of(params.get("as_of")) if "as_of" in found.parameters else None,
                days=exports.parse_days(params.get("days")) if "days" in found.parameters else None,
                narrow=exports.list_filters(found, params, request),
            )
            stream = exports.export_stream(found, export_request, fmt)
        except ValidationError as exc:
            return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain; charset=utf-8")
        response = StreamingHttpResponse(stream, content_type=exports.FORMATS[fmt])
        filename = exports.export_filename(found, request.company, fmt)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


class ExportsView(ObjectMixin, CompanyViewMixin, TemplateView):
    """Every dataset an ERP can pull: its API URL in each format, incremental pulls, and where API keys come from."""

    template_name = "financeplanner/exports.html"
    list_title = gettext_lazy("Exports")
    lead = gettext_lazy("The datasets an ERP pulls over the REST API, as JSON, CSV or XLSX.")

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        api_base = self.request.build_absolute_uri(reverse("export-index"))
        context["datasets"] = [
            {
                "name": dataset.name,
                "title": dataset.title,
                "key": dataset.key,
                "snapshot": dataset.snapshot,
                "parameters": dataset.parameters,
                "url": f"{api_base}{dataset.name}/",
                "download": reverse("export-download", args=[dataset.name]),
            }
            for dataset in exports.DATASETS.values()
        ]
        context["api_index_url"] = api_base
        context["example_since"] = timezone.now().replace(microsecond=0).isoformat()
        try:
            context["api_keys_url"] = reverse(API_KEYS_URL_NAME)
        except NoReverseMatch:  # the settings pages are not installed: the API docs say how to issue a key
            context["api_keys_url"] = None
        context["can_admin_keys"] = can(self.request, Role.ADMIN)
        return context
