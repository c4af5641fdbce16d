from rest_framework import serializers

from channels_app.models import FundingChannel
from financeplanner.api.base import CompanyScopedRelatedField
from financeplanner.validators import MAX_ITEMS_PER_REQUEST

from ..models import CashFlowLine, ContingencyPlan, LiquidityPool, PlanStep, Scenario, Shock


class LiquidityPoolSerializer(serializers.ModelSerializer):
    channel = CompanyScopedRelatedField(queryset=FundingChannel.objects.all(), allow_null=True, required=False)

    class Meta:
        model = LiquidityPool
        fields = ["id", "name", "kind", "currency", "amount", "haircut", "days_to_cash", "channel", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"amount": {"min_value": 0}, "haircut": {"min_value": 0, "max_value": 1}}


class CashFlowLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CashFlowLine
        fields = [
            "id", "name", "category", "amount", "currency", "start_date", "end_date", "frequency", "discretionary",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date cannot be before the start date."})
        return attrs


class PlanStepSerializer(serializers.ModelSerializer):
    pool = CompanyScopedRelatedField(queryset=LiquidityPool.objects.all(), allow_null=True, required=False)

    class Meta:
        model = PlanStep
        fields = ["order", "action", "pool", "amount", "lead_time_days", "cost_rate", "success_probability"]
        extra_kwargs = {
            "amount": {"min_value": 0},
            "cost_rate": {"min_value": 0, "max_value": 1},
            "success_probability": {"min_value": 0, "max_value": 1},
        }


class ContingencyPlanSerializer(serializers.ModelSerializer):
    steps = PlanStepSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_REQUEST)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ContingencyPlan
        fields = [
            "id", "name", "description", "status", "trigger", "threshold", "steps", "approved_by", "approved_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "approved_by", "approved_at", "updated_at"]

    def validate(self, attrs):
        trigger = attrs.get("trigger", getattr(self.instance, "trigger", None))
        threshold = attrs.get("threshold", getattr(self.instance, "threshold", None))
        if trigger == "below_threshold" and threshold is None:
            raise serializers.ValidationError({"threshold": "A plan triggered below a threshold needs the threshold."})
        return attrs


class ShockSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shock
        fields = ["target_type", "target", "action", "day", "reduce_by", "freeze_days", "notches"]
        extra_kwargs = {"reduce_by": {"min_value": 0, "max_value": 1}}


class ScenarioSerializer(serializers.ModelSerializer):
    shocks = ShockSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_REQUEST)

    class Meta:
        model = Scenario
        fields = [
            "id", "name", "description", "kind", "as_of", "horizon_days", "paths", "seed", "own_downgrade_notches",
            "market_stress", "hazard_multiplier", "operating_volatility", "shocks", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]
