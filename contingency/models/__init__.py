"""Backup liquidity, the operating forecast, contingency plans, scenarios and the drills that test them.

One module per feature (STYLE.md: a models/ package once models.py outgrows ~400 lines); every model is importable
from `contingency.models` as before.
"""

from .alerts import Alert, AlertRobot, Delivery, RobotDelivery, WarningThreshold, Webhook, WebhookDelivery
from .drills import ChecklistItem, DrillBlock, DrillRun, DrillSchedule
from .plans import ContingencyPlan, PlanStep, Scenario, Shock
from .pools import CashFlowLine, LiquidityPool

__all__ = [
    "LiquidityPool",
    "CashFlowLine",
    "ContingencyPlan",
    "PlanStep",
    "Scenario",
    "Shock",
    "DrillRun",
    "DrillBlock",
    "DrillSchedule",
    "ChecklistItem",
    "Alert",
    "WarningThreshold",
    "Webhook",
    "Delivery",
    "WebhookDelivery",
    "AlertRobot",
    "RobotDelivery",
]
