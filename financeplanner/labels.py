"""Translated names of the fields users see, shared by forms, tables and the change history.

Model fields carry no verbose names (they read as code: `annual_rate`), so the pages take their labels from here,
in the reader's language. Pages of other apps pass their own additions to `history_for(labels=...)`.
"""

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


def field_label(model: type[models.Model], name: str) -> str:
    """The label of a model field, in the reader's language: its verbose_name (lazy; safe at import time)."""
    return capfirst(model._meta.get_field(name).verbose_name)


FIELD_LABELS = {
    # core
    "name": _("Name"),
    "slug": _("Short name"),
    "reporting_currency": _("Reporting currency"),
    "survival_horizon_days": _("Survival horizon (days)"),
    "min_cash_buffer": _("Minimum cash buffer"),
    "target_survival_probability": _("Target survival probability"),
    "role": _("Role"),
    "user": _("User"),
    "currency": _("Currency"),
    "rate": _("Rate"),
    "notes": _("Notes"),
    "note": _("Note"),
    # counterparties and assessments
    "kind": _("Kind"),
    "country": _("Country"),
    "counterparty": _("Counterparty"),
    "as_of": _("As of"),
    "source": _("Source"),
    "agency": _("Agency"),
    "agency_grade": _("Agency grade"),
    "rating": _("Rating"),
    "score": _("Score"),
    "pd_1y": _("One-year PD"),
    "outlook": _("Outlook"),
    "inputs": _("Model inputs"),
    # channels
    "channel": _("Channel"),
    "channel_type": _("Channel type"),
    "limit": _("Limit"),
    "drawn": _("Drawn"),
    "headroom": _("Headroom"),
    "committed": _("Committed"),
    "status": _("Status"),
    "rate_type": _("Rate type"),
    "base_rate": _("Base rate"),
    "spread": _("Spread"),
    "annual_rate": _("Annual rate"),
    "fee_rate": _("Fee rate"),
    "day_count": _("Day count"),
    "start_date": _("Start date"),
    "maturity_date": _("Maturity date"),
    "repayment_profile": _("Repayment profile"),
    "payment_frequency": _("Payment frequency"),
    "rolls_over": _("Rolls over"),
    "notice_days": _("Notice period (days)"),
    "action_probability": _("Lender action probability"),
    "excess_due": _("Excess due"),
    "excess_due_date": _("Excess due on"),
    # triggers, events, ledger
    "level": _("Utilisation level"),
    "days": _("Days"),
    "action": _("Action"),
    "reduce_by": _("Reduce by"),
    "freeze_days": _("Freeze (days)"),
    "date": _("Date"),
    "old_status": _("Old status"),
    "new_status": _("New status"),
    "old_limit": _("Old limit"),
    "new_limit": _("New limit"),
    "reason": _("Reason"),
    "amount": _("Amount"),
    "reference": _("Reference"),
    "created_by": _("Recorded by"),
}


def label_for(name: str, extra: dict | None = None) -> str:
    if extra and name in extra:
        return extra[name]
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
