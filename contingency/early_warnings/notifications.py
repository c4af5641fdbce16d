"""Telling people and systems about alerts: e-mail to the treasury team, signed webhooks to the company's systems,
and DingTalk / WeCom group robots (`robots`).

Nothing here runs inside a request. The evaluation records what to send (a WebhookDelivery row per webhook) and
enqueues Celery tasks with `transaction.on_commit`; the tasks send, record every attempt and retry with exponential
backoff (WEBHOOK_RETRY_BASE_SECONDS × 2^n, capped at WEBHOOK_RETRY_MAX_SECONDS, WEBHOOK_MAX_RETRIES times).

**Who gets e-mail**: every member with an e-mail address who subscribed (`Membership.alert_emails`, on the
Alert e-mails page), and every member who has not chosen and whose role is in ALERT_EMAIL_ROLES (default: admin
and treasurer — the people who act on funding risk); for a failed scheduled drill also every member who asked
for it (`Membership.notify_on_failed_drill`). Mails go out when an alert is raised or escalated to red, not when
it resolves (the webhook says that).

**Webhooks**: `POST <url>` with a JSON body
`{"id": <delivery id>, "event": "alert.raised" | "alert.escalated" | "alert.resolved", "company": <slug>,
"created_at": …, "alert": {id, indicator, key, severity, value, message, created_at, acknowledged_at, resolved_at}}`
and the headers `X-Financeplanner-Event`, `X-Financeplanner-Delivery` (the same id: a receiver drops repeats) and
`X-Financeplanner-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret>`.
A 2xx answer is success; anything else, or no answer within WEBHOOK_TIMEOUT_SECONDS, is retried.

Where webhooks may go, and how an attempt is recorded: `delivery` (the SSRF guard, shared with the robots).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from financeplanner.models import Company, Membership

from ..choices import Severity
from ..models import Alert, Webhook, WebhookDelivery
from . import robots
from .delivery import AlertEvent, Attempt, attempt_once, check_url, post_pinned, retry_countdown
from .indicators import indicator_label

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
    """Record a delivery per enabled webhook and robot and event, and enqueue them and e-mail once committed."""
    if not events:
        return
    webhooks = list(Webhook.objects.for_company(company).filter(enabled=True))
    for item in events:
        for webhook in webhooks:
            delivery = webhook_delivery_create(webhook=webhook, alert=item.alert, event=f"alert.{item.event}")
            transaction.on_commit(lambda pk=delivery.pk: deliver_webhook_task.delay(pk), robust=True)
        if item.event == "raised" or (item.event == "escalated" and item.alert.severity == Severity.RED):
            transaction.on_commit(
                lambda pk=item.alert.pk, event=item.event: send_alert_email_task.delay(pk, event), robust=True
            )
    # DingTalk and WeCom group robots, from the same place.
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


@transaction.atomic
def webhook_create(*, company: Company, name: str, url: str, enabled: bool = True) -> Webhook:
    """A new webhook with a fresh secret (returned once by the API; the receiver keeps it to check signatures)."""
    check_url(url)
    webhook = Webhook(company=company, name=name, url=url, enabled=enabled, secret=secrets.token_urlsafe(32))
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(*, webhook: Webhook, **fields) -> Webhook:
    if "url" in fields:
        check_url(fields["url"])
    for name, value in fields.items():
        setattr(webhook, name, value)
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_test(*, webhook: Webhook) -> WebhookDelivery:
    """Send a `ping` so the receiver can check its signature code."""
    delivery = webhook_delivery_create(webhook=webhook, alert=None, event="ping")
    transaction.on_commit(lambda: deliver_webhook_task.delay(delivery.pk), robust=True)
    return delivery


# -- webhooks: sending (in the Celery task) -------------------------------------------------------------------------


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


def webhook_give_up(delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED
    )


# -- e-mail ---------------------------------------------------------------------------------------------------------


def receives_alert_emails(membership: Membership) -> bool:
    """The member's own choice (Membership.alert_emails); without one, their role decides (ALERT_EMAIL_ROLES)."""
    if membership.alert_emails is not None:
        return membership.alert_emails
    return membership.role in settings.ALERT_EMAIL_ROLES


def alert_recipients(alert: Alert) -> list[str]:
    members = list(
        Membership.objects.filter(company_id=alert.company_id).exclude(user__email="").select_related("user")
    )
    emails = {m.user.email for m in members if receives_alert_emails(m)}
    if alert.indicator == "failed_drill":
        emails |= {m.user.email for m in members if m.notify_on_failed_drill}
    return sorted(emails)


@transaction.atomic
def alert_emails_choose(
    *, membership: Membership, alert_emails: bool | None, notify_on_failed_drill: bool
) -> Membership:
    """A member says for themselves whether they receive alert e-mails (None: as their role has it) and e-mails
    about failed drills."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    membership.alert_emails, membership.notify_on_failed_drill = alert_emails, notify_on_failed_drill
    membership.full_clean()
    membership.save(update_fields=["alert_emails", "notify_on_failed_drill"])
    return membership


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
    # The recipients' language is not recorded: the mail says it in English, then in Chinese (the product's two).
    body += "\n" + _chinese_body(alert, event)
    send_mail(subject, body, None, recipients)
    return len(recipients)


def _chinese_body(alert: Alert, event: str) -> str:
    with translation.override("zh-hans"):
        what = gettext("escalated to red") if event == "escalated" else alert.get_severity_display()
        return (
            f"{alert.display_message}\n\n"
            f"{gettext('Indicator')}: {indicator_label(alert.indicator)}（{what}）\n"
            + gettext("Acknowledge it on the Alerts page of financeplanner.")
            + "\n"
        )


# -- the Celery tasks that send -------------------------------------------------------------------------------------


@shared_task(
    name="contingency.tasks_warnings.deliver_webhook_task",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=None,
)
def deliver_webhook_task(self, delivery_id: int) -> None:
    attempt = webhook_attempt(delivery_id)
    if not attempt.retry:
        return
    if self.request.is_eager or self.request.retries >= settings.WEBHOOK_MAX_RETRIES:
        # Without a broker there is nobody to retry later without blocking the caller: give up at once.
        webhook_give_up(delivery_id)
        return
    raise self.retry(countdown=retry_countdown(self.request.retries))


@shared_task(
    name="contingency.tasks_warnings.send_alert_email_task",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=5,
)
def send_alert_email_task(self, alert_id: int, event: str) -> None:
    try:
        alert_email_send(alert_id=alert_id, event=event)
    except (smtplib.SMTPException, OSError) as exc:
        if self.request.is_eager:
            logger.warning("Alert %s e-mail not sent: %s", alert_id, exc)
            return
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
