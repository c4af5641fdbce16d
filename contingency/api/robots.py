"""`robots/`: the company's DingTalk and WeCom group robots and what was posted to them (admins only)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from financeplanner.api.base import CompanyScopedViewSet
from financeplanner.choices import Role

from ..early_warnings import robots
from ..models import AlertRobot, RobotDelivery


class AlertRobotSerializer(serializers.ModelSerializer):
    url = serializers.URLField(
        max_length=500, write_only=True,
        help_text="The robot's webhook address with its access_token (DingTalk) or key (WeCom). Write only.",
    )  # fmt: skip
    secret = serializers.CharField(
        max_length=200, write_only=True, required=False, allow_blank=True,
        help_text="DingTalk: the signing secret (SEC…) of a robot whose security setting is 'sign'. Write only.",
    )  # fmt: skip
    url_hint = serializers.SerializerMethodField(help_text="The address without its credential.")
    signed = serializers.SerializerMethodField(help_text="True when deliveries are signed (DingTalk with a secret).")

    class Meta:
        model = AlertRobot
        fields = ["id", "name", "kind", "url", "secret", "url_hint", "signed", "enabled", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_url_hint(self, robot: AlertRobot) -> str:
        return robots.url_hint(robot.url)

    def get_signed(self, robot: AlertRobot) -> bool:
        return robot.kind == AlertRobot.Kind.DINGTALK and bool(robot.secret)


class RobotDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = RobotDelivery
        fields = [
            "id", "event", "alert", "status", "attempts", "attempt_log", "response_status", "created_at",
            "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields


class AlertRobotViewSet(CompanyScopedViewSet):
    """DingTalk and WeCom group robots the company's alerts are posted to (admin). See early_warnings.robots."""

    queryset = AlertRobot.objects.all()
    serializer_class = AlertRobotSerializer
    filterset_fields = ["enabled", "kind"]
    action_roles = {name: Role.ADMIN for name in ("list", "retrieve", "deliveries", "ping")}
    write_role = Role.ADMIN

    def perform_create(self, serializer):
        serializer.instance = robots.robot_create(company=self.request.company, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = robots.robot_update(robot=serializer.instance, **serializer.validated_data)

    @extend_schema(responses=RobotDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """What was posted to this robot and how each attempt went, newest first (paginated)."""
        deliveries = self.get_object().deliveries.all()
        page = self.paginate_queryset(deliveries)
        if page is not None:
            return self.get_paginated_response(RobotDeliverySerializer(page, many=True).data)
        return Response(RobotDeliverySerializer(deliveries, many=True).data)

    @extend_schema(request=None, responses={202: RobotDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Post a test message to the group."""
        delivery = robots.robot_test(robot=self.get_object())
        return Response(RobotDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
