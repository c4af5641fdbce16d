"""Tenancy and roles for every company page, generated from the URL conf.

A new page is tested the day it is routed; the roles of its writes are DESIGN.md's (PAGE_ROLES when not an
analyst's). Another company's object page is exactly a 404, a POST below its role exactly a 403; only the methods
the page's view handles are requested, so nothing accepts a 405.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from contingency.models import (
    Alert,
    ContingencyPlan,
    DrillRun,
)
from financeplanner.choices import Role
from financeplanner.models import ImportJob
from tests.security.tenancy_cast import ANYONE, RANK, CompanyA, web_as

pytestmark = pytest.mark.django_db

# -- the pages: every company page of the URL conf -------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    route: str  # e.g. "channels/<int:pk>/draw/"
    view: type

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    @property
    def methods(self) -> list[str]:
        return [m for m in ("get", "post") if m in self.view.http_method_names and hasattr(self.view, m)]

    def __str__(self) -> str:
        return f"/{self.route}"


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def company_pages() -> list[Page]:
    pages = []
    for route, pattern in _walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        # Company pages stand on CompanyViewMixin (found by name: views move between modules).
        if view is not None and any(base.__name__ == "CompanyViewMixin" for base in view.__mro__):
            pages.append(Page(route, view))
    return pages


PAGES = company_pages()
OBJECT_PAGES = [p for p in PAGES if "pk" in p.kwargs]
POST_PAGES = [p for p in PAGES if "post" in p.methods]

# Pages whose view does not name its model: the model of their <pk>, by the URL's first segment.
PAGE_MODELS = {"plans": ContingencyPlan, "drills": DrillRun, "alerts": Alert, "import": ImportJob}
# Other URL arguments of a page, from the object its <pk> names.
PAGE_KWARGS = {"item_pk": lambda run: run.checklist.order_by("order").first().pk}
# The role a page's POST needs when it is not an analyst's (DESIGN.md's table); ANYONE for pages that compute and
# store nothing.
PAGE_ROLES = {
    "channels/<int:pk>/lender-action/": Role.TREASURER,
    "plans/<int:pk>/approve/": Role.TREASURER,
    "schedules/add/": Role.TREASURER,
    "schedules/<int:pk>/edit/": Role.TREASURER,
    "schedules/<int:pk>/delete/": Role.TREASURER,
    "altman/": ANYONE,  # computes the Z-score; recording it as an assessment is checked by the form (analyst)
    # Settings (financeplanner.views.settings, contingency.views.settings), as their API's permission classes.
    "settings/policy/": Role.ADMIN,
    "settings/members/invite/": Role.ADMIN,
    "settings/members/<int:pk>/edit/": Role.ADMIN,
    "settings/members/<int:pk>/delete/": Role.ADMIN,  # or the member themselves (leave): tested in tests/web
    "settings/api-keys/add/": Role.ADMIN,
    "settings/api-keys/<int:pk>/revoke/": Role.ADMIN,
    "settings/warnings/edit/": Role.TREASURER,
    "settings/alert-emails/": Role.VIEWER,  # each member chooses for themselves
    "settings/webhooks/add/": Role.ADMIN,
    "settings/webhooks/<int:pk>/edit/": Role.ADMIN,
    "settings/webhooks/<int:pk>/delete/": Role.ADMIN,
    "settings/robots/add/": Role.ADMIN,
    "settings/robots/<int:pk>/edit/": Role.ADMIN,
    "settings/robots/<int:pk>/delete/": Role.ADMIN,
}


def _page_model(page: Page) -> type:
    model = getattr(page.view, "model", None)
    if model is None and getattr(page.view, "queryset", None) is not None:
        model = page.view.queryset.model
    if model is None:
        model = PAGE_MODELS.get(page.route.split("/", 1)[0])
    if model is None:
        pytest.fail(f"Say which model {page} shows: set `model` on {page.view.__name__} or add it to PAGE_MODELS.")
    return model


def _page_url(page: Page, a: CompanyA) -> str:
    values = {}
    if "pk" in page.kwargs:
        obj = a[_page_model(page)]
        values["pk"] = obj.pk
        for name in page.kwargs:
            if name != "pk":
                if name not in PAGE_KWARGS:
                    pytest.fail(f"Say in PAGE_KWARGS how to fill {name!r} of {page}.")
                values[name] = PAGE_KWARGS[name](obj)
    url = "/" + page.route
    for name, value in values.items():
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
    return url


# Pages that are nobody's company's: signing in and out, the language, choosing a company, one's own invitations.
NOT_COMPANY_PAGES = {"accounts/login/", "accounts/logout/", "i18n/setlang/", "company/", "invitations/"}


def test_the_url_conf_is_walked():
    routes = {p.route for p in PAGES}
    assert {"channels/<int:pk>/", "plans/<int:pk>/approve/", "drills/<int:pk>/checklist/<int:item_pk>/"} <= routes
    # Every other page is a company page, so none escapes the tests below by standing on another base.
    others = {
        route
        for route, _ in _walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "api/")) and route not in routes
    }
    assert others <= NOT_COMPANY_PAGES, f"Pages outside CompanyViewMixin: {sorted(others - NOT_COMPANY_PAGES)}"


@pytest.mark.parametrize("page", OBJECT_PAGES, ids=str)
def test_another_companys_object_page_is_a_404(page, acme, outsider):
    url = _page_url(page, acme)
    client = web_as(outsider)
    for method in page.methods:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (str(page), method, response.status_code)


def _page_role(page: Page) -> str:
    return PAGE_ROLES.get(page.route, Role.ANALYST)


@pytest.mark.parametrize("page", [p for p in POST_PAGES if _page_role(p) != ANYONE], ids=str)
def test_a_page_write_below_its_role_is_a_403(page, acme):
    url = _page_url(page, acme)
    required = _page_role(page)
    for role in RANK[: RANK.index(required)]:
        response = web_as(acme.users[role]).post(url)
        assert response.status_code == 403, (str(page), role, response.status_code)


@pytest.mark.parametrize("page", POST_PAGES, ids=str)
def test_the_role_design_names_may_post_the_page(page, acme):
    required = _page_role(page)
    role = Role.VIEWER if required == ANYONE else required
    response = web_as(acme.users[role]).post(_page_url(page, acme))
    # An empty form is answered with the form and its errors, or a redirect; never refused.
    assert response.status_code in (200, 302), (str(page), role, response.status_code)


def test_the_page_declarations_name_routed_pages():
    """A renamed page must not leave its role or model declared for nothing."""
    routes = {p.route for p in PAGES}
    assert set(PAGE_ROLES) <= routes, f"PAGE_ROLES names no page: {sorted(set(PAGE_ROLES) - routes)}"
    first_segments = {p.route.split("/", 1)[0] for p in OBJECT_PAGES}
    assert set(PAGE_MODELS) <= first_segments
