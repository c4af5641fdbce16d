"""A contingency plan's versions: what one version holds, and what changed between two of them.

Every saved change of a plan's fields or steps is a numbered version (`services.plan_save`); an approval covers one
version (`services.plan_approve`). A version's content is plain JSON: numbers as normalised decimal strings, so two
saves of the same figures compare equal whatever their scale in the database ("0.5" and "0.5000").

Steps are compared by their rank (`order`): the plan uses them in that order, so "step 2" of the approved version and
"step 2" now are the same place in the playbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .choices import PlanTrigger, StepAction
from .models import ContingencyPlan, PlanStep, PlanVersion

#: The plan's own fields a version holds, with how a page shows them.
PLAN_FIELDS = {"name": "text", "description": "text", "trigger": "trigger", "threshold": "money"}
#: A step's fields a version holds (its rank, `order`, is how steps are matched).
STEP_FIELDS = {
    "action": "action",
    "pool": "pool",
    "amount": "money",
    "lead_time_days": "days",
    "cost_rate": "share",
    "success_probability": "share",
}


def _decimal(value: Any) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def plan_content(plan: ContingencyPlan) -> dict[str, Any]:
    """The plan as stored now: its fields and its steps in rank order (read from the database)."""
    steps = PlanStep.objects.filter(plan=plan).select_related("pool").order_by("order")
    return {
        "fields": {
            "name": plan.name,
            "description": plan.description,
            "trigger": plan.trigger,
            "threshold": _decimal(plan.threshold),
        },
        "steps": [
            {
                "order": step.order,
                "action": step.action,
                "pool": step.pool_id,
                "pool_name": step.pool.name if step.pool else None,
                "amount": _decimal(step.amount),
                "lead_time_days": step.lead_time_days,
                "cost_rate": _decimal(step.cost_rate),
                "success_probability": _decimal(step.success_probability),
            }
            for step in steps
        ],
    }


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


@dataclass(frozen=True)
class ValueChange:
    """One field that differs: its label, how to show it (`kind`) and the value before and after (None: empty)."""

    name: str
    label: str
    kind: str  # text, trigger, action, pool, money, share, days
    old: Any
    new: Any


@dataclass(frozen=True)
class StepChange:
    """A step added, removed or changed at one rank; `changes` lists what differs for a changed step."""

    order: int
    kind: str  # added, removed, changed
    step: dict[str, Any]  # the step as it is now (added, changed) or as it was (removed), ready to show
    changes: list[ValueChange]


@dataclass(frozen=True)
class PlanDiff:
    """What changed from one version (`old`) to another (`new`)."""

    old_number: int | None
    new_number: int | None
    fields: list[ValueChange]
    steps: list[StepChange]

    @property
    def empty(self) -> bool:
        return not self.fields and not self.steps


def _shown(kind: str, value: Any, step: dict[str, Any] | None = None) -> Any:
    """A stored value as a page shows it: choices by their label, pools by their name, decimals as Decimal."""
    if value is None or value == "":
        return None
    if kind == "trigger":
        return PlanTrigger(value).label if value in PlanTrigger.values else value
    if kind == "action":
        return StepAction(value).label if value in StepAction.values else value
    if kind == "pool":
        return (step or {}).get("pool_name") or f"#{value}"
    if kind in ("money", "share"):
        return Decimal(value)
    return value


def shown_step(step: dict[str, Any]) -> dict[str, Any]:
    """A stored step with every field as a page shows it."""
    return {"order": step["order"], **{name: _shown(kind, step.get(name), step) for name, kind in STEP_FIELDS.items()}}


def _changes(fields: dict[str, str], model, old: dict[str, Any], new: dict[str, Any]) -> list[ValueChange]:
    changes = []
    for name, kind in fields.items():
        before, after = old.get(name), new.get(name)
        if kind == "pool":
            # A pool is the same pool by its id; a rename of the pool is not a change of the plan.
            same = before == after
        else:
            same = (before or None) == (after or None)
        if not same:
            changes.append(
                ValueChange(name, _label(model, name), kind, _shown(kind, before, old), _shown(kind, after, new))
            )
    return changes


def content_diff(
    old: dict[str, Any] | None, new: dict[str, Any], *, old_number: int | None = None, new_number: int | None = None
) -> PlanDiff:
    """What changed from `old` (None: nothing before, every step is added) to `new`, field by field and rank by rank."""
    old = old or {"fields": {}, "steps": []}
    fields = _changes(PLAN_FIELDS, ContingencyPlan, old.get("fields", {}), new.get("fields", {}))
    before = {step["order"]: step for step in old.get("steps", [])}
    after = {step["order"]: step for step in new.get("steps", [])}
    steps = []
    for order in sorted(before.keys() | after.keys()):
        if order not in before:
            steps.append(StepChange(order, "added", shown_step(after[order]), []))
        elif order not in after:
            steps.append(StepChange(order, "removed", shown_step(before[order]), []))
        else:
            changes = _changes(STEP_FIELDS, PlanStep, before[order], after[order])
            if changes:
                steps.append(StepChange(order, "changed", shown_step(after[order]), changes))
    return PlanDiff(old_number, new_number, fields, steps)


def latest_version(plan: ContingencyPlan) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan=plan).order_by("-number").first()


def approved_version(plan: ContingencyPlan) -> PlanVersion | None:
    """The latest version that was approved (it may be older than the current one: then the plan is a draft)."""
    return PlanVersion.objects.filter(plan=plan, approved_at__isnull=False).order_by("-number").first()


@dataclass(frozen=True)
class VersionRow:
    """One version in the plan's history, with what it changed from the version before it."""

    version: PlanVersion
    changed: PlanDiff
    is_current: bool
    is_approved: bool


def plan_history(plan: ContingencyPlan, limit: int = 50) -> list[VersionRow]:
    """The plan's latest `limit` versions, newest first, each with its changes from the one before."""
    versions = list(
        PlanVersion.objects.filter(plan=plan).select_related("saved_by", "approved_by").order_by("-number")[: limit + 1]
    )
    rows = []
    for index, version in enumerate(versions[:limit]):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        diff = content_diff(
            previous.content if previous else None,
            version.content,
            old_number=previous.number if previous else None,
            new_number=version.number,
        )
        rows.append(VersionRow(version, diff, version.number == plan.version, version.approved_at is not None))
    return rows


def diff_to_approved(plan: ContingencyPlan) -> tuple[PlanVersion | None, PlanDiff | None]:
    """The approved version and what the current version changed from it (None when there is nothing to compare:
    no approved version, or the current version is the approved one)."""
    approved = approved_version(plan)
    current = latest_version(plan)
    if approved is None or current is None or approved.number == current.number:
        return approved, None
    return approved, content_diff(
        approved.content, current.content, old_number=approved.number, new_number=current.number
    )
