"""Charts for the server-rendered pages: matplotlib (Agg) → inline SVG text, no JavaScript, no CDN.

Every helper takes plain Python lists (or pandas Series — anything iterable) and returns the `<svg>` element as
text that is safe to `mark_safe`: matplotlib escapes the labels it writes, the title is added as an element of the
parsed tree (escaped on serialisation, never through a regex template), and `$` is escaped so a counterparty
called "A$B" is not read as mathtext. Text is kept as `<text>` (svg.fonttype "none") so the browser renders it with
the page's fonts — Chinese labels included — and it stays selectable and small.

The SVG is responsive (viewBox, no fixed width), carries role="img" and an aria-label, and a <title> for
screen readers. Figures are built with `matplotlib.figure.Figure`, never pyplot: no global state, safe in threads.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import ParamSpec
from xml.etree import ElementTree

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 — after choosing the backend
from matplotlib.ticker import FuncFormatter  # noqa: E402

P = ParamSpec("P")

PALETTE = ("#1f5f8b", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bbf", "#7f8c8d", "#d4ac0d", "#17a2b8")
INK = "#1d2733"
GRID = "#d5dbe1"
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "financeplanner",  # stable ids: the same data gives the same SVG
    "font.family": ["DejaVu Sans", "Noto Sans CJK SC", "sans-serif"],
    "font.size": 9,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


CACHE_SIZE = 256
_cache: OrderedDict[str, str] = OrderedDict()
_cache_lock = threading.Lock()


def _styled(chart: Callable[P, str]) -> Callable[P, str]:
    """Build the whole figure under the house style (rcParams apply when axes and artists are created).

    Rendering takes ~0.1 s a chart, and a dashboard is reloaded far more often than its numbers change: the SVG
    of the same inputs (labels and titles as the text shown, so each language has its own) is kept in a small
    in-process LRU cache.
    """

    @functools.wraps(chart)
    def styled(*args: P.args, **kwargs: P.kwargs) -> str:
        key = hashlib.sha256(
            json.dumps([chart.__name__, args, kwargs], default=str, sort_keys=True).encode()
        ).hexdigest()
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        with matplotlib.rc_context(RC):
            svg = chart(*args, **kwargs)
        with _cache_lock:
            _cache[key] = svg
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return svg

    return styled


def _text(label: object) -> str:
    return str(label).replace("$", r"\$")


def _floats(values: Iterable) -> list[float]:
    out = []
    for value in values:
        out.append(math.nan if value is None else float(value))
    return out


def compact_number(value: float, _pos: object = None) -> str:
    """1234567 → 1.2M: axis ticks of money in any currency."""
    magnitude = abs(value)
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            return f"{value / threshold:.3g}{suffix}"
    return f"{value:.3g}" if magnitude else "0"


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _svg(figure: Figure, title: str) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Layout measures text with the fonts matplotlib has; a missing glyph only shifts the layout slightly.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        figure.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return inline_svg(buffer.getvalue(), title)


SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
# CSS properties matplotlib writes in `style` that SVG also takes as presentation attributes.
PRESENTATION_ATTRIBUTES = frozenset(
    {
        "clip-path", "clip-rule", "color", "display", "dominant-baseline", "fill", "fill-opacity", "fill-rule",
        "font-family", "font-size", "font-style", "font-variant", "font-weight", "letter-spacing", "opacity",
        "stroke", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
        "stroke-opacity", "stroke-width", "text-anchor", "visibility", "white-space", "mix-blend-mode",
    }
)  # fmt: skip


def inline_svg(document: str, title: str) -> str:
    """matplotlib's SVG document → an `<svg>` element to put in a page, built as a tree (never by text templates).

    The title becomes an escaped `aria-label` and a `<title>` child; the fixed size and the metadata are dropped
    (responsive through the viewBox). The page's Content-Security-Policy allows no inline style, so matplotlib's
    `style="…"` declarations become the equivalent presentation attributes, and its `<style>` element (one rule for
    every element) becomes inherited attributes of the root.
    """
    root = ElementTree.fromstring(document[document.index("<svg") :])
    kept = {name: value for name, value in root.attrib.items() if name not in ("width", "height")}
    root.attrib.clear()
    root.attrib.update(
        {"class": "chart", "role": "img", "aria-label": str(title), "preserveAspectRatio": "xMidYMid meet", **kept}
    )
    root.attrib.update({"xmlns": SVG_NS, "xmlns:xlink": XLINK_NS})  # written as they stand, after our own
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in list(parents):
        if element.tag == f"{{{SVG_NS}}}style":
            root.attrib.update(_declarations(element.text or ""))
        if element.tag in (f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}metadata"):
            parents[element].remove(element)
    for element in list(parents):
        if element.tag == f"{{{SVG_NS}}}defs" and not len(element) and element in parents[element]:
            parents[element].remove(element)  # the defs that only held the style
    for element in root.iter():
        element.attrib.update(_declarations(element.attrib.pop("style", "")))
    label = ElementTree.Element("title")
    label.text = str(title)
    root.insert(0, label)
    for element in root.iter():  # plain names: no "ns0:" prefixes, and the root's attributes in our order
        element.tag = element.tag.rpartition("}")[2]
        for name in [name for name in element.attrib if name.startswith(f"{{{XLINK_NS}}}")]:
            element.set("xlink:" + name.rpartition("}")[2], element.attrib.pop(name))
    return ElementTree.tostring(root, encoding="unicode")


def _declarations(css: str) -> dict[str, str]:
    """`a: 1; b: 2` (or one rule `*{a: 1}`) → {"a": "1", "b": "2"}, keeping only presentation attributes."""
    body = css[css.find("{") + 1 : css.rfind("}")] if "{" in css else css
    out = {}
    for declaration in body.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name in PRESENTATION_ATTRIBUTES and value:
            out[name] = value
    return out


def _empty(title: str, message: str, width: float = 6.4, height: float = 1.2) -> str:
    figure = _figure(width, height)
    axes = figure.add_subplot()
    axes.axis("off")
    axes.text(0.5, 0.5, _text(message), ha="center", va="center", color="#6b7785", transform=axes.transAxes)
    return _svg(figure, title)


@_styled
def bar_chart_svg(
    labels: Sequence,
    values: Sequence,
    title: str = "",
    *,
    horizontal: bool = True,
    color: str = PALETTE[0],
    empty_message: str = "No data",
) -> str:
    """One bar per label; horizontal by default (long lender names stay readable)."""
    labels, numbers = [_text(label) for label in labels], _floats(values)
    if not labels:
        return _empty(title, empty_message)
    if horizontal:
        figure = _figure(6.4, max(1.4, 0.36 * len(labels) + 0.7))
        axes = figure.add_subplot()
        positions = range(len(labels))
        axes.barh(positions, numbers, color=color)
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
        axes.xaxis.set_major_formatter(FuncFormatter(compact_number))
        axes.grid(axis="x", color=GRID, linewidth=0.6)
    else:
        figure = _figure(6.4, 2.8)
        axes = figure.add_subplot()
        positions = range(len(labels))
        axes.bar(positions, numbers, color=color)
        axes.set_xticks(list(positions), labels)
        axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
        axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    if title:
        axes.set_title(_text(title), loc="left", color=INK)
    return _svg(figure, title)


@_styled
def ladder_chart_svg(buckets: Sequence, values: Sequence, title: str = "", *, empty_message: str = "No data") -> str:
    """A maturity ladder: one column per bucket, in the order given (soonest first)."""
    return bar_chart_svg(buckets, values, title, horizontal=False, color=PALETTE[1], empty_message=empty_message)


@_styled
def stacked_bar_svg(
    labels: Sequence,
    series: Mapping[str, Sequence],
    title: str = "",
    *,
    empty_message: str = "No data",
) -> str:
    """Columns per label, one stacked segment per series (e.g. drawn and headroom per channel type)."""
    labels = [_text(label) for label in labels]
    if not labels or not series:
        return _empty(title, empty_message)
    figure = _figure(6.4, 3.0)
    axes = figure.add_subplot()
    bottoms = [0.0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        numbers = [0.0 if math.isnan(v) else v for v in _floats(values)]
        axes.bar(range(len(labels)), numbers, bottom=bottoms, label=_text(name), color=PALETTE[index % len(PALETTE)])
        bottoms = [b + v for b, v in zip(bottoms, numbers, strict=True)]
    axes.set_xticks(list(range(len(labels))), labels)
    axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(frameon=False, loc="upper right")
    if title:
        axes.set_title(_text(title), loc="left", color=INK)
    return _svg(figure, title)


@_styled
def fan_chart_svg(
    days: Sequence[int],
    percentiles: Mapping[str, Sequence],
    title: str = "",
    *,
    x_label: str = "",
    floor: float | None = 0.0,
    empty_message: str = "No data",
) -> str:
    """A liquidity fan: shaded bands between matching outer percentiles (p5–p95, p25–p75), the median as a line.

    `percentiles` maps names like "p5", "p50" to values per day — the `fan` of a drill result without "days".
    A single series (a deterministic drill) is drawn as one line. `floor` draws a reference line (zero cash).
    """
    days = list(days)
    series = {name: _floats(values) for name, values in percentiles.items() if name != "days"}
    if not days or not series:
        return _empty(title, empty_message)
    figure = _figure(6.4, 2.8)
    axes = figure.add_subplot()

    def level(name: str) -> float:
        try:
            return float(name.lstrip("pP"))
        except ValueError:
            return 50.0

    names = sorted(series, key=level)
    pairs = [(names[i], names[-1 - i]) for i in range(len(names) // 2)]
    for index, (low, high) in enumerate(pairs):
        axes.fill_between(
            days, series[low], series[high], color=PALETTE[0], alpha=0.18 + 0.17 * index, linewidth=0,
            label=f"{low}–{high}",
        )  # fmt: skip
    middle = names[len(names) // 2] if len(names) % 2 else None
    if middle is not None:
        axes.plot(days, series[middle], color=PALETTE[0], linewidth=1.6, label=middle)
    if floor is not None:
        axes.axhline(floor, color=PALETTE[3], linewidth=0.8, linestyle="--")
    axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_xlim(days[0], days[-1] if len(days) > 1 else days[0] + 1)
    if x_label:
        axes.set_xlabel(_text(x_label))
    if len(names) > 1:
        axes.legend(frameon=False, loc="best", fontsize=8)
    if title:
        axes.set_title(_text(title), loc="left", color=INK)
    return _svg(figure, title)


@_styled
def line_chart_svg(
    x: Sequence,
    series: Mapping[str, Sequence],
    title: str = "",
    *,
    step: bool = False,
    empty_message: str = "No data",
) -> str:
    """Lines over a shared x axis (days, dates or numbers), one per series."""
    x = list(x)
    if not x or not series:
        return _empty(title, empty_message)
    figure = _figure(6.4, 2.6)
    axes = figure.add_subplot()
    for index, (name, values) in enumerate(series.items()):
        draw = axes.step if step else axes.plot
        kwargs = {"where": "post"} if step else {}
        draw(x, _floats(values), color=PALETTE[index % len(PALETTE)], linewidth=1.5, label=_text(name), **kwargs)
    axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    if len(series) > 1:
        axes.legend(frameon=False)
    if title:
        axes.set_title(_text(title), loc="left", color=INK)
    figure.autofmt_xdate() if x and isinstance(x[0], date) else None
    return _svg(figure, title)


@_styled
def rating_history_svg(
    dates: Sequence[date],
    ranks: Sequence[int],
    symbols: Sequence[str],
    title: str = "",
    *,
    empty_message: str = "No data",
) -> str:
    """A rating path: master-scale rank over time (better ratings on top), ticks labelled with the symbols.

    `symbols` is the master scale in rank order (channels_app.ratings.MASTER_SYMBOLS), so the view decides the scale.
    """
    dates, ranks = list(dates), list(ranks)
    if not dates:
        return _empty(title, empty_message)
    figure = _figure(6.4, 2.2)
    axes = figure.add_subplot()
    order = sorted(range(len(dates)), key=lambda i: dates[i])
    xs, ys = [dates[i] for i in order], [ranks[i] for i in order]
    axes.step(xs, ys, where="post", color=PALETTE[0], linewidth=1.6)
    axes.plot(xs, ys, "o", color=PALETTE[0], markersize=4)
    low, high = max(min(ys) - 1, 0), min(max(ys) + 1, len(symbols) - 1)
    ticks = list(range(low, high + 1))
    axes.set_yticks(ticks, [symbols[t] for t in ticks])
    axes.set_ylim(high + 0.5, low - 0.5)  # rank 0 (AAA) on top
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    if len(xs) == 1:
        axes.set_xticks(xs, [xs[0].isoformat()])
    else:
        figure.autofmt_xdate()
    if title:
        axes.set_title(_text(title), loc="left", color=INK)
    return _svg(figure, title)
