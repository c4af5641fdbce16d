"""Drill runs: start, claim, simulate in blocks, combine, judge against the policy; schedules and checklists.

A run is claimed, not assumed: `queued → running` is one conditional UPDATE. Every block's result is stored
in the database under a unique (run, index), so a block computed twice is stored once, and a worker that dies
mid-drill leaves behind only what it finished; whoever picks the run up next computes the missing blocks.
The run is finished by one conditional UPDATE `running → succeeded`, whoever gets there first.
"""

import json
import logging
import math
import socket
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from financeplanner.caching import company_changed
from financeplanner.models import Company
from financeplanner.translatable import Message, term

from . import dispatch, engine, fx
from .choices import ChecklistOutcome, DrillStatus, PlanStatus, ScenarioKind, StepAction
from .early_warnings import enqueue_evaluation
from .engine.inputs import DrillInputs
from .models import ChecklistItem, ContingencyPlan, DrillBlock, DrillRun, DrillSchedule, Scenario
from .report import DrillReport, report_of
from .snapshot import build_inputs, drill_as_of

logger = logging.getLogger(__name__)


# -- starting a run ----------------------------------------------------------------------------------------------


def drill_start(
    *,
    company: Company,
    scenario: Scenario,
    plan: ContingencyPlan | None = None,
    paths: int | None = None,
    seed: int | None = None,
    by=None,
    schedule: DrillSchedule | None = None,
    schedule_tick=None,
    enqueue: bool = True,
    request_key: str | None = None,
) -> DrillRun:
    """Snapshot the company as it stands, store a queued run and hand it to a worker once committed.

    Refused with QueueUnavailable (nothing stored) while the broker cannot be reached; a run whose message is lost
    after that is enqueued again by the sweeper. A small deterministic drill is simulated right here instead
    (dispatch.runs_in_request): the run returned is already finished. `enqueue=False` leaves the run to the caller
    (the `run_drill` command simulates it in its own process). `request_key` names the request (unique: a request
    sent twice stores one run, the second gets an IntegrityError). The run records the plan's version and whether
    it was approved as it starts: a drill of an unapproved plan runs, and its report says so.
    """
    if scenario.company_id != company.pk:
        raise ValidationError({"scenario": _("Unknown scenario.")})
    if plan is not None and plan.company_id != company.pk:
        raise ValidationError({"plan": _("Unknown plan.")})
    paths = 1 if scenario.kind == ScenarioKind.DETERMINISTIC else (paths or scenario.paths)
    seed = scenario.seed if seed is None else seed
    if not 1 <= paths <= 1_000_000:
        raise ValidationError({"paths": _("Between 1 and 1,000,000 paths.")})
    # A schedule rehearses the company as it stands on the day it runs, whatever the scenario's as-of date: that
    # day in the schedule's time zone, where its team reads the cron.
    as_of = timezone.localdate(timezone=ZoneInfo(schedule.timezone)) if schedule is not None else None
    fx.drill_fx_check(company=company, as_of=as_of or drill_as_of(scenario))  # names each currency without a rate
    try:
        inputs = build_inputs(company=company, scenario=scenario, plan=plan, paths=paths, seed=seed, as_of=as_of)
    except OverflowError as exc:  # a date stored before dates were bounded, past the calendar's end
        raise ValidationError({"scenario": _("The scenario's dates run past the calendar's end (year 9999).")}) from exc
    except ValueError as exc:
        raise ValidationError({"scenario": str(exc)}) from exc
    in_request = enqueue and dispatch.runs_in_request(inputs)
    if enqueue:
        dispatch.broker_check()  # also for a drill simulated here: what follows a finished drill is queued
    with transaction.atomic():
        plan_state = ContingencyPlan.objects.filter(pk=plan.pk).values("version", "status").first() if plan else None
        run = DrillRun.objects.create(
            company=company,
            scenario=scenario,
            plan=plan,
            plan_version=(plan_state["version"] or None) if plan_state else None,
            plan_approved=plan_state["status"] == PlanStatus.APPROVED if plan_state else None,
            request_key=request_key,
            schedule=schedule,
            schedule_tick=schedule_tick,
            paths=paths,
            seed=seed,
            snapshot=inputs.to_dict(),
            blocks_total=math.ceil(paths / inputs.scenario.block_size),
            created_by=by,
        )
        if plan is not None:
            checklist_create(run=run, plan=plan)
        if enqueue and not in_request:
            # A worker must never look for a row that is not committed yet.
            transaction.on_commit(lambda: dispatch.enqueue_run(run))
    if in_request:
        drill_run_in_request(run)
    return run


def drill_run_in_request(run: DrillRun) -> None:
    """Claim and simulate a small run in this process (dispatch.runs_in_request); a failure fails the run, as on a
    worker, and is not raised: the caller answers with the run as it stands.

    Its one block is simulated and combined in memory, from the snapshot as stored (what a worker would read): the
    same numbers as storing the block and finishing it (``engine.run`` is ``combine`` of its blocks), in a few
    queries. The block's row is stored without its numbers, as a finished run's blocks are, naming this process."""
    if claim(run.pk) is not None:
        try:
            snapshot = DrillRun.objects.values_list("snapshot", flat=True).get(pk=run.pk)
            combined = engine.run(DrillInputs.from_dict(snapshot))
            # The results and the block's row commit together: a process that dies in between leaves a running run
            # with its block missing, which the sweeper resumes on a worker (never a run with nothing left to do).
            with transaction.atomic():
                if _succeed(run.pk, run.company_id, combined):
                    DrillBlock.objects.create(run_id=run.pk, index=0, worker=_worker_name())
                    enqueue_evaluation(run.company_id)
        except Exception as exc:  # noqa: BLE001 — recorded on the run (drill_fail logs it), as the task would
            drill_fail(run.pk, exc)
    run.refresh_from_db()


# The live-drill tasks, as English templates shown in the reader's language (financeplanner.translatable).
CHECKLIST_TITLES = {
    StepAction.DRAW_BACKUP_LINE: gettext_noop("Test draw on the backup line: %(name)s"),
    StepAction.LIQUIDATE_POOL: gettext_noop("Confirm same-day redemption terms: %(name)s"),
    None: gettext_noop("Confirm step %(order)s can be executed: %(name)s"),
}
CHECKLIST_ALWAYS = [
    gettext_noop("Lender and bank contacts confirmed"),
    gettext_noop("Facility documents and mandates in place"),
]


def checklist_create(*, run: DrillRun, plan: ContingencyPlan) -> list[ChecklistItem]:
    """The live-drill checklist: prove the plan's sources can really be reached, not only simulated."""
    titles: list[Message] = []
    for step in plan.steps.select_related("pool"):
        # A pool's name is the company's; a step without one is named by its action, a word of the product.
        name = step.pool.name if step.pool else term(StepAction(step.action).label)
        template = CHECKLIST_TITLES.get(step.action, CHECKLIST_TITLES[None])
        titles.append(Message(template, {"name": name, "order": step.order}))
    titles += [Message(title) for title in CHECKLIST_ALWAYS]
    return ChecklistItem.objects.bulk_create(
        ChecklistItem(run=run, order=order, title=title.english()[:300], title_template=title.template,
                      title_params=title.params)
        for order, title in enumerate(titles, start=1)
    )  # fmt: skip


@transaction.atomic
def checklist_record(
    *, item: ChecklistItem, outcome: str, notes: str = "", minutes_taken: int | None = None, by
) -> ChecklistItem:
    """Record a live-drill task's outcome, when and by whom."""
    if outcome not in ChecklistOutcome.values:
        raise ValidationError({"outcome": _("Unknown outcome %(outcome)r.") % {"outcome": outcome}})
    item.outcome, item.notes, item.minutes_taken = outcome, notes, minutes_taken
    item.done_at = None if outcome == ChecklistOutcome.PENDING else timezone.now()
    item.done_by = None if outcome == ChecklistOutcome.PENDING else by
    item.full_clean()
    item.save()
    return item


# -- executing a run ---------------------------------------------------------------------------------------------


def claim(run_id: int) -> DrillRun | None:
    """Claim a queued run, or resume one whose worker died. None when there is nothing left to do, or when the
    run is big and its company already runs as many big runs as it may (it stays queued until one ends)."""
    run = DrillRun.objects.filter(pk=run_id).only("company_id", "status", "blocks_total").first()
    if run is None or run.status not in (DrillStatus.QUEUED, DrillStatus.RUNNING):
        return None
    if run.status == DrillStatus.QUEUED:
        if dispatch.is_large(run) and not dispatch.large_slot_free(run):
            return None
        now = timezone.now()
        claimed = DrillRun.objects.filter(pk=run_id, status=DrillStatus.QUEUED).update(
            status=DrillStatus.RUNNING, started_at=now, updated_at=now
        )
        if not claimed:
            return None
        company_changed(run.company_id)  # a status written by .update(): no signal tells the cache
    return DrillRun.objects.select_related("company").filter(pk=run_id, status=DrillStatus.RUNNING).first()


def missing_blocks(run: DrillRun) -> list[int]:
    done = set(run.blocks.values_list("index", flat=True))
    return [i for i in range(run.blocks_total) if i not in done]


def block_execute(run_id: int, index: int) -> bool:
    """Simulate one block of paths and store it (idempotent: a block stored twice is stored once).

    True when this call stored it. The block is stored in its compact binary form (``BlockResult.to_bytes``)."""
    run = DrillRun.objects.filter(pk=run_id, status=DrillStatus.RUNNING).only("snapshot", "blocks_total").first()
    if run is None or DrillBlock.objects.filter(run=run, index=index).exists():
        return False
    result = engine.simulate_block(DrillInputs.from_dict(run.snapshot), index)
    try:
        with transaction.atomic():
            DrillBlock.objects.create(run=run, index=index, payload=result.to_bytes(), worker=_worker_name())
    except IntegrityError:
        return False  # another worker stored the same block first; the numbers are the same
    done = DrillBlock.objects.filter(run=run).count()
    # updated_at is the run's heartbeat: the sweeper resumes a running run whose blocks stopped coming in.
    DrillRun.objects.filter(pk=run_id, status=DrillStatus.RUNNING).update(
        progress=min(99, done * 100 // max(run.blocks_total, 1)), updated_at=timezone.now()
    )
    return True


class BlocksGone(Exception):
    """A block's numbers were emptied while this process read them: another process finished the run first."""


def stored_blocks(run_id: int, blocks_total: int) -> Iterator[engine.BlockResult]:
    """The run's blocks in index order, fetched one row at a time (a server-side cursor on PostgreSQL): one block
    in memory at a time. BlocksGone when one is missing or was emptied (another process finished the run)."""
    rows = (
        DrillBlock.objects.filter(run_id=run_id).order_by("index").values_list("index", "payload", "result")
    ).iterator(chunk_size=1)
    expected = 0
    for index, payload, legacy in rows:
        if index != expected or (payload is None and legacy is None):
            raise BlocksGone(expected)
        expected += 1
        yield engine.BlockResult.from_bytes(payload) if payload is not None else engine.BlockResult.from_dict(legacy)
    if expected != blocks_total:
        raise BlocksGone(expected)


def drill_finish(run_id: int) -> bool:
    """Combine the blocks into the results, once every block is in. True when this call finished the run.

    The blocks are streamed from the database one at a time and folded into fixed-size sketches, so the finishing
    process's memory does not grow with the number of blocks. Combining them also settles the extra liquidity needed
    (D16): each block stored its breaching paths' search brackets; only those that can still decide the figure are
    kept, and only the paths that decide it are re-simulated here. Once the run is finished its blocks' numbers are
    emptied (the run's ``results`` hold everything reported; the rows stay, naming the worker of each block).
    """
    run = DrillRun.objects.filter(pk=run_id).only("company_id", "status", "blocks_total", "snapshot").first()
    if run is None or run.status != DrillStatus.RUNNING or missing_blocks(run):
        return False
    inputs = DrillInputs.from_dict(run.snapshot)
    try:
        combined = engine.combine(stored_blocks(run_id, run.blocks_total), inputs)
    except BlocksGone:
        return False
    finished = _succeed(run_id, run.company_id, combined)
    if finished:
        DrillBlock.objects.filter(run_id=run_id).update(payload=None, result=None)
        # Every finished drill re-evaluates the warnings: they raise (once) or resolve the failed-drill alert of its
        # schedule or scenario, follow the runway, and mail who asked for it.
        enqueue_evaluation(run.company_id)
    return bool(finished)


def _succeed(run_id: int, company_id: int, combined: engine.DrillResult) -> bool:
    """Store the results of a running run and mark it succeeded (one conditional UPDATE: whoever gets there first)."""
    result = json.loads(json.dumps(combined.to_dict(), default=float))
    finished = DrillRun.objects.filter(pk=run_id, status=DrillStatus.RUNNING).update(
        status=DrillStatus.SUCCEEDED, progress=100, results=result, passed_policy=passes_policy(result),
        finished_at=timezone.now(),
    )  # fmt: skip
    if finished:
        company_changed(company_id)
    return bool(finished)


def drill_fail(run_id: int, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}"
    logger.exception("Drill %s failed", run_id, exc_info=error)
    DrillRun.objects.filter(pk=run_id, status__in=[DrillStatus.QUEUED, DrillStatus.RUNNING]).update(
        status=DrillStatus.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    run = DrillRun.objects.filter(pk=run_id).first()
    if run is not None:
        company_changed(run.company_id)
        enqueue_evaluation(run.company_id)


def drill_run_here(run: DrillRun) -> None:
    """Simulate every missing block of a claimed run in this process, then finish it."""
    for index in missing_blocks(run):
        block_execute(run.pk, index)
    drill_finish(run.pk)


def passes_policy(result: dict) -> bool:
    """True only when the engine's verdict is ``met`` (DESIGN "The policy verdict"; the company's horizon, buffer and
    target entered the snapshot): not_met, inconclusive and not_tested all leave it False."""
    return DrillReport.from_results(result).passed is True


def _worker_name() -> str:
    from celery import current_task

    request = getattr(current_task, "request", None)
    return (getattr(request, "hostname", None) or socket.gethostname())[:200]


# -- schedules ---------------------------------------------------------------------------------------------------


def _crontab(cron: str, timezone_name: str) -> CrontabSchedule:
    parts = cron.split()
    if len(parts) != 5:
        raise ValidationError({"cron": _("Five fields: minute hour day-of-month month day-of-week.")})
    minute, hour, day_of_month, month_of_year, day_of_week = parts
    try:
        crontab(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
        )
    except (ValueError, TypeError) as exc:
        raise ValidationError({"cron": _("Not a valid cron expression: %(error)s") % {"error": exc}}) from exc
    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=timezone_name,
    )
    return schedule


@transaction.atomic
def schedule_save(*, company: Company, by, schedule: DrillSchedule | None = None, **fields) -> DrillSchedule:
    """Create or edit a drill schedule and keep its django-celery-beat periodic task in step."""
    schedule = schedule or DrillSchedule(company=company)
    for name, value in fields.items():
        setattr(schedule, name, value)
    if schedule.scenario_id and schedule.scenario.company_id != company.pk:
        raise ValidationError({"scenario": _("Unknown scenario.")})
    if schedule.plan_id and schedule.plan.company_id != company.pk:
        raise ValidationError({"plan": _("Unknown plan.")})
    schedule.full_clean()
    crontab_schedule = _crontab(schedule.cron, schedule.timezone)
    schedule.save()
    task = schedule.periodic_task or PeriodicTask(name=f"drill-schedule-{schedule.pk}")
    task.task = "contingency.tasks.scheduled_drill_task"
    task.crontab = crontab_schedule
    task.args = json.dumps([schedule.pk])
    task.enabled = schedule.enabled
    task.save()
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task"])
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: DrillSchedule, by) -> None:
    if schedule.periodic_task_id:
        PeriodicTask.objects.filter(pk=schedule.periodic_task_id).delete()
    schedule.delete()


def scheduled_drill_start(schedule_id: int, published_at: datetime | None = None) -> DrillRun | None:
    """Start the schedule's run for the cron tick at or before `published_at` (when beat sent it; now by default).

    One run per schedule and tick (a unique constraint): a redelivered or re-sent beat message starts nothing."""
    schedule = DrillSchedule.objects.select_related("company", "scenario", "plan").filter(pk=schedule_id).first()
    if schedule is None or not schedule.enabled:
        return None
    tick = dispatch.schedule_tick(schedule.cron, schedule.timezone, published_at or timezone.now())
    if DrillRun.objects.filter(schedule=schedule, schedule_tick=tick).exists():
        logger.info("Schedule %s: the run for %s exists already", schedule_id, tick.isoformat())
        return None
    try:
        return drill_start(
            company=schedule.company, scenario=schedule.scenario, plan=schedule.plan, schedule=schedule,
            schedule_tick=tick,
        )  # fmt: skip
    except IntegrityError:
        return None  # a concurrent delivery of the same tick stored it first


def schedule_run_now(*, schedule: DrillSchedule, by, request_key: str) -> DrillRun:
    """Start the schedule's drill now for a member ("run now"), as its beat tick does, recorded as theirs.

    `request_key` names one press of the button: pressed twice, or the form sent again, it starts one drill and
    answers with it both times."""
    earlier = DrillRun.objects.filter(schedule=schedule, request_key=request_key).first()
    if earlier is not None:
        return earlier
    try:
        return drill_start(
            company=schedule.company, scenario=schedule.scenario, plan=schedule.plan, schedule=schedule, by=by,
            request_key=request_key,
        )  # fmt: skip
    except IntegrityError as exc:
        earlier = DrillRun.objects.filter(schedule=schedule, request_key=request_key).first()
        if earlier is None:
            raise ValidationError({"request_key": _("This request was used already.")}) from exc
        return earlier  # the same press, sent twice at once: the other request stored it first


VERDICT_TEXT = {
    "met": "met",
    "not_met": "NOT met",
    "inconclusive": "inconclusive (the confidence interval contains the target)",
    "not_tested": "not tested (the drill is shorter than the policy horizon)",
}


def summary_text(run: DrillRun) -> str:
    """A readable summary of a finished run, for the command line and e-mails."""
    r = report_of(run)
    p = r.policy
    lines = [f"Drill #{run.pk}: {run.scenario.name}" + (f" with plan {run.plan.name}" if run.plan else "")]
    lines.append(f"  horizon {r.horizon_days} days, {r.paths} path(s), seed {r.seed}")
    if not r.many:
        lines.append(
            "  survives the horizon" if r.runway is None else f"  runway {r.runway} days (shortfall on day {r.runway})"
        )
    else:
        target = f"{p.target_survival_probability:.0%}" if p.target_survival_probability is not None else "target"
        runway = "survives the horizon" if r.runway is None else f"{r.runway} days"
        lines.append(
            f"  survival probability {r.survival_probability or 0:.2%}; runway at {target} confidence {runway}"
            + (f" ({r.shortfall_paths} paths fall short)" if r.shortfall_paths else "")
        )
    lines += [
        f"  minimum liquidity {_amount(r.min_liquidity)} on day {r.min_liquidity_day}",
        f"  liquidity at risk 95% {_amount(r.liquidity_at_risk_95)}, 99% {_amount(r.liquidity_at_risk_99)}",
        f"  extra liquidity needed {_amount(r.extra_liquidity_needed)}",
        f"  contingency used {_amount(r.contingency_used)}",
        f"  policy: {VERDICT_TEXT.get(p.verdict or '', 'not judged')}" + _policy_detail(r),
    ]
    return "\n".join(lines)


def _amount(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _policy_detail(r: DrillReport) -> str:
    p = r.policy
    parts = []
    if p.horizon_days is not None:
        parts.append(f"{p.horizon_days}-day policy horizon")
    if r.many and p.probability is not None and p.ci_low is not None and p.ci_high is not None:
        parts.append(
            f"{p.probability:.2%} of paths keep the buffer, SE {p.standard_error or 0:.2%},"
            f" 95% CI {p.ci_low:.2%}-{p.ci_high:.2%}"
        )
    if p.paths_to_decide:
        parts.append(f"about {p.paths_to_decide:,} paths would decide it")
    if p.buffer_breach_day is not None:
        parts.append(("median " if r.many else "") + f"first buffer breach on day {p.buffer_breach_day}")
    return f" ({'; '.join(parts)})" if parts else ""
