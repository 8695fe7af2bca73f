"""What protected sources (a liaison's report, an informant) alone say, so that it never leaves the case.

Part of :class:`workbench.store.Case`: reports, pictures and exports ask these questions before
anything is written out.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.store.parts import CasePart

# Ids per query: well under SQLite's limit on bound parameters.
_CHUNK = 900


def _chunks(items: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(items))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class ProtectedSources(CasePart):
    """Entities and values known only from protected sources."""

    def protected_only_entities(self) -> set[str]:
        """Entities every record of which comes from a protected source (they never leave the case)."""
        return {row[0] for row in self.conn.execute(
            "SELECT r.entity_id FROM records r JOIN sources s ON s.id = r.source_id"
            " GROUP BY r.entity_id HAVING min(s.protected) = 1")}

    def entities_with_protected_facts(self) -> set[str]:
        """Entities at least one record of which comes from a protected source."""
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT r.entity_id FROM records r JOIN sources s ON s.id = r.source_id WHERE s.protected = 1")}

    def public_values(self, entity_ids: Iterable[str]) -> dict[str, tuple[dict[str, list[str]], str | None]]:
        """Each entity's values and best grade from non-protected sources only."""
        found: dict[str, tuple[dict[str, list[str]], str | None]] = {}
        for chunk in _chunks(entity_ids):
            marks = ",".join("?" * len(chunk))
            for entity_id, prop, value, grade in self.conn.execute(
                "SELECT r.entity_id, s.prop, s.value, coalesce(r.grade, src.reliability || src.credibility)"
                " FROM records r JOIN statements s ON s.record_id = r.id JOIN sources src ON src.id = r.source_id"
                f" WHERE src.protected = 0 AND r.entity_id IN ({marks}) ORDER BY s.id", chunk):
                props, best = found.get(entity_id, ({}, None))
                values = props.setdefault(prop, [])
                if value not in values:
                    values.append(value)
                found[entity_id] = (props, grade if best is None or (grade and grade < best) else best)
        return found

    def protected_only_values(self, entity_ids: Iterable[str]) -> set[str]:
        """Values of these entities that only protected sources give (names, phones, dates, amounts)."""
        found: set[str] = set()
        for chunk in _chunks(entity_ids):
            marks = ",".join("?" * len(chunk))
            for (value,) in self.conn.execute(
                "SELECT s.value FROM records r JOIN statements s ON s.record_id = r.id"
                " JOIN sources src ON src.id = r.source_id"
                f" WHERE r.entity_id IN ({marks}) GROUP BY r.entity_id, s.value HAVING min(src.protected) = 1", chunk):
                found.add(value)
        return found
