"""contingency's answers to what the apps below it announce (their signals), connected in ContingencyConfig.ready()."""

from django.dispatch import receiver

from channels_app.signals import channels_changed, lender_action_recorded

from .early_warnings import enqueue_evaluation, lender_action_alert


@receiver(channels_changed, dispatch_uid="contingency.receivers.evaluate_warnings")
def evaluate_warnings(sender, *, company_id: int, **kwargs) -> None:
    enqueue_evaluation(company_id)


@receiver(lender_action_recorded, dispatch_uid="contingency.receivers.alert_lender_action")
def alert_lender_action(sender, *, event, **kwargs) -> None:
    lender_action_alert(event=event)
