from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from financeplanner.api.base import CompanyScopedMixin, CompanyScopedRelatedField, CompanyScopedViewSet
from financeplanner.api.schema import IDEMPOTENCY_KEY, IDEMPOTENT_RESPONSES, ErrorDetail
from financeplanner.choices import Role
from financeplanner.idempotency import idempotent

from .. import drills
from ..dispatch import QueueUnavailable
from ..filtersets import DrillRunFilterSet
from ..models import ChecklistItem, ContingencyPlan, DrillRun, DrillSchedule, Scenario


class ChecklistItemSerializer(serializers.ModelSerializer):
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ChecklistItem
        fields = ["id", "order", "title", "outcome", "done_at", "done_by", "minutes_taken", "notes"]
        read_only_fields = ["order", "title", "done_at", "done_by"]


class DrillRunSerializer(serializers.ModelSerializer):
    scenario = CompanyScopedRelatedField(queryset=Scenario.objects.all())
    plan = CompanyScopedRelatedField(queryset=ContingencyPlan.objects.all(), allow_null=True, required=False)
    paths = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False)
    checklist = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = DrillRun
        fields = [
            "id", "scenario", "plan", "paths", "seed", "status", "progress", "results", "passed_policy", "error",
            "schedule", "created_at", "started_at", "finished_at", "updated_at", "checklist", "plan_version",
            "plan_approved",
        ]  # fmt: skip
        read_only_fields = [
            "status", "progress", "results", "passed_policy", "error", "schedule", "created_at", "started_at",
            "finished_at", "updated_at",
        ]  # fmt: skip


class DrillScheduleSerializer(serializers.ModelSerializer):
    scenario = CompanyScopedRelatedField(queryset=Scenario.objects.all())
    plan = CompanyScopedRelatedField(queryset=ContingencyPlan.objects.all(), allow_null=True, required=False)

    class Meta:
        model = DrillSchedule
        fields = ["id", "name", "scenario", "plan", "cron", "enabled", "updated_at", "timezone"]
        read_only_fields = ["updated_at"]


class QueueUnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"
    wait = 30  # Retry-After


class DrillRunViewSet(
    CompanyScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Drill runs. POST enqueues one (analyst+); a worker claims it, reports progress and stores the results."""

    # The snapshot (the engine's inputs, tens of kilobytes) is not answered: never read it; scenario and plan are
    # answered as their ids: no join. A poll of a running drill reads the row afresh every time.
    queryset = DrillRun.objects.defer("snapshot").prefetch_related("checklist__done_by")
    serializer_class = DrillRunSerializer
    filterset_class = DrillRunFilterSet
    ordering_fields = ["created_at", "finished_at"]

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={
            202: DrillRunSerializer,
            **IDEMPOTENT_RESPONSES,
            503: OpenApiResponse(ErrorDetail, description="The task queue is unreachable: nothing was started."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Start a drill (analyst+): 202, queued; a worker claims it, reports progress and stores the results. A small
        deterministic drill is simulated within the request: its 202 already says succeeded, with the results."""
        return idempotent(request, request.company, lambda: self._start(request))

    def _start(self, request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = drills.drill_start(company=request.company, by=request.user, **serializer.validated_data)
        except QueueUnavailable as exc:
            raise QueueUnavailableError(exc.messages[0]) from exc
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ChecklistItemSerializer, responses=ChecklistItemSerializer)
    @action(detail=True, methods=["patch"], url_path=r"checklist/(?P<item_id>\d+)")
    def checklist(self, request, pk=None, item_id=None):
        """Record the outcome of a live-drill checklist item."""
        run = self.get_object()
        item = run.checklist.filter(pk=item_id).first()
        if item is None:
            raise Http404
        serializer = ChecklistItemSerializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = drills.checklist_record(
            item=item,
            by=request.user,
            outcome=serializer.validated_data.get("outcome", item.outcome),
            notes=serializer.validated_data.get("notes", item.notes),
            minutes_taken=serializer.validated_data.get("minutes_taken", item.minutes_taken),
        )
        return Response(ChecklistItemSerializer(item).data)


class DrillScheduleViewSet(CompanyScopedViewSet):
    """Drills on a cron schedule (django-celery-beat). Treasurers manage them."""

    queryset = DrillSchedule.objects.select_related("scenario", "plan")
    serializer_class = DrillScheduleSerializer
    write_role = Role.TREASURER

    def perform_create(self, serializer):
        serializer.instance = drills.schedule_save(
            company=self.request.company, by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = drills.schedule_save(
            company=self.request.company,
            by=self.request.user,
            schedule=serializer.instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        drills.schedule_delete(schedule=instance, by=self.request.user)
