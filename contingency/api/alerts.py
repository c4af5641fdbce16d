"""Early-warning API: alerts (read, acknowledge), the company's thresholds, and its webhooks with their deliveries."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from financeplanner.api.base import CompanyScopedMixin, CompanyScopedViewSet
from financeplanner.choices import Role

from ..early_warnings import alerts, indicators, notifications
from ..filtersets import AlertFilterSet
from ..models import Alert, WarningThreshold, Webhook, WebhookDelivery


class AlertSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id", "indicator", "key", "severity", "value", "message", "created_at", "acknowledged_at",
            "acknowledged_by", "resolved_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class AlertViewSet(CompanyScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Early-warning alerts: raised once per breach, resolved when the value recovers. Analysts acknowledge them.

    Read and acknowledge only: alerts are raised by the evaluation, never made, changed or deleted by hand.
    """

    queryset = Alert.objects.select_related("acknowledged_by")
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["created_at", "severity", "updated_at"]
    action_roles = {"acknowledge": Role.ANALYST}

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Say that someone is on it (analyst or above). Acknowledging again keeps the first acknowledgement."""
        alert = alerts.alert_acknowledge(alert=self.get_object(), by=request.user)
        return Response(self.get_serializer(alert).data)


class WarningThresholdSerializer(serializers.ModelSerializer):
    indicator = serializers.ChoiceField(choices=sorted(indicators.INDICATORS))
    default_amber = serializers.SerializerMethodField()
    default_red = serializers.SerializerMethodField()
    worse = serializers.SerializerMethodField()

    class Meta:
        model = WarningThreshold
        fields = ["id", "indicator", "amber", "red", "enabled", "default_amber", "default_red", "worse", "updated_at"]
        read_only_fields = ["updated_at"]

    def _definition(self, row: WarningThreshold) -> indicators.Indicator:
        return indicators.INDICATORS[row.indicator]

    def get_default_amber(self, row: WarningThreshold) -> str | None:
        level = self._definition(row).amber
        return None if level is None else format(level, "f")

    def get_default_red(self, row: WarningThreshold) -> str | None:
        level = self._definition(row).red
        return None if level is None else format(level, "f")

    def get_worse(self, row: WarningThreshold) -> str:
        """'higher' or 'lower': which way the value is worse."""
        return self._definition(row).worse


class WarningThresholdViewSet(CompanyScopedViewSet):
    """The company's own alert levels per indicator (treasurer); without a row the documented default applies."""

    queryset = WarningThreshold.objects.all()
    serializer_class = WarningThresholdSerializer
    filterset_fields = ["indicator", "enabled"]
    write_role = Role.TREASURER
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        row, data = serializer.instance, serializer.validated_data
        current = {"amber": row.amber, "red": row.red, "enabled": row.enabled} if row else {}
        serializer.instance = indicators.threshold_set(
            company=self.request.company,
            indicator=row.indicator if row else data["indicator"],  # a row stays about its indicator
            amber=data.get("amber", current.get("amber")),
            red=data.get("red", current.get("red")),
            enabled=data.get("enabled", current.get("enabled", True)),
        )


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "enabled", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class NewWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="HMAC-SHA256 key of the signature. Shown once.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event", "alert", "status", "attempts", "attempt_log", "response_status", "created_at",
            "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(create=extend_schema(responses={201: NewWebhookSerializer}))
class WebhookViewSet(CompanyScopedViewSet):
    """Where the company's alerts are POSTed, signed (admin). See early_warnings.notifications for the format."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    filterset_fields = ["enabled"]
    action_roles = {name: Role.ADMIN for name in ("list", "retrieve", "deliveries", "ping")}
    write_role = Role.ADMIN

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = notifications.webhook_create(company=request.company, **serializer.validated_data)
        return Response(NewWebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = notifications.webhook_update(webhook=serializer.instance, **serializer.validated_data)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """What was sent to this webhook and how each attempt went, newest first (paginated)."""
        deliveries = self.get_object().deliveries.all()
        page = self.paginate_queryset(deliveries)
        if page is not None:
            return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
        return Response(WebhookDeliverySerializer(deliveries, many=True).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Send a signed `ping` event, to test the receiver."""
        delivery = notifications.webhook_test(webhook=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
