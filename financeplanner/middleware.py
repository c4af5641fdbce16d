"""Middleware owned by the hardening work: throttled login attempts on the HTML login form."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

from .throttling import attempt_allowed


class LoginThrottleMiddleware:
    """Refuse `POST` to the login page with 429 (and Retry-After) past the "login" rate, before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = set(settings.LOGIN_THROTTLE_PATHS)

    def __call__(self, request):
        if request.method == "POST" and request.path in self.paths:
            wait = attempt_allowed(ip=request.META.get("REMOTE_ADDR"), username=request.POST.get("username"))
            if wait is not None:
                response = HttpResponse(
                    "Too many login attempts. Try again in a minute.", status=429, content_type="text/plain"
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
