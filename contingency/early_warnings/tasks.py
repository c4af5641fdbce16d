"""The Celery tasks of the early warnings, and `enqueue_evaluation`, which hands an evaluation to them.

Thin: take ids, load, call one service. The evaluation tasks are here; the tasks that send live beside their sender
(`notifications.deliver_webhook_task` and `send_alert_email_task`, `robots.deliver_robot_task`), because what is
evaluated enqueues them. Importing this module registers all five (ContingencyConfig.ready() does). Their names are
those of the module they were first registered from, `contingency.tasks_warnings.*`: beat's schedule and messages
already queued name them so.

Evaluation runs on a schedule (Celery beat, every WARNINGS_EVALUATION_SECONDS) and after every change that moves an
indicator: the ledger and lender-event services and new credit assessments call `enqueue_evaluation`, which enqueues
the task once the change is committed.
"""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from financeplanner.models import Company

from .alerts import evaluate_company
from .notifications import deliver_webhook_task, send_alert_email_task
from .robots import deliver_robot_task

__all__ = [
    "deliver_robot_task",
    "deliver_webhook_task",
    "enqueue_evaluation",
    "evaluate_all_companies_task",
    "evaluate_company_task",
    "send_alert_email_task",
]


@shared_task(name="contingency.tasks_warnings.evaluate_company_task", acks_late=True, ignore_result=True)
def evaluate_company_task(company_id: int) -> None:
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return  # deleted meanwhile
    evaluate_company(company=company)


@shared_task(name="contingency.tasks_warnings.evaluate_all_companies_task", ignore_result=True)
def evaluate_all_companies_task() -> None:
    """Beat's periodic sweep: one evaluation task per company, so workers share the work."""
    for company_id in Company.objects.values_list("pk", flat=True):
        evaluate_company_task.apply_async((company_id,), expires=settings.WARNINGS_EVALUATION_SECONDS)


def enqueue_evaluation(company_id: int) -> None:
    """Evaluate the company's warnings once the current transaction commits (a burst of changes: once).

    Never raises into the caller: a broker that is down costs an evaluation, which the periodic task makes up.
    """

    def send() -> None:
        debounce = settings.WARNINGS_DEBOUNCE_SECONDS
        if debounce and not cache.add(f"warnings:evaluate:{company_id}", 1, timeout=debounce):
            return  # one is already due within the window, and it will see this change
        evaluate_company_task.apply_async((company_id,), countdown=debounce or None, expires=600)

    transaction.on_commit(send, robust=True)
