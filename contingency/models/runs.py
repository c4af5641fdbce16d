"""What runs and raises: drill runs, their stored blocks, schedules and live checklists; early-warning alerts and
thresholds, and where alerts are delivered (webhooks, group robots)."""

from datetime import date
from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import UniqueNameConstraint
from financeplanner.tenancy import TenantModel, TenantQuerySet
from financeplanner.translatable import render

from ..choices import ChecklistOutcome, DrillStatus, Severity
from .planning import ContingencyPlan, Scenario


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
    plan_version = models.PositiveIntegerField(
        verbose_name=_("Plan version"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The version of the plan the drill ran, recorded when it started"),
    )
    plan_approved = models.BooleanField(
        verbose_name=_("Plan approved"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Whether that version of the plan was approved when the drill started; empty: no plan"),
    )
    request_key = models.CharField(
        verbose_name=_("Request key"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Names one press of a 'run now' button: pressed twice, it starts one drill"),
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


def default_schedule_timezone() -> str:
    """Schedules made before they had a time zone ran in beat's (CELERY_TIMEZONE); new ones start from it."""
    return settings.CELERY_TIMEZONE


@cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names this machine knows (read once: the lookup walks the zone database on disk)."""
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(
            _("Unknown time zone %(zone)s: use an IANA name such as Asia/Shanghai."), params={"zone": value}
        )


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
    timezone = models.CharField(
        verbose_name=_("Time zone"),
        max_length=64,
        default=default_schedule_timezone,
        validators=[validate_timezone],
        help_text=_("The cron's times are in this time zone"),
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
        constraints = [UniqueNameConstraint.in_company("schedule", _("There is already a schedule called %(name)s."))]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """A live-drill task — test draw on a backup line, contacts confirmed, documents in place — and its outcome."""

    run = models.ForeignKey(DrillRun, verbose_name=_("Drill run"), on_delete=models.CASCADE, related_name="checklist")
    order = models.PositiveIntegerField(verbose_name=_("Order"))
    title = models.CharField(verbose_name=_("Title"), max_length=300)
    # The title as its English template and values, shown in the reader's language (financeplanner.translatable); empty
    # for items made before they were kept, which show `title`.
    title_template = models.CharField(verbose_name=_("Title template"), max_length=300, blank=True, editable=False)
    title_params = models.JSONField(verbose_name=_("Title values"), default=dict, blank=True, editable=False)
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

    @property
    def display_title(self) -> str:
        """The task in the reader's (the active) language."""
        return render(self.title_template, self.title_params) if self.title_template else self.title


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
    # The message again as its English template and values, so each reader sees it in their own language
    # (financeplanner.translatable); empty for alerts raised before they were kept, which show `message`.
    message_template = models.TextField(
        verbose_name=_("Message template"),
        blank=True,
        editable=False,
        help_text=_("The message as an English template with its placeholders"),
    )
    message_params = models.JSONField(
        verbose_name=_("Message values"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("What fills the template"),
    )
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

    @property
    def display_message(self) -> str:
        """The message in the reader's (the active) language."""
        return render(self.message_template, self.message_params) if self.message_template else self.message


class WarningThreshold(TenantModel):
    """A company's own amber and red levels for one early-warning indicator, overriding the documented default.

    Whether a higher or a lower value is worse is the indicator's nature (contingency.early_warnings.indicators.INDICATORS), not
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
        constraints = [UniqueNameConstraint.in_company("webhook", _("There is already one called %(name)s."))]

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
        constraints = [UniqueNameConstraint.in_company("alertrobot", _("There is already one called %(name)s."))]

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
