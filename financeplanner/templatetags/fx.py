"""`{% load fx %}` then `{% fx_warning object %}`: a warning beside a line (channel, pool, cash-flow line) whose
currency has no FX rate known today, linking to the FX rates page. The company's known currencies are read once
per request."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from financeplanner.fx import fx_rates

register = template.Library()


def known_currencies(request) -> set[str]:
    """The currencies the request's company can convert today: its reporting currency and those with a rate on or
    before today (the latest known rate is the one used, as in a drill)."""
    known = getattr(request, "_fx_known_currencies", None)
    if known is None:
        known = set(fx_rates(request.company, timezone.localdate()))
        request._fx_known_currencies = known
    return known


@register.simple_tag(takes_context=True)
def fx_warning(context, line) -> str:
    request = context.get("request")
    currency = getattr(line, "currency", "")
    if request is None or getattr(request, "company", None) is None or not currency:
        return ""
    if currency in known_currencies(request):
        return ""
    return format_html(
        ' <a class="badge badge--warn fx-warning" href="{}" title="{}">{}</a>',
        reverse("settings:fxrate-list") + f"?currency={currency}",
        _("Left out of the dashboard's totals, and drills are refused, until a rate is added"),
        _("No FX rate for %(currency)s") % {"currency": currency},
    )


@register.filter
def rate(value) -> str:
    """An FX rate with its significant digits only (7.10000000 -> 7.1)."""
    if value is None:
        return "—"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
