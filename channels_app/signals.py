"""What channels_app tells the apps above it, without importing them (the dependency rule, docs/architecture.md).

`contingency` listens (contingency/receivers.py): the early warnings re-evaluate after `channels_changed` and raise a
lender-action alert at once after `lender_action_recorded`. Both are sent inside the write's transaction, so what a
receiver writes commits or rolls back with it.
"""

from django.dispatch import Signal

# Sent with `company_id` after a write that can move an early-warning indicator: a draw, a repayment, a lender event,
# a new credit assessment.
channels_changed = Signal()

# Sent with `event` (a saved ChannelEvent) after a lender's action is recorded.
lender_action_recorded = Signal()
