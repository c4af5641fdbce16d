"""The project's own date and number formats per language (settings.FORMAT_MODULE_PATH), over Django's.

Each language shows one date format on every page, whether a template prints `{{ day }}` (DATE_FORMAT) or
`|date:"SHORT_DATE_FORMAT"`: Django's English mixes "Jan. 5, 2026" and "01/05/2026" (month first, which readers
outside the US take for 1 May), its Chinese "2026年1月5日"; a treasury reads dates as ISO 8601 in Chinese and as
"5 Jan 2026" in English. Amounts are grouped by thousands with commas in both (Chinese financial statements do so,
Django's zh_Hans has no separator). Date *inputs* are not affected: `type=date` inputs always take ISO values
(financeplanner.forms.DateInput), and both languages accept ISO first when a date is typed.
"""
