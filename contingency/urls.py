"""Pages of the contingency app: pools, forecast, plans, scenarios, drills, schedules, alerts, import.

Names by the one convention (`<model>-list`, `-detail`, `-add`, `-edit`, `-delete`, from each view's `url_base`
through `object_paths`); a page that acts on an object is `<model>-<action>`.
"""

from django.urls import path

from financeplanner.views.generic import object_action_path, object_paths

from .views import alerts, cashflows, corrections, drills, imports, plans, pools, scenarios, schedules, settings

app_name = "contingency"

urlpatterns = [
    *object_paths("pools/", pools.PoolListView, pools.PoolFormView, pools.PoolDetailView),
    *object_paths("pools/", corrections.PoolDeleteView),
    object_action_path("pools/", corrections.PoolArchiveView, "archive"),
    object_action_path("pools/", corrections.PoolRestoreView, "restore"),
    *object_paths("cash-flows/", cashflows.CashFlowListView, cashflows.CashFlowFormView),
    *object_paths("cash-flows/", corrections.CashFlowDeleteView),
    *object_paths("plans/", plans.PlanListView, plans.PlanFormView, plans.PlanDetailView),
    *object_paths("plans/", corrections.PlanDeleteView),
    object_action_path("plans/", corrections.PlanArchiveView, "archive"),
    object_action_path("plans/", corrections.PlanRestoreView, "restore"),
    path("plans/<int:pk>/approve/", plans.PlanApproveView.as_view(), name="plan-approve"),
    *object_paths("scenarios/", scenarios.ScenarioListView, scenarios.ScenarioFormView, scenarios.ScenarioDetailView),
    *object_paths("scenarios/", corrections.ScenarioDeleteView),
    object_action_path("scenarios/", corrections.ScenarioArchiveView, "archive"),
    object_action_path("scenarios/", corrections.ScenarioRestoreView, "restore"),
    *object_paths("drills/", drills.DrillListView),
    path("drills/start/", drills.DrillStartView.as_view(), name="drill-add"),
    path("drills/compare/", drills.DrillCompareView.as_view(), name="drill-compare"),
    *object_paths("drills/", drills.DrillDetailView),
    path("drills/<int:pk>/progress/", drills.DrillProgressView.as_view(), name="drill-progress"),
    path("drills/<int:pk>/checklist/<int:item_pk>/", drills.ChecklistRecordView.as_view(), name="checklist-record"),
    *object_paths(
        "schedules/",
        schedules.ScheduleListView,
        schedules.ScheduleFormView,
        schedules.ScheduleDeleteView,
        schedules.ScheduleDetailView,
    ),  # fmt: skip
    path("schedules/<int:pk>/run/", schedules.ScheduleRunView.as_view(), name="schedule-run"),
    *object_paths("alerts/", alerts.AlertListView),
    path("alerts/<int:pk>/acknowledge/", alerts.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
    path("import/", imports.ImportView.as_view(), name="import-add"),
    *object_paths("import/jobs/", imports.ImportJobView),
    # The early-warning settings, under the core's settings/ pages.
    path("settings/warnings/", settings.ThresholdListView.as_view(), name="threshold-list"),
    path("settings/warnings/edit/", settings.ThresholdEditView.as_view(), name="threshold-edit"),
    path("settings/alert-emails/", settings.AlertEmailsView.as_view(), name="alert-emails"),
    *object_paths("settings/webhooks/", settings.WebhookListView, settings.WebhookFormView, settings.WebhookDeleteView),
    *object_paths("settings/robots/", settings.RobotListView, settings.RobotFormView, settings.RobotDeleteView),
]
