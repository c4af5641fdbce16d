"""Funding channel pages: the list, a line's page, add/edit with its lender triggers, draw, repay, lender actions."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from financeplanner.choices import Role
from financeplanner.history import history_for
from financeplanner.views.generic import (
    FormsetEditView,
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    PageAction,
    correction_actions,
)

from .. import selectors, services, watch
from ..filtersets import FundingChannelFilterSet
from ..forms import ChannelEventForm, FundingChannelForm, MoneyMovementForm, TriggerFormSet, trigger_initial
from ..models import ChannelEvent, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger

LEDGER_ROWS = 50
WITH_TRIGGERS = Prefetch("triggers", queryset=LenderTrigger.objects.order_by("id"))


class ChannelViews:
    model = FundingChannel
    url_base = "channels:channel"
    list_title = _("Funding channels")
    context_object_name = "channel"


class ChannelListView(ChannelViews, ObjectListView):
    queryset = FundingChannel.objects.select_related("counterparty")
    context_object_name = "channels"
    filterset_class = FundingChannelFilterSet
    results_template_name = "channels_app/channel_table.html"
    filter_labels = {"name": _("Name contains"), "maturity_before": _("Matures on or before")}
    archive_filter = "archived"
    export_dataset = "channels"
    sort_fields = {
        "name": "name",
        "-name": "-name",
        "limit": "limit",
        "-limit": "-limit",
        "drawn": "drawn",
        "-drawn": "-drawn",
        "maturity": "maturity_date",
        "-maturity": "-maturity_date",
    }
    add_label = _("Add channel")
    empty_message = _("No channels yet.")
    empty_filtered_message = _("No channel matches these filters.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The closest trigger of each line on the page, from the one trigger watch of the company.
        closest = watch.closest_by_channel(watch.trigger_watch(company=self.request.company))
        for channel in context["object_list"]:
            channel.closest_trigger = closest.get(channel.pk)
        return context


class ChannelDetailView(ChannelViews, ObjectDetailView):
    queryset = FundingChannel.objects.select_related("counterparty").prefetch_related(WITH_TRIGGERS)
    template_name = "channels_app/channel_detail.html"
    actions = (
        PageAction(_("Edit"), "edit", Role.ANALYST, with_object=True),
        PageAction(_("Draw"), "draw", Role.ANALYST, with_object=True, when=lambda channel: channel.is_open),
        PageAction(_("Repay"), "repay", Role.ANALYST, with_object=True, when=lambda channel: channel.drawn > 0),
        PageAction(_("Record a lender action"), "event", Role.TREASURER, style="warn", with_object=True),
        *correction_actions(),
    )  # fmt: skip

    def get_lead(self) -> str:
        if self.object.archived_at is None:
            return ""
        return _("Archived: it gives no liquidity in drills and is left out of the lists until it is restored.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        channel: FundingChannel = self.object
        company = self.request.company
        context["schedule"] = selectors.channel_schedule(channel=channel)
        context["ledger"] = list(channel.ledger.select_related("created_by", "reversal")[:LEDGER_ROWS])
        context["ledger_count"] = channel.ledger.count()
        context["ledger_rows_shown"] = LEDGER_ROWS
        context["events"] = list(channel.events.select_related("created_by"))
        context["assessments"] = list(
            CreditAssessment.objects.for_company(company).filter(counterparty=channel.counterparty)[:10]
        )
        context["watch"] = [row for row in watch.trigger_watch(company=company) if row.channel == channel.pk]
        context["history"] = history_for(
            channel,
            ChannelEvent.objects.filter(channel=channel),
            LedgerEntry.objects.filter(channel=channel),
            LenderTrigger.objects.filter(channel=channel),
        )
        return context


class ChannelFormView(ChannelViews, FormsetEditView):
    """Add or edit a channel with its lender triggers (a formset); the service validates the whole."""

    queryset = FundingChannel.objects.prefetch_related(WITH_TRIGGERS)
    form_class = FundingChannelForm
    template_name = "channels_app/channel_form.html"
    formset_class = TriggerFormSet
    formset_prefix = "triggers"
    formset_takes_company = False
    add_title = _("Add a funding channel")
    success_message = _("Channel saved.")

    def get_lead(self) -> str:
        if self.object is None:
            return ""
        return _(
            "A lender's cut, freeze or closure is not an edit: record it as a lender action so the history keeps it."
        )

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        counterparty = self.request.GET.get("counterparty")
        if self.object is None and counterparty and counterparty.isdigit():
            initial["counterparty"] = counterparty
        return initial

    def formset_initial(self) -> list[dict[str, Any]]:
        return trigger_initial(self.object)

    def ordered_rows(self, formset) -> list:
        # The rows the service gets, in page order: its errors (`triggers[1].level`) name them by that index.
        return [row for row in formset.forms if row.as_spec()]

    def save_with_rows(self, form, rows) -> FundingChannel:
        triggers = [row.as_spec() for row in rows]
        if self.object is None:
            return services.channel_create(
                company=self.request.company, by=self.request.user, triggers=triggers, **form.service_fields()
            )
        return services.channel_update(
            channel=self.object, by=self.request.user, triggers=triggers, **form.service_fields()
        )


class ChannelActionView(ChannelViews, ObjectFormView):
    """A form about one line (draw, repay, lender action): the line is one of the company's own; `service` records
    what the form says on it."""

    form_takes_company = False
    template_name = "channels_app/channel_action_form.html"
    service: Any = None

    def save(self, form) -> LedgerEntry | ChannelEvent:
        return self.service(channel=self.object, by=self.request.user, **form.cleaned_data)


class ChannelDrawView(ChannelActionView):
    form_class = MoneyMovementForm
    service = staticmethod(services.channel_draw)
    edit_title, submit_label = _("Draw on the line"), _("Record the draw")
    success_message = _("Draw recorded.")


class ChannelRepayView(ChannelActionView):
    form_class = MoneyMovementForm
    service = staticmethod(services.channel_repay)
    edit_title, submit_label = _("Repay principal"), _("Record the repayment")
    success_message = _("Repayment recorded.")


class ChannelEventView(ChannelActionView):
    """Record a lender's action — reduce, freeze, unfreeze, close, reopen, call — with the reason (treasurer)."""

    form_class = ChannelEventForm
    service = staticmethod(services.channel_event_record)
    required_role = Role.TREASURER
    edit_title, submit_label, submit_style = _("Record a lender action"), _("Record the action"), "warn"
    success_message = _("Lender action recorded.")
    extra_context = {"lender_action": True}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "channel": self.object}
