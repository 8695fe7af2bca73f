"""The chart as plain data: what is on it, where, and what is selected. No Qt here.

The view listens to the model (napari's habit): a test can build the bare model from a case,
wrap it in a view, change the model and check that the view followed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from workbench.analysis.graph import GraphFilter, case_graph
from workbench.model import model as ftm_model
from workbench.model.grading import parse_grade
from workbench.store import Case

Listener = Callable[[str], None]


@dataclass
class ChartLink:
    source: int
    target: int
    schema: str
    prop: str | None
    via: str
    label: str
    weak: bool
    directed: bool
    amount: float | None = None
    currency: str | None = None


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
    graph: nx.MultiDiGraph | None = None
    _listeners: list[Listener] = field(default_factory=list)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_case(cls, case: Case, graph_filter: GraphFilter | None = None) -> "ChartModel":
        graph = case_graph(case, graph_filter)
        model = cls()
        model.load(case, graph)
        return model

    def load(self, case: Case, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.ids = list(graph.nodes)
        index = {node: i for i, node in enumerate(self.ids)}
        data = graph.nodes
        self.schemata = [data[n]["schema"] or "Thing" for n in self.ids]
        self.captions = [data[n]["caption"] or n for n in self.ids]
        self.grades = [data[n]["grade"] for n in self.ids]
        self.topics = [tuple(data[n].get("topics", ())) for n in self.ids]
        self.node_colours = None
        self.node_sizes = None
        self.style_note = ""
        stored = {
            row[0]: row[1:]
            for row in case.conn.execute("SELECT entity_id, x, y, pinned, hidden FROM chart_items")
        }
        count = len(self.ids)
        self.positions = np.full((count, 2), np.nan)
        self.pinned = np.zeros(count, dtype=bool)
        self.visible = np.ones(count, dtype=bool)
        for i, node in enumerate(self.ids):
            row = stored.get(node)
            if row is None:
                continue
            x, y, pinned, hidden = row
            if x is not None and y is not None:
                self.positions[i] = (x, y)
            self.pinned[i] = bool(pinned)
            self.visible[i] = not hidden
        self.links = []
        for u, v, attrs in graph.edges(data=True):
            grade = attrs.get("grade")
            weak = True if not grade else parse_grade(grade).is_weak
            self.links.append(
                ChartLink(index[u], index[v], attrs["schema"], attrs.get("prop"), attrs["via"],
                          _link_label(attrs), weak, attrs.get("prop") is None,
                          attrs.get("amount"), attrs.get("currency"))
            )
        self.link_days = np.array([_days(attrs.get("start")) for _, _, attrs in graph.edges(data=True)], dtype=float)
        self.time_window = None
        self.selected = set()
        self.highlighted_links = set()
        self.focus = set()
        self.evidence_only = False
        self.notify("reset")

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
        for entity_id, (x, y) in positions.items():
            i = self.index_of(entity_id)
            if i is not None:
                self.positions[i] = (x, y)
        self.notify("positions")

    def select(self, indices: Iterable[int], *, add: bool = False) -> None:
        indices = {i for i in indices if self.visible[i]}
        self.selected = (self.selected | indices) if add else indices
        self.notify("selection")

    def set_visible(self, indices: Iterable[int], visible: bool) -> None:
        indices = list(indices)
        for i in indices:
            self.visible[i] = visible
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
        """Entities drawn now: the visible ones, or only the focus when "show only the evidence" is on."""
        if self.evidence_only and self.focus:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[sorted(self.focus)] = True
            return mask & self.visible
        return self.visible

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
        self.node_colours = colours
        self.node_sizes = sizes
        self.style_note = note
        self.notify("style")

    @property
    def listed(self) -> np.ndarray:
        """Parties on a sanctions or export-control list (by their FtM topics)."""
        marks = ("sanction", "export.control", "debarment")
        return np.array([any(t.startswith(marks) for t in topics) for topics in self.topics], dtype=bool)

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
