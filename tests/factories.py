"""factory_boy factories for the test cast and its data."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from channels_app.models import Counterparty, CreditAssessment, FundingChannel
from contingency.models import (
    Alert,
    AlertRobot,
    CashFlowLine,
    ContingencyPlan,
    LiquidityPool,
    PlanStep,
    Scenario,
    WarningThreshold,
    Webhook,
)
from financeplanner.models import Company, FxRate, ImportJob, Invitation, Membership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-123")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    slug = factory.Sequence(lambda n: f"company-{n}")
    name = factory.Sequence(lambda n: f"Company {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = "analyst"


class CounterpartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counterparty

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Lender {n}")
    kind = "bank"
    country = "CN"


class CreditAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditAssessment

    company = factory.SubFactory(CompanyFactory)
    counterparty = factory.SubFactory(CounterpartyFactory, company=factory.SelfAttribute("..company"))
    as_of = date(2026, 1, 1)
    source = "rating_agency"
    rating = "BBB"
    pd_1y = Decimal("0.0018")


class FundingChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingChannel

    company = factory.SubFactory(CompanyFactory)
    counterparty = factory.SubFactory(CounterpartyFactory, company=factory.SelfAttribute("..company"))
    name = factory.Sequence(lambda n: f"Line {n}")
    channel_type = "revolving_credit"
    currency = "CNY"
    limit = Decimal("1000000.00")
    annual_rate = Decimal("0.045")
    start_date = date(2026, 1, 1)
    maturity_date = date(2028, 1, 1)
    repayment_profile = "revolving"


class LiquidityPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiquidityPool

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Pool {n}")
    kind = "cash"
    amount = Decimal("1000000.00")


class CashFlowLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashFlowLine

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Flow {n}")
    category = "operations"
    amount = Decimal("-100000.00")
    start_date = date(2026, 1, 1)
    frequency = "daily"


class ContingencyPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContingencyPlan

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")


class PlanStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanStep

    plan = factory.SubFactory(ContingencyPlanFactory)
    order = factory.Sequence(lambda n: n + 1)
    action = "other"
    amount = Decimal("100000.00")


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Scenario {n}")
    as_of = date(2026, 1, 1)
    horizon_days = 60


class FxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FxRate

    company = factory.SubFactory(CompanyFactory)
    currency = "USD"
    as_of = date(2026, 1, 1)
    rate = Decimal("7.10000000")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    company = factory.SubFactory(CompanyFactory)
    user = factory.SubFactory(UserFactory)
    role = "viewer"


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    company = factory.SubFactory(CompanyFactory)
    indicator = "headroom_ratio"
    key = factory.Sequence(lambda n: f"key-{n}")
    severity = "amber"
    value = Decimal("0.2")
    # As the indicator writes it: the English message, and its template and values for the reader's language.
    message = "Open headroom is CNY 200,000.00, 20.0% of the CNY 1,000,000.00 limit of open lines."
    message_template = "Open headroom is %(headroom)s, %(share)s of the %(limit)s limit of open lines."
    message_params = {"headroom": "CNY 200,000.00", "share": "20.0%", "limit": "CNY 1,000,000.00"}


class WarningThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WarningThreshold

    company = factory.SubFactory(CompanyFactory)
    indicator = "headroom_ratio"
    amber = Decimal("0.30")
    red = Decimal("0.15")


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"ERP {n}")
    url = "https://erp.example.com/hooks/alerts"
    secret = factory.Sequence(lambda n: f"secret-{n}")


class AlertRobotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertRobot

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Treasury group {n}")
    kind = "wecom"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-key"


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    company = factory.SubFactory(CompanyFactory)
    dataset = "counterparties"
    filename = "counterparties.csv"
    file = b"name,kind,country\nBank,bank,CN\n"
