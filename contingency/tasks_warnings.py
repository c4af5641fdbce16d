"""Celery tasks of the early warnings: evaluate (per company, and all companies from beat), e-mail, webhooks, robots.

Thin: take ids, load, call one service. Webhook and e-mail delivery retry with exponential backoff.
"""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from financeplanner.models import Company

from . import notifications, warnings

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def evaluate_company_task(company_id: int) -> None:
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return  # deleted meanwhile
    warnings.evaluate_company(company=company)


@shared_task(ignore_result=True)
def evaluate_all_companies_task() -> None:
    """Beat's periodic sweep: one evaluation task per company, so workers share the work."""
    for company_id in Company.objects.values_list("pk", flat=True):
        evaluate_company_task.apply_async((company_id,), expires=settings.WARNINGS_EVALUATION_SECONDS)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver_webhook_task(self, delivery_id: int) -> None:
    attempt = notifications.webhook_attempt(delivery_id)
    if not attempt.retry:
        return
    if self.request.is_eager or self.request.retries >= settings.WEBHOOK_MAX_RETRIES:
        # Without a broker there is nobody to retry later without blocking the caller: give up at once.
        notifications.webhook_give_up(delivery_id)
        return
    raise self.retry(countdown=notifications.retry_countdown(self.request.retries))


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver_robot_task(self, delivery_id: int) -> None:
    from . import robots

    attempt = robots.robot_attempt(delivery_id)
    if not attempt.retry:
        return
    if self.request.is_eager or self.request.retries >= settings.WEBHOOK_MAX_RETRIES:
        robots.robot_give_up(delivery_id)
        return
    raise self.retry(countdown=notifications.retry_countdown(self.request.retries))


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def send_alert_email_task(self, alert_id: int, event: str) -> None:
    try:
        notifications.alert_email_send(alert_id=alert_id, event=event)
    except (smtplib.SMTPException, OSError) as exc:
        if self.request.is_eager:
            logger.warning("Alert %s e-mail not sent: %s", alert_id, exc)
            return
        raise self.retry(exc=exc, countdown=notifications.retry_countdown(self.request.retries)) from exc
