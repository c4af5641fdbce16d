from rest_framework import serializers

from channels_app.models import FundingChannel
from financeplanner.api.base import CompanyScopedRelatedField
from financeplanner.api.serializers import ValidatedModelSerializer
from financeplanner.validators import MAX_ITEMS_PER_REQUEST

from ..models import CashFlowLine, ContingencyPlan, LiquidityPool, PlanStep, Scenario, Shock


class LiquidityPoolSerializer(ValidatedModelSerializer):
    channel = CompanyScopedRelatedField(queryset=FundingChannel.objects.all(), allow_null=True, required=False)

    class Meta:
        model = LiquidityPool
        fields = [
            "id", "name", "kind", "currency", "amount", "haircut", "days_to_cash", "channel", "updated_at", "archived_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at", "archived_at"]


class CashFlowLineSerializer(ValidatedModelSerializer):
    class Meta:
        model = CashFlowLine
        fields = [
            "id", "name", "category", "amount", "currency", "start_date", "end_date", "frequency", "discretionary",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]


class PlanStepSerializer(ValidatedModelSerializer):
    pool = CompanyScopedRelatedField(queryset=LiquidityPool.objects.all(), allow_null=True, required=False)

    class Meta:
        model = PlanStep
        fields = ["order", "action", "pool", "amount", "lead_time_days", "cost_rate", "success_probability"]


class ContingencyPlanSerializer(ValidatedModelSerializer):
    steps = PlanStepSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_REQUEST)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ContingencyPlan
        fields = [
            "id", "name", "description", "status", "trigger", "threshold", "steps", "approved_by", "approved_at",
            "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = ["status", "approved_by", "approved_at", "updated_at", "version"]


class PlanApprovalSerializer(serializers.Serializer):
    """What an approval may say: an optional comment, recorded on the approved version."""

    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ShockSerializer(ValidatedModelSerializer):
    class Meta:
        model = Shock
        fields = ["target_type", "target", "action", "day", "reduce_by", "freeze_days", "notches"]


class ScenarioSerializer(ValidatedModelSerializer):
    shocks = ShockSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_REQUEST)

    class Meta:
        model = Scenario
        fields = [
            "id", "name", "description", "kind", "as_of", "horizon_days", "paths", "seed", "own_downgrade_notches",
            "market_stress", "hazard_multiplier", "operating_volatility", "shocks", "updated_at", "archived_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at", "archived_at"]
