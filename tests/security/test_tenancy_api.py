"""Tenancy and roles for every API route, generated from the router's registry.

Nothing here is a hand-kept list of endpoints: a new viewset or action is tested the day it is routed. What is kept
by hand is what the code cannot say about itself: the role DESIGN.md's table gives each write (WRITE_ROLES,
ACTION_ROLES) and a body that does the write; a route missing from those maps fails saying what to add.

Every expectation is exact: another company's object is a 404, a write below its role is a 403. A method an
endpoint does not offer is not requested at all (found from the viewset's routes and `http_method_names`), so no
assertion ever accepts a 405.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from rest_framework import permissions

from channels_app.models import Counterparty, FundingChannel, LedgerEntry
from contingency.models import (
    ContingencyPlan,
    LiquidityPool,
    Scenario,
)
from financeplanner.api.urls import router
from financeplanner.choices import Role
from financeplanner.models import Company
from tests.factories import (
    UserFactory,
)
from tests.security.tenancy_cast import ANYONE, RANK, CompanyA, api_as

pytestmark = pytest.mark.django_db

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
    response = api_as(outsider).get(_url(route, acme))
    assert response.status_code == 200
    assert _key(obj) not in _ids(response)
    if not any(base.__name__ == "CompanyContextMixin" for base in route.viewset.__mro__):
        return  # the companies and invitations of the user, whatever company the header names
    # Naming company A in the header does not help: the outsider is not a member.
    assert api_as(outsider, HTTP_X_COMPANY=acme.company.slug).get(_url(route, acme)).status_code == 404


@pytest.mark.parametrize("route", DETAIL_ROUTES, ids=str)
def test_another_companys_object_is_a_404(route, acme, outsider):
    obj = acme[route.model]
    url = _url(route, acme, obj)
    before = _row(obj)
    # The outsider is an admin of their own company: no role check can be what stops them.
    response = getattr(api_as(outsider), route.method)(url, {}, format="json")
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
        response = api_as(acme.users[role]).get(url)
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
    # Restoring needs something archived first (the archive action's own route archives the fresh object).
    ("counterparty", "restore"): lambda a: _archived(a, Counterparty),
    ("channel", "restore"): lambda a: _archived(a, FundingChannel),
    ("pool", "restore"): lambda a: _archived(a, LiquidityPool),
    ("plan", "restore"): lambda a: _archived(a, ContingencyPlan),
    ("scenario", "restore"): lambda a: _archived(a, Scenario),
}


def _archived(a: CompanyA, model: type) -> dict:
    from channels_app import services as channel_services
    from contingency import services

    archive = {
        Counterparty: lambda obj: channel_services.counterparty_archive(counterparty=obj, by=None),
        FundingChannel: lambda obj: channel_services.channel_archive(channel=obj, by=None),
        LiquidityPool: lambda obj: services.pool_archive(pool=obj, by=None),
        ContingencyPlan: lambda obj: services.plan_archive(plan=obj, by=None),
        Scenario: lambda obj: services.scenario_archive(scenario=obj, by=None),
    }
    archive[model](a[model])
    return {}


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
        shown = api_as(a.users[Role.ADMIN]).get(_url(route, a, obj))
        assert shown.status_code == 200
        return {**shown.json(), **PUT_EXTRA.get(route.basename, lambda obj: {})(obj)}
    if route.action in STANDARD_ACTIONS:
        return {}
    return ACTION_BODIES.get((route.basename, route.action), lambda a: {})(a)


def _write(route: ApiRoute, a: CompanyA, user):
    obj = a[route.model] if route.detail else None
    body = _body(route, a, obj)
    return getattr(api_as(user), route.method)(_url(route, a, obj), body, format="json")


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


def test_the_api_declarations_name_routed_things():
    """A renamed route or resource must not leave its role or body declared for nothing."""
    basenames = {r.basename for r in API_ROUTES}
    actions = {(r.basename, r.action) for r in API_ROUTES}
    assert set(WRITE_ROLES) | set(READ_ROLES) | set(CREATE_BODIES) | set(PUT_EXTRA) <= basenames
    assert set(ACTION_ROLES) | set(ACTION_BODIES) <= actions
