"""The static files the app serves: every asset from the app itself, none from the internet."""

from django.contrib.staticfiles import finders

# drf-spectacular-sidecar's ReDoc bundle: the API docs are its Swagger UI, and the ReDoc bundle (never linked) names
# schema addresses on the internet that a browser would fetch.
NOT_SERVED = ["redoc"]


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    """The apps' static files, less what is NOT_SERVED: neither collected by `collectstatic` nor found in development."""

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), *NOT_SERVED])

    def find(self, path, find_all=False, **kwargs):
        if any(part in NOT_SERVED for part in path.split("/")):
            return []  # as the stock finders answer "not here"
        return super().find(path, find_all=find_all, **kwargs)
