"""Wrapped text in tree and table cells, with rows as tall as their wrapped text.

A ``QTreeView`` with word wrap on still measures each row as if its text were on one line,
so long values end in "…" however much room the panel has. This delegate measures the text
at its column's current width, optionally up to a number of lines (the last shown line ends
in "…" and the full text belongs in a tooltip).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QTextLayout, QTextOption
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate

# Room Qt's item painting keeps on each side of a cell's text.
_TEXT_MARGINS = 10


def wrapped_lines(text: str, font: QFont, width: int) -> list[float]:
    """The heights of the lines ``text`` takes at ``width`` pixels, wrapped as item views wrap it."""
    layout = QTextLayout(text.replace("\n", "\u2028"), font)
    option = QTextOption()
    # As item views paint it: at word boundaries, a word too long for the line elided, not split.
    option.setWrapMode(QTextOption.WordWrap)
    layout.setTextOption(option)
    heights = []
    layout.beginLayout()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(width, 1))
        heights.append(line.height())
    layout.endLayout()
    return heights


class WrappingDelegate(QStyledItemDelegate):
    """Sizes each row to its cells' text wrapped at the column width, to at most ``max_lines`` lines."""

    def __init__(self, view: QAbstractItemView, max_lines: dict[int, int] | int | None = None):
        super().__init__(view)
        self.view = view
        self.max_lines = max_lines

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
        font = index.data(Qt.FontRole) or option.font
        heights = wrapped_lines(str(text), font, width)
        limit = self._limit(index.column())
        if limit:
            heights = heights[:limit]
        margin = self.view.style().pixelMetric(QStyle.PM_FocusFrameVMargin, None, self.view) * 2
        return QSize(size.width(), max(size.height(), int(sum(heights) + 0.999) + margin))


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
