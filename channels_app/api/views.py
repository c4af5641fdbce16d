from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from financeplanner.api.base import CompanyContextMixin, CompanyScopedViewSet
from financeplanner.api.corrections import ArchiveActionsMixin
from financeplanner.api.schema import IDEMPOTENCY_KEY, IDEMPOTENT_RESPONSES
from financeplanner.choices import Role
from financeplanner.idempotency import idempotent
from financeplanner.permissions import HasCompanyRole

from .. import schedules, selectors, services
from ..filtersets import (
    CounterpartyFilterSet,
    CreditAssessmentFilterSet,
    FundingChannelFilterSet,
    LedgerEntryFilterSet,
)
from ..models import Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger
from .serializers import (
    ChannelEventSerializer,
    CounterpartySerializer,
    CreditAssessmentSerializer,
    FundingChannelSerializer,
    LedgerEntrySerializer,
    MoneyMovementSerializer,
    SchedulePreviewSerializer,
    ScheduleRowSerializer,
)


class CounterpartyViewSet(ArchiveActionsMixin, CompanyScopedViewSet):
    queryset = Counterparty.objects.all()
    corrections = {
        "delete": services.counterparty_delete,
        "archive": services.counterparty_archive,
        "restore": services.counterparty_restore,
    }
    correction_subject = "counterparty"
    serializer_class = CounterpartySerializer
    filterset_class = CounterpartyFilterSet
    ordering_fields = ["name", "kind", "updated_at"]


class CreditAssessmentViewSet(CompanyScopedViewSet):
    """Credit views of counterparties (or, with `counterparty` null, of our own company). History is kept."""

    queryset = CreditAssessment.objects.all()  # the counterparty is answered as its id: no join
    serializer_class = CreditAssessmentSerializer
    filterset_class = CreditAssessmentFilterSet
    ordering_fields = ["as_of", "pd_1y"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.assessment_create(
            company=self.request.company, by=self.request.user, **serializer.validated_data
        )


class FundingChannelViewSet(ArchiveActionsMixin, CompanyScopedViewSet):
    """Funding channels. Status and limit cuts change only through `events/`; `drawn` only through the ledger."""

    # The counterparty is answered as its id (`counterparty_id`): no join for it.
    queryset = FundingChannel.objects.prefetch_related(
        Prefetch("triggers", queryset=LenderTrigger.objects.order_by("id"))
    )
    serializer_class = FundingChannelSerializer
    filterset_class = FundingChannelFilterSet
    ordering_fields = ["name", "limit", "drawn", "maturity_date", "updated_at"]
    action_roles = {"events": Role.VIEWER}
    corrections = {
        "delete": services.channel_delete,
        "archive": services.channel_archive,
        "restore": services.channel_restore,
    }
    correction_subject = "channel"

    def perform_create(self, serializer):
        serializer.instance = services.channel_create(
            company=self.request.company, by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.channel_update(
            channel=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        request=MoneyMovementSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LedgerEntrySerializer, **IDEMPOTENT_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        """Draw on the line: refused (400, with the reason) above the headroom or when the line is not open."""
        return self._move_money(services.channel_draw)

    @extend_schema(
        request=MoneyMovementSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LedgerEntrySerializer, **IDEMPOTENT_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def repay(self, request, pk=None):
        return self._move_money(services.channel_repay)

    def _move_money(self, service):
        channel = self.get_object()

        def move() -> Response:
            movement = MoneyMovementSerializer(data=self.request.data)
            movement.is_valid(raise_exception=True)
            entry = service(channel=channel, by=self.request.user, **movement.validated_data)
            return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

        return idempotent(self.request, self.request.company, move)

    @extend_schema(methods=["get"], responses={200: ChannelEventSerializer(many=True)}, description="Lender events.")
    @extend_schema(
        methods=["post"],
        request=ChannelEventSerializer,
        responses={201: ChannelEventSerializer},
        description="Record a lender's action (treasurer): reduce, freeze, unfreeze, close, reopen, call.",
    )
    @action(detail=True, methods=["get", "post"])
    def events(self, request, pk=None):
        channel = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(channel.events.select_related("created_by"))
            return self.get_paginated_response(ChannelEventSerializer(page, many=True).data)
        if not request.membership.has_role(Role.TREASURER):
            self.permission_denied(request, message="Only a treasurer records lender actions.")
        serializer = ChannelEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.channel_event_record(channel=channel, by=request.user, **serializer.validated_data)
        return Response(ChannelEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ScheduleRowSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def schedule(self, request, pk=None):
        """The repayment and interest schedule of what is drawn now, from today (or `?as_of=`) to maturity."""
        channel = self.get_object()
        rows = selectors.channel_schedule(channel=channel, as_of=request.query_params.get("as_of"))
        return self.get_paginated_response(ScheduleRowSerializer(self.paginate_queryset(rows), many=True).data)


class LedgerEntryViewSet(CompanyScopedViewSet):
    """The decimal ledger. Entries are never edited or deleted: a mistake is corrected by a new entry."""

    queryset = LedgerEntry.objects.select_related("created_by")  # the channel is answered as its id: no join
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilterSet
    ordering_fields = ["date", "amount", "updated_at"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        kind = data.pop("kind")
        by = self.request.user
        if kind == "draw":
            serializer.instance = services.channel_draw(by=by, **data)
        elif kind == "repay":
            serializer.instance = services.channel_repay(by=by, **data)
        else:
            serializer.instance = services.ledger_charge(kind=kind, by=by, **data)

    @extend_schema(request=None, responses={201: LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Cancel the entry by a new one of opposite effect that names it (`reverses`); the entry itself is never
        edited. Refused (400, with the reason) for a reversal or an entry reversed already."""
        entry = services.ledger_entry_reverse(entry=self.get_object(), by=request.user)
        return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class SchedulePreviewView(CompanyContextMixin, APIView):
    """Preview a repayment and interest schedule (bullet, linear, annuity; ACT/360, ACT/365F, 30/360)."""

    permission_classes = [HasCompanyRole]
    write_role = Role.VIEWER  # a preview computes, it stores nothing

    @extend_schema(
        request=SchedulePreviewSerializer,
        responses={
            200: inline_serializer("SchedulePreview", {"rows": ScheduleRowSerializer(many=True)}),
        },
    )
    def post(self, request):
        serializer = SchedulePreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = schedules.build_schedule(**serializer.validated_data)
        return Response({"rows": ScheduleRowSerializer(rows, many=True).data})
