"""The Celery application. Without CELERY_BROKER_URL tasks run inline (eager), and we say so once."""

import os
import time

from celery import Celery
from celery.signals import before_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "financeplanner.settings")

app = Celery("financeplanner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_publish_time(headers=None, **kwargs):
    """Every message carries when it was first sent; a redelivery is the same message, so it keeps the stamp
    (a scheduled drill's tick is named by it)."""
    if headers is not None:
        headers.setdefault("published_at", time.time())
