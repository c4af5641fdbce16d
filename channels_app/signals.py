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

# Sent with `instance` (a funding channel or counterparty about to be deleted). A receiver answers with a reason
# (text in the reader's language) when something of its app still refers to the object, or None; any reason refuses
# the deletion. This is how the app above says "still in use" (a backup-line pool, a scenario's shock) without
# channels_app importing it.
deletion_requested = Signal()
