"""contingency's answers to what the apps below it announce (their signals), connected in ContingencyConfig.ready()."""

from django.dispatch import receiver
from django.utils.translation import gettext

from channels_app.models import FundingChannel
from channels_app.signals import channels_changed, deletion_requested, lender_action_recorded

from .early_warnings import enqueue_evaluation, lender_action_alert
from .models import LiquidityPool, Shock


@receiver(channels_changed, dispatch_uid="contingency.receivers.evaluate_warnings")
def evaluate_warnings(sender, *, company_id: int, **kwargs) -> None:
    enqueue_evaluation(company_id)


@receiver(lender_action_recorded, dispatch_uid="contingency.receivers.alert_lender_action")
def alert_lender_action(sender, *, event, **kwargs) -> None:
    lender_action_alert(event=event)


@receiver(deletion_requested, dispatch_uid="contingency.receivers.refuse_deleting_what_is_used")
def refuse_deleting_what_is_used(sender, *, instance, **kwargs) -> str | None:
    """A channel or counterparty still named by a backup-line pool or a scenario's shock is not deleted: the pool
    would silently lose its line, and the shock its target."""
    target_type = "channel" if isinstance(instance, FundingChannel) else "counterparty"
    if target_type == "channel":
        pools = LiquidityPool.objects.filter(channel=instance).values_list("name", flat=True)[:5]
        if pools:
            return gettext("The backup-line pools %(pools)s draw on it: unlink them first, or archive it instead.") % {
                "pools": ", ".join(pools)
            }
    shocks = Shock.objects.for_company(instance.company).filter(target_type=target_type, target=str(instance.pk))
    scenarios = sorted({shock.scenario.name for shock in shocks.select_related("scenario")[:20]})
    if scenarios:
        return gettext("The scenarios %(scenarios)s shock it: change their shocks first, or archive it instead.") % {
            "scenarios": ", ".join(scenarios)
        }
    return None
