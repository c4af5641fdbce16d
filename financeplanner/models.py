"""Tenants, memberships and FX rates: the cross-cutting core every other app stands on."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ImportJobStatus, Role
from .currencies import CURRENCY_CHOICES
from .tenancy import TenantModel, TenantQuerySet
from .validators import validate_treasury_date

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Use lower-case letters, digits and hyphens."))


class Company(models.Model):
    """A tenant: the corporate group whose treasury uses the product, with its liquidity policy."""

    slug = models.SlugField(verbose_name=_("Short name"), max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(verbose_name=_("Name"), max_length=200)
    reporting_currency = models.CharField(
        verbose_name=_("Reporting currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY"
    )
    survival_horizon_days = models.PositiveIntegerField(
        verbose_name=_("Survival horizon (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    min_cash_buffer = models.DecimalField(
        verbose_name=_("Minimum cash buffer"),
        max_digits=20,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    target_survival_probability = models.DecimalField(
        verbose_name=_("Target survival probability"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.99"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    credit_uncommitted_under_stress = models.BooleanField(
        verbose_name=_("Count uncommitted lines under market stress"),
        default=False,
        help_text=_(
            "Count uncommitted lines (which the lender can cancel at will) as liquidity in deterministic drills under "
            "market-wide stress. Off by default: the Basel Committee's stress convention gives them no credit."
        ),
    )
    domestic_notch_offset = models.PositiveSmallIntegerField(
        verbose_name=_("Domestic notch offset"),
        default=6,
        validators=[MaxValueValidator(12)],
        help_text=_(
            "Notches a Chinese agency grade sits above the master (global) scale: AA domestic = BBB global at 6. "
            "Default from BIS Working Paper 648 (6–7 notches on jointly rated firms)."
        ),
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(min_cash_buffer__gte=0), name="company_buffer_non_negative"),
            models.CheckConstraint(
                condition=Q(target_survival_probability__gte=0, target_survival_probability__lte=1),
                name="company_target_probability_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's seat in a company's treasury team, with the role that says what they may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("User"), on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(
        Company, verbose_name=_("Company"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        verbose_name=_("Role"),
        max_length=20,
        choices=Role.choices,
        default=Role.VIEWER,
        help_text=_("What the member may do: viewer, analyst, treasurer or admin, each with what those before may"),
    )
    notify_on_failed_drill = models.BooleanField(
        verbose_name=_("Notify me when a drill fails"),
        default=False,
        help_text=_("E-mail the member when a drill fails or misses the policy"),
    )
    alert_emails = models.BooleanField(
        verbose_name=_("Alert e-mails"),
        null=True,
        blank=True,
        help_text=_(
            "Whether the member receives early-warning alerts by e-mail, as they chose; empty: by their role "
            "(admins and treasurers do)"
        ),
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["company__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.role})"

    def has_role(self, role: str) -> bool:
        return Role.rank(self.role) >= Role.rank(role)


class Invitation(models.Model):
    """An admin's offer of a seat in the company's treasury team; the user joins only by accepting it.

    Nobody becomes a member of a company without saying yes: adding a member is inviting them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    company = models.ForeignKey(
        Company, verbose_name=_("Company"), on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("User"), on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(
        verbose_name=_("Role"),
        max_length=20,
        choices=Role.choices,
        default=Role.VIEWER,
        help_text=_("The role the invitee gets on accepting"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        verbose_name=_("Status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
        help_text=_("Pending until the invitee accepts or declines"),
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"), auto_now_add=True)
    responded_at = models.DateTimeField(verbose_name=_("Answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "user"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_user_company",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.company} as {self.role} ({self.status})"


class FxRate(TenantModel):
    """Units of the company's reporting currency per one unit of `currency`, as of a date."""

    currency = models.CharField(verbose_name=_("Currency"), max_length=3, choices=CURRENCY_CHOICES)
    as_of = models.DateField(
        verbose_name=_("As of"),
        validators=[validate_treasury_date],
        help_text=_("The day the rate holds from (drills use the latest on or before their day 0)"),
    )
    rate = models.DecimalField(
        verbose_name=_("Rate"),
        max_digits=20,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text=_("Units of the reporting currency per one unit of the currency"),
    )

    class Meta:
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        ordering = ["currency", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["company", "currency", "as_of"], name="fxrate_unique_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fxrate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.as_of})"


class ApiKey(TenantModel):
    """A read-only credential an ERP uses to pull the company's exports; revocable, shown once, stored hashed.

    The key is `fp_<prefix>.<secret>`: the prefix finds the row, the secret is only kept as its SHA-256.
    """

    name = models.CharField(
        verbose_name=_("Name"), max_length=100, help_text=_("What uses the key, e.g. 'SAP nightly pull'")
    )
    prefix = models.CharField(
        verbose_name=_("Key prefix"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("The key's public part, which finds it (fp_<prefix>.<secret>)"),
    )
    secret_hash = models.CharField(
        verbose_name=_("Secret (SHA-256)"),
        max_length=64,
        editable=False,
        help_text=_("SHA-256 of the secret part; the secret itself is shown once and never stored"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(verbose_name=_("Last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(
        verbose_name=_("Revoked at"), null=True, blank=True, editable=False, help_text=_("Empty while the key works")
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} (fp_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiKeyUse(models.Model):
    """One request made with an API key: which key, when, what it pulled and from where (the integration's log)."""

    key = models.ForeignKey(ApiKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="uses")
    used_at = models.DateTimeField(verbose_name=_("Used at"), auto_now_add=True, db_index=True)
    method = models.CharField(verbose_name=_("HTTP method"), max_length=10, default="GET")
    path = models.CharField(verbose_name=_("Path"), max_length=500, help_text=_("What the request pulled"))
    ip = models.GenericIPAddressField(verbose_name=_("IP address"), null=True, blank=True)

    company_lookup = "key__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name_plural = _("API key uses")
        ordering = ["-used_at", "-id"]
        verbose_name = _("API key use")

    def __str__(self) -> str:
        return f"{self.key} {self.path} at {self.used_at}"


class Tombstone(models.Model):
    """The record that an exported row was deleted, so an ERP pulling `updated_since` can delete its copy too.

    Written by a post_delete receiver (financeplanner.exports) — derived data only. No foreign-key constraint on
    the company: deleting a company deletes its rows, and their tombstones must not block that.
    """

    company = models.ForeignKey(
        Company,
        verbose_name=_("Company"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    model = models.CharField(verbose_name=_("Model"), max_length=100, help_text=_("app_label.model of the deleted row"))
    object_id = models.BigIntegerField(verbose_name=_("Object id"), help_text=_("The id the deleted row had"))
    deleted_at = models.DateTimeField(verbose_name=_("Deleted at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    company_lookup = "company"

    class Meta:
        verbose_name = _("deletion record")
        verbose_name_plural = _("deletion records")
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["company", "model", "deleted_at"], name="tombstone_company_model_time")]

    def __str__(self) -> str:
        return f"{self.model} #{self.object_id} deleted {self.deleted_at}"


class IdempotencyKey(TenantModel):
    """A client's `Idempotency-Key` on a POST with an effect, and the response it got: a retry gets the same."""

    key = models.CharField(
        verbose_name=_("Idempotency key"), max_length=255, help_text=_("The client's Idempotency-Key header")
    )
    fingerprint = models.CharField(
        verbose_name=_("Fingerprint"), max_length=64, help_text=_("SHA-256 of the method, path and request body")
    )
    status_code = models.PositiveSmallIntegerField(verbose_name=_("Status code"), null=True, blank=True)
    response = models.JSONField(
        verbose_name=_("Response"), null=True, blank=True, help_text=_("The answer given, given again to a retry")
    )

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="idempotencykey_unique_company_key")]

    def __str__(self) -> str:
        return self.key


class ImportJob(TenantModel):
    """A spreadsheet import parsed by a worker instead of the web process: a big file's dry run or commit.

    The uploaded bytes are kept in the row (at most importing.MAX_BYTES) until the job has finished with them, so
    any worker can read them without a shared disk; a dry run that passed keeps them until its commit is started.
    `attempt` numbers the claims: only the latest claim may finish the job, so a redelivered task cannot commit
    the rows twice.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    dataset = models.CharField(
        verbose_name=_("Dataset"),
        max_length=20,
        help_text=_("What the file holds: counterparties, channels, cash-flows"),
    )
    filename = models.CharField(verbose_name=_("File name"), max_length=255)
    file = models.BinaryField(
        verbose_name=_("File"),
        editable=False,
        help_text=_("The uploaded file; emptied once the job no longer needs it"),
    )
    dry_run = models.BooleanField(
        verbose_name=_("Dry run"), default=True, help_text=_("Only check every row; write nothing")
    )
    status = models.CharField(
        verbose_name=_("Status"), max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        verbose_name=_("Progress"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Share of the rows checked, in percent"),
    )
    report = models.JSONField(
        verbose_name=_("Report"), null=True, blank=True, help_text=_("The import report once the job has finished")
    )
    error = models.TextField(
        verbose_name=_("Error"), blank=True, help_text=_("Why nothing was imported, in one sentence")
    )
    attempt = models.PositiveSmallIntegerField(
        verbose_name=_("Attempt"),
        default=0,
        editable=False,
        help_text=_("Numbers the claims: only the latest claim may finish the job"),
    )
    started_at = models.DateTimeField(verbose_name=_("Started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("Finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="importjob_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} import of {self.filename} ({self.status})"
