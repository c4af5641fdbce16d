"""Alerts: the breaches of the indicators (`indicators`) kept, followed and resolved; a lender action alerts at once.

A reading at amber or red is a *breach*: it opens an alert, once — the partial unique constraint `alert_one_open`
(company, indicator, key while unresolved) makes a second evaluation, even a concurrent one, find the open alert
instead of raising another. While the breach lasts the alert follows the value (amber → red is an escalation and
notifies again); when the value recovers the alert resolves itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from channels_app.choices import EventKind
from channels_app.models import ChannelEvent
from financeplanner.models import Company
from financeplanner.translatable import Message

from ..choices import Severity
from ..models import Alert
from . import notifications
from .delivery import AlertEvent
from .indicators import INDICATORS, Reading, money, read_indicators, thresholds_for


@dataclass(frozen=True)
class Evaluation:
    readings: list[Reading]
    events: list[AlertEvent]
    skipped: dict[str, str]  # indicator → why it could not be evaluated (its open alerts are left as they are)


# -- lender actions: an alert at once -------------------------------------------------------------------------------

LENDER_ACTION = "lender_action"
LENDER_ACTION_SEVERITY = {
    EventKind.CLOSE: Severity.RED,
    EventKind.CALL: Severity.RED,
    EventKind.FREEZE: Severity.RED,
    EventKind.REDUCE: Severity.AMBER,
}


# What a lender-action alert says (the reason is the user's own words, shown as typed).
LENDER_ACTION_MESSAGES = {
    EventKind.CLOSE: gettext_noop(
        "%(lender)s closed %(channel)s on %(date)s: limit %(old_limit)s → %(new_limit)s. Reason: %(reason)s"
    ),
    EventKind.CALL: gettext_noop(
        "%(lender)s called %(channel)s on %(date)s: limit %(old_limit)s → %(new_limit)s. Reason: %(reason)s"
    ),
    EventKind.FREEZE: gettext_noop(
        "%(lender)s froze %(channel)s on %(date)s: limit %(old_limit)s → %(new_limit)s. Reason: %(reason)s"
    ),
    EventKind.REDUCE: gettext_noop(
        "%(lender)s reduced %(channel)s on %(date)s: limit %(old_limit)s → %(new_limit)s. Reason: %(reason)s"
    ),
}
FROZE_FOR_DAYS = gettext_noop(
    "%(lender)s froze for %(days)s day(s) %(channel)s on %(date)s: limit %(old_limit)s → %(new_limit)s. "
    "Reason: %(reason)s"
)


@transaction.atomic
def lender_action_alert(*, event: ChannelEvent) -> Alert | None:
    """A recorded reduce, freeze, close or call raises its own alert at once (not at the next evaluation), and is
    delivered like every other alert. One alert per event (key `event:<id>`); it stays open until acknowledged and
    resolved by hand — no indicator value recovers from a lender's decision. Reopen, unfreeze and maturity: none."""
    severity = LENDER_ACTION_SEVERITY.get(event.kind)
    if severity is None:
        return None
    channel = event.channel
    currency = channel.currency
    template = LENDER_ACTION_MESSAGES[event.kind]
    if event.kind == EventKind.FREEZE and event.freeze_days:
        template = FROZE_FOR_DAYS
    text = Message(
        template,
        {"lender": channel.counterparty.name, "channel": channel.name, "date": event.date.isoformat(),
         "old_limit": money(event.old_limit, currency), "new_limit": money(event.new_limit, currency),
         "days": event.freeze_days, "reason": event.reason},
    )  # fmt: skip
    alert = Alert.objects.create(
        company_id=event.company_id,
        indicator=LENDER_ACTION,
        key=f"event:{event.pk}",
        severity=severity,
        value=event.new_limit,
        message=text.english()[:5000],
        message_template=text.template,
        message_params=text.params,
    )
    notifications.alert_events_notify(company=channel.company, events=[AlertEvent(alert, "raised")])
    return alert


# -- alerts: raise once, follow, resolve ----------------------------------------------------------------------------


def _lock_company(company: Company) -> None:
    # Serialise evaluations of one company; the alert_one_open constraint stays the backstop.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7_001, company.pk])


def _raise(company: Company, reading: Reading) -> tuple[Alert, bool]:
    """Open an alert for the breach, or find the one that is open: race-safe through `alert_one_open`."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                company=company,
                indicator=reading.indicator,
                key=reading.key,
                severity=reading.severity,
                value=reading.value,
                message=reading.message,
                message_template=reading.text.template,
                message_params=reading.text.params,
            )
            return alert, True
    except IntegrityError:
        alert = Alert.objects.select_for_update().get(
            company=company, indicator=reading.indicator, key=reading.key, resolved_at__isnull=True
        )
        return alert, False


@transaction.atomic
def evaluate_company(*, company: Company, today: date | None = None) -> Evaluation:
    """Read every indicator and bring the company's alerts in line: raise, follow, escalate, resolve; notify."""
    readings, skipped = read_indicators(company=company, today=today)
    limits = thresholds_for(company)
    _lock_company(company)
    now = timezone.now()
    breaches = {(r.indicator, r.key): r for r in readings if r.severity != Severity.GREEN}
    # Open alerts of indicators we could read (or that are switched off) resolve when no longer breached.
    settled = {code for code in INDICATORS if code not in skipped}
    open_alerts = {
        (a.indicator, a.key): a
        for a in Alert.objects.for_company(company).select_for_update().filter(resolved_at__isnull=True)
    }
    events: list[AlertEvent] = []
    for identity, reading in breaches.items():
        alert = open_alerts.get(identity)
        created = False
        if alert is None:
            alert, created = _raise(company, reading)
        if created:
            events.append(AlertEvent(alert, "raised"))
            continue
        escalated = alert.severity == Severity.AMBER and reading.severity == Severity.RED
        if (alert.severity, alert.value, alert.message) != (reading.severity, reading.value, reading.message):
            alert.severity, alert.value, alert.message = reading.severity, reading.value, reading.message
            alert.message_template, alert.message_params = reading.text.template, reading.text.params
            alert.save(
                update_fields=["severity", "value", "message", "message_template", "message_params", "updated_at"]
            )
        if escalated:
            events.append(AlertEvent(alert, "escalated"))
    for identity, alert in open_alerts.items():
        indicator = identity[0]
        if identity in breaches or indicator not in settled:
            continue
        if indicator not in INDICATORS:
            continue  # an alert some other part of the product raises; not ours to resolve
        recovered = next((r for r in readings if (r.indicator, r.key) == identity), None)
        alert.resolved_at = now
        fields = ["resolved_at", "updated_at"]
        if recovered is not None and limits[indicator].enabled:
            alert.value, alert.message = recovered.value, recovered.message
            alert.message_template, alert.message_params = recovered.text.template, recovered.text.params
            fields += ["value", "message", "message_template", "message_params"]
        alert.save(update_fields=fields)
        events.append(AlertEvent(alert, "resolved"))
    notifications.alert_events_notify(company=company, events=events)
    return Evaluation(readings=readings, events=events, skipped=skipped)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """Someone has seen the alert and is on it. Acknowledging again keeps the first acknowledgement."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), by
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    return alert
