"""Groups on the chart: named sets of entities drawn as one node while collapsed.

A group is a row of ``chart_groups`` (its kind, whether it is collapsed, where its node sits);
its members are the chart items whose ``group_name`` names it. Every change of groups and
membership is one undoable step of the journal (command ``groups``), so an overview, an
"open group" or "collapse selection" is undone as the analyst did it: in one go.

Kinds: ``community`` (found by the overview), ``type``, ``country`` and ``analyst`` (the
analyst's own). The kind only says where a group came from; all behave the same.
"""

from __future__ import annotations

from typing import Any

from workbench.store.parts import CasePart

GROUP_KINDS = ("community", "type", "country", "analyst")
_GROUP_FIELDS = {"kind", "collapsed", "x", "y"}


class ChartGroupsMixin(CasePart):
    """The chart-group half of :class:`~workbench.store.case.Case` (mixed into it)."""

    def chart_groups(self) -> dict[str, dict[str, Any]]:
        """Every group by name: ``{"kind", "collapsed", "x", "y"}`` (x and y None until placed)."""
        if "chart_groups" not in self.db.table_names():
            return {}
        return {row[0]: {"kind": row[1], "collapsed": bool(row[2]), "x": row[3], "y": row[4]}
                for row in self.conn.execute("SELECT name, kind, collapsed, x, y FROM chart_groups")}

    def group_members(self) -> dict[str, str]:
        """Each grouped entity's group name."""
        return {row[0]: row[1] for row in self.conn.execute(
            "SELECT entity_id, group_name FROM chart_items WHERE group_name IS NOT NULL AND group_name != ''")}

    def set_chart_groups(self, groups: dict[str, dict[str, Any] | None], members: dict[str, str | None],
                         label: str, items: dict[str, dict[str, Any]] | None = None) -> None:
        """Change groups and membership as one undoable step.

        ``groups`` maps a group name to the fields to set (``kind``, ``collapsed``, ``x``, ``y``)
        or to None to remove the group; ``members`` maps an entity id to its new group name, or
        None to take it out of any group; ``items`` sets other chart fields of entities in the
        same step (``x``, ``y``, ``hidden``: where an opened group's members and their
        neighbours now sit).
        """
        self._require_writable()
        from workbench.store.errors import CaseError

        existing = self.chart_groups()
        groups_before: dict[str, dict[str, Any] | None] = {}
        groups_after: dict[str, dict[str, Any] | None] = {}
        for name, fields in groups.items():
            if not name:
                raise CaseError("a group needs a name")
            old = existing.get(name)
            groups_before[name] = {"name": name, **old} if old else None
            if fields is None:
                groups_after[name] = None
                continue
            unknown = set(fields) - _GROUP_FIELDS
            if unknown:
                raise CaseError(f"unknown group fields {sorted(unknown)}; expected some of {sorted(_GROUP_FIELDS)}")
            if fields.get("kind", "analyst") not in GROUP_KINDS:
                raise CaseError(f"a group's kind is one of {', '.join(GROUP_KINDS)}, not {fields['kind']!r}")
            base = {"name": name, "kind": "analyst", "collapsed": False, "x": None, "y": None, **(old or {})}
            groups_after[name] = {**base, **fields}
        items_before: dict[str, dict[str, Any] | None] = {}
        items_after: dict[str, dict[str, Any] | None] = {}
        changes: dict[str, dict[str, Any]] = {}
        for entity_id, fields in (items or {}).items():
            unknown = set(fields) - {"x", "y", "hidden", "pinned"}
            if unknown:
                raise CaseError(f"unknown chart fields {sorted(unknown)}; expected some of x, y, hidden, pinned")
            changes.setdefault(self.resolve(entity_id), {}).update(fields)
        for entity_id, group in members.items():
            changes.setdefault(self.resolve(entity_id), {})["group_name"] = group or None
        for entity_id, fields in changes.items():
            old_item = self.chart_item(entity_id)
            items_before[entity_id] = old_item
            items_after[entity_id] = {**(old_item or {"entity_id": entity_id, "pinned": 0, "hidden": 0}), **fields}
        payload = {"groups": {"before": groups_before, "after": groups_after},
                   "items": {"before": items_before, "after": items_after}}
        with self._write():
            self._apply_groups(payload, forward=True)
            self._journal("groups", label, payload)
            self._audit("chart.groups", {"label": label, "groups": len(groups_after), "items": len(items_after)})

    def _apply_groups(self, payload: dict[str, Any], *, forward: bool) -> None:
        side = "after" if forward else "before"
        for name, row in payload["groups"][side].items():
            if row is None:
                self.conn.execute("DELETE FROM chart_groups WHERE name = ?", (name,))
            else:
                self.conn.execute(
                    "INSERT OR REPLACE INTO chart_groups (name, kind, collapsed, x, y) VALUES (?, ?, ?, ?, ?)",
                    (name, row["kind"], int(bool(row["collapsed"])), row["x"], row["y"]))
        self._apply_chart(payload["items"][side])

    def open_finding_severities(self) -> list[tuple[str, str]]:
        """(entity id, severity) for every entity named by a current finding not dismissed."""
        return [(row[0], row[1]) for row in self.conn.execute(
            "SELECT fe.entity_id, f.severity FROM finding_entities fe JOIN findings f ON f.id = fe.finding_id "
            "WHERE f.current = 1 AND f.status != 'dismissed'")]

    def entity_countries(self) -> dict[str, str]:
        """Each entity's first country (or jurisdiction), for an overview by country."""
        found: dict[str, str] = {}
        for entity_id, value in self.conn.execute(
                "SELECT r.entity_id, s.value FROM statements s JOIN records r ON r.id = s.record_id "
                "WHERE s.prop IN ('country', 'jurisdiction') ORDER BY s.prop = 'jurisdiction', s.id"):
            found.setdefault(entity_id, value)
        return found
