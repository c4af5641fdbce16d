"""Labels live on the models: every field's `verbose_name` (and help_text) is translated there, and pages, forms,
filters and the change history read them. A plain form field that mirrors a model field takes its label here."""

from django.db import models
from django.utils.text import capfirst


def field_label(model: type[models.Model], name: str) -> str:
    """The label of a model field, in the reader's language: its verbose_name (lazy; safe at import time)."""
    return capfirst(model._meta.get_field(name).verbose_name)
