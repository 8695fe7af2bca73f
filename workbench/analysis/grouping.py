"""Overviews of big charts: communities as groups, links between groups summed up. No Qt.

A chart stops being readable somewhere past 300 entities on screen: at 1600x1000 pixels a
label of about 18 characters needs some 130x16 pixels, so 300 labelled icons with their
rings already cover a third of the window, and the placement (``ui/label_placement``) starts
to leave most of them out. Above :data:`OVERVIEW_THRESHOLD` a case therefore opens on groups
(communities by default, found with Louvain modularity, as Gephi does), each drawn as one node
labelled with its most linked members, while listed parties and entities of high-severity
findings stay on the chart as themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from workbench.lazy import lazy_module

nx = lazy_module("networkx")

#: More entities than this on screen and the chart opens on an overview (see the module's note).
OVERVIEW_THRESHOLD = 300
#: Communities smaller than this stay on the chart as their entities: a group of two hides nothing.
MIN_GROUP = 3
#: Opening a group bigger than this splits it into its own communities instead of pouring
#: hundreds of entities onto the chart at once.
SPLIT_ABOVE = 120
#: An overview aims at no more groups than this: with the listed parties and high-severity
#: evidence beside them, some 60 labelled items fit a chart pane of about 800x600 pixels.
MAX_OVERVIEW_GROUPS = 40
#: Separate networks smaller than this (a director and a company on their own) are gathered
#: into one group in an overview instead of one small group each.
SMALL_NETWORK = 12
#: How many neighbours one "expand" step brings onto the chart before it offers "N more".
EXPAND_LIMIT = 40


def _simple_undirected(graph: nx.Graph, nodes: Iterable | None = None) -> nx.Graph:
    chosen = graph if nodes is None else graph.subgraph(nodes)
    simple = nx.Graph()
    simple.add_nodes_from(chosen.nodes)
    for u, v in chosen.edges():
        if u == v:
            continue
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += 1
        else:
            simple.add_edge(u, v, weight=1)
    return simple


def communities(graph: nx.Graph, nodes: Iterable | None = None, *, seed: int = 1,
                most: int | None = None) -> list[list]:
    """Louvain communities of ``graph`` (or of its ``nodes``), biggest first, each ordered by
    degree inside the community (most linked first), so that its first members name it.

    With ``most``, the finest level of Louvain's hierarchy that has at most that many
    communities of :data:`MIN_GROUP` or more members is taken (or the coarsest level).
    """
    simple = _simple_undirected(graph, nodes)
    if simple.number_of_nodes() == 0:
        return []
    if most is None:
        found = nx.community.louvain_communities(simple, weight="weight", seed=seed)
    else:
        found = None
        for level in nx.community.louvain_partitions(simple, weight="weight", seed=seed):
            found = level
            if sum(1 for group in level if len(group) >= MIN_GROUP) <= most:
                break
        found = found or [set(simple.nodes)]
        found = _merge_down(simple, [set(group) for group in found], most)
    degree = dict(simple.degree(weight="weight"))
    ordered = [sorted(group, key=lambda n: (-degree.get(n, 0), str(n))) for group in found]
    ordered.sort(key=lambda group: (-len(group), str(group[0])))
    return ordered


def _merge_down(simple: nx.Graph, found: list[set], most: int) -> list[set]:
    """Merge the smallest community into the one it has most links with until at most ``most``
    have :data:`MIN_GROUP` members (Louvain stops where modularity does, not where a reader does)."""
    owner = {node: k for k, group in enumerate(found) for node in group}
    alive = {k for k, group in enumerate(found)}

    def counted() -> int:
        return sum(1 for k in alive if len(found[k]) >= MIN_GROUP)

    while counted() > most and len(alive) > 1:
        smallest = min((k for k in alive if len(found[k]) >= MIN_GROUP), key=lambda k: (len(found[k]), k))
        ties: dict[int, float] = {}
        for node in found[smallest]:
            for other, data in simple[node].items():
                k = owner[other]
                if k != smallest:
                    ties[k] = ties.get(k, 0.0) + data.get("weight", 1)
        if ties:
            into = max(ties, key=lambda k: (ties[k], -k))
        else:  # a separate network: join the next smallest, as a catch-all
            into = min((k for k in alive if k != smallest), key=lambda k: (len(found[k]), k))
        for node in found[smallest]:
            owner[node] = into
        found[into] |= found[smallest]
        found[smallest] = set()
        alive.discard(smallest)
    return [found[k] for k in sorted(alive)]


def group_caption(members: list, captions: Mapping, *, room: int = 16) -> str:
    """'Orion Trading… +803': the first (most linked) members name the group, as many as fit in
    ``room`` characters (cut at a word where one is near), and the count of the rest.

    Why 16: at fit-to-window an overview of 40 groups in a 870x660 chart pane labels 30 of them
    with 16 characters and 20 with 24 (the labels, not the discs, fill the picture)."""
    names = [str(captions.get(m) or m) for m in members]
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join(shown + [name])) > room:
            break
        shown.append(name if len(name) <= room else _cut(name, room))
    rest = len(names) - len(shown)
    text = ", ".join(shown)
    return f"{text} +{rest:,}" if rest > 0 else text


def _cut(name: str, room: int) -> str:
    """``name`` in at most ``room`` characters with an ellipsis, ending at a whole word when that
    keeps most of the room ("Nalark Freight…", not "Nalark Freight …" or "Nalark Freight Se…")."""
    head = name[: room - 1]
    word_end = head.rstrip().rfind(" ")
    if word_end >= room // 2:
        head = head[:word_end]
    return head.rstrip(" ,.-") + "…"


def unique_names(captions: list[str], taken: Iterable[str] = ()) -> list[str]:
    """Captions made unique as group names ('X', 'X (2)'), none equal to a name in ``taken``."""
    used = set(taken)
    names = []
    for caption in captions:
        name, k = caption, 2
        while name in used:
            name, k = f"{caption} ({k})", k + 1
        used.add(name)
        names.append(name)
    return names


def overview_groups(graph: nx.Graph, standouts: Iterable, captions: Mapping, *,
                    taken: Iterable[str] = (), seed: int = 1,
                    most: int = MAX_OVERVIEW_GROUPS) -> dict[str, list]:
    """Groups for an overview of ``graph``: name -> members (most linked first).

    ``standouts`` (listed parties, entities of high-severity findings) are never grouped. The
    big networks are split into their communities, at the level of Louvain's hierarchy that
    gives at most ``most`` groups; the small separate networks are gathered into one group.
    """
    keep_out = set(standouts)
    simple = _simple_undirected(graph, [n for n in graph.nodes if n not in keep_out])
    small: list = []
    big: list = []
    for component in nx.connected_components(simple):
        (small if len(component) < SMALL_NETWORK else big).extend(component)
    found = [group for group in communities(simple, big, seed=seed, most=most) if len(group) >= MIN_GROUP]
    names = [group_caption(group, captions) for group in found]
    if len(small) >= MIN_GROUP:
        networks = nx.number_connected_components(simple.subgraph(small))
        degree = dict(simple.subgraph(small).degree())
        found.append(sorted(small, key=lambda n: (-degree.get(n, 0), str(n))))
        names.append(f"{networks:,} small separate networks")
    names = unique_names(names, taken)
    return dict(zip(names, found))


def split_groups(graph: nx.Graph, members: list, captions: Mapping, *, taken: Iterable[str] = (),
                 seed: int = 1) -> dict[str, list]:
    """A big group's own communities, as groups (members of the small ones come out alone)."""
    found = [group for group in communities(graph, members, seed=seed) if len(group) >= MIN_GROUP]
    if len(found) <= 1:
        return {}
    names = unique_names([group_caption(group, captions) for group in found], taken)
    return dict(zip(names, found))


def by_attribute(values: Mapping, *, taken: Iterable[str] = ()) -> dict[str, list]:
    """Groups of entities sharing a value (a type, a country): name -> members, biggest first."""
    members: dict[str, list] = {}
    for node, value in values.items():
        if value:
            members.setdefault(str(value), []).append(node)
    order = sorted(members, key=lambda v: (-len(members[v]), v))
    names = unique_names(order, taken)
    return {name: members[value] for name, value in zip(names, order) if len(members[value]) >= MIN_GROUP}


def member_positions(graph: nx.Graph, members: list, centre: tuple[float, float], *,
                     spacing: float, seed: int = 0) -> dict:
    """Where a group's members go when it opens in place: their own layout around ``centre``,
    scaled so that neighbours sit about ``spacing`` apart."""
    from workbench.analysis.layout import force_directed

    if not members:
        return {}
    if len(members) == 1:
        return {members[0]: tuple(centre)}
    inner = force_directed(graph.subgraph(members), seed=seed)
    xy = np.array([inner[m] for m in members], dtype=float)
    xy -= xy.mean(axis=0)
    # Scale so that the typical distance to the nearest other member is ``spacing``.
    gaps = []
    sample = xy[:: max(1, len(xy) // 200)]
    for point in sample:
        d = np.hypot(*(xy - point).T)
        d = d[d > 0]
        if len(d):
            gaps.append(d.min())
    scale = spacing / float(np.median(gaps)) if gaps and np.median(gaps) > 0 else 1.0
    xy = xy * scale + np.asarray(centre, dtype=float)
    placed = {m: (float(x), float(y)) for m, (x, y) in zip(members, xy)}
    return fan_out_leaves(graph.subgraph(members), placed, spacing=spacing)


#: A hub with at least this many leaves (entities linked to it alone) gets them as a fan.
FAN_LEAVES = 5


def fan_out_leaves(graph: nx.Graph, positions: dict, *, spacing: float) -> dict:
    """Leaves of a hub (a company's 40 one-off customers) on an arc around it, facing away from
    the rest of the chart, instead of a clump the force layout leaves on top of the hub."""
    simple = _simple_undirected(graph)
    leaves_of: dict = {}
    for node in simple.nodes:
        if simple.degree(node) == 1:
            hub = next(iter(simple.neighbors(node)))
            if simple.degree(hub) > 1:
                leaves_of.setdefault(hub, []).append(node)
    if not leaves_of:
        return positions
    placed = dict(positions)
    middle = np.mean(np.array(list(positions.values()), dtype=float), axis=0)
    for hub, leaves in leaves_of.items():
        if len(leaves) < FAN_LEAVES or hub not in placed:
            continue
        at = np.asarray(placed[hub], dtype=float)
        away = at - middle
        facing = float(np.arctan2(away[1], away[0])) if np.hypot(*away) > 1e-9 else 0.0
        # Leaves a spacing apart on an arc of up to 3/4 of a turn, widening the radius as needed.
        radius = max(spacing * 1.5, spacing * len(leaves) / (1.5 * np.pi))
        spread = min(1.5 * np.pi, spacing * len(leaves) / radius)
        angles = facing + np.linspace(-spread / 2, spread / 2, len(leaves))
        for leaf, angle in zip(sorted(leaves, key=str), angles):
            placed[leaf] = (float(at[0] + radius * np.cos(angle)), float(at[1] + radius * np.sin(angle)))
    return placed


def make_way(positions: np.ndarray, centre: tuple[float, float], radius: float) -> np.ndarray:
    """Move every point out from ``centre`` by ``radius``, keeping its direction, so that a group
    opened there has a free disc of that radius and the picture around it keeps its shape."""
    centre = np.asarray(centre, dtype=float)
    offset = positions - centre
    distance = np.hypot(offset[:, 0], offset[:, 1])
    safe = np.where(distance > 0, distance, 1.0)
    direction = offset / safe[:, None]
    direction[distance == 0] = (1.0, 0.0)
    return centre + direction * (distance + radius)[:, None]


def summarise_links(kinds: Iterable[str], amounts: Iterable[tuple[float | None, str | None]],
                    days: Iterable[float]) -> dict:
    """Count by kind, total by currency and the date range of links drawn as one."""
    kind_counts = Counter(kinds)
    totals: dict[str, float] = {}
    for amount, currency in amounts:
        if amount is not None:
            totals[currency or ""] = totals.get(currency or "", 0.0) + float(amount)
    dated = [d for d in days if d == d]
    return {"kinds": dict(kind_counts), "totals": totals,
            "first": min(dated) if dated else None, "last": max(dated) if dated else None}
