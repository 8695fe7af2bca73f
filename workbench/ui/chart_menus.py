"""Right-click menus on the chart: on an entity, on a link and on the empty background.

Each menu offers what can be done to what is under the pointer, through the main window's own
commands (so undo, the audit log and the status bar behave as from the menu bar). Right-
clicking an entity that is not selected selects it first, as file managers do; right-clicking
one of several selected entities keeps the selection, so "path between the two" and "merge"
work on the pair.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMenu

from workbench.analysis.layout import LAYOUTS as LAYOUT_NAMES
from workbench.plugin_api.wording import shorten
from workbench.ui.chart_hover import link_at
from workbench.ui.chart_model import bundle_caption

#: Layouts offered on the background, as the Chart menu names them (one table with the CLI's).
LAYOUTS = tuple((label, kind) for kind, label in LAYOUT_NAMES.items())
MAX_FINDINGS_LISTED = 12


class ChartMenus:
    """Builds and shows the chart's context menus for a main window."""

    def __init__(self, window):
        self.window = window
        self.chart = window.chart
        self.chart.setContextMenuPolicy(Qt.CustomContextMenu)
        self.chart.customContextMenuRequested.connect(self.popup)
        self.last_menu: QMenu | None = None

    @property
    def model(self):
        return self.chart.model

    def popup(self, viewport_pos: QPoint) -> None:
        """Show the menu for what is under ``viewport_pos`` (the chart's viewport pixels)."""
        menu = self.menu_at(viewport_pos)
        if menu is not None:
            menu.popup(self.chart.viewport().mapToGlobal(viewport_pos))

    def menu_at(self, viewport_pos: QPoint) -> QMenu | None:
        """The menu for what is under ``viewport_pos``: an entity's, a link's or the background's."""
        if self.window.case is None:
            return None
        scene_pos = self.chart.mapToScene(viewport_pos)
        node = self.chart.node_at(scene_pos)
        if node is not None:
            if node not in self.model.selected:
                self.model.select([node])
            menu = self.entity_menu(node)
        else:
            link = link_at(self.chart, scene_pos)
            menu = self.link_menu(link) if link is not None else self.background_menu()
        self.last_menu = menu
        return menu

    # ------------------------------------------------------------------ menus

    def entity_menu(self, index: int) -> QMenu:
        window, model = self.window, self.model
        chosen = sorted(model.selected) or [index]
        many = len(chosen) > 1
        what = f"{len(chosen)} selected" if many else "it"
        menu = QMenu(self.chart)
        menu.setToolTipsVisible(True)
        title = menu.addAction(model.captions[index] if not many else f"{len(chosen)} entities selected")
        title.setEnabled(False)
        menu.addSeparator()
        groups = [i for i in chosen if model.is_group(i)]
        if groups:
            g = model.group_of_node(groups[0])
            self._add(menu, f"Open group ({len(model.group_members[g]):,} entities)" if len(groups) == 1
                      else f"Open {len(groups)} groups", window._open_selected_groups,
                      "Draw its members in place of the group (double-click does the same)")
        if len(chosen) > 1:
            self._add(menu, f"Collapse {what} into a group…", lambda: window.groups.collapse_selection(),
                      "Draw them as one node, their links summed up")
        opened = [i for i in chosen if i < model.entity_count and model.member_group[i] >= 0
                  and not model.group_collapsed[model.member_group[i]]]
        if opened:
            self._add(menu, f"Close group {model.group_names[model.member_group[opened[0]]]!r}",
                      lambda: window.groups.collapse_group_of(opened))
        menu.addSeparator()
        hidden_neighbours = [i for i in model.neighbours(chosen) if not model.visible[i]]
        expand = self._add(menu, f"Expand neighbours ({len(hidden_neighbours)} hidden)" if hidden_neighbours
                           else "Expand neighbours", window.expand_selected)
        expand.setEnabled(bool(hidden_neighbours))
        self._add(menu, "Hide" if not many else f"Hide {what}", window.hide_selected)
        pinned = all(model.pinned[i] for i in chosen)
        self._add(menu, ("Unpin" if pinned else "Pin") + ("" if not many else f" {what}"), window.toggle_pin)
        self._add(menu, "Group…" if not many else f"Group {what}…", window.group_dialog)
        menu.addSeparator()
        pair = len(chosen) == 2
        hint = "" if pair else "Select two entities (Ctrl+click the second)"
        path = self._add(menu, "Path between the two selected", window.find_path, hint)
        timed = self._add(menu, "Time-ordered path between the two selected",
                          lambda: window.find_path(time_ordered=True), hint)
        merge = self._add(menu, "Merge the two selected (same party)", window.merge_selected, hint)
        for action in (path, timed, merge):
            action.setEnabled(pair)
        menu.addSeparator()
        self._findings_menu(menu, [model.ids[i] for i in chosen])
        menu.addSeparator()
        captions = [model.captions[i] for i in chosen]
        self._add(menu, "Copy caption" if not many else "Copy captions", lambda: _copy("\n".join(captions)))
        return menu

    def link_menu(self, k: int) -> QMenu:
        window, model = self.window, self.model
        link = model.links[k]
        ends = [link.source, link.target]
        parallel = [other for other in model.links if {other.source, other.target} == set(ends)]
        caption = f"{model.captions[link.source]} → {model.captions[link.target]}: {bundle_caption(parallel)}"
        menu = QMenu(self.chart)
        title = menu.addAction(shorten(caption, 70))
        title.setEnabled(False)
        menu.addSeparator()
        self._add(menu, "Select both ends", lambda: model.select(ends))
        self._add(menu, "Show its sources in the inspector", lambda: self._inspect(link.via))
        self._add(menu, "Show on the timeline", lambda: _show_on_timeline(window, {other.via for other in parallel}))
        # Hiding a link's two ends would take every other link of both away with it; hiding
        # is for entities, chosen one by one (Select both ends, then Hide).
        menu.addSeparator()
        self._add(menu, "Copy caption", lambda: _copy(caption))
        return menu

    def background_menu(self) -> QMenu:
        window, model = self.window, self.model
        menu = QMenu(self.chart)
        self._add(menu, "Fit to window", self.chart.fit)
        hidden = int((~model.visible).sum()) if len(model.visible) else 0
        show_all = self._add(menu, f"Show all hidden ({hidden})" if hidden else "Show all hidden", window.show_all)
        show_all.setEnabled(hidden > 0)
        layouts = menu.addMenu("Lay out")
        for label, kind in LAYOUTS:
            self._add(layouts, label, lambda _=False, kind=kind: window.run_layout(kind))
        menu.addSeparator()
        select_all = self._add(menu, "Select all", lambda: model.select(range(len(model.ids))))
        select_all.setEnabled(bool(len(model.ids)))
        return menu

    # ------------------------------------------------------------------ helpers

    def _findings_menu(self, menu: QMenu, entity_ids: list[str]) -> None:
        case = self.window.case
        wanted: set[int] = set()
        for entity_id in entity_ids:
            wanted.update(case.findings_for(entity_id))
        rows = [row for row in case.findings() if row["id"] in wanted] if wanted else []
        if not rows:
            none = menu.addAction("Findings about it: none" if len(entity_ids) == 1 else "Findings about them: none")
            none.setEnabled(False)
            return
        sub = menu.addMenu(f"Findings about {'it' if len(entity_ids) == 1 else 'them'} ({len(rows)})")
        for row in rows[:MAX_FINDINGS_LISTED]:
            text = f"[{row['severity']}] {shorten(row.get('explanation') or row['detector_id'], 80)}"
            self._add(sub, text, lambda _=False, row=row: self._show_finding(row))
        if len(rows) > MAX_FINDINGS_LISTED:
            more = sub.addAction(f"… and {len(rows) - MAX_FINDINGS_LISTED} more in the Findings panel")
            more.triggered.connect(lambda: self._raise_dock("Findings"))

    def _show_finding(self, row: dict) -> None:
        self._raise_dock("Findings")
        self.window.show_finding(row)

    def _inspect(self, entity_id: str) -> None:
        self._raise_dock("Inspector")
        self.window.inspector.show_entity(self.window.case, entity_id)

    def _raise_dock(self, name: str) -> None:
        dock = self.window.findChild(QDockWidget, name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def _add(self, menu: QMenu, text: str, slot, tip: str = "") -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda _=False: slot())
        if tip:
            action.setToolTip(tip)
        return action


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


def _show_on_timeline(window, vias: set[str]) -> None:
    """Ring the link's events on the timeline and scroll their lanes and dates into view."""
    window.timeline.select_vias(vias)
    window.timeline.reveal_vias(vias)
