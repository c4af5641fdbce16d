"""Every write on funding channels: the channel itself, lender events, the ledger and credit assessments."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from financeplanner.models import Company

from . import ratings
from .choices import OPEN_STATUSES, ChannelStatus, ChannelType, EventKind, LedgerKind
from .models import ChannelEvent, Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger
from .signals import channels_changed, deletion_requested, lender_action_recorded

CENT = Decimal("0.01")


def _check_counterparty(company: Company, counterparty: Counterparty | None) -> None:
    if counterparty is not None and counterparty.company_id != company.pk:
        raise ValidationError({"counterparty": _("Unknown counterparty.")})


@transaction.atomic
def channel_create(*, company: Company, by, triggers: list[dict] | None = None, **fields) -> FundingChannel:
    """A new funding channel, active, nothing drawn."""
    _check_counterparty(company, fields.get("counterparty"))
    channel = FundingChannel(company=company, **fields)
    channel.full_clean()
    channel.save()
    _replace_triggers(channel, triggers or [])
    return channel


@transaction.atomic
def channel_update(*, channel: FundingChannel, by, triggers: list[dict] | None = None, **fields) -> FundingChannel:
    """Edit a channel's terms. The limit may not go below what is drawn (a lender's cut is an event)."""
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    _check_counterparty(channel.company, fields.get("counterparty"))
    for name, value in fields.items():
        setattr(channel, name, value)
    if channel.is_open and channel.limit < channel.drawn:
        raise ValidationError({"limit": _("The limit cannot be set below what is drawn; record a reduction instead.")})
    channel.full_clean()
    channel.save()
    if triggers is not None:
        _replace_triggers(channel, triggers)
    return channel


def _replace_triggers(channel: FundingChannel, triggers: list[dict]) -> None:
    channel.triggers.all().delete()
    for index, spec in enumerate(triggers):
        trigger = LenderTrigger(channel=channel, **spec)
        try:
            trigger.full_clean(exclude=["channel"])
        except ValidationError as exc:
            raise ValidationError({f"triggers[{index}].{k}": v for k, v in exc.message_dict.items()}) from exc
        trigger.save()


# -- the ledger -------------------------------------------------------------------------------------------------


def _positive(amount) -> Decimal:
    if amount is None or not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError({"amount": _("Enter an amount.")})
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    return amount.quantize(CENT)


@transaction.atomic
def channel_draw(*, channel: FundingChannel, amount: Decimal, date: date, reference: str = "", by) -> LedgerEntry:
    """Draw on a channel. The row lock serialises concurrent draws; the check constraint backs it up."""
    amount = _positive(amount)
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if channel.status not in OPEN_STATUSES:
        raise ValidationError(
            {"amount": _("The line is %(status)s: no draws.") % {"status": channel.get_status_display().lower()}}
        )
    if channel.archived_at is not None:
        raise ValidationError({"amount": _("The line is archived: restore it before drawing on it.")})
    if not channel.start_date <= date <= channel.maturity_date:
        raise ValidationError({"date": _("The draw date must fall between the line's start and maturity.")})
    if amount > channel.headroom:
        raise ValidationError(
            {
                "amount": _("The draw of %(amount)s exceeds the headroom of %(headroom)s.")
                % {"amount": amount, "headroom": channel.headroom}
            }
        )
    FundingChannel.objects.filter(pk=channel.pk).update(drawn=F("drawn") + amount, updated_at=timezone.now())
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return _ledger_entry(channel, LedgerKind.DRAW, amount, date, reference, by)


@transaction.atomic
def channel_repay(*, channel: FundingChannel, amount: Decimal, date: date, reference: str = "", by) -> LedgerEntry:
    """Repay principal. What is due after a reduction or call is repaid first."""
    amount = _positive(amount)
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if amount > channel.drawn:
        raise ValidationError(
            {
                "amount": _("The repayment of %(amount)s exceeds what is drawn (%(drawn)s).")
                % {"amount": amount, "drawn": channel.drawn}
            }
        )
    excess_due = max(channel.excess_due - amount, Decimal("0"))
    FundingChannel.objects.filter(pk=channel.pk).update(
        drawn=F("drawn") - amount,
        excess_due=excess_due,
        excess_due_date=channel.excess_due_date if excess_due else None,
        updated_at=timezone.now(),  # .update() skips auto_now; ERPs sync on updated_at
    )
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return _ledger_entry(channel, LedgerKind.REPAY, amount, date, reference, by)


@transaction.atomic
def ledger_charge(*, channel: FundingChannel, kind: str, amount: Decimal, date: date, reference: str = "", by):
    """Record interest or a fee paid on a channel (neither changes what is drawn)."""
    if kind not in (LedgerKind.INTEREST, LedgerKind.FEE):
        raise ValidationError({"kind": _("Record draws and repayments through the channel's draw and repay actions.")})
    return _ledger_entry(channel, kind, _positive(amount), date, reference, by)


def _ledger_entry(channel, kind, amount, date, reference, by) -> LedgerEntry:
    entry = LedgerEntry(
        company_id=channel.company_id,
        channel=channel,
        kind=kind,
        amount=amount,
        date=date,
        reference=reference,
        created_by=by,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def ledger_entry_reverse(*, entry: LedgerEntry, by, reference: str = "") -> LedgerEntry:
    """Cancel a recorded entry by a new one of opposite effect that names it; the original is never edited.

    A draw is reversed by a repayment and a repayment by a draw, each of the same amount and date, so what is drawn
    returns to what it was without it; interest and fees (which move nothing drawn) by an entry of their kind. An
    entry is reversed at most once (a one-to-one link, which the database enforces), and a reversal is not reversed.
    """
    channel = FundingChannel.objects.select_for_update().get(pk=entry.channel_id)
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.reverses_id is not None:
        raise ValidationError(_("This entry is itself a reversal; record the original movement again instead."))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This entry has already been reversed."))
    amount = entry.amount
    kind: str = entry.kind  # interest and fees: reversed by their own kind
    if entry.kind == LedgerKind.DRAW:
        kind = LedgerKind.REPAY
        if amount > channel.drawn:
            raise ValidationError(
                _("Reversing this draw of %(amount)s would leave less than nothing drawn (%(drawn)s is drawn now).")
                % {"amount": amount, "drawn": channel.drawn}
            )
        excess_due = max(channel.excess_due - amount, Decimal("0"))
        FundingChannel.objects.filter(pk=channel.pk).update(
            drawn=F("drawn") - amount,
            excess_due=excess_due,
            excess_due_date=channel.excess_due_date if excess_due else None,
            updated_at=timezone.now(),
        )
    elif entry.kind == LedgerKind.REPAY:
        kind = LedgerKind.DRAW
        if channel.is_open and channel.drawn + amount > channel.limit + channel.excess_due:
            raise ValidationError(
                _("Reversing this repayment of %(amount)s would take what is drawn above the limit of %(limit)s.")
                % {"amount": amount, "limit": channel.limit}
            )
        FundingChannel.objects.filter(pk=channel.pk).update(drawn=F("drawn") + amount, updated_at=timezone.now())
    reversal = LedgerEntry(
        company_id=channel.company_id,
        channel=channel,
        kind=kind,
        amount=amount,
        date=entry.date,
        reference=reference.strip() or entry.reference,
        reverses=entry,
        created_by=by,
    )
    reversal.full_clean()
    reversal.save()
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return reversal


# -- correcting mistakes: delete what nothing depends on, archive what history does ------------------------------


def _refusals_of_others(instance) -> list[str]:
    return [
        str(reason) for _receiver, reason in deletion_requested.send(sender=type(instance), instance=instance) if reason
    ]


@transaction.atomic
def channel_delete(*, channel: FundingChannel, by) -> None:
    """Delete a channel entered by mistake. Refused, with the reason, once it has history (ledger entries or lender
    actions: archive it instead) or while something else refers to it (a backup-line pool, a scenario's shock)."""
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if channel.ledger.exists() or channel.events.exists():
        raise ValidationError(
            _(
                "%(name)s has ledger entries or lender actions: its history must be kept. Archive it instead; an "
                "archived channel gives no liquidity in drills."
            )
            % {"name": channel}
        )
    reasons = _refusals_of_others(channel)
    if reasons:
        raise ValidationError(reasons)
    channel.delete()
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)


@transaction.atomic
def channel_archive(*, channel: FundingChannel, by) -> FundingChannel:
    """Take a channel out of the lists, the choices and, as no liquidity, the drills; its history stays."""
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if channel.archived_at is not None:
        raise ValidationError(_("%(name)s is archived already.") % {"name": channel})
    channel.archived_at = timezone.now()
    channel.save(update_fields=["archived_at", "updated_at"])
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return channel


@transaction.atomic
def channel_restore(*, channel: FundingChannel, by) -> FundingChannel:
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if channel.archived_at is None:
        raise ValidationError(_("%(name)s is not archived.") % {"name": channel})
    if channel.counterparty.archived_at is not None:
        raise ValidationError(
            _("Its counterparty %(counterparty)s is archived: restore it first.")
            % {"counterparty": channel.counterparty}
        )
    channel.archived_at = None
    channel.save(update_fields=["archived_at", "updated_at"])
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return channel


@transaction.atomic
def counterparty_delete(*, counterparty: Counterparty, by) -> None:
    """Delete a counterparty entered by mistake (its credit assessments go with it). Refused while it has channels,
    archived ones included (they keep their history), or while a scenario's shock names it."""
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    if counterparty.channels.exists():
        raise ValidationError(
            _("%(name)s has funding channels, whose history names it. Archive it instead.") % {"name": counterparty}
        )
    reasons = _refusals_of_others(counterparty)
    if reasons:
        raise ValidationError(reasons)
    counterparty.delete()
    channels_changed.send(sender=Counterparty, company_id=counterparty.company_id)


@transaction.atomic
def counterparty_archive(*, counterparty: Counterparty, by) -> Counterparty:
    """Take a counterparty out of the lists and choices. Its channels go first: a lender whose lines are still in
    use cannot be put away."""
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    if counterparty.archived_at is not None:
        raise ValidationError(_("%(name)s is archived already.") % {"name": counterparty})
    active = list(counterparty.channels.filter(archived_at__isnull=True).values_list("name", flat=True)[:5])
    if active:
        raise ValidationError(
            _("%(name)s still has channels in use (%(channels)s): archive them first.")
            % {"name": counterparty, "channels": ", ".join(active)}
        )
    counterparty.archived_at = timezone.now()
    counterparty.save(update_fields=["archived_at", "updated_at"])
    return counterparty


@transaction.atomic
def counterparty_restore(*, counterparty: Counterparty, by) -> Counterparty:
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    if counterparty.archived_at is None:
        raise ValidationError(_("%(name)s is not archived.") % {"name": counterparty})
    counterparty.archived_at = None
    counterparty.save(update_fields=["archived_at", "updated_at"])
    return counterparty


# -- lender events ----------------------------------------------------------------------------------------------

# Which statuses each lender action may start from, and where it leads.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    EventKind.REDUCE: (OPEN_STATUSES, ChannelStatus.REDUCED),
    EventKind.FREEZE: (OPEN_STATUSES, ChannelStatus.FROZEN),
    EventKind.UNFREEZE: ((ChannelStatus.FROZEN,), ChannelStatus.ACTIVE),
    EventKind.CLOSE: ((*OPEN_STATUSES, ChannelStatus.FROZEN), ChannelStatus.CLOSED),
    EventKind.CALL: ((*OPEN_STATUSES, ChannelStatus.FROZEN), ChannelStatus.CLOSED),
    EventKind.REOPEN: ((ChannelStatus.REDUCED, ChannelStatus.FROZEN, ChannelStatus.CLOSED), ChannelStatus.ACTIVE),
    EventKind.MATURE: ((*OPEN_STATUSES, ChannelStatus.FROZEN, ChannelStatus.CLOSED), ChannelStatus.MATURED),
}


@transaction.atomic
def channel_event_record(
    *,
    channel: FundingChannel,
    kind: str,
    date: date,
    reason: str,
    by,
    new_limit: Decimal | None = None,
    freeze_days: int | None = None,
) -> ChannelEvent:
    """Record a lender's action on a channel and apply it: the only way status and limit change."""
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if kind not in TRANSITIONS:
        raise ValidationError({"kind": _("Unknown lender action %(kind)r.") % {"kind": kind}})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why: the history of every cut is kept.")})
    allowed_from, new_status = TRANSITIONS[kind]
    if channel.status not in allowed_from:
        raise ValidationError(
            {"kind": _("A line that is %(status)s does not allow this lender action (%(action)s).")
                     % {"status": channel.get_status_display().lower(), "action": EventKind(kind).label}}
        )  # fmt: skip
    old_limit, old_status = channel.limit, channel.status
    limit = old_limit if new_limit is None else new_limit
    if limit < 0:
        raise ValidationError({"new_limit": _("The limit cannot be negative.")})
    # What a reduction leaves above the new limit, or a call leaves drawn, falls due after the lender's notice
    # period, at once for supply-chain finance (the financed payables fall due on their original terms).
    notice = 0 if channel.channel_type == ChannelType.SUPPLY_CHAIN_FINANCE else channel.notice_days
    if kind == EventKind.REDUCE:
        if new_limit is None or new_limit >= old_limit:
            raise ValidationError({"new_limit": _("A reduction needs a new limit below the current one.")})
        channel.excess_due = max(channel.drawn - limit, Decimal("0"))
        channel.excess_due_date = date + timedelta(days=notice) if channel.excess_due else None
    elif kind == EventKind.CALL:
        channel.excess_due = channel.drawn
        channel.excess_due_date = date + timedelta(days=notice)
    elif kind == EventKind.REOPEN:
        if limit < channel.drawn:
            raise ValidationError({"new_limit": _("A reopened line's limit must cover what is drawn.")})
        channel.excess_due, channel.excess_due_date = Decimal("0"), None
    elif kind == EventKind.FREEZE and freeze_days is not None and freeze_days < 1:
        raise ValidationError({"freeze_days": _("A freeze lasts at least one day.")})
    channel.limit, channel.status = limit, new_status
    channel.full_clean()
    channel.save()
    event = ChannelEvent(
        company_id=channel.company_id,
        channel=channel,
        kind=kind,
        date=date,
        old_status=old_status,
        new_status=new_status,
        old_limit=old_limit,
        new_limit=limit,
        freeze_days=freeze_days,
        reason=reason.strip(),
        created_by=by,
    )
    event.full_clean()
    event.save()
    lender_action_recorded.send(sender=ChannelEvent, event=event)
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return event


# -- credit assessments -----------------------------------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    company: Company,
    by,
    counterparty: Counterparty | None = None,
    as_of: date,
    source: str,
    rating: str = "",
    agency: str = "master",
    agency_grade: str = "",
    pd_1y: Decimal | None = None,
    **fields,
) -> CreditAssessment:
    """Record a credit view. An agency grade maps to the master scale; the PD defaults to the scale's PD."""
    _check_counterparty(company, counterparty)
    if agency_grade and agency != "master":
        try:
            rating = ratings.to_master(agency, agency_grade, company.domestic_notch_offset)
        except ValueError as exc:
            raise ValidationError({"agency_grade": str(exc)}) from exc
    if not rating:
        raise ValidationError({"rating": _("Give a rating on the master scale or an agency grade.")})
    if pd_1y is None:
        try:
            pd_1y = ratings.pd_for(rating)
        except ValueError as exc:
            raise ValidationError({"rating": str(exc)}) from exc
    assessment = CreditAssessment(
        company=company,
        counterparty=counterparty,
        as_of=as_of,
        source=source,
        rating=rating,
        agency=agency,
        agency_grade=agency_grade,
        pd_1y=pd_1y,
        **fields,
    )
    assessment.full_clean()
    assessment.save()
    channels_changed.send(sender=CreditAssessment, company_id=company.pk)
    return assessment
