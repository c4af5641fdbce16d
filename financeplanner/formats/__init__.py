"""The project's own date and number formats per language (settings.FORMAT_MODULE_PATH), over Django's.

Each language shows one date format on every page, whether a template prints `{{ day }}` (DATE_FORMAT) or
`|date:"SHORT_DATE_FORMAT"`: Django's English mixes "Jan. 5, 2026" and "01/05/2026" (month first, which readers
outside the US take for 1 May), its Chinese writes "2026年1月5日". Both languages show ISO 8601 (2026-01-05): the
format Chinese financial reports use (GB/T 7408), unambiguous in English, and the one the API, the exports, the date
pickers and the generated texts (alerts, chart axes) already use, so no page shows two formats. Amounts are grouped by
thousands with commas in both (Chinese financial statements do so; Django's zh_Hans has no separator). Date *inputs*
are not affected: `type=date` inputs always take ISO values (financeplanner.forms.DateInput).
"""
