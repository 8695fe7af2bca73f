"""A read-only picture of the case's facts, read in bulk and shared by everything that reads them.

Detectors and analyses read the same entities again and again: every payment, every party's
addresses and phones, the caption of each party they name. Built as FollowTheMoney proxies one
query at a time, those reads cost seconds per detector on a case of 120,000 payments (a proxy
costs about 25 microseconds to build, a query about 50). A :class:`FactsSnapshot` reads each
schema's entities in one query into plain, immutable-by-convention records, and the case keeps
one snapshot per state of its facts (``Case.facts_version``), so a second detector, or a second
run on an unchanged case, reads nothing at all.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from followthemoney.schema import Schema
from followthemoney.types import registry
from rigour.names import pick_name  # what EntityProxy.caption uses

from workbench.bulk import collector_paused
from workbench.model import model

_NO_VALUES: list[str] = []


class _Connected(Protocol):
    """What a snapshot reads from: the case's connection (a :class:`Case`; typed so, the case
    module imports this one and not the other way round)."""

    conn: sqlite3.Connection


class EntityFacts:
    """One entity's schema, caption and property values, as recorded (first-seen order).

    Answers the read side of an FtM proxy (``id``, ``schema``, ``caption``, ``get``, ``first``)
    without building one. The lists it returns are shared: do not change them.
    """

    __slots__ = ("id", "schema", "properties", "_caption")

    def __init__(self, entity_id: str, schema: Schema, properties: dict[str, list[str]]):
        self.id = entity_id
        self.schema = schema
        self.properties = properties
        self._caption: str | None = None

    @property
    def caption(self) -> str:
        """As FtM's ``EntityProxy.caption`` has it (several names: the most representative)."""
        if self._caption is None:
            self._caption = self._pick_caption()
        return self._caption

    def _pick_caption(self) -> str:
        for name in self.schema.caption:
            values = self.properties.get(name)
            if not values:
                continue
            if self.schema.properties[name].type == registry.name and len(values) > 1:
                picked = pick_name(sorted(values))
                if picked is not None:
                    return picked
            else:
                return values[0]
        return self.schema.label

    def get(self, prop: str, quiet: bool = True) -> list[str]:
        """The values of ``prop``; an empty list when there are none or the schema has no such property."""
        return self.properties.get(prop, _NO_VALUES)

    def first(self, prop: str, quiet: bool = True) -> str | None:
        values = self.properties.get(prop)
        return values[0] if values else None

    def __repr__(self) -> str:
        return f"<EntityFacts {self.schema.name} {self.id} {self.caption!r}>"


class FactsSnapshot:
    """The case's entities as :class:`EntityFacts`, loaded a schema at a time on first use.

    Valid for one ``facts_version``; :meth:`Case.snapshot` hands out a new one when the facts
    change. Queries run on the case's connection, so use a snapshot in the thread that opened it.
    """

    def __init__(self, case: "_Connected", version: tuple):
        self._conn: sqlite3.Connection = case.conn
        self.version = version
        self._by_schema: dict[str, list[EntityFacts]] = {}
        self._by_id: dict[str, EntityFacts | None] = {}
        self._loaded: set[str] = set()  # schema names whose entities are all in _by_id
        self._aliases: dict[str, str] = dict(
            self._conn.execute("SELECT alias_id, canonical_id FROM entity_aliases")
        )

    def of_schema(self, schema: str) -> list[EntityFacts]:
        """Every entity of ``schema`` or a schema descending from it, ordered by id."""
        found = self._by_schema.get(schema)
        if found is None:
            names = sorted(s.name for s in model.get(schema).descendants | {model.get(schema)})
            missing = [name for name in names if name not in self._loaded]
            if missing:
                self._read(f"e.schema IN ({','.join('?' * len(missing))})", missing)
                self._loaded.update(missing)
            wanted = set(names)
            found = sorted((facts for facts in self._by_id.values()
                            if facts is not None and facts.schema.name in wanted), key=lambda f: f.id)
            self._by_schema[schema] = found
        return found

    def get(self, entity_id: str) -> EntityFacts | None:
        """The entity with this id (or an id merged into it), or ``None``.

        The first lookup reads every non-interval entity (parties, accounts, addresses,
        vessels...) at once: lookups are nearly always of those, and come by the thousand.
        """
        entity_id = self._aliases.get(entity_id, entity_id)
        if entity_id in self._by_id:
            return self._by_id[entity_id]
        if "Thing" not in self._by_schema:
            self.of_schema("Thing")
            if entity_id in self._by_id:
                return self._by_id[entity_id]
        self._read("e.id = ?", [entity_id])
        return self._by_id.setdefault(entity_id, None)

    def _read(self, where: str, args: list) -> None:
        rows = self._conn.execute(
            "SELECT e.id, e.schema, s.prop, s.value FROM entities e"
            " LEFT JOIN records r ON r.entity_id = e.id LEFT JOIN statements s ON s.record_id = r.id"
            f" WHERE {where} ORDER BY e.id, s.id",
            args,
        )
        by_id = self._by_id
        schemata: dict[str, Schema] = {}
        current = None
        props: dict[str, list[str]] = {}
        with collector_paused():  # hundreds of thousands of small containers, all kept
            for entity_id, schema_name, prop, value in rows:
                if entity_id != current:
                    current, props = entity_id, {}
                    schema = schemata.get(schema_name)
                    if schema is None:
                        schema = schemata[schema_name] = model.get(schema_name)
                    by_id[entity_id] = EntityFacts(entity_id, schema, props)
                if prop is None:
                    continue  # an entity recorded without any property
                values = props.get(prop)
                if values is None:
                    props[prop] = [value]
                elif value not in values:
                    values.append(value)


__all__ = ["EntityFacts", "FactsSnapshot"]
