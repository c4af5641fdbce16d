"""The base of every company-scoped API view: resolves the company once and restricts every queryset.

A new endpoint that inherits from `CompanyScopedViewSet` cannot forget tenancy: its queryset is always
`Model.objects.for_company(request.company)`, so another company's object is a 404.
"""

from auditlog.context import auditlog_value
from rest_framework import serializers, viewsets

from financeplanner.permissions import HasCompanyRole
from financeplanner.services import tenant_object_save
from financeplanner.tenancy import resolve_membership


class CompanyContextMixin:
    """Resolves `request.membership` and `request.company` after authentication, and names the audit actor."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user.is_authenticated:
            # Token-authenticated requests are only known after DRF authenticates; tell the audit trail who it is.
            try:
                auditlog_value.get()["actor"] = request.user
            except LookupError:
                pass

    def check_permissions(self, request):
        if request.user.is_authenticated and not hasattr(request, "membership"):
            request.membership = resolve_membership(request)
            request.company = request.membership.company
        super().check_permissions(request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["company"] = getattr(self.request, "company", None)
        return context


class CompanyScopedMixin(CompanyContextMixin):
    """Any generic view over one company's rows. Subclasses set `queryset` (all rows); we scope it."""

    permission_classes = [HasCompanyRole]

    def get_queryset(self):
        return super().get_queryset().for_company(self.request.company)


class CompanyScopedViewSet(CompanyScopedMixin, viewsets.ModelViewSet):
    """A ModelViewSet over one company's rows."""

    # Simple rows are saved by the generic service; views with a domain service of their own override these.
    def perform_create(self, serializer):
        model = serializer.Meta.model
        serializer.instance = tenant_object_save(
            obj=model(), company=self.request.company, fields=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = tenant_object_save(
            obj=serializer.instance, company=self.request.company, fields=serializer.validated_data
        )


class CompanyScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key that only accepts ids of the requesting company's objects (others: 'does not exist')."""

    def get_queryset(self):
        company = self.context.get("company")
        queryset = super().get_queryset()
        if company is None:
            return queryset.none()
        return queryset.for_company(company)
