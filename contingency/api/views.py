from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from financeplanner.api.base import CompanyScopedViewSet
from financeplanner.api.corrections import ArchiveActionsMixin, DeleteThroughServiceMixin
from financeplanner.choices import Role

from .. import services
from ..filtersets import CashFlowLineFilterSet, ContingencyPlanFilterSet, LiquidityPoolFilterSet, ScenarioFilterSet
from ..models import CashFlowLine, ContingencyPlan, LiquidityPool, Scenario
from .serializers import (
    CashFlowLineSerializer,
    ContingencyPlanSerializer,
    LiquidityPoolSerializer,
    PlanApprovalSerializer,
    ScenarioSerializer,
)


class LiquidityPoolViewSet(ArchiveActionsMixin, CompanyScopedViewSet):
    queryset = LiquidityPool.objects.all()
    corrections = {"delete": services.pool_delete, "archive": services.pool_archive, "restore": services.pool_restore}
    correction_subject = "pool"
    serializer_class = LiquidityPoolSerializer
    filterset_class = LiquidityPoolFilterSet
    ordering_fields = ["name", "amount", "days_to_cash", "updated_at"]


class CashFlowLineViewSet(DeleteThroughServiceMixin, CompanyScopedViewSet):
    queryset = CashFlowLine.objects.all()
    corrections = {"delete": services.cashflow_delete}
    correction_subject = "line"
    serializer_class = CashFlowLineSerializer
    filterset_class = CashFlowLineFilterSet
    ordering_fields = ["start_date", "amount", "name", "updated_at"]


class ContingencyPlanViewSet(ArchiveActionsMixin, CompanyScopedViewSet):
    """Contingency plans with their ranked steps. A treasurer approves; editing an approved plan makes it a draft."""

    queryset = ContingencyPlan.objects.select_related("approved_by").prefetch_related("steps")
    serializer_class = ContingencyPlanSerializer
    filterset_class = ContingencyPlanFilterSet
    ordering_fields = ["name", "updated_at"]
    action_roles = {"approve": Role.TREASURER}
    corrections = {"delete": services.plan_delete, "archive": services.plan_archive, "restore": services.plan_restore}
    correction_subject = "plan"

    def perform_create(self, serializer):
        serializer.instance = services.plan_save(
            company=self.request.company, by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.plan_save(
            company=self.request.company, by=self.request.user, plan=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=PlanApprovalSerializer, responses=ContingencyPlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the plan's current version (four-eyes: not by whoever saved a change since the last approval)."""
        approval = PlanApprovalSerializer(data=request.data)
        approval.is_valid(raise_exception=True)
        plan = services.plan_approve(
            plan=self.get_object(), by=request.user, comment=approval.validated_data["comment"]
        )
        return Response(self.get_serializer(plan).data)


class ScenarioViewSet(ArchiveActionsMixin, CompanyScopedViewSet):
    queryset = Scenario.objects.prefetch_related("shocks")
    corrections = {
        "delete": services.scenario_delete,
        "archive": services.scenario_archive,
        "restore": services.scenario_restore,
    }
    correction_subject = "scenario"
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilterSet
    ordering_fields = ["name", "as_of", "updated_at"]

    def perform_create(self, serializer):
        serializer.instance = services.scenario_save(
            company=self.request.company, by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.scenario_save(
            company=self.request.company,
            by=self.request.user,
            scenario=serializer.instance,
            **serializer.validated_data,
        )
