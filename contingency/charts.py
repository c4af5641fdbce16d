"""Charts of the contingency pages, on top of the shared inline-SVG helpers of `financeplanner.charts`.

The drill fan uses the shared fan chart; the forecast needs bars and a running total on one picture, which the
shared helpers do not draw, so it is built here in the same style (same palette, rcParams and SVG treatment).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import matplotlib
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from financeplanner.charts import GRID, INK, PALETTE, RC, compact_number, fan_chart_svg, inline_svg

FAN_KEYS = ("p5", "p25", "p50", "p75", "p95")
INFLOW, OUTFLOW = PALETTE[2], PALETTE[3]


def fan_chart(fan: Mapping, *, as_of: date | None = None, paths: int = 1) -> str:
    """The liquidity fan of a drill result (`results["fan"]`): bands between percentiles, the median as a line.

    A deterministic drill has one path, so its percentiles coincide: it is drawn as one line of liquidity.
    """
    days = list(fan.get("days") or [])
    if paths > 1:
        series = {key: fan[key] for key in FAN_KEYS if fan.get(key)}
    else:
        series = {_("Liquidity"): fan.get("p50") or []} if fan.get("p50") else {}
    x_label = _("Day (0 = %(date)s)") % {"date": as_of.isoformat()} if as_of else _("Day")
    title = (
        _("Liquidity: cash plus open headroom, by percentile of the paths")
        if paths > 1
        else _("Liquidity: cash plus open headroom")
    )
    return fan_chart_svg(
        days, series, title, x_label=x_label, floor=0.0, empty_message=_("No liquidity fan in these results")
    )


def daily_net_chart(*, start: date, net: Sequence[float], title: str, opening: float = 0.0) -> str:
    """Daily net operating flow as bars (green in, red out) with the running cash balance as a line, from `opening`
    (cash on hand at the start of the first day).

    Drawing takes a few hundred milliseconds and the forecast changes far less often than the page is read: the
    SVG of the same inputs, in the same language, is kept in Django's cache for a day.
    """
    net, opening = [round(float(value), 2) for value in net], round(float(opening), 2)
    key = (
        "contingency:daily-net:v3:"
        + hashlib.sha256(json.dumps([start.isoformat(), net, opening, title, get_language()]).encode()).hexdigest()
    )
    return cache.get_or_set(key, lambda: _daily_net_svg(start, net, title, opening), timeout=24 * 3600)


def _daily_net_svg(start: date, net: list[float], title: str, opening: float = 0.0) -> str:
    dates = [start + timedelta(days=i) for i in range(len(net))]
    running, total = [], opening
    for value in net:
        total += value
        running.append(total)
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        colours = [INFLOW if value >= 0 else OUTFLOW for value in net]
        axes.bar(dates, net, color=colours, width=0.8, label=_("Net flow of the day"))
        axes.plot(dates, running, color=PALETTE[0], linewidth=1.5, label=_("Cash balance"))
        axes.axhline(0, color=INK, linewidth=0.6)
        axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
        axes.grid(axis="y", color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        figure.legend(loc="outside upper left", ncol=2, frameon=False, fontsize=8)
        figure.autofmt_xdate()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return inline_svg(buffer.getvalue(), title)
