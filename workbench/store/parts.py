"""What every part of :class:`workbench.store.Case` may use of the others: ``CasePart``.

``Case`` is put together from mixins, one module of this package per theme (ingest, entities,
findings, journal, audit...). Each mixin's methods use the case's connection and a few services
that another part provides: the write transaction, the audit log, the undo journal, merges'
aliases. ``CasePart`` is the base of every mixin and declares those, so that a reader, an editor
or mypy knows what ``self`` holds in any part without reading ``case.py`` first.

It declares and does nothing at run time: the attributes are set by ``Case.__init__``, and the
methods (declared only for type checkers) are those of the parts named beside each.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

if TYPE_CHECKING:
    from workbench.store.snapshot import FactsSnapshot


class CasePart:
    """The base of each part of ``Case``: the case's state, and the services the parts share."""

    #: The case file.
    path: Path
    #: Opened read-only: every write method raises CaseReadOnly (see ``_require_writable``).
    readonly: bool
    #: The case's SQLite connection (autocommit; writes happen inside ``_write()``).
    conn: sqlite3.Connection
    #: The same connection seen through sqlite-utils.
    db: sqlite_utils.Database
    #: Why what is done cannot be recorded in the audit log (read-only media), else ``None``.
    unrecorded: str | None
    #: Differences from Workbench's schema, for a case opened with ``inspect=True``.
    schema_problems: list[str]
    _snapshot: FactsSnapshot | None
    #: Audit keys read or made in this session, by key id; keys made in an open transaction.
    _keys: dict[str, bytes]
    _fresh_keys: list[Path]

    if TYPE_CHECKING:
        # case.py: opening, the write transaction, metadata
        def _write(self) -> AbstractContextManager[Any]: ...
        def _require_writable(self) -> None: ...
        def meta(self, key: str, default: str | None = None) -> str | None: ...
        @property
        def migrations(self) -> list[str]: ...

        # audit.py, journal.py
        def _audit(self, action: str, details: dict[str, Any]) -> None: ...
        def _forget_fresh_keys(self, *, delete: bool) -> None: ...
        def _journal(self, command: str, label: str, payload: dict[str, Any]) -> None: ...

        # entities.py
        def resolve(self, entity_id: str) -> str: ...
        @staticmethod
        def _properties(entity_id: str, cursor: sqlite3.Cursor | sqlite3.Connection) -> dict[str, list[str]]: ...

        # ingest.py
        def _ingest_into(self, cursor: Any, records: Any, source_id: int, source_grade: str,
                         progress: Any = None) -> Any: ...  # an IngestReport (ingest.py imports this module)
        def _retract_source(self, source_id: int) -> None: ...
        def _rebuild_entity(self, cursor: sqlite3.Cursor, entity_id: str,
                            aliases: dict[str, str] | None = None) -> None: ...

        # merging.py, chart.py, chart_groups.py, findings.py: what the journal replays, and reads
        def _apply_merge(self, payload: dict[str, Any]) -> None: ...
        def _unapply_merge(self, payload: dict[str, Any]) -> None: ...
        def _apply_chart(self, items: dict[str, dict[str, Any] | None]) -> None: ...
        def _apply_groups(self, payload: dict[str, Any], *, forward: bool) -> None: ...
        def chart_item(self, entity_id: str) -> dict[str, Any] | None: ...
        def finding_counts(self, *, current_only: bool = True) -> dict[str, int]: ...


__all__ = ["CasePart"]
