"""Backup liquidity and the operating cash-flow forecast."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import UniqueNameConstraint
from financeplanner.currencies import CURRENCY_CHOICES
from financeplanner.tenancy import TenantModel
from financeplanner.validators import validate_treasury_date

from ..choices import Frequency, PoolKind
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
