"""The case as a networkx graph: parties as nodes, relationships as edges.

FtM relationship entities (Payment, Ownership, Directorship, Shipment, ...) become edges from
their source to their target; entity-reference properties (a shipment's forwarder, an
end-use document's issuer) become edges too. Graphs are cached per case version and filter,
frozen so that no caller can change what another caller sees.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workbench.bulk import collector_paused
from workbench.lazy import lazy_module
from workbench.model import model
from workbench.store import Case

nx = lazy_module("networkx")

EDGE_SCHEMATA = frozenset(name for name, schema in model.schemata.items() if schema.edge)
# Relationships that last until an end date (a stake, a directorship): without an end date they
# are ongoing. Payments and other events happen on their date.
ONGOING_SCHEMATA = frozenset(name for name, schema in model.schemata.items() if schema.is_a("Interest"))
_CACHE: OrderedDict[tuple, nx.MultiDiGraph] = OrderedDict()
_CACHE_SIZE = 8


@dataclass(frozen=True)
class GraphFilter:
    """What to include. ``None`` means no restriction.

    ``schemata``: entity types kept as nodes (with their descendants: "LegalEntity" keeps
    companies and people). ``link_schemata``: relationship types kept (``"forwarder"`` style
    property names are matched too). ``start``/``end``: ISO dates; dated links outside the
    window are dropped, undated links kept unless ``keep_undated`` is false. ``min_grade``:
    drop links whose best source grade is weaker than this (``"C3"`` keeps A1..C3).
    ``topics``: keep only parties with one of these FtM topics (``"sanction"``, ...).
    """

    schemata: frozenset[str] | None = None
    link_schemata: frozenset[str] | None = None
    start: str | None = None
    end: str | None = None
    keep_undated: bool = True
    min_grade: str | None = None
    include_hidden: bool = True
    topics: frozenset[str] | None = None


def _expand(schemata: frozenset[str] | None) -> set[str] | None:
    if schemata is None:
        return None
    names: set[str] = set()
    for name in schemata:
        schema = model.get(name)
        if schema is None:
            names.add(name)  # a property name such as "forwarder"
            continue
        names.add(schema.name)
        names.update(descendant.name for descendant in schema.descendants)
    return names


def _grade_ok(grade: str | None, minimum: str | None) -> bool:
    if minimum is None:
        return True
    if not grade:
        return False
    return grade[0] <= minimum[0] and grade[1:] <= minimum[1:]


def _link_kept(schema: str, prop: str | None, link_types: set[str]) -> bool:
    """A relationship's own link and its references (a shipment's forwarder) follow its type;
    references held by other entities (a sanction's listed party) are kept by their property
    name, their holder's type, or the catch-all ``"references"``."""
    if prop is None or schema in EDGE_SCHEMATA:
        return schema in link_types
    return prop in link_types or schema in link_types or "references" in link_types


def case_graph(case: Case, graph_filter: GraphFilter | None = None) -> nx.MultiDiGraph:
    """The (frozen, cached) multi-directed graph of ``case`` under ``graph_filter``.

    Node attributes: ``schema``, ``caption``, ``grade``, ``start``, ``hidden``, ``topics``.
    Edge keys are the ``edges`` table's row ids; attributes: ``via`` (the relationship entity
    or the entity holding the reference), ``schema``, ``prop`` (None for relationship
    entities), ``start``, ``end``, ``amount``, ``currency``, ``grade``.
    """
    graph_filter = graph_filter or GraphFilter()
    # Keyed on what the graph is made of (facts, merges, hidden items), not on every change to
    # the case: a detector run or a finding mark must not throw away a graph of 100,000 links.
    hidden = sorted(case.hidden_ids())
    hidden_key = (len(hidden), hashlib.sha1(",".join(hidden).encode()).hexdigest())
    key = (str(case.path.resolve()), case.meta("case_id"), case.facts_version, hidden_key, graph_filter)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    with collector_paused():  # a node and an attribute dict per entity and per link, all kept
        graph = _build(case, graph_filter)
    nx.freeze(graph)
    _CACHE[key] = graph
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return graph


#: What a node carries, in this order, in ``graph_parts``' node rows and as a graph node's attributes.
NODE_FIELDS = ("schema", "caption", "grade", "start", "hidden", "topics")
#: What a link carries, in this order, in ``graph_parts``' link rows and as a graph edge's attributes.
LINK_FIELDS = ("via", "schema", "prop", "start", "end", "amount", "currency", "grade", "share", "role")


def graph_parts(case: Case, graph_filter: GraphFilter | None = None) -> tuple[dict[str, tuple], Iterator[tuple]]:
    """The graph of ``case`` as plain rows, without building a networkx graph: ``(nodes, links)``.

    ``nodes`` maps each node id to its attributes (in ``NODE_FIELDS`` order), in the graph's node order; ``links`` yields
    ``(source, target, edge id, values)`` with ``values`` in ``LINK_FIELDS`` order, in the
    order the case holds them, read from the case as it is iterated. A link to an end that was never
    imported adds that end to ``nodes`` just before it is yielded, so ``nodes`` is complete once
    ``links`` is used up. The chart reads these directly: a reopened chart of 70,000 links needs
    no networkx graph (its edge dictionaries are most of a big case's memory) until an analysis
    asks for one.
    """
    nodes: dict[str, tuple] = {}
    # The chart numbers the ends at once: sharing their strings would only cost a lookup per link.
    return nodes, _links(case, graph_filter or GraphFilter(), nodes, share_ends=False)


def _build(case: Case, graph_filter: GraphFilter) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    nodes: dict[str, tuple] = {}
    rows = _links(case, graph_filter, nodes)
    # The node rows are complete once the links are read (a link may name an end never imported).
    edges = [(origin, target, edge_id, dict(zip(LINK_FIELDS, values))) for origin, target, edge_id, values in rows]
    graph.add_nodes_from((node, dict(zip(NODE_FIELDS, values))) for node, values in nodes.items())
    graph.add_edges_from(edges)
    return graph


def _links(case: Case, graph_filter: GraphFilter, nodes: dict[str, tuple], *, share_ends: bool = True
           ) -> Iterator[tuple]:
    """Fill ``nodes`` with the parties kept by ``graph_filter`` (now) and return the links between
    them (read as they are iterated).

    Ends that were never imported are added to ``nodes`` as they are met, so ``nodes`` is
    complete only once every link has been read.
    """
    node_types = _expand(graph_filter.schemata)
    link_types = _expand(graph_filter.link_schemata)
    hidden = case.hidden_ids()
    topics_of = case.topics()
    details = case.link_details()  # the share held and the role, for the chart to write on a link
    for entity_id, schema, caption, grade, start in case.entity_rows(skip_schemata=EDGE_SCHEMATA):
        if node_types is not None and schema not in node_types:
            continue
        if not graph_filter.include_hidden and entity_id in hidden:
            continue
        topics = topics_of.get(entity_id, set())
        if graph_filter.topics is not None and not topics & graph_filter.topics:
            continue
        nodes[entity_id] = (schema, caption or entity_id, grade, start, entity_id in hidden, tuple(sorted(topics)))

    # A property edge that starts at a relationship entity (a Shipment's forwarder) is drawn
    # from that relationship's source party (the exporter), which is a node. Property edges are
    # few; only the relationships they touch are looked up, so a case of millions of payments is
    # read once, row by row, never held as a list.
    sources_of = case.property_end_sources()

    def is_relationship(entity_id: str) -> bool:
        """Whether ``entity_id`` is a relationship entity (has a link of its own)."""
        return entity_id in sources_of or case.is_relationship(entity_id)

    # Node ids, dates, types, currencies and grades repeat on every link: one string object each.
    shared: dict[str, str] = {node: node for node in nodes}
    share = shared.setdefault
    unfiltered = node_types is None and graph_filter.include_hidden is not False and not graph_filter.topics

    def rows() -> Iterator[tuple]:
        # The checks a filter needs, decided once: the chart's default filter needs none of them.
        by_date = not graph_filter.keep_undated or bool(graph_filter.start) or bool(graph_filter.end)
        by_grade = graph_filter.min_grade is not None
        no_extra: dict = {}
        # Relationship types the view leaves out are not read (their links would all be skipped below).
        unread = EDGE_SCHEMATA - link_types if link_types is not None else ()
        for edge_id, source, target, via, prop, schema, start, end, amount, currency, grade in case.graph_links(unread):
            if link_types is not None and not _link_kept(schema, prop, link_types):
                continue
            if by_date:
                if start is None and not graph_filter.keep_undated:
                    continue
                if start is not None:
                    last = end or (None if schema in ONGOING_SCHEMATA else start)
                    if graph_filter.start and last is not None and last < graph_filter.start:
                        continue
                    if graph_filter.end and start > graph_filter.end + "\uffff":
                        continue
            if by_grade and not _grade_ok(grade, graph_filter.min_grade):
                continue
            if target not in nodes and is_relationship(target):
                # A reference to a relationship (an end-use document covering a shipment) is not a
                # link between two parties; detectors read it from the case instead.
                continue
            origins = (source,) if prop is None or schema not in EDGE_SCHEMATA else sources_of.get(source, ())
            for origin in origins:
                if origin not in nodes or target not in nodes:
                    # A link to something filtered out (or never imported) is not in this view.
                    if not unfiltered:
                        continue
                    for end_id in (origin, target):
                        if end_id not in nodes:
                            nodes[end_id] = (None, end_id, None, None, False, ())
                extra = details.get(via, no_extra) if prop is None else no_extra
                if share_ends:
                    origin, target_id = share(origin, origin), share(target, target)
                else:
                    target_id = target
                yield (origin, target_id, edge_id,
                       (via, share(schema, schema), prop if prop is None else share(prop, prop),
                        start if start is None else share(start, start), end if end is None else share(end, end),
                        amount, currency if currency is None else share(currency, currency),
                        grade if grade is None else share(grade, grade),
                        extra.get("percentage"), extra.get("role")))

    return rows()


def undirected(graph: nx.MultiDiGraph) -> nx.Graph:
    """A simple undirected view (parallel links collapsed), for structure and shortest paths."""
    return nx.Graph(graph)


def edge_attributes(graph: nx.MultiDiGraph, u: str, v: str) -> list[dict[str, Any]]:
    """All links between ``u`` and ``v`` in either direction."""
    found = []
    for a, b in ((u, v), (v, u)):
        if graph.has_edge(a, b):
            for key, data in graph[a][b].items():
                found.append({"source": a, "target": b, "key": key, **data})
    return found
