"""The Celery application. Without CELERY_BROKER_URL tasks run inline (eager), and we say so once."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "financeplanner.settings")

app = Celery("financeplanner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
