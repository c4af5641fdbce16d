"""The bases of the contingency pages: a filtered list, a detail, a form through a service, a formset editor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views import generic

from financeplanner.choices import Role
from financeplanner.views import FilteredListMixin
from financeplanner.web import CompanyViewMixin

from ..forms import apply_service_errors
from ..models import LiquidityPool

PAGE_SIZE = 50

MAX_EXTRA_ROWS = 20


class CompanyListView(FilteredListMixin, CompanyViewMixin, generic.ListView):
    """A filtered, paginated list of the company's rows (the FilterSet is the one the API uses)."""

    paginate_by = PAGE_SIZE


class CompanyDetailView(CompanyViewMixin, generic.DetailView):
    pass


class CompanyFormView(CompanyViewMixin, generic.FormView):
    """Add (no pk) or edit (pk) one of the company's rows through a service; 404 for another company's row."""

    model: type = LiquidityPool
    required_role = Role.ANALYST

    def get_queryset(self) -> QuerySet:
        return self.model.objects.for_company(self.request.company)

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["company"] = self.request.company
        if hasattr(self.get_form_class(), "_meta"):
            kwargs["instance"] = self.object or self.model(company=self.request.company)
        return kwargs

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return super().get_context_data(object=self.object, **kwargs)

    def save(self, form) -> Any:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            saved = self.save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved %(name)s.") % {"name": saved})
        return HttpResponseRedirect(self.get_success_url_for(saved))

    def get_success_url_for(self, saved) -> str:
        raise NotImplementedError


def extra_rows(request: HttpRequest, default: int = 2) -> int:
    """How many blank rows a formset editor shows (`?rows=N` asks for more)."""
    try:
        return max(0, min(int(request.GET.get("rows", default)), MAX_EXTRA_ROWS))
    except ValueError:
        return default


class FormsetEditView(CompanyFormView):
    """An object with an ordered list of child rows edited in one page (plan + steps, scenario + shocks)."""

    formset_class: Any = None
    formset_prefix = ""

    def formset_initial(self) -> list[dict]:
        raise NotImplementedError

    def get_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        initial = self.formset_initial() if self.object else None
        formset_class = self.formset_class
        if data is None:
            formset_class = type(formset_class.__name__, (formset_class,), {"extra": extra_rows(self.request)})
        return formset_class(data, prefix=self.formset_prefix, initial=initial, company=self.request.company)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.get_formset())
        more = extra_rows(self.request) + 3
        return super().get_context_data(more_rows=min(more, MAX_EXTRA_ROWS), **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form()
        formset = self.get_formset()
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        rows = self.ordered_rows(formset)
        try:
            saved = self.save_with_rows(form, rows)
        except ValidationError as exc:
            if self.object is not None:
                self.object.refresh_from_db()  # the service may have changed it in memory before refusing
            apply_service_errors(form, exc, {self.formset_prefix: (formset, rows)}, aliases=self.error_aliases)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        self.saved_message(saved)
        return HttpResponseRedirect(self.get_success_url_for(saved))

    error_aliases: dict[str, str] = {}

    def ordered_rows(self, formset) -> list:
        return formset.kept_forms()

    def save_with_rows(self, form, rows: list):
        raise NotImplementedError

    def saved_message(self, saved) -> None:
        messages.success(self.request, _("Saved %(name)s.") % {"name": saved})
