"""One page framework for every company-scoped page, after NetBox's generic views (netbox/netbox/views/generic/).

A feature's views declare only what differs — model, queryset, FilterSet, form, the service that writes, the
table — and stand on `CompanyViewMixin` (financeplanner.views.base): querysets are the company's own (another
company's row is a 404) and a view that writes names the role it needs (403 below it; analyst by default).

    class PoolViews:                                   # what every page of one model shares
        model = LiquidityPool
        url_base = "contingency:pool"                  # pool-list, pool-detail, pool-add, pool-edit, pool-delete
        list_title = gettext_lazy("Liquidity pools")

    class PoolListView(PoolViews, ObjectListView):
        filterset_class = LiquidityPoolFilterSet       # the API's FilterSet: the filter form beside the results
        results_template_name = "contingency/pool_table.html"  # {% extends "generic/object_table.html" %}
        sort_fields = {"name": "name", "-name": "-name"}        # ?sort= whitelist
        add_label = gettext_lazy("Add a pool")         # the add button (analysts; `add_role` to change)

    class PoolDetailView(PoolViews, ObjectDetailView):
        template_name = "contingency/pool_detail.html"  # {% extends "generic/object_detail.html" %}

    class PoolFormView(PoolViews, ObjectFormView):     # add (no pk in the URL) and edit (pk) on one view
        form_class = LiquidityPoolForm                 # gets company=; a ModelForm also gets instance=
        add_title = gettext_lazy("Add a pool")         # save(form): tenant_object_save, unless overridden with
                                                       # the feature's service; its ValidationError lands on the form

    class PlanFormView(PlanViews, FormsetEditView):    # a parent form and the ordered rows of its formset
        formset_class, formset_prefix = PlanStepFormSet, "steps"
        def formset_initial(self): return plan_step_initial(self.object)
        def save_with_rows(self, form, rows): return services.plan_save(..., steps=[row.step() for row in rows])

    class ScheduleDeleteView(ScheduleViews, ObjectDeleteView):   # a confirm page, then the service
        def delete(self, obj): drills.schedule_delete(schedule=obj, by=self.request.user)

URL names follow one convention: `<namespace>:<model>-<action>` with the actions `list`, `detail`, `add`, `edit`,
`delete` (`url_base` + "-" + action); `object_paths(prefix, *views)` writes those routes for a URL conf from the
views' `url_base`, and `self.url_for(action, obj)` reverses them. Templates: generic/object_list.html
(filters; htmx refreshes only the results), generic/object_table.html (the results, also the htmx partial),
generic/object_detail.html, generic/object_form.html and generic/object_confirm_delete.html; a model's own template
extends one of them and overrides only the blocks it needs. Service errors go on the form through
`financeplanner.forms.apply_service_errors`, the one helper for it.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from financeplanner.choices import Role
from financeplanner.currencies import order_currency_selects
from financeplanner.filters import company_choices
from financeplanner.forms import DateInput, apply_service_errors
from financeplanner.labels import field_label
from financeplanner.services import tenant_object_save

from .base import CompanyViewMixin, can

__all__ = [
    "MAX_EXTRA_ROWS",
    "FilteredListMixin",
    "ObjectActionView",
    "FormsetEditView",
    "ObjectDeleteView",
    "ObjectDetailView",
    "ObjectFormView",
    "ObjectListView",
    "ObjectMixin",
    "PageAction",
    "export_links",
    "extra_rows",
    "object_action_path",
    "object_paths",
]

MAX_EXTRA_ROWS = 20


@dataclass(frozen=True)
class PageAction:
    """A button in a page's header. `viewname` is a full URL name, or an action of the view's model ("add").

    `with_object` reverses it with the page's object; `query` is appended (`"counterparty={pk}"`, formatted with
    the object); the button shows only to members holding `role`, and where `when(object)` holds. A `post` button
    submits a form with nothing to fill in (approve a plan) instead of opening a page.
    """

    label: Any
    viewname: str
    role: str = Role.VIEWER
    style: str = ""
    with_object: bool = False
    query: str = ""
    when: Callable[[Any], bool] | None = None
    post: bool = False


def _is_field(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def correction_actions(role: str = Role.ANALYST) -> tuple[PageAction, ...]:
    """Archive or Restore (whichever applies) and Delete: the buttons of a detail page whose model has
    `archived_at`; the archive and restore pages are `object_action_path`s, the delete page the model's own."""
    return (
        PageAction(
            gettext_lazy("Archive"), "archive", role, "quiet", with_object=True, post=True,
            when=lambda obj: obj.archived_at is None,
        ),
        PageAction(
            gettext_lazy("Restore"), "restore", role, with_object=True, post=True,
            when=lambda obj: obj.archived_at is not None,
        ),
        PageAction(gettext_lazy("Delete"), "delete", role, "quiet", with_object=True),
    )  # fmt: skip


class ObjectMixin:
    """What every generic view knows: its model, the URL names of that model, the titles and the breadcrumbs."""

    model: Any = None
    url_base: str = ""
    url_names: dict[str, str] = {}
    list_title: Any = ""
    lead: Any = ""
    actions: tuple[PageAction, ...] = ()

    def url_for(self, action: str, obj: Any = None, *, missing_ok: bool = True) -> str | None:
        """The URL of `action` ("list", "detail", "edit", ... or a full name "app:name"); None where the model has
        no such page (a model without a detail page), unless `missing_ok` is false.

        `url_names` maps an action to a name off the convention (e.g. {"list": "channels:own-rating"}).
        """
        name = action if ":" in action else self.url_names.get(action, f"{self.url_base}-{action}")
        try:
            return reverse(name, args=[obj.pk] if obj is not None else [])
        except NoReverseMatch:
            if missing_ok:
                return None
            raise

    def page_object(self) -> Any:
        return getattr(self, "object", None)

    def get_title(self) -> str:
        return str(self.list_title)

    def get_lead(self) -> str:
        return self.lead

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        """(label, url) pairs above the heading: the list, and the object when the page is about one."""
        crumbs = []
        list_url = self.url_for("list") if self.list_title else None
        if list_url:
            crumbs.append((str(self.list_title), list_url))
        obj = self.page_object()
        detail_url = self.url_for("detail", obj) if obj is not None and obj.pk else None
        if detail_url:
            crumbs.append((str(obj), detail_url))
        return crumbs

    def get_actions(self) -> list[dict[str, Any]]:
        """The header buttons this member may use, with their URLs."""
        obj = self.page_object()
        shown = []
        for action in self.actions:
            if not can(self.request, action.role) or (action.when is not None and not action.when(obj)):
                continue
            # A button naming a page that does not exist is a mistake to see, not a button to drop.
            url = self.url_for(action.viewname, obj if action.with_object else None, missing_ok=False)
            if action.query:
                url += "?" + action.query.format(pk=getattr(obj, "pk", ""))
            shown.append({"label": action.label, "url": url, "style": action.style, "post": action.post})
        return shown

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.get_title())
        context.setdefault("lead", self.get_lead())
        context.setdefault("breadcrumbs", self.get_breadcrumbs())
        context.setdefault("actions", self.get_actions())
        return context


class FilteredListMixin:
    """A list driven by the app's FilterSet (the same one the API uses), sorted from a whitelist.

    Set `filterset_class`; optionally `filter_labels` ({field: label}, where the model field's verbose_name does not
    say it), `hidden_filters` (API-only filters such as `updated_since`), `sort_fields` ({param: order_by expression})
    and `default_sort`.
    """

    filterset_class: Any = None
    filter_labels: dict[str, Any] = {}
    hidden_filters: tuple[str, ...] = ("updated_since",)
    sort_fields: dict[str, str] = {}
    default_sort: str = ""
    #: The FilterSet's archive filter (`archived`: no / yes / empty = all): a page opens on what is not archived.
    archive_filter: str = ""

    def filter_data(self):
        """The filters in force: the query string, and `archive_filter=no` when the page was opened without it."""
        data = self.request.GET
        if self.archive_filter and self.archive_filter not in data:
            data = data.copy()
            data[self.archive_filter] = "no"
        return data or None

    def get_filterset(self, queryset):
        filterset = self.filterset_class(self.filter_data(), queryset=queryset, request=self.request)
        form = filterset.form
        for name in self.hidden_filters:
            form.fields.pop(name, None)
        model = self.filterset_class._meta.model
        for name, field in form.fields.items():
            if name in self.filter_labels:
                field.label = self.filter_labels[name]
            elif field.label is None and _is_field(model, name):
                # django-filter labels a filter in the language active when its form field is first built, and a
                # class-level filter's field (built once, e.g. by the API schema) is copied with no label at all,
                # which a form shows as the English field name: the model's label, in the reader's language.
                field.label = field_label(model, name)
            if isinstance(field.widget, forms.SelectMultiple):
                field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
            elif type(field.widget) is forms.DateInput:
                field.widget = DateInput()
        # The FilterSet is shared with the API and lists every row; the page offers only this company's.
        company_choices(filterset, self.request.company)
        order_currency_selects(form)
        return filterset

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = self.get_filterset(queryset) if self.filterset_class else None
        if self.filterset is not None:
            queryset = self.filterset.qs
        sort = self.request.GET.get("sort") or self.default_sort
        if sort in self.sort_fields:
            self.sort = sort
            queryset = queryset.order_by(self.sort_fields[sort], "pk")
        else:
            self.sort = ""
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["filter_form"] = self.filterset.form if self.filterset is not None else None
        context["sort"] = self.sort
        context["filters_active"] = any(
            key not in ("page", "sort") and value for key, value in self.request.GET.items()
        )
        return context


def export_links(request, dataset: str, filters) -> list[dict[str, str]]:
    """The list's CSV and XLSX downloads of its export dataset, with the filters in force (`filters`: a QueryDict)."""
    lists = filters.lists() if filters else []
    params = [(k, v) for k, values in lists if k not in ("page", "sort", "format") for v in values]
    url = reverse("export-download", args=[dataset])
    return [
        {"format": fmt, "label": label, "url": f"{url}?{urlencode([*params, ('format', fmt)])}"}
        for fmt, label in (("csv", gettext_lazy("Download CSV")), ("xlsx", gettext_lazy("Download XLSX")))
    ]


class ObjectListView(FilteredListMixin, ObjectMixin, CompanyViewMixin, ListView):
    """A filtered, sorted, paginated list of the company's rows; an htmx request gets only the results.

    `results_template_name` extends generic/object_table.html (blocks `columns`, `row`, `colspan`); `add_label`
    adds the add button for members holding `add_role`; `actions` adds other buttons before it.
    """

    template_name = "generic/object_list.html"
    results_template_name: str = ""
    paginate_by = 25
    #: The export dataset (financeplanner.registry) whose CSV / XLSX the list offers, with its filters in force.
    export_dataset: str = ""
    add_label: Any = ""
    add_role: str = Role.ANALYST
    empty_message: Any = gettext_lazy("Nothing here yet.")
    empty_filtered_message: Any = gettext_lazy("Nothing matches these filters.")

    def get_actions(self) -> list[dict[str, Any]]:
        actions = super().get_actions()
        add_url = self.url_for("add") if self.add_label and can(self.request, self.add_role) else None
        if add_url:
            actions.append({"label": self.add_label, "url": add_url, "style": "", "post": False})
        return actions

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["results_template_name"] = self.results_template_name
        if self.export_dataset:
            data = self.filter_data() if self.filterset_class else self.request.GET
            context["export_links"] = export_links(self.request, self.export_dataset, data)
        context["empty_message"] = self.empty_message
        context["empty_filtered_message"] = self.empty_filtered_message
        return context

    def get_template_names(self):
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.history_restore_request:
            return [self.results_template_name]
        return super().get_template_names()

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # One URL answers a whole page or only its results: caches (and the browser's back button) must keep both.
        patch_vary_headers(response, ("HX-Request",))
        return response


class ObjectDetailView(ObjectMixin, CompanyViewMixin, DetailView):
    """One of the company's rows; the template extends generic/object_detail.html."""

    def get_title(self) -> str:
        return str(self.object)

    def get_breadcrumbs(self) -> list[tuple[str, str]]:
        list_url = self.url_for("list") if self.list_title else None
        return [(str(self.list_title), list_url)] if list_url else []


class ObjectFormView(ObjectMixin, CompanyViewMixin, SingleObjectMixin, FormView):
    """Add (no pk in the URL) or edit (pk) one of the company's rows, or act on one, through a service.

    `save(form)` calls the service and returns what it made; a `ValidationError` goes next to the field it names
    with everything typed kept. Then `success_message` (formatted with `name`, the saved object) and a redirect to
    the saved object's detail page (`success_action = "list"` for the list). A form on another object (a draw on
    a line) returns the entry it made: the redirect goes to the page's object.
    """

    template_name = "generic/object_form.html"
    required_role = Role.ANALYST
    form_takes_company = True
    add_title: Any = ""
    edit_title: Any = gettext_lazy("Edit %(name)s")
    success_message: Any = gettext_lazy("Saved %(name)s.")
    success_action = "detail"
    submit_label: Any = gettext_lazy("Save")
    submit_style = ""
    narrow = True

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        if self.pk_url_kwarg not in self.kwargs:
            return None
        return super().get_object(queryset)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.form_takes_company:
            kwargs["company"] = self.request.company
        if hasattr(self.get_form_class(), "_meta") and self.model is not None:
            kwargs["instance"] = self.object or self.model(company=self.request.company)
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        order_currency_selects(form)  # the common currencies first in every currency select
        return form

    def get_title(self) -> str:
        """`add_title` without an object; `edit_title` (`%(name)s` is the object) with one."""
        if self.object is not None:
            return str(self.edit_title) % {"name": self.object}
        return str(self.add_title)

    def get_cancel_url(self) -> str | None:
        if self.object is not None:
            return self.url_for("detail", self.object) or self.url_for("list")
        return self.url_for("list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("cancel_url", self.get_cancel_url())
        context.setdefault("submit_label", self.submit_label)
        context.setdefault("submit_style", self.submit_style)
        context.setdefault("narrow", self.narrow)
        return context

    def save(self, form) -> Any:
        """The write: by default the one service of a simple company row (assign, validate in full, save); a
        feature with its own service (a channel, a drill, a plan) overrides it to call that."""
        return tenant_object_save(
            obj=self.object or self.model(), company=self.request.company, fields=form.cleaned_data
        )

    def form_valid(self, form):
        try:
            saved = self.save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        self.saved_message(saved)
        return HttpResponseRedirect(self.get_success_url_for(saved))

    def saved_message(self, saved) -> None:
        if self.success_message:
            messages.success(self.request, str(self.success_message) % {"name": saved})

    def get_success_url_for(self, saved) -> str:
        target = saved if self.model is not None and isinstance(saved, self.model) else self.object
        if self.success_action == "detail" and target is not None:
            url = self.url_for("detail", target)
            if url:
                return url
        return self.url_for(self.success_action) or self.url_for("list") or "/"


def extra_rows(request, default: int = 2) -> int:
    """How many blank rows a formset editor shows (`?rows=N` asks for more)."""
    try:
        return max(0, min(int(request.GET.get("rows", default)), MAX_EXTRA_ROWS))
    except ValueError:
        return default


class FormsetEditView(ObjectFormView, metaclass=ABCMeta):
    """A parent form and an ordered list of its rows in one page (channel + triggers, plan + steps).

    Set `formset_class`, `formset_prefix`, `formset_initial()` (rows of the object being edited) and
    `save_with_rows(form, rows)`; `ordered_rows(formset)` is the rows in the order the service gets them, so its
    errors (`steps[2].pool`) land on the row they name; `error_aliases` renames model fields to form fields.
    `?rows=N` shows N blank rows.
    """

    formset_class: Any = None
    formset_prefix = ""
    formset_takes_company = True
    error_aliases: dict[str, str] = {}
    narrow = False

    @abstractmethod
    def formset_initial(self) -> list[dict]:
        """The rows of the object being edited, as the formset's initial data (none when adding)."""

    def get_formset_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"prefix": self.formset_prefix}
        kwargs["initial"] = self.formset_initial() if self.object else None
        if self.formset_takes_company:
            kwargs["company"] = self.request.company
        return kwargs

    def get_formset(self):
        if self.request.method == "POST":
            return self.formset_class(self.request.POST, **self.get_formset_kwargs())
        rows = extra_rows(self.request, default=self.formset_class.extra)
        formset_class = type(self.formset_class.__name__, (self.formset_class,), {"extra": rows})
        return formset_class(None, **self.get_formset_kwargs())

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.get_formset())
        more = extra_rows(self.request, default=self.formset_class.extra) + 3
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

    def ordered_rows(self, formset) -> list:
        if hasattr(formset, "kept_forms"):
            return formset.kept_forms()
        deleted = set(formset.deleted_forms) if formset.can_delete else set()
        return [row for row in formset.forms if row.has_changed() and row not in deleted]

    @abstractmethod
    def save_with_rows(self, form, rows: list) -> Any:
        """Call the feature's service with the parent's data and its ordered rows; return what it saved."""


class ObjectDeleteView(ObjectMixin, CompanyViewMixin, SingleObjectMixin, TemplateView, metaclass=ABCMeta):
    """A confirm page (GET), then `delete(obj)` — a service — on POST and back to the list with a message."""

    template_name = "generic/object_confirm_delete.html"
    required_role = Role.ANALYST
    delete_title: Any = gettext_lazy("Delete %(name)s?")
    success_message: Any = gettext_lazy("Deleted %(name)s.")
    #: Offer "Archive instead" (the model's `-archive` page) when the delete is refused; `archivable(obj)` says when.
    archive_label: Any = gettext_lazy("Archive instead")

    def archivable(self, obj) -> bool:
        return getattr(obj, "archived_at", None) is None

    def get_title(self) -> str:
        return str(self.delete_title) % {"name": self.object}

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("cancel_url", self.url_for("detail", self.object) or self.url_for("list"))
        if context.get("errors") and self.archivable(self.object):
            archive_url = self.url_for("archive", self.object)
            if archive_url:
                context["archive_action"] = {"label": self.archive_label, "url": archive_url}
        return context

    @abstractmethod
    def delete(self, obj) -> None:
        """Call the feature's delete service (which refuses, with a reason, what history depends on)."""

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        name = str(self.object)
        try:
            self.delete(self.object)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages))
        messages.success(request, str(self.success_message) % {"name": name})
        return HttpResponseRedirect(self.url_for("list") or "/")


class ObjectActionView(ObjectMixin, CompanyViewMixin, SingleObjectMixin, View, metaclass=ABCMeta):
    """A button on an object's page that changes it with nothing to fill in (archive, restore, reverse): POST only,
    `act(obj)` — a service — then a message and back to the object's page (a refusal is the message, in red).

    Route it as `<prefix><pk>/<action>/` named `<model>-<action>` (`object_action_path`)."""

    required_role = Role.ANALYST
    success_message: Any = ""
    success_action = "detail"

    @abstractmethod
    def act(self, obj) -> Any:
        """Call the feature's service on the object."""

    def redirect_to(self, obj) -> str:
        return self.url_for(self.success_action, obj) or self.url_for("list") or "/"

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            done = self.act(self.object)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if self.success_message:
                messages.success(
                    request, str(self.success_message) % {"name": done if done is not None else self.object}
                )
        return HttpResponseRedirect(self.redirect_to(self.object))


def object_action_path(prefix: str, view: Any, action: str) -> URLPattern:
    """The route of an `ObjectActionView`: `<prefix><pk>/<action>/`, named `<model>-<action>`."""
    model_name = view.url_base.rpartition(":")[2]
    return path(f"{prefix}<int:pk>/{action}/", view.as_view(), name=f"{model_name}-{action}")


def object_paths(prefix: str, *views: Any, add_path: str = "add/") -> list[URLPattern]:
    """The routes of one model's pages by the one convention, for a URL conf (as NetBox's register_model_view).

    Each view's kind gives its route and its `url_base` the name: a list at `<prefix>` (`<model>-list`), a form
    at `<prefix><add_path>` and `<prefix><pk>/edit/` (`-add`, `-edit`), a detail at `<prefix><pk>/` (`-detail`),
    a delete at `<prefix><pk>/delete/` (`-delete`): `*object_paths("pools/", PoolListView, PoolFormView)`.
    """
    kinds = [
        (ObjectListView, [("", "list")]),
        (ObjectDeleteView, [("<int:pk>/delete/", "delete")]),
        (ObjectFormView, [(add_path, "add"), ("<int:pk>/edit/", "edit")]),
        (ObjectDetailView, [("<int:pk>/", "detail")]),
    ]
    routes = []
    for view in views:
        model_name = view.url_base.rpartition(":")[2]
        kind = next(routes_of for base, routes_of in kinds if issubclass(view, base))
        routes += [path(prefix + route, view.as_view(), name=f"{model_name}-{action}") for route, action in kind]
    return routes
