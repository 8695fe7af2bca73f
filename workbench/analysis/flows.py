"""Money flows: totals per entity and per pair, and funds traced forward or back through time.

Amounts are never converted between currencies: totals are kept per currency, and a trace
follows only payments in the currency it started with (or with no currency stated).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import networkx as nx


PAYMENT_SCHEMATA = frozenset({"Payment"})


def _in_window(when: str | None, start: str | None, end: str | None) -> bool:
    if when is None:
        return start is None and end is None
    if start and when < start:
        return False
    if end and when > end + "\uffff":
        return False
    return True


def _payments(graph: nx.MultiDiGraph, node: str, direction: str):
    edges = graph.out_edges(node, data=True) if direction == "out" else graph.in_edges(node, data=True)
    for u, v, data in edges:
        if data["schema"] in PAYMENT_SCHEMATA and data.get("amount") is not None:
            yield u, v, data


def totals(graph: nx.MultiDiGraph, entity: str, *, start: str | None = None, end: str | None = None) -> dict[str, Any]:
    """Money in, out and net for ``entity`` in a window, per currency, with payment counts."""
    if entity not in graph:
        raise KeyError(f"{entity!r} is not in the chart (filtered out, hidden or unknown)")
    money: dict[str, dict[str, float]] = defaultdict(lambda: {"in": 0.0, "out": 0.0, "count_in": 0, "count_out": 0})
    for direction in ("in", "out"):
        for _, _, data in _payments(graph, entity, direction):
            if not _in_window(data.get("start"), start, end):
                continue
            row = money[data.get("currency") or ""]
            row[direction] += data["amount"]
            row[f"count_{direction}"] += 1
    for row in money.values():
        row["net"] = row["in"] - row["out"]
    return dict(money)


def pair_totals(
    graph: nx.MultiDiGraph, *, start: str | None = None, end: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Total paid from each payer to each beneficiary in a window, largest first."""
    pairs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for u, v, data in graph.edges(data=True):
        if data["schema"] not in PAYMENT_SCHEMATA or data.get("amount") is None:
            continue
        if not _in_window(data.get("start"), start, end):
            continue
        key = (u, v, data.get("currency") or "")
        row = pairs.setdefault(key, {"payer": u, "beneficiary": v, "currency": key[2], "total": 0.0, "count": 0,
                                     "first": data.get("start"), "last": data.get("start")})
        row["total"] += data["amount"]
        row["count"] += 1
        when = data.get("start")
        if when:
            row["first"] = min(filter(None, (row["first"], when)))
            row["last"] = max(filter(None, (row["last"], when)))
    ranked = sorted(pairs.values(), key=lambda row: (-row["total"], row["payer"], row["beneficiary"]))
    return ranked[:limit] if limit else ranked


@dataclass
class FlowStep:
    """Money followed one payment further: how much of the traced amount it can carry."""

    source: str
    target: str
    via: str
    date: str | None
    amount: float
    carried: float
    currency: str | None
    hop: int
    children: list["FlowStep"] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["children"] = [child.as_dict() for child in self.children]
        return data


def trace_funds(
    graph: nx.MultiDiGraph,
    entity: str,
    *,
    direction: str = "forward",
    start: str | None = None,
    amount: float | None = None,
    currency: str | None = None,
    max_hops: int = 4,
    max_days: int | None = None,
    min_carried: float = 0.01,
) -> list[FlowStep]:
    """Follow money from ``entity`` forward (where did it go?) or backward (where did it come from?).

    Forward: from ``start`` on, each payment out of a node can carry at most what arrived
    there, and payments are charged in date order (first in, first out), so one amount is
    never counted twice down two branches. Backward is the mirror image. Without ``amount``
    the first hop carries each payment's full amount.
    """
    if entity not in graph:
        raise KeyError(f"{entity!r} is not in the chart (filtered out, hidden or unknown)")
    if direction not in ("forward", "backward"):
        raise ValueError("direction is forward or backward")
    forward = direction == "forward"

    def window_end(when: str) -> str | None:
        if max_days is None or not when:
            return None
        return (date.fromisoformat(when[:10]) + timedelta(days=max_days)).isoformat() + "\uffff"

    def window_start(when: str) -> str | None:
        if max_days is None or not when:
            return None
        return (date.fromisoformat(when[:10]) - timedelta(days=max_days)).isoformat()

    def candidates(node: str, when: str | None, wanted_currency: str | None):
        links = []
        for u, v, data in _payments(graph, node, "out" if forward else "in"):
            paid_on = data.get("start")
            if paid_on is None:
                continue
            if wanted_currency and data.get("currency") and data["currency"] != wanted_currency:
                continue
            if when:
                if forward and (paid_on < when or (window_end(when) and paid_on > window_end(when))):
                    continue
                if not forward and (paid_on > when + "\uffff" or (window_start(when) and paid_on < window_start(when))):
                    continue
            links.append((paid_on, u, v, data))
        links.sort(key=lambda item: item[0], reverse=not forward)
        return links

    def expand(node: str, when: str | None, available: float | None, hop: int, visited: set[str], cur: str | None):
        steps = []
        remaining = available
        for paid_on, u, v, data in candidates(node, when, cur):
            if remaining is not None and remaining < min_carried:
                break
            carried = data["amount"] if remaining is None else min(remaining, data["amount"])
            if remaining is not None:
                remaining -= carried
            step = FlowStep(u, v, data["via"], paid_on, data["amount"], carried, data.get("currency"), hop)
            nxt = v if forward else u
            if hop < max_hops and nxt not in visited:
                step.children = expand(nxt, paid_on, carried, hop + 1, visited | {nxt}, cur or data.get("currency"))
            steps.append(step)
        return steps

    return expand(entity, start, amount, 1, {entity}, currency)


def flatten(steps: list[FlowStep]) -> list[FlowStep]:
    """All steps of a trace, depth first."""
    found = []
    for step in steps:
        found.append(step)
        found.extend(flatten(step.children))
    return found
