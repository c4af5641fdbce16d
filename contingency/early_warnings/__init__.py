"""Early warnings: indicators of funding risk, graded against thresholds, kept as alerts and sent to people and
systems.

The modules, each importing only those above it in this list (no cycle, no import inside a function):

- `indicators`: what each indicator reads (its message a `financeplanner.translatable.Message`, shown in the reader's
  language), its thresholds (defaults and a company's overrides) and its grade;
- `delivery`: the SSRF-guarded sender and the record of an attempt, shared by webhooks and robots;
- `robots`: DingTalk and WeCom group robots;
- `notifications`: signed webhooks, e-mail, and the fan-out of an alert's events to every channel;
- `alerts`: evaluation (raise once, follow, escalate, resolve), lender-action alerts, acknowledgement;
- `tasks`: the evaluation tasks and `enqueue_evaluation`, and the registration of every task of the package.

The two entry points other parts of the product call, `enqueue_evaluation` and `lender_action_alert`, are here.
"""

from .alerts import lender_action_alert
from .tasks import enqueue_evaluation

__all__ = ["enqueue_evaluation", "lender_action_alert"]
