from django.db import models
from django.utils.translation import gettext_lazy as _


class PoolKind(models.TextChoices):
    CASH = "cash", _("Cash")
    DEPOSIT = "deposit", _("Deposit")
    MONEY_MARKET_FUND = "money_market_fund", _("Money-market fund")
    BACKUP_LINE = "backup_line", _("Committed backup line")
    RECEIVABLES = "receivables", _("Receivables")
    SHAREHOLDER_SUPPORT = "shareholder_support", _("Shareholder support")
    OTHER = "other", _("Other")


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


class PlanTrigger(models.TextChoices):
    ON_SHOCK = "on_shock", _("On a shock")
    BELOW_THRESHOLD = "below_threshold", _("Liquidity below a threshold")


class StepAction(models.TextChoices):
    DRAW_BACKUP_LINE = "draw_backup_line", _("Draw a backup line")
    LIQUIDATE_POOL = "liquidate_pool", _("Liquidate a pool")
    FACTOR_RECEIVABLES = "factor_receivables", _("Finance receivables")
    CUT_DISCRETIONARY = "cut_discretionary", _("Cut discretionary spending")
    SHAREHOLDER_SUPPORT = "shareholder_support", _("Call on shareholder support")
    OTHER = "other", _("Other")


class ScenarioKind(models.TextChoices):
    DETERMINISTIC = "deterministic", _("Deterministic")
    MONTE_CARLO = "monte_carlo", _("Monte Carlo")


class ShockTarget(models.TextChoices):
    CHANNEL = "channel", _("One channel")
    CHANNEL_TYPE = "channel_type", _("A channel type")
    COUNTERPARTY = "counterparty", _("A counterparty")
    ALL_PLATFORMS = "all_platforms", _("All online platforms")
    ALL = "all", _("All channels")
    COMPANY = "company", _("Our company (a downgrade)")


class ShockAction(models.TextChoices):
    CLOSE = "close", _("Close")
    FREEZE = "freeze", _("Freeze")
    REDUCE = "reduce", _("Reduce")
    CALL = "call", _("Call")
    DOWNGRADE = "downgrade", _("Downgrade our rating")


class DrillStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ChecklistOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Severity(models.TextChoices):
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")
