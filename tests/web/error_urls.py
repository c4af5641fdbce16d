"""The site's URL conf plus four pages that fail on purpose, for the error-page tests (test_error_pages.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from financeplanner.urls import handler404, handler500  # noqa: F401  (the handlers)
from financeplanner.urls import urlpatterns as site_patterns


def _refused(request):
    raise PermissionDenied


def _missing(request):
    raise Http404


def _suspicious(request):
    raise SuspiciousOperation("a forged header")


def _broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("fail/403/", _refused),
    path("fail/404/", _missing),
    path("fail/400/", _suspicious),
    path("fail/500/", _broken),
    *site_patterns,
]
