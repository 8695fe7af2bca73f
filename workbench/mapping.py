"""Mapping specs and the tables they map: read a CSV or XLSX table, read or draft a spec.

A mapping spec is the YAML that Aleph users write for ``ftm map``: entities with a schema, keys
and properties taken from columns. The command line (``workbench mapping draft``), the import
wizard and the mapped-table importer plugin all read tables and specs through here, so a table
is read the same way whoever asks (same delimiter guess, same encoding check, same cell text).
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path
from typing import Any

import yaml

from workbench.archives import check_archive
from workbench.model.spreadsheet import cell_text
from workbench.plugin_api.base import SourceFormatError

TABLE_PATTERNS = ("*.csv", "*.tsv", "*.txt", "*.xlsx", "*.xlsm")
CANDIDATE_DELIMITERS = ",;\t|"


# ---------------------------------------------------------------------------------- specs


def load_spec(spec: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Read a mapping spec (YAML or JSON file, or already parsed)."""
    if isinstance(spec, dict):
        return spec
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceFormatError(f"{path}: cannot read the mapping ({error.strerror})") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SourceFormatError(f"{path}{where}: the mapping is not valid YAML ({error})") from error
    if not isinstance(data, dict):
        raise SourceFormatError(f"{path}: a mapping must be a YAML mapping with 'entities' or dataset queries")
    return data


def queries_of(spec: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """The (dataset, query) pairs of a spec, accepting both shapes Aleph users write.

    Either a bare query (``{entities: ...}``), or ``ftm map``'s file of datasets each with
    ``queries`` (or ``query``); the dataset name is the key prefix, so ids match ``ftm map``.
    """
    if "entities" in spec:
        return [(None, spec)]
    found = []
    for dataset, meta in spec.items():
        if not isinstance(meta, dict):
            continue
        queries = meta.get("queries", meta.get("query", []))
        if isinstance(queries, dict):
            queries = [queries]
        for query in queries:
            found.append((dataset, query))
    if not found:
        raise SourceFormatError("the mapping has no 'entities' (nor dataset 'queries' holding them)")
    return found


# ---------------------------------------------------------------------------------- tables


def _decode_check(path: Path, encoding: str) -> None:
    """Fail early, naming the line and byte, if the file is not in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, offset = 1, 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as error:
                prefix = block[: error.start]
                line_at = line + prefix.count(b"\n")
                raise SourceFormatError(
                    f"{path.name} line {line_at}: byte 0x{block[error.start]:02x} at offset {offset + error.start} "
                    f"is not {encoding}; set the encoding (e.g. --option encoding=cp1252)"
                ) from error
            line += text.count("\n")
            offset += len(block)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_csv(path: Path, encoding: str = "utf-8-sig", delimiter: str | None = None):
    """Header and an iterator of (row number, {column: value}); row 1 is the header."""
    _decode_check(path, encoding)
    handle = path.open("r", encoding=encoding, newline="")
    sample = handle.read(65536)
    handle.seek(0)
    delimiter = delimiter or _sniff_delimiter(sample)
    reader = csv.reader(handle, delimiter=delimiter, skipinitialspace=True)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        handle.close()
        raise SourceFormatError(f"{path.name}: the file is empty; expected a header row") from None
    except csv.Error as error:
        handle.close()
        raise SourceFormatError(f"{path.name} row 1: {error}") from error
    _check_header(path.name, header, "row 1")

    def rows():
        width = len(header)
        row_number = 1
        try:
            for row_number, values in enumerate(reader, start=2):
                if len(values) != width:
                    if not any(value.strip() for value in values):
                        continue  # blank line
                    raise SourceFormatError(
                        f"{path.name} row {row_number}: {len(values)} fields where the header has {width}"
                        + (" (is the file cut short?)" if len(values) < width else "")
                    )
                yield row_number, dict(zip(header, values))
        except csv.Error as error:
            raise SourceFormatError(
                f"{path.name} row {row_number + 1}: {error} (is the file cut short or a quote unclosed?)"
            ) from error
        finally:
            handle.close()

    return header, rows(), delimiter


def read_xlsx(path: Path, sheet: str | None = None):
    """Header and rows of one sheet (the first unless named), read in openpyxl's streaming mode."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    check_archive(path)  # openpyxl unpacks whatever the zip holds: a few MB can be gigabytes
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a damaged or foreign file
        raise SourceFormatError(f"{path.name}: not a readable XLSX workbook ({error})") from error
    if sheet is not None and sheet not in workbook.sheetnames:
        workbook.close()
        raise SourceFormatError(f"{path.name}: no sheet {sheet!r}; the sheets are {', '.join(workbook.sheetnames)}")
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    rows_iter = worksheet.iter_rows(values_only=True)
    try:
        raw_header = next(rows_iter)
    except StopIteration:
        workbook.close()
        raise SourceFormatError(f"{path.name} sheet {worksheet.title!r}: the sheet is empty; expected a header row") from None
    header = [cell_text(value).strip() for value in raw_header]
    while header and not header[-1]:
        header.pop()
    blanks = [f"{get_column_letter(i + 1)}1" for i, name in enumerate(header) if not name]
    if blanks:
        workbook.close()
        raise SourceFormatError(
            f"{path.name} sheet {worksheet.title!r}: header cells {', '.join(blanks)} are empty; merged header "
            "cells leave all but the first empty. Unmerge them and give each column its own name"
        )
    _check_header(path.name, header, f"sheet {worksheet.title!r} row 1")
    where = f"{path.name} {worksheet.title}!"

    def rows():
        width = len(header)
        try:
            for row_number, values in enumerate(rows_iter, start=2):
                texts = [cell_text(value) for value in values[:width]]
                if not any(texts):
                    continue
                texts.extend([""] * (width - len(texts)))
                yield row_number, dict(zip(header, texts))
        finally:
            workbook.close()

    return header, rows(), where


def _check_header(name: str, header: list[str], where: str) -> None:
    seen = set()
    for column in header:
        if column in seen:
            raise SourceFormatError(f"{name} {where}: column {column!r} appears twice; columns need distinct names")
        seen.add(column)


# ---------------------------------------------------------------------------------- drafting

_GUESSES: list[tuple[str, str]] = [
    # (column-name pattern, property) for a single-entity sheet of parties
    (r"^(full[_ ]?)?name$|company|organi[sz]ation|entity[_ ]?name|party", "name"),
    (r"alias|aka", "alias"),
    (r"country|nationality|jurisdiction", "country"),
    (r"address|street", "address"),
    (r"phone|tel", "phone"),
    (r"e-?mail", "email"),
    (r"web|url|site", "website"),
    (r"incorporat|registered[_ ]?on|founded", "incorporationDate"),
    (r"reg(istration)?[_ ]?(no|num|number)|company[_ ]?number", "registrationNumber"),
    (r"^id$|identifier|tax|vat", "idNumber"),
    (r"note|comment|remark", "notes"),
]
_PAYER = r"payer|sender|from|originator|debtor|^account(_id)?$|source"
_PAYEE = r"payee|beneficiary|receiver|recipient|to$|creditor|counter[_ ]?party|target|dest"
_AMOUNT = r"amount|amt|value|sum"
_DATE = r"date|time|day|when|timestamp"
_CURRENCY = r"currency|ccy|cur$"
_PURPOSE = r"purpose|reference|memo|description|type|narrative"
_TXN_ID = r"^(txn|transaction|tx|payment)[_ ]?(id|no|number|ref)$|^id$"


def _find(header: list[str], pattern: str, exclude: set[str] = frozenset()) -> str | None:
    for column in header:
        if column not in exclude and re.search(pattern, column, re.IGNORECASE):
            return column
    return None


def _leftovers(header: list[str], used: set[str]) -> dict[str, Any]:
    """The columns no property took, kept together as the summary (nothing when there are none)."""
    leftovers = [c for c in header if c not in used]
    return {"summary": {"columns": leftovers, "join": " | "}} if leftovers else {}


def _party(column: str) -> dict[str, Any]:
    """A payer or payee named by ``column``. FtM's Payment links parties (LegalEntity); the same
    key_literal makes an account that pays in one row and receives in another one party."""
    return {"schema": "LegalEntity", "keys": [column], "key_literal": "party", "properties": {"name": {"column": column}}}


def draft_spec(header: list[str]) -> dict[str, Any]:
    """A starting mapping guessed from a header row, to be checked and edited by the analyst.

    Transaction-shaped tables (two party columns and an amount) become payer, payee and the
    payment between them; anything else becomes one LegalEntity per row.
    """
    used: set[str] = set()
    amount = _find(header, _AMOUNT)
    payer = _find(header, _PAYER, {amount} if amount else set())
    payee = _find(header, _PAYEE, {c for c in (amount, payer) if c})
    if amount and payer and payee:
        used.update({amount, payer, payee})
        date_column = _find(header, _DATE, used)
        currency = _find(header, _CURRENCY, used)
        used.update(c for c in (date_column, currency) if c)
        purpose = _find(header, _PURPOSE, used)
        txn_id = _find(header, _TXN_ID, used)
        used.update(c for c in (purpose, txn_id) if c)
        payment_props: dict[str, Any] = {
            "payer": {"entity": "payer"},
            "beneficiary": {"entity": "payee"},
            "amount": {"column": amount},
        }
        if date_column:
            payment_props["date"] = {"column": date_column}
        if currency:
            payment_props["currency"] = {"column": currency}
        if purpose:
            payment_props["purpose"] = {"column": purpose}
        payment_props.update(_leftovers(header, used))
        return {
            "entities": {
                "payer": _party(payer),
                "payee": _party(payee),
                "payment": {
                    "schema": "Payment",
                    "keys": [txn_id] if txn_id else [c for c in header],
                    "properties": payment_props,
                },
            }
        }
    properties: dict[str, Any] = {}
    for column in header:
        for pattern, prop in _GUESSES:
            if prop not in properties and re.search(pattern, column, re.IGNORECASE):
                properties[prop] = {"column": column}
                used.add(column)
                break
    name_column = properties.get("name", {}).get("column") or header[0]
    properties.setdefault("name", {"column": name_column})
    properties.update(_leftovers(header, used | {name_column}))
    return {
        "entities": {
            "party": {
                "schema": "LegalEntity",
                "keys": [name_column] + [p["column"] for k, p in properties.items() if k == "country"],
                "properties": properties,
            }
        }
    }


def dump_spec(spec: dict[str, Any]) -> str:
    header = (
        "# FollowTheMoney mapping drafted by Workbench from the header row.\n"
        "# Check every guess: schema names and properties are FtM's (https://followthemoney.tech).\n"
    )
    return header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def read_table(path: Path, *, sheet: str | None = None, encoding: str = "utf-8-sig", delimiter: str | None = None):
    """``(header, rows, place)`` of a CSV or XLSX table, by its suffix; ``place`` prefixes row locators.

    ``rows`` yields ``(row number, {column: text})`` and closes the file when exhausted or closed.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, rows, where = read_xlsx(path, sheet)
        return header, rows, where + "row "
    header, rows, _ = read_csv(path, encoding, delimiter)
    return header, rows, f"{path.name} row "


__all__ = [
    "CANDIDATE_DELIMITERS",
    "TABLE_PATTERNS",
    "draft_spec",
    "dump_spec",
    "load_spec",
    "queries_of",
    "read_csv",
    "read_table",
    "read_xlsx",
]
