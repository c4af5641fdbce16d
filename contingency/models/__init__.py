"""Backup liquidity, the operating forecast, contingency plans, scenarios and the drills that test them.

A package since models.py outgrew ~400 lines (STYLE.md): `planning` holds what a treasurer sets up for drills, `runs`
what runs and raises (drills, schedules, alerts and their deliveries); every model is imported from here.
"""

from .planning import CashFlowLine, ContingencyPlan, LiquidityPool, PlanStep, PlanVersion, Scenario, Shock
from .runs import (
    Alert,
    AlertRobot,
    ChecklistItem,
    Delivery,
    DrillBlock,
    DrillRun,
    DrillSchedule,
    RobotDelivery,
    WarningThreshold,
    Webhook,
    WebhookDelivery,
)

__all__ = [
    "LiquidityPool",
    "CashFlowLine",
    "ContingencyPlan",
    "PlanStep",
    "PlanVersion",
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
