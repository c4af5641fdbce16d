"""Text the product stores (or caches) and people read later — an alert's message, a live-drill checklist task, a
trigger-watch note — in the reader's language: kept as an English template and its values, rendered when shown.

An alert is written once, by an evaluation nobody reads at that moment, and read later by people in English or
Chinese (and e-mailed to both); a checklist is made when a drill starts and worked through by whoever is on duty. So the indicator keeps what it would say as a msgid with ``%(name)s`` placeholders
(`gettext_noop`, so the catalogue carries its translation) and the values that fill it; a value that is itself a
word of the product — a channel type, a lender action, a scale — is kept as its own msgid (`term`) and translated
too. Names, ratings, dates and amounts are the company's data and are shown as they are. `Alert.message` keeps the
English text (the API's and the exports' field, unchanged); `Alert.display_message` is the reader's, and
`ChecklistItem.display_title` and `WatchRow.display_note` likewise. Imports nothing of the project, so every app's
models can use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext


def term(label: Any, *, lower: bool = False) -> dict[str, Any]:
    """A value that is a word of the product (a choice's label, a field's name; lazy or not): kept as its msgid,
    shown translated (in lower case inside a sentence when `lower`)."""
    with translation.override(None):  # no language active: a lazy label gives back its msgid
        return {"t": str(label), "lower": True} if lower else {"t": str(label)}


def _value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        word = gettext(value["t"])
        return word.lower() if value.get("lower") else word
    return value


@dataclass(frozen=True)
class Message:
    template: str  # an English msgid, marked with gettext_noop where it is written
    params: dict[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        with translation.override("en"):
            return render(self.template, self.params)

    def rendered(self) -> str:
        """In the active language."""
        return render(self.template, self.params)


def render(template: str, params: dict[str, Any]) -> str:
    """The message in the active language; the English template if the catalogue's does not fit the values."""
    values = {k: _value(v) for k, v in params.items()}
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):  # a translation that names a value the template does not have
        return template % values
