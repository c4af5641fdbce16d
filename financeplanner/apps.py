import logging

from django.apps import AppConfig

logger = logging.getLogger("financeplanner")


class FinancePlannerConfig(AppConfig):
    name = "financeplanner"
    verbose_name = "Companies and access"

    def ready(self) -> None:
        from django.conf import settings

        from . import audit  # noqa: F401  (registers the audited models)

        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.info("No CELERY_BROKER_URL configured: background tasks run inline in the web process.")
