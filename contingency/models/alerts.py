"""Early-warning alerts and thresholds, and where they are delivered: webhooks and group robots."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import UniqueNameConstraint
from financeplanner.tenancy import TenantModel, TenantQuerySet

from ..choices import Severity


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
