from decimal import Decimal

from rest_framework import serializers

from ..choices import Role
from ..models import Company, FxRate, Invitation, Membership


class CompanySerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = [
            "id", "slug", "name", "reporting_currency", "survival_horizon_days", "min_cash_buffer",
            "target_survival_probability", "credit_uncommitted_under_stress",
            "domestic_notch_offset", "role", "updated_at",
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
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["username", "role", "notify_on_failed_drill"]
        read_only_fields = ["notify_on_failed_drill"]


class MemberInviteSerializer(serializers.Serializer):
    """An admin's invitation; answered the same whether or not the username exists (no enumeration)."""

    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)
    detail = serializers.CharField(read_only=True)


class InvitationSerializer(serializers.ModelSerializer):
    company = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "company", "company_name", "role", "invited_by", "status", "created_at", "responded_at"]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "as_of", "rate", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"rate": {"min_value": Decimal("0.00000001")}}
