"""Writes on contingency data: plans with their ranked steps and approval, scenarios with their shocks."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from financeplanner.models import Company

from .choices import PlanStatus, ShockAction, ShockTarget, StepAction
from .models import ContingencyPlan, PlanStep, Scenario, Shock


def _check_owned(company: Company, obj, field: str) -> None:
    if obj is not None and obj.company_id != company.pk:
        raise ValidationError({field: "Unknown object."})


@transaction.atomic
def plan_save(*, company: Company, by, plan: ContingencyPlan | None = None, steps: list[dict] | None = None, **fields):
    """Create or edit a plan (and, when given, replace its steps). Editing an approved plan returns it to draft."""
    plan = plan or ContingencyPlan(company=company)
    for name, value in fields.items():
        setattr(plan, name, value)
    if plan.pk and plan.status == PlanStatus.APPROVED:
        # An approval covers exactly what the treasurer read; any change needs a fresh approval.
        plan.status, plan.approved_by, plan.approved_at = PlanStatus.DRAFT, None, None
    plan.full_clean()
    plan.save()
    if steps is not None:
        orders = [spec.get("order") for spec in steps]
        if len(set(orders)) != len(orders):
            raise ValidationError({"steps": "Each step needs its own order."})
        plan.steps.all().delete()
        for index, spec in enumerate(sorted(steps, key=lambda s: s.get("order", 0))):
            _check_owned(company, spec.get("pool"), f"steps[{index}].pool")
            step = PlanStep(plan=plan, **spec)
            try:
                step.full_clean(exclude=["plan"])
            except ValidationError as exc:
                raise ValidationError({f"steps[{index}].{k}": v for k, v in exc.message_dict.items()}) from exc
            if step.action in (StepAction.LIQUIDATE_POOL, StepAction.DRAW_BACKUP_LINE) and step.pool is None:
                raise ValidationError({f"steps[{index}].pool": "This action needs the pool it draws on."})
            if step.pool is None and step.amount is None:
                raise ValidationError({f"steps[{index}].amount": "Give the amount this step can raise."})
            step.save()
    return plan


@transaction.atomic
def plan_approve(*, plan: ContingencyPlan, by) -> ContingencyPlan:
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.steps.exists():
        raise ValidationError({"steps": "A plan without steps cannot be approved."})
    plan.status, plan.approved_by, plan.approved_at = PlanStatus.APPROVED, by, timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return plan


@transaction.atomic
def scenario_save(
    *, company: Company, by, scenario: Scenario | None = None, shocks: list[dict] | None = None, **fields
):
    """Create or edit a scenario and, when given, replace its shocks."""
    scenario = scenario or Scenario(company=company)
    for name, value in fields.items():
        setattr(scenario, name, value)
    scenario.full_clean()
    scenario.save()
    if shocks is not None:
        scenario.shocks.all().delete()
        for index, spec in enumerate(shocks):
            shock = Shock(scenario=scenario, **spec)
            try:
                shock.full_clean(exclude=["scenario"])
                _validate_shock(company, scenario, shock)
            except ValidationError as exc:
                raise ValidationError({f"shocks[{index}].{k}": v for k, v in exc.message_dict.items()}) from exc
            shock.save()
    return scenario


def _validate_shock(company: Company, scenario: Scenario, shock: Shock) -> None:
    from channels_app.choices import ChannelType
    from channels_app.models import Counterparty, FundingChannel

    if shock.day >= scenario.horizon_days:
        raise ValidationError({"day": "The shock must fall inside the horizon."})
    if shock.action == ShockAction.REDUCE and shock.reduce_by is None:
        raise ValidationError({"reduce_by": "A reduction needs the share of the limit it removes (0–1)."})
    if shock.action == ShockAction.FREEZE and not shock.freeze_days:
        raise ValidationError({"freeze_days": "A freeze needs its length in days."})
    if (shock.target_type == ShockTarget.COMPANY) != (shock.action == ShockAction.DOWNGRADE):
        raise ValidationError({"action": "Our company is downgraded; channels are closed, frozen, reduced or called."})
    if shock.action == ShockAction.DOWNGRADE and not shock.notches:
        raise ValidationError({"notches": "A downgrade needs the number of notches."})
    target = shock.target
    if shock.target_type == ShockTarget.CHANNEL:
        if not (target.isdigit() and FundingChannel.objects.for_company(company).filter(pk=target).exists()):
            raise ValidationError({"target": "Unknown channel."})
    elif shock.target_type == ShockTarget.COUNTERPARTY:
        if not (target.isdigit() and Counterparty.objects.for_company(company).filter(pk=target).exists()):
            raise ValidationError({"target": "Unknown counterparty."})
    elif shock.target_type == ShockTarget.CHANNEL_TYPE and target not in ChannelType.values:
        raise ValidationError({"target": f"Unknown channel type {target!r}."})
