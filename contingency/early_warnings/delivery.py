"""How alerts leave the product: one sender for webhooks and group robots, and one record of each attempt.

Webhooks (`notifications`) and DingTalk / WeCom group robots (`robots`) both post through `post_pinned` and record
through `attempt_once`; what they send is an `AlertEvent`, something that happened to an alert.

**Where webhooks may go** (against server-side request forgery): https only in production; no redirect is followed
(a 3xx is a failed attempt); the host is resolved at every attempt and refused — without sending anything — if any
address it resolves to is loopback, private, link-local, multicast, reserved or otherwise not global, unless the
operator lists it in WEBHOOK_ALLOWED_HOSTS (names, addresses or networks); the request then goes to that checked
address itself, so a name cannot be re-pointed between the check and the connection (DNS rebinding). The attempt log
an admin sees holds only a status code or a generic reason ("connection failed", "HTTP 5xx", "address not allowed").
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Alert

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertEvent:
    """What happened to an alert in an evaluation: raised, escalated (amber → red) or resolved."""

    alert: Alert
    event: str


# -- where a delivery may go ---------------------------------------------------------------------------------------


class DeliveryRefused(Exception):
    """The webhook's host is, or resolves to, an address webhooks may not reach (loopback, private, link-local…)."""


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _public(address) -> bool:
    if getattr(address, "ipv4_mapped", None):  # ::ffff:127.0.0.1 is 127.0.0.1
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_loopback or address.is_link_local
    )


def _host_allowed(host: str, address) -> bool:
    """WEBHOOK_ALLOWED_HOSTS: host names, addresses or networks an operator lets webhooks reach although internal."""
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        entry = entry.strip().lower()
        if entry and entry == host:
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _resolve(host: str, port: int) -> str:
    """The one address to connect to: every address the host resolves to must be allowed (no DNS-rebinding pick)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OSError("name resolution failed") from exc
    addresses = [info[4][0] for info in infos]
    for text in addresses:
        address = _ip(text)
        if address is None or not (_public(address) or _host_allowed(host, address)):
            raise DeliveryRefused
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, not to whatever the name resolves to a moment later; Host stays the name."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # the certificate is the name's


#: How much of an answer is read back (a robot's JSON verdict fits; nobody needs more).
MAX_RESPONSE_BYTES = 65536


def post_pinned(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """POST once, following no redirect, to the resolved and checked address: the status code and the start of the
    answer. Webhooks and group robots both send through it (the SSRF guard in one place)."""
    parts = urllib.parse.urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in (("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)):
        raise DeliveryRefused
    port = parts.port or (443 if scheme == "https" else 80)
    address = _resolve(host, port)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        path = parts.path or "/"
        connection.request("POST", f"{path}?{parts.query}" if parts.query else path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_RESPONSE_BYTES)
    finally:
        connection.close()


def check_url(url: str) -> None:
    """Where a webhook or a robot may be configured to post: https (unless WEBHOOK_ALLOW_HTTP), and no literal
    internal address or localhost unless WEBHOOK_ALLOWED_HOSTS lists it."""
    scheme = url.split(":", 1)[0].lower()
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise ValidationError({"url": "Use an https:// address." if "http" not in allowed else "Use http(s)://."})
    # A literal internal address is refused at once; a host name is checked again, resolved, at every delivery.
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    literal = _ip(host)
    if host == "localhost" or host.endswith(".localhost") or (literal is not None and not _public(literal)):
        if not _host_allowed(host, literal):
            raise ValidationError(
                {"url": "Webhooks go to public addresses only (ask an admin to allow an internal host)."}
            )


# -- one attempt, recorded ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    retry: bool  # worth trying again
    status_code: int | None = None
    error: str = ""


def attempt_once(model, delivery_id: int, send, what: str) -> Attempt:
    """Send a delivery once with `send()` -> (status_code, error) and record the attempt on the `model` row.

    Shared by webhooks and group robots: a non-2xx status or an `error` the sender reports fails the attempt; a
    network fault is recorded as a generic reason (never an address, a port or an exception's text); an address
    refused by the SSRF guard fails the delivery for good (trying again would be refused again).
    """
    started = time.monotonic()
    status_code, error, refused = None, "", False
    try:
        status_code, error = send()
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code // 100}xx"
    except DeliveryRefused:
        error, refused = "address not allowed", True
    except TimeoutError:
        error = "timed out"
    except ssl.SSLError:
        error = "TLS failed"
    except (OSError, http.client.HTTPException, ValueError):
        error = "connection failed"
    delivered = not error
    record = {
        "at": timezone.now().isoformat(),
        "status_code": status_code,
        "error": error,
        "ms": round((time.monotonic() - started) * 1000),
    }
    with transaction.atomic():
        delivery = model.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.attempt_log = [*delivery.attempt_log, record]
        delivery.response_status = status_code
        if delivered:
            delivery.status, delivery.delivered_at = model.Status.SUCCEEDED, timezone.now()
        elif refused:
            delivery.status = model.Status.FAILED
        delivery.save(update_fields=["attempts", "attempt_log", "response_status", "status", "delivered_at"])
    if not delivered:
        logger.warning("%s %s failed: %s", what, delivery_id, error)
    return Attempt(delivered=delivered, retry=not delivered and not refused, status_code=status_code, error=error)


def retry_countdown(retries: int) -> float:
    """Exponential backoff: base × 2^retries seconds, capped."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * (2**retries), settings.WEBHOOK_RETRY_MAX_SECONDS)
