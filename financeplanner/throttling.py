"""Who is asking, and how often: the client's address behind trusted proxies, and login attempts per address.

**The client's address** (`client_ip`) is `REMOTE_ADDR` unless that is one of the proxies named in TRUSTED_PROXIES
(addresses or networks, from the environment; none by default). Only then is `X-Forwarded-For` read, from the right:
each trusted proxy appends the address it saw, so the first hop from the right that is not a trusted proxy is the
client. Anything further left is what the client wrote itself and is never believed — so a forged header can neither
hide an attacker behind fresh addresses nor pin the blame on someone else. Every throttle and django-axes use this.

**Login attempts.** Two counters, both in Django's cache — shared by every process when CACHE_URL / REDIS_URL names
Redis (production); the local-memory default of the demo counts per process:

* django-axes counts *failed* logins per username *and* address together and locks that pair out for
  AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT failures (settings.py). Someone guessing a colleague's password from
  their own address locks only themselves out of that account; the colleague still signs in from theirs.
* `attempt_allowed()` counts *every* attempt per address (the "login" rate, THROTTLE_LOGIN), whatever username
  is tried, so one address cannot spray passwords over many accounts. `LoginThrottleMiddleware` applies it to
  the HTML login, the admin login and the API's token endpoint (LOGIN_THROTTLE_PATHS).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling

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


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """The address the request came from, believing `X-Forwarded-For` only as far as trusted proxies wrote it."""
    remote = request.META.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _trusted(_address(remote), networks):
        return remote or "unknown"
    closest_proxy = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:  # not written by a proxy of ours: stop at the last one we trust
            return closest_proxy
        if not _trusted(address, networks):
            return str(address)
        closest_proxy = str(address)
    return closest_proxy


class ClientAddressMixin:
    """DRF's throttles identify anonymous clients by `client_ip`, never by a header the client wrote."""

    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    """DRF's anonymous rate, per client address."""


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    """DRF's per-user rate (anonymous requests by client address)."""


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    """DRF's per-view scoped rate (anonymous requests by client address)."""


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/minute' → (20, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


def login_rate() -> tuple[int, int]:
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"])


def _hit(ident: str, allowed: int, period: int, now: float) -> int | None:
    # A window opens at an address's first attempt and lasts `period`; the counter's expiry is not moved by incr
    # (Redis INCR keeps the TTL), so counting is atomic across processes and has no calendar-minute edge to exploit.
    key = f"throttle:login:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"
    if cache.add(key, 1, timeout=period):
        cache.set(f"{key}:start", now, timeout=period)
        return None
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period)
        cache.set(f"{key}:start", now, timeout=period)
        return None
    if count > allowed:
        started = cache.get(f"{key}:start", now)
        return max(int(started + period - now) + 1, 1)
    return None


def attempt_allowed(*, ip: str) -> int | None:
    """Count one login attempt from `ip`. None when it may go ahead; else the seconds to wait (for Retry-After)."""
    allowed, period = login_rate()
    return _hit(f"ip:{ip or 'unknown'}", allowed, period, time.time())
