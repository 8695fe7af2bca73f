"""Chart and timeline pictures (PNG, SVG, PDF), drawn offscreen by the screen's own views; HTML to PDF.

A picture for a briefing must be the picture the analyst saw: the same icons, colours, dashed
weak links, labels and arrows. So nothing here draws the chart itself: an offscreen
:class:`ChartView` (or :class:`TimelineView`) is built on the same model at the body size of
the picture and asked to render into the target device, then a title, a date line and a legend
are drawn around it. PNG goes through a ``QImage`` with a device pixel ratio (so a 300 dpi
picture is the screen picture at a finer grain, not a bigger chart with smaller labels); SVG
through ``QSvgGenerator`` and PDF through ``QPdfWriter``, both kept vector: pyqtgraph's
"export mode" draws every symbol as a path instead of stamping cached bitmaps, and the link
layer draws its paths instead of its cached image.

The case report's HTML-to-PDF step lives here too (:func:`html_to_pdf`), because it needs Qt
and only ``workbench.ui`` may import Qt (DESIGN.md). The report depends on this module, never
the reverse; the menu entries and dialogs that write pictures and reports are in
``workbench.ui.export_dialogs``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QMarginsF,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QSizeF,
    Qt,
    QtMsgType,
    QUrl,
    qInstallMessageHandler,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QWidget

from workbench import __version__
from workbench.analysis.timeline_model import TimelineModel, timeline_model
from workbench.ui.chart_model import ChartModel
from workbench.ui.chart_view import ChartView
from workbench.ui.label_placement import count_overlaps
from workbench.ui.legend import (
    LegendEntry,
    LegendSection,
    chart_legend,
    paint_swatch,
    timeline_legend,
)
from workbench.ui.qt_app import ensure_application
from workbench.ui.timeline import TimelineView

#: Logical pixels per inch, as on the screen (and in CSS): every device here is set to it, so a
#: label of 8 points is the same number of pixels on screen, in a PNG, an SVG and a PDF.
SCREEN_DPI = 96.0
IMAGE_FORMATS = ("png", "svg", "pdf")
_INK = QColor("#0f172a")
_MUTED = QColor("#475569")
_PAD = 16
_ROW = 22
_SWATCH = 28


class ExportError(ValueError):
    """A picture cannot be written as asked (unknown format, size too small, unwritable file)."""


@dataclass
class ExportedImage:
    """What was written: the file, its logical size, where the chart itself sits, what it says."""

    path: Path
    format: str
    width: int
    height: int
    dpi: float
    #: Where the chart (or timeline) is inside the picture, in logical pixels: x, y, w, h.
    body: tuple[int, int, int, int]
    title: str
    date_line: str
    legend: list[LegendSection]
    #: The entity labels (or lane names) drawn on the picture.
    labels: list[str]
    #: Label-label and label-icon overlaps on a chart picture (both 0 unless placement failed).
    overlaps: tuple[int, int] = (0, 0)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """The PNG's size in pixels (the logical size times dpi / 96)."""
        scale = self.dpi / SCREEN_DPI
        return math.ceil(self.width * scale), math.ceil(self.height * scale)


# ---------------------------------------------------------------------------------- offscreen views


@contextmanager
def _quiet_window_hints() -> Iterator[None]:
    """While an offscreen view is shown, drop the offscreen platform's note on window hints.

    Every ``show()`` there prints "This plugin does not support propagateSizeHints()", noise on
    the command line. The handler is installed only for the moment and the previous one put
    back: a Python handler left in place is called while the interpreter shuts down, and crashes.
    """
    previous = None

    def handler(mode: QtMsgType, context, message: str) -> None:
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def _settle(app: QApplication, rounds: int = 4) -> None:
    for _ in range(rounds):
        app.processEvents()

# ---------------------------------------------------------------------------------- the frame


def _font(pixels: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, round(pixels)))
    font.setBold(bold)
    return font


@dataclass
class _Frame:
    """Title and date line on top, the body (chart or timeline), the legend below it."""

    width: int
    height: int
    title: str
    date_line: str
    legend: list[LegendSection]

    def __post_init__(self) -> None:
        self.title_font, self.line_font = _font(20, bold=True), _font(12)
        self.legend_font, self.legend_bold = _font(12), _font(12, bold=True)
        header = _PAD + (28 if self.title else 0) + 18 + 8
        self.placed = self._place_legend(self.width - 2 * _PAD)
        rows = max((rect.bottom() for _, rect in self.placed), default=0)
        legend_height = int(rows + _PAD) if self.placed else 0
        body_height = self.height - header - legend_height - (_PAD if self.placed else 0)
        if body_height < 80 or self.width < 160:
            raise ExportError(f"{self.width}x{self.height} is too small for the picture and its legend; "
                              "make it larger or leave the legend out")
        self.header = QRectF(0, 0, self.width, header)
        self.body = QRect(0, header, self.width, body_height)
        self.legend_top = header + body_height + _PAD // 2

    def _place_legend(self, width: float) -> list[tuple[LegendEntry | str, QRectF]]:
        """Flow the sections' keys into rows: ``(entry or section title, rect)`` relative to the legend."""
        metrics, bold = QFontMetricsF(self.legend_font), QFontMetricsF(self.legend_bold)
        placed: list[tuple[LegendEntry | str, QRectF]] = []
        x = y = 0.0
        for section in self.legend:
            title_width = bold.horizontalAdvance(section.title + ":") + 10
            if x > 0:  # each section on a row of its own, so its keys read as one list
                x, y = 0.0, y + _ROW
            placed.append((section.title + ":", QRectF(x, y, title_width, _ROW)))
            x += title_width
            for entry in section.entries:
                swatch = 0 if entry.kind == "note" else _SWATCH + 6
                entry_width = swatch + metrics.horizontalAdvance(entry.label) + 18
                if x > 0 and x + entry_width > width:
                    x, y = 0.0, y + _ROW
                placed.append((entry, QRectF(x, y, entry_width, _ROW)))
                x += entry_width
        return placed

    def paint(self, painter: QPainter, body: Callable[[QPainter, QRect], None]) -> None:
        painter.fillRect(QRectF(0, 0, self.width, self.height), Qt.white)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        y = _PAD
        if self.title:
            painter.setFont(self.title_font)
            painter.setPen(_INK)
            painter.drawText(QRectF(_PAD, y, self.width - 2 * _PAD, 28), Qt.AlignLeft | Qt.AlignVCenter,
                             _elide(self.title, self.title_font, self.width - 2 * _PAD))
            y += 28
        painter.setFont(self.line_font)
        painter.setPen(_MUTED)
        painter.drawText(QRectF(_PAD, y, self.width - 2 * _PAD, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         _elide(self.date_line, self.line_font, self.width - 2 * _PAD))
        painter.setPen(QPen(QColor("#cbd5e1"), 1))
        painter.drawLine(QPointF(_PAD, self.body.top() - 1), QPointF(self.width - _PAD, self.body.top() - 1))
        painter.save()
        painter.setClipRect(self.body)
        body(painter, self.body)
        painter.restore()
        if self.placed:
            painter.setPen(QPen(QColor("#cbd5e1"), 1))
            painter.drawLine(QPointF(_PAD, self.body.bottom() + 1), QPointF(self.width - _PAD, self.body.bottom() + 1))
            painter.save()
            painter.translate(_PAD, self.legend_top)
            for item, rect in self.placed:
                self._paint_key(painter, item, rect)
            painter.restore()

    def _paint_key(self, painter: QPainter, item: LegendEntry | str, rect: QRectF) -> None:
        if isinstance(item, str):
            painter.setFont(self.legend_bold)
            painter.setPen(_INK)
            painter.drawText(rect, Qt.AlignLeft | Qt.AlignVCenter, item)
            return
        painter.setFont(self.legend_font)
        text_left = rect.left()
        if item.kind != "note":
            paint_swatch(painter, item, QRectF(rect.left(), rect.top(), _SWATCH, rect.height()))
            text_left += _SWATCH + 6
        painter.setPen(_MUTED if item.kind == "note" else _INK)
        painter.drawText(QRectF(text_left, rect.top(), rect.right() - text_left, rect.height()),
                         Qt.AlignLeft | Qt.AlignVCenter, item.label)


def _elide(text: str, font: QFont, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.ElideRight, width)


def _date_line(parts: list[str]) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return " · ".join([p for p in parts if p] + [f"exported {stamp} by Workbench {__version__}"])


# ---------------------------------------------------------------------------------- devices


def _format_of(path: Path, format: str | None) -> str:
    name = (format or path.suffix.lstrip(".")).lower()
    if name not in IMAGE_FORMATS:
        raise ExportError(f"{path}: cannot tell the picture format; use a .png, .svg or .pdf file name "
                          f"(or say the format: {', '.join(IMAGE_FORMATS)})")
    return name


@contextmanager
def _export_mode(views: list[QWidget], on: bool) -> Iterator[None]:
    """pyqtgraph's export mode: every scatter symbol drawn as a path, not stamped from a bitmap.

    Vector formats need it (an SVG of bitmaps is no SVG), and so does a PNG at another
    resolution (bitmaps made at screen size would be blown up). Antialiasing is on for export.
    """
    items = []
    if on:
        for view in views:
            for item in view.scene().items():
                if hasattr(item, "setExportMode"):
                    item.setExportMode(True, {"antialias": True, "resolutionScale": 1.0, "background": Qt.white})
                    items.append(item)
    try:
        yield
    finally:
        for item in items:
            item.setExportMode(False)


def _write(path: Path, fmt: str, frame: _Frame, body: Callable[[QPainter, QRect], None], dpi: float,
           views: list[QWidget]) -> None:
    """Paint ``frame`` (with ``body`` inside) into a PNG, SVG or PDF at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = frame.width, frame.height
    if fmt == "png":
        scale = dpi / SCREEN_DPI
        image = QImage(math.ceil(width * scale), math.ceil(height * scale), QImage.Format_ARGB32_Premultiplied)
        # Painting happens in logical pixels; the ratio makes each one scale x scale real pixels.
        image.setDevicePixelRatio(scale)
        image.fill(Qt.white)
        with _export_mode(views, on=abs(scale - 1.0) > 1e-6):
            painter = QPainter(image)
            frame.paint(painter, body)
            painter.end()
        # The resolution is written into the file only now: painted at it, Qt would scale
        # graphics views' contents by it a second time.
        dots_per_metre = round(dpi / 0.0254)
        image.setDotsPerMeterX(dots_per_metre)
        image.setDotsPerMeterY(dots_per_metre)
        if not image.save(str(path), "PNG"):
            raise ExportError(f"{path}: could not write the PNG (is the folder writable?)")
        return
    if fmt == "svg":
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(QSize(width, height))
        generator.setViewBox(QRect(0, 0, width, height))
        generator.setResolution(round(SCREEN_DPI))
        generator.setTitle(frame.title)
        generator.setDescription(frame.date_line)
        with _export_mode(views, on=True):
            painter = QPainter()
            if not painter.begin(generator):
                raise ExportError(f"{path}: could not write the SVG (is the folder writable?)")
            frame.paint(painter, body)
            painter.end()
        return
    writer = QPdfWriter(str(path))
    writer.setResolution(round(SCREEN_DPI))
    writer.setTitle(frame.title)
    writer.setCreator(f"Workbench {__version__}")
    # One page exactly the picture's size (in points: 72 a logical inch of 96 pixels), no margins.
    page = QPageSize(QSizeF(width * 72 / SCREEN_DPI, height * 72 / SCREEN_DPI), QPageSize.Point, "",
                     QPageSize.ExactMatch)
    writer.setPageLayout(QPageLayout(page, QPageLayout.Portrait, QMarginsF(0, 0, 0, 0)))
    with _export_mode(views, on=True):
        painter = QPainter()
        if not painter.begin(writer):
            raise ExportError(f"{path}: could not write the PDF (is the folder writable?)")
        painter.setRenderHint(QPainter.LosslessImageRendering, True)
        frame.paint(painter, body)
        painter.end()


def _render_view(view, painter: QPainter, target: QRect) -> None:
    """Draw a graphics view's whole viewport into ``target`` (of the same size: no scaling)."""
    source = QRect(0, 0, view.viewport().width(), view.viewport().height())
    view.render(painter, QRectF(target), source, Qt.IgnoreAspectRatio)


# ---------------------------------------------------------------------------------- chart


def place_unplaced(model: ChartModel, viewport: tuple[float, float] | None = None) -> int:
    """Give entities without a stored position one (force-directed, around the placed ones).

    Only the model changes, never the case: a picture of a case that was never laid out still
    shows a readable chart, spaced (as the app's layouts are) so that the labels fit a picture
    of ``viewport`` pixels. Returns how many entities were placed.
    """
    unplaced = model.unplaced
    if not unplaced.any() or model.graph is None:
        return 0
    from workbench.analysis.layout import force_directed, make_room
    from workbench.ui.chart_view import label_boxes

    initial = {model.ids[i]: tuple(model.positions[i]) for i in np.flatnonzero(~unplaced)}
    positions = force_directed(model.graph, initial=initial or None, pinned=initial or None)
    ensure_application()  # labels are measured with Qt's fonts
    positions = make_room(positions, label_boxes(model), viewport=viewport, pinned=list(initial))
    for entity_id, (x, y) in positions.items():
        index = model.index_of(entity_id)
        if index is not None and unplaced[index]:
            model.positions[index] = (x, y)
    return int(unplaced.sum())


@contextmanager
def offscreen_chart(model: ChartModel, size: tuple[int, int], view_rect: QRectF | None = None,
                    show_selection: bool = False) -> Iterator[ChartView]:
    """A :class:`ChartView` of ``model`` at ``size``, laid out and labelled, never shown on screen.

    ``view_rect`` (chart units) is the part of the chart to show; the whole chart by default.
    """
    app = ensure_application()
    view = ChartView(model)
    view.setAttribute(Qt.WA_DontShowOnScreen, True)
    view.resize(*size)
    with _quiet_window_hints():
        view.show()
    try:
        _settle(app)
        if view_rect is not None:
            view.viewbox.setRange(view_rect, padding=0)
        elif model.focus:  # a finding's evidence, framed
            view.frame(model.focus)
        else:
            view.fit()
        _settle(app)
        view.prepare_picture(show_selection=show_selection)
        yield view
    finally:
        _dispose_chart(view)


def _dispose_chart(view: ChartView) -> None:
    """Detach an offscreen chart from its model and timers before Qt deletes it.

    The model outlives the view, and the view's label and link-cache timers would otherwise
    fire on deleted items.
    """
    view.detach()
    view.viewbox.sigRangeChanged.disconnect()
    view.close()
    view.deleteLater()


def export_chart(
    chart: ChartView | ChartModel,
    path: str | Path,
    *,
    size: tuple[int, int] = (1600, 1000),
    dpi: float = SCREEN_DPI,
    title: str = "Chart",
    subtitle: str = "",
    legend: bool = True,
    show_selection: bool = False,
    format: str | None = None,
) -> ExportedImage:
    """Write the chart as PNG, SVG or PDF, with a title, a date line and a legend.

    ``chart`` is the view on screen (its model and the part of the chart it shows are used) or
    a bare :class:`ChartModel` (the whole chart, laid out first if it never was). ``size`` is in
    logical pixels (96 an inch); ``dpi`` sets a PNG's resolution (192 doubles the pixels, not
    the chart), while SVG and PDF are vector whatever it is. Labels, colours, icons, arrows and
    dashed weak links are the screen's. The selection is left out unless ``show_selection``.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if dpi <= 0:
        raise ExportError(f"dpi must be positive, not {dpi}")
    app = ensure_application()
    if isinstance(chart, ChartView):
        model, view_rect = chart.model, chart.viewbox.viewRect()
    else:
        model, view_rect = chart, None
    shown = int(model.visible.sum()) if len(model.visible) else 0
    mask = model.link_mask() if len(model.links) else np.zeros(0, dtype=bool)
    links = sum(1 for k, link in enumerate(model.links)
                if mask[k] and model.visible[link.source] and model.visible[link.target])
    counts = f"{shown:,} entities, {links:,} links"
    if model.time_window is not None:
        start, end = (np.datetime64(int(day), "D") for day in model.time_window)
        counts += f" dated {start} to {end}"
    frame = _Frame(int(size[0]), int(size[1]), title, _date_line([subtitle, counts]),
                   chart_legend(model, show_selection=show_selection) if legend else [])
    if view_rect is None:
        place_unplaced(model, (frame.body.width(), frame.body.height()))
    with offscreen_chart(model, (frame.body.width(), frame.body.height()), view_rect, show_selection) as view:
        labels = [label.text for label in view.placed_labels() if label.kind == "entity"]
        overlaps = tuple(int(n) for n in count_overlaps(view.placed_labels(), view.icon_rects()))
        _write(path, fmt, frame, lambda painter, rect: _render_view(view, painter, rect), dpi, [view])
    _settle(app, 1)
    return ExportedImage(path, fmt, frame.width, frame.height, dpi, _rect_tuple(frame.body), title,
                         frame.date_line, frame.legend, labels, overlaps)


def _rect_tuple(rect: QRect) -> tuple[int, int, int, int]:
    return rect.x(), rect.y(), rect.width(), rect.height()


# ---------------------------------------------------------------------------------- timeline


@contextmanager
def offscreen_timeline(model: TimelineModel, size: tuple[int, int], *, source: TimelineView | None = None,
                       all_lanes: bool = True) -> Iterator[TimelineView]:
    """A :class:`TimelineView` of ``model`` at ``size``, never shown on screen.

    With ``source`` (the view on screen) its time range, lanes in view, selection and brushed
    window are copied; otherwise the whole span is shown, and every lane when ``all_lanes``.
    """
    app = ensure_application()
    view = TimelineView()
    view.setAttribute(Qt.WA_DontShowOnScreen, True)
    view.resize(*size)
    with _quiet_window_hints():
        view.show()
    try:
        _settle(app)
        view.set_model(model)
        if source is not None:
            (x0, x1), (y0, y1) = source.lanes_plot.getViewBox().viewRange()
            view.lanes_plot.setXRange(x0, x1, padding=0)
            view.lanes_plot.setYRange(y0, y1, padding=0)
            view.select_vias(source.selected_vias)
            if source.brush.isVisible():
                view.brush.blockSignals(True)
                view.brush.setRegion(source.brush.getRegion())
                view.brush.show()
                view.brush.blockSignals(False)
        elif all_lanes and model.lanes:
            view.lanes_plot.setYRange(-0.7, len(model.lanes) - 0.3, padding=0)
        _settle(app)
        view.redraw()
        _settle(app)
        yield view
    finally:
        # Its redraw timer would otherwise fire on deleted items.
        view.detach()
        view.close()
        view.deleteLater()


def export_timeline(
    timeline: TimelineView | TimelineModel,
    path: str | Path,
    *,
    size: tuple[int, int] = (1600, 700),
    dpi: float = SCREEN_DPI,
    title: str = "Timeline",
    subtitle: str = "",
    legend: bool = True,
    all_lanes: bool = True,
    format: str | None = None,
) -> ExportedImage:
    """Write the timeline as PNG, SVG or PDF, with a title, a date line and a legend.

    ``timeline`` is the view on screen (what it shows is kept) or a bare
    :class:`TimelineModel` (the whole span; every lane when ``all_lanes``).
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if dpi <= 0:
        raise ExportError(f"dpi must be positive, not {dpi}")
    app = ensure_application()
    source = timeline if isinstance(timeline, TimelineView) else None
    model = timeline.model if source is not None else timeline
    times = model.times[~np.isnan(model.times)] if len(model.times) else np.zeros(0)
    span = ""
    if len(times):
        first, last = (str(np.datetime64(int(t), "s"))[:10] for t in (times[0], times[-1]))
        span = f"{len(times):,} events from {first} to {last}"
    selected = bool(source is not None and source.selected_vias)
    frame = _Frame(int(size[0]), int(size[1]), title, _date_line([subtitle, span, f"{len(model.lanes):,} lanes"]),
                   timeline_legend(model, selected=selected) if legend else [])
    body_size = (frame.body.width(), frame.body.height())
    with offscreen_timeline(model, body_size, source=source, all_lanes=all_lanes) as view:
        plots = [view.lanes_plot, view.strip]

        def body(painter: QPainter, rect: QRect) -> None:
            for plot in plots:
                geometry = plot.geometry()
                _render_view(plot, painter, QRect(rect.topLeft() + geometry.topLeft(), geometry.size()))

        (_, _), (y0, y1) = view.lanes_plot.getViewBox().viewRange()
        labels = [caption for i, caption in enumerate(model.lane_captions) if y0 <= i <= y1]
        _write(path, fmt, frame, body, dpi, plots)
    _settle(app, 1)
    return ExportedImage(path, fmt, frame.width, frame.height, dpi, _rect_tuple(frame.body), title,
                         frame.date_line, frame.legend, labels)


# ---------------------------------------------------------------------------------- HTML to PDF


def html_to_pdf(
    html: str,
    path: str | Path,
    *,
    images: dict[str, bytes] | None = None,
    title: str = "",
    footer: str = "",
    margins_mm: float = 15.0,
) -> int:
    """Typeset ``html`` onto A4 pages of a PDF with Qt's own text engine; returns the page count.

    ``images`` maps the names used in ``<img src="...">`` to PNG bytes. Qt's rich text is a
    subset of HTML 4 and CSS 2 (tables, colours, fonts, ``page-break-before``), which is what
    the report template keeps to. Each page gets a footer: ``footer`` and "page N of M".
    """
    ensure_application()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(round(SCREEN_DPI))
    writer.setTitle(title)
    writer.setCreator(f"Workbench {__version__}")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait,
                                     QMarginsF(margins_mm, margins_mm, margins_mm, margins_mm), QPageLayout.Millimeter))
    paint_rect = writer.pageLayout().paintRectPixels(writer.resolution())
    footer_height = 22
    page_width, body_height = paint_rect.width(), paint_rect.height() - footer_height

    document = QTextDocument()
    # Lay text out in the writer's units so what is measured is what is printed.
    document.documentLayout().setPaintDevice(writer)
    font = QFont()
    font.setPointSizeF(9.5)
    document.setDefaultFont(font)
    document.setDocumentMargin(0)
    for name, data in (images or {}).items():
        image = QImage.fromData(data)
        if image.isNull():
            raise ExportError(f"image {name!r} for the PDF is not a readable picture")
        document.addResource(QTextDocument.ImageResource, QUrl(name), image)
    document.setHtml(html)
    document.setPageSize(QSizeF(page_width, body_height))
    pages = document.pageCount()

    painter = QPainter()
    if not painter.begin(writer):
        raise ExportError(f"{path}: could not write the PDF (is the folder writable?)")
    # Charts are lines and text: JPEG (Qt's default for pictures in a PDF) would blur them.
    painter.setRenderHint(QPainter.LosslessImageRendering, True)
    footer_font = _font(10)
    for page in range(pages):
        if page:
            writer.newPage()
        painter.save()
        painter.translate(0, -page * body_height)
        document.drawContents(painter, QRectF(0, page * body_height, page_width, body_height))
        painter.restore()
        painter.setFont(footer_font)
        painter.setPen(_MUTED)
        line = QRectF(0, body_height + 6, page_width, footer_height - 6)
        painter.drawText(line, Qt.AlignLeft | Qt.AlignVCenter, _elide(footer, footer_font, page_width - 120))
        painter.drawText(line, Qt.AlignRight | Qt.AlignVCenter, f"page {page + 1} of {pages}")
    painter.end()
    return pages


__all__ = [
    "IMAGE_FORMATS",
    "SCREEN_DPI",
    "ExportError",
    "ExportedImage",
    "LegendEntry",
    "LegendSection",
    "chart_legend",
    "ensure_application",
    "export_chart",
    "export_timeline",
    "html_to_pdf",
    "offscreen_chart",
    "offscreen_timeline",
    "place_unplaced",
    "timeline_legend",
    "timeline_model",
]
