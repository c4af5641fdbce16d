"""Forms of the channel and counterparty pages. They parse and check input; the services do the writing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from financeplanner.archive import in_use
from financeplanner.constraints import CompanyConstraintsFormMixin
from financeplanner.forms import RATE_MAX_PERCENT, DateInput, MoneyField, PercentField, blank_choice
from financeplanner.labels import field_label
from financeplanner.models import Company

from . import ratings
from .choices import (
    Agency,
    AssessmentSource,
    EventKind,
    LenderAction,
    Outlook,
    RatingScale,
    TriggerKind,
)
from .models import ChannelEvent, Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger
from .services import TRANSITIONS


class CounterpartyForm(CompanyConstraintsFormMixin, forms.ModelForm):
    class Meta:
        model = Counterparty
        fields = ["name", "kind", "country", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "country": forms.TextInput(attrs={"size": 2})}

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()  # the model's validator checks the code


CHANNEL_FIELDS = [
    "name", "counterparty", "channel_type", "currency", "limit", "committed", "rate_type", "base_rate", "spread",
    "annual_rate", "fee_rate", "day_count", "start_date", "maturity_date", "repayment_profile", "payment_frequency",
    "rolls_over", "notice_days", "action_probability", "notes",
]  # fmt: skip


class FundingChannelForm(CompanyConstraintsFormMixin, forms.ModelForm):
    limit = MoneyField(label=field_label(FundingChannel, "limit"), min_value=Decimal("0"))
    # Rates in percent a year (the model keeps fractions): a floating base may be negative, a spread below the base.
    base_rate = PercentField(
        label=field_label(FundingChannel, "base_rate"), min_percent=-10, max_percent=RATE_MAX_PERCENT, max_digits=9,
        initial=Decimal("0"), help_text=_("For a floating rate: the base, in % a year (e.g. 3.45)"),
    )  # fmt: skip
    spread = PercentField(
        label=field_label(FundingChannel, "spread"), min_percent=-RATE_MAX_PERCENT, max_percent=RATE_MAX_PERCENT,
        max_digits=9, initial=Decimal("0"), help_text=_("For a floating rate: the spread over the base, in % a year"),
    )  # fmt: skip
    annual_rate = PercentField(
        label=field_label(FundingChannel, "annual_rate"), max_percent=RATE_MAX_PERCENT, max_digits=9,
        help_text=_("All-in annual rate in %: 4.5 = 4.5 % a year"),
    )  # fmt: skip
    fee_rate = PercentField(
        label=field_label(FundingChannel, "fee_rate"), max_percent=RATE_MAX_PERCENT, max_digits=9,
        initial=Decimal("0"), help_text=_("Commitment or facility fee, in % a year"),
    )  # fmt: skip
    action_probability = PercentField(
        label=field_label(FundingChannel, "action_probability"),
        required=False,
        help_text=_("Chance of a lender action within a year, in %; empty = from the lender's PD and the type"),
    )

    class Meta:
        model = FundingChannel
        fields = CHANNEL_FIELDS
        widgets = {
            "start_date": DateInput(),
            "maturity_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        # An archived lender is not offered, except to the line that has it already.
        self.fields["counterparty"].queryset = in_use(
            Counterparty.objects.for_company(company), self.instance.counterparty_id if self.instance.pk else None
        )
        self.fields["counterparty"].empty_label = _("Choose the lender")

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CHANNEL_FIELDS if name in self.cleaned_data}


class TriggerForm(forms.Form):
    """One lender risk-control rule; a row left without a kind is ignored."""

    kind = forms.ChoiceField(
        label=field_label(LenderTrigger, "kind"), choices=blank_choice(TriggerKind.choices), required=False
    )
    rating = forms.ChoiceField(
        label=field_label(LenderTrigger, "rating"), choices=blank_choice(ratings.RATING_CHOICES), required=False
    )
    scale = forms.ChoiceField(
        label=_("Rating scale"), choices=RatingScale.choices, initial=RatingScale.MASTER, required=False,
        help_text=_("Domestic: a Chinese agency grade, read with the company's notch offset"),
    )  # fmt: skip
    level = PercentField(label=field_label(LenderTrigger, "level"), required=False, help_text=_("In %, e.g. 90"))
    days = forms.IntegerField(label=field_label(LenderTrigger, "days"), min_value=0, required=False)
    count = forms.IntegerField(label=_("Draws"), min_value=1, required=False, help_text=_("Borrowing frequency"))
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1, required=False)
    grace_days = forms.IntegerField(label=_("Grace days"), min_value=0, required=False, help_text=_("Cross-default"))
    action = forms.ChoiceField(
        label=field_label(LenderTrigger, "action"), choices=LenderAction.choices, initial=LenderAction.CLOSE
    )
    reduce_by = PercentField(
        label=field_label(LenderTrigger, "reduce_by"), required=False, help_text=_("Share of the limit removed, in %")
    )
    freeze_days = forms.IntegerField(label=field_label(LenderTrigger, "freeze_days"), min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("kind"):
            return data
        if data["kind"] == TriggerKind.OWN_RATING_BELOW and not data.get("rating"):
            self.add_error("rating", _("A rating trigger needs the rating."))
        if data["kind"] == TriggerKind.UTILISATION_ABOVE and data.get("level") is None:
            self.add_error("level", _("A utilisation trigger needs the level."))
        if data.get("action") == LenderAction.REDUCE and data.get("reduce_by") is None:
            self.add_error("reduce_by", _("Say by how much the lender reduces the line."))
        return data

    def as_spec(self) -> dict[str, Any] | None:
        data = getattr(self, "cleaned_data", {}) or {}
        if not data.get("kind") or data.get("DELETE"):
            return None
        return {key: value for key, value in data.items() if key != "DELETE" and value not in (None, "")}


TriggerFormSet = forms.formset_factory(TriggerForm, extra=1, can_delete=True, max_num=20, validate_max=True)


def trigger_initial(channel: FundingChannel) -> list[dict[str, Any]]:
    return [
        {
            "kind": trigger.kind,
            "rating": trigger.rating,
            "scale": trigger.scale,
            "level": trigger.level,
            "days": trigger.days,
            "count": trigger.count,
            "window_days": trigger.window_days,
            "grace_days": trigger.grace_days,
            "action": trigger.action,
            "reduce_by": trigger.reduce_by,
            "freeze_days": trigger.freeze_days,
        }
        for trigger in channel.triggers.all()
    ]


class MoneyMovementForm(forms.Form):
    """A draw or a repayment."""

    amount = MoneyField(label=field_label(LedgerEntry, "amount"), min_value=Decimal("0.01"))
    date = forms.DateField(label=field_label(LedgerEntry, "date"), widget=DateInput(), initial=timezone.localdate)
    reference = forms.CharField(label=field_label(LedgerEntry, "reference"), max_length=200, required=False)


LENDER_ACTIONS = [
    EventKind.REDUCE,
    EventKind.FREEZE,
    EventKind.UNFREEZE,
    EventKind.CLOSE,
    EventKind.REOPEN,
    EventKind.CALL,
]


class ChannelEventForm(forms.Form):
    """A lender's action: only those the channel's status allows are offered."""

    kind = forms.ChoiceField(label=_("Lender action"))
    date = forms.DateField(label=field_label(ChannelEvent, "date"), widget=DateInput(), initial=timezone.localdate)
    new_limit = MoneyField(
        label=field_label(ChannelEvent, "new_limit"),
        min_value=Decimal("0"),
        required=False,
        help_text=_("Needed for a reduction; optional when reopening"),
    )
    freeze_days = forms.IntegerField(
        label=field_label(ChannelEvent, "freeze_days"),
        min_value=1,
        required=False,
        help_text=_("For a freeze: how long it lasts"),
    )
    reason = forms.CharField(
        label=field_label(ChannelEvent, "reason"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the lender said or did, and why: the history of every cut is kept"),
    )

    def __init__(self, *args, channel: FundingChannel, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [kind for kind in LENDER_ACTIONS if channel.status in TRANSITIONS[kind][0]]
        self.fields["kind"].choices = blank_choice([(kind.value, kind.label) for kind in allowed])
        self.allowed_kinds = allowed


class AssessmentForm(forms.Form):
    """A credit view: a master-scale rating, or an agency's grade that maps to it."""

    as_of = forms.DateField(
        label=field_label(CreditAssessment, "as_of"), widget=DateInput(), initial=timezone.localdate
    )
    source = forms.ChoiceField(label=field_label(CreditAssessment, "source"), choices=AssessmentSource.choices)
    agency = forms.ChoiceField(
        label=field_label(CreditAssessment, "agency"), choices=Agency.choices, initial=Agency.MASTER
    )
    agency_grade = forms.CharField(
        label=field_label(CreditAssessment, "agency_grade"),
        max_length=10,
        required=False,
        help_text=_("The grade on the agency's own scale, e.g. Baa2 or AA-; mapped to the master scale"),
    )
    rating = forms.ChoiceField(
        label=_("Rating (master scale)"),
        choices=blank_choice(ratings.RATING_CHOICES),
        required=False,
        help_text=_("Leave empty when you give an agency grade"),
    )
    score = forms.DecimalField(
        label=field_label(CreditAssessment, "score"), max_digits=12, decimal_places=4, required=False
    )
    pd_1y = PercentField(
        label=field_label(CreditAssessment, "pd_1y"),
        required=False,
        help_text=_("In %, e.g. 0.18; empty = the master scale's default rate"),
    )
    outlook = forms.ChoiceField(
        label=field_label(CreditAssessment, "outlook"), choices=Outlook.choices, initial=Outlook.STABLE
    )
    note = forms.CharField(
        label=field_label(CreditAssessment, "note"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("score") is None:
            data.pop("score", None)
        return data


class AltmanModel:
    Z_DOUBLE_PRIME = "z2"
    Z = "z"
    CHOICES = [
        (Z_DOUBLE_PRIME, _("Z'' — non-manufacturers and emerging markets (book equity)")),
        (Z, _("Z (1968) — listed manufacturers (market value of equity, sales)")),
    ]


class AltmanForm(forms.Form):
    """The financials behind the Altman Z and Z'' scores, and where to record the result."""

    model = forms.ChoiceField(
        label=_("Model"), choices=AltmanModel.CHOICES, initial=AltmanModel.Z_DOUBLE_PRIME, widget=forms.RadioSelect
    )
    total_assets = MoneyField(label=_("Total assets"))
    total_liabilities = MoneyField(label=_("Total liabilities"))
    working_capital = MoneyField(label=_("Working capital"), help_text=_("Current assets − current liabilities"))
    retained_earnings = MoneyField(label=_("Retained earnings"))
    ebit = MoneyField(label=_("EBIT"), help_text=_("Earnings before interest and taxes"))
    book_equity = MoneyField(label=_("Book value of equity"), required=False, help_text=_("For Z''"))
    market_value_equity = MoneyField(label=_("Market value of equity"), required=False, help_text=_("For Z"))
    sales = MoneyField(label=_("Sales"), required=False, help_text=_("For Z"))
    # Recording the result as a model-based credit assessment.
    counterparty = forms.ModelChoiceField(
        label=_("Record for"), queryset=Counterparty.objects.none(), required=False, empty_label=_("Our own company")
    )
    as_of = forms.DateField(
        label=field_label(CreditAssessment, "as_of"), widget=DateInput(), initial=timezone.localdate, required=False
    )
    rating = forms.ChoiceField(
        label=_("Rating to record"),
        choices=blank_choice(ratings.RATING_CHOICES),
        required=False,
        help_text=_("Empty = the rating Z'' implies; Z has no implied rating, so give one to record it"),
    )
    note = forms.CharField(
        label=field_label(CreditAssessment, "note"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    FINANCIAL_FIELDS = (
        "total_assets", "total_liabilities", "working_capital", "retained_earnings", "ebit", "book_equity",
        "market_value_equity", "sales",
    )  # fmt: skip
    RECORD_FIELDS = ("counterparty", "as_of", "rating", "note")
    RATIO_LABELS = {
        "working_capital_to_total_assets": _("Working capital / total assets"),
        "retained_earnings_to_total_assets": _("Retained earnings / total assets"),
        "ebit_to_total_assets": _("EBIT / total assets"),
        "market_equity_to_total_liabilities": _("Market value of equity / total liabilities"),
        "book_equity_to_total_liabilities": _("Book equity / total liabilities"),
        "sales_to_total_assets": _("Sales / total assets"),
    }
    REQUIRED_BY_MODEL = {
        AltmanModel.Z_DOUBLE_PRIME: ("book_equity",),
        AltmanModel.Z: ("market_value_equity", "sales"),
    }

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = Counterparty.objects.for_company(company)
        self.result: ratings.AltmanResult | None = None

    def clean(self):
        data = super().clean()
        model = data.get("model")
        for name in self.REQUIRED_BY_MODEL.get(model, ()):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, _("This model needs this figure."))
        if self.errors:
            return data
        common = {
            name: data[name]
            for name in ("working_capital", "retained_earnings", "ebit", "total_assets", "total_liabilities")
        }
        try:
            if model == AltmanModel.Z:
                self.result = ratings.altman_z(
                    **common, market_value_equity=data["market_value_equity"], sales=data["sales"]
                )
            else:
                self.result = ratings.altman_z_double_prime(**common, book_equity=data["book_equity"])
        except ValueError as exc:
            field, _sep, message = str(exc).partition(": ")
            self.add_error(field if field in self.fields else None, message or str(exc))
        return data

    def rating_to_record(self) -> str:
        if self.cleaned_data.get("rating"):
            return self.cleaned_data["rating"]
        return (self.result.implied_rating if self.result else None) or ""

    def assessment_inputs(self) -> dict[str, Any]:
        """The JSON the assessment keeps: model, entered financials, ratios, score and zone (decimals as text)."""
        assert self.result is not None
        financials = self.FINANCIAL_FIELDS
        return {
            "model": self.result.model,
            "financials": {k: str(self.cleaned_data[k]) for k in financials if self.cleaned_data.get(k) is not None},
            "ratios": {k: str(v) for k, v in self.result.ratios.items()},
            "score": str(self.result.score),
            "zone": str(self.result.zone),
            "implied_rating": self.result.implied_rating,
        }
