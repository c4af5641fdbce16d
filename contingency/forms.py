"""Forms of the contingency pages: they parse and present; the services validate in full and save.

Related-object fields list only the company's own rows, so a form can never point at another company's data.
A service's `ValidationError` is put back on the form by the page framework (`financeplanner.forms.apply_service_errors`),
next to the field it concerns, with everything the user typed kept.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from channels_app.choices import ChannelType
from channels_app.models import Counterparty, FundingChannel
from financeplanner.archive import in_use
from financeplanner.constraints import CompanyConstraintsFormMixin
from financeplanner.forms import DateInput, MoneyField, PercentField
from financeplanner.models import Company

from .choices import ChecklistOutcome, ShockAction, ShockTarget, StepAction
from .models import CashFlowLine, ContingencyPlan, LiquidityPool, Scenario


class CompanyFormMixin:
    """Restrict every related-object field to the company's own rows."""

    company_querysets: dict[str, type] = {}

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.company = company
        for name, model in self.company_querysets.items():
            if name in self.fields:  # type: ignore[attr-defined]
                # Archived rows are not offered, except the one the edited object holds already.
                instance = getattr(self, "instance", None)
                keep = getattr(instance, f"{name}_id", None) if instance is not None else None
                keep = keep or self.initial.get(name)  # type: ignore[attr-defined]
                queryset = in_use(model.objects.for_company(company), keep)
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]


POOL_FIELDS = ["name", "kind", "currency", "amount", "haircut", "days_to_cash", "channel"]


class LiquidityPoolForm(CompanyConstraintsFormMixin, CompanyFormMixin, forms.ModelForm):
    company_querysets = {"channel": FundingChannel}

    class Meta:
        model = LiquidityPool
        fields = POOL_FIELDS
        labels = {"channel": _("Backup line on channel")}
        field_classes = {"amount": MoneyField, "haircut": PercentField}
        help_texts = {"haircut": _("Share lost when the pool turns into cash, in %: 2 = 2 %")}


CASH_FLOW_FIELDS = ["name", "category", "amount", "currency", "start_date", "end_date", "frequency", "discretionary"]


class CashFlowLineForm(CompanyFormMixin, forms.ModelForm):
    class Meta:
        model = CashFlowLine
        fields = CASH_FLOW_FIELDS
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        field_classes = {"amount": MoneyField}


PLAN_FIELDS = ["name", "description", "trigger", "threshold"]


class ContingencyPlanForm(CompanyConstraintsFormMixin, CompanyFormMixin, forms.ModelForm):
    class Meta:
        model = ContingencyPlan
        fields = PLAN_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"threshold": MoneyField}


class PlanStepForm(CompanyFormMixin, forms.Form):
    """One ranked step. A blank row is skipped: every field's initial is what its control shows untouched (the first
    action, 0 % cost, 100 % success), so Django's `has_changed` sees a row nobody typed in as unchanged."""

    company_querysets = {"pool": LiquidityPool}

    order = forms.IntegerField(label=_("Order"), min_value=1)
    action = forms.ChoiceField(label=_("Action"), choices=StepAction.choices, initial=StepAction.choices[0][0])
    pool = forms.ModelChoiceField(label=_("Pool"), queryset=LiquidityPool.objects.none(), required=False)
    amount = MoneyField(
        label=_("Amount"), min_value=Decimal("0"), required=False,
        help_text=_("In the pool's currency; empty: the whole pool"),
    )  # fmt: skip
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"), min_value=0, required=False, help_text=_("Empty: the pool's days to cash")
    )
    cost_rate = PercentField(
        label=_("Cost rate"), initial=Decimal("0"), help_text=_("Cost of the cash raised, in % of it")
    )
    success_probability = PercentField(
        label=_("Success probability"), initial=Decimal("1"), help_text=_("Chance the step delivers, in %")
    )

    def step(self) -> dict:
        names = ("order", "action", "pool", "amount", "lead_time_days", "cost_rate", "success_probability")
        return {name: self.cleaned_data[name] for name in names}


class CompanyFormSet(forms.BaseFormSet):
    """A formset whose forms all get the company (for their related-object choices); Django's `empty_form` (the row
    "Add a row" copies) gets the same through `get_form_kwargs(None)`."""

    def __init__(self, *args, company: Company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "company": self.company}

    def kept_forms(self) -> list[forms.Form]:
        """The filled-in forms not marked for deletion, in page order."""
        return [
            form
            for form in self.forms
            if form.has_changed() or form in self.initial_forms
            if not (self.can_delete and self._should_delete_form(form))
        ]


class StepFormSet(CompanyFormSet):
    def clean(self) -> None:
        # Two steps with one rank would make the order ambiguous (and break the plan's unique (plan, order)).
        orders = [form.cleaned_data.get("order") for form in self.kept_forms() if form.is_valid()]
        if len(set(orders)) != len(orders):
            raise ValidationError(_("Each step needs its own order: two steps have the same number."))


PlanStepFormSet = forms.formset_factory(PlanStepForm, formset=StepFormSet, extra=2, can_delete=True)


def plan_step_initial(plan: ContingencyPlan) -> list[dict]:
    return [
        {
            "order": step.order,
            "action": step.action,
            "pool": step.pool_id,
            "amount": step.amount,
            "lead_time_days": step.lead_time_days,
            "cost_rate": step.cost_rate,
            "success_probability": step.success_probability,
        }
        for step in plan.steps.all()
    ]


SCENARIO_FIELDS = [
    "name", "description", "kind", "as_of", "horizon_days", "paths", "seed", "own_downgrade_notches",
    "market_stress", "hazard_multiplier", "operating_volatility",
]  # fmt: skip


class ScenarioForm(CompanyConstraintsFormMixin, CompanyFormMixin, forms.ModelForm):
    class Meta:
        model = Scenario
        fields = SCENARIO_FIELDS
        widgets = {"as_of": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"operating_volatility": PercentField}
        help_texts = {"operating_volatility": _("Daily noise on operating flows, in % (Monte Carlo)")}


class ShockTargets:
    """The channels and counterparties a shock may hit: those not archived (`financeplanner.archive.in_use`), plus the
    archived ones that the rows being edited already hold (`kept`: their `<target_type>:<target>` values), offered
    only to the row that holds one. Two queries, plus one per kind of target with a value kept."""

    def __init__(self, company: Company, kept=()):
        self.lists = {}
        for target_type, model in ((ShockTarget.CHANNEL, FundingChannel), (ShockTarget.COUNTERPARTY, Counterparty)):
            queryset = model.objects.for_company(company)
            rows = list(in_use(queryset).order_by("name").values_list("pk", "name"))
            held = {int(t) for v in kept if (t := _held(v, target_type))} - {pk for pk, _name in rows}
            extra = dict(queryset.filter(pk__in=held).values_list("pk", "name")) if held else {}
            self.lists[target_type] = (rows, extra)

    def choices(self, keep: str = "") -> list:
        """The grouped `<target_type>:<target>` choices of one row (`keep`: the value the row already holds)."""

        def group(target_type):
            rows, extra = self.lists[target_type]
            held = _held(keep, target_type)
            if held and int(held) in extra:
                rows = sorted([*rows, (int(held), extra[int(held)])], key=lambda row: row[1])
            return [(f"{target_type}:{pk}", name) for pk, name in rows]

        return [
            ("", "---------"),
            (_("Everything"), [(f"{t}:", t.label) for t in (ShockTarget.ALL_PLATFORMS, ShockTarget.ALL)]),
            (_("Channel"), group(ShockTarget.CHANNEL)),
            (
                _("Channel type"),
                [(f"{ShockTarget.CHANNEL_TYPE}:{value}", label) for value, label in ChannelType.choices],
            ),
            (_("Counterparty"), group(ShockTarget.COUNTERPARTY)),
        ]


def _held(value, target_type: str) -> str:
    """The pk in a `<target_type>:<pk>` choice value of that target type ('' otherwise)."""
    kind, _sep, target = str(value or "").partition(":")
    return target if kind == target_type and target.isdigit() else ""


def shock_target_choices(company: Company, keep: str = "") -> list:
    """One 'what it hits' list: `<target_type>:<target>` values grouped by kind of target, archived channels and
    counterparties left out except `keep`, the value the row already holds."""
    return ShockTargets(company, [keep]).choices(keep)


class ShockForm(forms.Form):
    """One shock. A row whose controls are as the page drew them (nothing chosen, day 0) is skipped."""

    target_choice = forms.ChoiceField(label=_("Hits"))
    action = forms.ChoiceField(label=_("Lender action"), choices=ShockAction.choices, initial=ShockAction.CLOSE)
    day = forms.IntegerField(label=_("Day"), min_value=0, initial=0)
    reduce_by = PercentField(label=_("Reduce by (%)"), required=False)
    freeze_days = forms.IntegerField(label=_("Freeze days"), min_value=1, required=False)

    def __init__(self, *args, company: Company, target_choices: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.initial.get("target_choice", "")
        self.fields["target_choice"].choices = target_choices or shock_target_choices(company, keep)

    def shock(self) -> dict:
        target_type, _sep, target = self.cleaned_data["target_choice"].partition(":")
        data = {name: self.cleaned_data[name] for name in ("action", "day", "reduce_by", "freeze_days")}
        return {"target_type": target_type, "target": target, **data}


class ShockFormSet(CompanyFormSet):
    def get_form_kwargs(self, index):
        # Build the target lists once for the whole formset, not once per row; each row keeps the value it holds.
        if not hasattr(self, "_targets"):
            kept = [row.get("target_choice", "") for row in self.initial or ()]
            self._targets = ShockTargets(self.company, kept)
        keep = (
            self.initial[index].get("target_choice", "")
            if index is not None and index < len(self.initial or ())
            else ""
        )
        return {**super().get_form_kwargs(index), "target_choices": self._targets.choices(keep)}


ScenarioShockFormSet = forms.formset_factory(ShockForm, formset=ShockFormSet, extra=2, can_delete=True)


def shock_initial(scenario: Scenario) -> list[dict]:
    return [
        {
            "target_choice": f"{shock.target_type}:{shock.target}",
            "action": shock.action,
            "day": shock.day,
            "reduce_by": shock.reduce_by,
            "freeze_days": shock.freeze_days,
        }
        for shock in scenario.shocks.all()
    ]


class DrillStartForm(CompanyFormMixin, forms.Form):
    company_querysets = {"scenario": Scenario, "plan": ContingencyPlan}

    scenario = forms.ModelChoiceField(label=_("Scenario"), queryset=Scenario.objects.none())
    plan = forms.ModelChoiceField(
        label=_("Contingency plan"), queryset=ContingencyPlan.objects.none(), required=False, empty_label=_("No plan")
    )
    paths = forms.IntegerField(
        label=_("Paths"),
        min_value=1,
        max_value=1_000_000,
        required=False,
        help_text=_("Monte Carlo scenarios only; empty = the scenario's own number"),
    )
    seed = forms.IntegerField(label=_("Seed"), min_value=0, required=False, help_text=_("Empty = the scenario's seed"))


class ChecklistItemForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ChecklistOutcome.choices)
    minutes_taken = forms.IntegerField(label=_("Minutes taken"), min_value=0, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 1}))


IMPORT_DATASETS = [
    ("channels", _("Funding channels")),
    ("counterparties", _("Counterparties")),
    ("cash-flows", _("Cash-flow lines")),
]


class ImportForm(forms.Form):
    dataset = forms.ChoiceField(label=_("What the file holds"), choices=IMPORT_DATASETS)
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("Upload an .xlsx or a .csv file."))
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(megabytes)d MB."), params={"megabytes": settings.MAX_UPLOAD_BYTES // 2**20}
            )
        return upload
