"""CSV and XLSX tables mapped onto entities with a FollowTheMoney mapping spec.

The spec is the YAML that Aleph users already write for ``ftm map``: entities with a schema,
keys and properties taken from columns, literals or other entities of the same row, so one
row can give a payer, a payee and the payment between them. FtM parses and validates the spec
(so an Aleph mapping behaves here as it does there, entity ids included); the rows are mapped
by a leaner loop than FtM's own, which builds a proxy per entity per row and was measured at
31 s for 120,000 rows on these machines. Cleaned values are cached, because a column of
dates or countries repeats the same few thousand values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from dateutil import parser as date_parser
from followthemoney.exc import InvalidMapping
from followthemoney.types import registry
from price_parser import Price

# The spec and table helpers are core's (the CLI and the import wizard use them too); they are
# still importable from here.
from workbench.mapping import (  # noqa: F401
    TABLE_PATTERNS,
    draft_spec,
    dump_spec,
    load_spec,
    queries_of,
    read_csv,
    read_table,
    read_xlsx,
)
from workbench.model import model
from workbench.model.provenance import Record
from workbench.plugin_api import Importer, Parameter, SourceFormatError

#: Digests of parties already yielded that one import keeps (about 65 bytes each: at most about
#: 65 MB); past that, a party named again is recorded again and merged by the case.
_REMEMBERED = 1_000_000
#: Cleaned values cached per type (dates and countries repeat on every row; names and amounts rarely).
_CACHED = 20_000

# ---------------------------------------------------------------------------------- values


_PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def _normalise_amount(text: str) -> str | None:
    """'USD 1,234.50', '1.234,50' and '(500)' as plain decimals: '1234.50', '-500'."""
    stripped = text.strip()
    if _PLAIN_DECIMAL.match(stripped):
        return stripped
    negative = stripped.startswith("-") or (stripped.startswith("(") and stripped.endswith(")"))
    price = Price.fromstring(stripped)
    if price.amount is None:
        return None
    amount = -price.amount if negative else price.amount
    return format(amount.normalize(), "f") if amount == amount.to_integral() else format(amount, "f")


class _Cleaner:
    """Clean values through FtM's types, with fallbacks for what spreadsheets hold, cached."""

    def __init__(self, dayfirst: bool):
        self.dayfirst = dayfirst
        # One cache per type, each of at most _CACHED values: a column of unique amounts or names
        # must not crowd out the few hundred dates that repeat on every row.
        self.caches: dict[Any, dict[tuple, str | None]] = {}

    def __call__(self, prop, value: str, fuzzy: bool, fmt: str | None) -> str | None:
        key = (value, fuzzy, fmt)
        cache = self.caches.get(prop.type)
        if cache is None:
            cache = self.caches[prop.type] = {}
        cleaned = cache.get(key, self)
        if cleaned is not self:
            return cleaned
        cleaned = prop.type.clean(value, fuzzy=fuzzy, format=fmt)
        if cleaned is None and fmt is None:
            if prop.type == registry.date:
                cleaned = self._free_date(value)
            elif prop.type == registry.number:
                cleaned = _normalise_amount(value)
        elif cleaned is not None and prop.type == registry.number:
            cleaned = _normalise_amount(cleaned) or cleaned
        if len(cache) < _CACHED:
            cache[key] = cleaned
        return cleaned

    def _free_date(self, value: str) -> str | None:
        try:
            parsed = date_parser.parse(value, dayfirst=self.dayfirst, default=datetime(1, 1, 1))
        except (ValueError, OverflowError):
            return None
        if parsed.year == 1:
            return None
        return parsed.date().isoformat()


# ---------------------------------------------------------------------------------- importer


class MappedTableImporter(Importer):
    id = "mapped-table"
    label = "Spreadsheet (CSV or XLSX) with a mapping"
    version = "1.0"
    description = (
        "Rows of a CSV or XLSX table mapped to entities and relationships by a FollowTheMoney "
        "mapping spec (the YAML Aleph users write for `ftm map`). Draft one with `workbench mapping draft`."
    )
    file_patterns = TABLE_PATTERNS
    parameters = {
        "mapping": Parameter(help="mapping spec: a YAML/JSON file, or a spec as parsed data", required=True),
        "encoding": Parameter(default="utf-8-sig", help="text encoding of a CSV file"),
        "delimiter": Parameter(default="", help="CSV delimiter; guessed from the file when empty"),
        "sheet": Parameter(default="", help="XLSX sheet name; the first sheet when empty"),
        "dayfirst": Parameter(default=False, help="read 03/04/2024 as 3 April, not March 4"),
    }

    @classmethod
    def sniff(cls, path: Path) -> float:
        # Any table might be mapped, but only with a spec: lower than importers that recognise
        # their own format, so a screening-list CSV goes to its own importer.
        return 0.2 if super().sniff(path) else 0.0

    def source_options(self) -> dict[str, Any]:
        """What to record with the source: the spec itself, so the import can be repeated."""
        spec = load_spec(self.options["mapping"])
        options = {key: value for key, value in self.options.items() if key != "mapping" and value}
        return {"mapping": spec, **options}

    def open_table(self, path: Path):
        """(header, rows, place) for a CSV or XLSX file, where ``place`` prefixes locators."""
        return read_table(Path(path), sheet=self.options["sheet"] or None, encoding=self.options["encoding"],
                          delimiter=self.options["delimiter"] or None)

    def read(self, path: Path) -> Iterator[Record]:
        path = Path(path)
        spec = load_spec(self.options["mapping"])
        header, rows, where = self.open_table(path)
        plans = []
        for dataset, query in queries_of(spec):
            try:
                compiled = model.make_mapping({**query, "csv_url": str(path)}, key_prefix=dataset)
            except InvalidMapping as error:
                raise SourceFormatError(f"mapping: {error}") from error
            self._check_columns(path, header, compiled, query)
            filters = [(column, _as_set(values)) for column, values in (query.get("filters") or {}).items()]
            filters_not = [(column, _as_set(values)) for column, values in (query.get("filters_not") or {}).items()]
            plans.append((compiled, filters, filters_not))
        clean = _Cleaner(self.options["dayfirst"])
        # An account named in 5,000 rows is recorded once, with the first row that names it: a
        # digest of each party's id and values already yielded is kept (8 bytes each, at most
        # _REMEMBERED of them, so memory stays flat however long the file). Relationships
        # (payments, stakes) are not remembered: each row is its own, and a row repeated is
        # recorded again and merged into the same entity by the case.
        emitted: set[int] = set()
        for row_number, raw in rows:
            row = {column: value.strip() or None for column, value in raw.items()}
            locator = f"{where}{row_number}"
            for compiled, filters, filters_not in plans:
                if any(row.get(column) not in values for column, values in filters):
                    continue
                if any(row.get(column) in values for column, values in filters_not):
                    continue
                for entity, remember in self._map_row(compiled, row, clean):
                    if remember:
                        digest = hash((entity["id"], tuple((k, tuple(v)) for k, v in entity["properties"].items())))
                        if digest in emitted:
                            continue
                        if len(emitted) < _REMEMBERED:
                            emitted.add(digest)
                    yield Record(entity, locator=locator)

    @staticmethod
    def _check_columns(path: Path, header: list[str], compiled, query: dict[str, Any]) -> None:
        wanted = set(compiled.refs)
        for key in ("filters", "filters_not"):
            wanted.update((query.get(key) or {}).keys())
        missing = sorted(column for column in wanted if column not in header)
        if not missing:
            return
        message = f"{path.name}: the mapping names columns that are not in the header: {', '.join(missing)}"
        if len(header) == 1 and any(mark in header[0] for mark in ";\t|,"):
            message += f"; the header is one column {header[0][:60]!r}: is the delimiter wrong?"
        else:
            message += f". The header has: {', '.join(header)}"
        raise SourceFormatError(message)

    @staticmethod
    def _map_row(compiled, row: dict[str, str | None], clean: _Cleaner) -> list[tuple[dict[str, Any], bool]]:
        """The row's entities, each with whether it is a party to remember (not a relationship)."""
        by_name: dict[str, dict[str, Any]] = {}
        results = []
        for mapping in compiled.entities:
            properties: dict[str, list[str]] = {}
            skip = False
            for prop_mapping in mapping.properties:
                prop = prop_mapping.prop
                if prop_mapping.entity is not None:
                    other = by_name.get(prop_mapping.entity)
                    if other is not None:
                        properties.setdefault(prop.name, []).append(other["id"])
                    values = []
                else:
                    values = [v for v in prop_mapping.record_values(row) if v]
                    if prop_mapping.join is not None:
                        values = [prop_mapping.join.join(values)] if values else []
                    if prop_mapping.split is not None:
                        values = [part.strip() for value in values for part in value.split(prop_mapping.split)]
                for value in values:
                    cleaned = clean(prop, value, prop_mapping.fuzzy, prop_mapping.format)
                    if cleaned is not None:
                        existing = properties.setdefault(prop.name, [])
                        if cleaned not in existing:
                            existing.append(cleaned)
                if prop_mapping.required and not properties.get(prop.name):
                    skip = True
                    break
            if skip:
                continue
            entity_id = mapping.compute_key(row)
            if entity_id is None:
                continue  # no key values in this row: FtM skips such entities too
            entity = {"id": entity_id, "schema": mapping.schema.name, "properties": properties}
            by_name[mapping.name] = entity
            results.append((entity, not mapping.schema.edge))
        return results


def _as_set(values: Any) -> set[str | None]:
    if isinstance(values, (list, tuple, set)):
        return {None if v is None else str(v) for v in values}
    return {None if values is None else str(values)}


__all__ = ["MappedTableImporter", "draft_spec", "dump_spec", "load_spec", "read_csv", "read_xlsx"]
