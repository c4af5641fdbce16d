"""Funding channels: who lends to us, how much, on what terms, and the history of every cut."""

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

from .choices import (
    OPEN_STATUSES,
    Agency,
    AssessmentSource,
    ChannelStatus,
    ChannelType,
    CounterpartyKind,
    DayCountChoice,
    EventKind,
    LedgerKind,
    LenderAction,
    Outlook,
    PaymentFrequency,
    RateType,
    RatingScale,
    RepaymentProfile,
    TriggerKind,
)

MONEY = {"max_digits": 20, "decimal_places": 2}
SHARE = {"max_digits": 7, "decimal_places": 6, "validators": [MinValueValidator(0), MaxValueValidator(1)]}


def validate_country_code(value: str) -> None:
    """An ISO 3166 alpha-2 code: two letters (either case; forms and the API store it upper-case)."""
    if value and not (len(value) == 2 and value.isalpha()):
        raise ValidationError(_("Use the two-letter ISO 3166 country code, e.g. CN."), code="invalid")


def rating_choices() -> list[tuple[str, str]]:
    from .ratings import RATING_CHOICES

    return RATING_CHOICES


class Counterparty(TenantModel):
    """A lender or partner: bank, online credit platform, SCF provider, bond investors, shareholder, lessor."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    kind = models.CharField(verbose_name=_("Kind"), max_length=20, choices=CounterpartyKind.choices)
    country = models.CharField(
        verbose_name=_("Country"),
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text=_("Two-letter ISO 3166 code, e.g. CN"),
    )
    notes = models.TextField(verbose_name=_("Notes"), blank=True, max_length=5000)
    archived_at = models.DateTimeField(
        verbose_name=_("Archived at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when archived: kept for its history, left out of the lists until restored"),
    )

    class Meta:
        verbose_name = _("counterparty")
        ordering = ["name"]
        verbose_name_plural = _("counterparties")
        constraints = [
            UniqueNameConstraint.in_company("counterparty", _("There is already a counterparty called %(name)s."))
        ]

    def __str__(self) -> str:
        return self.name


class CreditAssessment(TenantModel):
    """A dated view of a counterparty's — or, with no counterparty, our own company's — credit standing.

    The latest by `as_of` is the current one; history is kept.
    """

    counterparty = models.ForeignKey(
        Counterparty,
        verbose_name=_("Counterparty"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    as_of = models.DateField(verbose_name=_("As of"), validators=[validate_treasury_date])
    source = models.CharField(verbose_name=_("Source"), max_length=20, choices=AssessmentSource.choices)
    agency = models.CharField(verbose_name=_("Agency"), max_length=10, choices=Agency.choices, default=Agency.MASTER)
    agency_grade = models.CharField(
        verbose_name=_("Agency grade"), max_length=10, blank=True, help_text=_("The grade on the agency's own scale")
    )
    rating = models.CharField(
        verbose_name=_("Rating"), max_length=5, choices=rating_choices, help_text=_("On the master scale")
    )
    score = models.DecimalField(verbose_name=_("Score"), max_digits=12, decimal_places=4, null=True, blank=True)
    pd_1y = models.DecimalField(verbose_name=_("One-year PD"), **SHARE, help_text=_("One-year probability of default"))
    outlook = models.CharField(
        verbose_name=_("Outlook"), max_length=12, choices=Outlook.choices, default=Outlook.STABLE
    )
    inputs = models.JSONField(
        verbose_name=_("Model inputs"), default=dict, blank=True, help_text=_("Model inputs, e.g. the Altman ratios")
    )
    note = models.TextField(verbose_name=_("Note"), blank=True, max_length=5000)

    class Meta:
        verbose_name = _("credit assessment")
        verbose_name_plural = _("credit assessments")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["company", "counterparty", "-as_of"])]
        constraints = [models.CheckConstraint(condition=Q(pd_1y__gte=0, pd_1y__lte=1), name="assessment_pd_0_1")]

    def __str__(self) -> str:
        subject = self.counterparty or _("own company")
        return f"{subject}: {self.rating} ({self.as_of})"


class FundingChannelQuerySet(TenantQuerySet):
    def with_counterparty(self) -> "FundingChannelQuerySet":
        return self.select_related("counterparty")


class FundingChannel(TenantModel):
    """A facility through which the company borrows: its limit, terms, status and what is drawn.

    `status`, `limit` and `drawn` change only through services: lender events and ledger entries.
    """

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    counterparty = models.ForeignKey(
        Counterparty, verbose_name=_("Counterparty"), on_delete=models.PROTECT, related_name="channels"
    )
    channel_type = models.CharField(verbose_name=_("Channel type"), max_length=30, choices=ChannelType.choices)
    currency = models.CharField(verbose_name=_("Currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    limit = models.DecimalField(verbose_name=_("Limit"), **MONEY)
    drawn = models.DecimalField(
        verbose_name=_("Drawn"),
        **MONEY,
        default=Decimal("0"),
        editable=False,
        help_text=_("What is borrowed now; changes only through the ledger"),
    )
    committed = models.BooleanField(
        verbose_name=_("Committed"), default=False, help_text=_("The lender cannot cancel the line at will")
    )
    status = models.CharField(
        verbose_name=_("Status"),
        max_length=10,
        choices=ChannelStatus.choices,
        default=ChannelStatus.ACTIVE,
        editable=False,
        help_text=_("Changes only through recorded lender actions"),
    )
    rate_type = models.CharField(
        verbose_name=_("Rate type"), max_length=10, choices=RateType.choices, default=RateType.FIXED
    )
    base_rate = models.DecimalField(
        verbose_name=_("Base rate"),
        max_digits=9,
        decimal_places=6,
        default=Decimal("0"),
        help_text=_("For a floating rate: the base, as a fraction"),
    )
    spread = models.DecimalField(
        verbose_name=_("Spread"),
        max_digits=9,
        decimal_places=6,
        default=Decimal("0"),
        help_text=_("For a floating rate: the spread over the base, as a fraction"),
    )
    annual_rate = models.DecimalField(
        verbose_name=_("Annual rate"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(0)],
        help_text=_("All-in annual rate as a fraction: 0.045 = 4.5%"),
    )
    fee_rate = models.DecimalField(
        verbose_name=_("Fee rate"),
        max_digits=9,
        decimal_places=6,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Commitment or facility fee per year, as a fraction"),
    )
    day_count = models.CharField(
        verbose_name=_("Day count"), max_length=10, choices=DayCountChoice.choices, default=DayCountChoice.ACT_365F
    )
    start_date = models.DateField(verbose_name=_("Start date"), validators=[validate_treasury_date])
    maturity_date = models.DateField(verbose_name=_("Maturity date"), validators=[validate_treasury_date])
    repayment_profile = models.CharField(
        verbose_name=_("Repayment profile"),
        max_length=10,
        choices=RepaymentProfile.choices,
        default=RepaymentProfile.BULLET,
    )
    payment_frequency = models.CharField(
        verbose_name=_("Payment frequency"),
        max_length=10,
        choices=PaymentFrequency.choices,
        default=PaymentFrequency.MONTHLY,
    )
    rolls_over = models.BooleanField(
        verbose_name=_("Rolls over"), default=False, help_text=_("Maturing draws are refinanced while the line is open")
    )
    notice_days = models.PositiveIntegerField(
        verbose_name=_("Notice period (days)"),
        default=0,
        validators=[MaxValueValidator(3650)],
        help_text=_("Days the lender gives before cut or called amounts fall due"),
    )
    action_probability = models.DecimalField(
        verbose_name=_("Lender action probability"),
        **SHARE,
        null=True,
        blank=True,
        help_text=_("Chance of a lender action within a year; empty = from PD and type"),
    )
    excess_due = models.DecimalField(
        verbose_name=_("Excess due"),
        **MONEY,
        default=Decimal("0"),
        editable=False,
        help_text=_("What a reduction or call left above the limit, due after the notice period"),
    )
    excess_due_date = models.DateField(
        verbose_name=_("Excess due on"), null=True, blank=True, editable=False, help_text=_("When the excess falls due")
    )
    notes = models.TextField(verbose_name=_("Notes"), blank=True, max_length=5000)
    archived_at = models.DateTimeField(
        verbose_name=_("Archived at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when archived: kept for its history, no liquidity in drills or on the dashboard until restored"
        ),
    )

    objects = FundingChannelQuerySet.as_manager()

    class Meta:
        verbose_name = _("funding channel")
        verbose_name_plural = _("funding channels")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint.in_company("channel", _("There is already a channel called %(name)s.")),
            models.CheckConstraint(condition=Q(limit__gte=0), name="channel_limit_non_negative"),
            models.CheckConstraint(condition=Q(drawn__gte=0), name="channel_drawn_non_negative"),
            models.CheckConstraint(condition=Q(maturity_date__gt=F("start_date")), name="channel_maturity_after_start"),
            # On an open line what is drawn never exceeds the limit; a reduction below the drawn amount
            # leaves the excess due after the notice period (excess_due), and nothing more may be drawn.
            models.CheckConstraint(
                condition=~Q(status__in=OPEN_STATUSES) | Q(drawn__lte=F("limit") + F("excess_due")),
                name="channel_drawn_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def headroom(self) -> Decimal:
        # An archived line is no liquidity (conservative): nothing may be drawn on it until it is restored.
        if self.status not in OPEN_STATUSES or self.archived_at is not None:
            return Decimal("0.00")
        return max(self.limit - self.drawn, Decimal("0.00"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def clean(self) -> None:
        if self.start_date and self.maturity_date and self.maturity_date <= self.start_date:
            raise ValidationError({"maturity_date": _("The maturity date must be after the start date.")})
        if self.limit is not None and self.limit < 0:
            raise ValidationError({"limit": _("The limit cannot be negative.")})


class LenderTrigger(models.Model):
    """A lender's risk-control rule on a channel, e.g. close when our rating falls below BB."""

    channel = models.ForeignKey(
        FundingChannel, verbose_name=_("Channel"), on_delete=models.CASCADE, related_name="triggers"
    )
    kind = models.CharField(verbose_name=_("Kind"), max_length=20, choices=TriggerKind.choices)
    rating = models.CharField(verbose_name=_("Rating"), max_length=5, blank=True, choices=rating_choices)
    scale = models.CharField(
        verbose_name=_("Rating scale"), max_length=10, choices=RatingScale.choices, default=RatingScale.MASTER,
        help_text=_("The scale the rating is read on (domestic grades map to the master scale with the company's "
                    "notch offset)"),
    )  # fmt: skip
    level = models.DecimalField(
        verbose_name=_("Utilisation level"),
        **SHARE,
        null=True,
        blank=True,
        help_text=_("Utilisation level, or share of forecast inflows, 0–1"),
    )
    days = models.PositiveIntegerField(
        verbose_name=_("Days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Consecutive days (utilisation) or the window of inflows looked at"),
    )  # fmt: skip
    count = models.PositiveIntegerField(
        verbose_name=_("Draws"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text=_("Draws that fire a borrowing-frequency trigger"),
    )  # fmt: skip
    window_days = models.PositiveIntegerField(
        verbose_name=_("Window (days)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("The window the draws are counted in"),
    )  # fmt: skip
    grace_days = models.PositiveIntegerField(
        verbose_name=_("Grace days"), null=True, blank=True, validators=[MaxValueValidator(3650)],
        help_text=_("Days a missed payment may last before the clause fires"),
    )  # fmt: skip
    action = models.CharField(
        verbose_name=_("Action"), max_length=10, choices=LenderAction.choices, default=LenderAction.CLOSE
    )
    reduce_by = models.DecimalField(
        verbose_name=_("Reduce by"),
        **SHARE,
        null=True,
        blank=True,
        help_text=_("For a reduction: the share of the limit it removes, 0–1"),
    )
    freeze_days = models.PositiveIntegerField(
        verbose_name=_("Freeze (days)"), null=True, blank=True, help_text=_("For a freeze: how many days it lasts")
    )

    company_lookup = "channel__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("lender trigger")
        verbose_name_plural = _("lender triggers")
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.get_action_display()}"

    def clean(self) -> None:
        """Every parameter the trigger's kind and action need, named: a drill can simulate what is recorded."""
        errors = {}
        if self.kind == TriggerKind.OWN_RATING_BELOW and not self.rating:
            errors["rating"] = _("A rating trigger needs the rating it watches.")
        if self.kind in (TriggerKind.UTILISATION_ABOVE, TriggerKind.UTILISATION_BELOW) and self.level is None:
            errors["level"] = _("A utilisation trigger needs the utilisation level (0–1).")
        if self.kind == TriggerKind.BORROWING_FREQUENCY:
            if not self.count:
                errors["count"] = _("A borrowing-frequency trigger needs the number of draws that fire it.")
            if not self.window_days:
                errors["window_days"] = _("A borrowing-frequency trigger needs the window the draws are counted in.")
        if self.kind == TriggerKind.INFLOW_DROP:
            if self.level is None:
                errors["level"] = _("An inflow trigger needs the share of forecast inflows (0–1) below which it fires.")
            if not self.days:
                errors["days"] = _("An inflow trigger needs the window of days its inflows are summed over.")
        if self.action == LenderAction.REDUCE and self.reduce_by is None:
            errors["reduce_by"] = _("A reduction needs the share of the limit it removes (0–1).")
        if self.action == LenderAction.FREEZE and not self.freeze_days:
            errors["freeze_days"] = _("A freeze needs its length in days (at least 1).")
        if errors:
            raise ValidationError(errors)


class ChannelEvent(TenantModel):
    """A recorded lender action — the only way a channel's status or limit changes."""

    channel = models.ForeignKey(
        FundingChannel, verbose_name=_("Channel"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(verbose_name=_("Kind"), max_length=10, choices=EventKind.choices)
    date = models.DateField(verbose_name=_("Date"), validators=[validate_treasury_date])
    old_status = models.CharField(
        verbose_name=_("Old status"),
        max_length=10,
        choices=ChannelStatus.choices,
        help_text=_("The channel's status before the action"),
    )
    new_status = models.CharField(
        verbose_name=_("New status"),
        max_length=10,
        choices=ChannelStatus.choices,
        help_text=_("The channel's status after the action"),
    )
    old_limit = models.DecimalField(verbose_name=_("Old limit"), **MONEY, help_text=_("The limit before the action"))
    new_limit = models.DecimalField(
        verbose_name=_("New limit"),
        **MONEY,
        validators=[MinValueValidator(0)],
        help_text=_("The limit after the action"),
    )
    freeze_days = models.PositiveIntegerField(verbose_name=_("Freeze (days)"), null=True, blank=True)
    reason = models.TextField(
        verbose_name=_("Reason"), max_length=5000, help_text=_("Why the lender acted, as recorded")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lender action")
        verbose_name_plural = _("lender actions")
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(new_limit__gte=0), name="event_new_limit_non_negative")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.get_kind_display()} · {self.date.isoformat()}"


class LedgerEntry(TenantModel):
    """A draw, repayment, interest or fee payment on a channel, in the channel's currency."""

    channel = models.ForeignKey(
        FundingChannel, verbose_name=_("Channel"), on_delete=models.PROTECT, related_name="ledger"
    )
    date = models.DateField(verbose_name=_("Date"), validators=[validate_treasury_date])
    kind = models.CharField(verbose_name=_("Kind"), max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(
        verbose_name=_("Amount"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Positive, in the channel's currency; the kind says which way it goes"),
    )
    reference = models.CharField(verbose_name=_("Reference"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("Reverses"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="reversal",
        help_text=_(
            "The entry this one cancels: a draw is reversed by a repayment, a repayment by a draw, interest or a fee "
            "by an entry of its kind; an entry is reversed at most once"
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ledger entry")
        ordering = ["-date", "-id"]
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive")]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} {self.amount} ({self.date})"
