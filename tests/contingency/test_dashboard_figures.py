"""The dashboard's figures, each counted once: a committed backup line, a closed line and a frozen line, worked out
by hand; and the page's tiles agree with sums of what the channels and pools API returns."""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from channels_app.models import FundingChannel
from channels_app.services import channel_archive, channel_draw, channel_event_record
from contingency.dashboard import dashboard_for
from contingency.models import LiquidityPool
from contingency.services import pool_archive
from tests.factories import CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory

pytestmark = pytest.mark.django_db

START, MATURITY = date(2026, 1, 1), date(2028, 1, 1)


@pytest.fixture
def lines(company):
    """Four lines and four pools.

    - Backup RCF, committed, 3,000,000, 1,000,000 drawn, and a backup-line pool of 2,000,000 naming it;
    - Old bank line, 4,000,000, 500,000 drawn, then closed;
    - Frozen line, 1,500,000, 300,000 drawn, then frozen;
    - QuickLoan (online platform), 1,000,000, 75,900 drawn;
    - cash 1,000,000 and 200,000 at a 10% haircut; a fund of 500,000 at 2%.
    """
    platform = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")

    def line(name, limit, drawn, **kwargs):
        channel = FundingChannelFactory(
            company=company, name=name, limit=D(limit), start_date=START, maturity_date=MATURITY, **kwargs
        )
        channel_draw(channel=channel, amount=D(drawn), date=START, by=None)
        return channel

    backup = line("Backup RCF", "3000000", "1000000", committed=True)
    closed = line("Old bank line", "4000000", "500000")
    frozen = line("Frozen line", "1500000", "300000")
    line("QuickLoan", "1000000", "75900", counterparty=platform, channel_type="small_loan_platform")
    channel_event_record(channel=closed, kind="close", date=START, reason="Lender exit", by=None)
    channel_event_record(channel=frozen, kind="freeze", date=START, reason="Risk control", by=None)
    LiquidityPoolFactory(
        company=company, name="Backup RCF pool", kind="backup_line", amount=D("2000000"), channel=backup
    )
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=D("1000000"))
    LiquidityPoolFactory(company=company, name="Branch cash", kind="cash", amount=D("200000"), haircut=D("0.10"))
    LiquidityPoolFactory(company=company, name="MMF", kind="money_market_fund", amount=D("500000"), haircut=D("0.02"))
    return company


def D(value) -> Decimal:
    return Decimal(value)


def test_each_line_is_counted_once_where_it_belongs(lines):
    board = dashboard_for(lines)

    # Limits: 3,000,000 + 1,500,000 + 1,000,000; the closed line's 4,000,000 is gone.
    assert board.funding.total_limit == D("5500000.00")
    # Drawn: everything outstanding, the closed line's 500,000 included (it runs off).
    assert board.funding.total_drawn == D("1875900.00")
    # Available: 2,000,000 undrawn on the backup line + 924,100 on QuickLoan; the frozen line is not available.
    assert board.headroom.available == D("2924100.00")
    assert board.headroom.backup_lines == D("2000000.00")
    # Frozen: 1,500,000 − 300,000, shown on its own.
    assert board.headroom.frozen == D("1200000.00")
    assert (board.headroom.frozen_lines, board.headroom.shut_lines) == (1, 1)
    # Cash 1,000,000 + 180,000; other pools: the fund's 490,000 only, the backup line is in headroom.
    assert board.liquidity.cash == D("1180000.00")
    assert board.liquidity.other_pools == D("490000.00")
    # Platform share 75,900 / 1,875,900 = 4.046…%: 4% in the tile and in the funding mix, one place at most and only
    # if needed (it used to be rounded to 0.0405 first, then shown as 4.1% in the tile and 4.0% in the mix).
    assert board.funding.platform_share.quantize(D("0.0001")) == D("0.0405")
    platform_row = next(r for r in board.funding.by_type if r["channel_type"] == "small_loan_platform")
    assert platform_row["share"] == board.funding.platform_share


def test_an_archived_line_is_no_limit_and_no_headroom_but_its_drawn_stays(lines):
    quickloan = FundingChannel.objects.get(company=lines, name="QuickLoan")
    channel_archive(channel=quickloan, by=None)
    board = dashboard_for(lines)

    # QuickLoan's 1,000,000 limit and its 924,100 undrawn leave the totals, as a closed line's do; the 75,900 drawn
    # on it still runs off, so drawn and the platform share are unchanged.
    assert board.funding.total_limit == D("4500000.00")
    assert board.headroom.available == D("2000000.00")
    assert board.funding.total_drawn == D("1875900.00")
    assert board.headroom.shut_lines == 2


def test_an_archived_pool_is_no_liquidity(lines):
    pool_archive(pool=LiquidityPool.objects.get(company=lines, name="Branch cash"), by=None)
    pool_archive(pool=LiquidityPool.objects.get(company=lines, name="MMF"), by=None)
    board = dashboard_for(lines)

    # Cash: the 1,000,000 pool alone (the branch's 180,000 after haircut is archived); other pools: nothing left of
    # the fund's 490,000.
    assert board.liquidity.cash == D("1000000.00")
    assert board.liquidity.other_pools == D("0.00")


def tiles(page: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="kpi[^"]*" id="(kpi-[a-z-]+)"><dt>[^<]*</dt><dd>([^<]+)</dd>', page))


def whole(amount: Decimal) -> str:
    """An amount as the page shows it: no decimals, thousands grouped (English)."""
    return f"{amount.quantize(D('1'), rounding=ROUND_HALF_UP):,}"


def test_the_dashboard_tiles_agree_with_the_api(lines, viewer, client, api_as):
    client.force_login(viewer)
    page = client.get(reverse("dashboard")).content.decode()
    shown = tiles(page)

    api = api_as(viewer)
    channels = api.get("/api/v1/channels/", HTTP_X_COMPANY="acme").json()["results"]
    pools = api.get("/api/v1/pools/", HTTP_X_COMPANY="acme").json()["results"]
    assert len(channels) == 4 and len(pools) == 4

    live = [c for c in channels if c["status"] not in ("closed", "matured")]
    expected = {
        "kpi-total-limit": sum(D(c["limit"]) for c in live),
        "kpi-drawn": sum(D(c["drawn"]) for c in channels),
        "kpi-headroom": sum(D(c["headroom"]) for c in channels),  # the API's headroom is 0 on a shut line
        "kpi-frozen-headroom": sum(D(c["limit"]) - D(c["drawn"]) for c in channels if c["status"] == "frozen"),
        "kpi-cash": sum(D(p["amount"]) * (1 - D(p["haircut"])) for p in pools if p["kind"] == "cash"),
        "kpi-other-pools": sum(
            D(p["amount"]) * (1 - D(p["haircut"])) for p in pools if p["kind"] != "cash" and p["channel"] is None
        ),
    }
    assert {key: shown[key] for key in expected} == {key: whole(value) for key, value in expected.items()}
    assert shown["kpi-total-limit"] == "5,500,000" and shown["kpi-frozen-headroom"] == "1,200,000"

    platform = sum(D(c["drawn"]) for c in channels if c["channel_type"] == "small_loan_platform")
    share = f"{(platform / expected['kpi-drawn'] * 100).quantize(D('0.1'), rounding=ROUND_HALF_UP)}"
    share = f"{share.rstrip('0').rstrip('.') if '.' in share else share}%"  # 4.0 to one place, its zero dropped
    assert shown["kpi-platform-share"] == share == "4%"
    mix = page[page.index('id="mix-type-title"') :]
    assert f'<td class="num">{share}</td>' in mix  # the funding mix shows the same figure

    # Where the backup line is counted, and what the totals leave out, is said on the tiles.
    assert "Includes 2,000,000 on committed backup lines, counted here and not in backup liquidity." in page
    assert "One closed or matured line is left out." in page
    assert re.search(r"As of [^<]+, Asia/Shanghai", page)
