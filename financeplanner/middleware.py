"""Middleware owned by the hardening work: login attempts per address, and what a locked-out login is told."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .throttling import attempt_allowed, client_ip

TOO_MANY = "Too many login attempts from your address. Try again in a minute."


class LoginThrottleMiddleware:
    """Refuse `POST` to a login door past the "login" rate per address with 429 and Retry-After, before the view."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = set(settings.LOGIN_THROTTLE_PATHS)

    def __call__(self, request):
        if request.method == "POST" and request.path in self.paths:
            wait = attempt_allowed(ip=client_ip(request))
            if wait is not None:
                if request.path.startswith("/api/"):
                    response = JsonResponse({"detail": TOO_MANY}, status=429)
                else:
                    response = HttpResponse(TOO_MANY, status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, round(cool_off_seconds() / 60))
    return (
        f"Too many failed logins for this account from your address: signing in to it from here is locked for "
        f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later."
    )


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: the page (or JSON under /api/) a locked-out username + address gets."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = str(cool_off_seconds())
    return response
