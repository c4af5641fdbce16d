"""Tenancy and roles for every endpoint, generated from the API router's registry and the page URL conf.

Nothing here is a hand-kept list of endpoints: a new viewset, action or page is tested the day it is routed. What
is kept by hand is what the code cannot say about itself — how to build an object of each model (FACTORIES), the
role DESIGN.md's table gives each write (WRITE_ROLES, ACTION_ROLES, PAGE_ROLES) and a body that does the write —
and a route missing from those maps fails with a message saying what to add.

Every expectation is exact: another company's object is a 404, a write below its role is a 403. A method an
endpoint does not offer is not requested at all (found from the viewset's routes and `http_method_names`, or the
page view's handlers), so no assertion ever accepts a 405.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework import permissions
from rest_framework.test import APIClient

from channels_app.models import Counterparty, CreditAssessment, FundingChannel, LedgerEntry
from contingency.models import (
    Alert,
    AlertRobot,
    CashFlowLine,
    ContingencyPlan,
    DrillRun,
    DrillSchedule,
    LiquidityPool,
    Scenario,
    WarningThreshold,
    Webhook,
)
from financeplanner.api.urls import router
from financeplanner.choices import Role
from financeplanner.models import ApiKey, Company, FxRate, ImportJob, Invitation
from tests.factories import (
    AlertFactory,
    AlertRobotFactory,
    CashFlowLineFactory,
    ContingencyPlanFactory,
    CounterpartyFactory,
    CreditAssessmentFactory,
    FundingChannelFactory,
    FxRateFactory,
    ImportJobFactory,
    InvitationFactory,
    LiquidityPoolFactory,
    MembershipFactory,
    PlanStepFactory,
    ScenarioFactory,
    UserFactory,
    WarningThresholdFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

RANK = [Role.VIEWER, Role.ANALYST, Role.TREASURER, Role.ADMIN]
ANYONE = "anyone signed in"  # not a company write: creating a company, answering one's own invitation


# -- company A: one object of every model, built on demand -----------------------------------------------------------


class CompanyA:
    """Company A ('acme') with a member of each role, and one object of any model on demand (`a[Model]`)."""

    def __init__(self, company: Company):
        self.company = company
        self.users = {
            role: MembershipFactory(company=company, role=role, user=UserFactory(username=f"{role}-of-acme")).user
            for role in RANK
        }
        self._objects: dict[type, object] = {}

    def __getitem__(self, model: type):
        if model not in self._objects:
            if model not in FACTORIES:
                pytest.fail(f"Add a factory for {model.__name__} to FACTORIES in {__name__}: an endpoint serves it.")
            self._objects[model] = FACTORIES[model](self)
        return self._objects[model]


def _ledger_entry(a: CompanyA) -> LedgerEntry:
    from channels_app.services import channel_draw

    return channel_draw(channel=a[FundingChannel], amount=Decimal("100.00"), date=date(2026, 2, 1), by=None)


def _plan(a: CompanyA) -> ContingencyPlan:
    plan = ContingencyPlanFactory(company=a.company)
    PlanStepFactory(plan=plan)
    return plan


def _drill(a: CompanyA) -> DrillRun:
    from contingency import drills

    # With a plan, the run has a live-drill checklist, so its checklist routes have an item to name.
    return drills.drill_start(company=a.company, scenario=a[Scenario], plan=a[ContingencyPlan], enqueue=False)


def _schedule(a: CompanyA) -> DrillSchedule:
    from contingency import drills

    return drills.schedule_save(company=a.company, by=None, name="Weekly", scenario=a[Scenario], cron="0 6 * * 1")


def _api_key(a: CompanyA) -> ApiKey:
    from financeplanner.apikeys import apikey_create

    return apikey_create(company=a.company, name="SAP nightly pull", by=a.users[Role.ADMIN]).key


FACTORIES = {
    Company: lambda a: a.company,
    Invitation: lambda a: InvitationFactory(company=a.company, user=UserFactory(username="ivan-invitee")),
    FxRate: lambda a: FxRateFactory(company=a.company),
    Counterparty: lambda a: CounterpartyFactory(company=a.company),
    CreditAssessment: lambda a: CreditAssessmentFactory(company=a.company, counterparty=a[Counterparty]),
    FundingChannel: lambda a: FundingChannelFactory(company=a.company, counterparty=a[Counterparty]),
    LedgerEntry: _ledger_entry,
    LiquidityPool: lambda a: LiquidityPoolFactory(company=a.company),
    CashFlowLine: lambda a: CashFlowLineFactory(company=a.company),
    ContingencyPlan: _plan,
    Scenario: lambda a: ScenarioFactory(company=a.company),
    DrillRun: _drill,
    DrillSchedule: _schedule,
    Alert: lambda a: AlertFactory(company=a.company),
    WarningThreshold: lambda a: WarningThresholdFactory(company=a.company),
    Webhook: lambda a: WebhookFactory(company=a.company),
    AlertRobot: lambda a: AlertRobotFactory(company=a.company),
    ApiKey: _api_key,
    ImportJob: lambda a: ImportJobFactory(company=a.company),
}


@pytest.fixture
def acme(company) -> CompanyA:
    return CompanyA(company)


def _api(user, **headers) -> APIClient:
    client = APIClient(**headers)
    client.force_authenticate(user)
    return client


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- the API: every route of every registered viewset ----------------------------------------------------------------


@dataclass(frozen=True)
class ApiRoute:
    basename: str
    viewset: type
    method: str
    action: str
    detail: bool
    url_name: str
    extra_kwargs: tuple[str, ...]  # URL arguments beside the object's lookup, e.g. a checklist item's id

    @property
    def model(self) -> type:
        queryset = getattr(self.viewset, "queryset", None)
        return queryset.model if queryset is not None else self.viewset.serializer_class.Meta.model

    @property
    def writes(self) -> bool:
        return self.method.upper() not in permissions.SAFE_METHODS

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.basename}.{self.action}"


def api_routes() -> list[ApiRoute]:
    found = []
    for _prefix, viewset, basename in router.registry:
        lookup = viewset.lookup_url_kwarg or viewset.lookup_field
        for route in router.get_routes(viewset):
            # get_method_map keeps only the actions the viewset has; http_method_names drops methods it refuses.
            for method, action in router.get_method_map(viewset, route.mapping).items():
                if method not in viewset.http_method_names:
                    continue
                extra = tuple(name for name in re.findall(r"\(\?P<(\w+)>", route.url) if name != lookup)
                found.append(
                    ApiRoute(
                        basename=basename,
                        viewset=viewset,
                        method=method,
                        action=action,
                        detail=route.detail,
                        url_name=route.name.format(basename=basename),
                        extra_kwargs=extra,
                    )
                )
    return found


API_ROUTES = api_routes()
LIST_ROUTES = [r for r in API_ROUTES if r.action == "list"]
DETAIL_ROUTES = [r for r in API_ROUTES if r.detail]
WRITE_ROUTES = [r for r in API_ROUTES if r.writes]

# URL arguments of detail actions beside the object's own lookup, from the object they belong to.
EXTRA_KWARGS = {
    ("drill", "item_id"): lambda run, a: run.checklist.order_by("order").first().pk,
    ("company", "username"): lambda company, a: _member_to_manage(a).username,
}


def _member_to_manage(a: CompanyA):
    """A member nobody in the cast is (removing oneself is leaving, which any member may)."""
    from financeplanner.models import Membership

    user = UserFactory(username="mia-member")
    Membership.objects.get_or_create(company=a.company, user=user, defaults={"role": Role.VIEWER})
    return user


def _url(route: ApiRoute, a: CompanyA, obj=None) -> str:
    if not route.detail:
        return reverse(route.url_name)
    lookup_field = route.viewset.lookup_field
    kwargs = {route.viewset.lookup_url_kwarg or lookup_field: getattr(obj, lookup_field)}
    for name in route.extra_kwargs:
        if (route.basename, name) not in EXTRA_KWARGS:
            pytest.fail(f"Say in EXTRA_KWARGS how to fill {name!r} of {route} from company A's object.")
        kwargs[name] = EXTRA_KWARGS[route.basename, name](obj, a)
    return reverse(route.url_name, kwargs=kwargs)


def _ids(response) -> list:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return [row.get("id", row.get("slug")) for row in rows]


def _key(obj):
    return obj.pk if not isinstance(obj, Company) else obj.slug


def test_the_registry_is_walked():
    """The generator finds the routes (a broken walk would make every parametrised test below vanish)."""
    basenames = {r.basename for r in API_ROUTES}
    assert {"channel", "webhook", "warningthreshold", "alertrobot", "apikey", "importjob"} <= basenames
    assert ("post", "draw") in {(r.method, r.action) for r in API_ROUTES if r.basename == "channel"}
    assert len(basenames) == len(router.registry)


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_another_companys_rows_are_not_listed(route, acme, outsider):
    obj = acme[route.model]
    response = _api(outsider).get(_url(route, acme))
    assert response.status_code == 200
    assert _key(obj) not in _ids(response)
    if not any(base.__name__ == "CompanyContextMixin" for base in route.viewset.__mro__):
        return  # the companies and invitations of the user, whatever company the header names
    # Naming company A in the header does not help: the outsider is not a member.
    assert _api(outsider, HTTP_X_COMPANY=acme.company.slug).get(_url(route, acme)).status_code == 404


@pytest.mark.parametrize("route", DETAIL_ROUTES, ids=str)
def test_another_companys_object_is_a_404(route, acme, outsider):
    obj = acme[route.model]
    url = _url(route, acme, obj)
    before = _row(obj)
    # The outsider is an admin of their own company: no role check can be what stops them.
    response = getattr(_api(outsider), route.method)(url, {}, format="json")
    assert response.status_code == 404, (str(route), response.status_code, response.content[:300])
    assert _row(obj) == before  # still there, unchanged


def _row(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


# -- roles: every read and write the API offers, per DESIGN.md's role table ------------------------------------------

# Viewers read everything of the company (DESIGN.md), except what is API access, which admins manage: keys, and the
# webhooks and robots whose addresses and deliveries carry credentials.
READ_ROLES = {"webhook": Role.ADMIN, "alertrobot": Role.ADMIN, "apikey": Role.ADMIN}
COMPANY_READS = [
    r for r in API_ROUTES if not r.writes and any(base.__name__ == "CompanyContextMixin" for base in r.viewset.__mro__)
]


@pytest.mark.parametrize("route", COMPANY_READS, ids=str)
def test_each_read_needs_its_role_and_no_more(route, acme):
    obj = acme[route.model] if route.detail else None
    url = _url(route, acme, obj)
    required = READ_ROLES.get(route.basename, Role.VIEWER)
    for role in RANK:
        response = _api(acme.users[role]).get(url)
        expected = 200 if RANK.index(role) >= RANK.index(required) else 403
        assert response.status_code == expected, (str(route), role, response.status_code, response.content[:300])


# The role a write needs, per resource (DESIGN.md: analysts edit the book and run drills; treasurers approve plans,
# record lender actions and manage schedules; admins manage members and API access).
WRITE_ROLES = {
    "company": Role.ADMIN,  # the company's policy
    "invitation": ANYONE,
    "fxrate": Role.ANALYST,
    "counterparty": Role.ANALYST,
    "creditassessment": Role.ANALYST,
    "channel": Role.ANALYST,
    "ledgerentry": Role.ANALYST,
    "pool": Role.ANALYST,
    "cashflow": Role.ANALYST,
    "plan": Role.ANALYST,
    "scenario": Role.ANALYST,
    "drill": Role.ANALYST,
    "drillschedule": Role.TREASURER,
    "alert": Role.ANALYST,
    "warningthreshold": Role.TREASURER,
    "webhook": Role.ADMIN,
    "alertrobot": Role.ADMIN,
    "apikey": Role.ADMIN,
}
ACTION_ROLES = {
    ("company", "create"): ANYONE,  # DESIGN: any signed-in user may POST one and becomes its admin
    ("plan", "approve"): Role.TREASURER,
    ("channel", "events"): Role.TREASURER,
}

# A body that makes the write succeed for its role (update: PATCH sends {}, PUT sends back what GET showed).
CREATE_BODIES = {
    "company": lambda a: {"slug": "newco", "name": "NewCo"},
    "fxrate": lambda a: {"currency": "EUR", "as_of": "2026-01-01", "rate": "7.8"},
    "counterparty": lambda a: {"name": "New bank", "kind": "bank"},
    "creditassessment": lambda a: {"as_of": "2026-03-01", "source": "internal", "rating": "BB", "counterparty": None},
    "channel": lambda a: {
        "name": "New line",
        "counterparty": a[Counterparty].pk,
        "channel_type": "other",
        "limit": "1000.00",
        "annual_rate": "0.01",
        "start_date": "2026-01-01",
        "maturity_date": "2027-01-01",
    },  # fmt: skip
    "ledgerentry": lambda a: {"channel": a[FundingChannel].pk, "date": "2026-02-02", "kind": "fee", "amount": "10.00"},
    "pool": lambda a: {"name": "New pool", "kind": "cash", "amount": "5.00"},
    "cashflow": lambda a: {"name": "Rent", "category": "rent", "amount": "-5.00", "start_date": "2026-01-01"},
    "plan": lambda a: {"name": "Another plan", "trigger": "on_shock"},
    "scenario": lambda a: {"name": "Another", "as_of": "2026-01-01"},
    "drill": lambda a: {"scenario": a[Scenario].pk},
    "drillschedule": lambda a: {"name": "Daily", "scenario": a[Scenario].pk, "cron": "0 7 * * *"},
    "warningthreshold": lambda a: {"indicator": "hhi_lender", "amber": "3000", "red": "6000"},
    "webhook": lambda a: {"name": "Chat", "url": "https://chat.example.com/hook"},
    "alertrobot": lambda a: {
        "name": "Group",
        "kind": "dingtalk",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
    },  # fmt: skip
    "apikey": lambda a: {"name": "BI tool"},
}
ACTION_BODIES = {
    ("channel", "draw"): lambda a: {"amount": "10.00", "date": "2026-02-01"},
    ("channel", "repay"): lambda a: a[LedgerEntry] and {"amount": "10.00", "date": "2026-02-02"},  # after a draw
    ("channel", "events"): lambda a: {"kind": "freeze", "date": "2026-02-01", "reason": "test"},
    ("company", "members"): lambda a: {"username": "someone-new", "role": "viewer"},
    ("company", "member"): lambda a: {"role": "analyst"},
    ("drill", "checklist"): lambda a: {"outcome": "passed", "minutes_taken": 5},
}
# Write-only fields a PUT must send again (GET does not show them).
PUT_EXTRA = {"alertrobot": lambda robot: {"url": robot.url}}
STANDARD_ACTIONS = {"create", "update", "partial_update", "destroy"}


def _required_role(route: ApiRoute) -> str:
    if (route.basename, route.action) in ACTION_ROLES:
        return ACTION_ROLES[route.basename, route.action]
    if route.basename not in WRITE_ROLES:
        pytest.fail(f"Say in WRITE_ROLES which role DESIGN.md gives the writes of {route.basename!r}.")
    return WRITE_ROLES[route.basename]


def _body(route: ApiRoute, a: CompanyA, obj) -> dict:
    if route.action == "create":
        if route.basename not in CREATE_BODIES:
            pytest.fail(f"Add to CREATE_BODIES a body that creates a {route.basename!r}.")
        return CREATE_BODIES[route.basename](a)
    if route.action == "update":
        shown = _api(a.users[Role.ADMIN]).get(_url(route, a, obj))
        assert shown.status_code == 200
        return {**shown.json(), **PUT_EXTRA.get(route.basename, lambda obj: {})(obj)}
    if route.action in STANDARD_ACTIONS:
        return {}
    return ACTION_BODIES.get((route.basename, route.action), lambda a: {})(a)


def _write(route: ApiRoute, a: CompanyA, user):
    obj = a[route.model] if route.detail else None
    body = _body(route, a, obj)
    return getattr(_api(user), route.method)(_url(route, a, obj), body, format="json")


COMPANY_WRITES = [r for r in WRITE_ROUTES if WRITE_ROLES.get(r.basename) != ANYONE]


@pytest.mark.parametrize("route", COMPANY_WRITES, ids=str)
def test_a_write_below_its_role_is_a_403(route, acme):
    required = _required_role(route)
    if required == ANYONE:
        assert _write(route, acme, acme.users[Role.VIEWER]).status_code < 400
        return
    below = RANK[: RANK.index(required)]
    assert below, f"{route}: nobody is below {required}"
    for role in below:
        response = _write(route, acme, acme.users[role])
        assert response.status_code == 403, (str(route), role, response.status_code, response.content[:300])


@pytest.mark.parametrize("route", COMPANY_WRITES, ids=str)
def test_the_role_design_names_may_write(route, acme):
    required = _required_role(route)
    role = Role.VIEWER if required == ANYONE else required
    response = _write(route, acme, acme.users[role])
    assert 200 <= response.status_code < 300, (str(route), role, response.status_code, response.content[:300])


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


def test_the_declarations_name_routed_things():
    """A renamed route or resource must not leave its role or body declared for nothing."""
    basenames = {r.basename for r in API_ROUTES}
    actions = {(r.basename, r.action) for r in API_ROUTES}
    assert set(WRITE_ROLES) | set(READ_ROLES) | set(CREATE_BODIES) | set(PUT_EXTRA) <= basenames
    assert set(ACTION_ROLES) | set(ACTION_BODIES) <= actions
    routes = {p.route for p in PAGES}
    assert set(PAGE_ROLES) <= routes, f"PAGE_ROLES names no page: {sorted(set(PAGE_ROLES) - routes)}"
    first_segments = {p.route.split("/", 1)[0] for p in OBJECT_PAGES}
    assert set(PAGE_MODELS) <= first_segments


@pytest.mark.parametrize("page", OBJECT_PAGES, ids=str)
def test_another_companys_object_page_is_a_404(page, acme, outsider):
    url = _page_url(page, acme)
    client = _web(outsider)
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
        response = _web(acme.users[role]).post(url)
        assert response.status_code == 403, (str(page), role, response.status_code)


@pytest.mark.parametrize("page", POST_PAGES, ids=str)
def test_the_role_design_names_may_post_the_page(page, acme):
    required = _page_role(page)
    role = Role.VIEWER if required == ANYONE else required
    response = _web(acme.users[role]).post(_page_url(page, acme))
    # An empty form is answered with the form and its errors, or a redirect; never refused.
    assert response.status_code in (200, 302), (str(page), role, response.status_code)
