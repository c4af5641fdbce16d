"""One shape for API errors; Django ValidationErrors from services become 400s that name the field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from financeplanner.tenancy import CompanyNotChosen


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, ProtectedError):
        exc = exceptions.ValidationError(
            detail={"non_field_errors": ["Other records still refer to this one; remove or reassign them first."]}
        )
    if isinstance(exc, CompanyNotChosen):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """Django's 404 handler: under /api/ a JSON body like every other API error, elsewhere the HTML page."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: under /api/ a JSON body (clients parse every API answer as JSON), elsewhere the page."""
    from django.http import JsonResponse
    from django.views.defaults import server_error as html_server_error

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return html_server_error(request)
