"""Spreadsheet cells as text: what a typed cell says (:func:`cell_text`), and text that a
spreadsheet shows as written and never runs as a formula.

Excel, LibreOffice and Google Sheets take a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) for a formula, and a formula in exported data can
run on the reader's machine (``=HYPERLINK(...)``, ``=cmd|...``: "CSV injection"). The
workbook export writes such text as a string-typed cell; a CSV file has no cell types, so its
writers put a ``'`` in front, the mark spreadsheets read as "this is text" (OWASP's advice).
A plain number (``-12.5``, ``+971500000999``) is not a formula and is left alone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

#: What a spreadsheet takes for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
_NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula rather than as text or a number."""
    return bool(text) and text.startswith(FORMULA_STARTS) and not _NUMBER_RE.fullmatch(text)


def spreadsheet_safe(text: str) -> str:
    """``text`` for a CSV cell: a ``'`` in front when a spreadsheet would run it.

    Text that already starts with ``'`` and would be a formula without it gets one more, so
    :func:`from_spreadsheet_safe` gives every value back exactly.
    """
    if not isinstance(text, str) or not text:
        return text
    if starts_a_formula(text.lstrip(TEXT_MARK)):
        return TEXT_MARK + text
    return text


def from_spreadsheet_safe(text: str) -> str:
    """The value :func:`spreadsheet_safe` was given (for reading back files the workbench wrote)."""
    if isinstance(text, str) and text.startswith(TEXT_MARK) and starts_a_formula(text.lstrip(TEXT_MARK)):
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A cell's value as FtM text; cells an analyst typed into may hold numbers, dates or booleans.

    ``None`` is empty; a boolean is ``true`` or ``false`` (as FtM and JSON write it); a whole
    float loses its ``.0`` (a spreadsheet stores 2023 and 854232 as floats); a date or a
    midnight timestamp is an ISO date, another timestamp ISO date and time.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
