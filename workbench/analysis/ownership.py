"""Who owns what, directly and through chains of companies: effective ownership, the OFAC
50 percent rule, and ultimate (beneficial) owners.

The ownership links are the case graph's ``Ownership`` edges (owner -> asset); their
percentages are read from the Ownership entities. Pass a filtered graph
(``case_graph(case, GraphFilter(start=..., end=...))``) to count only the stakes held in a
period, or only well-graded ones; by default every recorded stake counts, ended ones included.

How a direct share is read
--------------------------
* ``percentage`` is in percent, as FollowTheMoney publishes it: ``"25"``, ``"25.5%"`` and
  ``"25,5"`` are read; ``"0.25"`` means a quarter of one percent. A value outside 0..100 or
  one that is not a number counts as missing.
* Several Ownership links between the same owner and asset (two sources reporting the same
  holding, or one entity with conflicting values) count once, at the largest stated share:
  a repeated report is far more common than two separate holdings, and adding them up would
  invent control.
* A link with no stated percentage is treated as 100 % of what the stated shares of that
  asset leave (so 100 % when none is stated); links of one asset without a percentage share
  that remainder equally. Shares that rest on such a link are marked (``stated_only``).
* An asset whose stated shares add up to more than 100 % is scaled down to 100 % and reported
  in ``oversubscribed``.

How shares combine along chains and around cycles
-------------------------------------------------
With those rules no asset is more than 100 % owned, so the direct shares of an asset can be
read as probabilities: walk up from the asset, choosing each of its owners with probability
equal to that owner's share. The *effective share* of owner O in asset A is the probability
that this walk ever reaches O. It multiplies percentages along a chain (60 % x 50 % = 30 %),
adds distinct paths, and settles circular ownership: in the demo case Veltsin holds 60 % of
Meridian Pacific and Meridian holds the other 40 % of itself through Northgate and Orient
Delta, so Veltsin's effective share of Meridian is 100 %. It never exceeds 100 %.

It is computed in closed form rather than by enumerating paths. With D the matrix of direct
shares (D[o, a]) and G = (I - D)^-1 = I + D + D^2 + ... (every walk, cycles included), the
probability of reaching O from A is G[O, A] / G[O, O]: dividing by G[O, O] removes the walks
that pass through O and come back to it again, which is what makes the share of a company
inside a cycle a fraction rather than the 167 % that (I - D)^-1 - I alone gives. Path
enumeration would need a cut-off on cycles (and so a wrong answer for Meridian) and grows
exponentially with the number of paths; iterating E = D + D·E converges slowly when a cycle
holds most of a company, and not at all when it holds all of it. The matrix is solved per
group of companies linked by ownership, which keeps it small in practice (a group of 2,000
parties is a 2,000 x 2,000 solve, about a second).

A group that owns itself entirely (A owns all of B, B owns all of A, and nobody else owns
either: often two links with no stated percentage) makes I - D singular. Such a group is the
top of its chains: the walk stops when it enters, and every member of the group is credited
with the share that entered it.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import networkx as nx
import numpy as np

from workbench.analysis.graph import case_graph
from workbench.model import model
from workbench.store import Case

OWNERSHIP = "Ownership"
# Shares below this are rounding noise from the matrix solve, not holdings.
NEGLIGIBLE = 1e-12
# Comparisons with a threshold tolerate float error (0.25 + 0.25 may fall just short of 0.5).
TOLERANCE = 1e-9
# ultimate_owners lists at most this many chains per owner, of at most this many links.
MAX_CHAINS = 10
MAX_CHAIN_LINKS = 12

Pair = tuple[str, str]


class OwnershipShares(dict):
    """``{(owner_id, asset_id): effective share}`` (fractions 0..1), with what the numbers rest on.

    ``stated_only``: for pairs whose share rests on at least one link with no stated
    percentage, the share that the stated percentages alone give (links without a
    percentage counted as 0 %): the analyst's lower bound. A pair absent from it is backed by
    stated percentages only.
    ``self_held``: ``{asset_id: fraction}``, the part of an asset that it holds in itself through
    circular ownership (Meridian Pacific's 40 % via Orient Delta in the demo).
    ``circular``: ids of parties in a group that owns itself entirely, with no outside owner.
    ``oversubscribed``: assets whose stated shares add up to more than 100 %.
    ``direct``: the direct shares used, after the rules in the module notes.
    """

    def __init__(
        self,
        shares: dict[Pair, float],
        *,
        stated_only: dict[Pair, float],
        self_held: dict[str, float],
        circular: frozenset[str],
        oversubscribed: frozenset[str],
        direct: dict[Pair, float],
    ):
        super().__init__(shares)
        self.stated_only = stated_only
        self.self_held = self_held
        self.circular = circular
        self.oversubscribed = oversubscribed
        self.direct = direct


# ---------------------------------------------------------------------------------- reading


def parse_percentage(values: Iterable[str]) -> float | None:
    """The largest readable percentage among ``values`` as a fraction 0..1, or ``None``."""
    fractions = []
    for value in values:
        text = value.strip().rstrip("%").strip().replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", text):
            continue
        number = float(text)
        if 0 <= number <= 100:
            fractions.append(number / 100)
    return max(fractions) if fractions else None


def _is_ownership(schema: str | None) -> bool:
    found = model.get(schema) if schema else None
    return found is not None and found.is_a(OWNERSHIP)


@dataclass(frozen=True)
class _DirectShares:
    """Direct shares two ways: with links lacking a percentage assumed, and without them."""

    assumed: dict[Pair, float]
    stated: dict[Pair, float]
    oversubscribed: frozenset[str]


def _direct_shares(case: Case, graph: nx.MultiDiGraph) -> _DirectShares:
    share_by_pair: dict[Pair, float | None] = {}
    percentages: dict[str, float | None] = {}
    for owner, asset, data in graph.edges(data=True):
        # A company holding its own shares (treasury stock) gives no one control; skip it.
        if data.get("prop") is not None or not _is_ownership(data.get("schema")) or owner == asset:
            continue
        via = data["via"]
        if via not in percentages:
            entity = case.entity(via)
            percentages[via] = parse_percentage(entity.get("percentage")) if entity is not None else None
        share = percentages[via]
        previous = share_by_pair.get((owner, asset))
        share_by_pair[(owner, asset)] = share if previous is None else max(previous, share or 0.0)

    owners_of: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
    for (owner, asset), share in share_by_pair.items():
        owners_of[asset].append((owner, share))

    assumed: dict[Pair, float] = {}
    stated: dict[Pair, float] = {}
    oversubscribed = set()
    for asset, owners in owners_of.items():
        stated_total = sum(share for _, share in owners if share is not None)
        scale = 1.0
        if stated_total > 1 + TOLERANCE:
            oversubscribed.add(asset)
            scale = 1 / stated_total
        unstated = [owner for owner, share in owners if share is None]
        remainder = max(0.0, 1 - stated_total * scale)
        for owner, share in owners:
            if share is not None:
                if share > 0:
                    assumed[(owner, asset)] = stated[(owner, asset)] = share * scale
            elif remainder > 0:
                assumed[(owner, asset)] = remainder / len(unstated)
    return _DirectShares(assumed=assumed, stated=stated, oversubscribed=frozenset(oversubscribed))


# ---------------------------------------------------------------------------------- computing


@dataclass(frozen=True)
class _Reach:
    shares: dict[Pair, float]
    self_held: dict[str, float]
    circular: frozenset[str]


def _reach(direct: dict[Pair, float]) -> _Reach:
    """Effective shares from direct ones (see the module notes), one ownership group at a time."""
    links = nx.DiGraph()
    links.add_weighted_edges_from((owner, asset, share) for (owner, asset), share in direct.items())
    shares: dict[Pair, float] = {}
    self_held: dict[str, float] = {}
    circular: set[str] = set()
    for group in nx.weakly_connected_components(links):
        _reach_in_group(links.subgraph(group), shares, self_held, circular)
    return _Reach(shares=shares, self_held=self_held, circular=frozenset(circular))


def _reach_in_group(links: nx.DiGraph, shares: dict, self_held: dict, circular: set) -> None:
    names = sorted(links)
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    direct = np.zeros((size, size))
    for owner, asset, share in links.edges(data="weight"):
        direct[index[owner], index[asset]] = share

    # A strongly connected set whose members are wholly owned from inside it has no outside
    # owner: stop the walk where it enters (zero those columns) so that I - D is invertible.
    closed = []
    for members in nx.strongly_connected_components(links):
        rows = sorted(index[name] for name in members)
        held_inside = direct[np.ix_(rows, rows)].sum(axis=0)
        if np.all(held_inside >= 1 - TOLERANCE):
            closed.append(rows)
    open_direct = direct.copy()
    for members in closed:
        open_direct[:, members] = 0.0

    walks = np.linalg.inv(np.eye(size) - open_direct)
    returns = np.diag(walks).copy()
    reach = walks / returns[:, None]
    np.fill_diagonal(reach, 0.0)
    held_by_itself = 1 - 1 / returns

    for members in closed:
        # Every member of a self-owning group is reached whenever any one of them is.
        entered = reach[members, :].sum(axis=0)
        for member in members:
            reach[member, :] = entered
            reach[member, members] = 1.0
            reach[member, member] = 0.0
            held_by_itself[member] = 1.0
            circular.add(names[member])

    np.clip(reach, 0.0, 1.0, out=reach)
    for owner, asset in zip(*np.nonzero(reach > NEGLIGIBLE)):
        shares[(names[owner], names[asset])] = float(reach[owner, asset])
    for i, fraction in enumerate(held_by_itself):
        if fraction > NEGLIGIBLE:
            self_held[names[i]] = float(min(fraction, 1.0))


def effective_ownership(case: Case, graph: nx.MultiDiGraph | None = None) -> OwnershipShares:
    """Every owner's effective share of every asset it holds directly or through others.

    Returns :class:`OwnershipShares`: ``{(owner_id, asset_id): share}`` with shares as fractions
    0..1, multiplied along chains, summed over distinct paths, and settled around circular
    ownership (see the module notes for the method and for how percentages are read).

    A link with no stated percentage counts as 100 % (of what the stated shares leave); every
    pair whose share depends on such a link appears in ``result.stated_only`` with the share
    that stated percentages alone support. ``graph`` defaults to the whole case.
    """
    graph = case_graph(case) if graph is None else graph
    direct = _direct_shares(case, graph)
    assumed = _reach(direct.assumed)
    # Without missing percentages the two are the same solve.
    stated = assumed if direct.stated == direct.assumed else _reach(direct.stated)
    stated_only = {
        pair: stated.shares.get(pair, 0.0)
        for pair, share in assumed.shares.items()
        if share - stated.shares.get(pair, 0.0) > TOLERANCE
    }
    return OwnershipShares(
        assumed.shares,
        stated_only=stated_only,
        self_held=assumed.self_held,
        circular=assumed.circular,
        oversubscribed=direct.oversubscribed,
        direct=direct.assumed,
    )


# ---------------------------------------------------------------------------------- OFAC 50 %


def _listed_parties(case: Case, parties: Iterable[str], topics: Iterable[str]) -> set[str]:
    wanted = set(topics)
    listed = set()
    for node in parties:
        entity = case.entity(node)
        if entity is not None and wanted.intersection(entity.get("topics", quiet=True)):
            listed.add(node)
    return listed


def _blocked_by_rule(direct: dict[Pair, float], listed: set[str], threshold: float):
    """OFAC's cascade: an asset held ``threshold`` or more, in aggregate, by listed or already
    blocked parties is blocked, and its own holdings then count in turn.

    Returns ``(blocked, held)``: the blocked parties, and per asset the blocked direct owners
    with their shares.
    """
    owners_of: dict[str, list[tuple[str, float]]] = defaultdict(list)
    assets_of: dict[str, list[str]] = defaultdict(list)
    for (owner, asset), share in direct.items():
        owners_of[asset].append((owner, share))
        assets_of[owner].append(asset)
    blocked = set(listed)
    pending = deque(sorted(listed))
    while pending:
        party = pending.popleft()
        for asset in assets_of.get(party, ()):
            if asset in blocked:
                continue
            if sum(share for owner, share in owners_of[asset] if owner in blocked) >= threshold - TOLERANCE:
                blocked.add(asset)
                pending.append(asset)
    held = {
        asset: sorted(((owner, share) for owner, share in owners if owner in blocked), key=lambda o: (-o[1], o[0]))
        for asset, owners in owners_of.items()
    }
    return blocked, {asset: owners for asset, owners in held.items() if owners}


def _look_through(direct: dict[Pair, float], listed: set[str]) -> dict[Pair, float]:
    """Effective shares with listed parties as the top of their chains: per (listed, asset), the
    share that reaches that listed party without passing another one first, so that a listed
    company owned by a listed person is not counted twice."""
    cut = {(owner, asset): share for (owner, asset), share in direct.items() if asset not in listed}
    shares = _reach(cut).shares
    return {(owner, asset): share for (owner, asset), share in shares.items() if owner in listed}


def listed_share(
    case: Case,
    graph: nx.MultiDiGraph | None = None,
    topics: Iterable[str] = ("sanction",),
    *,
    threshold: float = 0.5,
) -> dict[str, dict]:
    """The OFAC 50 percent rule: the share of each asset held by listed parties, in aggregate.

    Listed parties are entities whose FtM ``topics`` include one of ``topics``. Following
    OFAC's guidance, an asset held ``threshold`` (50 %) or more in aggregate by listed parties
    is blocked, and what a blocked company holds counts as blocked in turn: listed X owns 50 %
    of A and A owns 50 % of B, so B is blocked too, although X's look-through share of B is
    only 25 %. Returns, for each asset with any listed holding (direct, through blocked
    companies, or only by look-through):

    ``share``: aggregate direct share of listed and blocked owners (what OFAC adds up);
    ``flagged``: ``share >= threshold``;
    ``owners``: those owners, largest first: ``{"id", "caption", "share", "listed", "assumed"}``
    (``listed``: on a list itself, otherwise blocked by the rule; ``assumed``: the share rests
    on a missing percentage);
    ``listed_owners``: ids of the listed parties behind the share, directly or through
    blocked companies;
    ``look_through``: the listed parties' combined effective share (percentages multiplied along
    chains, as in :func:`effective_ownership`), for context where a chain does not block;
    ``stated_share`` and ``uncertain``: the aggregate with missing percentages counted as 0 %,
    and whether it differs from ``share``;
    ``listed``: the asset is itself listed.
    """
    graph = case_graph(case) if graph is None else graph
    direct = _direct_shares(case, graph)
    # Only parties in an ownership link can hold or be held; reading every entity of a large
    # case to find its topics would be the slowest part.
    listed = _listed_parties(case, sorted({party for pair in direct.assumed for party in pair}), topics)
    blocked, held = _blocked_by_rule(direct.assumed, listed, threshold)
    _, held_stated = _blocked_by_rule(direct.stated, listed, threshold)
    look_through: dict[str, float] = defaultdict(float)
    for (_, asset), share in _look_through(direct.assumed, listed).items():
        look_through[asset] += share

    # Which listed parties stand behind each blocked party (through the blocked chain).
    blocked_links = nx.DiGraph()
    blocked_links.add_edges_from(
        (owner, asset) for asset, owners in held.items() for owner, _ in owners
    )

    results: dict[str, dict] = {}
    for asset in sorted(set(held) | set(look_through)):
        owners = held.get(asset, [])
        share = min(1.0, sum(s for _, s in owners))
        stated_share = min(1.0, sum(s for _, s in held_stated.get(asset, [])))
        behind = nx.ancestors(blocked_links, asset) if asset in blocked_links else set()
        results[asset] = {
            "share": share,
            "flagged": share >= threshold - TOLERANCE,
            "listed": asset in listed,
            "owners": [
                {
                    "id": owner,
                    "caption": graph.nodes[owner].get("caption", owner),
                    "share": owner_share,
                    "listed": owner in listed,
                    "assumed": (owner, asset) not in direct.stated,
                }
                for owner, owner_share in owners
            ],
            "listed_owners": sorted(behind & listed),
            "look_through": min(1.0, look_through.get(asset, 0.0)),
            "stated_share": stated_share,
            "uncertain": share - stated_share > TOLERANCE,
        }
    return results


# ---------------------------------------------------------------------------------- ultimate owners


def _is_person(graph: nx.MultiDiGraph, node: str) -> bool:
    schema = model.get(graph.nodes[node].get("schema") or "")
    return schema is not None and schema.is_a("Person")


def ultimate_owners(
    case: Case, asset_id: str, threshold: float = 0.25, graph: nx.MultiDiGraph | None = None
) -> list[dict]:
    """The parties at the top of ``asset_id``'s ownership chains holding ``threshold`` or more.

    The top of a chain is a natural person, a party with no recorded owner, or a member of a
    group that owns itself entirely (``circular``). Each result is ``{"id", "caption",
    "schema", "share", "stated_share", "assumed", "circular", "chains"}``, largest share first:
    ``share`` is the effective share (see :func:`effective_ownership`), ``stated_share`` the
    same counting only stated percentages, ``assumed`` whether they differ, and ``chains`` up
    to ten ownership chains as lists of ids from the owner down to the asset, strongest first
    (cycles are not repeated in a chain, so around circular ownership the share can be more
    than the chains' products add up to).
    """
    graph = case_graph(case) if graph is None else graph
    asset_id = case.resolve(asset_id)
    shares = effective_ownership(case, graph)
    links = nx.DiGraph()
    links.add_weighted_edges_from((owner, asset, share) for (owner, asset), share in shares.direct.items())
    if asset_id not in links:
        return []

    results = []
    for owner in nx.ancestors(links, asset_id):
        share = shares.get((owner, asset_id), 0.0)
        if share < threshold - TOLERANCE:
            continue
        at_top = links.in_degree(owner) == 0 or owner in shares.circular or _is_person(graph, owner)
        if not at_top:
            continue
        stated_share = shares.stated_only.get((owner, asset_id), share)
        node = graph.nodes[owner] if owner in graph else {}
        results.append(
            {
                "id": owner,
                "caption": node.get("caption", owner),
                "schema": node.get("schema"),
                "share": share,
                "stated_share": stated_share,
                "assumed": (owner, asset_id) in shares.stated_only,
                "circular": owner in shares.circular,
                "chains": _chains(links, owner, asset_id),
            }
        )
    return sorted(results, key=lambda r: (-r["share"], r["id"]))


def _chains(links: nx.DiGraph, owner: str, asset: str) -> list[list[str]]:
    def product(path: list[str]) -> float:
        return float(np.prod([links[a][b]["weight"] for a, b in zip(path, path[1:])]))

    # Bounded: the number of simple paths can grow exponentially in a dense web of holdings.
    paths = islice(nx.all_simple_paths(links, owner, asset, cutoff=MAX_CHAIN_LINKS), 50 * MAX_CHAINS)
    return sorted(paths, key=lambda path: (-product(path), path))[:MAX_CHAINS]
