"""Drill runs, their stored blocks, drill schedules and a live drill's checklist."""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from financeplanner.constraints import UniqueNameConstraint
from financeplanner.tenancy import TenantModel, TenantQuerySet

from ..choices import ChecklistOutcome, DrillStatus
from .plans import ContingencyPlan, Scenario


class DrillRun(TenantModel):
    """One execution of a scenario against a plan, with the exact inputs it simulated and its results."""

    scenario = models.ForeignKey(Scenario, verbose_name=_("Scenario"), on_delete=models.PROTECT, related_name="runs")
    plan = models.ForeignKey(
        ContingencyPlan,
        verbose_name=_("Contingency plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
    )
    schedule = models.ForeignKey(
        "DrillSchedule",
        verbose_name=_("Drill schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    paths = models.PositiveIntegerField(
        verbose_name=_("Paths"),
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("Paths simulated (1 for a deterministic drill)"),
    )
    seed = models.PositiveBigIntegerField(
        verbose_name=_("Seed"), help_text=_("The random seed: the same seed gives the same numbers")
    )
    status = models.CharField(
        verbose_name=_("Status"), max_length=10, choices=DrillStatus.choices, default=DrillStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        verbose_name=_("Progress"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Share of the blocks simulated, in percent"),
    )
    blocks_total = models.PositiveIntegerField(verbose_name=_("Blocks in all"), default=0)
    snapshot = models.JSONField(
        verbose_name=_("Engine inputs"), default=dict, blank=True, help_text=_("The exact engine inputs simulated")
    )
    results = models.JSONField(
        verbose_name=_("Results"), null=True, blank=True, help_text=_("What the drill found, once it has finished")
    )
    error = models.TextField(verbose_name=_("Error"), blank=True, help_text=_("Why the drill failed"))
    passed_policy = models.BooleanField(
        verbose_name=_("Met the policy"),
        null=True,
        blank=True,
        help_text=_("Whether the company's liquidity policy was met; empty: not decided"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(verbose_name=_("Started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("Finished at"), null=True, blank=True)
    schedule_tick = models.DateTimeField(
        verbose_name=_("Schedule tick"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The cron time a scheduled run was started for"),
    )
    blocks_dispatched = models.PositiveIntegerField(
        verbose_name=_("Blocks dispatched"),
        default=0,
        editable=False,
        help_text=_("Blocks handed to the workers so far (a window at a time)"),
    )

    class Meta:
        verbose_name = _("drill run")
        verbose_name_plural = _("drill runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "schedule_tick"], name="drillrun_one_per_schedule_tick")
        ]

    @property
    def as_of(self) -> date | None:
        """Day 0 of the run: the date stored in its snapshot (a scenario without one runs as of the run date)."""
        value = (self.snapshot or {}).get("scenario", {}).get("as_of")
        return date.fromisoformat(value) if value else self.scenario.as_of

    def __str__(self) -> str:
        return f"Drill #{self.pk} {self.scenario} ({self.status})"


class DrillBlock(models.Model):
    """The result of one block of Monte Carlo paths, stored so any worker can combine the run.

    ``payload`` is the block in its compact binary form (``BlockResult.to_bytes``); ``result`` the JSON of blocks
    stored by older versions. Both are emptied once the run is finished (its ``results`` hold what is reported); the
    row stays, saying which worker simulated the block."""

    run = models.ForeignKey(DrillRun, verbose_name=_("Drill run"), on_delete=models.CASCADE, related_name="blocks")
    index = models.PositiveIntegerField(
        verbose_name=_("Index"), help_text=_("The block's place in the run (its paths and seed follow from it)")
    )
    payload = models.BinaryField(verbose_name=_("Packed result"), null=True, blank=True)
    result = models.JSONField(verbose_name=_("Result"), null=True, blank=True)
    worker = models.CharField(
        verbose_name=_("Worker"), max_length=200, blank=True, help_text=_("The Celery worker that simulated the block")
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("drill block")
        verbose_name_plural = _("drill blocks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="drillblock_unique_index")]

    def __str__(self) -> str:
        return f"Drill #{self.run_id} block {self.index}"


class DrillSchedule(TenantModel):
    """A scenario and plan drilled periodically (cron), alerting when the company's policy is not met."""

    name = models.CharField(verbose_name=_("Name"), max_length=200)
    scenario = models.ForeignKey(
        Scenario, verbose_name=_("Scenario"), on_delete=models.CASCADE, related_name="schedules"
    )
    plan = models.ForeignKey(
        ContingencyPlan,
        verbose_name=_("Contingency plan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    cron = models.CharField(
        verbose_name=_("When (cron)"),
        max_length=100,
        default="0 6 * * 1",
        help_text=_('minute hour day-of-month month day-of-week: "0 6 * * 1" is Mondays at 06:00'),
    )
    enabled = models.BooleanField(verbose_name=_("Enabled"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        verbose_name=_("Periodic task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
    )

    class Meta:
        verbose_name = _("drill schedule")
        verbose_name_plural = _("drill schedules")
        ordering = ["name"]
        constraints = [
            UniqueNameConstraint(
                Lower("name"),
                "company",
                name="schedule_unique_name",
                violation_error_message=_("There is already a schedule called %(name)s."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """A live-drill task — test draw on a backup line, contacts confirmed, documents in place — and its outcome."""

    run = models.ForeignKey(DrillRun, verbose_name=_("Drill run"), on_delete=models.CASCADE, related_name="checklist")
    order = models.PositiveIntegerField(verbose_name=_("Order"))
    title = models.CharField(verbose_name=_("Title"), max_length=300)
    outcome = models.CharField(
        verbose_name=_("Outcome"), max_length=10, choices=ChecklistOutcome.choices, default=ChecklistOutcome.PENDING
    )
    done_at = models.DateTimeField(verbose_name=_("Done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    minutes_taken = models.PositiveIntegerField(
        verbose_name=_("Minutes taken"), null=True, blank=True, help_text=_("How long the task took in the live drill")
    )
    notes = models.TextField(verbose_name=_("Notes"), blank=True, max_length=5000)

    company_lookup = "run__company"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["run", "order"]
        constraints = [models.UniqueConstraint(fields=["run", "order"], name="checklist_unique_order")]

    def __str__(self) -> str:
        return self.title
