"""`/api/v1/api-keys/`: an admin issues, lists and revokes the company's read-only export keys, and reads their log.

The plain key is in the response to the POST that creates it, and nowhere else, ever.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import apikeys
from ..choices import Role
from ..models import ApiKey, ApiKeyUse
from .base import CompanyScopedMixin


class ApiKeySerializer(serializers.ModelSerializer):
    prefix = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id", "name", "prefix", "active", "created_by", "created_at", "last_used_at", "revoked_at", "revoked_by",
        ]  # fmt: skip
        read_only_fields = ["created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"name": {"max_length": 100, "allow_blank": False}}

    def get_prefix(self, key: ApiKey) -> str:
        """The key's public start, to tell keys apart (e.g. fp_1a2b3c4d)."""
        return f"{apikeys.KEY_PREFIX}{key.prefix}"


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself. Shown once: store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class ApiKeyUseSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKeyUse
        fields = ["used_at", "method", "path", "ip"]


@extend_schema_view(
    create=extend_schema(responses={201: IssuedApiKeySerializer}),
    destroy=extend_schema(description="Revoke the key (it stays listed, inactive)."),
)
class ApiKeyViewSet(
    CompanyScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Read-only export keys for the company's integrations (admin only)."""

    queryset = ApiKey.objects.select_related("created_by", "revoked_by")
    serializer_class = ApiKeySerializer
    filterset_fields = ["name"]
    ordering_fields = ["created_at", "last_used_at", "name"]
    action_roles = {name: Role.ADMIN for name in ("list", "retrieve", "create", "destroy", "revoke", "uses")}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = apikeys.apikey_create(company=request.company, name=serializer.validated_data["name"], by=request.user)
        issued.key.key = issued.plain
        return Response(IssuedApiKeySerializer(issued.key).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        apikeys.apikey_revoke(key=instance, by=self.request.user)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the key at once: the next request with it is refused."""
        key = apikeys.apikey_revoke(key=self.get_object(), by=request.user)
        return Response(self.get_serializer(key).data)

    @extend_schema(responses=ApiKeyUseSerializer(many=True))
    @action(detail=True, methods=["get"])
    def uses(self, request, pk=None):
        """Every request made with the key, newest first (paginated)."""
        uses = self.get_object().uses.all()
        page = self.paginate_queryset(uses)
        if page is not None:
            return self.get_paginated_response(ApiKeyUseSerializer(page, many=True).data)
        return Response(ApiKeyUseSerializer(uses, many=True).data)
