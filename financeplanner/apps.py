import logging

from django.apps import AppConfig

logger = logging.getLogger("financeplanner")


class FinancePlannerConfig(AppConfig):
    name = "financeplanner"
    verbose_name = "Companies and access"

    def ready(self) -> None:
        from django.conf import settings

        # Registers the audited models; connects the post_delete receivers that record export tombstones and the
        # receivers that invalidate the per-company cache.
        from . import audit, caching, exports  # noqa: F401

        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.info("No CELERY_BROKER_URL configured: background tasks run inline in the web process.")
