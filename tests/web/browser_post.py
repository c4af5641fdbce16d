"""What a browser posts for a page's form as the page drew it, for page tests that must not guess the blank rows.

`drawn_form(html)` reads the page's main form (the one with `novalidate`, as generic/object_form.html draws it):
every input's value, each select's selected option (or its first, as a browser does), ticked boxes only, textareas'
text. What sits in a <template> (a formset's empty row) is not posted, as in a browser.
"""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, str] = {}
        self.in_form = False
        self.in_template = 0
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "form" and "novalidate" in attributes:
            self.in_form = True
        if not self.in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.data[name] = attributes.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.data[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((attributes.get("value") or "", "selected" in attributes))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1
        elif self.in_template:
            return
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected]
            self.data[self.select] = chosen[0] if chosen else (self.options[0][0] if self.options else "")
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.data[self.textarea] = self.data[self.textarea].removeprefix("\n")
            self.textarea = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data):
        if self.textarea and not self.in_template:
            self.data[self.textarea] += data


def drawn_form(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    return reader.data
