"""Big charts on the main window: the overview, collapsing and opening groups, ways in.

A case with more than :data:`~workbench.analysis.grouping.OVERVIEW_THRESHOLD` entities on the
chart opens on an overview (communities drawn as one node each, listed parties and entities of
high-severity findings as themselves). From there the analyst goes in, i2- and Maltego-style:
double-click a group to open it in place, start from a finding or a search (its entities come
out of their groups with their neighbours), expand hop by hop, collapse any selection again.
Every step is one entry of the case's undo journal, so Ctrl+Z walks back the way it came.

The work that takes time (communities, layouts) runs in a worker; this module only decides
and draws.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QInputDialog

from workbench.analysis import grouping
from workbench.analysis.layout import EDGE_LENGTH

AUTO_KINDS = ("community", "type", "country")
#: Groups this small open at once; bigger ones are laid out (or split) in a worker.
SYNCHRONOUS_OPEN = 60
#: Distance between neighbouring members when a group opens in place (chart units).
MEMBER_SPACING = EDGE_LENGTH * 0.9


class GroupActions:
    """The group commands of a :class:`~workbench.ui.main_window.MainWindow`."""

    def __init__(self, window):
        self.window = window
        self.last_expand: dict | None = None

    @property
    def model(self):
        return self.window.model

    @property
    def case(self):
        return self.window.case

    # ------------------------------------------------------------------ state

    def refresh(self) -> None:
        """Take the case's groups into the chart (after a change or an undo)."""
        if self.case is not None:
            self.model.set_groups(self.case.chart_groups(), self.case.group_members())

    def _commit(self, groups: dict, members: dict, label: str, items: dict | None = None) -> None:
        """One undoable step in the case, then the chart follows: positions, then groups."""
        self.case.set_chart_groups(groups, members, label=label, items=items)
        model = self.model
        index = {e: i for i, e in enumerate(model.ids[: model.entity_count])}
        for entity_id, fields in (items or {}).items():
            i = index.get(entity_id)
            if i is not None and "x" in fields and "y" in fields:
                model.positions[i] = (fields["x"], fields["y"])
        self.refresh()

    def standouts(self) -> set[str]:
        """Entities an overview never hides inside a group: listed parties, high-severity evidence."""
        model = self.model
        n = model.entity_count
        listed = model.listed[:n] if len(model.topics) >= n else np.zeros(n, dtype=bool)
        return {model.ids[i] for i in range(n) if listed[i] or model.severity[i] == "high"}

    def needs_overview(self) -> bool:
        """Whether the chart as it stands is too big to read (and no groups are set yet)."""
        model = self.model
        if self.case is None or model.group_names or getattr(self.case, "readonly", False):
            return False  # a read-only case cannot keep groups: it shows every entity
        return int(model.shown[: model.entity_count].sum()) > grouping.OVERVIEW_THRESHOLD

    # ------------------------------------------------------------------ the overview

    def overview(self, by: str = "community", *, then_layout: bool = True) -> None:
        """Group the chart's entities (by community, type or country) and collapse every group."""
        window, model = self.window, self.model
        if self.case is None or window._job is not None:
            return
        n = model.entity_count
        shown_ids = [model.ids[i] for i in np.flatnonzero(model.visible[:n])]
        keep_out = self.standouts()
        captions = dict(zip(model.ids[:n], model.captions[:n]))
        old_auto = {name for name, kind in zip(model.group_names, model.group_kinds) if kind in AUTO_KINDS}
        taken = set(model.group_names) - old_auto
        shown = np.flatnonzero(model.visible[:n])
        countries = self.case.entity_countries() if by == "country" else {}
        schemata = dict(zip(model.ids[:n], model.schemata[:n]))

        def job(progress, cancelled):
            progress(0.05)
            candidates = [e for e in shown_ids if e not in keep_out]
            if by == "type":
                return grouping.by_attribute({e: schemata[e] for e in candidates}, taken=taken)
            if by == "country":
                return grouping.by_attribute({e: countries.get(e, "no country") for e in candidates}, taken=taken)
            return grouping.overview_groups(model.links_graph(shown), keep_out, captions, taken=taken)

        def finished(groups: dict[str, list]):
            if not groups:
                window.status.setText("No groups to make: every entity stands alone")
                return
            members: dict[str, str | None] = {}
            old = self.case.group_members()
            for entity_id, name in old.items():
                if name in old_auto:
                    members[entity_id] = None
            for name, held in groups.items():
                for entity_id in held:
                    members[entity_id] = name
            changes: dict = {name: None for name in old_auto}
            changes.update({name: {"kind": by, "collapsed": True, "x": None, "y": None} for name in groups})
            grouped = sum(len(held) for held in groups.values())
            self._commit(changes, members, label=f"Overview: {len(groups)} groups by {by}")
            shown = int(model.shown.sum())
            window._update_status()
            window.status.setText(
                f"Overview: {grouped:,} entities in {len(groups)} groups by {by}, {shown} items on the chart. "
                "Double-click a group to open it; Ctrl+Z undoes.")
            if then_layout:
                window.run_layout("force", initial=True)

        window.run_in_worker(job, finished, starting=f"Finding groups by {by}…", failure="Overview failed",
                             cancelled="Overview cancelled; the chart is as it was")

    def show_everything(self) -> None:
        """Drop every group made by an overview: all entities on the chart as themselves."""
        model = self.model
        auto = [name for name, kind in zip(model.group_names, model.group_kinds) if kind in AUTO_KINDS]
        if not auto or self.case is None:
            return
        names = set(auto)
        members = {e: None for e, name in self.case.group_members().items() if name in names}
        self._commit({name: None for name in auto}, members, label=f"Ungroup {len(auto)} groups")
        self.window._update_status()
        if model.unplaced[np.flatnonzero(model.shown)].any():
            self.window.run_layout("force")

    def snapshot(self) -> dict:
        """The chart's groups as a saved view keeps them: each group and each member's group."""
        if self.case is None:
            return {}
        return {"groups": self.case.chart_groups(), "members": self.case.group_members()}

    def restore(self, state: dict, *, label: str) -> None:
        """Put the groups of a saved view back (groups made since are undone, members regrouped)."""
        saved_groups: dict = state.get("groups") or {}
        saved_members: dict = state.get("members") or {}
        now_groups, now_members = self.case.chart_groups(), self.case.group_members()
        if saved_groups == now_groups and saved_members == now_members:
            return
        groups: dict = {name: None for name in now_groups if name not in saved_groups}
        groups.update({name: dict(fields) for name, fields in saved_groups.items() if now_groups.get(name) != fields})
        members = {e: None for e in now_members if e not in saved_members}
        members.update({e: name for e, name in saved_members.items() if now_members.get(e) != name})
        self.case.set_chart_groups(groups, members, label=label)

    # ------------------------------------------------------------------ open and collapse

    def open_group(self, node: int) -> None:
        """Open a collapsed group in place; a big one opens into its own communities.

        The members' layout (and a big group's communities) are worked out in a worker when
        there are more than a few dozen of them: the window stays responsive, with progress.
        """
        model, case, window = self.model, self.case, self.window
        g = model.group_of_node(node)
        if g is None or case is None or not model.group_collapsed[g] or window._job is not None:
            return
        name = model.group_names[g]
        member_ids = model.members_of(g)
        centre = model.positions[node]
        centre = np.zeros(2) if np.isnan(centre).any() else np.array(centre, dtype=float)
        captions = dict(zip(model.ids[: model.entity_count], model.captions[: model.entity_count]))
        graph, taken = model.links_graph(model.group_members[g]), set(model.group_names)

        def plan(progress=lambda f: None, cancelled=lambda: False):
            if len(member_ids) > grouping.SPLIT_ABOVE:
                parts = grouping.split_groups(graph, member_ids, captions, taken=taken)
                if parts:
                    return "parts", parts, _parts_layout(graph, member_ids, parts, centre)
            return "members", None, grouping.member_positions(graph, member_ids, tuple(centre),
                                                              spacing=MEMBER_SPACING)

        def finished(result):
            if name not in model.group_names:
                return  # undone meanwhile
            kind, parts, placed = result
            if kind == "parts":
                self._open_into_parts(model.group_names.index(name), parts, centre, placed)
            else:
                self._open_in_place(model.group_names.index(name), centre, placed)

        if len(member_ids) <= SYNCHRONOUS_OPEN:
            window._job = None
            finished(plan())
            return

        window.run_in_worker(plan, finished, starting=f"Opening {name!r} ({len(member_ids):,} entities)…",
                             failure=f"Could not open {name!r}",
                             cancelled=f"Opening {name!r} cancelled; nothing changed")

    def _open_in_place(self, g: int, centre: np.ndarray, placed: dict) -> None:
        model = self.model
        name = model.group_names[g]
        member_ids = model.members_of(g)
        node = model.entity_count + g
        xy = np.array(list(placed.values()))
        radius = float(np.hypot(*(xy - centre).T).max()) + MEMBER_SPACING if len(xy) else MEMBER_SPACING
        items = {e: {"x": x, "y": y} for e, (x, y) in placed.items()}
        groups: dict = {name: {"collapsed": False}}
        self._make_way(centre, radius, exclude={node}, items=items, groups=groups)
        self._commit(groups, {}, label=f"Open group {name!r} ({len(member_ids)} entities)", items=items)
        index = {e: i for i, e in enumerate(model.ids)}
        self.window.chart.frame({index[e] for e in member_ids if e in index})
        self.window._update_status()
        self.window.status.setText(f"Opened {name!r}: {len(member_ids)} entities. Ctrl+Z closes it again.")

    def _open_into_parts(self, g: int, parts: dict[str, list], centre: np.ndarray, placed: dict) -> None:
        model = self.model
        name, kind = model.group_names[g], model.group_kinds[g]
        member_ids = model.members_of(g)
        in_part = {e: part for part, held in parts.items() for e in held}
        loose = [e for e in member_ids if e not in in_part]
        xy = np.array(list(placed.values()))
        radius = float(np.hypot(*(xy - centre).T).max()) + MEMBER_SPACING * 2 if len(xy) else MEMBER_SPACING
        groups: dict = {name: None}
        groups.update({part: {"kind": kind, "collapsed": True, "x": placed[part][0], "y": placed[part][1]}
                       for part in parts})
        items = {e: {"x": placed[e][0], "y": placed[e][1]} for e in loose}
        node = model.entity_count + g
        self._make_way(centre, radius, exclude={node}, items=items, groups=groups)
        members = {e: in_part.get(e) for e in member_ids}
        self._commit(groups, members, items=items, label=f"Open group {name!r} into {len(parts)} groups")
        index = {e: i for i, e in enumerate(model.ids)}
        shown_now = {index[f"group:{part}"] for part in parts if f"group:{part}" in index}
        shown_now |= {index[e] for e in loose if e in index}
        self.window.chart.frame(shown_now)
        self.window._update_status()
        self.window.status.setText(
            f"{name!r} had {len(member_ids):,} entities: opened into {len(parts)} smaller groups"
            + (f" and {len(loose)} entities" if loose else "") + ". Double-click one to go on; Ctrl+Z goes back.")

    def _make_way(self, centre, radius: float, *, exclude: set[int], items: dict, groups: dict) -> None:
        """Push every other drawn node out of the disc an opened group takes (one undo step with it)."""
        model = self.model
        others = [i for i in np.flatnonzero(model.shown & ~model.unplaced) if i not in exclude]
        if not others:
            return
        moved = grouping.make_way(model.positions[others], tuple(centre), radius)
        for i, (x, y) in zip(others, moved):
            entity_id = model.ids[i]
            if model.is_group(i):
                groups.setdefault(entity_id[len("group:"):], {}).update({"x": float(x), "y": float(y)})
            elif entity_id not in items:
                items[entity_id] = {"x": float(x), "y": float(y)}

    def collapse_selection(self, name: str | None = None) -> None:
        """Collapse the selected entities (and selected groups' members) into one new group."""
        model, case = self.model, self.case
        chosen = sorted(model.selected)
        if case is None or not chosen:
            return
        member_ids: list[str] = []
        retired: dict = {}
        for i in chosen:
            g = model.group_of_node(i)
            if g is None:
                member_ids.append(model.ids[i])
            else:
                member_ids.extend(model.members_of(g))
                retired[model.group_names[g]] = None
        if len(member_ids) < 2:
            self.window.status.setText("Select two or more entities to collapse into a group")
            return
        if name is None:
            suggested = grouping.group_caption(member_ids, dict(zip(model.ids, model.captions)))
            text, ok = QInputDialog.getText(self.window, "Collapse into group", "Group name:", text=suggested)
            if not ok or not text.strip():
                return
            name = text.strip()
        name = grouping.unique_names([name], set(model.group_names) - set(retired))[0]
        xy = model.positions[chosen]
        xy = xy[~np.isnan(xy).any(axis=1)]
        centre = xy.mean(axis=0) if len(xy) else (None, None)
        groups = dict(retired)
        groups[name] = {"kind": "analyst", "collapsed": True, "x": _num(centre[0]), "y": _num(centre[1])}
        self._commit(groups, {e: name for e in member_ids},
                              label=f"Collapse {len(member_ids)} entities into {name!r}")
        self.window._update_status()
        self.window.status.setText(f"Collapsed {len(member_ids)} entities into {name!r}; double-click it to open")

    def collapse_group_of(self, indices) -> None:
        """Close the opened groups the given entities belong to again."""
        model, case = self.model, self.case
        names = {model.group_names[model.member_group[i]] for i in indices
                 if i < model.entity_count and model.member_group[i] >= 0}
        names = {n for n in names if not model.group_collapsed[model.group_names.index(n)]}
        if not names or case is None:
            return
        self._commit({n: {"collapsed": True} for n in names}, {},
                     label=f"Collapse group{'s' if len(names) > 1 else ''} " + ", ".join(map(repr, sorted(names))))
        self.window._update_status()

    # ------------------------------------------------------------------ ways in

    def bring_out(self, entity_ids, *, label: str, placed: dict | None = None,
                  room: tuple[np.ndarray, float, set[int]] | None = None) -> list[int]:
        """Take entities out of collapsed groups so that they are drawn as themselves (one undo step).

        Each comes out where ``placed`` says, else next to its group's node unless it was placed
        before. With ``room`` (centre, radius, indices that stay), the rest of the chart moves out
        to leave a free disc there, in the same step. Returns the chart indices of the entities
        asked for.
        """
        placed = placed or {}
        model, case = self.model, self.case
        index = {e: i for i, e in enumerate(model.ids[: model.entity_count])}
        chosen = [index[e] for e in dict.fromkeys(entity_ids) if e in index]
        inside = [i for i in chosen if model.member_group[i] >= 0
                  and model.group_collapsed[model.member_group[i]]]
        hidden = [i for i in chosen if not model.visible[i]]
        if case is None or not (inside or hidden):
            return chosen
        items: dict = {model.ids[i]: {"hidden": 0} for i in hidden}
        for entity_id, (x, y) in placed.items():
            items.setdefault(entity_id, {}).update({"x": float(x), "y": float(y)})
        rng = np.random.default_rng(len(inside))
        for k, i in enumerate(inside):
            if model.ids[i] in placed or not np.isnan(model.positions[i]).any():
                continue
            node = model.entity_count + model.member_group[i]
            centre = model.positions[node]
            if np.isnan(centre).any():
                continue
            angle = rng.uniform(0, 2 * np.pi)
            distance = MEMBER_SPACING * (1.2 + 0.35 * np.sqrt(k))
            items.setdefault(model.ids[i], {}).update(
                {"x": float(centre[0] + distance * np.cos(angle)), "y": float(centre[1] + distance * np.sin(angle))})
        groups: dict = {}
        if room is not None:
            centre, radius, staying = room
            self._make_way(centre, radius, exclude=staying | set(chosen), items=items, groups=groups)
        self._commit(groups, {model.ids[i]: None for i in inside}, label=label, items=items)
        if hidden:
            model.set_visible(hidden, True)
        index = {e: i for i, e in enumerate(model.ids[: model.entity_count])}
        return [index[model.ids[i]] for i in chosen]

    def expand(self, limit: int = grouping.EXPAND_LIMIT, *, origin: list[str] | None = None) -> tuple[int, int]:
        """One hop out from the selection (or from the entities ``origin``, as "Show more" asks):
        their neighbours that are not drawn (hidden or inside a collapsed group) come onto the
        chart, the most linked first, at most ``limit`` at a time. When more wait, the status bar
        offers "Show N more", which goes on from the same entities. Returns (brought, still waiting)."""
        model = self.model
        self.window.show_more_button.hide()
        if origin is not None:
            position = {entity_id: i for i, entity_id in enumerate(model.ids[: model.entity_count])}
            chosen = [position[e] for e in origin if e in position]
        else:
            chosen = [i for i in model.selected if i < model.entity_count]
            for i in model.selected:
                g = model.group_of_node(i)
                if g is not None:
                    chosen.extend(model.group_members[g].tolist())
        if not chosen or self.case is None:
            return 0, 0
        n = model.entity_count
        wanted = np.zeros(n, dtype=bool)
        wanted[chosen] = True
        drawn = np.asarray(model.shown[:n], dtype=bool)
        ends = model.link_ends
        degree = model.entity_degree
        # The selection's neighbours, in one pass over the links: those not drawn wait to come out,
        # those drawn already keep their place around it.
        neighbour = np.zeros(n, dtype=bool)
        if len(ends):
            for a, b in ((ends[:, 0], ends[:, 1]), (ends[:, 1], ends[:, 0])):
                neighbour[b[wanted[a]]] = True
        neighbour &= ~wanted
        waiting = np.flatnonzero(neighbour & ~drawn).tolist()
        if not waiting:
            self.window.status.setText("Every neighbour of the selection is on the chart already")
            return 0, 0
        order = sorted(waiting, key=lambda i: (-degree[i], model.captions[i]))
        take, rest = order[:limit], order[limit:]
        origin_ids = [model.ids[i] for i in sorted(set(chosen))]
        ids = [model.ids[i] for i in take]
        placed, room = self._around(chosen, take, neighbour & drawn)
        brought = self.bring_out(ids, label=f"Expand {len(take)} neighbours" + (f" ({len(rest)} more)" if rest else ""),
                                 placed=placed, room=room)
        model.select(brought, add=True)
        if model.unplaced[brought].any() if brought else False:
            self.window.run_layout("force")
        more = f"; {len(rest):,} more wait" if rest else ""
        self.window._update_status()
        self.window.status.setText(f"Brought {len(take)} neighbours onto the chart{more}")
        if rest:
            self.window.offer_more(limit, len(rest), origin_ids)
        return len(take), len(rest)


    def _around(self, origin: list[int], take: list[int], drawn_neighbour: np.ndarray):
        """Where expanded neighbours go (Maltego's habit): on a ring around the entities they were
        expanded from, outside their neighbours already drawn (``drawn_neighbour``), with the rest
        of the chart moved out to make room. None when the origin is not drawn anywhere."""
        model = self.model
        drawn_origin = [i for i in origin if model.shown[i] and not np.isnan(model.positions[i]).any()]
        if not drawn_origin or not take:
            return None, None
        centre = model.positions[drawn_origin].mean(axis=0)
        # Neighbours of the origin already on the chart keep their place; the new ring goes outside them.
        near = drawn_neighbour & ~np.isnan(model.positions[: model.entity_count]).any(axis=1)
        inner = float(np.hypot(*(model.positions[np.flatnonzero(near)] - centre).T).max()) if near.any() else 0.0
        # Neighbours about MEMBER_SPACING apart along the ring.
        radius = max(inner + MEMBER_SPACING, MEMBER_SPACING * max(1.5, len(take) / (2 * np.pi)))
        angles = np.linspace(0.0, 2 * np.pi, len(take), endpoint=False) + 0.3 * (inner > 0)
        placed = {model.ids[i]: (float(centre[0] + radius * np.cos(a)), float(centre[1] + radius * np.sin(a)))
                  for i, a in zip(take, angles)}
        staying = set(drawn_origin) | set(np.flatnonzero(near).tolist())
        return placed, (centre, radius + MEMBER_SPACING, staying)


def _num(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _parts_layout(graph, member_ids: list, parts: dict[str, list], centre: np.ndarray) -> dict:
    """Where a big group's parts (and its loose members) go: laid out by the links between them."""
    import networkx as nx

    in_part = {e: part for part, held in parts.items() for e in held}
    small = nx.Graph()
    small.add_nodes_from(list(parts) + [e for e in member_ids if e not in in_part])
    for u, v in graph.subgraph(member_ids).edges():
        a, b = in_part.get(u, u), in_part.get(v, v)
        if a != b:
            small.add_edge(a, b)
    return grouping.member_positions(small, list(small.nodes), tuple(centre), spacing=MEMBER_SPACING * 2.2)
