"""``Case``: one investigation in one SQLite file (``.wbcase``), through sqlite-utils.

Facts live as statements (one property value each) grouped in records (one entity as one
source described it: source, locator, grade); the ``entities`` and
``edges`` tables are derived from them so that lookups by type, by endpoint and by date are
index lookups. Every write happens in one transaction, so an ingest that fails leaves the case
exactly as it was.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from workbench import __version__
from workbench.files import not_a_file
from workbench.store import integrity
from workbench.store.audit import AuditLog
from workbench.store.chart import ChartState
from workbench.store.chart_groups import ChartGroupsMixin
from workbench.store.common import _analyst, _now  # noqa: F401  (kept importable from here)
from workbench.store.entities import EntityReading
from workbench.store.errors import (
    CaseCorrupt,
    CaseError,
    CaseExists,
    CaseLocked,
    CaseNotFound,
    CaseReadOnly,
    CaseTampered,
    CaseTooNew,
    NotACase,
)
from workbench.store.findings import Findings
from workbench.store.ingest import INGEST_BATCH, Ingesting, IngestReport, ProgressCallback  # noqa: F401
from workbench.store.journal import Journal
from workbench.store.merging import Merging
from workbench.store.migrations import KNOWN_NAMES, MIGRATIONS, READABLE_WITHOUT, create_migration_record
from workbench.store.protection import ProtectedSources
from workbench.store.results import AnalysisResults
from workbench.store.snapshot import FactsSnapshot

SUFFIX = ".wbcase"
# Written into the SQLite header (PRAGMA application_id) so a case file is recognisable
# without opening it: ASCII "WBNC".
APPLICATION_ID = 0x57424E43
SQLITE_MAGIC = b"SQLite format 3\x00"

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


class Case(Ingesting, EntityReading, ProtectedSources, Merging, Findings, AnalysisResults, ChartState,
           ChartGroupsMixin, Journal, AuditLog):
    """An investigation case stored in one SQLite file.

    Open with :meth:`Case.create` or :meth:`Case.open`; use as a context manager to close it.
    The one door to the case: every read and write of its tables goes through a method of this
    class. Its parts live in the modules of this package, one per theme (ingest, entities,
    protection, merging, findings, results, chart, chart_groups, journal, audit); this module opens,
    checks, copies and closes.
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
        why = not_a_file(path)
        if why == "no such file":
            raise CaseNotFound(f"{path}: no such case file")
        if why is not None:
            raise NotACase(f"{path}: {why}, not a case file")
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

    @classmethod
    def attach_read_only(cls, path: str | Path, *, timeout: float = 10, cache_kib: int | None = None) -> "Case":
        """A case some other process of ours opened and checked, read through a connection that
        cannot write (read-only, queries only): for a detector running in a worker.

        No checks and no audit entry: the host did both, and this reads only what it committed.
        ``cache_kib`` sets SQLite's page cache for this connection (default: the case's own).
        """
        path = Path(path)
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True,
                               isolation_level=None, timeout=timeout)
        conn.execute("PRAGMA query_only = ON")
        case = cls(path, conn, readonly=True)
        if cache_kib is not None:
            case.set_cache_size(cache_kib)
        return case

    def set_cache_size(self, kib: int) -> None:
        """Keep at most ``kib`` KiB of the case's pages in SQLite's own cache on this connection
        (a window that only draws needs little; the system's file cache holds the rest)."""
        self.conn.execute(f"PRAGMA cache_size = -{int(kib)}")

    def copy_to(self, target: str | Path) -> None:
        """Write a consistent copy of the case (write-ahead log included) to ``target``: "Save as"."""
        destination = sqlite3.connect(str(target))
        try:
            self.conn.backup(destination)
        finally:
            destination.close()

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
