"""Every API route under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from channels_app.api import views as channels
from channels_app.api import watch as trigger_watch
from contingency.api import alerts, drills, robots
from contingency.api import views as contingency
from financeplanner.api import apikeys, exports, imports

from . import views

router = DefaultRouter()
router.register("companies", views.CompanyViewSet, basename="company")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("fx-rates", views.FxRateViewSet, basename="fxrate")
router.register("counterparties", channels.CounterpartyViewSet, basename="counterparty")
router.register("credit-assessments", channels.CreditAssessmentViewSet, basename="creditassessment")
router.register("channels", channels.FundingChannelViewSet, basename="channel")
router.register("ledger", channels.LedgerEntryViewSet, basename="ledgerentry")
router.register("pools", contingency.LiquidityPoolViewSet, basename="pool")
router.register("cash-flows", contingency.CashFlowLineViewSet, basename="cashflow")
router.register("plans", contingency.ContingencyPlanViewSet, basename="plan")
router.register("scenarios", contingency.ScenarioViewSet, basename="scenario")
router.register("drills", drills.DrillRunViewSet, basename="drill")
router.register("drill-schedules", drills.DrillScheduleViewSet, basename="drillschedule")
router.register("alerts", alerts.AlertViewSet, basename="alert")
router.register("warning-thresholds", alerts.WarningThresholdViewSet, basename="warningthreshold")
router.register("webhooks", alerts.WebhookViewSet, basename="webhook")
router.register("robots", robots.AlertRobotViewSet, basename="alertrobot")
router.register("api-keys", apikeys.ApiKeyViewSet, basename="apikey")
router.register("import-jobs", imports.ImportJobViewSet, basename="importjob")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/token/rotate/", views.TokenRotateView.as_view(), name="api-token-rotate"),
    path("schedules/preview/", channels.SchedulePreviewView.as_view(), name="schedule-preview"),
    path("trigger-watch/", trigger_watch.TriggerWatchView.as_view(), name="trigger-watch"),
    path("imports/<str:dataset>/", imports.ImportView.as_view(), name="import"),
    path("imports/<str:dataset>/template/", imports.ImportTemplateView.as_view(), name="import-template"),
    *exports.urlpatterns,
    *router.urls,
]
