"""The chart's key, docked beside it: the same keys, icons and swatches as an exported picture.

The keys come from :func:`workbench.ui.legend.chart_legend` and each swatch is drawn by
its ``paint_swatch``, so what the analyst reads on screen is what the reader of a briefing
reads under the exported chart. The panel follows the chart model (reloads, hidden entities,
styling, a finding in focus, a brushed time window) rather than being refreshed by hand.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QGridLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.palette import HIGHLIGHT_COLOUR
from workbench.ui.chart_model import ChartModel
from workbench.ui.legend import LegendEntry, LegendSection, chart_legend, paint_swatch

#: An icon or ring key needs the chart's icon size; a line key only a text line's height.
SWATCH_SIZE = QSize(28, 20)
LINE_SWATCH_SIZE = QSize(28, 14)
#: The key for the evidence highlight, worded as the exported legend words it. On screen it is
#: always listed: the rose line appears the moment a finding is picked, and should not need a
#: look elsewhere to be understood.
HIGHLIGHT_KEY = "highlighted: evidence of the findings shown"
DASHED_KEY = "dashed: weak (D-F or 4-6) or ungraded"
#: Model events after which the keys may change (a selection alone changes none of them).
_REFRESHING_EVENTS = ("reset", "visibility", "style", "focus", "window")


def screen_legend(model: ChartModel) -> list[LegendSection]:
    """The exported picture's legend for ``model``, with the grade and highlight keys always present.

    A picture explains what it shows; the screen also explains what the next import or the
    next finding picked will show (a dashed link, a rose highlight), in the picture's words.
    """
    sections = chart_legend(model)
    evidence = next((s for s in sections if s.title == "Evidence"), None)
    if evidence is None:
        evidence = LegendSection("Evidence")
        sections.append(evidence)
    if not any(entry.dashed for entry in evidence.entries):
        evidence.entries.insert(1 if evidence.entries else 0, LegendEntry(DASHED_KEY, "link", "#64748b", dashed=True))
    if not any(entry.colour == HIGHLIGHT_COLOUR and entry.kind == "link" for entry in evidence.entries):
        evidence.entries.append(LegendEntry(HIGHLIGHT_KEY, "link", HIGHLIGHT_COLOUR))
    return sections


def swatch_size(entry: LegendEntry) -> QSize:
    return SWATCH_SIZE if entry.kind in ("node", "ring") else LINE_SWATCH_SIZE


def swatch_pixmap(entry: LegendEntry, device_pixel_ratio: float = 1.0) -> QPixmap:
    """The legend swatch of ``entry`` (icon, line, ring...), drawn as the exported legend draws it."""
    size = swatch_size(entry)
    pixmap = QPixmap(round(size.width() * device_pixel_ratio), round(size.height() * device_pixel_ratio))
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    paint_swatch(painter, entry, QRectF(0, 0, size.width(), size.height()))
    painter.end()
    return pixmap


class LegendPanel(QWidget):
    """What the chart's icons, colours, dashes and rings mean, for what is on the chart now.

    Entity types (short names) sit two to a row and the rest one to a row, so that the whole
    key of a chart like the demo case's fits under the case browser without scrolling.
    """

    def __init__(self, model: ChartModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(4, 2, 4, 4)
        self.grid.setHorizontalSpacing(4)
        self.grid.setVerticalSpacing(0)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidget(self.body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.sections: list[LegendSection] = []
        self._rows: list[str] = []
        self._stale = True
        model.subscribe(self._on_model)
        self.refresh()

    def detach(self) -> None:
        """Stop following the model (before the panel is deleted)."""
        self.model.unsubscribe(self._on_model)

    def _on_model(self, what: str) -> None:
        if what not in _REFRESHING_EVENTS:
            return
        # A hidden panel (dock closed, or a tab behind another) is brought up to date when it
        # is shown again: no work for keys nobody can see.
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:
        if self._stale:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """Rebuild the keys from the model."""
        self._stale = False
        self.sections = screen_legend(self.model) if len(self.model.ids) else []
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()  # at once: deleteLater waits for the event loop
                item.widget().deleteLater()
        self._rows = []
        row = 0
        if not self.sections:
            self._text(row, 0, "Open a case: its chart's key shows here.", span=4, muted=True)
            self.grid.setRowStretch(row + 1, 1)
            return
        ratio = self.devicePixelRatioF()
        for section in self.sections:
            self._text(row, 0, section.title, span=4, bold=True)
            row += 1
            column = 0
            for entry in section.entries:
                if entry.kind == "note":
                    row += column // 2
                    column = 0
                    self._text(row, 0, entry.label, span=4, muted=True)
                    row += 1
                    continue
                paired = entry.kind == "node"
                if not paired and column:
                    row, column = row + 1, 0
                swatch = QLabel()
                swatch.setPixmap(swatch_pixmap(entry, ratio))
                swatch.setFixedSize(swatch_size(entry))
                self.grid.addWidget(swatch, row, column, Qt.AlignTop)
                self._text(row, column + 1, entry.label, span=1 if paired else 3).setMinimumHeight(
                    swatch_size(entry).height())
                if paired and column == 0:
                    column = 2
                else:
                    row, column = row + 1, 0
            row += 1 if column else 0
        self.grid.setRowStretch(row, 1)

    def _text(self, row: int, column: int, text: str, *, span: int = 1, bold: bool = False,
              muted: bool = False) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        if bold:
            font = QFont(label.font())
            font.setBold(True)
            label.setFont(font)
        if muted:
            label.setStyleSheet("color: #475569")
        self.grid.addWidget(label, row, column, 1, span)
        # Reading order (titles, then keys left to right, top to bottom) for tests and tools.
        self._rows.append(text)
        return label

    def labels(self) -> list[str]:
        """The text of every title and key, in reading order."""
        return list(self._rows)

    def sizeHint(self) -> QSize:
        return QSize(240, 300)


def install_legend_dock(window: QMainWindow) -> QDockWidget:
    """Dock a legend of ``window``'s chart under its case browser, and list it in a View menu.

    The left column already has the case browser's width, so the legend takes none from the
    chart; the docks' own View menu is made here if the window has none.
    """
    panel = LegendPanel(window.model)
    dock = QDockWidget("Legend", window)
    dock.setObjectName("Legend")
    dock.setWidget(panel)
    # Below the case browser and its tabs (splitting a tabbed dock would only add a tab).
    window.addDockWidget(Qt.LeftDockWidgetArea, dock, Qt.Vertical)
    browser = window.findChild(QDockWidget, "Case")
    if browser is not None:
        # The case tree needs a dozen rows, the key about twenty: shared once the window has
        # its size (before that the proportions are lost to the first layout).
        QTimer.singleShot(0, lambda: window.resizeDocks([browser, dock], [1, 2], Qt.Vertical))
    view_menu(window).addAction(dock.toggleViewAction())
    return dock


def view_menu(window: QMainWindow) -> QMenu:
    """The window's View menu (after Edit), made on first use with a toggle for each dock."""
    bar = window.menuBar()
    for action in bar.actions():
        if action.menu() is not None and action.text().replace("&", "") == "View":
            return action.menu()
    menu = QMenu("&View", window)
    docks = [dock for dock in window.findChildren(QDockWidget) if dock.objectName() != "Legend"]
    for dock in docks:
        menu.addAction(dock.toggleViewAction())
    menu.addSeparator()
    after_edit = None
    actions = bar.actions()
    for k, action in enumerate(actions):
        if action.text().replace("&", "") == "Edit" and k + 1 < len(actions):
            after_edit = actions[k + 1]
    if after_edit is not None:
        bar.insertMenu(after_edit, menu)
    else:
        bar.addMenu(menu)
    return menu
