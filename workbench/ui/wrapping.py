"""Wrapped text in tree and table cells, with rows as tall as their wrapped text.

A ``QTreeView`` with word wrap on still measures each row as if its text were on one line,
so long values end in "…" however much room the panel has. This delegate measures the text
at its column's current width, optionally up to a number of lines (the last shown line ends
in "…" and the full text belongs in a tooltip).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate

# Room Qt's item painting keeps on each side of a cell's text.
_TEXT_MARGINS = 10
_TALL = 1 << 20


def wrapped_line_count(text: str, font: QFont, width: int) -> int:
    """How many lines ``text`` takes at ``width`` pixels, wrapped at word boundaries as item views wrap it
    (a word too long for a line stays whole, and is elided when painted)."""
    metrics = QFontMetrics(font)
    height = metrics.boundingRect(QRect(0, 0, max(width, 1), _TALL), Qt.TextWordWrap, text).height()
    return max(1, round(height / metrics.lineSpacing()))


class WrappingDelegate(QStyledItemDelegate):
    """Sizes each row to its cells' text wrapped at the column width, to at most ``max_lines`` lines.

    Every cell of a view using it should have its text set ("" when empty), and nothing here
    calls a method returning nothing: PySide6 6.12 hands back an unset ``index.data()`` role,
    and the result of every void call, as a None it does not own. ``sizeHint`` runs for every
    cell at every layout; enough of those lost references crash the interpreter
    ("deallocating None").
    """

    def __init__(self, view: QAbstractItemView, max_lines: dict[int, int] | int | None = None):
        super().__init__(view)
        self.view = view
        self.max_lines = max_lines
        self.margin = view.style().pixelMetric(QStyle.PM_FocusFrameVMargin, None, view) * 2

    def _limit(self, column: int) -> int | None:
        if isinstance(self.max_lines, dict):
            return self.max_lines.get(column)
        return self.max_lines

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        text = index.data(Qt.DisplayRole)
        if not text:
            return size
        width = self.view.columnWidth(index.column()) - _TEXT_MARGINS
        spanned = getattr(self.view, "isFirstColumnSpanned", None)
        if index.column() == 0 and spanned is not None and spanned(index.row(), index.parent()):
            width = self.view.viewport().width() - _TEXT_MARGINS  # a heading row spans every column
        lines = wrapped_line_count(str(text), option.font, width)
        limit = self._limit(index.column())
        if limit:
            lines = min(lines, limit)
        return QSize(size.width(), max(size.height(), lines * QFontMetrics(option.font).lineSpacing() + self.margin))


def wrap_cells(view: QAbstractItemView, max_lines: dict[int, int] | int | None = None) -> WrappingDelegate:
    """Wrap every cell of ``view``; rows are measured again whenever a column changes width."""
    delegate = WrappingDelegate(view, max_lines)
    view.setItemDelegate(delegate)
    view.setWordWrap(True)
    view.setTextElideMode(Qt.ElideRight)
    if hasattr(view, "setUniformRowHeights"):
        view.setUniformRowHeights(False)
    header = view.header() if hasattr(view, "header") else view.horizontalHeader()
    header.sectionResized.connect(lambda *_: view.doItemsLayout())
    return delegate
