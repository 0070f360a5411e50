"""Spreadsheet cells that never run: the formula-injection rule of DESIGN §10.

A spreadsheet reads a cell that begins with `=`, `+`, `-` or `@` as a formula (and a leading tab
or carriage return can hide one), so a recommendation's text could run when a ministry opens the
export. Every text cell of a CSV or XLSX file goes through `neutralise`; NDJSON keeps texts as
stored. An upload of such a file removes the quote again with `restore`.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_STARTS = FORMULA_TRIGGERS  # the name the plan workbook imports


def neutralise(text: str) -> str:
    """`text` with a literal leading `'` when a spreadsheet could read it as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def restore(text: str) -> str:
    """The text `neutralise` was given: for reading back a cell that an export wrote. (A text
    that itself began with `'=` comes back without its quote: the rule cannot tell them apart.)"""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
