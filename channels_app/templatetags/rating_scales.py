"""`{{ rating|domestic:offset }}`: a master-scale (global) rating on the Chinese domestic scale, for pages that show
both grades (domestic = master rank − the company's notch offset, stopping at AAA; channels_app.ratings)."""

from django import template

from channels_app import ratings

register = template.Library()


@register.filter
def domestic(rating: str, offset) -> str:
    try:
        return ratings.domestic_grade(rating, int(offset))
    except (TypeError, ValueError):
        return ""
