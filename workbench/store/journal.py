"""The undo journal: each undoable action and how to replay or revert it.

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

import json
from typing import Any

from workbench.store.common import _now
from workbench.store.errors import CaseError
from workbench.store.parts import CasePart


class Journal(CasePart):
    """Undo and redo."""

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
