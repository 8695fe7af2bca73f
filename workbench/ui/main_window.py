"""The main window: chart in the centre, inspector and case browser docked, menus and shortcuts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QStringListModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.analysis.graph import GraphFilter, case_graph
from workbench.store import SUFFIX, Case, CaseError
from workbench.ui.chart_hover import attach_tooltips
from workbench.ui.chart_menus import ChartMenus
from workbench.ui.chart_model import GROUP_LINKS_DRAWN, ChartModel
from workbench.ui.chart_view import ChartView
from workbench.ui.dialogs import EntityDialog, LinkDialog, ValueDialog
from workbench.ui.export_dialogs import export_chart_dialog, export_timeline_dialog, report_dialog
from workbench.ui.filter_panel import FilterPanel
from workbench.ui.findings_panel import FindingsPanel
from workbench.ui.group_actions import GroupActions
from workbench.ui.legend_panel import install_legend_dock
from workbench.ui.timeline import SECONDS_PER_DAY, TimelineModel, TimelineView
from workbench.ui.panels import CaseBrowserPanel, InspectorPanel
from workbench.ui.workers import Cancelled, start_job

MAX_RECENT = 8
#: SQLite page cache of the window's connections to the case, in kilobytes (the store's default
#: of 256 MB suits big imports; the window reads a case once, and pages stay in the OS's cache).
WINDOW_CACHE_KB = 8192
# Distinguishable colours for communities (Tableau 10).
_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
            "#bab0ac"]


def demo_case_path() -> Path:
    """Where the app keeps its copy of the demo case (rebuilt if deleted)."""
    from workbench.paths import user_data_dir

    return user_data_dir() / ("demo" + SUFFIX)


def compute_layout(graph, pinned, initial, progress, cancelled, kind: str = "force", boxes=None, viewport=None,
                   groups=None):
    """Positions for the chart, from the analysis engine (no Qt), run in a worker thread.

    ``kind`` is one of :data:`workbench.analysis.layout.LAYOUTS` (``groups`` for "group").
    With ``boxes`` (each entity's icon and label in pixels) the layout is spaced out afterwards
    so that no two labels overlap when the chart is fitted to ``viewport``.
    """
    from workbench.analysis import layout

    try:
        positions = layout.lay_out(graph, kind, pinned=pinned, initial=initial, groups=groups, progress=progress,
                                   cancelled=cancelled)
    except layout.LayoutCancelled as error:
        raise Cancelled() from error
    if boxes:
        positions = layout.make_room(positions, boxes, viewport=viewport, pinned=pinned or (),
                                     keep_rows=kind == "hierarchical")
    return positions


class _SearchField(QLineEdit):
    """The toolbar's search field: ``on_focus`` runs before it is typed into (to fill its completions)."""

    def __init__(self, on_focus):
        super().__init__()
        self._on_focus = on_focus

    def focusInEvent(self, event) -> None:
        self._on_focus()
        super().focusInEvent(event)


class StartPage(QWidget):
    """What an empty window shows: the way to the demo case is one click."""

    def __init__(self, window: "MainWindow"):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("<h2>Workbench</h2><p>Offline link analysis for counterproliferation investigations.</p>")
        title.setAlignment(Qt.AlignCenter)
        layout.addWidget(title)
        for label, slot in (("Open the demo case", window.open_demo), ("Open a case…", window.open_dialog),
                            ("New case…", window.new_dialog)):
            button = QPushButton(label)
            button.setMinimumHeight(34)
            button.clicked.connect(slot)
            layout.addWidget(button, alignment=Qt.AlignCenter)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("Workbench")
        self.case: Case | None = None
        self.model = ChartModel()
        self.chart = ChartView(self.model)
        self.chart.nodesMoved.connect(self._save_moves)
        self.groups = GroupActions(self)
        self.chart.nodeDoubleClicked.connect(self._double_clicked)
        self.model.subscribe(self._on_model)
        self._job = None
        self._loads: dict[str, tuple] = {}  # reads in workers that the first frame does not wait for
        self._echoing_timeline = False
        self.last_notice = ""

        self.stack = QStackedWidget()
        self.stack.addWidget(StartPage(self))
        self.stack.addWidget(self.chart)
        self.setCentralWidget(self.stack)

        self.graph_filter = GraphFilter()
        self.inspector = InspectorPanel()
        self.inspector.add_value_button.clicked.connect(self.add_value_dialog)
        self.inspector.relatedEntityActivated.connect(self.find_entity)
        self.browser = CaseBrowserPanel()
        self.browser.entityActivated.connect(self.find_entity)
        self.browser.viewActivated.connect(self.apply_view)
        self.filters = FilterPanel()
        self.filters.filterChanged.connect(self.apply_filter)
        from workbench.ui.exercise import ExercisePanel

        self.exercise = ExercisePanel(self)
        self.findings = FindingsPanel()
        self.findings.findingSelected.connect(self.show_finding)
        self.findings.runRequested.connect(self.run_detectors)
        self.findings.cancel_button.clicked.connect(self._cancel_job)
        self.timeline = TimelineView()
        self.timeline.eventsSelected.connect(self._events_selected)
        self.timeline.windowBrushed.connect(self._window_brushed)
        docks = []
        for title, widget, area in (("Case", self.browser, Qt.LeftDockWidgetArea),
                                    ("Inspector", self.inspector, Qt.RightDockWidgetArea),
                                    ("Filters", self.filters, Qt.LeftDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(title)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            docks.append(dock)
        self.tabifyDockWidget(docks[0], docks[2])
        docks[0].raise_()
        findings_dock = QDockWidget("Findings", self)
        findings_dock.setObjectName("Findings")
        findings_dock.setWidget(self.findings)
        self.addDockWidget(Qt.RightDockWidgetArea, findings_dock)
        self.tabifyDockWidget(docks[1], findings_dock)
        exercise_dock = QDockWidget("Exercise", self)
        exercise_dock.setObjectName("Exercise")
        exercise_dock.setWidget(self.exercise)
        self.addDockWidget(Qt.RightDockWidgetArea, exercise_dock)
        self.tabifyDockWidget(docks[1], exercise_dock)
        self.exercise_dock = exercise_dock
        docks[1].raise_()
        timeline_dock = QDockWidget("Timeline", self)
        timeline_dock.setObjectName("Timeline")
        timeline_dock.setWidget(self.timeline)
        self.addDockWidget(Qt.BottomDockWidgetArea, timeline_dock)
        self.resizeDocks([timeline_dock], [260], Qt.Vertical)
        self.resizeDocks(docks[:2], [260, 420], Qt.Horizontal)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self._cancel_job)
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        # "Show 40 more": the next neighbours of the entities last expanded (a hub can have thousands).
        self.show_more_button = QPushButton("Show more")
        self.show_more_button.setToolTip("Bring the next neighbours of the same entities onto the chart")
        self.show_more_button.hide()
        self.show_more_button.clicked.connect(self._show_more)
        self._more_origin: list[str] = []
        self._more_limit = 0
        self.statusBar().addPermanentWidget(self.show_more_button)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self._build_actions()
        # The chart's key, hover tooltips and right-click menus live in their own modules.
        self.legend_dock = install_legend_dock(self)
        self.chart_tooltips, self.timeline_tooltips = attach_tooltips(self)
        self.chart_menus = ChartMenus(self)
        self.resize(1600, 1000)
        self.setAcceptDrops(True)

    # ------------------------------------------------------------------ actions

    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New case…", self.new_dialog, QKeySequence.New)
        self._action(file_menu, "&Open case…", self.open_dialog, QKeySequence.Open)
        self._action(file_menu, "Open the &demo case", self.open_demo)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._action(file_menu, "Save case &as…", self.save_as_dialog, QKeySequence.SaveAs)
        self._action(file_menu, "&Import data…", self.import_dialog, "Ctrl+I", "Import a file (or drop it on the window)")
        file_menu.addSeparator()
        self._action(file_menu, "Save &view…", self.save_view, "Ctrl+Shift+S")
        self._action(file_menu, "Export chart &image… (PNG, SVG, PDF)", lambda: export_chart_dialog(self), "Ctrl+Shift+E")
        self._action(file_menu, "Export &timeline image…", lambda: export_timeline_dialog(self))
        self._action(file_menu, "Case &report… (PDF, HTML)", lambda: report_dialog(self), "Ctrl+Shift+R")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        self._refresh_recent()

        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", self.undo, QKeySequence.Undo)
        self.redo_action = self._action(edit, "&Redo", self.redo, QKeySequence.Redo)
        edit.addSeparator()
        self._action(edit, "Select &all", lambda: self.model.select(range(len(self.model.ids))), QKeySequence.SelectAll)
        self._action(edit, "&Find…", self.focus_search, QKeySequence.Find)

        edit.addSeparator()
        self._action(edit, "New &entity…", self.new_entity_dialog, "Ctrl+Shift+N", "Add a party you found yourself")
        self._action(edit, "&Link selected…", self.link_dialog, "Ctrl+K", "Link two selected entities, with a source note")
        self._action(edit, "Add &value to selected…", self.add_value_dialog, "Ctrl+Shift+V")
        self._action(edit, "&Merge selected (same party)", self.merge_selected, "Ctrl+M")

        chart = bar.addMenu("&Chart")
        self._action(chart, "&Hide selected", self.hide_selected, QKeySequence.Delete)
        self._action(chart, "Show &all hidden", self.show_all, "Ctrl+Shift+H")
        self._action(chart, "E&xpand neighbours", self.expand_selected, "Ctrl+E",
                     "Show the hidden entities linked to the selection")
        self._action(chart, "&Pin / unpin selected", self.toggle_pin, "P")
        self._action(chart, "&Group selected…", self.group_dialog, "Ctrl+Shift+G", "Name a group; lay out by group to gather it")
        chart.addSeparator()
        self._action(chart, "C&ollapse selected into a group…", lambda: self.groups.collapse_selection(), "Ctrl+Shift+C",
                     "Draw the selected entities as one node, their links summed up")
        self._action(chart, "Op&en selected group", self._open_selected_groups, "Return",
                     "Open the selected collapsed group in place (or double-click it)")
        self._action(chart, "Close the group of selected", lambda: self.groups.collapse_group_of(self.model.selected))
        overview = chart.addMenu("O&verview")
        self._action(overview, "By &community", lambda: self.groups.overview("community"), "Ctrl+Shift+O",
                     "One node per community; listed parties and high-severity evidence stay as themselves")
        self._action(overview, "By &type", lambda: self.groups.overview("type"))
        self._action(overview, "By c&ountry", lambda: self.groups.overview("country"))
        self._action(overview, "&Show every entity (no overview groups)", self.groups.show_everything)
        chart.addSeparator()
        self._action(chart, "&Force-directed layout", lambda: self.run_layout("force"), "Ctrl+L")
        self._action(chart, "Hie&rarchical layout (ownership)", lambda: self.run_layout("hierarchical"), "Ctrl+Shift+L")
        self._action(chart, "&Circular layout", lambda: self.run_layout("circular"))
        self._action(chart, "Group by &type", lambda: self.run_layout("type"))
        self._action(chart, "Lay out by &group", lambda: self.run_layout("group"))
        self._action(chart, "&Fit to window", self.chart.fit, "F")
        chart.addSeparator()
        self._action(chart, "Clear &highlights", self.clear_highlights, "Esc",
                     "Draw the whole chart again: no finding or path in focus, nothing selected")
        self.evidence_only_action = self._action(chart, "Show &only the evidence", self.set_evidence_only, "Shift+E",
                                                 "Only the selected finding's (or path's) entities and links")
        self.evidence_only_action.setCheckable(True)
        self._action(chart, "Clear time &window", lambda: self.timeline.set_brush(None, None), "Ctrl+Shift+W")

        analysis = bar.addMenu("&Analysis")
        self._action(analysis, "Find &path between two selected", self.find_path, "Ctrl+P")
        self._action(analysis, "Find &time-ordered path", lambda: self.find_path(time_ordered=True), "Ctrl+Shift+P")
        self._action(analysis, "&Ego network of selected", self.ego_network, "Ctrl+G")
        analysis.addSeparator()
        self._action(analysis, "Colour by &community", self.colour_by_community)
        for measure in ("pagerank", "betweenness", "degree"):
            self._action(analysis, f"Size by {measure}", lambda _=False, m=measure: self.size_by(m))
        self._action(analysis, "&Reset colours and sizes", lambda: self.model.style_by(None, None))

        training = bar.addMenu("&Training")
        self._action(training, "Mark selected as &suspicious…", self.mark_suspicious_dialog, "Ctrl+Shift+M")
        self._action(training, "&Score and debrief", self.show_exercise_score)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Plugins…", self.plugins_dialog)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.addAction(self.undo_action)
        toolbar.addAction(self.redo_action)
        toolbar.addSeparator()
        self.search = _SearchField(self._fill_completions)
        self.search.setPlaceholderText("Find entity (Ctrl+F)")
        self.search.setMaximumWidth(320)
        self.completions = QStringListModel()
        completer = QCompleter(self.completions, self)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        completer.setFilterMode(Qt.MatchContains)
        self.search.setCompleter(completer)
        self.search.returnPressed.connect(lambda: self.find_text(self.search.text()))
        completer.activated.connect(self.find_text)
        toolbar.addWidget(self.search)
        self.addToolBar(toolbar)

    # ------------------------------------------------------------------ cases

    def open_case(self, path: str | Path) -> bool:
        try:
            case = Case.open(path)
        except CaseError as error:
            QMessageBox.warning(self, "Cannot open case", str(error))
            return False
        # The window reads what is drawn and writes small edits; imports and detectors use their
        # own connections. A small page cache keeps a big case's pages in the OS's cache, not twice.
        case.set_cache_size(WINDOW_CACHE_KB)
        if self.case is not None:
            self.case.close()
        self.case = case
        self.graph_filter = GraphFilter()
        self.setWindowTitle(f"{case.meta('title')} — Workbench")
        self._remember(case.path)
        self.reload(fit=True)
        self.browser.load(case)
        self.filters.load(case)
        self.load_timeline()
        self.findings.load(case)
        self.exercise.refresh()
        self.stack.setCurrentWidget(self.chart)
        if self.groups.needs_overview():
            # Too many entities to read at once: open on groups (it lays them out when done).
            self.groups.overview("community")
        elif self.model.unplaced[np.flatnonzero(self.model.shown)].any():
            self.run_layout("force", initial=True)
        return True

    def open_demo(self) -> None:
        from workbench.demo import build_demo_case

        path = demo_case_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            build_demo_case(path).close()
        self.open_case(path)

    def open_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open case", str(Path.home()), f"Cases (*{SUFFIX});;All files (*)")
        if name:
            self.open_case(name)

    def new_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "New case", str(Path.home()), f"Cases (*{SUFFIX})")
        if name:
            try:
                Case.create(name).close()
            except CaseError as error:
                QMessageBox.warning(self, "Cannot create case", str(error))
                return
            self.open_case(name if name.endswith(SUFFIX) else name + SUFFIX)

    def save_as_dialog(self) -> None:
        if self.case is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save case as", str(self.case.path.parent), f"Cases (*{SUFFIX})")
        if not name:
            return
        target = Path(name if name.endswith(SUFFIX) else name + SUFFIX)
        self.case.copy_to(target)  # a consistent snapshot, write-ahead log included
        self.open_case(target)

    def load_timeline(self) -> None:
        """Read the case's timeline in a worker (on its own connection): the chart's first frame
        does not wait for it. The timeline shows it when it is read, if the case is still open."""
        self.timeline.set_model(TimelineModel())
        self._in_background("timeline", TimelineModel.from_case, self.timeline.set_model)

    def _in_background(self, name: str, read, show) -> None:
        """``read(case)`` in a worker on a read-only connection of its own; ``show(result)`` in
        the GUI thread when done, unless another case was opened (or this read started again) meanwhile."""
        case = self.case
        path = case.path
        token = object()

        def job(_progress, _cancelled):
            with Case.open(path, readonly=True) as own:
                own.set_cache_size(WINDOW_CACHE_KB)
                return read(own)

        def done(result):
            if self._loads.get(name, (None,))[0] is token:
                del self._loads[name]
                if self.case is case:
                    show(result)

        def failed(message):
            if self._loads.get(name, (None,))[0] is token:
                del self._loads[name]
                self.status.setText(f"Could not read the {name}: {message}")

        def cancelled():
            if self._loads.get(name, (None,))[0] is token:
                del self._loads[name]

        previous = self._loads.pop(name, None)
        if previous is not None:
            previous[2].cancel()
        self._loads[name] = (token, *start_job(self, job, done, failed, None, cancelled))

    def _remember(self, path: Path) -> None:
        settings = QSettings()
        recent = [str(path.resolve())] + [p for p in settings.value("recent", [], list) if p != str(path.resolve())]
        settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in QSettings().value("recent", [], list):
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_case(p))

    def reload(self, fit: bool = False) -> None:
        """Rebuild the chart model from the case (after an import, an undo or a merge)."""
        if self.case is None:
            return
        self.model.load(self.case, graph_filter=self.graph_filter)
        self.show_more_button.hide()  # what it would go on from may have changed
        self._completions_stale = True  # filled when the search field is next used
        if self.search.hasFocus():
            self._fill_completions()
        if fit:
            self.chart.fit()
        self._update_status()

    def _fill_completions(self) -> None:
        """The search field's completions: every name on the chart, sorted (read when it is first used)."""
        if getattr(self, "_completions_stale", False):
            self._completions_stale = False
            self.completions.setStringList(sorted(set(self.model.captions)))

    # ------------------------------------------------------------------ chart edits (undoable)

    def _save_moves(self, moved: dict) -> None:
        if self.case is None:
            return
        label = f"Move {len(moved)} item{'s' if len(moved) != 1 else ''}"
        self._save_positions(moved, label)
        self._update_status()

    def _save_positions(self, positions: dict, label: str) -> None:
        """Entities' and group nodes' positions as one undoable step."""
        items = {eid: {"x": float(x), "y": float(y)} for eid, (x, y) in positions.items()
                 if not eid.startswith("group:")}
        groups = {eid[len("group:"):]: {"x": float(x), "y": float(y)} for eid, (x, y) in positions.items()
                  if eid.startswith("group:")}
        if groups:
            self.case.set_chart_groups(groups, {}, label=label, items=items)
        else:
            self.case.set_chart_items(items, label=label)

    def _open_selected_groups(self) -> None:
        for i in sorted((i for i in self.model.selected if self.model.is_group(i)), reverse=True):
            self.groups.open_group(i)

    def _double_clicked(self, index: int) -> None:
        if self.model.is_group(index):
            self.groups.open_group(index)

    def _entities(self, indices) -> list[int]:
        """The entities among chart indices, a group node standing for its members."""
        model = self.model
        chosen = []
        for i in indices:
            g = model.group_of_node(i)
            chosen.extend([i] if g is None else model.group_members[g].tolist())
        return sorted(set(chosen))

    def hide_selected(self) -> None:
        chosen = self._entities(sorted(self.model.selected))
        if not chosen or self.case is None:
            return
        self.case.set_chart_items({self.model.ids[i]: {"hidden": 1} for i in chosen}, label=f"Hide {len(chosen)} items")
        self.model.set_visible(chosen, False)
        self._update_status()

    def show_all(self) -> None:
        hidden = self._entities(np.flatnonzero(~self.model.visible).tolist())
        if hidden and self.case is not None:
            self.case.set_chart_items({self.model.ids[i]: {"hidden": 0} for i in hidden}, label="Show all")
            self.model.set_visible(hidden, True)
            self._update_status()

    def offer_more(self, limit: int, waiting: int, origin: list[str]) -> None:
        """Offer the next ``limit`` of ``waiting`` neighbours of ``origin`` in the status bar."""
        self._more_origin, self._more_limit = origin, limit
        self.show_more_button.setText(f"Show {min(limit, waiting):,} more (of {waiting:,})")
        self.show_more_button.show()

    def _show_more(self) -> None:
        self.groups.expand(self._more_limit, origin=self._more_origin)

    def expand_selected(self) -> None:
        """One hop out: hidden neighbours and neighbours inside collapsed groups, a few dozen at a time."""
        self.groups.expand()

    def toggle_pin(self) -> None:
        chosen = self._entities(sorted(self.model.selected))
        if not chosen or self.case is None:
            return
        pin = not all(self.model.pinned[i] for i in chosen)
        self.case.set_chart_items({self.model.ids[i]: {"pinned": int(pin)} for i in chosen},
                                  label=("Pin" if pin else "Unpin") + f" {len(chosen)} items")
        self.model.pinned[chosen] = pin
        self._update_status()

    def group_selected(self, name: str) -> None:
        chosen = self._entities(sorted(self.model.selected))
        if not chosen or self.case is None:
            return
        self.case.set_chart_items({self.model.ids[i]: {"group_name": name or None} for i in chosen},
                                  label=f"Group {len(chosen)} items as {name!r}")
        self._update_status()

    def group_dialog(self) -> None:
        if not self.model.selected:
            return
        name, ok = QInputDialog.getText(self, "Group", "Group name (empty to ungroup):")
        if ok:
            self.group_selected(name.strip())

    def undo(self) -> None:
        if self.case is not None and self.case.undo():
            self.reload()

    def redo(self) -> None:
        if self.case is not None and self.case.redo():
            self.reload()

    # ------------------------------------------------------------------ filters and views

    def apply_filter(self, graph_filter: GraphFilter) -> None:
        self.graph_filter = graph_filter
        self.reload()
        if self.model.unplaced.any():
            self.run_layout("force")

    def apply_view(self, name: str) -> None:
        state = self.case.saved_views().get(name) if self.case else None
        if state is None:
            return
        self.filters.start.setText(state.get("start") or "")
        self.filters.end.setText(state.get("end") or "")
        self.graph_filter = GraphFilter(
            schemata=frozenset(state["schemata"]) if state.get("schemata") else None,
            link_schemata=frozenset(state["links"]) if state.get("links") else None,
            start=state.get("start"), end=state.get("end"), min_grade=state.get("min_grade"),
            topics=frozenset(state["topics"]) if state.get("topics") else None,
        )
        if "groups" in state:
            # The view's groups as they were saved (collapsed or open): one undoable step.
            self.groups.restore(state, label=f"Apply view {name!r}")
        self.reload()
        x, y, w, h = state.get("range") or (0, 0, 0, 0)
        if w and h:
            from PySide6.QtCore import QRectF

            self.chart.viewbox.setRange(QRectF(x, y, w, h), padding=0)
        self.status.setText(f"View {name!r}")

    # ------------------------------------------------------------------ the analyst's own facts

    def add_entity(self, schema: str, name: str, *, country: str = "", note: str, grade: str = "B2") -> str | None:
        from workbench.model import make_entity, parse_grade

        entity = make_entity(schema)
        entity.make_id("analyst", schema, name, country, note)
        entity.add("name", name)
        if country:
            entity.add("country", country, quiet=True)
        try:
            self.case.add_facts([entity.to_dict()], note=note, grade=parse_grade(grade), label=f"Add {name}")
        except CaseError as error:
            self.status.setText(str(error))
            return None
        centre = self.chart.viewbox.viewRect().center()
        self.case.set_chart_items({entity.id: {"x": centre.x(), "y": centre.y()}}, label=f"Place {name}")
        self.reload()
        self.find_entity(entity.id)
        return entity.id

    def add_link(self, schema: str, source_id: str, target_id: str, *, note: str, role: str = "",
                 amount: str = "", date: str = "", grade: str = "B2") -> str | None:
        from workbench.model import make_entity, model, parse_grade

        link = make_entity(schema)
        link.make_id("analyst-link", schema, source_id, target_id, role, amount, date, note)
        found = model.get(schema)
        link.add(found.source_prop.name, source_id)
        link.add(found.target_prop.name, target_id)
        if role and found.get("role"):
            link.add("role", role)
        if amount:
            link.add("percentage" if schema == "Ownership" else "amount", amount, quiet=True)
        if date:
            link.add("date" if found.get("date") else "startDate", date, quiet=True)
        try:
            self.case.add_facts([link.to_dict()], note=note, grade=parse_grade(grade), label=f"Add {found.label} link")
        except CaseError as error:
            self.status.setText(str(error))
            return None
        self.reload()
        return link.id

    def add_value(self, entity_id: str, prop: str, value: str, *, note: str, grade: str = "B2") -> bool:
        from workbench.model import make_entity, parse_grade

        current = self.case.entity(entity_id)
        fact = make_entity(current.schema.name, current.id)
        fact.add(prop, value, quiet=True)
        if not fact.get(prop):
            self.status.setText(f"{value!r} is not a valid {current.schema.get(prop).label.lower()}")
            return False
        self.case.add_facts([fact.to_dict()], note=note, grade=parse_grade(grade),
                            label=f"Add {current.schema.get(prop).label.lower()} to {current.caption}")
        self.reload()
        self.find_entity(entity_id)
        return True

    def new_entity_dialog(self) -> None:
        if self.case is None:
            return
        dialog = EntityDialog(self)
        if dialog.exec():
            self.add_entity(dialog.schema.currentText(), dialog.name.text().strip(), country=dialog.country.text(),
                            note=dialog.note.text(), grade=dialog.grade.currentText())

    def link_dialog(self) -> None:
        chosen = self.model.selected_ids()
        if len(chosen) != 2:
            QMessageBox.information(self, "Link", "Select exactly two entities: the link goes from the first to the second.")
            return
        captions = [self.model.captions[self.model.index_of(c)] for c in chosen]
        dialog = LinkDialog(*captions, parent=self)
        if dialog.exec():
            self.add_link(dialog.schema.currentText(), chosen[0], chosen[1], note=dialog.note.text(),
                          role=dialog.role.text(), amount=dialog.amount.text(), date=dialog.date.text(),
                          grade=dialog.grade.currentText())

    def add_value_dialog(self) -> None:
        chosen = self.model.selected_ids()
        if len(chosen) != 1:
            QMessageBox.information(self, "Add a value", "Select one entity.")
            return
        dialog = ValueDialog(self.model.schemata[self.model.index_of(chosen[0])], self)
        if dialog.exec():
            self.add_value(chosen[0], dialog.prop.currentData(), dialog.value.text(), note=dialog.note.text(),
                           grade=dialog.grade.currentText())

    def merge_selected(self) -> None:
        chosen = self.model.selected_ids()
        if len(chosen) != 2 or self.case is None:
            QMessageBox.information(self, "Merge", "Select the two entities that are the same party.")
            return
        try:
            kept = self.case.merge(chosen[0], chosen[1])
        except CaseError as error:
            self.status.setText(str(error))
            return
        self.reload()
        self.find_entity(kept)

    # ------------------------------------------------------------------ importing

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and self.case is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            self.import_dialog(files[0])

    def import_dialog(self, path: str | None = None) -> None:
        from workbench.ui.import_wizard import ImportWizard

        if self.case is None:
            QMessageBox.information(self, "Import", "Open or create a case first.")
            return
        wizard = ImportWizard(path, self.case.saved_mappings(), self)
        if wizard.exec():
            try:
                settings = wizard.settings()
            except ValueError as error:
                self.status.setText(str(error))
                return
            self.import_file(**settings)

    def import_file(self, path, importer_id=None, options=None, grade="F6", protected=False, note=None,
                    save_mapping=None) -> None:
        """Import in a worker with its own connection; one transaction, so a failure changes nothing."""
        if self.case is None or self._job is not None:
            return
        case_path = self.case.path
        self.progress.setRange(0, 0)  # records unknown in advance: a busy bar
        self.progress.show()
        self.cancel_button.hide()
        self.status.setText(f"Importing {Path(path).name}…")

        def job(progress, cancelled):
            from workbench.importing import import_file
            from workbench.model import parse_grade

            with Case.open(case_path) as own:
                outcome = import_file(own, path, importer_id=importer_id, options=options, grade=parse_grade(grade),
                                      protected=protected, note=note)
                if save_mapping and options and "mapping" in options:
                    own.save_mapping(save_mapping, options["mapping"])
                return outcome

        def finished(outcome):
            self._end_job()
            self.progress.setRange(0, 100)
            if outcome.skipped:
                self.notice(f"{Path(path).name}: {outcome.skipped}")
                return
            report = outcome.report
            self.reload()
            self.browser.load(self.case)
            self.filters.load(self.case)
            self.load_timeline()
            if self.model.unplaced.any():
                self.run_layout("force")
            # What the importer brought in differently, left out or could not carry is said too,
            # as the command line lists it: the first item, and how many there are.
            said = [*(outcome.left_out or []), *(outcome.notes or [])]
            more = f" (and {len(said) - 1:,} more)" if len(said) > 1 else ""
            self.notice(f"Imported {Path(path).name}: {report.entities:,} entities, "
                        f"{report.statements:,} values, {report.edges:,} links"
                        + (f"; brought in differently or left out: {said[0]}{more}" if said else ""))

        def failed(message):
            self._end_job()
            self.progress.setRange(0, 100)
            self.notice(f"Not imported; the case is unchanged. {message}")

        self._job = start_job(self, job, finished, failed)

    def plugins_dialog(self) -> None:
        from PySide6.QtWidgets import QDialog, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout

        from workbench.plugin_api import discover_plugins, reload_plugins, user_plugin_dir

        dialog = QDialog(self)
        dialog.setWindowTitle("Plugins")
        dialog.resize(900, 500)
        tree = QTreeWidget()
        tree.setHeaderLabels(["Plugin", "Kind", "Version", "From", "Status"])

        def fill() -> None:
            tree.clear()
            for info in discover_plugins():
                plugin = info.plugin
                item = QTreeWidgetItem([plugin.label or plugin.id if plugin else info.name,
                                        plugin.kind if plugin else "", plugin.version if plugin else "",
                                        info.origin, "loaded" if info.ok else f"FAILED: {info.error}"])
                if not info.ok:
                    item.setForeground(4, Qt.red)
                tree.addTopLevelItem(item)
            for column in range(5):
                tree.resizeColumnToContents(column)

        def reload() -> None:
            # Plugin files are run once per program; after editing one, the analyst asks again.
            reload_plugins()
            fill()
            self.findings.reload_detectors()

        fill()
        reload_button = QPushButton("Reload")
        reload_button.setToolTip("Run the plugin files again (after you changed or added one)")
        reload_button.clicked.connect(reload)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(f"Your plugin folder: {user_plugin_dir()}"))
        layout.addWidget(tree)
        layout.addWidget(reload_button, 0, Qt.AlignRight)
        self.plugins_reload_button = reload_button
        self.plugins_tree = tree
        dialog.show()
        self._plugins_dialog = dialog

    # ------------------------------------------------------------------ training exercise

    def mark_suspicious_dialog(self) -> None:
        if not self.model.selected:
            QMessageBox.information(self, "Mark suspicious", "Select what looks suspicious first.")
            return
        reason, ok = QInputDialog.getText(self, "Mark suspicious", "Why does it look suspicious?")
        if ok and reason.strip():
            count = self.exercise.mark_selected(reason.strip())
            self.notice(f"Marked {count} items as suspicious")
            self.exercise_dock.raise_()

    def show_exercise_score(self) -> None:
        self.exercise.score()
        self.exercise_dock.raise_()

    # ------------------------------------------------------------------ findings

    def run_detectors(self, ids: list[str] | None = None) -> None:
        """Run detectors in a worker on its own connection to the case (SQLite connections stay in
        their thread; WAL lets the window keep reading meanwhile)."""
        if self.case is None or self._job is not None:
            return
        path = self.case.path
        panel = self.findings
        panel.progress.setValue(0)
        panel.progress.show()
        panel.cancel_button.show()

        def job(progress, cancelled):
            from workbench.detecting import DetectionCancelled, run_detectors

            with Case.open(path) as own:
                try:
                    return run_detectors(own, ids, progress=lambda f, _name: progress(f), cancelled=cancelled)
                except DetectionCancelled as error:
                    raise Cancelled() from error

        def finished(outcomes):
            self._end_job()
            panel.progress.hide()
            panel.cancel_button.hide()
            panel.refresh()
            errors = [o.error for o in outcomes if o.error]
            found = sum(o.findings for o in outcomes)
            text = f"{len(outcomes)} detectors ran: {found} findings"
            if errors:
                text += f"; {len(errors)} failed: {errors[0]}"
            self.status.setText(text)

        def failed(message):
            self._end_job()
            panel.progress.hide()
            panel.cancel_button.hide()
            self.status.setText(f"Detectors failed: {message}")

        def cancelled_():
            self._end_job()
            panel.progress.hide()
            panel.cancel_button.hide()
            panel.refresh()
            self.status.setText("Detector run cancelled; findings of detectors that finished are kept")

        self._job = start_job(self, job, finished, failed, lambda f: panel.progress.setValue(int(f * 100)),
                              cancelled_)

    def show_finding(self, row: dict) -> None:
        """Frame a finding's evidence: its parties and facts in view, in full, the rest dimmed.

        Its events are ringed on the timeline and their lanes brought into view. Esc clears it.
        """
        facts = set((row.get("evidence") or {}).get("facts") or [])
        chosen, _ = self.model.evidence_of(row)
        if self.model.group_names and self.model.collapsed_away[sorted(chosen)].any():
            # On an overview the evidence is inside groups: bring it out, with its neighbours
            # (one hop, the most linked first), as i2 and Maltego start from a finding.
            self._bring_out_with_neighbours(chosen, f"Show finding #{row.get('id')}'s evidence")
            chosen, _ = self.model.evidence_of(row)
        hidden = [i for i in chosen if not self.model.visible[i]]
        if hidden:
            self.model.set_visible(hidden, True)
        self.model.focus_finding(row)
        self._echoing_timeline = True
        try:
            self.model.select(chosen)
        finally:
            self._echoing_timeline = False
        self.timeline.select_vias(facts)
        self.timeline.reveal_vias(facts)
        if chosen:
            self.chart.frame(chosen)

    def clear_highlights(self) -> None:
        """Esc: no finding or path in focus, nothing selected; the whole chart drawn again."""
        self.model.clear_focus()
        self.model.select([])
        self.timeline.select_vias(set())
        self.evidence_only_action.setChecked(False)

    def set_evidence_only(self, only: bool) -> None:
        """Show only the evidence of the finding (or path) in focus; the rest is not hidden in the case."""
        if only and not self.model.focus:
            self.evidence_only_action.setChecked(False)
            self.status.setText("Select a finding or find a path first: there is no evidence in focus")
            return
        self.model.set_evidence_only(only)
        if self.model.focus:
            self.chart.frame(self.model.focus)

    # ------------------------------------------------------------------ measures

    def colour_by_community(self) -> None:
        from workbench.analysis.structure import communities, membership

        groups = communities(self.model.graph)
        member = membership(groups)
        self.case.store_metric("community", {n: float(c) for n, c in member.items()})
        colours = [_PALETTE[member.get(n, 0) % len(_PALETTE)] for n in self.model.ids]
        self.model.style_by(colours, self.model.node_sizes, note=f"{len(groups)} communities")
        self.status.setText(f"Coloured by community: {len(groups)} communities")

    def size_by(self, measure: str) -> None:
        from workbench.analysis.structure import centrality

        values = centrality(self.model.graph, measure)
        self.case.store_metric(measure, values)
        raw = np.array([values.get(n, 0.0) for n in self.model.ids], dtype=float)
        top = raw.max() if len(raw) and raw.max() > 0 else 1.0
        sizes = 14 + 4 * np.round(7 * np.sqrt(raw / top))  # a few distinct sizes draw much faster
        self.model.style_by(self.model.node_colours, sizes, note=f"sized by {measure}")
        self.status.setText(f"Sized by {measure}")

    # ------------------------------------------------------------------ layout in a worker

    def run_layout(self, kind: str = "force", initial: bool = False) -> None:
        if self.case is None or self._job is not None:
            return
        shown = self.model.shown
        if self.model.group_names:
            # Groups drawn as one node are laid out as one node: the chart as drawn, not the case.
            graph = self.model.display_graph()
        else:
            graph = self.model.graph.subgraph([n for i, n in enumerate(self.model.ids) if self.model.visible[i]])
        placed = ~self.model.unplaced & shown
        pinned = {self.model.ids[i]: tuple(self.model.positions[i]) for i in np.flatnonzero(self.model.pinned & placed)}
        start = {self.model.ids[i]: tuple(self.model.positions[i]) for i in np.flatnonzero(placed)}
        # Measured here (fonts are Qt's), used in the worker: room for every label at fit-to-window.
        boxes = self.chart.label_boxes(np.flatnonzero(shown))
        rect = self.chart.viewbox.sceneBoundingRect()
        viewport = (max(rect.width(), 400.0), max(rect.height(), 300.0))
        groups = {}
        if kind == "group":
            groups = {entity_id: item["group_name"] or "(ungrouped)"
                      for entity_id, item in self.case.chart_items().items()}

        def job(progress, cancelled):
            return compute_layout(graph, pinned, start or None, progress, cancelled, kind, boxes, viewport, groups)

        def finished(positions):
            self._save_positions(positions, "Initial layout" if initial else f"Layout ({kind})")
            self.model.set_positions(positions)
            self.chart.fit()
            self._update_status()

        self.run_in_worker(job, finished, starting="Laying out…", failure="Layout failed",
                           cancelled="Layout cancelled; nothing moved")

    def run_in_worker(self, job, done, *, starting: str, failure: str, cancelled: str) -> None:
        """``job(progress, cancelled)`` in a worker, with the status bar's progress bar and Cancel;
        ``done(result)`` in the GUI thread once it has ended. A failure or a cancel is said in
        the status bar, not in a modal box: the chart stays as it was."""

        def finished(result):
            self._end_job()
            done(result)

        def failed(message):
            self._end_job()
            self.status.setText(f"{failure}: {message}")

        def cancelled_():
            self._end_job()
            self.status.setText(cancelled)

        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.status.setText(starting)
        self._job = start_job(self, job, finished, failed, lambda f: self.progress.setValue(int(f * 100)), cancelled_)

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job[1].cancel()

    def _end_job(self) -> None:
        self._job = None
        self.progress.hide()
        self.cancel_button.hide()

    # ------------------------------------------------------------------ finding

    def focus_search(self) -> None:
        self._fill_completions()
        self.search.setFocus()
        self.search.selectAll()

    def find_text(self, text: str) -> None:
        text = text.strip().lower()
        if not text:
            return
        matches = [i for i, caption in enumerate(self.model.captions) if text in caption.lower()]
        exact = [i for i in matches if self.model.captions[i].lower() == text]
        chosen = exact or matches
        if not chosen:
            self.status.setText(f"No entity matches {text!r}")
            return
        self._reveal(chosen)

    def find_entity(self, entity_id: str) -> None:
        index = self.model.index_of(self.case.resolve(entity_id)) if self.case else None
        if index is None:
            self.status.setText("That entity is not on the chart (it is a relationship or filtered out)")
            return
        self._reveal([index])

    def _bring_out_with_neighbours(self, indices, label: str) -> None:
        from workbench.analysis.grouping import EXPAND_LIMIT

        model = self.model
        core = set(indices)
        around = [i for i in model.neighbours(core) if i < model.entity_count and not model.shown[i]]
        around.sort(key=lambda i: model.captions[i])
        wanted = [model.ids[i] for i in sorted(core)] + [model.ids[i] for i in around[:EXPAND_LIMIT]]
        self.groups.bring_out(wanted, label=label)
        if model.unplaced[np.flatnonzero(model.shown)].any():
            self.run_layout("force")

    def _reveal(self, indices: list[int]) -> None:
        if self.model.group_names and self.model.collapsed_away[indices].any():
            self._bring_out_with_neighbours(indices, f"Show {self.model.captions[indices[0]]!r}")
        hidden = [i for i in indices if not self.model.visible[i]]
        if hidden:
            self.model.set_visible(hidden, True)
        self.model.select(indices)
        self.chart.centre_on(indices[0])

    def find_path(self, time_ordered: bool = False) -> None:
        from workbench.analysis.paths import shortest_path, time_ordered_path

        chosen = self.model.selected_ids()
        if len(chosen) != 2:
            QMessageBox.information(self, "Find path", "Select exactly two entities (Ctrl+click the second).")
            return
        graph = self.model.graph
        if time_ordered:
            steps = time_ordered_path(graph, chosen[0], chosen[1]) or time_ordered_path(graph, chosen[1], chosen[0])
            nodes = [steps[0].source] + [s.target for s in steps] if steps else None
        else:
            nodes = shortest_path(graph, chosen[0], chosen[1])
        if not nodes:
            self.status.setText("No path between the two selected entities")
            return
        self.model.highlight_path(nodes)
        self.chart.frame(self.model.focus)
        self.status.setText(f"Path of {len(nodes) - 1} links: " + " → ".join(self.model.captions[self.model.index_of(n)] for n in nodes))

    def ego_network(self) -> None:
        if not self.model.selected:
            return
        depth, ok = QInputDialog.getInt(self, "Ego network", "Depth (links):", 1, 1, 5)
        if not ok:
            return
        from workbench.analysis.paths import ego_network

        # A new step: whatever was in focus before (a path, a finding) no longer is.
        self.model.clear_focus()
        self.evidence_only_action.setChecked(False)
        keep = set()
        for entity_id in self.model.selected_ids():
            keep.update(ego_network(self.model.graph, entity_id, depth))
        to_hide = [i for i, n in enumerate(self.model.ids) if n not in keep and self.model.visible[i]]
        self.case.set_chart_items({self.model.ids[i]: {"hidden": 1} for i in to_hide}, label="Ego network")
        self.model.set_visible(to_hide, False)
        self.chart.fit()
        self._update_status()

    def save_view(self) -> None:
        if self.case is None:
            return
        name, ok = QInputDialog.getText(self, "Save view", "Name:")
        if ok and name:
            hidden = [self.model.ids[i] for i in np.flatnonzero(~self.model.visible[: self.model.entity_count])]
            rect = self.chart.viewbox.viewRect()
            f = self.graph_filter
            self.case.save_view(name, {
                "hidden": hidden, "range": [rect.x(), rect.y(), rect.width(), rect.height()],
                "schemata": sorted(f.schemata) if f.schemata else None,
                "links": sorted(f.link_schemata) if f.link_schemata else None,
                "start": f.start, "end": f.end, "min_grade": f.min_grade,
                "topics": sorted(f.topics) if f.topics else None,
                **self.groups.snapshot(),
            })
            self.browser.load(self.case)

    # ------------------------------------------------------------------ status

    def _on_model(self, what: str) -> None:
        if what == "selection":
            chosen = self.model.selected_ids()
            lone = next(iter(self.model.selected)) if len(self.model.selected) == 1 else None
            if lone is not None and self.model.is_group(lone):
                self.inspector.show_group(self.model.group_summary(self.model.group_of_node(lone)))
            else:
                self.inspector.show_entity(self.case, chosen[0] if len(chosen) == 1 else None, len(chosen))
            if not self._echoing_timeline:
                touching = {link.via for link in self.model.links
                            if link.source in self.model.selected or link.target in self.model.selected}
                highlighted = {self.model.links[k].via for k in self.model.highlighted_links}
                self.timeline.select_vias(touching | highlighted)
            self._update_status()

    def _events_selected(self, vias: list[str]) -> None:
        """Events clicked on the timeline: select their parties and light up their links on the chart."""
        wanted = set(vias)
        links = [k for k, link in enumerate(self.model.links) if link.via in wanted]
        self._echoing_timeline = True
        try:
            self.model.highlighted_links = set(links)
            self.model.select({i for k in links for i in (self.model.links[k].source, self.model.links[k].target)})
        finally:
            self._echoing_timeline = False

    def _window_brushed(self, window) -> None:
        """A time window brushed on the timeline filters the chart's links (no rebuild: a mask)."""
        if window is None:
            self.model.set_time_window(None)
        else:
            self.model.set_time_window((window[0] / SECONDS_PER_DAY, window[1] / SECONDS_PER_DAY))
        self._update_status()

    def notice(self, text: str) -> None:
        """A message the analyst should see even if the counts in the status bar change after it."""
        self.last_notice = text
        self.statusBar().showMessage(text, 15000)
        self.status.setText(text)

    def _update_status(self) -> None:
        if self.case is None:
            return
        model = self.model
        n = model.entity_count
        visible = int(model.visible[:n].sum())
        text = f"{visible:,} of {n:,} entities shown · {model.base_link_count:,} links"
        if model.group_names:
            collapsed = int(model.group_collapsed.sum())
            drawn = int(model.shown.sum())
            text = (f"{drawn:,} items on the chart · {int((~model.collapsed_away[:n] & model.visible[:n]).sum()):,} "
                    f"of {n:,} entities as themselves · {collapsed} collapsed group{'s' if collapsed != 1 else ''}"
                    f" · {model.base_link_count:,} links")
            if model.group_links_left_out:
                text += (f" · the {GROUP_LINKS_DRAWN} strongest links of each group drawn "
                         f"({model.group_links_left_out:,} weaker group-to-group links not drawn)")
        if self.model.selected:
            text += f" · {len(self.model.selected)} selected"
        self.status.setText(text)
        undo, redo = self.case.undo_label(), self.case.redo_label()
        self.undo_action.setText(f"&Undo {undo}" if undo else "&Undo")
        self.undo_action.setEnabled(undo is not None)
        self.redo_action.setText(f"&Redo {redo}" if redo else "&Redo")
        self.redo_action.setEnabled(redo is not None)

    def closeEvent(self, event) -> None:
        if self._job is not None:
            self._job[1].cancel()
            self._job[0].wait(3000)
        for _token, _thread, worker in list(self._loads.values()):
            worker.cancel()
        from PySide6.QtCore import QThread

        for thread in self.findChildren(QThread):  # background reads, started again ones too
            thread.wait(10000)
        if self.case is not None:
            self.case.close()
        super().closeEvent(event)
