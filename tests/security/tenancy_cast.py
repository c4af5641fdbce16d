"""The cast of the generated tenancy and role tests (test_tenancy_api.py, test_tenancy_pages.py): company A with a
member of each role and one object of every model on demand, and clients signed in as anyone.

What is kept by hand is what the code cannot say about itself: how to build an object of each model (FACTORIES).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
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
from financeplanner.choices import Role
from financeplanner.models import ApiKey, Company, FxRate, ImportJob, Invitation, Membership
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
    # Another member of A (the members pages change or remove one).
    Membership: lambda a: MembershipFactory(
        company=a.company, role=Role.VIEWER, user=UserFactory(username="mia-member")
    ),
}


def api_as(user, **headers) -> APIClient:
    client = APIClient(**headers)
    client.force_authenticate(user)
    return client


def web_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
