"""Writes on contingency data: plans with their ranked steps and approval, scenarios with their shocks."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from financeplanner.models import Company

from . import plan_versions
from .choices import PlanStatus, ShockAction, ShockTarget, StepAction
from .models import CashFlowLine, ContingencyPlan, LiquidityPool, PlanStep, PlanVersion, Scenario, Shock

APPROVAL_COMMENT_MAX = PlanVersion._meta.get_field("approval_comment").max_length or 2000


def _check_owned(company: Company, obj, field: str) -> None:
    if obj is not None and obj.company_id != company.pk:
        raise ValidationError({field: _("Unknown object.")})


@transaction.atomic
def plan_save(*, company: Company, by, plan: ContingencyPlan | None = None, steps: list[dict] | None = None, **fields):
    """Create or edit a plan (and, when given, replace its steps).

    A save that changes the plan's fields or steps is its next version, saved by `by`; a change of an approved plan
    returns it to draft. A save that changes nothing is no version and leaves the approval standing."""
    plan = plan or ContingencyPlan(company=company)
    if plan.pk:
        # Versions are numbered one after another: two saves of one plan at once take their turns.
        ContingencyPlan.objects.select_for_update().filter(pk=plan.pk).first()
        # What the service alone writes is read afresh, not taken from a copy read before the lock.
        plan.refresh_from_db(fields=["status", "approved_by", "approved_at", "version"])
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    if steps is not None:
        orders = [spec.get("order") for spec in steps]
        if len(set(orders)) != len(orders):
            raise ValidationError({"steps": _("Each step needs its own order.")})
        plan.steps.all().delete()
        for index, spec in enumerate(sorted(steps, key=lambda s: s.get("order", 0))):
            _check_owned(company, spec.get("pool"), f"steps[{index}].pool")
            step = PlanStep(plan=plan, **spec)
            try:
                step.full_clean(exclude=["plan"])
            except ValidationError as exc:
                raise ValidationError({f"steps[{index}].{k}": v for k, v in exc.message_dict.items()}) from exc
            if step.action in (StepAction.LIQUIDATE_POOL, StepAction.DRAW_BACKUP_LINE) and step.pool is None:
                raise ValidationError({f"steps[{index}].pool": _("This action needs the pool it draws on.")})
            if step.pool is None and step.amount is None:
                raise ValidationError({f"steps[{index}].amount": _("Give the amount this step can raise.")})
            step.save()
    _version_record(plan, by)
    return plan


def _version_record(plan: ContingencyPlan, by) -> PlanVersion | None:
    """Store the plan as saved as its next version, unless it is what the latest version holds already."""
    content = plan_versions.plan_content(plan)
    latest = plan_versions.latest_version(plan)
    if latest is not None and latest.content == content:
        return None
    plan.version = max(plan.version, latest.number if latest else 0) + 1
    fields = ["version", "updated_at"]
    if plan.status == PlanStatus.APPROVED:
        # An approval covers exactly what the treasurer read; any change needs a fresh approval.
        plan.status, plan.approved_by, plan.approved_at = PlanStatus.DRAFT, None, None
        fields += ["status", "approved_by", "approved_at"]
    plan.save(update_fields=fields)
    return PlanVersion.objects.create(plan=plan, number=plan.version, content=content, saved_by=by)


def _current_version(plan: ContingencyPlan) -> PlanVersion:
    """The plan's current version; a plan stored without one (made before versions were kept, or outside this
    service) gets it now, saved by nobody known."""
    latest = plan_versions.latest_version(plan)
    if latest is not None and latest.number == plan.version:
        return latest
    plan.version = max(plan.version, latest.number if latest else 0) + 1
    plan.save(update_fields=["version", "updated_at"])
    return PlanVersion.objects.create(plan=plan, number=plan.version, content=plan_versions.plan_content(plan))


def approval_refusal(plan: ContingencyPlan, user) -> str | None:
    """Why `user` may not approve the plan's current version, or None. Four-eyes: nobody approves a change they
    made, so the approver saved none of the versions since the last approved one (the last editor included)."""
    approved = plan_versions.approved_version(plan)
    unapproved = PlanVersion.objects.filter(plan=plan, number__gt=approved.number if approved else 0)
    mine = sorted(unapproved.filter(saved_by_id=user.pk).values_list("number", flat=True)) if user else []
    if not mine:
        return None
    return ngettext(
        "You saved version %(versions)s of this plan, so another treasurer must approve it (four-eyes rule).",
        "You saved versions %(versions)s of this plan, so another treasurer must approve it (four-eyes rule).",
        len(mine),
    ) % {"versions": ", ".join(str(number) for number in mine)}


@transaction.atomic
def plan_approve(*, plan: ContingencyPlan, by, comment: str = "") -> ContingencyPlan:
    """Approve the plan's current version with an optional comment, recorded on the version (four-eyes: not by
    anyone who saved a change since the last approval)."""
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.RETIRED:  # it comes back through plan_restore, as a draft
        raise ValidationError({"status": _("%(name)s is retired: restore it before approving it.") % {"name": plan}})
    if not plan.steps.exists():
        raise ValidationError({"steps": _("A plan without steps cannot be approved.")})
    comment = (comment or "").strip()
    if len(comment) > APPROVAL_COMMENT_MAX:
        raise ValidationError(
            {"comment": _("At most %(count)d characters.") % {"count": APPROVAL_COMMENT_MAX}}, code="max_length"
        )
    version = _current_version(plan)
    refusal = approval_refusal(plan, by)
    if refusal:
        raise ValidationError({"approved_by": refusal}, code="four_eyes")
    now = timezone.now()
    version.approved_by, version.approved_at, version.approval_comment = by, now, comment
    version.save(update_fields=["approved_by", "approved_at", "approval_comment"])
    plan.status, plan.approved_by, plan.approved_at = PlanStatus.APPROVED, by, now
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
        raise ValidationError({"day": _("The shock must fall inside the horizon.")})
    if shock.action == ShockAction.REDUCE and shock.reduce_by is None:
        raise ValidationError({"reduce_by": _("A reduction needs the share of the limit it removes (0–1).")})
    if shock.action == ShockAction.FREEZE and not shock.freeze_days:
        raise ValidationError({"freeze_days": _("A freeze needs its length in days.")})
    if (shock.target_type == ShockTarget.COMPANY) != (shock.action == ShockAction.DOWNGRADE):
        raise ValidationError(
            {"action": _("Our company is downgraded; channels are closed, frozen, reduced or called.")}
        )
    if shock.action == ShockAction.DOWNGRADE and not shock.notches:
        raise ValidationError({"notches": _("A downgrade needs the number of notches.")})
    target = shock.target
    if shock.target_type == ShockTarget.CHANNEL:
        if not (target.isdigit() and FundingChannel.objects.for_company(company).filter(pk=target).exists()):
            raise ValidationError({"target": _("Unknown channel.")})
    elif shock.target_type == ShockTarget.COUNTERPARTY:
        if not (target.isdigit() and Counterparty.objects.for_company(company).filter(pk=target).exists()):
            raise ValidationError({"target": _("Unknown counterparty.")})
    elif shock.target_type == ShockTarget.CHANNEL_TYPE and target not in ChannelType.values:
        raise ValidationError({"target": _("Unknown channel type %(type)r.") % {"type": target}})


# -- correcting mistakes: delete what nothing depends on, archive what history does ------------------------------


def _names(queryset, limit: int = 5) -> str:
    return ", ".join(str(name) for name in queryset.values_list("name", flat=True)[:limit])


@transaction.atomic
def cashflow_delete(*, line: CashFlowLine, by) -> None:
    """Delete a forecast line: nothing refers to one (a drill keeps the forecast it used in its snapshot)."""
    line.delete()


@transaction.atomic
def pool_delete(*, pool: LiquidityPool, by) -> None:
    """Delete a pool entered by mistake; refused while a plan's step draws on it (archive it instead)."""
    pool = LiquidityPool.objects.select_for_update().get(pk=pool.pk)
    plans = ContingencyPlan.objects.filter(steps__pool=pool).distinct()
    if plans.exists():
        raise ValidationError(
            _("%(name)s is a step of the plans %(plans)s: remove it from their steps, or archive it instead.")
            % {"name": pool, "plans": _names(plans)}
        )
    pool.delete()


@transaction.atomic
def pool_archive(*, pool: LiquidityPool, by) -> LiquidityPool:
    """Put a pool away: no opening cash or plan step in drills from now on. Refused while a plan in use (not
    retired) has a step on it, which would then silently deliver nothing."""
    pool = LiquidityPool.objects.select_for_update().get(pk=pool.pk)
    if pool.archived_at is not None:
        raise ValidationError(_("%(name)s is archived already.") % {"name": pool})
    plans = ContingencyPlan.objects.filter(steps__pool=pool).exclude(status=PlanStatus.RETIRED).distinct()
    if plans.exists():
        raise ValidationError(
            _("%(name)s is a step of the plans %(plans)s: remove it from their steps or archive them first.")
            % {"name": pool, "plans": _names(plans)}
        )
    pool.archived_at = timezone.now()
    pool.save(update_fields=["archived_at", "updated_at"])
    return pool


@transaction.atomic
def pool_restore(*, pool: LiquidityPool, by) -> LiquidityPool:
    pool = LiquidityPool.objects.select_for_update().get(pk=pool.pk)
    if pool.archived_at is None:
        raise ValidationError(_("%(name)s is not archived.") % {"name": pool})
    pool.archived_at = None
    pool.save(update_fields=["archived_at", "updated_at"])
    return pool


def _refuse_if_drilled(obj) -> None:
    """A plan or scenario that drills ran against, or that a schedule drills, is part of their record."""
    if obj.runs.exists():
        raise ValidationError(
            _("%(name)s has drill runs, whose reports name it. Archive it instead: the runs stay readable.")
            % {"name": obj}
        )
    if obj.schedules.exists():
        raise ValidationError(
            _("%(name)s is drilled by the schedules %(schedules)s: delete them first, or archive it instead.")
            % {"name": obj, "schedules": _names(obj.schedules.all())}
        )


def _refuse_if_scheduled(obj) -> None:
    enabled = obj.schedules.filter(enabled=True)
    if enabled.exists():
        raise ValidationError(
            _("%(name)s is drilled by the enabled schedules %(schedules)s: disable or delete them first.")
            % {"name": obj, "schedules": _names(enabled)}
        )


@transaction.atomic
def plan_delete(*, plan: ContingencyPlan, by) -> None:
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    _refuse_if_drilled(plan)
    plan.delete()


@transaction.atomic
def plan_archive(*, plan: ContingencyPlan, by) -> ContingencyPlan:
    """Retire a plan (the plan's archived state): no new drill runs it; its runs and history stay."""
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.RETIRED:
        raise ValidationError(_("%(name)s is retired already.") % {"name": plan})
    _refuse_if_scheduled(plan)
    plan.status, plan.approved_by, plan.approved_at = PlanStatus.RETIRED, None, None
    plan.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return plan


@transaction.atomic
def plan_restore(*, plan: ContingencyPlan, by) -> ContingencyPlan:
    """Bring a retired plan back as a draft: it needs a fresh approval."""
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.RETIRED:
        raise ValidationError(_("%(name)s is not retired.") % {"name": plan})
    plan.status = PlanStatus.DRAFT
    plan.save(update_fields=["status", "updated_at"])
    return plan


@transaction.atomic
def scenario_delete(*, scenario: Scenario, by) -> None:
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    _refuse_if_drilled(scenario)
    scenario.delete()


@transaction.atomic
def scenario_archive(*, scenario: Scenario, by) -> Scenario:
    """Put a scenario away: no new drill runs it; its runs stay readable."""
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    if scenario.archived_at is not None:
        raise ValidationError(_("%(name)s is archived already.") % {"name": scenario})
    _refuse_if_scheduled(scenario)
    scenario.archived_at = timezone.now()
    scenario.save(update_fields=["archived_at", "updated_at"])
    return scenario


@transaction.atomic
def scenario_restore(*, scenario: Scenario, by) -> Scenario:
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    if scenario.archived_at is None:
        raise ValidationError(_("%(name)s is not archived.") % {"name": scenario})
    scenario.archived_at = None
    scenario.save(update_fields=["archived_at", "updated_at"])
    return scenario
