"""Telling people and systems about alerts: e-mail to the treasury team, signed webhooks to the company's systems.

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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
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


def webhook_attempt(delivery_id: int) -> Attempt:
    """POST the delivery once and record the attempt. A delivery already done (or gone) is not sent again."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return Attempt(delivered=False, retry=False)
    webhook = delivery.webhook
    body = delivery.body.encode()
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "financeplanner-webhooks/1",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.pk),
            SIGNATURE_HEADER: sign(webhook.secret, body),
        },
    )
    started = time.monotonic()
    status_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:500]
    delivered = status_code is not None and 200 <= status_code < 300
    record = {
        "at": timezone.now().isoformat(),
        "status_code": status_code,
        "error": error,
        "ms": round((time.monotonic() - started) * 1000),
    }
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.attempt_log = [*delivery.attempt_log, record]
        delivery.response_status = status_code
        if delivered:
            delivery.status, delivery.delivered_at = WebhookDelivery.Status.SUCCEEDED, timezone.now()
        delivery.save(update_fields=["attempts", "attempt_log", "response_status", "status", "delivered_at"])
    if not delivered:
        logger.warning("Webhook delivery %s to %s failed: %s", delivery_id, webhook.url, error or status_code)
    return Attempt(delivered=delivered, retry=not delivered, status_code=status_code, error=error)


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


def alert_email_send(*, alert_id: int, event: str) -> int:
    """E-mail the alert to its recipients; the number of recipients (0 when there is nobody or no alert)."""
    alert = Alert.objects.select_related("company").filter(pk=alert_id).first()
    if alert is None:
        return 0
    recipients = alert_recipients(alert)
    if not recipients:
        return 0
    word = "escalated to RED" if event == "escalated" else alert.severity.upper()
    subject = f"[financeplanner] {alert.company.name}: {word} — {alert.indicator.replace('_', ' ')}"
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
