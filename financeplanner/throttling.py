"""Throttling outside DRF: a fixed-window counter in Django's cache, for the HTML login form.

The API's token view is throttled by DRF's "login" scope; `LoginThrottleMiddleware` (financeplanner.middleware)
applies the same rate to `POST /accounts/login/`, counted per client address and per username tried, so neither
one address guessing many passwords nor many addresses guessing one account get far. A view may also call
`attempt_allowed()` itself. Use a shared cache (CACHE_URL=redis://…) when several processes serve the site:
the default local-memory cache counts per process.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/minute' → (20, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


def login_rate() -> tuple[int, int]:
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"])


def _hit(ident: str, allowed: int, period: int, now: float) -> int | None:
    window = int(now // period)
    key = f"throttle:login:{hashlib.sha256(ident.encode()).hexdigest()[:32]}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count > allowed:
        return max(int((window + 1) * period - now), 1)
    return None


def attempt_allowed(*, ip: str | None, username: str | None = None) -> int | None:
    """Count one login attempt. None when it may go ahead; else the seconds to wait (for Retry-After)."""
    allowed, period = login_rate()
    now = time.time()
    waits = [_hit(f"ip:{ip or 'unknown'}", allowed, period, now)]
    if username:
        waits.append(_hit(f"user:{username.strip().lower()}", allowed, period, now))
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None
