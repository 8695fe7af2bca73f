"""FollowTheMoney JSON lines and statements, and Excel workbooks: export, and import back.

Five plugins, for FtM and Excel both ways (see ``docs/formats/excel_ftm.md``):

* ``ftm-export`` (``--format ftm``): every entity as FtM JSON, one per line, as Aleph and
  OpenSanctions write them, with the context keys FtM allows (``datasets``, ``referents``,
  ``first_seen``, ``last_seen``). It reads back through the ``ftm-json`` importer. With the
  ``statements`` parameter it writes FtM statements instead: one line per value naming the
  file and place it came from (``origin``) and its grade.
* ``ftm-statements-export`` (``--format ftm-statements``): the same with statements on, so the
  command line (which passes no exporter parameters) reaches it.
* ``ftm-statements``: reads those statement files (JSON lines or CSV, ours or OpenSanctions')
  back, one record per entity and origin, so each value keeps its source and grade.
* ``xlsx-export`` (``--format xlsx``): one sheet per entity type and per relationship type,
  a Sources sheet and a Findings sheet, written by openpyxl in write-only (streaming) mode.
* ``workbench-xlsx``: reads a workbook of exactly that shape back into the same entities.

Both exporters stream: entities come from ``case.iter_entities`` one at a time and go out one
line or one row at a time, so memory and time grow with the case, never with its square. The
workbook export reads the case twice (once to learn which columns each sheet needs and the
captions that relationship rows show, once to write), because a streamed sheet cannot gain a
column once its header is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson  # FtM's own JSON library (its statement writer uses it), so always present
from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.statement import Statement
from followthemoney.statement.serialize import CSV_COLUMNS
from followthemoney.statement.util import BASE_ID
from followthemoney.types import registry

from workbench import __version__
from workbench.archives import check_archive, read_member
from workbench.files import atomic_write, replacing
from workbench.model import model
from workbench.model.grading import Grade, parse_grade
from workbench.model.provenance import Record
from workbench.model.spreadsheet import cell_text, from_spreadsheet_safe, spreadsheet_safe, starts_a_formula
from workbench.model.standard import needs_standard_form, standard_form
from workbench.plugin_api import CaseReader, Exporter, Importer, Parameter, SourceFormatError

# ---------------------------------------------------------------------------------- shared

ON_ERROR = Parameter(
    default="stop",
    choices=("stop", "skip"),
    help="stop: refuse the whole file at the first problem (the case stays unchanged); "
    "skip: keep what can be read and list what was left out in the importer's `skipped`",
)

#: Single values written as typed Excel cells (see ``XlsxExporter._typed_cell``).
_INTEGER_RE = re.compile(r"^-?(0|[1-9]\d{0,14})$")
_DECIMAL_RE = re.compile(r"^-?(0|[1-9]\d*)\.\d*[1-9]$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
#: Number properties shown with two decimals and thousands separators.
_MONEY_PROPERTIES = frozenset({"amount", "amountUsd", "amountEur", "balance", "maxBalance", "capital"})

#: Excel refuses longer cells (it "repairs" the file by cutting them).
EXCEL_CELL_LIMIT = 32_767
EXCEL_SHEET_NAME_LIMIT = 31


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def dataset_name(case: Any) -> str:
    """An FtM dataset name for the case: its title in lower case, words joined by ``_``."""
    title = case.meta("title") or Path(case.path).stem
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return slug or "workbench"


def merged_ids(case: Any) -> dict[str, list[str]]:
    """Ids merged into each entity (canonical id -> aliases), read in one query (``Case.merged_ids``)."""
    return case.merged_ids()


def exported_entities(case: Any, include_protected: bool) -> Iterator[tuple[Any, list[tuple]]]:
    """``(proxy, provenance rows)`` of every entity that has something to export.

    ``iter_entities`` leaves out values from protected sources, and an entity known only from
    them; an entity with no value left to show (no provenance) is not written either, so the
    guarantee holds here whatever the store does.
    """
    for proxy, provenance in case.iter_entities(include_protected=include_protected, with_provenance=True):
        if provenance:
            yield proxy, provenance


class ValueCleaner:
    """FtM's cleaning of values by property type, remembered per type and value.

    Files repeat the same dates, countries, currencies and ids many times over. FtM's cleaners
    depend on nothing but the value for every type except phone numbers (which read a
    national number with the entity's countries), so those are cleaned apart, with the entity.
    """

    LIMIT = 200_000

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], str | None] = {}

    def clean(self, prop: Property, value: str) -> str | None:
        """``value`` cleaned for ``prop``, or ``None`` if its type rejects it."""
        key = (prop.type.name, value)
        try:
            return self._known[key]
        except KeyError:
            pass
        if len(self._known) > self.LIMIT:
            self._known.clear()  # bound the memory on a huge file of unique values
        cleaned = self._known[key] = prop.type.clean(value)
        return cleaned


@cache
def checked_grade(text: str) -> Grade:
    """``parse_grade``, remembered: a file names the same few grades on every line."""
    return parse_grade(text)


def origin_of(file_name: str | None, locator: str | None) -> str:
    """Where a value came from, as one string: the file and the place in it."""
    file_name = file_name or "analyst's own facts"
    if not locator:
        return file_name
    if locator.startswith(file_name):
        return locator  # importers often name the file in the locator already
    return f"{file_name}: {locator}"


# ---------------------------------------------------------------------------------- FtM export


class FtmExporter(Exporter):
    """FtM JSON lines: every entity (``proxy.to_dict()``), or every statement with its origin."""

    id = "ftm-export"
    label = "FollowTheMoney JSON lines"
    version = "1.0"
    format = "ftm"
    file_suffix = ".ftm.json"
    description = (
        "Every entity as FtM JSON lines (Aleph, OpenSanctions); re-import with the ftm-json importer. "
        "With statements=true, one FtM statement per value with its origin and grade instead."
    )
    parameters = {
        "statements": Parameter(
            default=False,
            help="write FtM statements (one per value, origin = source file and place, with the grade) "
            "instead of entities",
        ),
        "statement_format": Parameter(
            default="auto",
            choices=("auto", "json", "csv"),
            help="statements as JSON lines or FtM's CSV columns; auto: CSV when the file name ends in .csv",
        ),
        "dataset": Parameter(default="", help="FtM dataset name (default: the case title in snake_case)"),
        "workbench_schemata": Parameter(
            default="standard",
            choices=("standard", "keep"),
            help="standard: write Shipment and EndUseDocument as FtM's EconomicActivity and Document (with "
            "Documentation links), so FtM's own tools read the file; keep: write them as Workbench's own "
            "types, which only Workbench reads (see docs/formats/ftm.md)",
        ),
    }
    entity_losses = (
        "grades (Admiralty reliability and credibility): FtM entities have no place for them; "
        "the statements export carries them",
        "which source each value came from: the entity lists one dataset; the statements export "
        "carries the file and place of every value",
        "source details (sha256, importer, options, protected flag)",
        "chart positions, pins, groups and saved views",
        "findings and the audit log",
    )
    statement_losses = (
        "source details other than the file name and place (sha256, importer, options, protected flag)",
        "chart positions, pins, groups and saved views",
        "findings and the audit log",
    )
    losses = entity_losses

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        path = Path(path)
        dataset = self.options["dataset"] or dataset_name(case)
        aliases = merged_ids(case)
        entities = links = marked = documentation = 0
        converted: dict[str, int] = {}
        with atomic_write(path, "wb") as handle:
            if self.options["statements"]:
                writer = _StatementWriter(handle, self._statement_format(path))
                for proxy, provenance in exported_entities(case, include_protected):
                    writer.write_entity(proxy, provenance, dataset, aliases.get(proxy.id, ()))
                    if needs_standard_form(proxy.schema.name):
                        converted[proxy.schema.name] = converted.get(proxy.schema.name, 0) + 1
                    entities += 1
                    links += proxy.schema.edge
                writer.close()
                marked = writer.marked
            else:
                standard = self.options["workbench_schemata"] == "standard"
                name_of = _NameLookup(case, include_protected)
                for proxy, provenance in exported_entities(case, include_protected):
                    line = self._entity_line(proxy, provenance, dataset, aliases)
                    if needs_standard_form(proxy.schema.name):
                        converted[proxy.schema.name] = converted.get(proxy.schema.name, 0) + 1
                        if standard:
                            lines = standard_form(line, name_of)
                            documentation += len(lines) - 1
                            for each in lines:
                                handle.write(orjson.dumps(each))
                                handle.write(b"\n")
                            entities += 1
                            links += proxy.schema.edge
                            continue
                    handle.write(orjson.dumps(line))
                    handle.write(b"\n")
                    entities += 1
                    links += proxy.schema.edge
        losses = list(self.statement_losses if self.options["statements"] else self.entity_losses)
        if converted:
            counted = ", ".join(f"{count:,} {name}" for name, count in sorted(converted.items()))
            if self.options["statements"]:
                losses.append(f"{counted}: Workbench's own types, written as they are; FtM's own tools (ftm "
                              "aggregate-statements, Aleph, yente) do not know them and stop (the ftm export writes "
                              "them as standard FtM)")
            elif self.options["workbench_schemata"] == "standard":
                losses.append(f"{counted}: written as FtM's EconomicActivity (shipments) and Document (end-use "
                              f"documents, with {documentation:,} Documentation links to issuers and stated end "
                              "users); forwarder, notify party, declared end user, carrier, quantity, transit "
                              "countries, bill of lading and covered shipment are lines of their description, "
                              "not links, for FtM's tools (Workbench's importer restores them exactly)")
            else:
                losses.append(f"{counted}: Workbench's own types, kept as asked (workbench_schemata=keep); FtM's "
                              "own tools (ftm validate, ftm aggregate, Aleph) do not know them and stop")
        if marked:
            losses.append(f"{marked:,} cells starting with =, +, - or @ written with a ' in front, so that a "
                          "spreadsheet shows them as text and never runs them as formulas (the ftm-statements "
                          "importer takes the ' off again)")
        return {"entities": entities, "links": int(links), "losses": losses}

    def _statement_format(self, path: Path) -> str:
        chosen = self.options["statement_format"]
        if chosen == "auto":
            return "csv" if path.suffix.lower() == ".csv" else "json"
        return chosen

    @staticmethod
    def _entity_line(proxy: Any, provenance: list[tuple], dataset: str, aliases: dict[str, list[str]]):
        data = proxy.to_dict()
        # Context keys as OpenSanctions writes them; the ftm-json importer keeps them, and
        # referents become aliases again, so merged ids survive the round trip.
        data["datasets"] = [dataset]
        if proxy.id in aliases:
            data["referents"] = aliases[proxy.id]
        seen = [row[5] for row in provenance if row[5]]
        if seen:
            data["first_seen"] = min(seen)
            data["last_seen"] = max(seen)
        return data


class _NameLookup:
    """The name of a referenced entity, from values the export may show (protected ones only if asked)."""

    def __init__(self, case: Any, include_protected: bool):
        self._case = case
        self._include_protected = include_protected
        self._known: dict[str, str | None] = {}

    def __call__(self, entity_id: str) -> str | None:
        if entity_id not in self._known:
            if len(self._known) > 100_000:
                self._known.clear()
            self._known[entity_id] = self._case.first_value(entity_id, "name",
                                                            include_protected=self._include_protected)
        return self._known[entity_id]


class FtmStatementsExporter(FtmExporter):
    """The statements flavour under its own ``--format`` name, so the command line reaches it."""

    id = "ftm-statements-export"
    label = "FollowTheMoney statements (values with origin and grade)"
    format = "ftm-statements"
    file_suffix = ".statements.json"
    description = (
        "One FtM statement per value (JSON lines, or FtM's CSV columns for a .csv file) with origin = "
        "source file and place, and the grade; re-import with the ftm-statements importer."
    )
    parameters = {**FtmExporter.parameters, "statements": Parameter(default=True, help="write statements")}
    losses = FtmExporter.statement_losses


class _StatementWriter:
    """FtM statements as JSON lines or CSV, each with a ``grade`` beyond FtM's own fields.

    FtM's readers take the statement fields they know and ignore the extra ``grade``, so the
    file stays a valid FtM statements file. A CSV cell that a spreadsheet would run as a formula
    gets a ``'`` in front (:func:`~workbench.model.spreadsheet.spreadsheet_safe`), counted in
    ``marked``; the ftm-statements importer takes it off again.
    """

    def __init__(self, handle, statement_format: str):
        self.handle = handle
        self.marked = 0
        self._text = None
        self._csv = None
        if statement_format == "csv":
            self._text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            self._csv = csv.writer(self._text, dialect=csv.unix_dialect)
            self._csv.writerow([*CSV_COLUMNS, "grade"])

    def write_entity(self, proxy: Any, provenance: list[tuple], dataset: str, aliases) -> None:
        schema = proxy.schema.name
        seen = [row[5] for row in provenance if row[5]]
        first_seen, last_seen = (min(seen), max(seen)) if seen else (None, None)
        first = provenance[0]
        # FtM's base statement says the entity exists (it carries the schema even when there
        # are no properties); aliases get one each, naming the canonical id, as FtM writes merges.
        self._write(
            Statement(proxy.id, BASE_ID, schema, proxy.id, dataset, first_seen=first_seen, last_seen=last_seen,
                      origin=origin_of(first[2], first[3])),
            first[4],
        )
        for alias in aliases:
            self._write(
                Statement(alias, BASE_ID, schema, alias, dataset, canonical_id=proxy.id, first_seen=first_seen,
                          last_seen=last_seen, origin=origin_of(first[2], first[3])),
                first[4],
            )
        for prop, value, file_name, locator, grade, imported_at in provenance:
            self._write(
                Statement(proxy.id, prop, schema, value, dataset, first_seen=imported_at, last_seen=imported_at,
                          origin=origin_of(file_name, locator)),
                grade,
            )

    def _write(self, statement: Statement, grade: str | None) -> None:
        if self._csv is not None:
            row = statement.to_csv_row()
            cells = [*(row[column] for column in CSV_COLUMNS), grade]
            safe = [spreadsheet_safe(cell) for cell in cells]
            self.marked += sum(a != b for a, b in zip(cells, safe))
            self._csv.writerow(safe)
        else:
            data = statement.to_dict()
            data["grade"] = grade
            self.handle.write(orjson.dumps(data))
            self.handle.write(b"\n")

    def close(self) -> None:
        if self._text is not None:
            self._text.flush()
            self._text.detach()


# ---------------------------------------------------------------------------------- FtM statements import

STATEMENT_FIELDS = ("entity_id", "prop", "schema", "value")


class _CleaningImporter(Importer):
    """An importer that cleans values as FtM would and, with ``on_error="skip"``, lists what it left out."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        #: What an ``on_error="skip"`` import left out, one line each naming the place (file line,
        #: or sheet and cell) and why.
        self.skipped: list[str] = []
        self._cleaner = ValueCleaner()


class FtmStatementsImporter(_CleaningImporter):
    """FtM statements (JSON lines or CSV): each value with its origin, dataset and grade."""

    id = "ftm-statements"
    label = "FollowTheMoney statements"
    version = "1.0"
    description = (
        "FtM statements, one value per line or row (JSON lines or CSV, as `ftm-statements` exports and "
        "OpenSanctions publishes); each value keeps its origin, and its grade when the file has one."
    )
    file_patterns = ("*statements*.json", "*statements*.jsonl", "*statements*.csv")
    parameters = {"on_error": ON_ERROR}

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain when the first line is a statement (JSON) or a statements CSV header.

        Higher than the ftm-json importer's 0.95: a statement line has a ``schema`` too, and
        read as an entity it would make an empty one.
        """
        try:
            with Path(path).open("r", encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        continue
                    if line.lstrip().startswith("{"):
                        data = json.loads(line)
                        return 0.97 if isinstance(data, dict) and all(key in data for key in STATEMENT_FIELDS) else 0.0
                    header = next(csv.reader([line]))
                    return 0.97 if all(key in header for key in STATEMENT_FIELDS) else 0.0
        except (OSError, UnicodeDecodeError, ValueError, csv.Error, StopIteration):
            return 0.0
        return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        self.skipped = []
        path = Path(path)
        current: str | None = None
        groups: dict[tuple, _StatementGroup] = {}
        for where, data in self._statements(path):
            canonical = data.get("canonical_id") or data["entity_id"]
            if canonical != current:
                yield from self._records(current, groups)
                current, groups = canonical, {}
            try:
                group_key, prop, value = self._check(where, data)
            except SourceFormatError as error:
                if self.options["on_error"] == "stop":
                    raise
                self.skipped.append(str(error))
                continue
            group = groups.get(group_key)
            if group is None:
                group = groups[group_key] = _StatementGroup(schema=group_key[0], origin=group_key[1],
                                                            grade=group_key[2], locator=where)
            if data["entity_id"] != canonical:
                group.referents.add(data["entity_id"])
            if data.get("dataset"):
                group.datasets.add(data["dataset"])
            for seen in (data.get("first_seen"), data.get("last_seen")):
                if seen:
                    group.seen.append(seen)
            if prop != BASE_ID:
                values = group.properties.setdefault(prop, [])
                if value not in values:
                    values.append(value)
        yield from self._records(current, groups)

    def _statements(self, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(place, statement dict)`` for each statement, from JSON lines or CSV."""
        with path.open("r", encoding="utf-8", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            if first.lstrip().startswith("{"):
                for line_number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    where = f"{path.name} line {line_number}"
                    try:
                        data = orjson.loads(line)
                    except orjson.JSONDecodeError as error:
                        problem = f"{where}: not valid JSON ({error})"
                        if self.options["on_error"] == "stop":
                            raise SourceFormatError(problem) from error
                        self.skipped.append(problem)
                        continue
                    if not isinstance(data, dict) or not all(data.get(key) for key in STATEMENT_FIELDS):
                        problem = f"{where}: expected an FtM statement with {', '.join(STATEMENT_FIELDS)}"
                        if self.options["on_error"] == "stop":
                            raise SourceFormatError(problem)
                        self.skipped.append(problem)
                        continue
                    yield where, data
                return
            reader = csv.DictReader(handle, dialect=csv.unix_dialect)
            missing = [key for key in STATEMENT_FIELDS if key not in (reader.fieldnames or [])]
            if missing:
                raise SourceFormatError(
                    f"{path.name} row 1: the header lacks {', '.join(missing)}; expected FtM statement columns "
                    f"({', '.join(CSV_COLUMNS)})"
                )
            # The workbench's own statements CSV (it adds ``grade``) marks would-be formulas with
            # a ' in front; take it off so every value comes back as it was exported.
            ours = "grade" in (reader.fieldnames or [])
            try:
                for row_number, row in enumerate(reader, start=2):
                    where = f"{path.name} row {row_number}"
                    if ours:
                        row = {key: from_spreadsheet_safe(value) for key, value in row.items()}
                    if not all(row.get(key) for key in STATEMENT_FIELDS):
                        problem = f"{where}: expected values in {', '.join(STATEMENT_FIELDS)}"
                        if self.options["on_error"] == "stop":
                            raise SourceFormatError(problem)
                        self.skipped.append(problem)
                        continue
                    yield where, {key: value for key, value in row.items() if value not in (None, "")}
            except csv.Error as error:
                raise SourceFormatError(f"{path.name} row {reader.line_num}: {error}") from error

    def _check(self, where: str, data: dict[str, Any]) -> tuple[tuple, str, str]:
        schema = model.get(data["schema"])
        if schema is None:
            raise SourceFormatError(f"{where}: unknown entity type {data['schema']!r}; expected an FtM schema name")
        if schema.abstract:
            raise SourceFormatError(f"{where}: {schema.name} is an abstract type; expected a concrete FtM schema")
        prop_name, value = data["prop"], data["value"]
        if prop_name != BASE_ID:
            prop = schema.get(prop_name)
            if prop is None:
                raise SourceFormatError(f"{where}: {schema.name} has no property {prop_name!r}")
            cleaned = prop.type.clean(value) if prop.type is registry.phone else self._cleaner.clean(prop, value)
            if cleaned is None:
                raise SourceFormatError(
                    f"{where}: {value!r} is not a valid {prop.type.name} for {schema.name}.{prop_name}"
                )
            value = cleaned
        grade = data.get("grade")
        if grade:
            try:
                grade = str(checked_grade(grade))
            except ValueError as error:
                raise SourceFormatError(f"{where}: {error}") from error
        return (schema.name, data.get("origin") or None, grade or None), prop_name, value

    @staticmethod
    def _records(entity_id: str | None, groups: dict[tuple, "_StatementGroup"]) -> Iterator[Record]:
        if entity_id is None or not groups:
            return
        described = [group for group in groups.values() if group.properties]
        # A base statement only says the entity exists; it needs a record of its own only
        # when no statement of the entity carries a value.
        for group in described or list(groups.values())[:1]:
            extra: dict[str, Any] = {}
            if group.datasets:
                extra["datasets"] = sorted(group.datasets)
            if group.seen:
                extra["first_seen"], extra["last_seen"] = min(group.seen), max(group.seen)
            referents = set().union(*(g.referents for g in groups.values()))
            if referents:
                extra["referents"] = sorted(referents)
            yield Record(
                {"id": entity_id, "schema": group.schema, "properties": group.properties},
                locator=group.origin or group.locator,
                grade=checked_grade(group.grade) if group.grade else None,
                extra=extra,
            )


@dataclass
class _StatementGroup:
    """The statements of one entity that share a schema, an origin and a grade: one record."""

    schema: str
    origin: str | None
    grade: str | None
    locator: str
    properties: dict[str, list[str]] = field(default_factory=dict)
    referents: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- Excel layout

ABOUT_SHEET = "About"
SOURCES_SHEET = "Sources"
FINDINGS_SHEET = "Findings"
SPECIAL_SHEETS = (ABOUT_SHEET, SOURCES_SHEET, FINDINGS_SHEET)

ID_COLUMN = "id"
CAPTION_COLUMN = "caption"
CHART_X_COLUMN = "chart x"
CHART_Y_COLUMN = "chart y"
MERGED_IDS_COLUMN = "merged ids"
SOURCE_FILES_COLUMN = "source files"
SOURCE_LOCATORS_COLUMN = "source locators"
BEST_GRADE_COLUMN = "best grade"
#: Relationship sheets show the caption of each end beside its id, e.g. "owner (caption)".
ENDPOINT_CAPTION_SUFFIX = " (caption)"
#: Columns that are not FtM properties. All contain a space (or are id/caption), so they can
#: never be mistaken for a property name, which FtM writes in camelCase.
DERIVED_COLUMNS = (CAPTION_COLUMN, CHART_X_COLUMN, CHART_Y_COLUMN, MERGED_IDS_COLUMN, SOURCE_FILES_COLUMN,
                   SOURCE_LOCATORS_COLUMN, BEST_GRADE_COLUMN)

SOURCES_COLUMNS = ("id", "file", "sha256", "importer", "imported at", "grade", "protected", "kind", "note")
FINDINGS_COLUMNS = ("id", "detector", "severity", "score", "status", "explanation", "entities", "evidence",
                    "status reason")

#: Several values of one property share a cell, one per line. Inside a value, a backslash is
#: written as two and a line break as ``\n`` (a carriage return as ``\r``), so splitting the
#: cell on line breaks gives back exactly the values that went in.
MULTI_VALUE_SEPARATOR = "\n"
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_ESCAPE_RE = re.compile(r"[\\\n\r]")
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}
_UNESCAPE_RE = re.compile(r"\\([\\nr])")
# Characters XML 1.0 (and so xlsx) cannot hold; openpyxl raises on them.
_ILLEGAL_XML_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def encode_values(values: list[str]) -> str:
    """Values of one property as the text of one cell (see :data:`MULTI_VALUE_SEPARATOR`)."""
    if len(values) == 1 and not _ESCAPE_RE.search(values[0]):
        return values[0]
    return MULTI_VALUE_SEPARATOR.join(_ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], value) for value in values)


def decode_values(text: str) -> list[str]:
    """The values :func:`encode_values` put into a cell (blank lines are no values)."""
    if MULTI_VALUE_SEPARATOR not in text and "\\" not in text:
        return [text] if text.strip() else []
    values = []
    for line in text.split(MULTI_VALUE_SEPARATOR):
        value = _UNESCAPE_RE.sub(lambda m: _UNESCAPES[m.group(1)], line.rstrip("\r"))
        if value.strip():
            values.append(value)
    return values


def _sheet_is_schema(name: str) -> bool:
    schema = model.get(name)
    return schema is not None and not schema.abstract


# ---------------------------------------------------------------------------------- Excel export


@dataclass
class _Survey:
    """What the first pass learns: properties in use, and more, per entity type."""

    used: dict[str, set[str]] = field(default_factory=dict)
    positioned: set[str] = field(default_factory=set)
    merged: set[str] = field(default_factory=set)
    captions: dict[str, str] = field(default_factory=dict)


@dataclass
class _SheetLayout:
    """The columns of one entity-type sheet, and the sheet while it is written."""

    schema: Schema
    properties: list[Property]
    endpoints: list[Property]
    header: list[str]
    worksheet: Any = None
    with_positions: bool = False
    with_merged: bool = False
    rows: int = 0


class XlsxExporter(Exporter):
    """An Excel workbook an analyst can read, filter and hand on, and that imports back."""

    id = "xlsx-export"
    label = "Excel workbook (one sheet per type)"
    version = "1.0"
    format = "xlsx"
    file_suffix = ".xlsx"
    description = (
        "One sheet per entity and relationship type (id, caption, properties, provenance), a Sources and a "
        "Findings sheet; frozen, filtered headers. Re-import with the workbench-xlsx importer."
    )
    losses = (
        "which source each single value came from: a row lists the files, places and best grade of the "
        "entity as a whole (re-imported values all take the row's best grade)",
        "sources as separate records: a re-import is one source (the Sources sheet is for reading)",
        "findings on re-import (the Findings sheet is written for reading, not read back)",
        "chart pins, hidden items, groups and saved views (positions are carried)",
        "the audit log",
    )

    def write(self, case: CaseReader, path: Path, *, include_protected: bool = False) -> dict[str, Any]:
        from openpyxl import Workbook

        path = Path(path)
        aliases = merged_ids(case)
        positions = case.positions()
        survey = self._survey(case, include_protected, positions, aliases)
        captions = survey.captions
        self._cut_cells: list[str] = []
        self._cleaned_cells: list[str] = []

        workbook = Workbook(write_only=True)
        about = workbook.create_sheet(ABOUT_SHEET)
        layouts = self._layouts(workbook, survey)
        for proxy, provenance in exported_entities(case, include_protected):
            layout = layouts[proxy.schema.name]
            layout.rows += 1
            layout.worksheet.append(
                self._entity_row(layout, proxy, provenance, captions, positions, aliases, layout.rows + 1)
            )
        sources = self._write_sources(workbook, case, include_protected)
        withheld_findings = not include_protected and bool(case.sources(kind=None)) and any(
            source["protected"] for source in case.sources(kind=None))
        findings = self._write_findings(workbook, case, withheld=withheld_findings)
        for layout in layouts.values():
            self._finish(layout.worksheet, len(layout.header), layout.rows)

        losses = list(self.losses)
        if withheld_findings:
            losses.append("findings: left out because the case has protected sources and a finding's explanation "
                          "may quote them (export with --include-protected to include them)")
        if self._cut_cells:
            losses.append(f"{len(self._cut_cells)} cells longer than Excel's {EXCEL_CELL_LIMIT:,} characters were cut "
                          f"(use the ftm format for those): {', '.join(self._cut_cells[:10])}")
        if self._cleaned_cells:
            losses.append(f"{len(self._cleaned_cells)} cells held control characters that Excel cannot store; they "
                          f"were removed: {', '.join(self._cleaned_cells[:10])}")
        self._write_about(about, case, include_protected, losses, layouts, sources, findings)

        entities = sum(layout.rows for layout in layouts.values())
        links = sum(layout.rows for layout in layouts.values() if layout.schema.edge)
        with replacing(path) as partial:
            workbook.save(partial)
        return {"entities": entities, "links": links, "losses": losses}

    # -- first pass: which columns, and what to call the ends of relationships

    @staticmethod
    def _survey(case: Any, include_protected: bool, positions, aliases) -> "_Survey":
        survey = _Survey()
        for proxy, _ in exported_entities(case, include_protected):
            name = proxy.schema.name
            survey.used.setdefault(name, set()).update(proxy.properties)
            if proxy.id in positions:
                survey.positioned.add(name)
            if proxy.id in aliases:
                survey.merged.add(name)
            if not proxy.schema.edge:
                survey.captions[proxy.id] = proxy.caption
        return survey

    def _layouts(self, workbook, survey: "_Survey"):
        """A sheet per type present: things first, then relationships, each alphabetically."""
        used = survey.used
        layouts: dict[str, _SheetLayout] = {}
        ordered = sorted(used, key=lambda name: (model.get(name).edge, name))
        for name in ordered:
            schema = model.get(name)
            if len(name) > EXCEL_SHEET_NAME_LIMIT:
                # No FtM or workbench schema comes near (the longest has 18 characters); a
                # third-party schema that does would need a name map, which this layout lacks.
                raise ValueError(f"entity type {name!r} is longer than Excel's {EXCEL_SHEET_NAME_LIMIT}-character "
                                 "sheet names; export this case as ftm instead")
            # Schema order: FtM's featured properties first (what the type is about), then the
            # rest as the schema declares them; only properties that hold a value somewhere.
            order = list(dict.fromkeys([*schema.featured, *schema.properties]))
            properties = [schema.properties[prop] for prop in order if prop in used[name]]
            endpoints = []
            if schema.edge:
                endpoints = [prop for prop in (schema.source_prop, schema.target_prop)
                             if prop is not None and prop.name in used[name]]
            header = [ID_COLUMN, CAPTION_COLUMN, *(prop.name for prop in properties),
                      *(prop.name + ENDPOINT_CAPTION_SUFFIX for prop in endpoints)]
            with_positions = name in survey.positioned
            with_merged = name in survey.merged
            if with_positions:
                header += [CHART_X_COLUMN, CHART_Y_COLUMN]
            if with_merged:
                header.append(MERGED_IDS_COLUMN)
            header += [SOURCE_FILES_COLUMN, SOURCE_LOCATORS_COLUMN, BEST_GRADE_COLUMN]
            worksheet = workbook.create_sheet(name)
            widths = [28, 36, *(40 if prop.type.name == "text" else 22 for prop in properties)]
            self._start(worksheet, header, widths, freeze="C2")
            layouts[name] = _SheetLayout(schema, properties, endpoints, header, worksheet,
                                         with_positions=with_positions, with_merged=with_merged)
        return layouts

    # -- cells and rows

    @staticmethod
    def _start(worksheet, header: list[str], widths: list[int], freeze: str = "A2") -> None:
        """Header row in bold, frozen, with column widths (all must precede the first row)."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        worksheet.freeze_panes = freeze
        for index in range(1, len(header) + 1):
            width = widths[index - 1] if index <= len(widths) else 18
            worksheet.column_dimensions[get_column_letter(index)].width = width
        bold = Font(bold=True)
        cells = []
        for title in header:
            cell = WriteOnlyCell(worksheet, value=title)
            cell.font = bold
            cells.append(cell)
        worksheet.append(cells)

    @staticmethod
    def _finish(worksheet, columns: int, rows: int) -> None:
        """Filter buttons over the header and every row (known only once all are written)."""
        from openpyxl.utils import get_column_letter

        worksheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows + 1}"

    def _cell(self, worksheet, text: str | None, row: int = 0, column: int = 0):
        """A text cell that Excel shows as written: never a formula, cut to Excel's limit.

        ``row`` and ``column`` (1-based) name the cell in the export report when its text had
        to change.
        """
        if not text:
            return None
        if (len(text) <= EXCEL_CELL_LIMIT and not starts_a_formula(text) and MULTI_VALUE_SEPARATOR not in text
                and not _ILLEGAL_XML_RE.search(text)):
            return text  # the common case: plain text, written as it is
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        where = f"{worksheet.title}!{get_column_letter(column)}{row}" if row and column else worksheet.title
        if _ILLEGAL_XML_RE.search(text):
            text = _ILLEGAL_XML_RE.sub("", text)
            self._cleaned_cells.append(where)
            if not text:
                return None
        if len(text) > EXCEL_CELL_LIMIT:
            text = text[:EXCEL_CELL_LIMIT]
            self._cut_cells.append(where)
        cell = WriteOnlyCell(worksheet, value=text)
        # openpyxl takes text starting with "=" for a formula; a value is never one (and a
        # formula in exported data could run on the reader's machine): a string cell shows it as written.
        cell.data_type = "s"
        if MULTI_VALUE_SEPARATOR in text:
            cell.alignment = _wrap_alignment()
        return cell

    @staticmethod
    def _typed_cell(worksheet, prop: Property, value: str):
        """A number or date cell for a single value that Excel can hold exactly, else ``None``.

        Typed cells sum, sort and filter as numbers and dates. Only values that read back as the
        same text are typed: integers of up to 15 digits, decimals without trailing zeros that
        a double holds exactly as written, full dates (``2023-03-06``) and date-times to the
        second from 1900 on (Excel's dates start there). Anything else (``2023-03``, a 20-digit
        number, ``1.50``) stays text, as written.
        """
        from openpyxl.cell import WriteOnlyCell

        if prop.type == registry.number:
            if _INTEGER_RE.match(value):
                number: int | float = int(value)
            elif _DECIMAL_RE.match(value) and len(value.replace("-", "").replace(".", "").lstrip("0")) <= 15 \
                    and repr(float(value)) == value:
                number = float(value)
            else:
                return None
            cell = WriteOnlyCell(worksheet, value=number)
            if prop.name in _MONEY_PROPERTIES:
                cell.number_format = "#,##0.00"
            elif isinstance(number, int):
                cell.number_format = "#,##0"
            return cell
        if prop.type == registry.date:
            try:
                if _DATE_RE.match(value):
                    when: date | datetime = date.fromisoformat(value)
                    number_format = "yyyy-mm-dd"
                elif _DATETIME_RE.match(value):
                    when = datetime.fromisoformat(value)
                    number_format = "yyyy-mm-dd hh:mm:ss"
                else:
                    return None
            except ValueError:
                return None
            if when.year < 1900:
                return None
            cell = WriteOnlyCell(worksheet, value=when)
            cell.number_format = number_format
            return cell
        return None

    @staticmethod
    def _caption(proxy, captions: dict[str, str]) -> str:
        """The entity's caption; a relationship reads as a sentence ("A owns B (51%)").

        FtM's caption for a relationship without a caption value is only its type's label,
        which tells an analyst scanning the sheet nothing.
        """
        schema = proxy.schema
        if not schema.edge or schema.source_prop is None or schema.target_prop is None:
            return proxy.caption
        sources = ", ".join(captions.get(end, end) for end in proxy.get(schema.source_prop, quiet=True))
        targets = ", ".join(captions.get(end, end) for end in proxy.get(schema.target_prop, quiet=True))
        sentence = f"{sources or '?'} {schema.edge_label or 'linked to'} {targets or '?'}"
        detail = next((proxy.first(prop) for prop in schema.caption if proxy.first(prop)), None)
        return f"{sentence} ({detail})" if detail else sentence

    def _entity_row(self, layout: _SheetLayout, proxy, provenance, captions, positions, aliases, row_number):
        worksheet = layout.worksheet
        values: list[Any] = [self._cell(worksheet, proxy.id, row_number, 1),
                             self._cell(worksheet, self._caption(proxy, captions), row_number, 2)]
        for prop in layout.properties:
            found = proxy.get(prop.name, quiet=True)
            typed = self._typed_cell(worksheet, prop, found[0]) if len(found) == 1 else None
            if typed is not None:
                values.append(typed)
                continue
            values.append(self._cell(worksheet, encode_values(found), row_number, len(values) + 1))
        for prop in layout.endpoints:
            ends = [captions.get(end, "") for end in proxy.get(prop.name, quiet=True)]
            values.append(self._cell(worksheet, encode_values(ends), row_number, len(values) + 1))
        if layout.with_positions:
            position = positions.get(proxy.id)
            values += list(position) if position else [None, None]
        if layout.with_merged:
            values.append(self._cell(worksheet, encode_values(aliases.get(proxy.id, [])), row_number, len(values) + 1))
        files = list(dict.fromkeys(row[2] or "analyst's own facts" for row in provenance))
        locators = list(dict.fromkeys(row[3] for row in provenance if row[3]))
        grades = [row[4] for row in provenance if row[4]]
        values.append(self._cell(worksheet, encode_values(files), row_number, len(values) + 1))
        values.append(self._cell(worksheet, encode_values(locators), row_number, len(values) + 1))
        # Admiralty grades sort best first as text: "A1" < "B2" < "F6".
        values.append(min(grades) if grades else None)
        return values

    # -- the other sheets

    def _write_sources(self, workbook, case: Any, include_protected: bool) -> int:
        worksheet = workbook.create_sheet(SOURCES_SHEET)
        self._start(worksheet, list(SOURCES_COLUMNS), [8, 36, 66, 18, 26, 8, 10, 10, 40])
        count = 0
        for source in case.sources(kind=None):
            if source["protected"] and not include_protected:
                continue  # even its file name stays in the case
            count += 1
            worksheet.append([
                source["id"],
                self._cell(worksheet, source["file_name"], count + 1, 2),
                source["sha256"],
                source["importer_id"],
                source["imported_at"],
                f"{source['reliability']}{source['credibility']}",
                "yes" if source["protected"] else "no",
                source["kind"],
                self._cell(worksheet, source["note"], count + 1, 9),
            ])
        self._finish(worksheet, len(SOURCES_COLUMNS), count)
        return count

    def _write_findings(self, workbook, case: Any, withheld: bool = False) -> int:
        worksheet = workbook.create_sheet(FINDINGS_SHEET)
        self._start(worksheet, list(FINDINGS_COLUMNS), [8, 24, 10, 8, 11, 60, 30, 30, 30])
        count = 0
        for finding in ([] if withheld else case.findings()):
            count += 1
            evidence = finding["evidence"] or {}
            worksheet.append([
                finding["id"],
                finding["detector_id"],
                finding["severity"],
                finding["score"],
                finding["status"],
                self._cell(worksheet, finding["explanation"], count + 1, 6),
                self._cell(worksheet, encode_values(evidence.get("entities", [])), count + 1, 7),
                self._cell(worksheet, encode_values(evidence.get("facts", [])), count + 1, 8),
                self._cell(worksheet, finding.get("status_reason"), count + 1, 9),
            ])
        self._finish(worksheet, len(FINDINGS_COLUMNS), count)
        return count

    def _write_about(self, worksheet, case, include_protected, losses, layouts, sources, findings) -> None:
        """A first sheet that says what the workbook is and how to read (and edit) it."""
        self._start(worksheet, ["Workbench case export", case.meta("title") or ""], [34, 110])
        rows = [
            ("exported at", _now()),
            ("case id", case.meta("case_id") or ""),
            ("written by", f"Workbench {__version__}, {self.id} {self.version}"),
            ("protected sources", "included" if include_protected else "left out"),
            ("sheets", "one per entity type and per relationship type, named by its FollowTheMoney schema; "
                       "then Sources and Findings"),
            ("columns", "id, caption, then FollowTheMoney properties (featured first); relationship sheets add "
                        "'<end> (caption)'; then chart x/y, merged ids, source files, source locators, best grade"),
            ("several values", "one value per line inside a cell; inside a value a backslash is written \\\\ "
                               "and a line break \\n"),
            ("re-import", "workbench import CASE THIS.xlsx (importer workbench-xlsx); 'caption' and "
                          "'... (caption)' columns are for reading and are not read back; source files and "
                          "locators are kept as a note on each re-imported record"),
        ]
        rows += [(name, f"{layout.rows:,} rows ({layout.schema.label})") for name, layout in layouts.items()]
        rows += [(SOURCES_SHEET, f"{sources:,} sources"), (FINDINGS_SHEET, f"{findings:,} findings")]
        rows += [("not carried", loss) for loss in losses]
        for key, value in rows:
            worksheet.append([key, self._cell(worksheet, value)])


@cache
def _wrap_alignment():
    """One shared style for cells of several lines (openpyxl is imported only when writing)."""
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=True, vertical="top")


# ---------------------------------------------------------------------------------- Excel import


@dataclass
class _Column:
    """What one column of an entity sheet holds: a property, a derived column, or nothing."""

    index: int
    kind: str  # id | property | grade | merged | x | y | files | locators | ignored
    prop: Property | None = None


class XlsxImporter(_CleaningImporter):
    """A workbook in the shape ``xlsx-export`` writes, back into the same entities."""

    id = "workbench-xlsx"
    label = "Workbench Excel workbook"
    version = "1.0"
    description = (
        "A workbook exported by Workbench (one sheet per FtM type named by its schema, an id column, property "
        "columns); the entities, their grades, merged ids and chart positions come back."
    )
    file_patterns = ("*.xlsx", "*.xlsm")
    parameters = {
        "on_error": ON_ERROR,
        "keep_grades": Parameter(
            default=True,
            help="give each entity the grade in its 'best grade' column (as exported); "
            "false: every value takes the grade given to this import",
        ),
    }

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Sure (0.9) when the sheets are Sources, Findings and FtM schema names.

        Read from the workbook's index alone (no cell is parsed), so sniffing a large file is
        instant; 0.9 beats the generic mapped-table importer's 0.2 for any .xlsx.
        """
        if not super().sniff(path):
            return 0.0
        names = _sheet_names(Path(path))
        if not names or SOURCES_SHEET not in names or FINDINGS_SHEET not in names:
            return 0.0
        return 0.9 if all(name in SPECIAL_SHEETS or _sheet_is_schema(name) for name in names) else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        from openpyxl import load_workbook

        self.skipped = []
        path = Path(path)
        check_archive(path)  # openpyxl unpacks whatever the zip holds: a few MB can be gigabytes
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises several types for a damaged or foreign file
            raise SourceFormatError(
                f"{path.name}: not a readable Excel workbook ({type(error).__name__}: {error}); "
                "expected an .xlsx file as the xlsx export writes it"
            ) from error
        try:
            for worksheet in workbook.worksheets:
                if worksheet.title in SPECIAL_SHEETS:
                    continue  # for reading: sources and findings cannot be imported as entities
                yield from self._read_sheet(path, worksheet)
        finally:
            workbook.close()

    def _problem(self, message: str) -> None:
        """Stop with ``message``, or note it as skipped, as the analyst chose."""
        if self.options["on_error"] == "stop":
            raise SourceFormatError(message)
        self.skipped.append(message)

    def _read_sheet(self, path: Path, worksheet) -> Iterator[Record]:
        from openpyxl.utils import get_column_letter

        sheet = worksheet.title
        place = f"{path.name} sheet {sheet!r}"
        schema = model.get(sheet)
        if schema is None or schema.abstract:
            what = "an abstract type" if schema is not None else "not an entity type"
            self._problem(
                f"{place}: {what}; expected sheets named by a concrete FollowTheMoney schema (Person, Company, "
                f"Ownership, ...) or {', '.join(SPECIAL_SHEETS)}"
            )
            return
        # Some writers record a wrong sheet size; read the rows as they are instead.
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or not any(cell is not None for cell in header):
            return  # an empty sheet holds nothing to import
        columns = self._columns(place, schema, header)
        if columns is None:
            return
        id_index = next(column.index for column in columns if column.kind == "id")
        for row_number, row in enumerate(rows, start=2):
            if not any(cell is not None and str(cell).strip() for cell in row):
                continue  # blank row
            entity_id = cell_text(row[id_index]) if id_index < len(row) else ""
            if not entity_id or not entity_id.strip():
                self._problem(f"{place} cell {get_column_letter(id_index + 1)}{row_number}: expected an entity id; "
                              "the row has values but no id")
                continue
            record = self._record(place, schema, columns, row, row_number, entity_id.strip())
            if record is not None:
                yield record

    def _columns(self, place: str, schema: Schema, header: tuple) -> list[_Column] | None:
        """Understand the header row, or say which cell does not fit and what was expected."""
        from openpyxl.utils import get_column_letter

        titles = [cell_text(cell).strip() if cell is not None else "" for cell in header]
        if ID_COLUMN not in titles:
            found = titles[0] if titles else ""
            self._problem(f"{place} cell A1: expected the column header {ID_COLUMN!r} (the header row must have an "
                          f"id column, then properties of {schema.name}), found {found!r}")
            return None
        derived = {CHART_X_COLUMN: "x", CHART_Y_COLUMN: "y", MERGED_IDS_COLUMN: "merged", BEST_GRADE_COLUMN: "grade",
                   SOURCE_FILES_COLUMN: "files", SOURCE_LOCATORS_COLUMN: "locators", CAPTION_COLUMN: "ignored"}
        columns = []
        for index, title in enumerate(titles):
            if not title:
                continue
            if title == ID_COLUMN:
                if any(column.kind == "id" for column in columns):
                    self._problem(f"{place} cell {get_column_letter(index + 1)}1: a second {ID_COLUMN!r} column; "
                                  "expected one")
                    continue
                columns.append(_Column(index, "id"))
            elif title in derived:
                columns.append(_Column(index, derived[title]))
            elif title.endswith(ENDPOINT_CAPTION_SUFFIX) and schema.get(title[: -len(ENDPOINT_CAPTION_SUFFIX)]):
                columns.append(_Column(index, "ignored"))
            elif schema.get(title) is not None:
                columns.append(_Column(index, "property", schema.get(title)))
            else:
                examples = ", ".join(list(dict.fromkeys([*schema.featured, *schema.properties]))[:6])
                self._problem(
                    f"{place} cell {get_column_letter(index + 1)}1: {title!r} is not a property of {schema.name}; "
                    f"expected a {schema.name} property name (such as {examples}) or one of the columns "
                    f"{', '.join(repr(c) for c in (ID_COLUMN, *DERIVED_COLUMNS))}"
                )
        return columns

    def _record(self, place, schema, columns, row, row_number, entity_id) -> Record:
        from openpyxl.utils import get_column_letter

        properties: dict[str, list[str]] = {}
        # Phone numbers are cleaned last: FtM reads a national number with the help of the
        # entity's countries, which may sit in a later column.
        phones: list[tuple[str, Property, str]] = []
        grade: Grade | None = None
        extra: dict[str, Any] = {}
        position: dict[str, float] = {}
        width = len(row)
        for column in columns:
            index = column.index
            if index >= width or row[index] is None or column.kind in ("id", "ignored"):
                continue
            raw = row[index]
            if column.kind in ("x", "y"):
                try:
                    position[column.kind] = float(raw)
                except (TypeError, ValueError):
                    self._problem(f"{place} cell {get_column_letter(index + 1)}{row_number}: expected a number "
                                  f"(a chart coordinate), found {raw!r}")
                continue
            text = cell_text(raw)
            if column.kind == "property":
                prop = column.prop
                if prop.type is registry.phone:
                    phones.append((f"{place} cell {get_column_letter(index + 1)}{row_number}", prop, text))
                    continue
                values = properties.setdefault(prop.name, [])
                for value in decode_values(text):
                    cleaned = self._cleaner.clean(prop, value)
                    if cleaned is None:
                        self._invalid(f"{place} cell {get_column_letter(index + 1)}{row_number}", schema, prop, value)
                    elif cleaned not in values:
                        values.append(cleaned)
            elif column.kind == "grade":
                if self.options["keep_grades"] and text.strip():
                    try:
                        grade = checked_grade(text.strip().upper())
                    except ValueError as error:
                        self._problem(f"{place} cell {get_column_letter(index + 1)}{row_number}: {error}")
            elif column.kind == "merged":
                extra["referents"] = decode_values(text)
            elif column.kind == "files":
                extra["exported_sources"] = decode_values(text)
            elif column.kind == "locators":
                extra["exported_locators"] = decode_values(text)
        if phones:
            hints = model.get_proxy({"id": entity_id, "schema": schema.name, "properties": properties}, cleaned=True)
            for cell, prop, text in phones:
                values = properties.setdefault(prop.name, [])
                for value in decode_values(text):
                    cleaned = prop.type.clean(value, proxy=hints)
                    if cleaned is None:
                        self._invalid(cell, schema, prop, value)
                    elif cleaned not in values:
                        values.append(cleaned)
        if "x" in position and "y" in position:
            extra["position"] = [position["x"], position["y"]]
        entity = {"id": entity_id, "schema": schema.name,
                  "properties": {name: values for name, values in properties.items() if values}}
        return Record(entity, locator=f"{place} row {row_number}", grade=grade, extra=extra)

    def _invalid(self, cell: str, schema: Schema, prop: Property, value: str) -> None:
        self._problem(f"{cell}: {value!r} is not a valid {prop.type.name} for {schema.name}.{prop.name} "
                      f"(expected a {prop.type.label.lower()} value)")


def _sheet_names(path: Path) -> list[str] | None:
    """Sheet names from the workbook's index (``xl/workbook.xml``), or ``None`` if not a workbook."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = ElementTree.fromstring(read_member(archive, "xl/workbook.xml", path))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, SourceFormatError, zlib.error, EOFError):
        return None
    return [element.get("name", "") for element in root.iter() if element.tag.endswith("}sheet")]


__all__ = [
    "FtmExporter",
    "FtmStatementsExporter",
    "FtmStatementsImporter",
    "XlsxExporter",
    "XlsxImporter",
    "decode_values",
    "encode_values",
]
