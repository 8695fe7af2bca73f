"""``Case``: one investigation in one SQLite file (``.wbcase``), through sqlite-utils.

Facts live as statements (one property value each) grouped in records (one entity as one
source described it: source, locator, grade); the ``entities`` and
``edges`` tables are derived from them so that lookups by type, by endpoint and by date are
index lookups. Every write happens in one transaction, so an ingest that fails leaves the case
exactly as it was.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import sqlite3
import stat
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench import __version__
from workbench.model import model
from workbench.model.grading import Grade
from workbench.model.provenance import Record, SourceInfo
from workbench.store.errors import (
    AuditKeyError,
    CaseCorrupt,
    CaseError,
    CaseExists,
    CaseLocked,
    CaseNotFound,
    CaseReadOnly,
    CaseTampered,
    CaseTooNew,
    IngestError,
    MergeError,
    NotACase,
)
from workbench.store import integrity
from workbench.store.chart_groups import ChartGroupsMixin
from workbench.store.columns import PaymentColumns, facts_having, payment_columns
from workbench.store.migrations import KNOWN_NAMES, MIGRATIONS, READABLE_WITHOUT, create_migration_record
from workbench.store.snapshot import FactsSnapshot

SUFFIX = ".wbcase"
# Written into the SQLite header (PRAGMA application_id) so a case file is recognisable
# without opening it: ASCII "WBNC".
APPLICATION_ID = 0x57424E43
SQLITE_MAGIC = b"SQLite format 3\x00"
INGEST_BATCH = 5000

ProgressCallback = Callable[[int], None]
_INSERT_EDGE = (
    "INSERT INTO edges (source_id, target_id, via_id, prop, schema, start_date, end_date, amount, currency)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _analyst() -> str:
    return os.environ.get("WORKBENCH_ANALYST") or getpass.getuser()


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


# What the user should know but is no error (a case opened read-only, say); the command line
# prints these as one line each.
notices = logging.getLogger("workbench.store")


def _why_not_writable(path: Path) -> str | None:
    """Why the case cannot be written, in a few words, or ``None``.

    Permission bits count even where the user could override them (root): a file or folder
    marked read-only is treated as read-only media.
    """
    if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222:
        return "the file is read-only"
    folder = path.resolve().parent
    if not os.access(folder, os.W_OK | os.X_OK) or not folder.stat().st_mode & 0o222:
        return "its folder is read-only"
    return None


def _connect_read_only(path: Path, cannot_write: str | None, timeout: float) -> sqlite3.Connection:
    """A read-only connection; on read-only media an immutable one (no locks, no -wal or -shm files).

    Immutable only when no write-ahead log holds changes: SQLite would not read them.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    wal = Path(str(path) + "-wal")
    if cannot_write and not (wal.exists() and wal.stat().st_size > 0):
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _special_file_kind(path: Path) -> str:
    """What a path that is neither a regular file nor a folder is, in a few words."""
    mode = path.stat().st_mode
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_header(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(100)


def _translate(path: Path, error: sqlite3.Error) -> CaseError:
    message = str(error)
    if "locked" in message or "busy" in message:
        return CaseLocked(f"{path}: the case is locked by another program; close it there and try again")
    if "readonly" in message or "read-only" in message:
        return CaseReadOnly(f"{path}: the case file cannot be written (read-only file or folder)")
    if "not a database" in message or "malformed" in message or "disk image" in message:
        return CaseCorrupt(f"{path}: the case file is damaged ({message}); restore it from a backup")
    return CaseError(f"{path}: {message}")


# Audit actions that change facts (undo and redo may not, but counting them only costs a cache miss).
_FACT_ACTIONS = ("ingest", "analyst.add", "entity.merge", "undo", "redo", "case.migrate")


class Case(ChartGroupsMixin):
    """An investigation case stored in one SQLite file.

    Open with :meth:`Case.create` or :meth:`Case.open`; use as a context manager to close it.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool):
        # SQLite's page cache (allocated only as used): 64 MB. A quarter of what it was: on an
        # import of 473,000 payments the larger cache took the import's peak from 233 MB to
        # 462 MB for the same CPU time, since the system's file cache serves what falls out of it.
        conn.execute("PRAGMA cache_size = -65536")
        self.path = path
        self.readonly = readonly
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        self._snapshot: FactsSnapshot | None = None
        # What in the schema is not Workbench's (only a case opened with ``inspect=True`` has any).
        self.schema_problems: list[str] = []
        # Why what is done with this case cannot be recorded in its audit log (read-only media).
        self.unrecorded: str | None = None
        self._keys: dict[str, bytes] = {}
        self._fresh_keys: list[Path] = []

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def create(cls, path: str | Path, *, title: str | None = None) -> "Case":
        """Create a new, empty case file. Refuses to overwrite an existing file."""
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        if path.is_symlink() and not path.exists():
            # SQLite would follow the link and create a file wherever it points.
            raise CaseExists(f"{path}: a link to {os.readlink(path)}, which does not exist; a case is not "
                             "created through a link: remove the link or choose another name")
        if path.exists():
            raise CaseExists(f"{path}: a file of that name already exists; choose another name")
        if not path.parent.exists():
            raise CaseNotFound(f"{path.parent}: no such folder")
        try:
            conn = sqlite3.connect(str(path), isolation_level=None)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            case = cls(path, conn, readonly=False)
            with case._write():
                case._migrate()
                case.db["meta"].insert_all(
                    [
                        {"key": "case_id", "value": str(uuid.uuid4())},
                        {"key": "title", "value": title or path.stem},
                        {"key": "created_at", "value": _now()},
                        {"key": "created_by", "value": f"workbench {__version__}"},
                    ]
                )
                case._audit("case.create", {"path": path.name, "title": title or path.stem})
        except sqlite3.Error as error:
            raise _translate(path, error) from error
        return case

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False, lock_timeout: float = 2.0,
             inspect: bool = False) -> "Case":
        """Open an existing case, checking it before anything is written to it.

        Raises a :class:`CaseError` subclass naming the file and the problem for a missing,
        locked, damaged or too-new case file, for a case whose schema was changed outside
        Workbench (:class:`CaseTampered`), or for a file that is not a case at all. A case that
        fails SQLite's ``quick_check`` is refused (:class:`CaseCorrupt`) and never written to.

        A case whose file or folder cannot be written opens only with ``readonly=True``, then
        without locks or side files (SQLite's immutable mode).

        ``inspect=True`` (read-only) opens a case whose schema is not Workbench's anyway, listing
        the differences in ``schema_problems``: for `workbench audit`, which must still show the log.
        """
        if inspect and not readonly:
            raise ValueError("inspect=True opens read-only only")
        path = Path(path)
        if not path.exists():
            raise CaseNotFound(f"{path}: no such case file")
        if path.is_dir():
            raise NotACase(f"{path}: is a folder, not a case file")
        if not path.is_file():
            # Reading a pipe would wait for a writer forever, a device would give endless bytes.
            raise NotACase(f"{path}: {_special_file_kind(path)}, not a case file")
        header = _read_header(path)
        if not header.startswith(SQLITE_MAGIC):
            raise NotACase(f"{path}: not a Workbench case (the file is not an SQLite database)")
        if len(header) < 100:
            raise CaseCorrupt(f"{path}: the case file is truncated; restore it from a backup")
        application_id = int.from_bytes(header[68:72], "big")
        if application_id != APPLICATION_ID:
            raise NotACase(
                f"{path}: an SQLite database, but not a Workbench case "
                "(create one with `workbench new`, or import data into a case instead)"
            )

        cannot_write = _why_not_writable(path)
        if cannot_write and not readonly:
            raise CaseReadOnly(f"{path}: the case cannot be written ({cannot_write}); "
                               "commands that only read it (info, findings, report, export) still work")

        # Inspect through a read-only connection first so that a case we refuse is never touched.
        conn = None
        try:
            conn = _connect_read_only(path, cannot_write, lock_timeout)
            applied = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
            unknown = [name for name in applied if name not in KNOWN_NAMES]
            if unknown:
                raise CaseTooNew(
                    f"{path}: written by a newer Workbench (it has {', '.join(unknown)}); "
                    f"this is Workbench {__version__}: upgrade to open it"
                )
            problems = integrity.schema_problems(conn, applied)
            if problems and not inspect:
                raise CaseTampered(
                    f"{path}: the case file was changed outside Workbench: {'; '.join(problems)}. "
                    "Its contents cannot be trusted and Workbench will not open it; restore it from a backup "
                    "(`workbench audit CASE` still shows its log)"
                )
            # A damaged case is never written to. Reading commands skip the check when the file is
            # exactly as it was when it last passed (size and time of the file and its log).
            if not readonly or not integrity.passed_before(path):
                damage = integrity.quick_check(conn)
                if damage:
                    raise CaseCorrupt(f"{path}: the case file is damaged ({_shorten(damage)}); nothing was "
                                      "written to it; restore it from a backup")
                integrity.remember_passed(path)
            pending = [name for name in KNOWN_NAMES if name not in applied]
            # Migrations that only add what a reader can do without (chart groups) do not stop
            # reading an older case: it simply has none yet.
            if readonly and any(name not in READABLE_WITHOUT for name in pending):
                raise CaseReadOnly(
                    f"{path}: written by an older Workbench and needs upgrading "
                    f"({', '.join(pending)}); open it once for writing"
                )
        except CaseError:
            if conn is not None:
                conn.close()
            raise
        except sqlite3.DatabaseError as error:
            if conn is not None:
                conn.close()
            if "no such table" in str(error):
                raise CaseCorrupt(f"{path}: the case file has no migration record; it is damaged") from error
            if cannot_write and "unable to open" in str(error):
                raise CaseReadOnly(
                    f"{path}: {cannot_write}, and changes not yet merged into the case wait in "
                    f"{path.name}-wal; copy the case and that file to a folder you can write to"
                ) from error
            raise _translate(path, error) from error
        if readonly:
            conn.execute("PRAGMA query_only = ON")
            case = cls(path, conn, readonly=True)
            case.schema_problems = problems
            if cannot_write:
                case.unrecorded = cannot_write
            return case
        conn.close()

        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=lock_timeout)
            conn.execute("PRAGMA foreign_keys = ON")
            # Take the write lock now: a case another program is writing is reported at once,
            # not half-way through the analyst's first change.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            case = cls(path, conn, readonly=False)
            if pending:
                with case._write():
                    case._migrate()
                    case._audit("case.migrate", {"applied": pending})
        except sqlite3.Error as error:
            raise _translate(path, error) from error
        return case

    @classmethod
    def open_to_record(cls, path: str | Path, **kwargs: Any) -> "Case":
        """Open a case to read it and record in its audit log what was taken from it.

        For exports, reports and pictures: they only read the case, and note in its log what left
        it. Where the file or its folder cannot be written (read-only media, ``chmod 444``), the
        case is opened read-only instead, and a notice says so before the work starts: the output
        is written, the case's audit log does not record it.
        """
        path = Path(path)
        cannot_write = _why_not_writable(path) if path.is_file() else None
        if cannot_write is None:
            return cls.open(path, **kwargs)
        case = cls.open(path, readonly=True, **kwargs)
        notices.warning("%s: %s: opened read-only; what this command writes is not recorded in the case's "
                        "audit log", path, cannot_write)
        return case

    def close(self) -> None:
        self.conn.close()
        if not self.readonly:
            # Checked when opened for writing, and changed only by SQLite since: the next
            # read-only open need not read it all again.
            integrity.remember_passed(self.path)

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        if "_migrations" not in self.db.table_names():
            create_migration_record(self.db)
        applied = {row["name"] for row in self.db["_migrations"].rows}
        for name, migration in MIGRATIONS:
            if name not in applied:
                migration(self.db)
                self.db["_migrations"].insert({"name": name, "applied_at": _now()})

    def _require_writable(self) -> None:
        if self.readonly:
            raise CaseReadOnly(f"{self.path}: opened read-only")

    def _write(self):
        """A transaction that turns SQLite's errors into CaseErrors naming this file."""
        return _Transaction(self)

    # ------------------------------------------------------------------ metadata

    @property
    def migrations(self) -> list[str]:
        return [row["name"] for row in self.db.query("SELECT name FROM _migrations ORDER BY rowid")]

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

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
        batch: list[tuple[int, Record | dict | EntityProxy]] = []
        number = 0
        for number, item in enumerate(records, start=1):
            batch.append((number, item))
            if len(batch) >= INGEST_BATCH:
                self._ingest_batch(cursor, batch, source_id, source_grade, aliases, to_rebuild, report)
                batch = []
                if progress:
                    progress(number)
        if batch:
            self._ingest_batch(cursor, batch, source_id, source_grade, aliases, to_rebuild, report)
            if progress:
                progress(number)
        for entity_id in to_rebuild:
            self._rebuild_entity(cursor, entity_id, aliases)
        report.entities = cursor.execute(
            "SELECT count(DISTINCT entity_id) FROM records WHERE source_id = ?", (source_id,)).fetchone()[0]
        report.by_schema = self._schemas_of(cursor, source_id)
        return report

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

    def _ingest_batch(self, cursor, batch, source_id, source_grade, aliases, to_rebuild, report) -> None:
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

    # ------------------------------------------------------------------ reading

    def resolve(self, entity_id: str) -> str:
        """The id an entity is known by now (after merges); ``entity_id`` itself if never merged."""
        row = self.conn.execute("SELECT canonical_id FROM entity_aliases WHERE alias_id = ?", (entity_id,)).fetchone()
        return row[0] if row else entity_id

    def first_value(self, entity_id: str, prop: str, *, include_protected: bool = False) -> str | None:
        """The first recorded value of ``prop`` of an entity, from sources an export may show.

        Values from protected sources count only with ``include_protected``, so an export naming
        a referenced party (a shipment's forwarder) never shows a name only a protected source holds.
        """
        row = self.conn.execute(
            "SELECT s.value FROM records r JOIN statements s ON s.record_id = r.id"
            " JOIN sources src ON src.id = r.source_id"
            " WHERE r.entity_id = ? AND s.prop = ? AND (src.protected = 0 OR ?) ORDER BY s.id LIMIT 1",
            (self.resolve(entity_id), prop, int(include_protected)),
        ).fetchone()
        return row[0] if row else None

    def record_extras(self, key: str, *, include_protected: bool = False) -> Iterator[tuple[str, Any]]:
        """``(entity id, value)`` of ``key`` in the records' extra data (an edge weight from Gephi), in
        import order, ids resolved through merges; protected sources only with ``include_protected``."""
        pattern = "%" + json.dumps(key) + "%"
        rows = self.conn.execute(
            "SELECT r.entity_id, r.extra FROM records r JOIN sources s ON s.id = r.source_id"
            " WHERE r.extra LIKE ? AND (s.protected = 0 OR ?) ORDER BY r.id",
            (pattern, int(include_protected)),
        ).fetchall()
        aliases = dict(self.conn.execute("SELECT alias_id, canonical_id FROM entity_aliases"))
        for entity_id, extra in rows:
            try:
                data = json.loads(extra)
            except (TypeError, ValueError):
                continue
            if isinstance(data, dict) and key in data:
                yield aliases.get(entity_id, entity_id), data[key]

    def aliases_of(self, entity_id: str) -> list[str]:
        """Ids that were merged into ``entity_id``."""
        return [
            row[0]
            for row in self.conn.execute(
                "SELECT alias_id FROM entity_aliases WHERE canonical_id = ? ORDER BY alias_id", (entity_id,)
            )
        ]

    def entity(self, entity_id: str) -> EntityProxy | None:
        """The entity with this id (or an id merged into it) as an FtM proxy, or ``None``."""
        entity_id = self.resolve(entity_id)
        row = self.conn.execute("SELECT schema FROM entities WHERE id = ?", (entity_id,)).fetchone()
        if row is None:
            return None
        props = self._properties(entity_id, self.conn)
        return model.get_proxy({"id": entity_id, "schema": row[0], "properties": props}, cleaned=True)

    @staticmethod
    def _properties(entity_id: str, cursor: sqlite3.Cursor | sqlite3.Connection) -> dict[str, list[str]]:
        """All values of an entity from all its records, in the order they were recorded."""
        props: dict[str, list[str]] = {}
        for prop, value in cursor.execute(
            "SELECT s.prop, s.value FROM records r JOIN statements s ON s.record_id = r.id"
            " WHERE r.entity_id = ? ORDER BY s.id",
            (entity_id,),
        ):
            values = props.setdefault(prop, [])
            if value not in values:
                values.append(value)
        return props

    def entities(self, schema: str | None = None) -> Iterator[EntityProxy]:
        """All entities, or those of one schema and its descendants, ordered by id.

        One query for the whole set (not three per entity): detectors read every payment
        this way, and on 120,000 payments the per-entity path cost seconds per detector.
        """
        clause, args = "", []
        if schema is not None:
            names = sorted(s.name for s in model.get(schema).descendants | {model.get(schema)})
            clause = f"WHERE e.schema IN ({','.join('?' * len(names))})"
            args = names
        rows = self.conn.execute(
            "SELECT e.id, e.schema, s.prop, s.value FROM entities e"
            " LEFT JOIN records r ON r.entity_id = e.id LEFT JOIN statements s ON s.record_id = r.id"
            f" {clause} ORDER BY e.id, s.id",
            args,
        )
        current, current_schema, props = None, None, {}
        for entity_id, schema_name, prop, value in rows:
            if entity_id != current:
                if current is not None:
                    yield model.get_proxy({"id": current, "schema": current_schema, "properties": props}, cleaned=True)
                current, current_schema, props = entity_id, schema_name, {}
            if prop is None:
                continue  # an entity recorded without any property
            values = props.setdefault(prop, [])
            if value not in values:
                values.append(value)
        if current is not None:
            yield model.get_proxy({"id": current, "schema": current_schema, "properties": props}, cleaned=True)

    def iter_entities(self, *, include_protected: bool = False, with_provenance: bool = False):
        """Every entity as an FtM proxy, built in one ordered pass (for exports).

        Values from protected sources are left out unless ``include_protected`` is set: they
        never leave the case by accident. With ``with_provenance``, yields ``(proxy, rows)``
        where rows are ``(prop, value, source file, locator, grade, imported_at)``.
        """
        schemata = dict(self.conn.execute("SELECT id, schema FROM entities"))
        query = (
            "SELECT r.entity_id, s.prop, s.value, src.file_name, r.locator,"
            " coalesce(s.grade, r.grade, src.reliability || src.credibility), src.imported_at, src.protected"
            " FROM records r JOIN statements s ON s.record_id = r.id JOIN sources src ON src.id = r.source_id"
            " ORDER BY r.entity_id, s.id"
        )
        current, props, provenance = None, {}, []
        withheld = False

        def finish():
            schema = schemata.get(current)
            if schema is None or (withheld and not props):
                # Known only from protected sources: not even its id and type leave the case.
                return None
            proxy = model.get_proxy({"id": current, "schema": schema, "properties": props}, cleaned=True)
            return (proxy, provenance) if with_provenance else proxy

        for entity_id, prop, value, file_name, locator, grade, imported_at, protected in self.conn.execute(query):
            if entity_id != current:
                if current is not None and (props or current in schemata):
                    item = finish()
                    if item is not None:
                        yield item
                current, props, provenance = entity_id, {}, []
                withheld = False
            if protected and not include_protected:
                withheld = True
                continue
            values = props.setdefault(prop, [])
            if value not in values:
                values.append(value)
            if with_provenance:
                provenance.append((prop, value, file_name, locator, grade, imported_at))
        if current is not None:
            item = finish()
            if item is not None:
                yield item

    def statements(self, entity_id: str) -> list[dict[str, Any]]:
        """Every value of an entity with its source, grade and time, oldest first."""
        entity_id = self.resolve(entity_id)
        return list(
            self.db.query(
                """
                SELECT s.id, s.prop, s.value, r.schema, r.locator, r.origin_id, r.id AS record_id,
                       coalesce(substr(s.grade, 1, 1), substr(r.grade, 1, 1), src.reliability) AS reliability,
                       coalesce(substr(s.grade, 2, 1), substr(r.grade, 2, 1), src.credibility) + 0 AS credibility,
                       src.id AS source_id, src.kind AS source_kind, src.file_name, src.importer_id,
                       src.imported_at AS recorded_at, src.protected
                FROM records r
                JOIN statements s ON s.record_id = r.id
                JOIN sources src ON src.id = r.source_id
                WHERE r.entity_id = ? ORDER BY s.id
                """,
                [entity_id],
            )
        )

    def edges(self, entity_id: str) -> list[dict[str, Any]]:
        """Links touching an entity in either direction, or formed by it (a Payment's own link).

        Three index lookups, whatever the size of the case.
        """
        entity_id = self.resolve(entity_id)
        return list(
            self.db.query(
                "SELECT * FROM edges WHERE source_id = :id UNION SELECT * FROM edges WHERE target_id = :id"
                " UNION SELECT * FROM edges WHERE via_id = :id ORDER BY id",
                {"id": entity_id},
            )
        )

    def relationships(self, entity_id: str) -> list[dict[str, Any]]:
        """An entity's links as its inspector lists them: one row per other party, seen from this entity.

        Each row has ``via_id`` (the entity that makes the link: an Ownership, a Payment, or
        the entity whose property names the other), ``schema`` (of ``via_id``), ``prop``
        (``None`` for an edge schema's own link, else the naming property), ``this_end`` and
        ``other_end`` (``"source"``, ``"target"``, or ``"link"`` when this entity *is* the
        link, e.g. a Payment listing its payer and beneficiary), ``other_id``,
        ``other_caption`` (``None`` if the case holds no caption), ``other_schema``,
        ``start_date``, ``end_date``, ``amount``, ``currency``, and from the link entity's
        own values ``percentage`` and ``role`` (``None`` when not recorded). Ordered by
        start date, then link type.
        """
        entity_id = self.resolve(entity_id)
        rows = []
        for edge in self.edges(entity_id):
            ends = []
            if edge["via_id"] == entity_id and edge["prop"] is None:
                ends = [("link", "source", edge["source_id"]), ("link", "target", edge["target_id"])]
            elif edge["source_id"] == entity_id:
                ends = [("source", "target", edge["target_id"])]
            elif edge["target_id"] == entity_id:
                ends = [("target", "source", edge["source_id"])]
            for this_end, other_end, other_id in ends:
                if other_id == entity_id:
                    continue
                rows.append({
                    "via_id": edge["via_id"], "schema": edge["schema"], "prop": edge["prop"],
                    "this_end": this_end, "other_end": other_end, "other_id": other_id,
                    "start_date": edge["start_date"], "end_date": edge["end_date"],
                    "amount": edge["amount"], "currency": edge["currency"],
                })
        if not rows:
            return []
        wanted = sorted({row["other_id"] for row in rows} | {row["via_id"] for row in rows})
        marks = ",".join("?" * len(wanted))
        described = {
            row[0]: (row[1], row[2])
            for row in self.conn.execute(f"SELECT id, caption, schema FROM entities WHERE id IN ({marks})", wanted)
        }
        extra = self.link_details(wanted)
        for row in rows:
            caption, schema = described.get(row["other_id"], (None, None))
            row["other_caption"], row["other_schema"] = caption, schema
            values = extra.get(row["via_id"], {}) if row["prop"] is None else {}
            row["percentage"], row["role"] = values.get("percentage"), values.get("role")
        rows.sort(key=lambda r: (r["start_date"] or "", r["schema"], r["other_caption"] or r["other_id"]))
        return rows

    def link_details(self, via_ids: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
        """What a chart writes on a stake or a post: ``{link entity id: {"percentage": .., "role": ..}}``.

        A link's share and role are values of the link entity, not columns of the edge; the
        first recorded value of each is given. All links of the case when ``via_ids`` is None.
        """
        query = ("SELECT r.entity_id, s.prop, s.value FROM records r JOIN statements s ON s.record_id = r.id"
                 " WHERE s.prop IN ('percentage', 'role')")
        args: list[str] = []
        if via_ids is not None:
            args = list(via_ids)
            if not args:
                return {}
            query += f" AND r.entity_id IN ({','.join('?' * len(args))})"
        details: dict[str, dict[str, str]] = {}
        for via_id, prop, value in self.conn.execute(query + " ORDER BY s.id", args):
            details.setdefault(via_id, {}).setdefault(prop, value)
        return details

    def places_in_sources(self, entity_id: str) -> list[tuple[str, str | None]]:
        """(source name, locator) of each record of an entity, oldest first, without repeats."""
        return self.conn.execute(
            "SELECT DISTINCT coalesce(src.file_name, src.kind), r.locator FROM records r"
            " JOIN sources src ON src.id = r.source_id WHERE r.entity_id = ? ORDER BY r.id",
            (self.resolve(entity_id),),
        ).fetchall()

    def grade_of(self, entity_id: str) -> str | None:
        """An entity's grade (the best of its sources'), or None."""
        row = self.conn.execute("SELECT grade FROM entities WHERE id = ?", (self.resolve(entity_id),)).fetchone()
        return row[0] if row else None

    def own_link(self, via_id: str) -> dict[str, Any] | None:
        """The link a relationship entity forms (not its references): dates, amount, grade, target's caption."""
        row = self.conn.execute(
            "SELECT e.start_date, e.end_date, e.amount, e.currency, en.grade, tg.caption FROM edges e"
            " LEFT JOIN entities en ON en.id = e.via_id LEFT JOIN entities tg ON tg.id = e.target_id"
            " WHERE e.via_id = ? AND e.prop IS NULL LIMIT 1", (via_id,)).fetchone()
        if row is None:
            return None
        return {"start": row[0], "end": row[1], "amount": row[2], "currency": row[3], "grade": row[4],
                "target_caption": row[5]}

    def neighbours(self, entity_id: str) -> list[str]:
        """Ids of the entities linked to an entity, by edge entities or entity references."""
        entity_id = self.resolve(entity_id)
        others = set()
        for edge in self.edges(entity_id):
            for end in (edge["source_id"], edge["target_id"]):
                if end != entity_id:
                    others.add(end)
        return sorted(others)

    def events_between(self, start: str, end: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Entities whose start date falls in ``[start, end]`` (ISO dates; an index range scan)."""
        # ISO prefixes compare correctly as text; a date "2024-03" sorts before "2024-03-01".
        end_bound = end + "\uffff"
        if schema:
            return list(
                self.db.query(
                    "SELECT * FROM entities WHERE schema = ? AND start_date >= ? AND start_date <= ? ORDER BY start_date",
                    [schema, start, end_bound],
                )
            )
        return list(
            self.db.query(
                "SELECT * FROM entities WHERE start_date >= ? AND start_date <= ? ORDER BY start_date",
                [start, end_bound],
            )
        )

    def counts_by_schema(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT schema, count(*) FROM entities GROUP BY schema ORDER BY schema").fetchall())

    def sources(self, kind: str | None = "import") -> list[dict[str, Any]]:
        sql = "SELECT * FROM sources" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        return list(self.db.query(sql, [kind] if kind else []))

    def info(self) -> dict[str, Any]:
        """A summary of the case for `workbench info`."""
        counts = self.counts_by_schema()
        findings = dict(self.conn.execute("SELECT status, count(*) FROM findings GROUP BY status").fetchall())
        sources = []
        for source in self.sources():
            sources.append(
                {
                    "id": source["id"],
                    "file_name": source["file_name"],
                    "importer": source["importer_id"],
                    "importer_version": source["importer_version"],
                    "imported_at": source["imported_at"],
                    "grade": f"{source['reliability']}{source['credibility']}",
                    "protected": bool(source["protected"]),
                    "sha256": source["sha256"],
                }
            )
        return {
            "path": str(self.path),
            "title": self.meta("title"),
            "case_id": self.meta("case_id"),
            "created_at": self.meta("created_at"),
            "created_by": self.meta("created_by"),
            "format": self.migrations,
            "entities": sum(counts.values()),
            "entities_by_schema": counts,
            "sources": sources,
            "findings": findings,
            "merged_ids": self.conn.execute("SELECT count(*) FROM entity_aliases").fetchone()[0],
        }

    # ------------------------------------------------------------------ merging

    def merge(self, keep_id: str, drop_id: str) -> str:
        """Merge ``drop_id`` into ``keep_id`` (the same real-world party).

        Every statement of both survives (moved records remember their original entity in
        ``origin_id``), references to the dropped entity now point at the kept one, and the
        dropped id still resolves. Undoable. Returns the kept id.
        """
        self._require_writable()
        keep_id, drop_id = self.resolve(keep_id), self.resolve(drop_id)
        if keep_id == drop_id:
            raise MergeError(f"{keep_id!r} and {drop_id!r} are already the same entity")
        keep = self.conn.execute("SELECT schema FROM entities WHERE id = ?", (keep_id,)).fetchone()
        drop = self.conn.execute("SELECT schema FROM entities WHERE id = ?", (drop_id,)).fetchone()
        for entity_id, row in ((keep_id, keep), (drop_id, drop)):
            if row is None:
                raise MergeError(f"no entity {entity_id!r} in this case")
        try:
            model.common_schema(keep[0], drop[0])
        except InvalidData as error:
            raise MergeError(f"cannot merge a {keep[0]} with a {drop[0]}: they cannot be the same party") from error
        payload = {"keep": keep_id, "drop": drop_id}
        with self._write():
            self._apply_merge(payload)
            self._journal("merge", f"Merge {drop_id} into {keep_id}", payload)
            self._audit("entity.merge", {"keep": keep_id, "drop": drop_id})
        return keep_id

    def _apply_merge(self, payload: dict[str, Any]) -> None:
        """Do a merge and record in ``payload`` exactly what changed, so it can be undone."""
        cursor = self.conn.cursor()
        keep_id, drop_id = payload["keep"], payload["drop"]
        moved = cursor.execute("SELECT id, origin_id FROM records WHERE entity_id = ?", (drop_id,)).fetchall()
        cursor.execute(
            "UPDATE records SET origin_id = coalesce(origin_id, entity_id), entity_id = ? WHERE entity_id = ?",
            (keep_id, drop_id),
        )
        referring = [
            row[0]
            for row in cursor.execute(
                "SELECT DISTINCT via_id FROM edges WHERE (target_id = ? OR source_id = ?) AND via_id != ?",
                (drop_id, drop_id, drop_id),
            )
        ]
        rewritten = []
        for via_id in referring:
            rows = cursor.execute(
                "SELECT s.id FROM records r JOIN statements s ON s.record_id = r.id"
                " WHERE r.entity_id = ? AND s.value = ?",
                (via_id, drop_id),
            ).fetchall()
            rewritten.extend(row[0] for row in rows)
        cursor.executemany("UPDATE statements SET value = ? WHERE id = ?", [(keep_id, sid) for sid in rewritten])
        repointed = [
            row[0] for row in cursor.execute("SELECT alias_id FROM entity_aliases WHERE canonical_id = ?", (drop_id,))
        ]
        cursor.execute("UPDATE entity_aliases SET canonical_id = ? WHERE canonical_id = ?", (keep_id, drop_id))
        cursor.execute(
            "INSERT INTO entity_aliases (alias_id, canonical_id, merged_at) VALUES (?, ?, ?)", (drop_id, keep_id, _now())
        )
        cursor.execute("UPDATE chart_items SET entity_id = ? WHERE entity_id = ? AND NOT EXISTS "
                       "(SELECT 1 FROM chart_items WHERE entity_id = ?)", (keep_id, drop_id, keep_id))
        cursor.execute("DELETE FROM chart_items WHERE entity_id = ?", (drop_id,))
        cursor.execute("UPDATE finding_entities SET entity_id = ? WHERE entity_id = ? AND NOT EXISTS "
                       "(SELECT 1 FROM finding_entities f WHERE f.finding_id = finding_entities.finding_id "
                       "AND f.entity_id = ?)", (keep_id, drop_id, keep_id))
        for entity_id in {keep_id, drop_id, *referring}:
            self._rebuild_entity(cursor, entity_id)
        payload.update(
            moved=[[sid, origin] for sid, origin in moved], rewritten=rewritten, referring=referring, repointed=repointed
        )

    def _unapply_merge(self, payload: dict[str, Any]) -> None:
        cursor = self.conn.cursor()
        keep_id, drop_id = payload["keep"], payload["drop"]
        cursor.executemany(
            "UPDATE records SET entity_id = ?, origin_id = ? WHERE id = ?",
            [(drop_id, origin, rid) for rid, origin in payload["moved"]],
        )
        cursor.executemany("UPDATE statements SET value = ? WHERE id = ?", [(drop_id, sid) for sid in payload["rewritten"]])
        cursor.execute("DELETE FROM entity_aliases WHERE alias_id = ?", (drop_id,))
        cursor.executemany(
            "UPDATE entity_aliases SET canonical_id = ? WHERE alias_id = ?", [(drop_id, a) for a in payload["repointed"]]
        )
        for entity_id in {keep_id, drop_id, *payload["referring"]}:
            self._rebuild_entity(cursor, entity_id)

    # ------------------------------------------------------------------ findings

    def detector_parameters(self, detector_id: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT parameters FROM detector_parameters WHERE detector_id = ?",
                                (detector_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_detector_parameters(self, detector_id: str, parameters: dict[str, Any]) -> None:
        """Keep the analyst's thresholds for a detector in this case."""
        self._require_writable()
        with self._write():
            self.db["detector_parameters"].upsert(
                {"detector_id": detector_id, "parameters": json.dumps(parameters, sort_keys=True), "saved_at": _now()},
                pk="detector_id",
            )
            self._audit("detector.parameters", {"detector": detector_id, "parameters": parameters})

    def record_detector_run(
        self,
        detector_id: str,
        version: str,
        parameters: dict[str, Any],
        findings: list[dict[str, Any]],
        *,
        severity: str = "medium",
        started_at: str | None = None,
        error: str | None = None,
    ) -> dict[str, int]:
        """Store a detector's findings with the parameters used; keep the analyst's marks.

        A finding is recognised across runs by its detector and its entities and evidence, so a
        re-run updates it (new wording, new score) without losing "confirmed" or "dismissed".
        Findings the run no longer produces stay, marked not current.
        """
        self._require_writable()
        counts = {"new": 0, "updated": 0, "no_longer_found": 0}
        now = _now()
        with self._write():
            cursor = self.conn.cursor()
            cursor.execute(
                "INSERT INTO detector_runs (detector_id, detector_version, parameters, started_at, finished_at,"
                " findings, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (detector_id, version, json.dumps(parameters, sort_keys=True, default=str), started_at or now, now,
                 len(findings), error),
            )
            run_id = cursor.lastrowid
            seen = set()
            for finding in findings:
                entities = sorted({self.resolve(e) for e in finding.get("entities", [])})
                evidence = sorted(set(finding.get("evidence", [])))
                fingerprint = hashlib.sha1(
                    "\x1f".join([detector_id, ",".join(entities), ",".join(evidence)]).encode()
                ).hexdigest()
                if fingerprint in seen:
                    continue
                seen.add(fingerprint)
                values = {
                    "detector_version": version,
                    "severity": finding.get("severity") or severity,
                    "score": float(finding.get("score", 0.5)),
                    "explanation": finding["explanation"],
                    "parameters": json.dumps(parameters, sort_keys=True, default=str),
                    "evidence": json.dumps({"entities": entities, "facts": evidence,
                                            **({"details": finding["details"]} if finding.get("details") else {})},
                                           default=str),
                    "updated_at": now,
                    "run_id": run_id,
                    "current": 1,
                }
                row = cursor.execute("SELECT id FROM findings WHERE detector_id = ? AND fingerprint = ?",
                                     (detector_id, fingerprint)).fetchone()
                if row:
                    finding_id = row[0]
                    assignments = ", ".join(f"{key} = ?" for key in values)
                    cursor.execute(f"UPDATE findings SET {assignments} WHERE id = ?", (*values.values(), finding_id))
                    counts["updated"] += 1
                else:
                    cursor.execute(
                        "INSERT INTO findings (detector_id, fingerprint, status, created_at, "
                        + ", ".join(values) + ") VALUES (?, ?, 'open', ?, " + ", ".join("?" * len(values)) + ")",
                        (detector_id, fingerprint, now, *values.values()),
                    )
                    finding_id = cursor.lastrowid
                    counts["new"] += 1
                cursor.execute("DELETE FROM finding_entities WHERE finding_id = ?", (finding_id,))
                cursor.executemany("INSERT INTO finding_entities (finding_id, entity_id) VALUES (?, ?)",
                                   [(finding_id, e) for e in sorted(set(entities) | set(evidence))])
            if error is None:  # a detector that failed has not shown that its earlier findings are gone
                stale = cursor.execute(
                    "UPDATE findings SET current = 0 WHERE detector_id = ? AND (run_id IS NULL OR run_id != ?)"
                    " AND current = 1",
                    (detector_id, run_id),
                )
                counts["no_longer_found"] = stale.rowcount
            self._audit("detector.run", {"detector": detector_id, "version": version, "parameters": parameters,
                                         "findings": len(seen), "error": error})
        return counts

    def detection_progress(self) -> dict[str, Any] | None:
        """How far the latest detector run got, as ``workbench.detecting`` recorded it."""
        value = self.meta("detection_run")
        return json.loads(value) if value else None

    def set_detection_progress(self, progress: dict[str, Any]) -> None:
        """Record how far a detector run got, so a run that is cancelled or killed shows as partial."""
        self._require_writable()
        with self._write():
            self.db["meta"].upsert({"key": "detection_run", "value": json.dumps(progress, sort_keys=True)}, pk="key")

    def findings(self, *, status: str | None = None, detector_id: str | None = None,
                 current_only: bool = True) -> list[dict[str, Any]]:
        """Stored findings, most severe and highest scoring first."""
        clauses, args = [], []
        if status:
            clauses.append("status = ?")
            args.append(status)
        if detector_id:
            clauses.append("detector_id = ?")
            args.append(detector_id)
        if current_only:
            clauses.append("current = 1")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, score DESC, id"
        rows = list(self.db.query(f"SELECT * FROM findings {where} ORDER BY {order}", args))
        for row in rows:
            row["evidence"] = json.loads(row["evidence"] or "{}")
            row["parameters"] = json.loads(row["parameters"] or "{}")
        return rows

    def findings_for(self, entity_id: str) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT finding_id FROM finding_entities WHERE entity_id = ?", (self.resolve(entity_id),))]

    def set_finding_status(self, finding_id: int, status: str, reason: str | None = None) -> None:
        """Mark a finding confirmed, dismissed (a reason is required) or open again."""
        self._require_writable()
        if status not in ("open", "confirmed", "dismissed"):
            raise CaseError(f"a finding is open, confirmed or dismissed, not {status!r}")
        if status == "dismissed" and not (reason and reason.strip()):
            raise CaseError("say why the finding is dismissed: a reason is required")
        if self.conn.execute("SELECT 1 FROM findings WHERE id = ?", (finding_id,)).fetchone() is None:
            raise CaseError(f"no finding #{finding_id} in this case")
        with self._write():
            self.conn.execute("UPDATE findings SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?",
                              (status, reason, _now(), finding_id))
            self._audit("finding.mark", {"finding": finding_id, "status": status, "reason": reason})

    # ------------------------------------------------------------------ analysis results

    def record_match_decision(
        self, left_id: str, right_id: str, decision: str, *, score: float | None = None, reason: str | None = None
    ) -> None:
        """Store the analyst's verdict on a candidate match: ``same``, ``different`` or ``unsure``."""
        self._require_writable()
        if decision not in ("same", "different", "unsure"):
            raise CaseError(f"a match decision is same, different or unsure, not {decision!r}")
        left_id, right_id = sorted((left_id, right_id))
        with self._write():
            self.db["match_decisions"].upsert(
                {"left_id": left_id, "right_id": right_id, "decision": decision, "score": score,
                 "reason": reason, "decided_at": _now(), "decided_by": _analyst()},
                pk=("left_id", "right_id"),
            )
            self._audit("match.decide", {"left": left_id, "right": right_id, "decision": decision})

    def match_decisions(self) -> dict[tuple[str, str], str]:
        """``{(left_id, right_id): decision}`` with each pair's ids in sorted order."""
        return {(row[0], row[1]): row[2] for row in self.conn.execute(
            "SELECT left_id, right_id, decision FROM match_decisions")}

    def store_metric(self, metric: str, values: dict[str, float]) -> None:
        """Replace the stored values of one computed measure (e.g. ``pagerank``) for all entities."""
        self._require_writable()
        at = _now()
        with self._write():
            self.conn.execute("DELETE FROM entity_metrics WHERE metric = ?", (metric,))
            self.conn.executemany(
                "INSERT INTO entity_metrics (entity_id, metric, value, computed_at) VALUES (?, ?, ?, ?)",
                [(entity_id, metric, float(value), at) for entity_id, value in values.items()],
            )
            self._audit("analysis.store", {"metric": metric, "entities": len(values)})

    def metric(self, metric: str) -> dict[str, float]:
        return dict(self.conn.execute("SELECT entity_id, value FROM entity_metrics WHERE metric = ?", (metric,)))

    @property
    def facts_version(self) -> tuple[int, ...]:
        """Changes when the facts do (records added or removed, merges, undo and redo), but not
        when findings, chart state or parameters change: a cache key for work that reads only facts.

        The last fact-changing entry of the audit log, which each such change writes in its own
        transaction; counts alone would repeat (merge, undo, then a different merge gives the
        same counts as the first merge, and a cache would hand out the first merge's picture).
        """
        row = self.conn.execute(
            "SELECT seq FROM audit_log WHERE action IN (%s) ORDER BY seq DESC LIMIT 1"
            % ",".join("?" * len(_FACT_ACTIONS)),
            _FACT_ACTIONS,
        ).fetchone()
        return (row[0] if row else 0,)

    def snapshot(self) -> FactsSnapshot:
        """The case's facts read in bulk, shared by every reader until the facts change.

        Detectors and analyses that read many entities use this rather than :meth:`entity`
        or :meth:`entities`: one query per schema instead of one per entity, and no FtM proxies.
        """
        version = self.facts_version
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = FactsSnapshot(self, version)
        return self._snapshot

    def payment_columns(self, *, schema: str = "Payment", texts: Iterable[str] = ()) -> PaymentColumns:
        """Every payment as numpy columns (payer, beneficiary, amount, currency, day): about 40
        bytes a payment where the snapshot holds about 1 KB; see :mod:`workbench.store.columns`.

        Not cached: the caller holds it as long as it needs it. ``texts`` names text properties
        (``purpose``) to add as coded columns.
        """
        return payment_columns(self.conn, schema=schema, texts=texts)

    def facts_having(self, schema: str, props: Iterable[str], having: Iterable[str]) -> list:
        """The entities of ``schema`` that have one of the properties ``having``, as snapshot entries
        holding only ``props`` (see :func:`workbench.store.columns.facts_having`)."""
        return facts_having(self.conn, schema, props, having)

    @property
    def version(self) -> int:
        """Changes whenever the case does (every change appends to the audit log): a cache key."""
        return self.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]

    # ------------------------------------------------------------------ chart state

    def chart_item(self, entity_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM chart_items WHERE entity_id = ?", [self.resolve(entity_id)]))
        return rows[0] if rows else None

    def set_chart_items(self, changes: dict[str, dict[str, Any]], label: str = "Move items") -> None:
        """Change positions, pins, hidden flags or groups of chart items, as one undoable step.

        ``changes`` maps entity ids to the fields to set, e.g. ``{"e1": {"x": 1.0, "y": 2.0}}``.
        """
        self._require_writable()
        allowed = {"x", "y", "pinned", "hidden", "group_name"}
        before: dict[str, dict[str, Any] | None] = {}
        after: dict[str, dict[str, Any]] = {}
        for entity_id, fields in changes.items():
            unknown = set(fields) - allowed
            if unknown:
                raise CaseError(f"unknown chart fields {sorted(unknown)}; expected some of {sorted(allowed)}")
            entity_id = self.resolve(entity_id)
            old = self.chart_item(entity_id)
            before[entity_id] = old
            after[entity_id] = {**(old or {"entity_id": entity_id, "pinned": 0, "hidden": 0}), **fields}
        payload = {"before": before, "after": after}
        with self._write():
            self._apply_chart(after)
            self._journal("chart", label, payload)
            self._audit("chart.change", {"label": label, "items": len(after)})

    def _apply_chart(self, items: dict[str, dict[str, Any] | None]) -> None:
        for entity_id, row in items.items():
            if row is None:
                self.db["chart_items"].delete_where("entity_id = ?", [entity_id])
            else:
                self.db["chart_items"].upsert(row, pk="entity_id")

    def save_view(self, name: str, state: dict[str, Any]) -> None:
        self._require_writable()
        with self._write():
            self.db["saved_views"].upsert({"name": name, "state": json.dumps(state), "saved_at": _now()}, pk="name")
            self._audit("view.save", {"name": name})

    def save_mapping(self, name: str, spec: dict[str, Any]) -> None:
        """Keep a mapping spec in the case under ``name`` for the next import of such a table."""
        self._require_writable()
        with self._write():
            self.db["saved_mappings"].upsert(
                {"name": name, "spec": json.dumps(spec, sort_keys=True), "saved_at": _now()}, pk="name"
            )
            self._audit("mapping.save", {"name": name})

    def saved_mappings(self) -> dict[str, dict[str, Any]]:
        return {row["name"]: json.loads(row["spec"]) for row in self.db["saved_mappings"].rows}

    def saved_views(self) -> dict[str, dict[str, Any]]:
        return {row["name"]: json.loads(row["state"]) for row in self.db["saved_views"].rows}

    # ------------------------------------------------------------------ undo journal

    def _journal(self, command: str, label: str, payload: dict[str, Any]) -> None:
        # A new action makes whatever was undone unreachable, as in every editor.
        self.conn.execute("DELETE FROM undo_journal WHERE state = 'undone'")
        self.conn.execute(
            "INSERT INTO undo_journal (at, label, command, payload, state) VALUES (?, ?, ?, ?, 'done')",
            (_now(), label, command, json.dumps(payload)),
        )

    def undo_label(self) -> str | None:
        row = self.conn.execute("SELECT label FROM undo_journal WHERE state = 'done' ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def redo_label(self) -> str | None:
        row = self.conn.execute("SELECT label FROM undo_journal WHERE state = 'undone' ORDER BY seq LIMIT 1").fetchone()
        return row[0] if row else None

    def undo(self) -> str | None:
        """Undo the latest action; returns its label, or ``None`` if there is nothing to undo."""
        return self._travel(forward=False)

    def redo(self) -> str | None:
        """Redo the latest undone action; returns its label, or ``None``."""
        return self._travel(forward=True)

    def _travel(self, *, forward: bool) -> str | None:
        self._require_writable()
        query = (
            "SELECT seq, label, command, payload FROM undo_journal WHERE state = 'undone' ORDER BY seq LIMIT 1"
            if forward
            else "SELECT seq, label, command, payload FROM undo_journal WHERE state = 'done' ORDER BY seq DESC LIMIT 1"
        )
        row = self.conn.execute(query).fetchone()
        if row is None:
            return None
        seq, label, command, payload = row
        payload = json.loads(payload)
        with self._write():
            self._replay(command, payload, forward)
            # Redoing a merge records what it changed afresh, so the payload is stored again.
            self.conn.execute("UPDATE undo_journal SET state = ?, payload = ? WHERE seq = ?",
                              ("done" if forward else "undone", json.dumps(payload), seq))
            self._audit("redo" if forward else "undo", {"label": label})
        return label

    def _replay(self, command: str, payload: dict[str, Any], forward: bool) -> None:
        """Apply (forward) or revert one journalled command."""
        if command == "merge":
            (self._apply_merge if forward else self._unapply_merge)(payload)
        elif command == "chart":
            self._apply_chart(payload["after" if forward else "before"])
        elif command == "groups":
            self._apply_groups(payload, forward=forward)
        elif command == "facts":
            if forward:
                self._ingest_into(self.conn.cursor(), payload["entities"], payload["source_id"], payload["grade"])
            else:
                self._retract_source(payload["source_id"])
        else:
            raise CaseError(f"the undo journal holds an unknown command {command!r}")

    # ------------------------------------------------------------------ audit log

    def _audit(self, action: str, details: dict[str, Any]) -> None:
        """Append to the audit log; each entry's hash covers the previous one's (a hash chain),
        keyed with the case's audit key (an HMAC), which is kept outside the case file.

        Where this machine has no key for the case (a case made before keys, or made on another
        machine), a new key is made and an ``audit.key`` entry starts the stretch it signs.
        """
        key_id, key, previous = self._current_key()
        if key is None:
            key_id, key = self._make_key()
            if action == "case.create":
                details = {**details, "audit_key": key_id}
            else:
                reason = (f"audit key {previous} is not on this machine" if previous
                          else "the case had no audit key (made by an earlier Workbench)")
                self._append_audit("audit.key", {"audit_key": key_id, "reason": reason}, key)
        self._append_audit(action, details, key)

    def _append_audit(self, action: str, details: dict[str, Any], key: bytes) -> None:
        row = self.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev_hash = (row[0] + 1, row[1]) if row else (1, "")
        at, actor = _now(), _analyst()
        body = json.dumps(details, sort_keys=True, default=str)
        digest = integrity.keyed_hash(key, seq, prev_hash, at, actor, action, body)
        self.conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, action, body, prev_hash, digest),
        )

    def _current_key(self) -> tuple[str | None, bytes | None, str | None]:
        """The key signing the log's latest stretch: its id, the key if this machine has it, and
        the id of the stretch's key when this machine does not have it."""
        row = self.conn.execute(
            "SELECT json_extract(details, '$.audit_key') FROM audit_log WHERE action IN ('case.create', 'audit.key')"
            " AND json_valid(details) AND json_extract(details, '$.audit_key') IS NOT NULL ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None, None, None
        key_id = str(row[0])
        key = self._keys.get(key_id) or integrity.load_key(self.meta("case_id") or "", key_id)
        if key is None:
            return None, None, key_id
        self._keys[key_id] = key
        return key_id, key, None

    def _make_key(self) -> tuple[str, bytes]:
        case_id = self.meta("case_id")
        if not case_id:
            raise AuditKeyError(f"{self.path}: the case has no case id, so its audit log cannot be keyed")
        try:
            key_id, key, key_path = integrity.new_key(case_id)
        except OSError as error:
            raise AuditKeyError(f"{self.path}: cannot keep the case's audit key in "
                                f"{integrity.keys_dir(case_id)} ({error.strerror or error}); nothing was written") from error
        # Deleted again if the transaction that uses it is rolled back (see _Transaction).
        self._fresh_keys.append(key_path)
        self._keys[key_id] = key
        return key_id, key

    def _forget_fresh_keys(self, *, delete: bool) -> None:
        for key_path in self._fresh_keys:
            if delete:
                key_path.unlink(missing_ok=True)
                self._keys.pop(key_path.stem, None)
        self._fresh_keys.clear()

    def _audit_export(self, format_name: str, path: Path, include_protected: bool, report: dict[str, Any]) -> None:
        """Exports are recorded: what left the case, where to, and whether protected sources went too.

        Not on a case opened read-only by :meth:`open_to_record` (read-only media): that was said
        when it was opened.
        """
        if self.readonly and self.unrecorded:
            return
        with self._write():
            self._audit("export", {"format": format_name, "file": str(path), "include_protected": include_protected,
                                   "entities": report.get("entities"), "links": report.get("links")})

    def audit_log(self) -> list[dict[str, Any]]:
        return [
            {**row, "details": json.loads(row["details"])}
            for row in self.db.query("SELECT * FROM audit_log ORDER BY seq")
        ]

    def verify_audit_log(self) -> int | None:
        """Check the hash chain; returns the first broken entry's ``seq``, or ``None`` if intact."""
        return self.check_audit_chain()["first_broken"]

    def check_audit_chain(self) -> dict[str, Any]:
        """What the audit log's chain shows, entry by entry.

        Returns ``intact`` (no entry broken, none missing, every entry checked), ``entries``,
        ``last_hash``, ``first_broken`` (a seq or ``None``), ``missing`` (runs of entry numbers
        not in the log, ``[first, last]``), ``unkeyed`` (how many entries carry the plain chain of
        cases made before keys), ``keyed`` (entries checked with a key on this machine),
        ``unchecked`` (stretches signed with a key this machine does not hold: ``{key, first,
        last}``) and ``unused_keys`` (keys this machine made for the case that the log no longer
        uses: the log was rewritten or cut back).
        """
        case_id = self.meta("case_id") or ""
        expected_seq, prev = 1, ""
        mode, key = "plain", None
        first_broken = None
        missing: list[list[int]] = []
        unchecked: list[dict[str, Any]] = []
        used: set[str] = set()
        counts = {"unkeyed": 0, "keyed": 0, "entries": 0}
        for seq, at, actor, action, body, prev_hash, digest in self.conn.execute(
            "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq"
        ):
            counts["entries"] += 1
            if seq != expected_seq:
                missing.append([expected_seq, seq - 1])
                if first_broken is None:
                    first_broken = seq
            if action in ("case.create", "audit.key"):
                try:
                    key_id = json.loads(body).get("audit_key")
                except (ValueError, AttributeError):
                    key_id = None
                if key_id:
                    key_id = str(key_id)
                    used.add(key_id)
                    key = integrity.load_key(case_id, key_id)
                    mode = "keyed" if key is not None else "unchecked"
                    if key is None:
                        unchecked.append({"key": key_id, "first": seq, "last": seq})
            if mode == "plain":
                counts["unkeyed"] += 1
                ok = digest == integrity.plain_hash(prev_hash or "", at, actor, action, body)
            elif mode == "keyed":
                counts["keyed"] += 1
                ok = digest == integrity.keyed_hash(key, seq, prev_hash or "", at, actor, action, body)
            else:
                unchecked[-1]["last"] = seq
                ok = True
            if (not ok or (prev_hash or "") != prev) and first_broken is None:
                first_broken = seq
            prev, expected_seq = digest, seq + 1
        unused = [key_id for key_id in integrity.local_key_ids(case_id) if key_id not in used]
        return {
            "intact": first_broken is None and not missing and not unchecked and not unused,
            "entries": counts["entries"],
            "last_hash": prev or None,
            "first_broken": first_broken,
            "missing": missing,
            "unkeyed": counts["unkeyed"],
            "keyed": counts["keyed"],
            "unchecked": unchecked,
            "unused_keys": unused,
            "keys_folder": str(integrity.keys_dir(case_id)),
        }


class _Transaction:
    """``db.atomic()`` plus translation of SQLite errors into CaseErrors."""

    def __init__(self, case: Case):
        self.case = case
        self._atomic = case.db.atomic()

    def __enter__(self) -> Case:
        try:
            self._atomic.__enter__()
        except sqlite3.Error as error:
            raise _translate(self.case.path, error) from error
        return self.case

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self._atomic.__exit__(exc_type, exc, tb)
            self.case._forget_fresh_keys(delete=exc is not None)
        except sqlite3.Error as error:
            self.case._forget_fresh_keys(delete=True)
            if exc is None or exc is error:
                raise _translate(self.case.path, error) from error
            raise
        if isinstance(exc, sqlite3.Error):
            raise _translate(self.case.path, exc) from exc
        return False
