"""What a treasurer sets up for drills: backup liquidity, the operating forecast, contingency plans and their steps,
scenarios and their shocks."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import UniqueNameConstraint
from financeplanner.currencies import CURRENCY_CHOICES
from financeplanner.tenancy import TenantModel, TenantQuerySet
from financeplanner.validators import validate_treasury_date

from ..choices import Frequency, PlanStatus, PlanTrigger, PoolKind, ScenarioKind, ShockAction, ShockTarget, StepAction
from .fields import MONEY, SHARE


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
    archived_at = models.DateTimeField(
        verbose_name=_("Archived at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when archived: kept for its history, no liquidity in drills until restored"),
    )

    class Meta:
        verbose_name = _("liquidity pool")
        verbose_name_plural = _("liquidity pools")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint.in_company("pool", _("There is already a pool called %(name)s.")),
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
    version = models.PositiveIntegerField(
        verbose_name=_("Version"),
        default=0,
        editable=False,
        help_text=_("The number of the plan's current version: every saved change of its fields or steps is one"),
    )

    class Meta:
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")
        ordering = ["name"]
        constraints = [UniqueNameConstraint.in_company("plan", _("There is already a plan called %(name)s."))]

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


class PlanVersion(models.Model):
    """One saved state of a contingency plan, its fields and ranked steps, numbered from 1.

    An approval covers exactly one version (four-eyes: approved by someone other than who saved it), so an auditor
    sees what was approved, by whom, and what has changed since."""

    plan = models.ForeignKey(
        ContingencyPlan, verbose_name=_("Contingency plan"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(verbose_name=_("Version"))
    content = models.JSONField(
        verbose_name=_("Content"), default=dict, help_text=_("The plan's fields and steps as saved in this version")
    )
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Saved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    saved_at = models.DateTimeField(verbose_name=_("Saved at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(verbose_name=_("Approved at"), null=True, blank=True)
    approval_comment = models.TextField(verbose_name=_("Approval comment"), blank=True, max_length=2000)

    company_lookup = "plan__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="planversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"


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
    archived_at = models.DateTimeField(
        verbose_name=_("Archived at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when archived: its drills stay readable; no new drill runs it until restored"),
    )

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["name"]
        constraints = [UniqueNameConstraint.in_company("scenario", _("There is already a scenario called %(name)s."))]

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
