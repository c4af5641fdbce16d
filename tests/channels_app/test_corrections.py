"""Correcting mistakes on channels and counterparties: what is refused (and why), archiving, restoring, and the
reversal of ledger entries with hand-computed drawn amounts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from channels_app import services
from channels_app.models import Counterparty, FundingChannel, LedgerEntry
from contingency.models import Shock
from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _line(company, **fields):
    return FundingChannelFactory(company=company, limit=D("1000000.00"), **fields)


def _drawn(channel) -> Decimal:
    return FundingChannel.objects.get(pk=channel.pk).drawn


def test_a_channel_without_history_is_deleted(company, analyst):
    channel = _line(company)
    services.channel_delete(channel=channel, by=analyst)
    assert not FundingChannel.objects.filter(pk=channel.pk).exists()


def test_deleting_a_channel_with_ledger_entries_is_refused_with_the_reason(company, analyst):
    channel = _line(company)
    services.channel_draw(channel=channel, amount=D("100.00"), date=date(2026, 2, 1), by=analyst)
    with pytest.raises(ValidationError) as refused:
        services.channel_delete(channel=channel, by=analyst)
    assert "Archive it instead" in " ".join(refused.value.messages)
    assert FundingChannel.objects.filter(pk=channel.pk).exists()


def test_deleting_a_channel_with_a_lender_action_is_refused(company, treasurer):
    channel = _line(company)
    services.channel_event_record(channel=channel, kind="freeze", date=date(2026, 2, 1), reason="risk", by=treasurer)
    with pytest.raises(ValidationError, match="lender actions"):
        services.channel_delete(channel=channel, by=treasurer)


def test_deleting_a_channel_a_backup_pool_draws_on_is_refused(company, analyst):
    channel = _line(company)
    LiquidityPoolFactory(company=company, name="Backup RCF", kind="backup_line", channel=channel)
    with pytest.raises(ValidationError, match="Backup RCF"):
        services.channel_delete(channel=channel, by=analyst)


def test_deleting_a_channel_a_shock_targets_is_refused(company, analyst):
    channel = _line(company)
    scenario = ScenarioFactory(company=company, name="Bank pulls the line")
    Shock.objects.create(scenario=scenario, target_type="channel", target=str(channel.pk), action="close", day=0)
    with pytest.raises(ValidationError, match="Bank pulls the line"):
        services.channel_delete(channel=channel, by=analyst)


def test_a_counterparty_with_channels_is_refused_and_one_without_is_deleted(company, analyst):
    lender = CounterpartyFactory(company=company, name="ICBC")
    channel = _line(company, counterparty=lender)
    with pytest.raises(ValidationError, match="has funding channels"):
        services.counterparty_delete(counterparty=lender, by=analyst)
    services.channel_delete(channel=channel, by=analyst)
    services.counterparty_delete(counterparty=lender, by=analyst)
    assert not Counterparty.objects.filter(pk=lender.pk).exists()


def test_a_counterparty_a_shock_targets_is_not_deleted(company, analyst):
    lender = CounterpartyFactory(company=company)
    scenario = ScenarioFactory(company=company, name="Platform exits")
    Shock.objects.create(scenario=scenario, target_type="counterparty", target=str(lender.pk), action="close")
    with pytest.raises(ValidationError, match="Platform exits"):
        services.counterparty_delete(counterparty=lender, by=analyst)


def test_an_archived_channel_is_no_headroom_takes_no_draws_and_can_be_restored(company, analyst):
    channel = _line(company)
    services.channel_draw(channel=channel, amount=D("250000.00"), date=date(2026, 2, 1), by=analyst)
    services.channel_archive(channel=channel, by=analyst)
    channel.refresh_from_db()
    assert channel.archived_at is not None
    assert channel.headroom == D("0.00")  # 1,000,000 − 250,000 would be open headroom; archived: none
    with pytest.raises(ValidationError, match="archived"):
        services.channel_draw(channel=channel, amount=D("1.00"), date=date(2026, 2, 2), by=analyst)
    with pytest.raises(ValidationError, match="archived already"):
        services.channel_archive(channel=channel, by=analyst)
    services.channel_restore(channel=channel, by=analyst)
    channel.refresh_from_db()
    assert channel.archived_at is None and channel.headroom == D("750000.00")


def test_a_counterparty_with_channels_in_use_is_not_archived(company, analyst):
    lender = CounterpartyFactory(company=company)
    channel = _line(company, counterparty=lender, name="Working capital line")
    with pytest.raises(ValidationError, match="Working capital line"):
        services.counterparty_archive(counterparty=lender, by=analyst)
    services.channel_archive(channel=channel, by=analyst)
    services.counterparty_archive(counterparty=lender, by=analyst)
    channel.refresh_from_db()
    with pytest.raises(ValidationError, match="restore it first"):
        services.channel_restore(channel=channel, by=analyst)


def test_reversing_a_draw_returns_the_drawn_amount_by_a_new_repayment(company, analyst):
    channel = _line(company)
    services.channel_draw(channel=channel, amount=D("300000.00"), date=date(2026, 2, 1), by=analyst)
    mistake = services.channel_draw(channel=channel, amount=D("120000.00"), date=date(2026, 2, 3), by=analyst)
    assert _drawn(channel) == D("420000.00")  # 300,000 + 120,000

    reversal = services.ledger_entry_reverse(entry=mistake, by=analyst)

    assert _drawn(channel) == D("300000.00")  # 420,000 − 120,000
    assert (reversal.kind, reversal.amount, reversal.date, reversal.reverses_id) == (
        "repay", D("120000.00"), date(2026, 2, 3), mistake.pk,
    )  # fmt: skip
    original = LedgerEntry.objects.get(pk=mistake.pk)  # never edited
    assert (original.kind, original.amount) == ("draw", D("120000.00"))
    assert LedgerEntry.objects.filter(channel=channel).count() == 3


def test_reversing_a_repayment_draws_it_back(company, analyst):
    channel = _line(company)
    services.channel_draw(channel=channel, amount=D("500000.00"), date=date(2026, 2, 1), by=analyst)
    repayment = services.channel_repay(channel=channel, amount=D("200000.00"), date=date(2026, 3, 1), by=analyst)
    assert _drawn(channel) == D("300000.00")
    reversal = services.ledger_entry_reverse(entry=repayment, by=analyst)
    assert reversal.kind == "draw"
    assert _drawn(channel) == D("500000.00")  # 300,000 + 200,000


def test_reversing_a_fee_moves_nothing_drawn(company, analyst):
    channel = _line(company)
    services.channel_draw(channel=channel, amount=D("10000.00"), date=date(2026, 2, 1), by=analyst)
    fee = services.ledger_charge(channel=channel, kind="fee", amount=D("55.00"), date=date(2026, 2, 1), by=analyst)
    reversal = services.ledger_entry_reverse(entry=fee, by=analyst)
    assert (reversal.kind, reversal.reverses_id) == ("fee", fee.pk)
    assert _drawn(channel) == D("10000.00")


def test_an_entry_is_reversed_once_and_a_reversal_is_not_reversed(company, analyst):
    channel = _line(company)
    draw = services.channel_draw(channel=channel, amount=D("1000.00"), date=date(2026, 2, 1), by=analyst)
    reversal = services.ledger_entry_reverse(entry=draw, by=analyst)
    with pytest.raises(ValidationError, match="already been reversed"):
        services.ledger_entry_reverse(entry=draw, by=analyst)
    with pytest.raises(ValidationError, match="itself a reversal"):
        services.ledger_entry_reverse(entry=reversal, by=analyst)
    assert _drawn(channel) == D("0.00")


def test_the_database_refuses_a_second_reversal_of_one_entry(company, analyst):
    channel = _line(company)
    draw = services.channel_draw(channel=channel, amount=D("1000.00"), date=date(2026, 2, 1), by=analyst)
    services.ledger_entry_reverse(entry=draw, by=analyst)
    with pytest.raises(IntegrityError):
        LedgerEntry.objects.create(
            company=company, channel=channel, kind="repay", amount=D("1000.00"), date=date(2026, 2, 1), reverses=draw
        )


def test_reversing_a_draw_already_repaid_is_refused(company, analyst):
    channel = _line(company)
    draw = services.channel_draw(channel=channel, amount=D("1000.00"), date=date(2026, 2, 1), by=analyst)
    services.channel_repay(channel=channel, amount=D("1000.00"), date=date(2026, 2, 2), by=analyst)
    with pytest.raises(ValidationError, match="less than nothing"):
        services.ledger_entry_reverse(entry=draw, by=analyst)
    assert _drawn(channel) == D("0.00")


def test_reversing_a_repayment_above_the_limit_is_refused(company, analyst):
    channel = _line(company)
    services.channel_draw(channel=channel, amount=D("1000000.00"), date=date(2026, 2, 1), by=analyst)
    repayment = services.channel_repay(channel=channel, amount=D("400000.00"), date=date(2026, 2, 2), by=analyst)
    services.channel_draw(channel=channel, amount=D("400000.00"), date=date(2026, 2, 3), by=analyst)
    with pytest.raises(ValidationError, match="above the limit"):
        services.ledger_entry_reverse(entry=repayment, by=analyst)
    assert _drawn(channel) == D("1000000.00")


def test_a_reversed_draw_is_not_counted_by_a_borrowing_frequency_trigger(company, analyst):
    from django.utils import timezone

    from channels_app.models import LenderTrigger
    from channels_app.watch import trigger_watch

    today = timezone.localdate()
    channel = FundingChannelFactory(
        company=company, limit=D("1000000.00"), start_date=date(2025, 1, 1), maturity_date=date(2030, 1, 1)
    )
    trigger = LenderTrigger.objects.create(
        channel=channel, kind="borrowing_frequency", count=5, window_days=30, action="close"
    )
    draws = [
        services.channel_draw(channel=channel, amount=D("1000.00"), date=today - timedelta(days=days), by=analyst)
        for days in (1, 2, 3)
    ]
    services.ledger_entry_reverse(entry=draws[0], by=analyst)  # a repayment: no draw either
    repayment = services.channel_repay(channel=channel, amount=D("500.00"), date=today, by=analyst)
    services.ledger_entry_reverse(entry=repayment, by=analyst)  # a reversal of kind draw: not a draw the lender saw
    row = next(r for r in trigger_watch(company=company) if r.trigger == trigger.pk)
    assert (row.current, row.distance) == ("2", D("3"))  # 3 draws − 1 reversed = 2; 5 − 2 = 3 to go
