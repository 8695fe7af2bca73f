"""Merging two entities into one, undoably.

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

from typing import Any

from followthemoney.exc import InvalidData

from workbench.model import model
from workbench.store.common import _now
from workbench.store.errors import MergeError
from workbench.store.parts import CasePart


class Merging(CasePart):
    """Merging entities (the same real-world party) and undoing it."""

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
