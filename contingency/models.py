"""Backup liquidity, the operating forecast, contingency plans, scenarios and the drills that test them."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import UniqueNameConstraint
from financeplanner.currencies import CURRENCY_CHOICES
from financeplanner.tenancy import TenantModel, TenantQuerySet
from financeplanner.validators import validate_treasury_date

from .choices import (
    ChecklistOutcome,
    DrillStatus,
    Frequency,
    PlanStatus,
    PlanTrigger,
    PoolKind,
    ScenarioKind,
    Severity,
    ShockAction,
    ShockTarget,
    StepAction,
)

MONEY = {"max_digits": 20, "decimal_places": 2}
SHARE = {"max_digits": 7, "decimal_places": 6, "validators": [MinValueValidator(0), MaxValueValidator(1)]}


class LiquidityPool(TenantModel):
    """Backup liquidity: cash, deposits, funds, a committed backup line, receivables, shareholder support."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    kind = models.CharField(verbose_name=_("Kind"), max_length=20, choices=PoolKind.choices)
    currency = models.CharField(verbose_name=_("Currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    amount = models.DecimalField(verbose_name=_("Amount"), **MONEY, validators=[MinValueValidator(0)])
    haircut = models.DecimalField(
        verbose_name=_("Haircut"),
        **SHARE,
        default=Decimal("0"),
        help_text=_("Share lost when the pool turns into cash: 0.02 = 2%"),
    )
    days_to_cash = models.PositiveIntegerField(
        verbose_name=_("Days to cash"), default=0, validators=[MaxValueValidator(3650)]
    )
    channel = models.ForeignKey(
        "channels_app.FundingChannel",
        verbose_name=_("Channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backup_pools",
        help_text=_("For a committed backup line: if that channel is shut, the pool is gone too."),
    )

    class Meta:
        verbose_name = _("liquidity pool")
        verbose_name_plural = _("liquidity pools")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="pool_unique_name",
                violation_error_message=_("There is already a pool called %(name)s."),
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pool_amount_non_negative"),
            models.CheckConstraint(condition=Q(haircut__gte=0, haircut__lte=1), name="pool_haircut_0_1"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def value_after_haircut(self) -> Decimal:
        return (self.amount * (1 - self.haircut)).quantize(Decimal("0.01"))


class CashFlowLine(TenantModel):
    """An operating inflow (+) or outflow (−) of the forecast, once or recurring between two dates."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    category = models.CharField(verbose_name=_("Category"), max_length=100)
    amount = models.DecimalField(verbose_name=_("Amount"), **MONEY, help_text=_("Signed: + inflow, − outflow"))
    currency = models.CharField(verbose_name=_("Currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    start_date = models.DateField(verbose_name=_("Start date"), validators=[validate_treasury_date])
    end_date = models.DateField(
        verbose_name=_("End date"),
        null=True,
        blank=True,
        validators=[validate_treasury_date],
        help_text=_("Empty = open-ended"),
    )
    frequency = models.CharField(
        verbose_name=_("Frequency"), max_length=10, choices=Frequency.choices, default=Frequency.ONCE
    )
    discretionary = models.BooleanField(
        verbose_name=_("Discretionary"), default=False, help_text=_("An outflow a plan may cut")
    )

    class Meta:
        verbose_name = _("cash-flow line")
        verbose_name_plural = _("cash-flow lines")
        ordering = ["start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="cashflow_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})


class ContingencyPlan(TenantModel):
    """The approved playbook of ranked steps that raises cash when a channel is lost."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    description = models.TextField(verbose_name=_("Description"), blank=True, max_length=5000)
    status = models.CharField(
        verbose_name=_("Status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT, editable=False
    )
    trigger = models.CharField(
        verbose_name=_("Trigger"), max_length=20, choices=PlanTrigger.choices, default=PlanTrigger.ON_SHOCK
    )
    threshold = models.DecimalField(
        verbose_name=_("Threshold"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("Liquidity (cash plus open headroom) below which the plan activates"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(verbose_name=_("Approved at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="plan_unique_name",
                violation_error_message=_("There is already a plan called %(name)s."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.trigger == PlanTrigger.BELOW_THRESHOLD and self.threshold is None:
            raise ValidationError({"threshold": _("A plan triggered below a threshold needs the threshold.")})


class PlanStep(models.Model):
    """One ranked step of a plan: what it raises, how soon, at what cost and how surely."""

    plan = models.ForeignKey(
        ContingencyPlan, verbose_name=_("Contingency plan"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveIntegerField(verbose_name=_("Order"), help_text=_("Steps are used in this order"))
    action = models.CharField(verbose_name=_("Action"), max_length=20, choices=StepAction.choices)
    pool = models.ForeignKey(
        LiquidityPool, verbose_name=_("Pool"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(
        verbose_name=_("Amount"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("In the pool's currency (the reporting currency without a pool); empty: the whole pool"),
    )  # fmt: skip
    lead_time_days = models.PositiveIntegerField(
        verbose_name=_("Lead time (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text=_("Empty: the pool's days to cash"),
    )
    cost_rate = models.DecimalField(
        verbose_name=_("Cost rate"),
        **SHARE,
        default=Decimal("0"),
        help_text=_("Cost of the cash raised, as a share of it"),
    )
    success_probability = models.DecimalField(
        verbose_name=_("Success probability"),
        **SHARE,
        default=Decimal("1"),
        help_text=_("Chance the step delivers (Monte Carlo), 0–1"),
    )

    company_lookup = "plan__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "order"], name="planstep_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_action_display()}"

    def clean(self) -> None:
        """A step cannot deliver faster than its pool turns into cash, and the cash pool is opening cash already."""
        if self.pool is None:
            return
        if self.pool.kind == PoolKind.CASH:
            raise ValidationError({"pool": _("The cash pool is opening cash already; a step cannot raise it again.")})
        if self.lead_time_days is not None and self.lead_time_days < self.pool.days_to_cash:
            raise ValidationError(
                {
                    "lead_time_days": _("At least the pool's %(days)d days to cash (leave empty to use them).")
                    % {"days": self.pool.days_to_cash}
                }
            )


class Scenario(TenantModel):
    """What a drill does to the company: shocks, market tightening, an own downgrade, and MC settings."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    description = models.TextField(verbose_name=_("Description"), blank=True, max_length=5000)
    kind = models.CharField(
        verbose_name=_("Kind"), max_length=20, choices=ScenarioKind.choices, default=ScenarioKind.DETERMINISTIC
    )
    as_of = models.DateField(
        verbose_name=_("As of (day 0)"),
        null=True,
        blank=True,
        validators=[validate_treasury_date],
        help_text=_("Empty: the day the drill runs (what schedules use)"),
    )
    horizon_days = models.PositiveIntegerField(
        verbose_name=_("Horizon (days)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    paths = models.PositiveIntegerField(
        verbose_name=_("Paths"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("Monte Carlo only; a deterministic drill has one path"),
    )
    seed = models.PositiveBigIntegerField(verbose_name=_("Seed"), default=0)
    own_downgrade_notches = models.PositiveIntegerField(
        verbose_name=_("Own downgrade (notches)"), default=0, validators=[MaxValueValidator(21)]
    )
    market_stress = models.DecimalField(
        verbose_name=_("Market stress"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("0 = normal markets; higher values make every lender act more readily"),
    )
    hazard_multiplier = models.DecimalField(
        verbose_name=_("Hazard multiplier"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Scales each channel's chance of a lender action (Monte Carlo)"),
    )
    operating_volatility = models.DecimalField(
        verbose_name=_("Operating volatility"),
        **SHARE,
        default=Decimal("0"),
        help_text=_("Daily noise on operating flows, as a share (Monte Carlo)"),
    )

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="scenario_unique_name",
                violation_error_message=_("There is already a scenario called %(name)s."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Shock(models.Model):
    """One explicit lender action a scenario applies on a given day."""

    scenario = models.ForeignKey(Scenario, verbose_name=_("Scenario"), on_delete=models.CASCADE, related_name="shocks")
    target_type = models.CharField(verbose_name=_("Target type"), max_length=20, choices=ShockTarget.choices)
    target = models.CharField(
        verbose_name=_("Target"), max_length=200, blank=True, help_text=_("Channel id, channel type or counterparty id")
    )
    action = models.CharField(verbose_name=_("Action"), max_length=10, choices=ShockAction.choices)
    day = models.PositiveIntegerField(
        verbose_name=_("Day"), default=0, help_text=_("The day of the drill the shock hits (0 = day 0)")
    )
    reduce_by = models.DecimalField(
        verbose_name=_("Reduce by"),
        **SHARE,
        null=True,
        blank=True,
        help_text=_("For a reduction: the share of the limit removed, 0–1"),
    )
    freeze_days = models.PositiveIntegerField(
        verbose_name=_("Freeze (days)"), null=True, blank=True, help_text=_("For a freeze: how many days it lasts")
    )
    notches = models.PositiveIntegerField(
        verbose_name=_("Notches"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(21)],
        help_text=_("Notches of a downgrade of our rating"),
    )  # fmt: skip

    company_lookup = "scenario__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("shock")
        verbose_name_plural = _("shocks")
        ordering = ["scenario", "day", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target} on day {self.day}"


class DrillRun(TenantModel):
    """One execution of a scenario against a plan, with the exact inputs it simulated and its results."""

    scenario = models.ForeignKey(Scenario, verbose_name=_("Scenario"), on_delete=models.PROTECT, related_name="runs")
    plan = models.ForeignKey(
        ContingencyPlan,
        verbose_name=_("Contingency plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
    )
    schedule = models.ForeignKey(
        "DrillSchedule",
        verbose_name=_("Drill schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    paths = models.PositiveIntegerField(
        verbose_name=_("Paths"),
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("Paths simulated (1 for a deterministic drill)"),
    )
    seed = models.PositiveBigIntegerField(
        verbose_name=_("Seed"), help_text=_("The random seed: the same seed gives the same numbers")
    )
    status = models.CharField(
        verbose_name=_("Status"), max_length=10, choices=DrillStatus.choices, default=DrillStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        verbose_name=_("Progress"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Share of the blocks simulated, in percent"),
    )
    blocks_total = models.PositiveIntegerField(verbose_name=_("Blocks in all"), default=0)
    snapshot = models.JSONField(
        verbose_name=_("Engine inputs"), default=dict, blank=True, help_text=_("The exact engine inputs simulated")
    )
    results = models.JSONField(
        verbose_name=_("Results"), null=True, blank=True, help_text=_("What the drill found, once it has finished")
    )
    error = models.TextField(verbose_name=_("Error"), blank=True, help_text=_("Why the drill failed"))
    passed_policy = models.BooleanField(
        verbose_name=_("Met the policy"),
        null=True,
        blank=True,
        help_text=_("Whether the company's liquidity policy was met; empty: not decided"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(verbose_name=_("Started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("Finished at"), null=True, blank=True)
    schedule_tick = models.DateTimeField(
        verbose_name=_("Schedule tick"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The cron time a scheduled run was started for"),
    )
    blocks_dispatched = models.PositiveIntegerField(
        verbose_name=_("Blocks dispatched"),
        default=0,
        editable=False,
        help_text=_("Blocks handed to the workers so far (a window at a time)"),
    )

    class Meta:
        verbose_name = _("drill run")
        verbose_name_plural = _("drill runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "schedule_tick"], name="drillrun_one_per_schedule_tick")
        ]

    @property
    def as_of(self) -> date | None:
        """Day 0 of the run: the date stored in its snapshot (a scenario without one runs as of the run date)."""
        value = (self.snapshot or {}).get("scenario", {}).get("as_of")
        return date.fromisoformat(value) if value else self.scenario.as_of

    def __str__(self) -> str:
        return f"Drill #{self.pk} {self.scenario} ({self.status})"


class DrillBlock(models.Model):
    """The result of one block of Monte Carlo paths, stored so any worker can combine the run.

    ``payload`` is the block in its compact binary form (``BlockResult.to_bytes``); ``result`` the JSON of blocks
    stored by older versions. Both are emptied once the run is finished (its ``results`` hold what is reported); the
    row stays, saying which worker simulated the block."""

    run = models.ForeignKey(DrillRun, verbose_name=_("Drill run"), on_delete=models.CASCADE, related_name="blocks")
    index = models.PositiveIntegerField(
        verbose_name=_("Index"), help_text=_("The block's place in the run (its paths and seed follow from it)")
    )
    payload = models.BinaryField(verbose_name=_("Packed result"), null=True, blank=True)
    result = models.JSONField(verbose_name=_("Result"), null=True, blank=True)
    worker = models.CharField(
        verbose_name=_("Worker"), max_length=200, blank=True, help_text=_("The Celery worker that simulated the block")
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("drill block")
        verbose_name_plural = _("drill blocks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="drillblock_unique_index")]

    def __str__(self) -> str:
        return f"Drill #{self.run_id} block {self.index}"


class DrillSchedule(TenantModel):
    """A scenario and plan drilled periodically (cron), alerting when the company's policy is not met."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    scenario = models.ForeignKey(
        Scenario, verbose_name=_("Scenario"), on_delete=models.CASCADE, related_name="schedules"
    )
    plan = models.ForeignKey(
        ContingencyPlan,
        verbose_name=_("Contingency plan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    cron = models.CharField(
        verbose_name=_("When (cron)"),
        max_length=100,
        default="0 6 * * 1",
        help_text=_('minute hour day-of-month month day-of-week: "0 6 * * 1" is Mondays at 06:00'),
    )
    enabled = models.BooleanField(verbose_name=_("Enabled"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        verbose_name=_("Periodic task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
    )

    class Meta:
        verbose_name = _("drill schedule")
        verbose_name_plural = _("drill schedules")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="schedule_unique_name",
                violation_error_message=_("There is already a schedule called %(name)s."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """A live-drill task — test draw on a backup line, contacts confirmed, documents in place — and its outcome."""

    run = models.ForeignKey(DrillRun, verbose_name=_("Drill run"), on_delete=models.CASCADE, related_name="checklist")
    order = models.PositiveIntegerField(verbose_name=_("Order"))
    title = models.CharField(verbose_name=_("Title"), max_length=300)
    outcome = models.CharField(
        verbose_name=_("Outcome"), max_length=10, choices=ChecklistOutcome.choices, default=ChecklistOutcome.PENDING
    )
    done_at = models.DateTimeField(verbose_name=_("Done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    minutes_taken = models.PositiveIntegerField(
        verbose_name=_("Minutes taken"), null=True, blank=True, help_text=_("How long the task took in the live drill")
    )
    notes = models.TextField(verbose_name=_("Notes"), blank=True, max_length=5000)

    company_lookup = "run__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["run", "order"]
        constraints = [models.UniqueConstraint(fields=["run", "order"], name="checklist_unique_order")]

    def __str__(self) -> str:
        return self.title


class Alert(TenantModel):
    """An early warning: an indicator crossed its threshold. Raised once per breach, resolved on recovery."""

    indicator = models.CharField(
        verbose_name=_("Indicator"),
        max_length=50,
        help_text=_("The early-warning indicator that crossed its threshold"),
    )
    key = models.CharField(
        verbose_name=_("Subject key"),
        max_length=200,
        blank=True,
        help_text=_("What the breach is about, e.g. a channel id"),
    )
    severity = models.CharField(verbose_name=_("Severity"), max_length=10, choices=Severity.choices)
    value = models.DecimalField(
        verbose_name=_("Value"),
        max_digits=24,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("The indicator's value when the alert was raised"),
    )
    message = models.TextField(verbose_name=_("Message"))
    acknowledged_at = models.DateTimeField(verbose_name=_("Acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(
        verbose_name=_("Resolved at"), null=True, blank=True, help_text=_("Empty while the breach lasts")
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open alert per breach: a second evaluation while it lasts must not raise a duplicate.
            models.UniqueConstraint(
                fields=["company", "indicator", "key"], condition=Q(resolved_at__isnull=True), name="alert_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.message}"


class WarningThreshold(TenantModel):
    """A company's own amber and red levels for one early-warning indicator, overriding the documented default.

    Whether a higher or a lower value is worse is the indicator's nature (contingency.warnings.INDICATORS), not
    a setting. `enabled=False` silences the indicator for this company.
    """

    indicator = models.CharField(verbose_name=_("Indicator"), max_length=50)
    amber = models.DecimalField(
        verbose_name=_("Amber"),
        max_digits=24,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Level of the amber warning; empty: the documented default"),
    )
    red = models.DecimalField(
        verbose_name=_("Red"),
        max_digits=24,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Level of the red warning; empty: the documented default"),
    )
    enabled = models.BooleanField(
        verbose_name=_("Enabled"), default=True, help_text=_("Off: the indicator is silent for the company")
    )

    class Meta:
        verbose_name = _("warning threshold")
        verbose_name_plural = _("warning thresholds")
        ordering = ["indicator"]
        constraints = [
            models.UniqueConstraint(fields=["company", "indicator"], name="warningthreshold_unique_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: amber {self.amber}, red {self.red}"


class Webhook(TenantModel):
    """An outbound endpoint of the company (e.g. its ERP or chat) told about every alert, signed with its secret."""

    name = models.CharField(verbose_name=_("Name"), max_length=100)
    url = models.URLField(verbose_name=_("URL"), max_length=500)
    secret = models.CharField(
        verbose_name=_("Secret"), max_length=100, editable=False, help_text=_("HMAC-SHA256 key of the signature header")
    )
    enabled = models.BooleanField(verbose_name=_("Enabled"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="webhook_unique_name",
                violation_error_message=_("There is already one called %(name)s."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class Delivery(models.Model):
    """One alert event sent to one endpoint (webhook or group robot), and every attempt (retried with backoff)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Given up")

    event = models.CharField(verbose_name=_("Event"), max_length=30)
    status = models.CharField(
        verbose_name=_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(
        verbose_name=_("Attempts"), default=0, help_text=_("Tries so far (retried with backoff)")
    )
    attempt_log = models.JSONField(
        verbose_name=_("Attempt log"), default=list, blank=True, help_text=_("[{at, status_code, error, ms}] per try")
    )
    response_status = models.PositiveIntegerField(
        verbose_name=_("Response status"), null=True, blank=True, help_text=_("HTTP status of the last try")
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(verbose_name=_("Delivered at"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class WebhookDelivery(Delivery):
    """One alert event sent to one webhook: the exact signed body, and every attempt (retried with backoff)."""

    webhook = models.ForeignKey(Webhook, verbose_name=_("Webhook"), on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(
        Alert, verbose_name=_("Alert"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    body = models.TextField(
        verbose_name=_("Body"), help_text=_("The JSON sent, byte for byte what the signature covers")
    )

    company_lookup = "webhook__company"

    class Meta(Delivery.Meta):
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.status})"


class AlertRobot(TenantModel):
    """A DingTalk or WeCom (企业微信) group robot: the company's alerts posted as markdown into the treasury team's
    chat group, beside e-mail and signed webhooks (contingency.robots). The webhook address carries the robot's
    access token (DingTalk) or key (WeCom): it is a credential, never shown back in full."""

    class Kind(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk group robot")
        WECOM = "wecom", _("WeCom (企业微信) group robot")

    name = models.CharField(verbose_name=_("Name"), max_length=100)
    kind = models.CharField(verbose_name=_("Kind"), max_length=10, choices=Kind.choices)
    url = models.URLField(
        verbose_name=_("URL"), max_length=500, help_text=_("The robot's webhook address, with its access_token or key")
    )
    secret = models.CharField(
        verbose_name=_("Secret"), max_length=200, blank=True,
        help_text=_("DingTalk: the robot's signing secret (SEC…), if its security setting is 'sign'"),
    )  # fmt: skip
    enabled = models.BooleanField(verbose_name=_("Enabled"), default=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="alertrobot_unique_name",
                violation_error_message=_("There is already one called %(name)s."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class RobotDelivery(Delivery):
    """One alert event posted to one group robot: the message sent, and every attempt (retried with backoff)."""

    robot = models.ForeignKey(
        AlertRobot, verbose_name=_("Group robot"), on_delete=models.CASCADE, related_name="deliveries"
    )
    alert = models.ForeignKey(
        Alert,
        verbose_name=_("Alert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="robot_deliveries",
    )
    body = models.TextField(
        verbose_name=_("Body"), help_text=_("The JSON message sent (the signature, for DingTalk, goes in the query)")
    )

    company_lookup = "robot__company"

    class Meta(Delivery.Meta):
        verbose_name = _("robot delivery")
        verbose_name_plural = _("robot deliveries")

    def __str__(self) -> str:
        return f"{self.event} → {self.robot} ({self.status})"
