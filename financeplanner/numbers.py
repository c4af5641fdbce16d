"""Numbers for people: amounts in the reader's locale, for templates (the `money` filter) and Python alike."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import numberformat
from django.utils.formats import get_format


def format_number(number: Decimal, places: int) -> str:
    """The locale's decimal separator, thousands grouped.

    Django's zh_Hans format has no thousands separator, but Chinese financial statements group amounts by
    thousands with commas (12,345,678.00); a locale without a separator therefore gets that convention.
    """
    thousand_sep = get_format("THOUSAND_SEPARATOR") or ","
    grouping = get_format("NUMBER_GROUPING") if get_format("THOUSAND_SEPARATOR") else 3
    return numberformat.format(
        number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places >= 0 else number,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=grouping or 3,
        thousand_sep=thousand_sep,
        force_grouping=True,
    )
