"""Pages of the contingency app: pools, forecast, plans, scenarios, drills, schedules, alerts, import."""

from django.urls import path

from . import views

app_name = "contingency"

urlpatterns = [
    path("pools/", views.PoolListView.as_view(), name="pool-list"),
    path("pools/add/", views.PoolFormView.as_view(), name="pool-add"),
    path("pools/<int:pk>/", views.PoolDetailView.as_view(), name="pool-detail"),
    path("pools/<int:pk>/edit/", views.PoolFormView.as_view(), name="pool-edit"),
    path("cash-flows/", views.CashFlowListView.as_view(), name="cashflow-list"),
    path("cash-flows/add/", views.CashFlowFormView.as_view(), name="cashflow-add"),
    path("cash-flows/<int:pk>/edit/", views.CashFlowFormView.as_view(), name="cashflow-edit"),
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/add/", views.PlanFormView.as_view(), name="plan-add"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/edit/", views.PlanFormView.as_view(), name="plan-edit"),
    path("plans/<int:pk>/approve/", views.PlanApproveView.as_view(), name="plan-approve"),
    path("scenarios/", views.ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/add/", views.ScenarioFormView.as_view(), name="scenario-add"),
    path("scenarios/<int:pk>/", views.ScenarioDetailView.as_view(), name="scenario-detail"),
    path("scenarios/<int:pk>/edit/", views.ScenarioFormView.as_view(), name="scenario-edit"),
    path("drills/", views.DrillListView.as_view(), name="drill-list"),
    path("drills/start/", views.DrillStartView.as_view(), name="drill-start"),
    path("drills/compare/", views.DrillCompareView.as_view(), name="drill-compare"),
    path("drills/<int:pk>/", views.DrillDetailView.as_view(), name="drill-detail"),
    path("drills/<int:pk>/progress/", views.DrillProgressView.as_view(), name="drill-progress"),
    path("drills/<int:pk>/checklist/<int:item_pk>/", views.ChecklistRecordView.as_view(), name="checklist-record"),
    path("schedules/", views.ScheduleListView.as_view(), name="schedule-list"),
    path("schedules/add/", views.ScheduleFormView.as_view(), name="schedule-add"),
    path("schedules/<int:pk>/edit/", views.ScheduleFormView.as_view(), name="schedule-edit"),
    path("schedules/<int:pk>/delete/", views.ScheduleDeleteView.as_view(), name="schedule-delete"),
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/<int:pk>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/jobs/<int:pk>/", views.ImportJobView.as_view(), name="import-job"),
]
