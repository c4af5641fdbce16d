from decimal import Decimal

from rest_framework import serializers

from financeplanner.api.base import CompanyScopedRelatedField
from financeplanner.api.serializers import ValidatedModelSerializer
from financeplanner.validators import MAX_ITEMS_PER_REQUEST, validate_treasury_date

from ..models import ChannelEvent, Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger


class CounterpartySerializer(ValidatedModelSerializer):
    class Meta:
        model = Counterparty
        fields = ["id", "name", "kind", "country", "notes", "updated_at", "archived_at"]
        read_only_fields = ["updated_at", "archived_at"]

    def validate_country(self, value: str) -> str:
        return value.upper()  # the code itself is checked by the model's validator


class CreditAssessmentSerializer(ValidatedModelSerializer):
    counterparty = CompanyScopedRelatedField(queryset=Counterparty.objects.all(), allow_null=True, required=False)
    rating = serializers.CharField(max_length=5, required=False, allow_blank=True)
    pd_1y = serializers.DecimalField(max_digits=7, decimal_places=6, min_value=0, max_value=1, required=False)

    class Meta:
        model = CreditAssessment
        fields = [
            "id", "counterparty", "as_of", "source", "agency", "agency_grade", "rating", "score", "pd_1y",
            "outlook", "inputs", "note", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]


class LenderTriggerSerializer(ValidatedModelSerializer):
    class Meta:
        model = LenderTrigger
        fields = [
            "kind", "action", "rating", "scale", "level", "days", "count", "window_days", "grace_days", "reduce_by",
            "freeze_days",
        ]  # fmt: skip


class FundingChannelSerializer(ValidatedModelSerializer):
    counterparty = CompanyScopedRelatedField(queryset=Counterparty.objects.all())
    headroom = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    triggers = LenderTriggerSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_REQUEST)

    class Meta:
        model = FundingChannel
        fields = [
            "id", "name", "counterparty", "channel_type", "currency", "limit", "drawn", "headroom", "committed",
            "status", "rate_type", "base_rate", "spread", "annual_rate", "fee_rate", "day_count", "start_date",
            "maturity_date", "repayment_profile", "payment_frequency", "rolls_over", "notice_days",
            "action_probability", "excess_due", "excess_due_date", "triggers", "notes", "updated_at", "archived_at",
        ]  # fmt: skip
        read_only_fields = ["drawn", "status", "excess_due", "excess_due_date", "updated_at", "archived_at"]


class MoneyMovementSerializer(serializers.Serializer):
    """A draw or a repayment on a channel."""

    amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
    date = serializers.DateField(validators=[validate_treasury_date])
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChannelEventSerializer(ValidatedModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ChannelEvent
        fields = [
            "id", "channel", "kind", "date", "new_limit", "freeze_days", "reason", "old_limit", "old_status",
            "new_status", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["channel", "old_limit", "old_status", "new_status", "created_by", "created_at"]
        extra_kwargs = {"new_limit": {"required": False}}


class LedgerEntrySerializer(ValidatedModelSerializer):
    channel = CompanyScopedRelatedField(queryset=FundingChannel.objects.all())
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "channel", "date", "kind", "amount", "reference", "created_by", "updated_at", "reverses"]
        read_only_fields = ["created_by", "updated_at", "reverses"]


class ScheduleRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    interest = serializers.DecimalField(max_digits=20, decimal_places=2)
    principal = serializers.DecimalField(max_digits=20, decimal_places=2)
    payment = serializers.DecimalField(max_digits=20, decimal_places=2)
    balance = serializers.DecimalField(max_digits=20, decimal_places=2)


class SchedulePreviewSerializer(serializers.Serializer):
    principal = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
    annual_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=0, max_value=10)
    start_date = serializers.DateField(validators=[validate_treasury_date])
    maturity_date = serializers.DateField(validators=[validate_treasury_date])
    frequency = serializers.ChoiceField(choices=["monthly", "quarterly", "semiannual", "annual"])
    profile = serializers.ChoiceField(choices=["bullet", "linear", "annuity"])
    day_count = serializers.ChoiceField(choices=["ACT/360", "ACT/365F", "30/360"])

    def validate(self, attrs):
        if attrs["maturity_date"] <= attrs["start_date"]:
            raise serializers.ValidationError({"maturity_date": "The maturity date must be after the start date."})
        if (attrs["maturity_date"] - attrs["start_date"]).days > 366 * 50:
            raise serializers.ValidationError({"maturity_date": "Schedules are limited to 50 years."})
        return attrs
