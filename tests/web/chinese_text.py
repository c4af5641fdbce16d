"""Finding English on a page that should be Chinese: the visible text, less the company's own data, has no English.

What a reader sees is the text of the page, and the attributes a browser shows (title, placeholder, aria-label, alt,
a button's value); not <script>, <style> or other attributes, nor what is typed as is in any language (<code>). The company's own data — names, codes, notes, users —
and what is data in any language (numbers, dates, amounts, e-mail addresses, web addresses, currency codes, rating
grades) are taken out first. What is left must not hold:

- an English sentence: two or more ASCII words in a row (product terms such as API, CSV or HHI do not count);
- a raw code: a snake_case word such as ``bank_term_loan`` (a choice's value instead of its label);
- a lone English word of the interface (Delete, Save, Yes, ...), which a translated page never shows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Product and technical terms a Chinese page writes in Latin letters.
TERMS = {
    "API", "CSV", "XLSX", "JSON", "ERP", "URL", "URLs", "HHI", "ID", "cron", "htmx", "financeplanner", "HTTP",
    "HTTPS", "IANA", "UTC", "PD", "LaR", "Z", "Altman", "EBIT", "Excel", "GBK", "UTF", "PDF", "SVG", "PNG", "ISO",
    "OK", "WeCom", "DingTalk", "Feishu", "Lark", "HMAC", "SHA", "Webhook", "webhook", "Token", "token", "Bearer",
    "Monte", "Carlo", "Z''", "ACT", "F", "S", "P", "Moody", "Fitch", "Swagger", "ReDoc", "OpenAPI", "Asia",
    "Shanghai", "cURL", "curl", "GET", "POST", "RMB", "VaR", "MMF", "KPI", "SCF", "ABS", "LPR", "SHIBOR", "LIBOR",
    "SOFR", "TTM", "ACTUS", "QuantLib", "NetBox", "IP", "SMTP", "Cookie", "cookie", "CSRF", "Chromium", "Playwright",
}  # fmt: skip
# Interface words that are never data: alone on a Chinese page they are an untranslated label.
UI_WORDS = {
    "Add", "All", "Apply", "Approve", "Back", "Cancel", "Close", "Closed", "Delete", "Edit", "Export", "Filter",
    "Go", "History", "Import", "Name", "New", "Next", "No", "None", "Open", "Previous", "Reset", "Run", "Save",
    "Search", "Status", "Submit", "Switch", "Total", "Unknown", "Update", "View", "Yes", "Active", "Frozen",
    "Reduced", "Matured", "Draft", "Approved", "Retired", "Queued", "Running", "Succeeded", "Failed", "Pending",
    "Passed", "Skipped", "Green", "Amber", "Red", "Daily", "Weekly", "Monthly", "Once", "Bank", "Platform",
    "Limit", "Drawn", "Headroom", "Runway", "Dashboard", "Channels", "Pools", "Plans", "Scenarios", "Drills",
    "Schedules", "Alerts", "Settings", "Exports", "Members", "Download", "Upload", "Preview", "Confirm",
}  # fmt: skip

SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
HIDDEN_ELEMENTS = {"script", "style"}
# What is typed as is in any language: an HTTP header, a query parameter, a column or dataset name in <code>.
VERBATIM_ELEMENTS = {"code", "kbd", "samp"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

GAP = "\u2063"  # where data was taken out: it separates words, so "Acme" + "Bank" do not make an English pair
DATA = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"https?://\S+|(?<!\w)/[\w./?=&%#:+~-]*[\w/]"),  # web addresses and paths
    re.compile(r"\b\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?\b"),  # ISO dates and times
    re.compile(r"\b[A-Z]{3}\b"),  # currency codes (and three-letter grades)
    re.compile(r"\b(AAA|AA|A|BBB|BB|B|CCC|CC|C|D|Aaa|Aa|Baa|Ba|Caa|Ca)[+-]?[123]?(?![\w'])"),  # rating grades
    re.compile(r"[-+−]?\d[\d,.\u00a0\u202f ]*(%|‰|bp)?"),  # numbers, amounts, shares
    re.compile(r"#\d+"),  # run numbers
    re.compile(r"\b[A-Z][A-Za-z]+(?:/[A-Za-z0-9_+-]+)+"),  # IANA time zones (Asia/Shanghai)
    re.compile(r"\b\w+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS\b"),  # a formset's own field names (ManagementForm)
    re.compile(r"\b\d{1,2}:\d{2}\b"),  # times
]
WORD = r"[A-Za-z]+(?:['’][A-Za-z]+)*"
ENGLISH_RUN = re.compile(rf"{WORD}(?:[ \t\r\n,;:&/()\"'“”‘’.!?-]+{WORD})+")
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.stack: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in HIDDEN_ELEMENTS or tag in VERBATIM_ELEMENTS:
            self.hidden += 1
        if not self.hidden:
            self.texts += [v for k, v in attributes.items() if k in SHOWN_ATTRIBUTES and v]
            if tag == "input" and attributes.get("type") in ("submit", "button", "reset") and attributes.get("value"):
                self.texts.append(attributes["value"])
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        if tag in self.stack:
            while self.stack:
                if self.stack.pop() == tag:
                    break
        if (tag in HIDDEN_ELEMENTS or tag in VERBATIM_ELEMENTS) and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    """The page's text nodes and shown attributes, one string each, without <script>, <style> and what is verbatim
    (<code>, <kbd>, <samp>)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def _without(text: str, own: list[str]) -> str:
    for value in own:
        if value in text:
            text = text.replace(value, GAP)
    for pattern in DATA:
        text = pattern.sub(GAP, text)
    return text


def _terms_out(text: str) -> str:
    return re.sub(WORD + r"(?:'')?", lambda m: GAP if m.group(0) in TERMS else m.group(0), text)


def english_in(html: str, own_data: set[str] = frozenset()) -> list[str]:
    """The English a Chinese reader would find on the page: sentences, raw codes and lone interface words."""
    own = sorted(own_data, key=len, reverse=True)
    found = []
    for text in visible_texts(html):
        rest = _terms_out(_without(text, own))
        found += [m.group(0) for m in RAW_CODE.finditer(rest)]
        rest = RAW_CODE.sub(GAP, rest)
        runs = list(ENGLISH_RUN.finditer(rest))
        found += [m.group(0).strip() for m in runs]
        rest = ENGLISH_RUN.sub(GAP, rest)
        found += [w for w in re.findall(WORD, rest) if w in UI_WORDS]
    return found
