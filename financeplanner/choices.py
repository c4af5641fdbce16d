from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles in rising order of power; each includes what the ones before it may do."""

    VIEWER = "viewer", _("Viewer")
    ANALYST = "analyst", _("Analyst")
    TREASURER = "treasurer", _("Treasurer")
    ADMIN = "admin", _("Admin")

    @classmethod
    def rank(cls, role: str) -> int:
        return [choice.value for choice in cls].index(role)


class ImportJobStatus(models.TextChoices):
    """Where a background import stands. `failed`: nothing was imported (the report names the rows, or `error`)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
