"""Pages of the contingency app: pools, forecast, plans, scenarios, drills, schedules, alerts, import."""

from django.urls import path

from .views import alerts, cashflows, drills, imports, plans, pools, scenarios, schedules

app_name = "contingency"

urlpatterns = [
    path("pools/", pools.PoolListView.as_view(), name="pool-list"),
    path("pools/add/", pools.PoolFormView.as_view(), name="pool-add"),
    path("pools/<int:pk>/", pools.PoolDetailView.as_view(), name="pool-detail"),
    path("pools/<int:pk>/edit/", pools.PoolFormView.as_view(), name="pool-edit"),
    path("cash-flows/", cashflows.CashFlowListView.as_view(), name="cashflow-list"),
    path("cash-flows/add/", cashflows.CashFlowFormView.as_view(), name="cashflow-add"),
    path("cash-flows/<int:pk>/edit/", cashflows.CashFlowFormView.as_view(), name="cashflow-edit"),
    path("plans/", plans.PlanListView.as_view(), name="plan-list"),
    path("plans/add/", plans.PlanFormView.as_view(), name="plan-add"),
    path("plans/<int:pk>/", plans.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/edit/", plans.PlanFormView.as_view(), name="plan-edit"),
    path("plans/<int:pk>/approve/", plans.PlanApproveView.as_view(), name="plan-approve"),
    path("scenarios/", scenarios.ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/add/", scenarios.ScenarioFormView.as_view(), name="scenario-add"),
    path("scenarios/<int:pk>/", scenarios.ScenarioDetailView.as_view(), name="scenario-detail"),
    path("scenarios/<int:pk>/edit/", scenarios.ScenarioFormView.as_view(), name="scenario-edit"),
    path("drills/", drills.DrillListView.as_view(), name="drill-list"),
    path("drills/start/", drills.DrillStartView.as_view(), name="drill-start"),
    path("drills/compare/", drills.DrillCompareView.as_view(), name="drill-compare"),
    path("drills/<int:pk>/", drills.DrillDetailView.as_view(), name="drill-detail"),
    path("drills/<int:pk>/progress/", drills.DrillProgressView.as_view(), name="drill-progress"),
    path("drills/<int:pk>/checklist/<int:item_pk>/", drills.ChecklistRecordView.as_view(), name="checklist-record"),
    path("schedules/", schedules.ScheduleListView.as_view(), name="schedule-list"),
    path("schedules/add/", schedules.ScheduleFormView.as_view(), name="schedule-add"),
    path("schedules/<int:pk>/edit/", schedules.ScheduleFormView.as_view(), name="schedule-edit"),
    path("schedules/<int:pk>/delete/", schedules.ScheduleDeleteView.as_view(), name="schedule-delete"),
    path("alerts/", alerts.AlertListView.as_view(), name="alert-list"),
    path("alerts/<int:pk>/acknowledge/", alerts.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
    path("import/", imports.ImportView.as_view(), name="import"),
    path("import/jobs/<int:pk>/", imports.ImportJobView.as_view(), name="import-job"),
]
