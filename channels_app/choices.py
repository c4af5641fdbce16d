from django.db import models
from django.utils.translation import gettext_lazy as _


class CounterpartyKind(models.TextChoices):
    BANK = "bank", _("Bank")
    PLATFORM = "platform", _("Online credit platform")
    SCF_PROVIDER = "scf_provider", _("Supply-chain-finance provider")
    BOND_INVESTORS = "bond_investors", _("Bond investors")
    SHAREHOLDER = "shareholder", _("Shareholder")
    LESSOR = "lessor", _("Lessor")
    OTHER = "other", _("Other")


class AssessmentSource(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    RATING_AGENCY = "rating_agency", _("Rating agency")
    PLATFORM_SCORE = "platform_score", _("Platform score")
    MODEL = "model", _("Model")


class Agency(models.TextChoices):
    MASTER = "master", _("Master scale")
    SP = "sp", _("S&P")
    MOODYS = "moodys", _("Moody's")
    FITCH = "fitch", _("Fitch")
    CN = "cn", _("Chinese agency")


class Outlook(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    STABLE = "stable", _("Stable")
    NEGATIVE = "negative", _("Negative")
    DEVELOPING = "developing", _("Developing")


class ChannelType(models.TextChoices):
    BANK_TERM_LOAN = "bank_term_loan", _("Bank term loan")
    REVOLVING_CREDIT = "revolving_credit", _("Revolving credit")
    SUPPLY_CHAIN_FINANCE = "supply_chain_finance", _("Supply-chain finance")
    SMALL_LOAN_PLATFORM = "small_loan_platform", _("Small-loan / online platform")
    BOND = "bond", _("Bond")
    SHAREHOLDER_LOAN = "shareholder_loan", _("Shareholder loan")
    LEASING = "leasing", _("Leasing")
    OTHER = "other", _("Other")


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    REDUCED = "reduced", _("Reduced")
    FROZEN = "frozen", _("Frozen")
    CLOSED = "closed", _("Closed")
    MATURED = "matured", _("Matured")


# A line the lender has not shut: draws are allowed up to the (possibly reduced) limit.
OPEN_STATUSES = (ChannelStatus.ACTIVE, ChannelStatus.REDUCED)


class RateType(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    FLOATING = "floating", _("Floating (base + spread)")


class DayCountChoice(models.TextChoices):
    ACT_360 = "ACT/360", "ACT/360"
    ACT_365F = "ACT/365F", "ACT/365F"
    THIRTY_360 = "30/360", "30/360"


class RepaymentProfile(models.TextChoices):
    BULLET = "bullet", _("Bullet")
    LINEAR = "linear", _("Linear")
    ANNUITY = "annuity", _("Annuity")
    REVOLVING = "revolving", _("Revolving")


class PaymentFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Semi-annual")
    ANNUAL = "annual", _("Annual")


class EventKind(models.TextChoices):
    REDUCE = "reduce", _("Reduce")
    FREEZE = "freeze", _("Freeze")
    UNFREEZE = "unfreeze", _("Unfreeze")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Reopen")
    CALL = "call", _("Call")
    MATURE = "mature", _("Mature")


class LedgerKind(models.TextChoices):
    DRAW = "draw", _("Draw")
    REPAY = "repay", _("Repayment")
    INTEREST = "interest", _("Interest")
    FEE = "fee", _("Fee")


class TriggerKind(models.TextChoices):
    OWN_RATING_BELOW = "own_rating_below", _("Our rating falls below")
    UTILISATION_ABOVE = "utilisation_above", _("Utilisation stays above")
    UTILISATION_BELOW = "utilisation_below", _("Utilisation stays below (unused line)")
    ANY_OVERDUE = "any_overdue", _("Any overdue payment (cross-default)")
    BORROWING_FREQUENCY = "borrowing_frequency", _("Borrowing too often")
    INFLOW_DROP = "inflow_drop", _("Operating inflows fall below their forecast")


class RatingScale(models.TextChoices):
    MASTER = "master", _("Master (global) scale")
    DOMESTIC = "domestic", _("Domestic (Chinese agency) scale")


class LenderAction(models.TextChoices):
    CLOSE = "close", _("Close")
    FREEZE = "freeze", _("Freeze")
    REDUCE = "reduce", _("Reduce")
    CALL = "call", _("Call")
