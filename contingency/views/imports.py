"""The spreadsheet import page: upload, dry run, commit; and a background import's progress."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django_htmx.http import HttpResponseClientRedirect

from financeplanner.choices import ImportJobStatus, Role
from financeplanner.importing import report_rows
from financeplanner.models import ImportJob
from financeplanner.views.base import CompanyViewMixin
from financeplanner.views.generic import ObjectDetailView, ObjectMixin

from ..forms import IMPORT_DATASETS, ImportForm

IMPORT_SESSION_KEY = "contingency_import"


def import_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "financeplanner-imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


class ImportView(ObjectMixin, CompanyViewMixin, generic.FormView):
    """Upload → a dry run listing every bad row → commit the very file that was checked.

    The checked file waits in a private temp directory under a random token kept in the user's session, so the
    commit cannot be pointed at another user's upload and nothing has to be uploaded twice.
    """

    list_title = gettext_lazy("Import a spreadsheet")
    lead = gettext_lazy(
        "Upload channels, counterparties or cash-flow lines from an .xlsx or .csv file. Every row is checked first; "
        "nothing is saved until you confirm, and then either every row is saved or none."
    )
    form_class = ImportForm
    template_name = "contingency/import.html"
    required_role = Role.ANALYST

    def get_context_data(self, **kwargs):
        datasets = [
            {
                "name": name,
                "label": label,
                "xlsx": reverse("import-template", args=[name]) + "?format=xlsx",
                "csv": reverse("import-template", args=[name]) + "?format=csv",
            }
            for name, label in IMPORT_DATASETS
        ]
        if kwargs.get("report") is not None:
            kwargs["report_rows"] = report_rows(kwargs["report"])
        return super().get_context_data(datasets=datasets, **kwargs)

    def post(self, request, *args, **kwargs):
        if "commit" in request.POST and "job" in request.POST:
            return self.commit_job(request)
        if "commit" in request.POST:
            return self.commit(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        from financeplanner.importing import async_bytes, import_rows

        upload = form.cleaned_data["file"]
        dataset = form.cleaned_data["dataset"]
        if upload.size > async_bytes():
            return self.start_job(form, upload, dataset)
        token = uuid.uuid4().hex
        path = import_dir() / token
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        with path.open("rb") as file:
            report = import_rows(
                company=self.request.company, dataset=dataset, file=file, filename=upload.name, by=self.request.user,
                commit=False,
            )  # fmt: skip
        if report.errors:
            path.unlink(missing_ok=True)
            token = ""
        else:
            self.request.session[IMPORT_SESSION_KEY] = {
                "token": token, "filename": upload.name, "dataset": dataset, "company": self.request.company.pk,
            }  # fmt: skip
        return self.render_to_response(
            self.get_context_data(form=form, report=report, token=token, filename=upload.name, dataset=dataset)
        )

    def start_job(self, form, upload, dataset):
        """A big file is checked by a worker, outside this process: the job's page shows its progress."""
        from financeplanner.importing import (
            MAX_BYTES,
            ImportFileError,
            ImportQueueUnavailable,
            import_job_create,
            precheck,
        )

        content = upload.read(MAX_BYTES + 1)
        try:
            precheck(content, upload.name)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        try:
            job = import_job_create(
                company=self.request.company, dataset=dataset, content=content, filename=upload.name,
                by=self.request.user, commit=False,
            )  # fmt: skip
        except ImportQueueUnavailable as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return redirect("contingency:import-detail", pk=job.pk)

    def commit_job(self, request):
        from financeplanner.importing import ImportQueueUnavailable, import_job_commit

        job_id = request.POST.get("job", "")
        if not job_id.isdigit():
            raise Http404
        # Only the user who uploaded the file commits its check, and only within their company.
        checked = get_object_or_404(
            ImportJob.objects.for_company(request.company).defer("file"), pk=job_id, created_by=request.user
        )
        try:
            job = import_job_commit(job=checked, by=request.user)
        except (ValidationError, ImportQueueUnavailable) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
            return redirect("contingency:import-add")
        return redirect("contingency:import-detail", pk=job.pk)

    def commit(self, request):
        from financeplanner.importing import import_rows

        pending = request.session.get(IMPORT_SESSION_KEY) or {}
        token = request.POST.get("token", "")
        if not token or pending.get("token") != token or pending.get("company") != request.company.pk:
            messages.error(request, _("That upload has expired; please upload the file again."))
            return redirect("contingency:import-add")
        path = import_dir() / token
        if not path.exists():
            messages.error(request, _("That upload has expired; please upload the file again."))
            return redirect("contingency:import-add")
        with path.open("rb") as file:
            report = import_rows(
                company=request.company, dataset=pending["dataset"], file=file, filename=pending["filename"],
                by=request.user, commit=True,
            )  # fmt: skip
        path.unlink(missing_ok=True)
        del request.session[IMPORT_SESSION_KEY]
        if report.committed:
            messages.success(
                request,
                _("Imported %(count)s rows from %(file)s.") % {"count": report.created, "file": pending["filename"]},
            )
            return redirect("contingency:import-add")
        form = ImportForm(initial={"dataset": pending["dataset"]})
        return self.render_to_response(
            self.get_context_data(
                form=form, report=report, token="", filename=pending["filename"], dataset=pending["dataset"]
            )
        )


class ImportJobView(ObjectDetailView):
    """A background import: its progress, polled by htmx every second, then its report (and the commit button)."""

    model = ImportJob
    url_base = "contingency:import"
    queryset = ImportJob.objects.defer("file")
    template_name = "contingency/import_job.html"
    required_role = Role.ANALYST

    def get_title(self) -> str:
        text = _("Checking %(file)s") if self.object.dry_run else _("Importing %(file)s")
        return text % {"file": self.object.filename}

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        return [(_("Import a spreadsheet"), reverse("contingency:import-add"))]

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        finished = self.object.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)
        if request.htmx:
            if finished:
                return HttpResponseClientRedirect(request.path)
            self.template_name = "contingency/partials/import_job_progress.html"
        context = self.get_context_data(object=self.object, finished=finished)
        if finished and self.object.report:
            context["report_rows"] = report_rows(self.object.report)
        return self.render_to_response(context)
