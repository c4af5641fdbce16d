from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..choices import Role
from ..middleware import cool_off_seconds, lockout_message
from ..models import Company, FxRate, Invitation, Membership
from .base import CompanyScopedViewSet
from .serializers import (
    CompanySerializer,
    FxRateSerializer,
    InvitationSerializer,
    MemberInviteSerializer,
    MemberSerializer,
    TokenSerializer,
)


def _token_response(token) -> Response:
    return Response({"token": token.key, "expires_at": services.api_token_expires_at(token=token)})


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token, valid for API_TOKEN_TTL_DAYS.

    Failed logins are counted per username and address (django-axes): past the limit that pair is locked out for a
    cool-off (429); every attempt also counts against the address's login rate (429).
    """

    @extend_schema(responses={200: TokenSerializer})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False):  # set by django-axes on the DRF request it authenticated
            raise exceptions.Throttled(wait=cool_off_seconds(), detail=lockout_message())
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        return _token_response(services.api_token_issue(user=serializer.validated_data["user"]))


class TokenRotateView(APIView):
    """Replace your API token with a new one (the old one stops working at once)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: TokenSerializer})
    def post(self, request, *args, **kwargs):
        return _token_response(services.api_token_rotate(user=request.user))


class CompanyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The companies you are a member of. Anyone signed in may create one and becomes its admin."""

    serializer_class = CompanySerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return Company.objects.none()
        return Company.objects.filter(memberships__user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["roles"] = dict(Membership.objects.filter(user=self.request.user).values_list("company", "role"))
        return context

    def perform_create(self, serializer):
        serializer.instance = services.company_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        membership = Membership.objects.get(user=self.request.user, company=serializer.instance)
        if not membership.has_role(Role.ADMIN):
            self.permission_denied(self.request, message="Only an admin changes the company's policy.")
        serializer.instance = services.company_update(company=serializer.instance, **serializer.validated_data)

    def _membership(self, slug) -> Membership:
        return get_object_or_404(Membership, user=self.request.user, company__slug=slug)

    @extend_schema(methods=["get"], responses=MemberSerializer(many=True))
    @extend_schema(methods=["post"], request=MemberInviteSerializer, responses={202: MemberInviteSerializer})
    @action(detail=True, methods=["get", "post"], url_path="members")
    def members(self, request, slug=None):
        """List the members (any member), or invite a user (admin): they join when they accept the invitation.

        The answer to an invitation is the same whether or not the username exists.
        """
        membership = self._membership(slug)
        if request.method == "GET":
            members = Membership.objects.filter(company=membership.company).select_related("user")
            return Response(MemberSerializer(members, many=True).data)
        if not membership.has_role(Role.ADMIN):
            self.permission_denied(request, message="Only an admin manages members.")
        serializer = MemberInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username, role = serializer.validated_data["username"], serializer.validated_data["role"]
        services.member_invite(company=membership.company, username=username, role=role, by=request.user)
        detail = (
            f"If {username!r} has an account and is not yet a member, they are invited as {role}; "
            "they join when they accept."
        )
        return Response({"username": username, "role": role, "detail": detail}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(methods=["patch"], request=MemberSerializer, responses=MemberSerializer)
    @extend_schema(methods=["delete"], responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"members/(?P<username>[\w.@+-]+)")
    def member(self, request, slug=None, username=None):
        """Change a member's role or remove them (admin); any member may remove themselves (leave) and change their
        own `alert_emails` (nobody, an admin neither, changes another member's)."""
        membership = self._membership(slug)
        own = username == request.user.username
        admin = membership.has_role(Role.ADMIN)
        if not admin and not (own and (request.method == "DELETE" or "role" not in request.data)):
            self.permission_denied(request, message="Only an admin manages members.")
        if request.method == "PATCH" and "alert_emails" in request.data and not own:
            self.permission_denied(request, message="Each member chooses their own alert e-mails.")
        target = get_object_or_404(Membership, company=membership.company, user__username=username)
        if request.method == "DELETE":
            services.membership_remove(membership=target)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = MemberSerializer(target, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            if admin:
                target = services.membership_role_set(membership=target, role=data.get("role", target.role))
            if "alert_emails" in data:
                target = services.membership_alert_emails_set(membership=target, alert_emails=data["alert_emails"])
        return Response(MemberSerializer(target).data)


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your pending invitations to join companies: accept one to become a member, or decline it."""

    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return Invitation.objects.filter(user=self.request.user, status=Invitation.Status.PENDING).select_related(
            "company", "invited_by"
        )

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Join the company with the invited role."""
        invitation = self.get_object()
        services.invitation_accept(invitation=invitation, by=request.user)
        invitation.refresh_from_db()
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        services.invitation_decline(invitation=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FxRateViewSet(CompanyScopedViewSet):
    """Rates that convert each currency into the company's reporting currency."""

    queryset = FxRate.objects.all()
    serializer_class = FxRateSerializer
    filterset_fields = ["currency"]
    ordering_fields = ["as_of", "currency"]
