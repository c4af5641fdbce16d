"""Which models keep an audit trail (who, when, what changed), shown in the admin by django-auditlog."""

from auditlog.registry import auditlog
from django.apps import apps

AUDITED = [
    "financeplanner.Company",
    "financeplanner.Membership",
    "financeplanner.FxRate",
    "channels_app.Counterparty",
    "channels_app.CreditAssessment",
    "channels_app.FundingChannel",
    "channels_app.LenderTrigger",
    "channels_app.ChannelEvent",
    "channels_app.LedgerEntry",
    "contingency.LiquidityPool",
    "contingency.CashFlowLine",
    "contingency.ContingencyPlan",
    "contingency.PlanStep",
    "contingency.Scenario",
    "contingency.Shock",
    "contingency.DrillSchedule",
    "contingency.ChecklistItem",
]

for label in AUDITED:
    model = apps.get_model(label)
    if not auditlog.contains(model):
        auditlog.register(model)
