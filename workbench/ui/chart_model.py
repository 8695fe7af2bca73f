"""The chart as plain data: what is on it, where, and what is selected. No Qt here.

The view listens to the model (napari's habit): a test can build the bare model from a case,
wrap it in a view, change the model and check that the view followed.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from workbench.analysis.graph import LINK_FIELDS, NODE_FIELDS, GraphFilter, case_graph, graph_parts
from workbench.bulk import collector_paused
from workbench.lazy import lazy_module
from workbench.model import model as ftm_model
from workbench.model.grading import parse_grade
from workbench.palette import GROUP_FILL, GROUP_SCHEMA, node_colour_hex
from workbench.store import Case

nx = lazy_module("networkx")

Listener = Callable[[str], None]

#: Summed-up links drawn per group between collapsed groups (see ``ChartModel._strongest``).
GROUP_LINKS_DRAWN = 3


class ChartLink:
    """One link on the chart. Its caption is worked out when first read (a chart of 70,000
    links draws a few hundred captions), from the link's own values: ``row`` (in ``LINK_FIELDS``
    order) gives its dates, share, role and grade too; a summed-up link has none."""

    __slots__ = ("source", "target", "schema", "prop", "via", "_label", "weak", "directed", "amount", "currency",
                 "start", "end", "grade", "share", "role", "own")

    def __init__(self, source: int, target: int, schema: str, prop: str | None, via: str, label: str | None,
                 weak: bool, directed: bool, amount: float | None = None, currency: str | None = None,
                 row: tuple | None = None):
        self.source, self.target, self.schema, self.prop, self.via = source, target, schema, prop, via
        self._label, self.weak, self.directed = label, weak, directed
        self.amount, self.currency = amount, currency
        # Slots, not the row itself: a tuple per link is a tenth of a big chart's memory.
        self.own = row is not None
        if row is not None:
            self.start, self.end, self.grade, self.share, self.role = row[3], row[4], row[7], row[8], row[9]
        else:
            self.start = self.end = self.grade = self.share = self.role = None

    @property
    def row(self) -> tuple | None:
        """The link's values in ``LINK_FIELDS`` order, or None for a summed-up link."""
        if not self.own:
            return None
        return (self.via, self.schema, self.prop, self.start, self.end, self.amount, self.currency, self.grade,
                self.share, self.role)

    @property
    def attrs(self) -> dict | None:
        """The link's values by name (``LINK_FIELDS``), or None for a summed-up link."""
        row = self.row
        return dict(zip(LINK_FIELDS, row)) if row is not None else None

    @property
    def label(self) -> str:
        if self._label is None:
            self._label = _link_label(self.attrs) if self.own else self.schema
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        self._label = text

    def __eq__(self, other) -> bool:
        if not isinstance(other, ChartLink):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__ if name != "_label") \
            and self.label == other.label

    def __repr__(self) -> str:
        return f"ChartLink({self.source}->{self.target} {self.schema} {self.label!r})"


@dataclass
class ChartModel:
    """Nodes (parties) with positions, links between them, selection and visibility."""

    ids: list[str] = field(default_factory=list)
    schemata: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    grades: list[str | None] = field(default_factory=list)
    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    pinned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    visible: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    links: list[ChartLink] = field(default_factory=list)
    selected: set[int] = field(default_factory=set)
    highlighted_links: set[int] = field(default_factory=set)
    #: The entities a finding or a path is about: drawn in full while the rest is dimmed.
    focus: set[int] = field(default_factory=set)
    #: With a focus, draw only it ("show only the evidence"); the case's hidden items are untouched.
    evidence_only: bool = False
    topics: list[tuple[str, ...]] = field(default_factory=list)
    #: Per-node colours (e.g. by community) and sizes (e.g. by centrality); None = by type.
    node_colours: list[str] | None = None
    node_sizes: np.ndarray | None = None
    style_note: str = ""
    #: Each link's date as days since 1970 (NaN when undated), and the brushed time window.
    link_days: np.ndarray = field(default_factory=lambda: np.zeros(0))
    time_window: tuple[float, float] | None = None
    _graph: nx.MultiDiGraph | None = None
    #: The case and filter the chart was read from, for building its graph when first asked.
    _graph_source: tuple | None = None
    #: Entities come first in every per-node array; group nodes follow them (see ``_load_groups``).
    entity_count: int = 0
    base_link_count: int = 0
    group_names: list[str] = field(default_factory=list)
    group_kinds: list[str] = field(default_factory=list)
    group_members: list[np.ndarray] = field(default_factory=list)
    group_collapsed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    group_severity: list[str | None] = field(default_factory=list)
    #: Each entity's group (its number in ``group_names``), -1 when in none.
    member_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    #: Worst open finding of each entity ("high", "medium", "low") or None.
    severity: list[str | None] = field(default_factory=list)
    #: Summed-up links (between a collapsed group and another node): link index -> the links it stands for.
    aggregates: dict[int, list[int]] = field(default_factory=dict)
    group_links_left_out: int = 0
    _flagged: np.ndarray | None = None
    _degree: np.ndarray | None = None
    _ends: np.ndarray | None = None
    _listed: np.ndarray | None = None
    _flagged_key: tuple | None = None
    _user_colours: list[str] | None = None
    _user_sizes: np.ndarray | None = None
    _listeners: list[Listener] = field(default_factory=list)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_case(cls, case: Case, graph_filter: GraphFilter | None = None) -> "ChartModel":
        model = cls()
        model.load(case, graph_filter=graph_filter)
        return model

    @property
    def graph(self) -> nx.MultiDiGraph | None:
        """The chart's networkx graph, built (and cached by ``case_graph``) when an analysis first
        asks for it: opening a chart reads rows, not a graph."""
        if self._graph is None and self._graph_source is not None:
            case, graph_filter = self._graph_source
            self._graph = case_graph(case, graph_filter)
        return self._graph

    @graph.setter
    def graph(self, graph: nx.MultiDiGraph | None) -> None:
        self._graph, self._graph_source = graph, None

    def load(self, case: Case, graph: nx.MultiDiGraph | None = None, *,
             graph_filter: GraphFilter | None = None) -> None:
        """Read the chart from ``case`` under ``graph_filter`` (or from an already built ``graph``)."""
        if graph is not None:
            nodes = {node: tuple(attrs.get(name) for name in NODE_FIELDS) for node, attrs in graph.nodes(data=True)}
            rows = ((u, v, key, tuple(attrs.get(name) for name in LINK_FIELDS))
                    for u, v, key, attrs in graph.edges(keys=True, data=True))
            self._graph, self._graph_source = graph, None
        else:
            nodes, rows = graph_parts(case, graph_filter)
            self._graph, self._graph_source = None, (case, graph_filter)
        # The links are read first, as they stream from the case (never held as a list of rows);
        # an end never imported joins ``nodes`` as it is met, in the order the graph would have it.
        index = {node: i for i, node in enumerate(nodes)}
        self.links = []
        weak_grades: dict[str | None, bool] = {}  # a few dozen grades among 100,000 links
        days_of: dict[str | None, float] = {}
        link_days = []
        ends = array("q")
        append_link, append_day, append_end = self.links.append, link_days.append, ends.append
        with collector_paused():  # 70,000 new objects, none of them in a cycle
            for u, v, _key, values in rows:
                via, schema, prop, start, _end, amount, currency, grade, _share, _role = values
                weak = weak_grades.get(grade)
                if weak is None:
                    weak = weak_grades[grade] = True if not grade else parse_grade(grade).is_weak
                source = index.get(u)
                if source is None:
                    source = index[u] = len(index)
                target = index.get(v)
                if target is None:
                    target = index[v] = len(index)
                append_link(ChartLink(source, target, schema, prop, via, None, weak, prop is None, amount, currency,
                                      values))
                append_end(source)
                append_end(target)
                day = days_of.get(start)
                if day is None:
                    day = days_of[start] = _days(start)
                append_day(day)
        self.ids = list(nodes)
        data = list(nodes.values())  # NODE_FIELDS: schema, caption, grade, start, hidden, topics
        self.schemata = [d[0] or "Thing" for d in data]
        self.captions = [d[1] or n for n, d in zip(self.ids, data)]
        self.grades = [d[2] for d in data]
        self.topics = [tuple(d[5] or ()) for d in data]
        del data, nodes
        self.node_colours = None
        self.node_sizes = None
        self.style_note = ""
        stored = case.chart_items()
        count = len(self.ids)
        self.positions = np.full((count, 2), np.nan)
        self.pinned = np.zeros(count, dtype=bool)
        self.visible = np.ones(count, dtype=bool)
        for i, node in enumerate(self.ids):
            row = stored.get(node)
            if row is None:
                continue
            x, y = row["x"], row["y"]
            if x is not None and y is not None:
                self.positions[i] = (x, y)
            self.pinned[i] = bool(row["pinned"])
            self.visible[i] = not row["hidden"]
        del stored
        self.link_days = np.array(link_days, dtype=float)
        self.time_window = None
        self.selected = set()
        self.highlighted_links = set()
        self.focus = set()
        self.evidence_only = False
        self.entity_count = len(self.ids)
        self.base_link_count = len(self.links)
        self._user_colours, self._user_sizes = None, None
        self.severity = _worst_findings(case, index)
        self._flagged = None
        self._degree = None
        self._ends = np.frombuffer(ends, dtype=np.int64).reshape(-1, 2)
        self._listed = None
        self._load_groups(case.chart_groups(), case.group_members())
        self.notify("reset")

    # ------------------------------------------------------------------ groups

    def _load_groups(self, groups: dict[str, dict], members: dict[str, str]) -> None:
        """Groups from the case; collapsed ones become one node each, with their links summed up."""
        index = {node: i for i, node in enumerate(self.ids[: self.entity_count])}
        by_group: dict[str, list[int]] = {}
        for entity_id, name in members.items():
            i = index.get(entity_id)
            if i is not None and name in groups:
                by_group.setdefault(name, []).append(i)
        names = [name for name in groups if name in by_group]
        self.group_names = names
        self.group_kinds = [groups[name]["kind"] for name in names]
        self.group_members = [np.array(sorted(by_group[name]), dtype=int) for name in names]
        self.group_collapsed = np.array([bool(groups[name]["collapsed"]) for name in names], dtype=bool)
        self.member_group = np.full(self.entity_count, -1, dtype=int)
        for g, held in enumerate(self.group_members):
            self.member_group[held] = g
        self._stored_group_xy = [(groups[name]["x"], groups[name]["y"]) for name in names]
        self._append_groups()

    def _append_groups(self) -> None:
        """Rebuild the group nodes and summed-up links after the entities and their own links."""
        n, m = self.entity_count, self.base_link_count
        for name in ("ids", "schemata", "captions", "grades", "topics", "links"):
            setattr(self, name, getattr(self, name)[: (m if name == "links" else n)])
        self.positions, self.pinned, self.visible = self.positions[:n], self.pinned[:n], self.visible[:n]
        self.link_days = self.link_days[:m]
        self.aggregates = {}
        self.group_links_left_out = 0
        self._flagged = None  # worked out again when next asked
        self.group_severity = []
        count = len(self.group_names)
        if count == 0:
            self.node_colours, self.node_sizes = self._user_colours, self._user_sizes
            return
        rank = {"high": 0, "medium": 1, "low": 2}
        xy = np.full((count, 2), np.nan)
        for g, held in enumerate(self.group_members):
            worst = [self.severity[i] for i in held if self.severity[i]]
            self.group_severity.append(min(worst, key=rank.get) if worst else None)
            stored = self._stored_group_xy[g]
            if stored[0] is not None and stored[1] is not None:
                xy[g] = stored
            else:
                placed = self.positions[held][~np.isnan(self.positions[held]).any(axis=1)]
                if len(placed):
                    xy[g] = placed.mean(axis=0)
        self.ids = self.ids + [f"group:{name}" for name in self.group_names]
        self.schemata = self.schemata + [GROUP_SCHEMA] * count
        self.captions = self.captions + [
            name if kind == "community" else f"{name} ({len(held):,})"
            for name, kind, held in zip(self.group_names, self.group_kinds, self.group_members)]
        self.grades = self.grades + [None] * count
        self.topics = self.topics + [()] * count
        self.positions = np.vstack([self.positions, xy])
        self.pinned = np.concatenate([self.pinned, np.zeros(count, dtype=bool)])
        # A group is drawn while any of its members is not hidden.
        self.visible = np.concatenate([self.visible, np.array([bool(self.visible[held].any()) if len(held) else False
                                                               for held in self.group_members], dtype=bool)])
        # Every link with an end inside a collapsed group is drawn as part of one summed-up link
        # between the group's node and the other end (or not at all, inside the group).
        rep = np.arange(n)
        inside = (self.member_group >= 0)
        inside[inside] = self.group_collapsed[self.member_group[inside]]
        rep[inside] = n + self.member_group[inside]
        if m:
            ends = self.link_ends
            a, b = rep[ends[:, 0]], rep[ends[:, 1]]
            moved = (a != ends[:, 0]) | (b != ends[:, 1])
            between = moved & (a != b)
            pairs: dict[tuple[int, int], list[int]] = {}
            for k in np.flatnonzero(between):
                key = (int(min(a[k], b[k])), int(max(a[k], b[k])))
                pairs.setdefault(key, []).append(int(k))
            pairs = self._strongest(pairs, n)
            new_links, new_days = [], []
            for (u, v), held in pairs.items():
                links = [self.links[k] for k in held]
                kinds = Counter(link.schema for link in links)
                days = self.link_days[held]
                self.aggregates[m + len(new_links)] = held
                new_links.append(ChartLink(u, v, kinds.most_common(1)[0][0], None, "", _aggregate_caption(links, days),
                                           all(link.weak for link in links), False,
                                           _single_total(links), _single_currency(links)))
                new_days.append(float("nan"))
            self.links = self.links + new_links
            self.link_days = np.concatenate([self.link_days, np.array(new_days, dtype=float)])
        sizes = (np.full(n, 22.0) if self._user_sizes is None else np.asarray(self._user_sizes[:n], dtype=float))
        # Sized by members, gently: a 1,000-member group must not cover the chart.
        group_sizes = [22.0 + 2.5 * np.log2(max(len(held), 1)) for held in self.group_members]
        self.node_sizes = np.concatenate([sizes, np.array(group_sizes, dtype=float)])
        colours = (self._user_colours[:n] if self._user_colours is not None
                   else [node_colour_hex(schema) for schema in self.schemata[:n]])
        self.node_colours = list(colours) + [GROUP_FILL] * count

    def _strongest(self, pairs: dict[tuple[int, int], list[int]], n: int) -> dict[tuple[int, int], list[int]]:
        """Between two groups, only each group's strongest few summed-up links are drawn.

        Groups of a trade network all trade with each other: drawing every pair turns an
        overview back into a hairball. A link between two groups is kept when it is among the
        :data:`GROUP_LINKS_DRAWN` with most links of either group; links to entities drawn as
        themselves are always kept. The rest are counted in ``group_links_left_out``.
        """
        by_group: dict[int, list[tuple[int, tuple[int, int]]]] = {}
        for key, held in pairs.items():
            if key[0] >= n and key[1] >= n:
                for end in key:
                    by_group.setdefault(end, []).append((len(held), key))
        keep = set()
        for ranked in by_group.values():
            ranked.sort(key=lambda item: (-item[0], item[1]))
            keep.update(key for _, key in ranked[:GROUP_LINKS_DRAWN])
        kept = {key: held for key, held in pairs.items() if key[0] < n or key[1] < n or key in keep}
        self.group_links_left_out = len(pairs) - len(kept)
        return kept

    @property
    def collapsed_away(self) -> np.ndarray:
        """Entities not drawn because their group is collapsed (the group's node stands for them)."""
        mask = np.zeros(len(self.ids), dtype=bool)
        if self.group_names:
            inside = self.member_group >= 0
            inside[inside] = self.group_collapsed[self.member_group[inside]]
            mask[: self.entity_count] = inside
            # A group's node is drawn while the group is collapsed, and only then.
            mask[self.entity_count:] = ~self.group_collapsed
        return mask

    @property
    def link_ends(self) -> np.ndarray:
        """``(source, target)`` of each of the entities' own links (not summed-up ones), one row a link."""
        if self._ends is None or len(self._ends) != self.base_link_count:
            self._ends = np.array([(link.source, link.target) for link in self.links[: self.base_link_count]],
                                  dtype=np.int64).reshape(-1, 2)
        return self._ends

    def all_link_ends(self) -> np.ndarray:
        """``(source, target)`` of every link on the chart: the entities' own (counted once per
        load) and, after them, the summed-up links of groups."""
        own = self.link_ends if self.base_link_count <= len(self.links) else np.zeros((0, 2), dtype=np.int64)
        rest = [(link.source, link.target) for link in self.links[len(own):]]
        return np.concatenate([own, np.array(rest, dtype=np.int64).reshape(-1, 2)]) if rest else own

    @property
    def entity_degree(self) -> np.ndarray:
        """Each entity's number of links (its own, not summed-up ones), counted once per load:
        tooltips and expand ask for it on every hover and step."""
        if self._degree is None or len(self._degree) != self.entity_count:
            self._degree = np.bincount(self.link_ends.ravel(), minlength=self.entity_count)[: self.entity_count]
        return self._degree

    def links_graph(self, indices: Iterable[int] | None = None) -> nx.Graph:
        """The chart's own links among the entities ``indices`` (all entities when None) as a simple
        undirected graph on entity ids: what grouping and a group's layout need, without the
        whole case's graph."""
        chosen = np.arange(self.entity_count) if indices is None else np.asarray(sorted(set(indices)), dtype=np.int64)
        graph = nx.Graph()
        graph.add_nodes_from(self.ids[i] for i in chosen.tolist())
        ends = self.link_ends
        if len(ends) and len(chosen):
            keep = np.zeros(self.entity_count, dtype=bool)
            keep[chosen] = True
            inside = ends[keep[ends[:, 0]] & keep[ends[:, 1]]]
            ids = self.ids
            graph.add_edges_from((ids[a], ids[b]) for a, b in inside.tolist() if a != b)
        return graph

    @property
    def flagged(self) -> np.ndarray:
        """Nodes (entities and groups) with an open high or medium finding: worked out once per
        change of the chart, since label placement asks for it on every pan and zoom."""
        key = (len(self.ids), len(self.severity), len(self.group_severity))
        if self._flagged is None or self._flagged_key != key:
            marks = [s in ("high", "medium") for s in self.severity]
            marks += [s in ("high", "medium") for s in self.group_severity]
            marks += [False] * max(0, len(self.ids) - len(marks))
            self._flagged = np.array(marks[: len(self.ids)], dtype=bool)
            self._flagged_key = key
        return self._flagged

    @property
    def coloured_by_measure(self) -> bool:
        """Whether the analyst coloured the nodes by a measure (a community), not by type."""
        return self._user_colours is not None

    def is_group(self, i: int) -> bool:
        return i >= self.entity_count

    def group_of_node(self, i: int) -> int | None:
        """The group a group node stands for (its number), or None for an entity."""
        return i - self.entity_count if i >= self.entity_count else None

    def members_of(self, g: int) -> list[str]:
        return [self.ids[i] for i in self.group_members[g]]

    def group_summary(self, g: int, *, top: int = 12) -> dict:
        """What the inspector says about a group: its members (most linked first), their types,
        the worst finding among them, and its summed-up links to the rest of the chart."""
        held = self.group_members[g]
        node = self.entity_count + g
        degree = self.entity_degree
        ranked = sorted(held.tolist(), key=lambda i: (-degree[i], self.captions[i]))
        types = Counter(self.schemata[i] for i in held)
        links = []
        for k, based_on in self.aggregates.items():
            link = self.links[k]
            if node in (link.source, link.target):
                other = link.target if link.source == node else link.source
                links.append((self.captions[other], link.label, len(based_on)))
        links.sort(key=lambda row: -row[2])
        return {
            "name": self.group_names[g], "kind": self.group_kinds[g], "size": len(held),
            "collapsed": bool(self.group_collapsed[g]), "severity": self.group_severity[g],
            "types": dict(types.most_common()),
            "members": [(self.ids[i], self.captions[i], self.schemata[i], self.severity[i]) for i in ranked[:top]],
            "links": links,
        }

    def set_groups(self, groups: dict[str, dict], members: dict[str, str]) -> None:
        """Take groups as the case now holds them (after a collapse, an open, an undo)."""
        selected_ids = set(self.selected_ids())
        self._load_groups(groups, members)
        index = {node: i for i, node in enumerate(self.ids)}
        self.selected = {index[e] for e in selected_ids if e in index}
        self.focus = {i for i in self.focus if i < len(self.ids)}
        self.highlighted_links = {k for k in self.highlighted_links if k < self.base_link_count}
        self.notify("reset")

    def release(self, indices: Iterable[int]) -> None:
        """Draw these entities as themselves, out of their groups, in this model only."""
        chosen = [i for i in indices if i < self.entity_count and self.member_group[i] >= 0]
        if not chosen:
            return
        # Never placed (the group was never opened): next to where the group's node is drawn.
        for k, i in enumerate(chosen):
            centre = self.positions[self.entity_count + self.member_group[i]]
            if np.isnan(self.positions[i]).any() and not np.isnan(centre).any():
                angle = 2.399963 * k  # the golden angle: a few released entities never land on each other
                self.positions[i] = centre + 90.0 * (1 + 0.3 * np.sqrt(k)) * np.array([np.cos(angle), np.sin(angle)])
        self.member_group[chosen] = -1
        members = [held[self.member_group[held] == g] for g, held in enumerate(self.group_members)]
        keep = [g for g, held in enumerate(members) if len(held)]  # a group left empty goes
        renumber = np.full(len(members) + 1, -1, dtype=int)
        renumber[keep] = np.arange(len(keep))
        self.member_group = renumber[self.member_group]  # -1 stays -1 (the extra last slot)
        self.group_names = [self.group_names[g] for g in keep]
        self.group_kinds = [self.group_kinds[g] for g in keep]
        self.group_members = [members[g] for g in keep]
        self.group_collapsed = self.group_collapsed[keep]
        self._stored_group_xy = [self._stored_group_xy[g] for g in keep]
        self._append_groups()
        self.notify("reset")

    def display_graph(self) -> nx.Graph:
        """The chart as drawn: shown entities and group nodes, one edge per drawn pair (for layouts)."""
        shown = self.shown
        graph = nx.Graph()
        graph.add_nodes_from(self.ids[i] for i in np.flatnonzero(shown))
        for link in self.links:
            if shown[link.source] and shown[link.target] and link.source != link.target:
                graph.add_edge(self.ids[link.source], self.ids[link.target])
        return graph

    # ------------------------------------------------------------------ events

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # ------------------------------------------------------------------ queries

    def index_of(self, entity_id: str) -> int | None:
        try:
            return self.ids.index(entity_id)
        except ValueError:
            return None

    @property
    def unplaced(self) -> np.ndarray:
        return np.isnan(self.positions).any(axis=1)

    def selected_ids(self) -> list[str]:
        return [self.ids[i] for i in sorted(self.selected)]

    def neighbours(self, indices: Iterable[int]) -> set[int]:
        wanted = set(indices)
        found = set()
        for link in self.links:
            if link.source in wanted:
                found.add(link.target)
            if link.target in wanted:
                found.add(link.source)
        return found - wanted

    # ------------------------------------------------------------------ changes

    def set_positions(self, positions: dict[str, tuple[float, float]]) -> None:
        index = {node: i for i, node in enumerate(self.ids)}
        for entity_id, (x, y) in positions.items():
            i = index.get(entity_id)
            if i is not None:
                self.positions[i] = (x, y)
                if i >= self.entity_count:
                    self._stored_group_xy[i - self.entity_count] = (x, y)
        self.notify("positions")

    def select(self, indices: Iterable[int], *, add: bool = False) -> None:
        indices = {i for i in indices if self.visible[i]}
        self.selected = (self.selected | indices) if add else indices
        self.notify("selection")

    def set_visible(self, indices: Iterable[int], visible: bool) -> None:
        indices = list(indices)
        for i in indices:
            self.visible[i] = visible
        for g, held in enumerate(self.group_members):
            self.visible[self.entity_count + g] = bool(self.visible[held].any()) if len(held) else False
        if not visible:
            gone = set(indices)
            self.selected -= gone
            # A highlight never points at something hidden.
            self.focus -= gone
            self.highlighted_links = {k for k in self.highlighted_links
                                      if self.visible[self.links[k].source] and self.visible[self.links[k].target]}
            if not self.focus:
                self.highlighted_links = set()
                self.evidence_only = False
        self.notify("visibility")

    @property
    def shown(self) -> np.ndarray:
        """Nodes drawn now: the visible ones outside collapsed groups (and the collapsed groups'
        nodes), or only the focus when "show only the evidence" is on."""
        visible = self.visible & ~self.collapsed_away if self.group_names else self.visible
        if self.evidence_only and self.focus:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[sorted(self.focus)] = True
            return mask & visible
        return visible

    def set_focus(self, nodes: Iterable[int], links: Iterable[int] = ()) -> None:
        """Bring ``nodes`` and ``links`` forward (a finding's evidence, a path); the rest is dimmed."""
        self.focus = {i for i in nodes if self.visible[i]}
        self.highlighted_links = {k for k in links
                                  if self.links[k].source in self.focus and self.links[k].target in self.focus}
        if not self.focus:
            self.evidence_only = False
        self.notify("focus")

    def evidence_of(self, finding: dict) -> tuple[set[int], set[int]]:
        """A finding's evidence on this chart: (entity indices, link indices).

        Its parties, and the links that are its facts with both their ends.
        """
        evidence = finding.get("evidence") or {}
        facts = set(evidence.get("facts") or [])
        links = {k for k, link in enumerate(self.links) if link.via in facts}
        index = {node: i for i, node in enumerate(self.ids)}
        nodes = {index[e] for e in evidence.get("entities") or [] if e in index}
        nodes |= {i for k in links for i in (self.links[k].source, self.links[k].target)}
        return nodes, links

    def focus_finding(self, finding: dict, *, hops: int | None = None) -> set[int]:
        """Put a finding's evidence in focus; returns its entities.

        Hidden evidence is shown (in this model only). With ``hops``, only the evidence and its
        neighbours up to that many links away stay visible: a framed exhibit of the finding.
        """
        nodes, links = self.evidence_of(finding)
        if self.group_names and self.collapsed_away[sorted(nodes)].any():
            # A picture of the finding (report, export) draws its evidence as itself even on an
            # overview: taken out of its groups in this model only; the case keeps them.
            self.release(nodes)
            nodes, links = self.evidence_of(finding)
        if hops is not None:
            keep = set(nodes)
            frontier = set(nodes)
            for _ in range(hops):
                frontier = self.neighbours(frontier) - keep
                keep |= frontier
            self.visible = np.zeros(len(self.ids), dtype=bool)
            self.visible[sorted(keep)] = True
            self.selected &= keep
        else:
            for i in nodes:
                self.visible[i] = True
        self.set_focus(nodes, links)
        return nodes

    def set_evidence_only(self, only: bool) -> None:
        self.evidence_only = bool(only) and bool(self.focus)
        self.notify("visibility")

    def clear_focus(self) -> None:
        """Drop every highlight (Esc): the chart is drawn in full again."""
        changed = bool(self.focus or self.highlighted_links or self.evidence_only)
        self.focus, self.highlighted_links, self.evidence_only = set(), set(), False
        if changed:
            self.notify("visibility")

    def link_mask(self) -> np.ndarray:
        """Links inside the brushed time window (undated links stay: they have no time to test)."""
        if self.time_window is None or not len(self.link_days):
            return np.ones(len(self.links), dtype=bool)
        start, end = self.time_window
        days = self.link_days
        return np.isnan(days) | ((days >= start) & (days <= end))

    def set_time_window(self, window: tuple[float, float] | None) -> None:
        """Show only links dated inside ``window`` (days since 1970), as the timeline brush asks."""
        self.time_window = window
        self.notify("window")

    def style_by(self, colours: list[str] | None, sizes: np.ndarray | None, note: str = "") -> None:
        """Colour or size nodes by a measure (community, centrality); ``None`` restores type styling."""
        self._user_colours, self._user_sizes = colours, sizes
        self.node_colours = colours
        self.node_sizes = sizes
        self.style_note = note
        if self.group_names:
            self._append_groups()
            self.notify("reset")
            return
        self.notify("style")

    @property
    def listed(self) -> np.ndarray:
        """Parties on a sanctions or export-control list (by their FtM topics): worked out once per
        load, since labels and the legend ask on every pan and zoom."""
        if self._listed is None or len(self._listed) != len(self.topics):
            marks = ("sanction", "export.control", "debarment")
            self._listed = np.array([any(t.startswith(marks) for t in topics) if topics else False
                                     for topics in self.topics], dtype=bool)
        return self._listed

    def highlight_path(self, node_ids: list[str]) -> None:
        """Select the nodes of a path and highlight the links between consecutive ones."""
        positions = [self.index_of(n) for n in node_ids]
        pairs = {frozenset(p) for p in zip(positions, positions[1:])}
        self.selected = {p for p in positions if p is not None and self.visible[p]}
        self.set_focus(self.selected, [k for k, link in enumerate(self.links)
                                       if frozenset((link.source, link.target)) in pairs])
        self.notify("selection")


_EPOCH = np.datetime64("1970-01-01", "D")


def _days(iso: str | None) -> float:
    """Days since 1970 for an ISO date or date-time prefix, NaN when missing or unreadable."""
    if not iso:
        return float("nan")
    try:
        return float((np.datetime64(iso[:10], "D") - _EPOCH).astype(int))
    except ValueError:
        return float("nan")


# Captions of references in the words a reader uses; the rest come from FtM's property labels.
_REFERENCE_WORDS = {"entity": "listed by", "payerAccount": "pays from", "beneficiaryAccount": "paid into"}


def _reference_words(schema: str, prop: str) -> str:
    if prop in _REFERENCE_WORDS:
        return _REFERENCE_WORDS[prop]
    holder = ftm_model.get(schema)
    found = holder.get(prop) if holder is not None else None
    return (found.label if found is not None else prop).lower()


def money(amount: float | None, currency: str | None) -> str:
    """``USD 1.2M``, ``EUR 268k``, ``GBP 950``: short enough for a link on a chart."""
    if amount is None:
        return ""
    size = abs(amount)
    if size >= 1e9:
        text = f"{amount / 1e9:.3g}bn"
    elif size >= 1e6:
        text = f"{amount / 1e6:.3g}M"
    elif size >= 1e4:
        text = f"{amount / 1e3:.3g}k"
    else:
        text = f"{amount:,.0f}"
    return f"{currency} {text}" if currency else text


def _share(value: str | None) -> str:
    if not value:
        return ""
    text = value.strip().rstrip("%").strip()
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return value.strip()
    return f"{number:g}%"


def _link_label(attrs: dict) -> str:
    """What a link says on the chart, in readable words: never a property name.

    Ownership shows the share ("owns 51%"), a directorship the role, money moves their amount
    and date; references (a shipment's forwarder) take FtM's label for the property.
    """
    schema, prop = attrs["schema"], attrs.get("prop")
    if prop is not None:
        return _reference_words(schema, prop)
    role = (attrs.get("role") or "").strip()
    if schema == "Ownership":
        share = _share(attrs.get("share"))
        return f"owns {share}" if share else (role.lower() if role else "owns")
    if role:
        return role if len(role) <= 28 else role[:27] + "…"
    parts = []
    if schema not in ("Payment",):
        found = ftm_model.get(schema)
        parts.append((found.label if found is not None else schema).lower())
    if attrs.get("amount") is not None:
        parts.append(money(attrs["amount"], attrs.get("currency")))
    if attrs.get("start") and schema in ("Payment", "Shipment"):
        parts.append(attrs["start"][:10])
    return " · ".join(p for p in parts if p) or schema


def _single_currency(links: list[ChartLink]) -> str | None:
    currencies = {link.currency for link in links if link.amount is not None}
    return next(iter(currencies)) if len(currencies) == 1 else None


def _single_total(links: list[ChartLink]) -> float | None:
    amounts = [link.amount for link in links if link.amount is not None]
    return float(sum(amounts)) if amounts and _single_currency(links) is not None else None


def _aggregate_caption(links: list[ChartLink], days: np.ndarray) -> str:
    """A summed-up link: "12 payments · USD 1.2M · 2023-01 to 2024-05"."""
    text = bundle_caption(links) if len(links) > 1 else links[0].label
    dated = days[~np.isnan(days)]
    if len(dated):
        first, last = (str(_EPOCH + int(d))[:7] for d in (dated.min(), dated.max()))
        span = first if first == last else f"{first} to {last}"
        if span not in text:
            text += f" · {span}"
    return text


def _worst_findings(case: Case, index: dict[str, int]) -> list[str | None]:
    """Each entity's worst open finding, by the severity the detector gave it."""
    rank = {"high": 0, "medium": 1, "low": 2}
    worst: list[str | None] = [None] * len(index)
    for entity_id, severity in case.open_finding_severities():
        i = index.get(entity_id)
        if i is not None and severity in rank and (worst[i] is None or rank[severity] < rank[worst[i]]):
            worst[i] = severity
    return worst


def bundle_caption(links: list[ChartLink]) -> str:
    """One caption for several links between the same two parties.

    "3 payments · USD 1.2M"; of several kinds, each counted: "2 shipments, 1 payment · USD 1.3M";
    references (a shipment's forwarder) named once each: "issuer, stated end user".
    """
    if len(links) == 1:
        return links[0].label
    counts: dict[str, int] = {}
    for link in links:
        if link.prop is None:
            counts[link.schema] = counts.get(link.schema, 0) + 1
    parts = []
    for kind, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        found = ftm_model.get(kind)
        if count == 1:
            noun = (found.label if found is not None else kind).lower()
        else:
            noun = (found.plural if found is not None and getattr(found, "plural", None) else kind + "s").lower()
        parts.append(f"{count} {noun}")
    references = list(dict.fromkeys(link.label for link in links if link.prop is not None))
    amounts = [link.amount for link in links if link.amount is not None]
    currencies = {link.currency for link in links if link.amount is not None}
    total = money(sum(amounts), next(iter(currencies))) if amounts and len(currencies) == 1 else ""
    text = ", ".join(parts + references)
    return text + (f" · {total}" if total else "")
