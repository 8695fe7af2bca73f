"""Where each node of a chart goes: layouts as plain data, ``{node_id: (x, y)}`` (no Qt).

Coordinates are chart units, y growing downwards as on screen. A fresh layout is centred on
(0, 0) and scaled so that the average link is :data:`EDGE_LENGTH` (100) units long.

The force-directed layout is Fruchterman-Reingold's model (links pull with d²/k, every pair of
nodes pushes with k²/d) plus a pull of each connected component, as a whole, towards the centre:
separate components and lone nodes stay in view, and no chain is crumpled by a pull on its ends.
It is computed here with numpy rather than by igraph's ``layout_fruchterman_reingold``, because
the chart needs what igraph's grid variant cannot give at speed:

- progress and cancel: igraph runs all iterations in one C call. Its grid is built once per
  call from the start positions and never updated, which is why one call is fast (0.5-0.6 s for
  10,000 nodes / 30,000 links here): once nodes have moved, most of the repulsion is never
  computed. Called in chunks, the grid is rebuilt each time, the repulsion is really computed,
  and the same graph takes 5-25 s, with diagonal stripes in the result;
- determinism: igraph adds a tiny random nudge to every move, drawn from its process-wide
  random generator.

Repulsion between all pairs is computed exactly for small graphs and, above
:data:`EXACT_REPULSION_LIMIT` nodes, on a grid: node masses are spread over the cells and
convolved with the 1/d force kernel by FFT (a particle-mesh method), which costs
O(n + cells log cells) a step and keeps the long-range push that makes clusters separate.
``tests/benchmarks/bench_layout.py`` has the figures.

Hierarchical layout uses igraph's Sugiyama layering (compiled crossing reduction and placement).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping

import numpy as np

from workbench.lazy import lazy_module

igraph = lazy_module("igraph")
nx = lazy_module("networkx")

Node = Hashable
Point = tuple[float, float]
Positions = dict[Node, Point]

#: Chart units for an average link in a fresh layout, and between neighbours in a row.
EDGE_LENGTH = 100.0
#: Vertical distance between the layers of a hierarchical layout.
LAYER_GAP = 150.0
#: Free space between the boxes of a grouped layout.
GROUP_GAP = 200.0

DEFAULT_ITERATIONS = 300
#: Progress is reported (and cancel checked) this many times in a run, at most.
PROGRESS_STEPS = 20
#: Above this many nodes, repulsion is computed on a grid instead of pair by pair.
EXACT_REPULSION_LIMIT = 500
#: Nodes per unit area the centre pull aims for, in layout units (an ideal link is 1 unit).
#: By Gauss's law a pull of pi * density * distance exactly balances the push of a uniform disc
#: of that density, so this sets how closely separate components and lone nodes are packed.
TARGET_DENSITY = 0.5
#: The first moves of a fresh layout may be this fraction of its expected radius.
FRESH_TEMPERATURE = 0.1
#: The first moves of a run that starts from the chart's own positions are at most this long
#: (layout units): enough to untangle, not enough to scramble what the analyst sees.
WARM_TEMPERATURE = 0.5


class LayoutCancelled(Exception):
    """Raised by :func:`force_directed` when its ``cancelled()`` callback returned true."""


# ------------------------------------------------------------------------------ force-directed


def force_directed(
    graph: nx.Graph,
    *,
    pinned: Mapping[Node, Point] | None = None,
    initial: Mapping[Node, Point] | None = None,
    seed: int = 0,
    iterations: int | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Positions:
    """Force-directed positions for every node of ``graph`` (any networkx graph).

    Links are undirected here and parallel links count once. ``pinned`` nodes keep exactly the
    given positions; ``initial`` positions (typically the chart as it is) seed the run, so that
    a re-layout refines the picture instead of redrawing it. Nodes with neither start next to
    their placed neighbours, or at random. When any position is given the result is in the same
    chart frame (not re-centred, not re-scaled); otherwise it is centred on (0, 0) with an
    average link of :data:`EDGE_LENGTH`.

    ``progress(fraction)`` is called with increasing fractions, the last one 1.0;
    ``cancelled()`` is asked between chunks of iterations, and :class:`LayoutCancelled` raised
    when it returns true. The same graph, positions and ``seed`` give the same result.
    """
    iterations = DEFAULT_ITERATIONS if iterations is None else max(0, int(iterations))
    nodes = _ordered_nodes(graph)
    index = {node: i for i, node in enumerate(nodes)}
    pinned = {node: _point(xy) for node, xy in (pinned or {}).items() if node in index}
    given = {node: _point(xy) for node, xy in (initial or {}).items() if node in index}
    given.update(pinned)
    _check_cancelled(cancelled)
    if not nodes:
        _report(progress, 1.0)
        return {}

    sources, targets = _undirected_links(graph, index)
    component = _component_labels(len(nodes), sources, targets)
    rng = np.random.default_rng(seed)
    frame = _ChartFrame.fit(given, pinned, sources, targets, component, index)
    start = frame.to_layout(given, index, len(nodes))
    placed = ~np.isnan(start[:, 0])
    positions = _place_unplaced(start, placed, sources, targets, rng)
    fixed = np.zeros(len(nodes), dtype=bool)
    fixed[[index[node] for node in pinned]] = True
    # A hair of noise separates free nodes that were given the same spot (which would
    # otherwise push each other with no direction).
    free = ~fixed
    positions[free] += rng.normal(scale=1e-3, size=(int(free.sum()), 2))

    seeded_share = placed.mean()
    temperature = (1 - seeded_share) * _fresh_temperature(len(nodes)) + seeded_share * WARM_TEMPERATURE
    simulation = _ForceSimulation(positions, sources, targets, component, fixed)
    chunk = max(1, math.ceil(iterations / PROGRESS_STEPS))
    for first in range(0, iterations, chunk):
        _check_cancelled(cancelled)
        for step in range(first, min(first + chunk, iterations)):
            # Fruchterman-Reingold's cooling: the longest allowed move shrinks linearly.
            simulation.step(temperature * (1 - step / iterations))
        _report(progress, min(first + chunk, iterations) / iterations)
    if iterations == 0:
        _report(progress, 1.0)

    if given:
        result = frame.to_chart(simulation.positions, nodes)
    else:
        result = _normalised(simulation.positions, sources, targets, nodes)
    result.update(pinned)  # exactly as given, not as it came back through the frame's arithmetic
    return result


class _ForceSimulation:
    """Fruchterman-Reingold forces (ideal link length 1) with a centre pull, stepped by numpy."""

    def __init__(self, positions: np.ndarray, sources: np.ndarray, targets: np.ndarray,
                 component: np.ndarray, fixed: np.ndarray):
        self.positions = positions
        self.sources = sources
        self.targets = targets
        self.component = component
        self.component_sizes = np.bincount(component).astype(float)
        self.fixed = fixed
        self.count = len(positions)
        self.gravity = math.pi * TARGET_DENSITY
        if self.count > EXACT_REPULSION_LIMIT:
            self.repulsion = _MeshRepulsion(_mesh_size(self.count))
        else:
            self.repulsion = _exact_repulsion

    def step(self, temperature: float) -> None:
        positions = self.positions
        move = self.repulsion(positions)
        move += self._attraction(positions)
        move -= self.gravity * self._component_offsets(positions)
        move[self.fixed] = 0.0
        length = np.sqrt((move * move).sum(axis=1))
        allowed = np.minimum(length, temperature) / np.maximum(length, 1e-12)
        positions += move * allowed[:, None]

    def _component_offsets(self, positions: np.ndarray) -> np.ndarray:
        """For each node, how far its component's centroid is from the centroid of all."""
        if len(self.component_sizes) == 1:
            return np.zeros_like(positions)
        centroids = np.column_stack([
            np.bincount(self.component, positions[:, axis], minlength=len(self.component_sizes))
            for axis in (0, 1)
        ]) / self.component_sizes[:, None]
        return (centroids - positions.mean(axis=0))[self.component]

    def _attraction(self, positions: np.ndarray) -> np.ndarray:
        pull = np.zeros_like(positions)
        if len(self.sources) == 0:
            return pull
        delta = positions[self.sources] - positions[self.targets]
        force = delta * np.sqrt((delta * delta).sum(axis=1))[:, None]  # d² along the link
        for axis in (0, 1):
            pull[:, axis] -= np.bincount(self.sources, force[:, axis], minlength=self.count)
            pull[:, axis] += np.bincount(self.targets, force[:, axis], minlength=self.count)
        return pull


def _exact_repulsion(positions: np.ndarray) -> np.ndarray:
    """The push 1/d between every pair, summed per node (O(n²) memory: small graphs only)."""
    delta = positions[:, None, :] - positions[None, :, :]
    distance2 = (delta * delta).sum(axis=2)
    np.fill_diagonal(distance2, np.inf)
    distance2 = np.maximum(distance2, 1e-12)
    return (delta / distance2[:, :, None]).sum(axis=1)


def _mesh_size(count: int) -> int:
    """Cells per side of the repulsion grid: about one per layout unit across, 32 to 128."""
    diameter = 2 * math.sqrt(count / (math.pi * TARGET_DENSITY))
    return int(min(128, max(32, 2 ** math.ceil(math.log2(diameter)))))


class _MeshRepulsion:
    """The push 1/d between all pairs, approximated on a grid (particle-mesh).

    Each node's unit mass is shared among the four cells around it (cloud-in-cell); the field is
    the convolution of those masses with the kernel r/|r|², done by FFT on a grid padded to
    twice the size so that it does not wrap around; each node reads the field back with the same
    weights. The kernel is odd, so a node exerts no force on itself. Pushes between nodes within
    a cell of each other come out softened, which is what keeps the cost linear.

    The grid covers the bulk of the nodes (all but the outermost 1% on each axis, plus a margin),
    not the bounding box: one node dragged or pinned far away would otherwise make the cells so
    coarse that everyone else stops pushing. A node outside the grid is pushed by all the others
    as if they sat at their centroid, which is what they look like from far away (and, by
    Gauss's law, exactly what they look like from the rim of a round layout).
    """

    def __init__(self, size: int):
        self.size = size
        offsets = np.arange(2 * size, dtype=float)
        offsets = np.where(offsets < size, offsets, offsets - 2 * size)  # wrapped offsets
        dx, dy = np.meshgrid(offsets, offsets, indexing="ij")
        distance2 = dx * dx + dy * dy
        distance2[0, 0] = 1.0
        kernel_x, kernel_y = dx / distance2, dy / distance2
        kernel_x[0, 0] = kernel_y[0, 0] = 0.0
        self.kernel_x = np.fft.rfft2(kernel_x)
        self.kernel_y = np.fft.rfft2(kernel_y)

    def __call__(self, positions: np.ndarray) -> np.ndarray:
        size = self.size
        centroid = positions.mean(axis=0)
        low, high = np.quantile(positions, [0.005, 0.995], axis=0)
        margin = 0.1 * float((high - low).max())
        low, high = low - margin, high + margin
        span = float((high - low).max())
        cell = span / (size - 2) if span > 0 else 1.0
        scaled = (positions - low) / cell
        outside = ((scaled < 0) | (scaled > size - 1)).any(axis=1)
        scaled = np.clip(scaled, 0, size - 1)
        corner = np.minimum(np.floor(scaled).astype(np.int64), size - 2)
        fraction = scaled - corner
        # Far nodes take no part in the grid: their mass would land on its border.
        inside = (~outside).astype(float)
        cells, weights = [], []
        for step_x in (0, 1):
            for step_y in (0, 1):
                cells.append((corner[:, 0] + step_x) * size + corner[:, 1] + step_y)
                weight_x = fraction[:, 0] if step_x else 1 - fraction[:, 0]
                weight_y = fraction[:, 1] if step_y else 1 - fraction[:, 1]
                weights.append(weight_x * weight_y * inside)
        mass = np.zeros((2 * size, 2 * size))
        mass[:size, :size] = sum(
            np.bincount(c, w, minlength=size * size) for c, w in zip(cells, weights)
        ).reshape(size, size)
        spectrum = np.fft.rfft2(mass)
        field_x = np.fft.irfft2(spectrum * self.kernel_x, s=mass.shape)[:size, :size].ravel()
        field_y = np.fft.irfft2(spectrum * self.kernel_y, s=mass.shape)[:size, :size].ravel()
        push = np.zeros_like(positions)
        for c, w in zip(cells, weights):
            push[:, 0] += field_x[c] * w
            push[:, 1] += field_y[c] * w
        push /= cell
        if outside.any():
            away = positions[outside] - centroid
            push[outside] = (len(positions) - 1) * away / np.maximum((away * away).sum(axis=1), 1e-12)[:, None]
        return push


class _ChartFrame:
    """The affine map between the analyst's chart units and the simulation's layout units.

    Chosen so that the given positions start in balance: the scale is the one at which the
    given shape's attraction, repulsion and centre pull cancel (the stationary point of the
    layout's energy under uniform scaling), so a re-run on a settled chart barely moves it.
    """

    def __init__(self, centre: np.ndarray, layout_per_chart: float):
        self.centre = centre
        self.layout_per_chart = layout_per_chart

    @classmethod
    def fit(cls, given: Mapping[Node, Point], pinned, sources, targets, component, index) -> "_ChartFrame":
        """The frame for ``given`` positions; the free ones among them set the scale.

        Pinned nodes do not: the analyst may have put them far apart on purpose, and one long
        link would otherwise shrink everything else to nothing.
        """
        nominal = 1.0 / EDGE_LENGTH
        if not given:
            return cls(np.zeros(2), nominal)
        centre = np.array(list(given.values()), dtype=float).mean(axis=0)
        free = {node: xy for node, xy in given.items() if node not in pinned}
        if not free:
            return cls(centre, nominal)
        shape = (np.array(list(free.values()), dtype=float) - centre) * nominal
        rows = {index[node]: row for row, node in enumerate(free)}
        linked = [(rows[s], rows[t]) for s, t in zip(sources.tolist(), targets.tolist()) if s in rows and t in rows]
        components = component[[index[node] for node in free]]
        scale = _balancing_scale(shape, linked, components, len(component))
        return cls(centre, nominal * scale)

    def to_layout(self, given: Mapping[Node, Point], index, count: int) -> np.ndarray:
        positions = np.full((count, 2), np.nan)
        for node, xy in given.items():
            positions[index[node]] = (np.asarray(xy) - self.centre) * self.layout_per_chart
        return positions

    def to_chart(self, positions: np.ndarray, nodes: list) -> Positions:
        chart = positions / self.layout_per_chart + self.centre
        return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, chart)}


def _balancing_scale(shape: np.ndarray, linked: list[tuple[int, int]], components: np.ndarray, count: int) -> float:
    """The factor s at which ``shape`` scaled by s is in radial balance, or 1 if there is none.

    Under scaling by s the energy is A s³ (links, d³/3) - B ln s (repulsion between pairs)
    + C s² (the pull on each component's centroid); its stationary point solves
    3A s³ + 2C s² - B = 0. B counts the pairs the given nodes make with the whole graph: nodes
    placed later push as well.
    """
    if len(shape) < 2 or not np.ptp(shape, axis=0).any():
        return 1.0
    if linked:
        pairs = np.array(linked)
        lengths = np.linalg.norm(shape[pairs[:, 0]] - shape[pairs[:, 1]], axis=1)
        links_term = float((lengths**3).sum()) / 3
    else:
        links_term = 0.0
    sizes = np.bincount(components).astype(float)
    present = sizes > 0
    centroids = np.column_stack([np.bincount(components, shape[:, axis]) for axis in (0, 1)])
    centroids[present] /= sizes[present, None]
    offsets = centroids[components] - shape.mean(axis=0)
    pull_term = math.pi * TARGET_DENSITY * float((offsets**2).sum()) / 2
    # Only the given nodes' share of the pairs: their shape is what is being balanced.
    push_term = len(shape) * (count - 1) / 2
    roots = np.roots([3 * links_term, 2 * pull_term, 0.0, -push_term])
    real = [r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0]
    return float(real[0]) if real else 1.0


def _component_labels(count: int, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The connected component of each node, numbered from 0."""
    links = nx.Graph()
    links.add_nodes_from(range(count))
    links.add_edges_from(zip(sources.tolist(), targets.tolist()))
    labels = np.zeros(count, dtype=np.int64)
    for number, members in enumerate(nx.connected_components(links)):
        labels[list(members)] = number
    return labels


def _place_unplaced(start: np.ndarray, placed: np.ndarray, sources, targets, rng) -> np.ndarray:
    """Start positions: given ones as they are; others beside their placed neighbours, else random.

    Breadth-first from the placed nodes, so a chain of new nodes grows out of the chart.
    """
    positions = start.copy()
    count = len(positions)
    neighbours: list[list[int]] = [[] for _ in range(count)]
    for s, t in zip(sources.tolist(), targets.tolist()):
        neighbours[s].append(t)
        neighbours[t].append(s)
    done = placed.copy()
    queue = deque(i for i in range(count) if done[i])
    while queue:
        current = queue.popleft()
        for other in neighbours[current]:
            if done[other]:
                continue
            anchors = [n for n in neighbours[other] if done[n]]
            positions[other] = positions[anchors].mean(axis=0) + rng.normal(scale=0.5, size=2)
            done[other] = True
            queue.append(other)
    rest = np.flatnonzero(~done)
    if len(rest):
        # Uniform in a disc of the area the whole graph should take at the target density.
        radius = math.sqrt(count / (math.pi * TARGET_DENSITY))
        centre = positions[done].mean(axis=0) if done.any() else np.zeros(2)
        angle = rng.uniform(0, 2 * math.pi, len(rest))
        distance = radius * np.sqrt(rng.uniform(0, 1, len(rest)))
        positions[rest] = centre + np.column_stack((distance * np.cos(angle), distance * np.sin(angle)))
    return positions


def _fresh_temperature(count: int) -> float:
    """The longest first move of a fresh layout: a tenth of the radius it is expected to fill."""
    return max(1.0, FRESH_TEMPERATURE * math.sqrt(count / (math.pi * TARGET_DENSITY)))


def _normalised(positions: np.ndarray, sources, targets, nodes: list) -> Positions:
    """Centred on (0, 0) with an average link of :data:`EDGE_LENGTH`.

    Without links, the spacing the centre pull packs lone nodes at (1 / sqrt(density)) becomes
    :data:`EDGE_LENGTH`.
    """
    centred = positions - positions.mean(axis=0)
    if len(sources):
        unit = float(np.linalg.norm(positions[sources] - positions[targets], axis=1).mean())
    else:
        unit = 1 / math.sqrt(TARGET_DENSITY)
    scaled = centred * (EDGE_LENGTH / unit if unit > 0 else EDGE_LENGTH)
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, scaled)}


# --------------------------------------------------------------------------------- hierarchical


def hierarchical(
    graph: nx.Graph,
    roots: Iterable[Node] | None = None,
    link_schemata: Iterable[str] = ("Ownership",),
) -> Positions:
    """Top-down tree of the links in ``link_schemata``: owners above what they own.

    y grows downwards (as on screen): each link's source (the owner, the director) gets a
    smaller y than its target (the asset, the company), :data:`LAYER_GAP` per layer. A link kind
    matches an edge's ``schema`` or its ``prop`` (as in :class:`~workbench.analysis.graph.GraphFilter`).
    Owners in a cycle (A owns B owns A) share a layer. Nodes that own nothing and are owned by
    nothing sit just above the first thing they own; ``roots``, when given, form the top layer,
    and only they and what they own (directly or not) make up the tree. Every other node is
    shelved in rows below the tree, by type and caption. Centred on (0, 0).
    """
    nodes = _ordered_nodes(graph)
    if not nodes:
        return {}
    kinds = set(link_schemata)
    tree = nx.DiGraph()
    for source, target, data in graph.edges(data=True):
        if source != target and (data.get("schema") in kinds or data.get("prop") in kinds):
            tree.add_edge(source, target)
    if roots is not None:
        top = [node for node in _ordered(roots) if node in graph]
        members = set(top).union(*(nx.descendants(tree, r) for r in top if r in tree))
        tree = nx.DiGraph(tree.subgraph(members))
        tree.add_nodes_from(top)
        # Roots are the top layer even when one of them owns another, or is owned.
        tree.remove_edges_from([edge for edge in tree.in_edges(top)])
    else:
        top = []

    tree_nodes = [node for node in nodes if node in tree]
    layers = _layers(tree, tree_nodes, set(top))
    positions: Positions = {}
    if tree_nodes:
        index = {node: i for i, node in enumerate(tree_nodes)}
        sugiyama = igraph.Graph(
            n=len(tree_nodes), edges=[(index[s], index[t]) for s, t in tree.edges()], directed=True
        ).layout_sugiyama(layers=[layers[node] for node in tree_nodes])
        for node, (x, y) in zip(tree_nodes, sugiyama.coords[: len(tree_nodes)]):
            positions[node] = (x * EDGE_LENGTH, y * LAYER_GAP)

    # The rest, by type and name, so that the analyst can find them.
    shelved = sorted(
        (node for node in nodes if node not in tree),
        key=lambda node: (str(graph.nodes[node].get("schema") or ""), str(graph.nodes[node].get("caption") or node)),
    )
    if shelved:
        top_of_shelf = (max(layers.values()) + 2) * LAYER_GAP if layers else 0.0
        width = (max(x for x, _ in positions.values()) - min(x for x, _ in positions.values())) if positions else 0.0
        columns = max(int(width // EDGE_LENGTH) + 1, math.ceil(math.sqrt(len(shelved))))
        left = min((x for x, _ in positions.values()), default=0.0)
        for i, node in enumerate(shelved):
            row, column = divmod(i, columns)
            positions[node] = (left + column * EDGE_LENGTH, top_of_shelf + row * EDGE_LENGTH)
    return _centred(positions)


def _layers(tree: nx.DiGraph, tree_nodes: list, roots: set) -> dict[Node, int]:
    """Layer of each node: the longest chain of owners above it, cycles collapsed to one layer."""
    if not tree_nodes:
        return {}
    rank = {node: i for i, node in enumerate(tree_nodes)}
    ordered = nx.DiGraph()  # a fixed order, so that the condensation is numbered the same each time
    ordered.add_nodes_from(tree_nodes)
    ordered.add_edges_from(sorted(tree.edges(), key=lambda edge: (rank[edge[0]], rank[edge[1]])))
    condensed = nx.condensation(ordered)
    members = condensed.graph["mapping"]
    layer_of_component = {}
    for depth, generation in enumerate(nx.topological_generations(condensed)):
        for component in generation:
            layer_of_component[component] = depth
    # An owner whose only holding is deep down sits just above it, not on the top row.
    for component in reversed(list(nx.topological_sort(condensed))):
        children = list(condensed.successors(component))
        is_root = any(node in roots for node in condensed.nodes[component]["members"])
        if condensed.in_degree(component) == 0 and children and not is_root:
            layer_of_component[component] = min(layer_of_component[c] for c in children) - 1
    return {node: layer_of_component[members[node]] for node in tree_nodes}


# ------------------------------------------------------------------------------------ circular


def circular(graph: nx.Graph) -> Positions:
    """Nodes evenly on a circle, :data:`EDGE_LENGTH` apart, neighbours next to each other.

    Components follow each other (largest first), each in depth-first order from its best
    connected node, so chains and rings stay contiguous and most links are short chords. The
    first node is at the top; centred on (0, 0).
    """
    nodes = _ordered_nodes(graph)
    if len(nodes) <= 1:
        return {node: (0.0, 0.0) for node in nodes}
    simple = nx.Graph()
    simple.add_nodes_from(nodes)
    simple.add_edges_from((s, t) for s, t in graph.edges() if s != t)
    rank = {node: i for i, node in enumerate(nodes)}
    order = []
    components = sorted(nx.connected_components(simple), key=lambda c: (-len(c), min(rank[n] for n in c)))
    for component in components:
        start = min(component, key=lambda n: (-simple.degree(n), rank[n]))
        seen = set()
        stack = [start]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            # Pushed in reverse so that the first neighbour (in node order) is visited first.
            stack.extend(sorted((n for n in simple.neighbors(current) if n not in seen),
                                key=rank.__getitem__, reverse=True))
    radius = EDGE_LENGTH / (2 * math.sin(math.pi / len(order)))
    return {
        node: (radius * math.cos(2 * math.pi * i / len(order) - math.pi / 2),
               radius * math.sin(2 * math.pi * i / len(order) - math.pi / 2))
        for i, node in enumerate(order)
    }


# ------------------------------------------------------------------------------------- grouped


def grouped(graph: nx.Graph, groups: Mapping[Node, Hashable], *, seed: int = 0) -> Positions:
    """Each group laid out on its own (force-directed) and the groups packed side by side.

    ``groups`` maps a node to its group (a community number, a type name); nodes not in it form
    one more group. Groups are packed in rows, largest first, their bounding boxes
    :data:`GROUP_GAP` apart and never overlapping. Centred on (0, 0).
    """
    nodes = _ordered_nodes(graph)
    if not nodes:
        return {}
    members: dict[Hashable, list] = {}
    for node in nodes:
        members.setdefault(groups.get(node), []).append(node)
    order = sorted(members, key=lambda group: (-len(members[group]), str(group)))
    boxes = []
    for group in order:
        inner = force_directed(graph.subgraph(members[group]), seed=seed)
        xy = np.array(list(inner.values()))
        low = xy.min(axis=0)
        boxes.append((inner, low, xy.max(axis=0) - low))

    total_area = sum((size[0] + GROUP_GAP) * (size[1] + GROUP_GAP) for _, _, size in boxes)
    row_width = max(math.sqrt(total_area), max(size[0] for _, _, size in boxes))
    positions: Positions = {}
    x = y = row_height = 0.0
    for inner, low, size in boxes:
        if x > 0 and x + size[0] > row_width:
            x, y, row_height = 0.0, y + row_height + GROUP_GAP, 0.0
        for node, (inner_x, inner_y) in inner.items():
            positions[node] = (x + inner_x - low[0], y + inner_y - low[1])
        x += size[0] + GROUP_GAP
        row_height = max(row_height, size[1])
    return _centred(positions)


def by_type(graph: nx.Graph, *, seed: int = 0) -> Positions:
    """:func:`grouped` by each node's ``schema`` attribute (companies, people, accounts, ...)."""
    return grouped(graph, {node: data.get("schema") for node, data in graph.nodes(data=True)}, seed=seed)


# ------------------------------------------------------------------------------------- helpers


#: Every layout a chart can be given, by the name ``workbench layout --kind`` and the app use,
#: with the label the app's menus show. The one table for both; ``group`` needs each entity's
#: chart group, which only the app passes.
LAYOUTS: dict[str, str] = {
    "force": "Force-directed",
    "hierarchical": "Hierarchical (ownership)",
    "circular": "Circular",
    "type": "Group by type",
    "group": "By group",
}
#: The layouts that need nothing but the graph (and pinned or current positions).
GRAPH_LAYOUTS = tuple(kind for kind in LAYOUTS if kind != "group")


def lay_out(
    graph: nx.Graph,
    kind: str = "force",
    *,
    pinned: Mapping[Node, Point] | None = None,
    initial: Mapping[Node, Point] | None = None,
    groups: Mapping[Node, Hashable] | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Positions:
    """Positions by the layout named ``kind`` (a key of :data:`LAYOUTS`).

    ``pinned``, ``initial``, ``progress`` and ``cancelled`` go to the force-directed layout;
    ``groups`` (node to group name) to the grouped one.
    """
    if kind not in LAYOUTS:
        raise ValueError(f"{kind!r}: no such layout; expected one of {', '.join(LAYOUTS)}")
    if kind == "hierarchical":
        return hierarchical(graph)
    if kind == "circular":
        return circular(graph)
    if kind == "type":
        return by_type(graph)
    if kind == "group":
        groups = groups or {}
        return grouped(graph, {n: groups.get(n, "(ungrouped)") for n in graph.nodes})
    return force_directed(graph, pinned=pinned, initial=initial, progress=progress, cancelled=cancelled)


def _ordered(nodes: Iterable[Node]) -> list:
    """Nodes in a fixed order whatever order the graph was built in, so results repeat."""
    nodes = list(nodes)
    try:
        return sorted(nodes)
    except TypeError:  # ids of mixed types
        return sorted(nodes, key=lambda node: (type(node).__name__, str(node)))


def _ordered_nodes(graph: nx.Graph) -> list:
    return _ordered(graph.nodes)


def _undirected_links(graph: nx.Graph, index: Mapping[Node, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each linked pair once (whatever the direction or the number of links), no self-links."""
    pairs = {
        (min(index[s], index[t]), max(index[s], index[t])) for s, t in graph.edges() if s != t
    }
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    array = np.array(sorted(pairs), dtype=np.int64)
    return array[:, 0], array[:, 1]


def _point(xy) -> Point:
    x, y = xy
    return (float(x), float(y))


def _centred(positions: Positions) -> Positions:
    """Shifted so that the bounding box is centred on (0, 0)."""
    if not positions:
        return positions
    xy = np.array(list(positions.values()))
    middle = (xy.min(axis=0) + xy.max(axis=0)) / 2
    return {node: (float(x - middle[0]), float(y - middle[1])) for node, (x, y) in positions.items()}


def _report(progress: Callable[[float], None] | None, fraction: float) -> None:
    if progress is not None:
        progress(fraction)


def _check_cancelled(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise LayoutCancelled("layout cancelled")


# ------------------------------------------------------------------------- room for the labels

#: Pixels kept free at the left and right (and top and bottom) of a chart fitted to its window:
#: half a label's width beside the outermost icons, an icon and a label line above and below.
FIT_MARGIN_X = 90.0
FIT_MARGIN_Y = 40.0
#: A fit never enlarges the chart more than this (one entity does not fill the window).
MAX_FIT_SCALE = 2.5
#: The window a layout is spaced for when none is given (pixels).
DEFAULT_VIEWPORT = (1200.0, 800.0)
#: How much of the frame the boxes may cover before the chart is spaced for zooming in instead.
ROOM_DENSITY = 0.6
#: Above this many nodes the pairwise pass would cost seconds; such charts are read zoomed in
#: anyway, where labels that gave way at fit-to-window come back.
MAX_OVERLAP_NODES = 1500
#: How often the frame is enlarged (by 30% each time) when some boxes found no free spot.
ROOM_ATTEMPTS = 4


def fit_scale(positions: np.ndarray, viewport: tuple[float, float]) -> float:
    """Pixels per chart unit when ``positions`` are fitted to a ``viewport`` of (width, height) pixels."""
    if not len(positions):
        return 1.0
    span = np.maximum(positions.max(axis=0) - positions.min(axis=0), 1.0)
    width, height = viewport
    scale = min(max(width - 2 * FIT_MARGIN_X, 50.0) / span[0], max(height - 2 * FIT_MARGIN_Y, 50.0) / span[1])
    return min(scale, MAX_FIT_SCALE)


def make_room(
    positions: Positions,
    boxes: Mapping[Node, tuple[float, float, float]],
    *,
    viewport: tuple[float, float] | None = None,
    pinned: Iterable[Node] = (),
    keep_rows: bool = False,
) -> Positions:
    """Move nodes apart until no two of their boxes (icon plus label) overlap.

    ``boxes`` gives each node's box in screen pixels as ``(width, height, dy)``: ``dy`` is how far
    the box's centre sits below the node (its label hangs under the icon). The layout is scaled
    to ``viewport`` (width, height in pixels) as a fit-to-window shows it, boxes are pushed apart
    inside that frame (so the chart keeps its proportions instead of growing into a column), and
    the result is scaled back. When the boxes would cover more than :data:`ROOM_DENSITY` of the
    window, the frame is enlarged in proportion: every label then fits at that zoom, and at
    fit-to-window the least important give way. Each box then takes the free spot nearest its
    place, the middle of the chart first (see :func:`_free_spots`), so the layout keeps its shape
    and order; with ``keep_rows`` (a hierarchy's layers) boxes move sideways much sooner than
    off their row. ``pinned`` nodes do not move. Deterministic.
    """
    nodes = [node for node in positions if node in boxes]
    if len(nodes) < 2 or len(nodes) > MAX_OVERLAP_NODES:
        return dict(positions)
    xy = np.array([positions[node] for node in nodes], dtype=float)
    # A box may carry its icon's size as a fourth number (see ``chart_view.label_boxes``).
    size_px = np.array([tuple(boxes[node])[:3] for node in nodes], dtype=float)
    icons = np.array([tuple(boxes[node])[3] if len(boxes[node]) > 3 else 0.0 for node in nodes], dtype=float)
    pinned = set(pinned)
    fixed = np.array([node in pinned for node in nodes], dtype=bool)
    width, height = viewport or DEFAULT_VIEWPORT
    base = np.array([max(width - 2 * FIT_MARGIN_X, 100.0), max(height - 2 * FIT_MARGIN_Y, 100.0)])
    # Boxes may cover about half of the frame and still be pushed apart; a chart with more
    # labels than that is spaced for a zoom of ``enlarge`` (same proportions, more room).
    enlarge = max(1.0, math.sqrt((size_px[:, 0] * size_px[:, 1]).sum() / (ROOM_DENSITY * base[0] * base[1])))
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1.0)
    origin = xy.min(axis=0)
    for attempt in range(ROOM_ATTEMPTS):
        frame = base * enlarge
        if fixed.any():
            # Pinned nodes stay where the analyst put them: spread the rest around them, unscaled.
            scale = min(float(min(frame[0] / span[0], frame[1] / span[1])), MAX_FIT_SCALE)
            spread = scale
        else:
            # A small layout is first spread over the whole frame (free room: a fit would have
            # enlarged it only up to MAX_FIT_SCALE), then separated in pixels as it will be seen.
            spread = float(min(frame[0] / span[0], frame[1] / span[1]))
            scale = min(spread, MAX_FIT_SCALE) if enlarge == 1.0 else spread
        pixels = (xy - origin) * spread
        stayed: list[int] = []
        # A first try looks for room near each box; a clump (an overview's groups, all linked
        # to each other) can fill everything near, and the next tries look across the frame.
        reach = 400.0 if attempt == 0 else float(max(frame.max(), 400.0))
        pixels = _free_spots(pixels, size_px, fixed, np.maximum(frame, pixels.max(axis=0)),
                             max_shift=reach, vertical_cost=8.0 if keep_rows else 1.0, stayed=stayed)
        if not stayed:
            break
        if attempt > 0:
            # Room across the whole frame was not enough either: more room.
            enlarge *= 1.3
    if enlarge > 1.0 and icons.any():
        # Spaced for zooming in, the labels give way at fit-to-window, but the icons must not
        # cover each other there (an overview's big group icons): a second pass in the frame
        # as fitted, icons only.
        fitted = scale / enlarge if not fixed.any() else scale
        at_fit = (pixels / scale) * fitted
        icon_boxes = np.column_stack([icons, icons, np.zeros(len(icons))])
        at_fit = _free_spots(at_fit, icon_boxes, fixed, np.maximum(base, at_fit.max(axis=0)),
                             max_shift=float(max(base.max(), 400.0)), vertical_cost=8.0 if keep_rows else 1.0)
        pixels = at_fit / fitted * scale
    xy = pixels / scale + origin
    result = dict(positions)
    result.update({node: (float(x), float(y)) for node, (x, y) in zip(nodes, xy)})
    return result


#: Pixels per cell of the occupancy grid used to find each box a free spot.
ROOM_CELL = 4.0


def _free_spots(pixels: np.ndarray, boxes: np.ndarray, fixed: np.ndarray, frame: np.ndarray,
                max_shift: float = 400.0, vertical_cost: float = 1.0, stayed: list | None = None) -> np.ndarray:
    """Put each box at the free spot nearest its place (pixels), central boxes first.

    Pinned boxes stay and are taken first; then boxes in order of their distance from the
    chart's centre, so the busy middle keeps its arrangement and the crowding is eased
    outwards. Each box looks for the nearest spot inside ``frame`` where it overlaps no box
    already placed, on a grid of :data:`ROOM_CELL` pixels, testing every spot within
    ``max_shift`` at once with a summed-area table of the grid around it (a greedy,
    deterministic pass; about a millisecond a box). A box with no free spot stays where it was.
    """
    columns, rows = (np.ceil(frame / ROOM_CELL).astype(int) + 1).tolist()
    grid = np.zeros((rows, columns), dtype=bool)
    reach = int(max_shift / ROOM_CELL)
    steps = np.arange(-reach, reach + 1)
    ring_x, ring_y = np.meshgrid(steps, steps)
    by_distance = np.argsort((ring_x ** 2 + (vertical_cost * ring_y) ** 2).ravel(), kind="stable")
    shifts = np.stack([ring_x.ravel()[by_distance], ring_y.ravel()[by_distance]], axis=1)  # in cells

    out = pixels.copy()
    centre = (pixels.min(axis=0) + pixels.max(axis=0)) / 2
    order = sorted(range(len(pixels)), key=lambda i: (not fixed[i], float(np.hypot(*(pixels[i] - centre))), i))
    for i in order:
        w, h, dy = boxes[i]
        span_x, span_y = int(np.ceil(w / ROOM_CELL)) + 1, int(np.ceil(h / ROOM_CELL)) + 1
        x0 = int(np.floor((pixels[i, 0] - w / 2) / ROOM_CELL))
        y0 = int(np.floor((pixels[i, 1] + dy - h / 2) / ROOM_CELL))
        if not fixed[i]:
            inside = 0 <= x0 and 0 <= y0 and x0 + span_x <= columns and y0 + span_y <= rows
            if not (inside and not grid[y0:y0 + span_y, x0:x0 + span_x].any()):
                # The grid around the box, as a summed-area table: any spot's overlap in O(1).
                left, top = max(x0 - reach, 0), max(y0 - reach, 0)
                right, bottom = min(x0 + reach + span_x, columns), min(y0 + reach + span_y, rows)
                table = np.zeros((bottom - top + 1, right - left + 1), dtype=np.int32)
                table[1:, 1:] = grid[top:bottom, left:right].cumsum(axis=0).cumsum(axis=1)
                for near in (shifts[:2500], shifts):  # most boxes find room close by
                    cx, cy = x0 + near[:, 0] - left, y0 + near[:, 1] - top
                    valid = (cx >= 0) & (cy >= 0) & (cx + span_x <= right - left) & (cy + span_y <= bottom - top)
                    cx, cy = cx[valid], cy[valid]
                    taken = (table[cy + span_y, cx + span_x] - table[cy, cx + span_x]
                             - table[cy + span_y, cx] + table[cy, cx])
                    free = np.flatnonzero(taken == 0)
                    if len(free):
                        break
                if not len(free):
                    if stayed is not None:
                        stayed.append(i)
                    continue  # nowhere near: it stays, and may overlap
                x0, y0 = int(cx[free[0]] + left), int(cy[free[0]] + top)
                out[i] = (pixels[i, 0] + (x0 * ROOM_CELL - (pixels[i, 0] - w / 2)) + 0.0,
                          pixels[i, 1] + (y0 * ROOM_CELL - (pixels[i, 1] + dy - h / 2)))
        grid[max(y0, 0):max(y0 + span_y, 0), max(x0, 0):max(x0 + span_x, 0)] = True
    return out
