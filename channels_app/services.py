"""Every write on funding channels: the channel itself, lender events, the ledger and credit assessments."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from financeplanner.models import Company

from . import ratings
from .choices import OPEN_STATUSES, ChannelStatus, ChannelType, EventKind, LedgerKind
from .models import ChannelEvent, Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger
from .signals import channels_changed, lender_action_recorded

CENT = Decimal("0.01")


def _check_counterparty(company: Company, counterparty: Counterparty | None) -> None:
    if counterparty is not None and counterparty.company_id != company.pk:
        raise ValidationError({"counterparty": "Unknown counterparty."})


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
        raise ValidationError({"limit": "The limit cannot be set below what is drawn; record a reduction instead."})
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
        raise ValidationError({"amount": "Enter an amount."})
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be positive."})
    return amount.quantize(CENT)


@transaction.atomic
def channel_draw(*, channel: FundingChannel, amount: Decimal, date: date, reference: str = "", by) -> LedgerEntry:
    """Draw on a channel. The row lock serialises concurrent draws; the check constraint backs it up."""
    amount = _positive(amount)
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if channel.status not in OPEN_STATUSES:
        raise ValidationError({"amount": f"The line is {channel.get_status_display().lower()}: no draws."})
    if not channel.start_date <= date <= channel.maturity_date:
        raise ValidationError({"date": "The draw date must fall between the line's start and maturity."})
    if amount > channel.headroom:
        raise ValidationError({"amount": f"The draw of {amount} exceeds the headroom of {channel.headroom}."})
    FundingChannel.objects.filter(pk=channel.pk).update(drawn=F("drawn") + amount, updated_at=timezone.now())
    channels_changed.send(sender=FundingChannel, company_id=channel.company_id)
    return _ledger_entry(channel, LedgerKind.DRAW, amount, date, reference, by)


@transaction.atomic
def channel_repay(*, channel: FundingChannel, amount: Decimal, date: date, reference: str = "", by) -> LedgerEntry:
    """Repay principal. What is due after a reduction or call is repaid first."""
    amount = _positive(amount)
    channel = FundingChannel.objects.select_for_update().get(pk=channel.pk)
    if amount > channel.drawn:
        raise ValidationError({"amount": f"The repayment of {amount} exceeds what is drawn ({channel.drawn})."})
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
        raise ValidationError({"kind": "Record draws and repayments through the channel's draw and repay actions."})
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
        raise ValidationError({"kind": f"Unknown lender action {kind!r}."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why: the history of every cut is kept."})
    allowed_from, new_status = TRANSITIONS[kind]
    if channel.status not in allowed_from:
        raise ValidationError({"kind": f"A {channel.get_status_display().lower()} line cannot be {kind}d."})
    old_limit, old_status = channel.limit, channel.status
    limit = old_limit if new_limit is None else new_limit
    if limit < 0:
        raise ValidationError({"new_limit": "The limit cannot be negative."})
    # What a reduction leaves above the new limit, or a call leaves drawn, falls due after the lender's notice
    # period, at once for supply-chain finance (the financed payables fall due on their original terms).
    notice = 0 if channel.channel_type == ChannelType.SUPPLY_CHAIN_FINANCE else channel.notice_days
    if kind == EventKind.REDUCE:
        if new_limit is None or new_limit >= old_limit:
            raise ValidationError({"new_limit": "A reduction needs a new limit below the current one."})
        channel.excess_due = max(channel.drawn - limit, Decimal("0"))
        channel.excess_due_date = date + timedelta(days=notice) if channel.excess_due else None
    elif kind == EventKind.CALL:
        channel.excess_due = channel.drawn
        channel.excess_due_date = date + timedelta(days=notice)
    elif kind == EventKind.REOPEN:
        if limit < channel.drawn:
            raise ValidationError({"new_limit": "A reopened line's limit must cover what is drawn."})
        channel.excess_due, channel.excess_due_date = Decimal("0"), None
    elif kind == EventKind.FREEZE and freeze_days is not None and freeze_days < 1:
        raise ValidationError({"freeze_days": "A freeze lasts at least one day."})
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
        raise ValidationError({"rating": "Give a rating on the master scale or an agency grade."})
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
