"""Writing facts: imports and the analyst's own facts, each in one transaction, with the rows derived from them.

Part of :class:`workbench.store.Case` (a mixin: it uses the case's connection, transaction, journal and audit log)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench import __version__
from workbench.bulk import collector_paused
from workbench.model import model
from workbench.model.grading import Grade
from workbench.model.provenance import Record, SourceInfo
from workbench.store.common import _now
from workbench.store.errors import CaseError, IngestError
from workbench.store.parts import CasePart

INGEST_BATCH = 5000
#: Indexes of random keys (entity ids) that ingest does not read while it writes, whose upkeep
#: row by row grows with the case: each insert lands on a page of its own once the index
#: outgrows SQLite's cache. A large ingest drops them and builds them again in one sorted pass
#: at the end (inside its transaction, so an ingest that fails leaves them as they were).
DEFERRABLE_INDEXES = ("idx_records_entity", "idx_edges_source", "idx_edges_target", "idx_edges_via")
#: Records an ingest writes before it defers the indexes; only when it has also written as many
#: as the case held before, so adding a small file to a large case never rebuilds them.
DEFER_AFTER = 50_000
#: SQLite's page cache while the deferred indexes are built (KiB): the sort that builds them takes
#: as much memory again as the cache, so the cache gives way to it (64 MB of pages are not needed
#: to sort) and the import's peak stays that of its batches.
_REBUILD_CACHE_KIB = 16_384

ProgressCallback = Callable[[int], None]
_INSERT_EDGE = (
    "INSERT INTO edges (source_id, target_id, via_id, prop, schema, start_date, end_date, amount, currency)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class IngestReport:
    """What one ingest wrote."""

    source_id: int
    entities: int = 0
    new_entities: int = 0
    statements: int = 0
    edges: int = 0
    #: Entities this ingest wrote, by the type each has in the case now (sums to ``entities``).
    by_schema: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _SchemaPlan:
    """What ingest needs to know about a schema, computed once rather than per entity."""

    schema: Schema
    caption_props: tuple[str, ...]
    start_props: tuple[str, ...]
    end_props: tuple[str, ...]
    edge_source: str | None
    edge_target: str | None
    entity_props: frozenset[str]


_plans: dict[str, _SchemaPlan] = {}


def _plan(schema: Schema) -> _SchemaPlan:
    plan = _plans.get(schema.name)
    if plan is None:
        edge_source = schema.source_prop.name if schema.edge and schema.source_prop else None
        edge_target = schema.target_prop.name if schema.edge and schema.target_prop else None
        entity_props = frozenset(
            name
            for name, prop in schema.properties.items()
            if prop.type == registry.entity and not prop.stub and name not in (edge_source, edge_target)
        )
        plan = _SchemaPlan(
            schema=schema,
            caption_props=tuple(schema.caption),
            start_props=tuple(p.name for p in schema.temporal_start_props),
            end_props=tuple(p.name for p in schema.temporal_end_props),
            edge_source=edge_source,
            edge_target=edge_target,
            entity_props=entity_props,
        )
        _plans[schema.name] = plan
    return plan


def _amount(props: dict[str, list[str]]) -> float | None:
    for value in props.get("amount", ()):
        try:
            return float(value)
        except ValueError:
            continue
    return None


def _derive(
    entity_id: str, plan: _SchemaPlan, props: dict[str, list[str]], aliases: dict[str, str], grade: str | None
):
    """The entity row and edge rows that follow from an entity's properties."""
    caption = None
    for name in plan.caption_props:
        values = props.get(name)
        if values:
            caption = values[0]
            break
    start = end = None
    for name in plan.start_props:
        values = props.get(name)
        if values:
            start = min(values)
            break
    for name in plan.end_props:
        values = props.get(name)
        if values:
            end = max(values)
            break
    schema_name = plan.schema.name
    entity_row = (entity_id, schema_name, caption, start, end, grade)
    edges = []
    if plan.edge_source:
        amount = _amount(props)
        currency = props["currency"][0] if amount is not None and props.get("currency") else None
        for source in props.get(plan.edge_source, ()):
            for target in props.get(plan.edge_target, ()):
                edges.append(
                    (aliases.get(source, source), aliases.get(target, target), entity_id, None, schema_name,
                     start, end, amount, currency)
                )
    if plan.entity_props:
        for name in plan.entity_props.intersection(props):
            for target in props[name]:
                edges.append(
                    (entity_id, aliases.get(target, target), entity_id, name, schema_name, start, end, None, None)
                )
    return entity_row, edges


class Ingesting(CasePart):
    """Imports and the analyst's own facts."""

    # ------------------------------------------------------------------ ingest

    def ingest(
        self,
        records: Iterable[Record | dict[str, Any] | EntityProxy],
        source: SourceInfo,
        *,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Write entities from one source in one transaction.

        ``records`` are FtM entities as dicts or proxies, or :class:`Record` objects that add a
        locator and a grade. Values are stored as given: importers clean them (through FtM's
        types) when they build the entities. On any error nothing of this ingest remains and an
        :class:`IngestError` names the record that failed.
        """
        self._require_writable()
        with self._write():
            cursor = self.conn.cursor()
            source_id = self._insert_source(cursor, source)
            with collector_paused():  # every batch's objects are freed by reference counting
                report = self._ingest_into(cursor, records, source_id, str(source.grade), progress)
            self._audit(
                "ingest",
                {
                    "source_id": source_id,
                    "file_name": source.file_name,
                    "importer": source.importer_id,
                    "entities": report.entities,
                    "statements": report.statements,
                },
            )
        return report

    def _ingest_into(self, cursor, records, source_id: int, source_grade: str, progress=None) -> IngestReport:
        """Write records under an existing source row (inside the caller's transaction)."""
        report = IngestReport(source_id=source_id)
        aliases = dict(cursor.execute("SELECT alias_id, canonical_id FROM entity_aliases").fetchall())
        # Whether an entity was written before (by an earlier import or an earlier batch of this
        # one) is asked of the case, batch by batch: memory stays that of a batch however large
        # the file. Only entities described more than once are remembered, to be rebuilt.
        to_rebuild: set[str] = set()
        inserted: dict[str, int] = {}  # entities written as new, by type
        batch: list[tuple[int, Record | dict | EntityProxy]] = []
        number = 0
        held_before = cursor.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
        deferred: list[str] = []  # CREATE INDEX statements of the indexes dropped until the end
        for number, item in enumerate(records, start=1):
            batch.append((number, item))
            if len(batch) >= INGEST_BATCH:
                self._ingest_batch(cursor, batch, source_id, source_grade, aliases, to_rebuild, report, inserted)
                batch = []
                if progress:
                    progress(number)
                if not deferred and number >= max(DEFER_AFTER, held_before):
                    deferred = self._drop_deferrable_indexes(cursor)
        if batch:
            self._ingest_batch(cursor, batch, source_id, source_grade, aliases, to_rebuild, report, inserted)
            if progress:
                progress(number)
        if deferred:
            cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{_REBUILD_CACHE_KIB}")
            for statement in deferred:
                cursor.execute(statement)
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")
        for entity_id in to_rebuild:
            self._rebuild_entity(cursor, entity_id, aliases)
        if to_rebuild:
            report.entities = cursor.execute(
                "SELECT count(DISTINCT entity_id) FROM records WHERE source_id = ?", (source_id,)).fetchone()[0]
            report.by_schema = self._schemas_of(cursor, source_id)
        else:
            # Every entity described once, and new: the ones written are the answer, without
            # looking each of them up again (on 2 million payments that took 40 s).
            report.entities = report.new_entities
            report.by_schema = dict(sorted(inserted.items()))
        return report

    @staticmethod
    def _drop_deferrable_indexes(cursor) -> list[str]:
        """Drop the :data:`DEFERRABLE_INDEXES`; the statements that make them again, as they were."""
        marks = ",".join("?" * len(DEFERRABLE_INDEXES))
        statements = [sql for _, sql in sorted(cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})", DEFERRABLE_INDEXES))]
        for name in sorted(DEFERRABLE_INDEXES):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        return statements

    @staticmethod
    def _schemas_of(cursor, source_id: int) -> dict[str, int]:
        """How many entities of this ingest each type holds, as the case now has them.

        Counted over entities, not records: several records of one entity (an OFAC party read
        from four files, a merged id) count once, under the type the entity ended with, so the
        per-type counts add up to the ingest's total.
        """
        return dict(cursor.execute(
            "SELECT e.schema, count(*) FROM entities e"
            " WHERE e.id IN (SELECT DISTINCT entity_id FROM records WHERE source_id = ?)"
            " GROUP BY e.schema ORDER BY e.schema", (source_id,)))

    # ------------------------------------------------------------------ the analyst's own facts

    def add_facts(
        self, entities: list[dict[str, Any]], *, note: str, grade: Grade | None = None, label: str = "Add facts"
    ) -> IngestReport:
        """Record the analyst's own facts (new entities, links, values) as one undoable step.

        They get a source of their own (kind ``analyst``) carrying ``note`` (where the analyst
        learned it) and ``grade``, so they are as traceable as any import.
        """
        self._require_writable()
        if not note or not note.strip():
            raise CaseError("say where this comes from: a source note is required for the analyst's own facts")
        entities = [e.to_dict() if isinstance(e, EntityProxy) else e for e in entities]
        source = SourceInfo(kind="analyst", importer_id="analyst", importer_version=__version__,
                            grade=grade or Grade("B", 2), note=note.strip())
        with self._write():
            cursor = self.conn.cursor()
            source_id = self._insert_source(cursor, source)
            report = self._ingest_into(cursor, entities, source_id, str(source.grade))
            payload = {"source_id": source_id, "grade": str(source.grade), "entities": entities}
            self._journal("facts", label, payload)
            self._audit("analyst.add", {"source_id": source_id, "note": source.note, "label": label,
                                        "entities": [e.get("id") for e in entities]})
        return report

    def _retract_source(self, source_id: int) -> None:
        cursor = self.conn.cursor()
        touched = [row[0] for row in cursor.execute("SELECT DISTINCT entity_id FROM records WHERE source_id = ?",
                                                    (source_id,))]
        cursor.execute("DELETE FROM statements WHERE record_id IN (SELECT id FROM records WHERE source_id = ?)",
                       (source_id,))
        cursor.execute("DELETE FROM records WHERE source_id = ?", (source_id,))
        for entity_id in touched:
            self._rebuild_entity(cursor, entity_id)

    def _insert_source(self, cursor: sqlite3.Cursor, source: SourceInfo) -> int:
        cursor.execute(
            "INSERT INTO sources (kind, file_name, sha256, importer_id, importer_version, imported_at,"
            " reliability, credibility, protected, note, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source.kind,
                source.file_name,
                source.sha256,
                source.importer_id,
                source.importer_version,
                _now(),
                source.grade.reliability,
                source.grade.credibility,
                int(source.protected),
                source.note,
                json.dumps(source.options, sort_keys=True) if source.options else None,
            ),
        )
        return cursor.lastrowid

    def _ingest_batch(self, cursor, batch, source_id, source_grade, aliases, to_rebuild, report, inserted) -> None:
        record_rows = []
        statements = []
        entity_rows = []
        edge_rows = []
        prepared = [self._prepare(number, item) for number, item in batch]
        ids = [entity_id for _, entity_id, _, _, _, _, _ in prepared]
        existing = set()
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            existing.update(row[0] for row in cursor.execute(f"SELECT id FROM entities WHERE id IN ({marks})", chunk))
        seen: set[str] = set()  # written in this batch
        # Ids are assigned here, not by SQLite, so statements can name their record in the same
        # executemany; the transaction holds the write lock, so nobody else takes these numbers.
        record_id = cursor.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
        for number, entity_id, plan, props, locator, grade, extra in prepared:
            record_id += 1
            origin = None
            canonical = aliases.get(entity_id)
            if canonical is not None:
                origin, entity_id = entity_id, canonical
            schema_name = plan.schema.name
            if extra:
                referents = extra.pop("referents", None)
                if referents:
                    self._add_referents(cursor, entity_id, referents, aliases)
                position = extra.pop("position", None)
                if position is not None:
                    # A chart imported from another tool keeps its layout; a position the
                    # analyst already set here wins.
                    cursor.execute(
                        "INSERT OR IGNORE INTO chart_items (entity_id, x, y, pinned, hidden) VALUES (?, ?, ?, 0, 0)",
                        (entity_id, float(position[0]), float(position[1])),
                    )
                extra = json.dumps(extra, sort_keys=True) if extra else None
            record_rows.append((record_id, entity_id, schema_name, source_id, locator, grade, origin, extra))
            for prop, values in props.items():
                for value in values:
                    statements.append((record_id, prop, value))
            if entity_id in existing or entity_id in seen or canonical is not None:
                to_rebuild.add(entity_id)
            else:
                entity_row, edges = _derive(entity_id, plan, props, aliases, grade or source_grade)
                entity_rows.append(entity_row)
                edge_rows.extend(edges)
                report.new_entities += 1
                inserted[schema_name] = inserted.get(schema_name, 0) + 1
            seen.add(entity_id)
        cursor.executemany(
            "INSERT INTO records (id, entity_id, schema, source_id, locator, grade, origin_id, extra)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            record_rows,
        )
        cursor.executemany("INSERT INTO statements (record_id, prop, value) VALUES (?, ?, ?)", statements)
        cursor.executemany(
            "INSERT INTO entities (id, schema, caption, start_date, end_date, grade) VALUES (?, ?, ?, ?, ?, ?)",
            entity_rows,
        )
        cursor.executemany(_INSERT_EDGE, edge_rows)
        report.statements += len(statements)
        report.edges += len(edge_rows)

    @staticmethod
    def _prepare(number: int, item: Record | dict | EntityProxy):
        locator = None
        grade: str | None = None
        extra = None
        if isinstance(item, Record):
            locator, data = item.locator, item.entity
            grade = str(item.grade) if item.grade else None
            extra = dict(item.extra) if item.extra else None
        elif isinstance(item, EntityProxy):
            data = item.to_dict()
        elif isinstance(item, dict):
            data = item
        else:
            raise IngestError(f"expected an FtM entity, got {type(item).__name__}", record_number=number)
        if not isinstance(data, dict):
            raise IngestError(f"expected an FtM entity, got {type(data).__name__}", record_number=number, locator=locator)
        entity_id = data.get("id")
        if not entity_id or not isinstance(entity_id, str):
            raise IngestError("the entity has no id", record_number=number, locator=locator)
        schema_name = data.get("schema")
        schema = model.get(schema_name) if isinstance(schema_name, str) else None
        if schema is None:
            raise IngestError(f"entity {entity_id!r} has unknown type {schema_name!r}", record_number=number, locator=locator)
        if schema.abstract:
            raise IngestError(
                f"entity {entity_id!r} has abstract type {schema_name!r}; use a concrete type such as "
                f"{', '.join(sorted(s.name for s in schema.descendants if not s.abstract)[:3])}",
                record_number=number,
                locator=locator,
            )
        raw_props = data.get("properties") or {}
        if not isinstance(raw_props, dict):
            raise IngestError(f"entity {entity_id!r}: properties must be a mapping", record_number=number, locator=locator)
        props: dict[str, list[str]] = {}
        schema_props = schema.properties
        for prop, values in raw_props.items():
            if prop not in schema_props:
                raise IngestError(
                    f"entity {entity_id!r}: {schema.name} has no property {prop!r}", record_number=number, locator=locator
                )
            if type(values) is list and len(values) == 1 and type(values[0]) is str:
                # The common case, kept cheap: one clean text value.
                if values[0]:
                    props[prop] = values
                continue
            if isinstance(values, (str, int, float)):
                values = [values]
            cleaned = []
            for value in values:
                if isinstance(value, str):
                    if value:
                        cleaned.append(value)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cleaned.append(str(value))
                elif value is not None:
                    raise IngestError(
                        f"entity {entity_id!r}: {prop} value {value!r} is not text",
                        record_number=number,
                        locator=locator,
                    )
            if cleaned:
                props[prop] = list(dict.fromkeys(cleaned))
        return number, entity_id, _plan(schema), props, locator, grade, extra

    @staticmethod
    def _add_referents(cursor, entity_id: str, referents: list[str], aliases: dict[str, str]) -> None:
        """Make other published ids of an entity resolve to it, unless they are entities here."""
        for referent in referents:
            if not isinstance(referent, str) or referent == entity_id or referent in aliases:
                continue
            if cursor.execute("SELECT 1 FROM entities WHERE id = ?", (referent,)).fetchone():
                continue  # a separate entity in this case: merging is the analyst's decision
            cursor.execute(
                "INSERT INTO entity_aliases (alias_id, canonical_id, merged_at) VALUES (?, ?, ?)",
                (referent, entity_id, _now()),
            )
            aliases[referent] = entity_id

    def find_source(self, sha256: str, importer_id: str | None, options: dict[str, Any] | None = None):
        """An earlier import of the same file by the same importer with the same options, if any."""
        encoded = json.dumps(options, sort_keys=True) if options else None
        rows = list(
            self.db.query(
                "SELECT * FROM sources WHERE sha256 = ? AND importer_id IS ? AND options IS ? ORDER BY id LIMIT 1",
                [sha256, importer_id, encoded],
            )
        )
        return rows[0] if rows else None

    def _rebuild_entity(self, cursor: sqlite3.Cursor, entity_id: str, aliases: dict[str, str] | None = None) -> None:
        """Re-derive an entity's row and edges from all of its statements."""
        if aliases is None:
            aliases = dict(cursor.execute("SELECT alias_id, canonical_id FROM entity_aliases").fetchall())
        schemata = [
            row[0]
            for row in cursor.execute("SELECT DISTINCT schema FROM records WHERE entity_id = ?", (entity_id,))
        ]
        cursor.execute("DELETE FROM edges WHERE via_id = ?", (entity_id,))
        cursor.execute("DELETE FROM entities WHERE id = ?", (entity_id,))
        if not schemata:
            return
        schema = model.get(schemata[0])
        for schema_name in schemata[1:]:
            try:
                schema = model.common_schema(schema, schema_name)
            except InvalidData as error:
                raise IngestError(
                    f"entity {entity_id!r} is described as both {schema.name} and {schema_name}: {error}"
                ) from error
        props = self._properties(entity_id, cursor)
        grade = cursor.execute(
            "SELECT min(coalesce(r.grade, s.reliability || s.credibility)) FROM records r"
            " JOIN sources s ON s.id = r.source_id WHERE r.entity_id = ?",
            (entity_id,),
        ).fetchone()[0]
        entity_row, edges = _derive(entity_id, _plan(schema), props, aliases, grade)
        cursor.execute(
            "INSERT INTO entities (id, schema, caption, start_date, end_date, grade) VALUES (?, ?, ?, ?, ?, ?)",
            entity_row,
        )
        cursor.executemany(_INSERT_EDGE, edges)
