from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from ..choices import Role
from ..models import Company, FxRate, Membership


class CompanySerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = [
            "id", "slug", "name", "reporting_currency", "survival_horizon_days", "min_cash_buffer",
            "target_survival_probability", "role", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            "min_cash_buffer": {"min_value": 0},
            "target_survival_probability": {"min_value": 0, "max_value": 1},
        }

    def get_role(self, company: Company) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(company.pk)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.SlugRelatedField(
        source="user", slug_field="username", queryset=get_user_model().objects.all()
    )
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["username", "role", "notify_on_failed_drill"]


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "as_of", "rate", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"rate": {"min_value": Decimal("0.00000001")}}
