"""Chart state kept in the case: item positions, pins, hidden flags, groups; saved views and mappings.

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

import json
from typing import Any

from workbench.store.common import _now
from workbench.store.errors import CaseError
from workbench.store.parts import CasePart


class ChartState(CasePart):
    """Chart items, saved views and saved mappings."""

    def chart_item(self, entity_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM chart_items WHERE entity_id = ?", [self.resolve(entity_id)]))
        return rows[0] if rows else None

    def chart_items(self) -> dict[str, dict[str, Any]]:
        """Every chart item: ``{entity id: {"x", "y", "pinned", "hidden", "group_name"}}`` (x and y may be None)."""
        return {
            row[0]: {"x": row[1], "y": row[2], "pinned": row[3], "hidden": row[4], "group_name": row[5]}
            for row in self.conn.execute("SELECT entity_id, x, y, pinned, hidden, group_name FROM chart_items")
        }

    def positions(self) -> dict[str, tuple[float, float]]:
        """``{entity id: (x, y)}`` of the chart items that have a position."""
        return {row[0]: (float(row[1]), float(row[2])) for row in self.conn.execute(
            "SELECT entity_id, x, y FROM chart_items WHERE x IS NOT NULL AND y IS NOT NULL")}

    def hidden_ids(self) -> set[str]:
        """Ids of the entities hidden on the chart."""
        return {row[0] for row in self.conn.execute("SELECT entity_id FROM chart_items WHERE hidden = 1")}

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
