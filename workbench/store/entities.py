"""Reading entities, their values, links and sources (and the case's summary).

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from followthemoney.proxy import EntityProxy

from workbench.model import model
from workbench.store.parts import CasePart


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere (with ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class EntityReading(CasePart):
    """Reading entities, statements, links and sources."""

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

    # ---------------------------------------------------------------- lookups in bulk and by name

    def caption_of(self, entity_id: str) -> str | None:
        """The caption of the entity with exactly this id (not resolved through merges), or None."""
        row = self.conn.execute("SELECT caption FROM entities WHERE id = ?", (entity_id,)).fetchone()
        return row[0] if row else None

    def schema_of(self, entity_id: str) -> str | None:
        """The schema of the entity with exactly this id (not resolved through merges), or None."""
        row = self.conn.execute("SELECT schema FROM entities WHERE id = ?", (entity_id,)).fetchone()
        return row[0] if row else None

    def captions(self, entity_ids: Iterable[str] | None = None) -> dict[str, str | None]:
        """``{entity id: caption}`` of all entities, or of those of ``entity_ids`` that exist."""
        if entity_ids is None:
            return dict(self.conn.execute("SELECT id, caption FROM entities"))
        wanted = sorted(set(entity_ids))
        found: dict[str, str | None] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            found.update(self.conn.execute(
                f"SELECT id, caption FROM entities WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def schemas(self) -> dict[str, str]:
        """``{entity id: schema}`` of every entity."""
        return dict(self.conn.execute("SELECT id, schema FROM entities"))

    def entity_rows(self, *, ordered: bool = False, skip_schemata: Iterable[str] = ()
                    ) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """``(id, schema, caption, grade, start date)`` of every entity; by schema then caption if
        ``ordered``; without the entities of ``skip_schemata`` (a chart skips the payments, which
        are its links, not its nodes: most of a big case's rows)."""
        skipped = sorted(set(skip_schemata))
        where = f" WHERE schema NOT IN ({','.join('?' * len(skipped))})" if skipped else ""
        return self.conn.execute("SELECT id, schema, caption, grade, start_date FROM entities" + where
                                 + (" ORDER BY schema, caption" if ordered else ""), skipped).fetchall()

    def find_entities(self, text: str, *, limit: int = 20) -> list[tuple[str, str | None, str]]:
        """Entities an analyst may mean by ``text``: ``(id, caption, schema)``.

        The one rule for naming an entity on the command line: its id (or an id merged into
        it), else its name exactly (ignoring case), else names containing ``text`` (at most
        ``limit``).
        """
        entity_id = self.resolve(text)
        row = self.conn.execute("SELECT id, caption, schema FROM entities WHERE id = ?", (entity_id,)).fetchone()
        if row is not None:
            return [row]
        rows = self.conn.execute(
            "SELECT id, caption, schema FROM entities WHERE caption = ? COLLATE NOCASE", (text,)).fetchall()
        if not rows:
            rows = self.conn.execute(
                "SELECT id, caption, schema FROM entities WHERE caption LIKE ? LIMIT ?", (f"%{text}%", limit)).fetchall()
        return rows

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that name an entity of the case, or an id merged into one."""
        known: set[str] = set()
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(row[0] for row in self.conn.execute(f"SELECT id FROM entities WHERE id IN ({marks})", chunk))
            known.update(row[0] for row in self.conn.execute(
                f"SELECT alias_id FROM entity_aliases WHERE alias_id IN ({marks})", chunk))
        return known

    def aliases(self) -> dict[str, str]:
        """``{merged id: the id it is known by now}`` for every merge."""
        return dict(self.conn.execute("SELECT alias_id, canonical_id FROM entity_aliases"))

    def merged_ids(self) -> dict[str, list[str]]:
        """Ids merged into each entity (canonical id -> aliases in order), read in one query.

        :meth:`aliases_of` answers the same per entity; one query keeps a large export from
        asking once per entity.
        """
        merged: dict[str, list[str]] = {}
        for alias, canonical in self.conn.execute(
            "SELECT alias_id, canonical_id FROM entity_aliases ORDER BY canonical_id, alias_id"
        ):
            merged.setdefault(canonical, []).append(alias)
        return merged

    def entities_with_extra(self, key: str, value: str) -> set[str]:
        """Entities a record of which kept ``value`` under ``key`` from its source file (what an
        importer noted beyond FtM's properties, e.g. ``i2_arrow``)."""
        if not key.isidentifier():
            raise ValueError(f"an extra's key is a plain name, not {key!r}")
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT entity_id FROM records WHERE extra IS NOT NULL AND json_valid(extra)"
            f" AND json_extract(extra, '$.{key}') = ?", (value,))}

    def topics(self) -> dict[str, set[str]]:
        """``{entity id: its topics}`` (sanction, role.pep, ...) for entities that have any."""
        topics_of: dict[str, set[str]] = {}
        for entity_id, topic in self.conn.execute(
            "SELECT r.entity_id, s.value FROM statements s JOIN records r ON r.id = s.record_id WHERE s.prop = 'topics'"
        ):
            topics_of.setdefault(entity_id, set()).add(topic)
        return topics_of

    # ---------------------------------------------------------------- links in bulk

    def graph_links(self, leaving_out: Iterable[str] = ()) -> Iterator[tuple]:
        """Every link, read row by row (never held as a list): ``(edge id, source, target, via, prop,
        schema, start, end, amount, currency, grade of the via entity)``; ``prop`` is None for a
        relationship entity's own link. ``leaving_out``: schemata whose links are not read at all
        (a graph without payments need not read millions of them to skip them)."""
        leaving_out = sorted(leaving_out)
        where = f" WHERE e.schema NOT IN ({','.join('?' * len(leaving_out))})" if leaving_out else ""
        return self.conn.execute(
            "SELECT e.id, e.source_id, e.target_id, e.via_id, e.prop, e.schema, e.start_date, e.end_date,"
            " e.amount, e.currency, v.grade FROM edges e LEFT JOIN entities v ON v.id = e.via_id" + where,
            leaving_out,
        )

    def property_end_sources(self) -> dict[str, list[str]]:
        """``{relationship entity: the source ends of its own links, in order}`` for the relationship
        entities that a property link starts or ends at (a shipment whose forwarder is named): one
        query, since a big case has tens of thousands of them."""
        sources_of: dict[str, list[str]] = {}
        for via, source in self.conn.execute(
            "SELECT via_id, source_id FROM edges WHERE prop IS NULL AND via_id IN"
            " (SELECT source_id FROM edges WHERE prop IS NOT NULL"
            "  UNION SELECT target_id FROM edges WHERE prop IS NOT NULL) ORDER BY id"
        ):
            sources_of.setdefault(via, []).append(source)
        return sources_of

    def is_relationship(self, entity_id: str) -> bool:
        """Whether ``entity_id`` is a relationship entity (has a link of its own)."""
        return self.conn.execute(
            "SELECT 1 FROM edges WHERE via_id = ? AND prop IS NULL LIMIT 1", (entity_id,)).fetchone() is not None

    def dated_links(self, *, target_captions: bool = False, stream: bool = False) -> list[tuple] | Iterator[tuple]:
        """Relationship entities' own links that have a start date, for timelines:
        ``(source, target, via, schema, start, end, amount, source's caption)``, and the target's
        caption last with ``target_captions``; read row by row as iterated with ``stream`` (a
        timeline of a million payments keeps its arrays, not a list of every row)."""
        if target_captions:
            rows = self.conn.execute(
                "SELECT e.source_id, e.target_id, e.via_id, e.schema, e.start_date, e.end_date, e.amount,"
                " s.caption, t.caption"
                " FROM edges e LEFT JOIN entities s ON s.id = e.source_id LEFT JOIN entities t ON t.id = e.target_id"
                " WHERE e.prop IS NULL AND e.start_date IS NOT NULL"
            )
        else:
            rows = self.conn.execute(
                "SELECT e.source_id, e.target_id, e.via_id, e.schema, e.start_date, e.end_date, e.amount, en.caption"
                " FROM edges e LEFT JOIN entities en ON en.id = e.source_id"
                " WHERE e.prop IS NULL AND e.start_date IS NOT NULL"
            )
        return rows if stream else rows.fetchall()

    def link_counts(self) -> dict[str, int]:
        """``{entity id: how many links end at it}``, counting both ends."""
        return dict(self.conn.execute(
            "SELECT id, count(*) FROM (SELECT source_id AS id FROM edges UNION ALL SELECT target_id FROM edges)"
            " GROUP BY id"))

    def counts_by_schema(self, *, matching: str | None = None) -> dict[str, int]:
        """``{schema: number of entities}``, by schema name; with ``matching``, of the entities whose
        name contains it (ignoring case) or whose id it is."""
        if matching:
            return dict(self.conn.execute(
                "SELECT schema, count(*) FROM entities WHERE (caption LIKE ? ESCAPE '\\' OR id = ?)"
                " GROUP BY schema ORDER BY schema", (_like(matching), matching)).fetchall())
        return dict(self.conn.execute("SELECT schema, count(*) FROM entities GROUP BY schema ORDER BY schema").fetchall())

    def entity_page(self, schema: str, *, matching: str | None = None, limit: int = 200,
                    offset: int = 0) -> list[tuple[str, str | None]]:
        """``(id, caption)`` of a page of one schema's entities by name (a case browser's list);
        with ``matching``, only those whose name contains it (ignoring case) or whose id it is."""
        where, params = "", []
        if matching:
            where, params = " AND (caption LIKE ? ESCAPE '\\' OR id = ?)", [_like(matching), matching]
        return self.conn.execute(
            f"SELECT id, caption FROM entities WHERE schema = ?{where} ORDER BY caption, id LIMIT ? OFFSET ?",
            [schema, *params, limit, offset]).fetchall()

    def sources(self, kind: str | None = "import") -> list[dict[str, Any]]:
        sql = "SELECT * FROM sources" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        return list(self.db.query(sql, [kind] if kind else []))

    def info(self) -> dict[str, Any]:
        """A summary of the case for `workbench info`."""
        counts = self.counts_by_schema()
        findings = self.finding_counts(current_only=False)
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
