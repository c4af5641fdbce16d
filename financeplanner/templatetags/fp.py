"""Template helpers of the pages: money and shares formatted for the reader's locale, navigation, the switchers.

`{% load fp %}` then `{{ channel.limit|money }}`, `{{ share|percent }}`, `{% nav_link "channels:channel-list" _("Channels") %}`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from financeplanner.models import Membership
from financeplanner.numbers import format_number

register = template.Library()


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value, places: int = 2) -> str:
    """1234567.5 → "1,234,567.50" in the reader's locale; "—" for nothing."""
    number = _number(value)
    if number is None:
        return "—"
    return format_number(number, int(places))


@register.filter
def percent(value, places: int | str = 1) -> str:
    """A share 0–1 as a percentage with at most `places` decimals and only those it needs.

    0.1234 → "12.3%", 0.25 → "25%", 0 → "0%"; `|percent:3` shows rates 0.105 as "10.5%", 0.0975 as "9.75%" and
    0.10125 as "10.125%". A negative `places` (floatformat's spelling) means the same.
    """
    number = _number(value)
    if number is None:
        return "—"
    shown = number * 100
    rounded = shown.quantize(Decimal(1).scaleb(-abs(int(places))), rounding=ROUND_HALF_UP)
    needed = max(-rounded.normalize().as_tuple().exponent, 0) if rounded else 0
    return f"{format_number(rounded, needed)}%"


@register.filter
def get_item(mapping, key):
    """`mapping[key]` in a template — a dict's value or a form's bound field; None when missing."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str, exact: bool = False) -> str:
    """A navigation link, marked as the current page; nothing when the URL does not exist (yet)."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return ""
    request = context.get("request")
    path = request.path if request else ""
    current = path == url if exact or url == "/" else path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.simple_tag
def url_or_empty(url_name: str, *args) -> str:
    """`reverse()` that gives "" instead of failing, for links to pages another app may not serve."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def user_memberships(context) -> list[Membership]:
    """The signed-in user's companies, for the company switcher (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).select_related("company").order_by("company__name"))
