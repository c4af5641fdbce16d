"""Telling people and systems about alerts: e-mail to the treasury team, signed webhooks to the company's systems,
and DingTalk / WeCom group robots (contingency.robots).

Nothing here runs inside a request. The evaluation records what to send (a WebhookDelivery row per webhook) and
enqueues Celery tasks with `transaction.on_commit`; the tasks send, record every attempt and retry with exponential
backoff (WEBHOOK_RETRY_BASE_SECONDS × 2^n, capped at WEBHOOK_RETRY_MAX_SECONDS, WEBHOOK_MAX_RETRIES times).

**Who gets e-mail**: every member whose role is in ALERT_EMAIL_ROLES (default: admin and treasurer — the people
who act on funding risk) and who has an e-mail address; for a failed scheduled drill also every member who asked
for it (`Membership.notify_on_failed_drill`). Mails go out when an alert is raised or escalated to red, not when
it resolves (the webhook says that).

**Webhooks**: `POST <url>` with a JSON body
`{"id": <delivery id>, "event": "alert.raised" | "alert.escalated" | "alert.resolved", "company": <slug>,
"created_at": …, "alert": {id, indicator, key, severity, value, message, created_at, acknowledged_at, resolved_at}}`
and the headers `X-Financeplanner-Event`, `X-Financeplanner-Delivery` (the same id: a receiver drops repeats) and
`X-Financeplanner-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret>`.
A 2xx answer is success; anything else, or no answer within WEBHOOK_TIMEOUT_SECONDS, is retried.

**Where webhooks may go** (against server-side request forgery): https only in production; no redirect is followed
(a 3xx is a failed attempt); the host is resolved at every attempt and refused — without sending anything — if any
address it resolves to is loopback, private, link-local, multicast, reserved or otherwise not global, unless the
operator lists it in WEBHOOK_ALLOWED_HOSTS (names, addresses or networks); the request then goes to that checked
address itself, so a name cannot be re-pointed between the check and the connection (DNS rebinding). The attempt log
an admin sees holds only a status code or a generic reason ("connection failed", "HTTP 5xx", "address not allowed").
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import secrets
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from financeplanner.models import Company, Membership

from .choices import Severity
from .models import Alert, Webhook, WebhookDelivery

if TYPE_CHECKING:
    from .warnings import AlertEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Financeplanner-Signature"
EVENT_HEADER = "X-Financeplanner-Event"
DELIVERY_HEADER = "X-Financeplanner-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """How a receiver checks a delivery (constant-time)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def alert_payload(alert: Alert) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {
        "id": alert.pk,
        "indicator": alert.indicator,
        "key": alert.key,
        "severity": alert.severity,
        "value": None if alert.value is None else format(alert.value, "f"),
        "message": alert.message,
        "created_at": iso(alert.created_at),
        "acknowledged_at": iso(alert.acknowledged_at),
        "resolved_at": iso(alert.resolved_at),
    }


# -- what to send (inside the evaluation's transaction) -------------------------------------------------------------


def alert_events_notify(*, company: Company, events: list[AlertEvent]) -> None:
    """Record a delivery per enabled webhook and event, and enqueue webhooks and e-mail once committed."""
    if not events:
        return
    from .tasks_warnings import deliver_webhook_task, send_alert_email_task

    webhooks = list(Webhook.objects.for_company(company).filter(enabled=True))
    for item in events:
        for webhook in webhooks:
            delivery = webhook_delivery_create(webhook=webhook, alert=item.alert, event=f"alert.{item.event}")
            transaction.on_commit(lambda pk=delivery.pk: deliver_webhook_task.delay(pk), robust=True)
        if item.event == "raised" or (item.event == "escalated" and item.alert.severity == Severity.RED):
            transaction.on_commit(
                lambda pk=item.alert.pk, event=item.event: send_alert_email_task.delay(pk, event), robust=True
            )
    from . import robots  # DingTalk and WeCom group robots, from the same place (contingency.robots)

    robots.alert_events_post(company=company, events=events)


def webhook_delivery_create(*, webhook: Webhook, alert: Alert | None, event: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(webhook=webhook, alert=alert, event=event, body="")
    body = {
        "id": delivery.pk,
        "event": event,
        "company": webhook.company.slug,
        "created_at": delivery.created_at.isoformat(),
        "alert": alert_payload(alert) if alert else None,
    }
    delivery.body = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    delivery.save(update_fields=["body"])
    return delivery


# -- webhooks: configuration ----------------------------------------------------------------------------------------


def _check_url(url: str) -> None:
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


@transaction.atomic
def webhook_create(*, company: Company, name: str, url: str, enabled: bool = True) -> Webhook:
    """A new webhook with a fresh secret (returned once by the API; the receiver keeps it to check signatures)."""
    _check_url(url)
    webhook = Webhook(company=company, name=name, url=url, enabled=enabled, secret=secrets.token_urlsafe(32))
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(*, webhook: Webhook, **fields) -> Webhook:
    if "url" in fields:
        _check_url(fields["url"])
    for name, value in fields.items():
        setattr(webhook, name, value)
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_test(*, webhook: Webhook) -> WebhookDelivery:
    """Send a `ping` so the receiver can check its signature code."""
    from .tasks_warnings import deliver_webhook_task

    delivery = webhook_delivery_create(webhook=webhook, alert=None, event="ping")
    transaction.on_commit(lambda: deliver_webhook_task.delay(delivery.pk), robust=True)
    return delivery


# -- webhooks: sending (in the Celery task) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    retry: bool  # worth trying again
    status_code: int | None = None
    error: str = ""


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


def webhook_attempt(delivery_id: int) -> Attempt:
    """POST the delivery once and record the attempt. A delivery already done (or gone) is not sent again.

    What the log keeps is what a company admin may see: a status code or a generic reason, never an address, a port
    or an exception's text (the log must not turn the worker into a scanner of the network it runs in).
    """
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return Attempt(delivered=False, retry=False)
    webhook = delivery.webhook
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "financeplanner-webhooks/1",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: sign(webhook.secret, body),
    }
    return attempt_once(
        WebhookDelivery,
        delivery_id,
        lambda: (post_pinned(webhook.url, body, headers)[0], ""),
        f"Webhook delivery to {webhook.url}",
    )


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


def webhook_give_up(delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED
    )


def retry_countdown(retries: int) -> float:
    """Exponential backoff: base × 2^retries seconds, capped."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * (2**retries), settings.WEBHOOK_RETRY_MAX_SECONDS)


# -- e-mail ---------------------------------------------------------------------------------------------------------


def alert_recipients(alert: Alert) -> list[str]:
    members = Membership.objects.filter(company_id=alert.company_id).exclude(user__email="")
    wanted = members.filter(role__in=settings.ALERT_EMAIL_ROLES)
    emails = set(wanted.values_list("user__email", flat=True))
    if alert.indicator == "failed_drill":
        emails |= set(members.filter(notify_on_failed_drill=True).values_list("user__email", flat=True))
    return sorted(emails)


# Line breaks (and other control characters) in a name would start a new mail header: a subject is one line.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def _header_text(text: str) -> str:
    return _HEADER_BREAKS.sub(" ", text).strip()


def alert_email_send(*, alert_id: int, event: str) -> int:
    """E-mail the alert to its recipients; the number of recipients (0 when there is nobody or no alert)."""
    alert = Alert.objects.select_related("company").filter(pk=alert_id).first()
    if alert is None:
        return 0
    recipients = alert_recipients(alert)
    if not recipients:
        return 0
    word = "escalated to RED" if event == "escalated" else alert.severity.upper()
    subject = _header_text(f"[financeplanner] {alert.company.name}: {word} — {alert.indicator.replace('_', ' ')}")
    body = (
        f"{alert.message}\n\n"
        f"Indicator: {alert.indicator}{f' ({alert.key})' if alert.key else ''}\n"
        f"Severity:  {alert.severity}\n"
        f"Value:     {alert.value if alert.value is not None else '—'}\n"
        f"Raised:    {alert.created_at:%Y-%m-%d %H:%M %Z}\n\n"
        "Acknowledge it in financeplanner (Alerts) or with POST /api/v1/alerts/{id}/acknowledge/.\n"
    ).replace("{id}", str(alert.pk))
    send_mail(subject, body, None, recipients)
    return len(recipients)
