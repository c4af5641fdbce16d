"""The static files the app serves: every asset from the app itself, none from the internet."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class StaticFiles(StaticFilesConfig):
    """`collectstatic` without drf-spectacular-sidecar's ReDoc bundle: the API docs are its Swagger UI, and the
    ReDoc bundle (never linked) names schema addresses on the internet that a browser would fetch."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc"]
