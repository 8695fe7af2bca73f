"""What a detector or an exporter may read of a case: the :class:`CaseReader` protocol.

Plugins are handed the case (read-only while detectors run) and read it through these methods
only, never through SQL: the tables are the store's to change. The open :class:`Case` answers
every one of them; a test holds it to that, and holds the built-in plugins to reading nothing
else. Typing a plugin against ``CaseReader`` lets an editor or a type checker say so too.

Two ways to read the facts:

* :meth:`CaseReader.snapshot`: every entity of a schema at once, as light read-only records
  (:class:`EntityFacts`: ``id``, ``schema``, ``caption``, ``get(prop)``, ``first(prop)``), read
  in bulk and shared by every detector until the facts change. What detectors that read many
  entities use (``for payment in case.snapshot().of_schema("Payment")``).
* :meth:`CaseReader.entities`, :meth:`CaseReader.entity`, :meth:`CaseReader.edges`,
  :meth:`CaseReader.events_between`: FollowTheMoney proxies and link rows, one question at a
  time.

Exporters read :meth:`CaseReader.iter_entities`, which leaves out what only protected sources
say unless asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from followthemoney.proxy import EntityProxy

from workbench.store.columns import PaymentColumns
from workbench.store.snapshot import EntityFacts, FactsSnapshot


@runtime_checkable
class CaseReader(Protocol):
    """The read side of a case that plugins see. :class:`workbench.store.Case` implements it."""

    #: The case file (``.wbcase``); plugins may name it, never open it themselves.
    path: Path

    @property
    def facts_version(self) -> tuple[int, ...]:
        """Changes when the facts change (imports, merges, undo), not when findings or the chart
        do: a key for caching what a plugin computes from the facts."""

    def meta(self, key: str, default: str | None = None) -> str | None:
        """A case setting: ``"title"``, ``"case_id"``..."""

    def snapshot(self) -> FactsSnapshot:
        """Every fact of the case, read in bulk, as :class:`EntityFacts` (see the module's notes).

        ``snapshot().of_schema("Payment")`` lists the payments (and descendants of the schema),
        ordered by id; ``snapshot().get(entity_id)`` is one entity, merged ids followed. Shared
        and read-only: do not change what it returns.
        """

    def payment_columns(self, *, schema: str = "Payment", texts: Iterable[str] = ()) -> PaymentColumns:
        """Every payment as numpy columns (payer, beneficiary, amount, currency, day, and the text
        properties named in ``texts`` as coded columns): about 40 bytes a payment, for detectors
        that read millions of them. Not cached: hold it as long as you need it."""

    def facts_having(self, schema: str, props: Iterable[str], having: Iterable[str]) -> list[EntityFacts]:
        """The entities of ``schema`` that have a value for one of ``having``, as
        :class:`EntityFacts` holding only ``props``: the few payments naming a bank account
        among millions that do not, without reading them all."""

    def entity(self, entity_id: str) -> EntityProxy | None:
        """One entity (an id merged into another gives the other) as an FtM proxy, or ``None``."""

    def entities(self, schema: str | None = None) -> Iterator[EntityProxy]:
        """Every entity, or those of ``schema`` and its descendants, as FtM proxies, ordered by id."""

    def edges(self, entity_id: str) -> list[dict[str, Any]]:
        """The links touching an entity, or formed by it: rows with ``source_id``, ``target_id``,
        ``via_id`` (the entity making the link), ``schema``, ``prop``, ``start_date``,
        ``end_date``, ``amount``."""

    def events_between(self, start: str, end: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Entities (of ``schema``) whose start date falls in ``[start, end]`` (ISO dates)."""

    def resolve(self, entity_id: str) -> str:
        """The id an entity is known by now, after merges."""

    def aliases_of(self, entity_id: str) -> list[str]:
        """The ids merged into ``entity_id``."""

    def match_decisions(self) -> dict[tuple[str, str], str]:
        """The analyst's decisions on suggested matches: ``{(left_id, right_id): decision}``."""

    def aliases(self) -> dict[str, str]:
        """``{merged id: the id it is known by now}`` for every merge."""

    def merged_ids(self) -> dict[str, list[str]]:
        """Ids merged into each entity (canonical id -> aliases in order)."""

    def entities_with_extra(self, key: str, value: str) -> set[str]:
        """Entities a record of which kept ``value`` under ``key`` from its source file."""

    def chart_items(self) -> dict[str, dict[str, Any]]:
        """Every chart item: ``{entity id: {"x", "y", "pinned", "hidden", "group_name"}}``."""

    def positions(self) -> dict[str, tuple[float, float]]:
        """``{entity id: (x, y)}`` of the chart items that have a position."""

    def link_counts(self) -> dict[str, int]:
        """``{entity id: how many links end at it}``, counting both ends."""

    def counts_by_schema(self, *, matching: str | None = None) -> dict[str, int]:
        """How many entities of each schema."""

    def iter_entities(self, *, include_protected: bool = False, with_provenance: bool = False) -> Iterator[Any]:
        """Every entity as an FtM proxy in one pass, for exports; with ``with_provenance``,
        ``(proxy, [(prop, value, source file, locator, grade, imported_at), ...])``. Values only
        protected sources give are left out unless ``include_protected``."""

    def record_extras(self, key: str, *, include_protected: bool = False) -> Iterator[tuple[str, Any]]:
        """``(entity id, value)`` of ``key`` in the extra data importers kept with their records
        (an edge weight from Gephi), in import order; protected sources only if asked."""

    def sources(self, kind: str | None = "import") -> list[dict[str, Any]]:
        """The sources of the case (imports by default; every kind with ``kind=None``)."""

    def findings(self, *, status: str | None = None, detector_id: str | None = None,
                 current_only: bool = True) -> list[dict[str, Any]]:
        """Stored findings, most severe first."""


__all__ = ["CaseReader", "EntityFacts", "FactsSnapshot", "PaymentColumns"]
