"""`GET /api/v1/trigger-watch/`: how close every lender trigger of the company's lines is to firing."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from financeplanner.api.base import CompanyContextMixin
from financeplanner.permissions import HasCompanyRole

from .. import watch
from ..choices import LenderAction, TriggerKind


class TriggerWatchRowSerializer(serializers.Serializer):
    channel = serializers.IntegerField(help_text="The funding channel's id.")
    channel_name = serializers.CharField()
    channel_status = serializers.CharField()
    trigger = serializers.IntegerField(help_text="The trigger's id.")
    kind = serializers.ChoiceField(choices=TriggerKind.choices)
    action = serializers.ChoiceField(choices=LenderAction.choices)
    scale = serializers.CharField(help_text="master or domestic for a rating trigger, else empty.")
    threshold = serializers.CharField(
        allow_null=True,
        help_text="A rating (on the trigger's scale), a level 0–1, a number of draws, or grace days.",
    )
    current = serializers.CharField(
        allow_null=True,
        help_text="Where the company stands in the same terms; null when it cannot be measured.",
    )
    distance = serializers.CharField(
        allow_null=True,
        help_text="A decimal string. How far from firing, in `unit`: notches of downgrade that fire it, percentage points, draws, days. "
        "0 when it fires now; null when it cannot be measured.",
    )  # fmt: skip
    unit = serializers.ChoiceField(choices=["notches", "pp", "draws", "days", "share"])
    fires_now = serializers.BooleanField()
    note = serializers.CharField()


class TriggerWatchView(CompanyContextMixin, APIView):
    """Every lender trigger of the company's open and frozen lines, closest to firing first (any member)."""

    permission_classes = [HasCompanyRole]

    @extend_schema(
        tags=["trigger-watch"],
        parameters=[OpenApiParameter("channel", int, description="Only the triggers of this channel (its id).")],
        responses=TriggerWatchRowSerializer(many=True),
    )
    def get(self, request):
        channel = request.query_params.get("channel")
        if channel is not None and not (channel.isascii() and channel.isdigit()):
            raise ValidationError({"channel": "A channel id (a whole number)."})
        rows = watch.trigger_watch(company=request.company)
        if channel is not None:
            rows = [row for row in rows if row.channel == int(channel)]
        return Response(TriggerWatchRowSerializer([row.as_dict() for row in rows], many=True).data)
