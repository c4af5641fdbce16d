"""Correcting mistakes on channels and counterparties: delete (refused, with the reason, where history depends on
the object: archive instead), archive and restore, and the reversal of a ledger entry. Each page calls one service
(channels_app.services), which also decides what is refused."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from financeplanner.choices import Role
from financeplanner.views.generic import ObjectActionView, ObjectDeleteView

from .. import services
from ..models import LedgerEntry
from .channels import ChannelViews
from .counterparties import CounterpartyViews


class ChannelDeleteView(ChannelViews, ObjectDeleteView):
    lead = _(
        "Only a channel entered by mistake can be deleted: one with ledger entries or lender actions is archived "
        "instead, so its history is kept."
    )

    def delete(self, obj) -> None:
        services.channel_delete(channel=obj, by=self.request.user)


class ChannelArchiveView(ChannelViews, ObjectActionView):
    success_message = _("Archived %(name)s: it gives no liquidity in drills until it is restored.")

    def act(self, obj):
        return services.channel_archive(channel=obj, by=self.request.user)


class ChannelRestoreView(ChannelViews, ObjectActionView):
    success_message = _("Restored %(name)s.")

    def act(self, obj):
        return services.channel_restore(channel=obj, by=self.request.user)


class LedgerReverseView(ChannelViews, ObjectActionView):
    """Reverse one ledger entry (analysts, who write the ledger), then back to its channel's page."""

    model = LedgerEntry
    queryset = LedgerEntry.objects.select_related("channel")
    url_base = "channels:ledger"
    required_role = Role.ANALYST
    success_message = _("Recorded the reversal: %(name)s.")

    def act(self, obj):
        return services.ledger_entry_reverse(entry=obj, by=self.request.user)

    def redirect_to(self, obj) -> str:
        return self.url_for("channels:channel-detail", obj.channel) or "/"


class CounterpartyDeleteView(CounterpartyViews, ObjectDeleteView):
    lead = _("Only a counterparty without funding channels can be deleted; its credit assessments go with it.")

    def delete(self, obj) -> None:
        services.counterparty_delete(counterparty=obj, by=self.request.user)


class CounterpartyArchiveView(CounterpartyViews, ObjectActionView):
    success_message = _("Archived %(name)s.")

    def act(self, obj):
        return services.counterparty_archive(counterparty=obj, by=self.request.user)


class CounterpartyRestoreView(CounterpartyViews, ObjectActionView):
    success_message = _("Restored %(name)s.")

    def act(self, obj):
        return services.counterparty_restore(counterparty=obj, by=self.request.user)
