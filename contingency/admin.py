from django.contrib import admin

from .models import (
    Alert,
    AlertRobot,
    CashFlowLine,
    ChecklistItem,
    ContingencyPlan,
    DrillRun,
    DrillSchedule,
    LiquidityPool,
    PlanStep,
    Scenario,
    Shock,
)


@admin.register(LiquidityPool)
class LiquidityPoolAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "amount", "haircut", "days_to_cash", "channel"]
    list_select_related = ["company", "channel"]
    list_filter = ["kind"]


@admin.register(CashFlowLine)
class CashFlowLineAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "category", "amount", "frequency", "start_date", "end_date", "discretionary"]
    list_select_related = ["company"]
    list_filter = ["frequency", "discretionary"]


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 0


@admin.register(ContingencyPlan)
class ContingencyPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "status", "trigger", "approved_by", "approved_at"]
    list_select_related = ["company", "approved_by"]
    inlines = [PlanStepInline]


class ShockInline(admin.TabularInline):
    model = Shock
    extra = 0


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "as_of", "horizon_days", "paths"]
    list_select_related = ["company"]
    inlines = [ShockInline]


class ChecklistInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0


@admin.register(DrillRun)
class DrillRunAdmin(admin.ModelAdmin):
    list_display = ["id", "company", "scenario", "plan", "status", "progress", "paths", "created_at"]
    list_select_related = ["company", "scenario", "plan"]
    list_filter = ["status"]
    readonly_fields = ["snapshot", "results", "error"]
    inlines = [ChecklistInline]


@admin.register(DrillSchedule)
class DrillScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "scenario", "plan", "cron", "enabled"]
    list_select_related = ["company", "scenario", "plan"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["indicator", "company", "severity", "value", "created_at", "acknowledged_at", "resolved_at"]
    list_select_related = ["company"]
    list_filter = ["severity", "indicator"]


@admin.register(AlertRobot)
class AlertRobotAdmin(admin.ModelAdmin):
    """DingTalk / WeCom group robots of each company (their address and secret are credentials: not listed)."""

    list_display = ["name", "company", "kind", "enabled", "updated_at"]
    list_select_related = ["company"]
    list_filter = ["kind", "enabled"]
