"""A drill is refused when a line's currency has no FX rate known on its day 0 (financeplanner.fx): a drill that
silently dropped a line would misstate the company's liquidity. The dashboard leaves such lines out instead, and
says so."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from financeplanner.currencies import Unconverted, missing_currencies
from financeplanner.fx import line_models, unconverted_lines
from financeplanner.models import Company

__all__ = ["drill_fx_check", "line_label", "unconverted_lines"]


def line_label(line: Unconverted) -> str:
    """'channel “USD revolver”' in the reader's language (the model's own name for its rows)."""
    names = {model._meta.model_name: model._meta.verbose_name for model in line_models()}
    return _("%(kind)s “%(name)s”") % {"kind": names.get(line.kind, line.kind), "name": line.name}


def drill_fx_check(*, company: Company, as_of: date) -> None:
    """Refuse a drill whose day 0 has no FX rate for a line's currency: one message per currency, naming it, the
    day and its lines, under `currency` (the API's 400 names that field)."""
    lines = unconverted_lines(company, as_of)
    if not lines:
        return
    messages = []
    for currency in missing_currencies(lines):
        named = [line_label(line) for line in lines if line.currency == currency]
        messages.append(
            _(
                "No FX rate from %(currency)s to %(reporting)s known on %(day)s (the drill's day 0), needed by "
                "%(lines)s. Add the rate on the FX rates page (Settings), then start the drill again."
            )
            % {
                "currency": currency,
                "reporting": company.reporting_currency,
                "day": as_of.isoformat(),
                "lines": ", ".join(named),
            }
        )
    raise ValidationError({"currency": messages})
