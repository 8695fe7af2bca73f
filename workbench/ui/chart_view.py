"""The entity-relationship chart, drawn in bulk with pyqtgraph.

One ScatterPlotItem per entity type for the icons, one PlotCurveItem per link style for all
links of that style (``connect="pairs"``), one scatter for all arrowheads; labels only when
few enough are on screen to be read (level of detail). No graphics item per entity: that is
what made 10,000 entities crash (DESIGN.md).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsRectItem

from workbench.analysis.layout import FIT_MARGIN_X, FIT_MARGIN_Y, fit_scale
from workbench.palette import GROUP_FILL, GROUP_RINGS, GROUP_SCHEMA, HIGHLIGHT_COLOUR, LISTED_COLOUR, SELECTION_COLOUR
from workbench.plugin_api.wording import shorten
from workbench.ui.chart_model import ChartModel, bundle_caption
from workbench.ui.label_placement import (
    LabelRequest,
    Occupancy,
    PlacedLabel,
    entity_spots,
    link_spots,
    place_labels,
)
from workbench.ui.styles import arrow_symbol, link_pen, node_colour, node_icon

NODE_SIZE = 22
HIT_RADIUS = 13
#: Room kept around an icon for its rings (listed party 8 px wider, selection 12 px).
ICON_MARGIN = 8
#: At most this many entity labels are tried per frame (highest priority first); more could
#: not be read anyway, and each try costs a few microseconds.
MAX_LABEL_TRIES = 1500
#: Above this many entities in view, only :data:`CROWDED_LABEL_TRIES` labels are tried.
CROWDED_VIEW = 3000
CROWDED_LABEL_TRIES = 300
#: Link labels are tried when at most this many links are in view (plus the selection's and
#: the evidence's, always).
MAX_LINK_LABELS = 300
ENTITY_FONT_POINTS = 8
LINK_FONT_POINTS = 7
#: How much of its colour a dimmed item keeps while a finding or path is in focus.
DIMMED_ALPHA = 45
# Above this many links, the link layer is drawn once into an image when the view settles and
# that image is moved and scaled while panning (DESIGN.md: links are the cost). 3,000 links drawn
# live took 17 ms of a 25 ms frame on a 1,000-entity chart (goal 20 ms); from the image, 10 ms.
LIVE_LINK_LIMIT = 2000
MAX_ARROWS_IN_VIEW = 3000


class LinkLayer(pg.GraphicsObject):
    """All links, one path per pen, drawn live on small charts and from a cached image on big ones."""

    def __init__(self, viewbox: pg.ViewBox):
        super().__init__()
        self.viewbox = viewbox
        self.paths: list[tuple[QPen, QPainterPath]] = []
        self.link_count = 0
        self._bounds = QRectF()
        self._image: QImage | None = None
        self._image_rect: QRectF | None = None
        self._settle = QTimer(singleShot=True, interval=120, timeout=self.render_cache)
        viewbox.sigRangeChanged.connect(self._range_changed)

    def set_paths(self, paths: list[tuple[QPen, QPainterPath]], link_count: int) -> None:
        self.prepareGeometryChange()
        self.paths = paths
        self.link_count = link_count
        bounds = QRectF()
        for _, path in paths:
            bounds = bounds.united(path.boundingRect())
        self._bounds = bounds
        self._image = None
        if self.cached:
            self._settle.start()
        self.update()

    @property
    def cached(self) -> bool:
        return self.link_count > LIVE_LINK_LIMIT

    def _range_changed(self, *_):
        if self.cached:
            self._settle.start()

    def render_cache(self) -> None:
        """Draw every link once into an image of the current view (about 0.1 s for 30,000)."""
        if not self.cached:
            return
        rect = self.viewbox.viewRect()
        pixels = self.viewbox.sceneBoundingRect()
        width, height = max(int(pixels.width()), 1), max(int(pixels.height()), 1)
        image = QImage(width, height, QImage.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        painter.scale(width / rect.width(), height / rect.height())
        painter.translate(-rect.left(), -rect.top())
        self._draw(painter)
        painter.end()
        self._image, self._image_rect = image, rect
        self.update()

    def drop_cache(self) -> None:
        """Draw the paths themselves until the view settles again."""
        self._settle.stop()
        self._image = None

    def _draw(self, painter: QPainter) -> None:
        for pen, path in self.paths:
            painter.setPen(pen)
            painter.drawPath(path)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter, *args) -> None:
        if self.cached and self._image is not None:
            painter.drawImage(self._image_rect, self._image)
        else:
            self._draw(painter)


class LabelLayer(pg.GraphicsObject):
    """Every label of the frame, drawn in one paint: text on a light halo, at fixed pixel size.

    Each label is anchored at a chart point (an entity, a link's middle) with an offset in
    pixels, so labels follow a pan at once and keep their size while zooming; they are placed
    anew (:func:`workbench.ui.label_placement.place_labels`) when the view settles.
    """

    HALO = QColor(255, 255, 255, 215)

    def __init__(self):
        super().__init__()
        self.fonts = {"entity": _font(ENTITY_FONT_POINTS), "link": _font(LINK_FONT_POINTS)}
        self.bold = _font(ENTITY_FONT_POINTS, bold=True)
        # (anchor x, anchor y in chart units, dx, dy, w, h in pixels, text, kind, colour, strong)
        self.items: list[tuple] = []
        self._bounds = QRectF()
        self._static: dict[tuple[str, str, bool], QStaticText] = {}

    def set_items(self, items: list[tuple], bounds: QRectF) -> None:
        self.prepareGeometryChange()
        self.items = items
        self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter, *args) -> None:
        if not self.items:
            return
        # Anchors are chart points; the text is drawn in device pixels so it never scales.
        to_device = painter.transform()
        painter.save()
        painter.setTransform(QTransform())
        boxes = []
        for ax, ay, dx, dy, w, h, *_ in self.items:
            anchor = to_device.map(QPointF(ax, ay))
            boxes.append(QRectF(anchor.x() + dx, anchor.y() + dy, w, h))
        for box in boxes:
            painter.fillRect(box, self.HALO)
        current = None
        for box, (*_, text, kind, colour, strong) in zip(boxes, self.items):
            font = self.bold if strong else self.fonts[kind]
            if (kind, strong, colour) != current:
                painter.setFont(font)
                painter.setPen(QColor(colour))
                current = (kind, strong, colour)
            # Laid out once per text (QStaticText): drawText with a rectangle lays out every frame.
            key = (text, kind, strong)
            static = self._static.get(key)
            if static is None:
                static = self._static[key] = QStaticText(text)
                static.setTextFormat(Qt.PlainText)
                static.prepare(QTransform(), font)
            size = static.size()
            painter.drawStaticText(QPointF(box.left() + (box.width() - size.width()) / 2,
                                           box.top() + (box.height() - size.height()) / 2), static)
        painter.restore()


def _font(points: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(points)
    font.setBold(bold)
    return font


class _PassiveScatter(pg.ScatterPlotItem):
    """A scatter that lets clicks through to the view box, which hit-tests all nodes at once."""

    def mouseClickEvent(self, ev):
        ev.ignore()


class ChartViewBox(pg.ViewBox):
    """Pans on empty space, moves nodes when dragging one, rubber-bands with Shift held."""

    def __init__(self, chart: "ChartView"):
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.chart = chart
        self._dragging: np.ndarray | None = None
        self._drag_origin: QPointF | None = None
        self._band: QGraphicsRectItem | None = None

    def mouseClickEvent(self, event):
        if event.button() != Qt.LeftButton:
            return super().mouseClickEvent(event)
        event.accept()
        hit = self.chart.node_at(event.scenePos())
        additive = bool(event.modifiers() & (Qt.ControlModifier | Qt.ShiftModifier))
        model = self.chart.model
        if event.double() and hit is not None:
            self.chart.nodeDoubleClicked.emit(hit)  # opens a group in place
            return
        if hit is None and self.chart.toggle_bundle_at(event.scenePos()):
            return  # a click on "3 payments · USD 1.2M" opens the bundle into its links (and closes it)
        if hit is None:
            if not additive:
                model.select([])
        elif additive and hit in model.selected:
            model.select(model.selected - {hit})
        else:
            model.select([hit], add=additive)
        self.chart.nodeClicked.emit(hit if hit is not None else -1)

    def mouseDragEvent(self, event, axis=None):
        if event.button() != Qt.LeftButton:
            return super().mouseDragEvent(event, axis)
        model = self.chart.model
        if event.isStart():
            hit = self.chart.node_at(event.buttonDownScenePos())
            if event.modifiers() & Qt.ShiftModifier:
                self._band = QGraphicsRectItem()
                self._band.setPen(pg.mkPen(SELECTION_COLOUR, width=1, style=Qt.DashLine))
                self._band.setBrush(pg.mkBrush(250, 204, 21, 40))
                self.addItem(self._band, ignoreBounds=True)
            elif hit is not None:
                if hit not in model.selected:
                    model.select([hit])
                self._dragging = np.array(sorted(model.selected))
                self._drag_origin = self.mapSceneToView(event.buttonDownScenePos())
                self.chart.drag_started(self._dragging)
        if self._band is not None:
            event.accept()
            start = self.mapSceneToView(event.buttonDownScenePos())
            end = self.mapSceneToView(event.scenePos())
            rect = QRectF(start, end).normalized()
            self._band.setRect(rect)
            if event.isFinish():
                self.removeItem(self._band)
                self._band = None
                self.chart.select_in_rect(rect, add=bool(event.modifiers() & Qt.ControlModifier))
            return
        if self._dragging is not None:
            event.accept()
            now = self.mapSceneToView(event.scenePos())
            delta = np.array([now.x() - self._drag_origin.x(), now.y() - self._drag_origin.y()])
            self.chart.drag_to(self._dragging, delta)
            if event.isFinish():
                self.chart.drag_finished(self._dragging)
                self._dragging = None
            return
        super().mouseDragEvent(event, axis)


class ChartView(pg.GraphicsView):
    """Draws a :class:`ChartModel` and turns mouse gestures into model changes."""

    nodeClicked = Signal(int)
    nodeDoubleClicked = Signal(int)
    nodesMoved = Signal(object)  # {entity_id: (x, y)} once a drag ends

    def __init__(self, model: ChartModel, parent=None):
        super().__init__(parent, background="w")
        self.model = model
        self.viewbox = ChartViewBox(self)
        self.setCentralItem(self.viewbox)
        self._link_layer = LinkLayer(self.viewbox)
        self._link_layer.setZValue(-10)
        self._highlight_item = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(HIGHLIGHT_COLOUR, width=4))
        self._arrow_item = _PassiveScatter(pxMode=True, pen=None)
        self._node_items: dict[str, pg.ScatterPlotItem] = {}
        self._selection_item = _PassiveScatter(pxMode=True, size=NODE_SIZE + 12, symbol="o",
                                                  pen=pg.mkPen(SELECTION_COLOUR, width=3), brush=pg.mkBrush(250, 204, 21, 70))
        # Listed parties (sanctions, export control) wear a red ring whatever else is shown.
        self._listed_item = _PassiveScatter(pxMode=True, size=NODE_SIZE + 8, symbol="o",
                                            pen=pg.mkPen(LISTED_COLOUR, width=2.5), brush=None)
        self._label_layer = LabelLayer()
        self._label_layer.setZValue(20)
        self._placed: list[PlacedLabel] = []
        self._placement_seconds = 0.0
        self._text_widths: dict[tuple[str, str], float] = {}
        self._degree = np.zeros(0)
        #: Pairs of entities whose links are labelled one by one (a bundle the analyst opened).
        self._opened_bundles: set[tuple[int, int]] = set()
        self._drag_start: np.ndarray | None = None
        for item in (self._link_layer, self._highlight_item, self._arrow_item, self._selection_item,
                     self._listed_item, self._label_layer):
            item.setAcceptedMouseButtons(Qt.NoButton)
            self.viewbox.addItem(item, ignoreBounds=item is self._label_layer)
        self._label_timer = QTimer(self, singleShot=True, interval=40, timeout=self._update_labels)
        self.viewbox.sigRangeChanged.connect(lambda *_: self._label_timer.start())
        model.subscribe(self._on_model)
        self._rebuild()

    def detach(self) -> None:
        """Stop following the model and stop the timers (before the view is deleted)."""
        self.model.unsubscribe(self._on_model)
        self._label_timer.stop()
        self._link_layer._settle.stop()

    # ------------------------------------------------------------------ model events

    def _on_model(self, what: str) -> None:
        if what in ("reset", "visibility"):
            self._rebuild(fit=what == "reset")
        elif what in ("positions", "style", "focus"):
            self._redraw_geometry()
        elif what == "window":  # a brushed time window changes which links show, not the nodes
            self._redraw_links()
            self._redraw_selection()
            self._label_timer.start()  # arrows follow the links shown
        elif what == "selection":
            self._redraw_selection()
            self._label_timer.start()

    def _rebuild(self, fit: bool = True) -> None:
        if fit:  # a new case or a reload: bundles opened on the old chart mean nothing here
            self._opened_bundles = set()
        for item in self._node_items.values():
            self.viewbox.removeItem(item)
        self._node_items.clear()
        model = self.model
        # Index arrays per pen, built once per load so every redraw is numpy work only: one pass
        # over the links for their styles, the ends from the model's arrays.
        style_number: dict[tuple[str, bool], int] = {}
        styles, directed = [], []
        for link in model.links:
            styles.append(style_number.setdefault((link.schema, link.weak), len(style_number)))
            directed.append(link.directed)
        styles_array, directed_array = np.array(styles, dtype=int), np.array(directed, dtype=bool)
        del styles, directed
        self._link_ends = model.all_link_ends()
        self._pens = {style: link_pen(*style) for style in style_number}
        self._dim_pens = {style: _faded(pen) for style, pen in self._pens.items()}
        self._style_arrays = {}
        for style, number in style_number.items():
            index = np.flatnonzero(styles_array == number)
            self._style_arrays[style] = (self._link_ends[index, 0], self._link_ends[index, 1], directed_array[index],
                                         index)
        # Most linked first when labels must give way (after the selection, evidence and listed).
        self._degree = np.bincount(self._link_ends.ravel(), minlength=len(model.ids)).astype(float)
        self._nodes_by_type: dict[str, np.ndarray] = {}
        for schema in sorted(set(model.schemata)):
            members = np.array([i for i, s in enumerate(model.schemata) if s == schema], dtype=int)
            self._nodes_by_type[schema] = members
            colour = node_colour(schema)
            item = _PassiveScatter(pxMode=True, size=NODE_SIZE, symbol=node_icon(schema),
                                      pen=pg.mkPen(colour.darker(140), width=1), brush=QBrush(colour))
            item.setZValue(10)
            # Clicks and drags go to the view box, which hit-tests all nodes at once.
            item.setAcceptedMouseButtons(Qt.NoButton)
            self.viewbox.addItem(item)
            self._node_items[schema] = item
        self._arrow_item.setZValue(-5)
        self._selection_item.setZValue(5)
        self._listed_item.setZValue(6)
        self._highlight_item.setZValue(-8)
        self._redraw_geometry()
        if fit:
            self.fit()

    def _redraw_geometry(self) -> None:
        model = self.model
        pos = np.nan_to_num(model.positions)
        shown = model.shown
        focus = self._focus_mask()
        for schema, members in self._nodes_by_type.items():
            drawn = members[shown[members]] if len(members) else members
            options = {}
            if model.node_sizes is not None:
                options["size"] = model.node_sizes[drawn]
            if model.node_colours is not None:
                colours = [model.node_colours[i] for i in drawn]
            else:
                colours = None
            if focus is not None:
                # Everything outside the evidence keeps a trace of its colour, no more.
                base = node_colour(schema).name()
                options["brush"] = [_brush(colours[k] if colours else base, 255 if focus[i] else DIMMED_ALPHA)
                                    for k, i in enumerate(drawn)]
                options["pen"] = [pg.mkPen(QColor(base).darker(140), width=1) if focus[i] else pg.mkPen(None)
                                  for i in drawn]
            elif colours is not None:
                options["brush"] = [_brush(c) for c in colours]
            else:
                options["brush"] = QBrush(node_colour(schema))
                options["pen"] = pg.mkPen(node_colour(schema).darker(140), width=1)
            if schema == GROUP_SCHEMA and len(model.group_severity) and focus is None:
                # Collapsed groups are ringed by the worst open finding among their members.
                options["pen"] = [_ring_pen(model.group_severity[i - model.entity_count]) for i in drawn]
            self._node_items[schema].setData(pos=pos[drawn] if len(drawn) else np.zeros((0, 2)), **options)
        listed = np.flatnonzero(model.listed & shown) if len(model.topics) == len(model.ids) else []
        self._listed_item.setData(pos=pos[listed] if len(listed) else np.zeros((0, 2)))
        self._redraw_links()
        self._redraw_selection()
        self._label_timer.start()

    def _focus_mask(self) -> np.ndarray | None:
        """Which entities are in focus (a finding's evidence, a path), or None when nothing is."""
        if not self.model.focus:
            return None
        mask = np.zeros(len(self.model.ids), dtype=bool)
        mask[sorted(self.model.focus)] = True
        return mask

    def _redraw_links(self) -> None:
        model = self.model
        pos = np.nan_to_num(model.positions)
        shown = model.shown
        focus = self._focus_mask()
        paths = []
        drawn = 0
        link_shown = model.link_mask()
        for style in sorted(self._style_arrays):
            src, dst, _directed, indices = self._style_arrays[style]
            keep = shown[src] & shown[dst] & link_shown[indices]
            groups = [(self._pens[style], keep)]
            if focus is not None:
                bright = keep & focus[src] & focus[dst]
                groups = [(self._dim_pens[style], keep & ~bright), (self._pens[style], bright)]
            for pen, chosen in groups:
                if chosen.any():
                    a, b = src[chosen], dst[chosen]
                    xy = np.empty((len(a) * 2, 2))
                    xy[0::2], xy[1::2] = pos[a], pos[b]
                    paths.append((pen, pg.arrayToQPath(xy[:, 0], xy[:, 1], connect="pairs")))
                    drawn += len(a)
        self._link_layer.set_paths(paths, drawn)

    def _update_arrows(self, inside: np.ndarray) -> None:
        """Arrowheads for the directed links in view, only when few enough to tell apart."""
        model = self.model
        pos = np.nan_to_num(model.positions)
        link_shown = model.link_mask()
        points, angles = [], []
        for src, dst, directed, indices in self._style_arrays.values():
            keep = directed & inside[src] & inside[dst] & link_shown[indices]
            if keep.any():
                a, b = pos[src[keep]], pos[dst[keep]]
                points.append(a + (b - a) * 0.6)
                angles.append(np.degrees(np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0])))
        count = sum(len(p) for p in points)
        if not count or count > MAX_ARROWS_IN_VIEW:
            self._arrow_item.setData(pos=np.zeros((0, 2)))
            return
        steps = (np.round(np.concatenate(angles) / 10).astype(int)) % 36
        self._arrow_item.setData(pos=np.vstack(points), size=11, symbol=[arrow_symbol(int(k)) for k in steps],
                                 brush=pg.mkBrush("#475569"), pen=None)

    def _redraw_selection(self) -> None:
        model = self.model
        shown = model.shown
        chosen = np.array(sorted(i for i in model.selected if shown[i]), dtype=int)
        pos = np.nan_to_num(model.positions)
        self._selection_item.setData(pos=pos[chosen] if len(chosen) else np.zeros((0, 2)))
        # A highlight is drawn only between entities that are on the chart.
        pairs = [(model.links[k].source, model.links[k].target) for k in sorted(model.highlighted_links)
                 if shown[model.links[k].source] and shown[model.links[k].target]]
        if pairs:
            xy = np.array([pos[i] for pair in pairs for i in pair])
            self._highlight_item.setData(xy[:, 0], xy[:, 1])
        else:
            self._highlight_item.setData([], [])

    # ------------------------------------------------------------------ labels

    def _text_width(self, text: str, kind: str) -> float:
        key = (text, kind)
        width = self._text_widths.get(key)
        if width is None:
            font = self._label_layer.bold if kind == "strong" else self._label_layer.fonts[kind]
            width = self._text_widths[key] = QFontMetricsF(font).horizontalAdvance(text)
        return width

    def _pixel_frame(self) -> tuple[QRectF, float, float]:
        """The chart rectangle in view and the viewport's size in pixels."""
        rect = self.viewbox.viewRect()
        pixels = self.viewbox.sceneBoundingRect()
        return rect, max(pixels.width(), 1.0), max(pixels.height(), 1.0)

    def _to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Chart points to viewport pixels (0, 0 at the view box's top left; y down)."""
        rect, width, height = self._pixel_frame()
        out = np.empty_like(xy, dtype=float)
        out[:, 0] = (xy[:, 0] - rect.left()) * (width / max(rect.width(), 1e-12))
        out[:, 1] = (xy[:, 1] - rect.top()) * (height / max(rect.height(), 1e-12))
        return out

    def _icon_sizes(self) -> np.ndarray:
        sizes = self.model.node_sizes if self.model.node_sizes is not None else None
        base = np.full(len(self.model.ids), float(NODE_SIZE)) if sizes is None else np.asarray(sizes, dtype=float)
        return base + ICON_MARGIN

    def _update_labels(self) -> None:
        """Place this frame's labels: none over another label or an icon; the least important give way."""
        started = time.perf_counter()
        model = self.model
        rect, width, height = self._pixel_frame()
        pos = np.nan_to_num(model.positions)
        shown = model.shown
        inside = (
            shown
            & (pos[:, 0] >= rect.left()) & (pos[:, 0] <= rect.right())
            & (pos[:, 1] >= rect.top()) & (pos[:, 1] <= rect.bottom())
        )
        self._update_arrows(inside)
        in_view = np.flatnonzero(inside)
        occupancy = Occupancy(width, height)
        pixels = self._to_pixels(pos[in_view]) if len(in_view) else np.zeros((0, 2))
        sizes = self._icon_sizes()
        occupancy.take_squares(pixels, sizes[in_view])

        focus = self._focus_mask()
        selected = np.zeros(len(model.ids), dtype=bool)
        selected[sorted(model.selected)] = True
        listed = model.listed if len(model.topics) == len(model.ids) else np.zeros(len(model.ids), dtype=bool)
        evidence = focus if focus is not None else np.zeros(len(model.ids), dtype=bool)
        degree = self._degree if len(self._degree) == len(model.ids) else np.zeros(len(model.ids))
        # Parties and groups with open high or medium findings before the merely well linked.
        flagged = model.flagged
        priority = (selected * 4.0 + evidence * 3.0 + listed * 2.0 + flagged * 1.0
                    + degree / (degree.max() + 1.0 if len(degree) else 1.0))
        # A view packed with thousands of icons has room for a handful of labels: try the most
        # important few hundred, not all.
        tries = MAX_LABEL_TRIES if len(in_view) <= CROWDED_VIEW else CROWDED_LABEL_TRIES
        order = np.argsort(-priority[in_view], kind="stable")[:tries]
        line_height = QFontMetricsF(self._label_layer.fonts["entity"]).height() + 2
        requests = []
        for k in order.tolist():
            i = int(in_view[k])
            strong = bool(selected[i] or evidence[i])
            text = shorten(model.captions[i], 34)
            w = self._text_width(text, "strong" if strong else "entity") + 6
            x, y = pixels[k]
            # A listed party's name may also sit a little further out: it is the one to find.
            requests.append(LabelRequest(text, "entity", i, w, line_height,
                                         entity_spots(float(x), float(y), sizes[i] / 2, w, line_height,
                                                      far=strong or bool(listed[i]))))
        requests += self._link_label_requests(inside, selected, focus)
        self._placed = place_labels(requests, occupancy)
        self._placement_seconds = time.perf_counter() - started
        self._draw_labels(rect, width, height, pos, selected, focus)

    def _link_label_requests(self, inside: np.ndarray, selected: np.ndarray,
                             focus: np.ndarray | None) -> list[LabelRequest]:
        """Link labels, one per pair of linked entities ("3 payments · USD 1.2M"), split when both ends are selected."""
        model = self.model
        if not len(model.links):
            return []
        ends = self._link_ends
        link_shown = model.link_mask()
        shown = model.shown
        in_view = link_shown & shown[ends[:, 0]] & shown[ends[:, 1]] & (inside[ends[:, 0]] | inside[ends[:, 1]])
        important = selected[ends[:, 0]] | selected[ends[:, 1]]
        if model.highlighted_links:
            highlighted = np.zeros(len(model.links), dtype=bool)
            highlighted[sorted(model.highlighted_links)] = True
            important |= highlighted
        if focus is not None:
            important |= focus[ends[:, 0]] & focus[ends[:, 1]]
        wanted = in_view & important
        if in_view.sum() <= MAX_LINK_LABELS:
            wanted = in_view
        if not wanted.any():
            return []
        bundles: dict[tuple[int, int], list[int]] = defaultdict(list)
        for k in np.flatnonzero(wanted).tolist():
            a, b = ends[k]
            bundles[(min(a, b), max(a, b))].append(k)
        pixels = self._to_pixels(np.nan_to_num(model.positions))
        height = QFontMetricsF(self._label_layer.fonts["link"]).height() + 1
        first, rest = [], []
        for (a, b), members in bundles.items():
            split = len(members) > 1 and ((selected[a] and selected[b]) or (a, b) in self._opened_bundles)
            groups = [[k] for k in members] if split else [members]
            (ax, ay), (bx, by) = pixels[a], pixels[b]
            for n, group in enumerate(groups):
                text = bundle_caption([model.links[k] for k in group])
                w = self._text_width(text, "link") + 6
                spots = link_spots(float(ax), float(ay), float(bx), float(by), w, height)
                if split:  # each link of an opened bundle starts at its own place along the line
                    spots = spots[n % len(spots):] + spots[:n % len(spots)]
                request = LabelRequest(text, "link", group[0], w, height, spots)
                (first if important[group].any() else rest).append(request)
        return first + rest

    def _draw_labels(self, rect: QRectF, width: float, height: float, pos: np.ndarray,
                     selected: np.ndarray, focus: np.ndarray | None) -> None:
        items = []
        scale_x, scale_y = width / max(rect.width(), 1e-12), height / max(rect.height(), 1e-12)
        for label in self._placed:
            x, y, w, h = label.rect
            if label.kind == "entity":
                anchor = pos[label.index]
                strong = bool(selected[label.index] or (focus is not None and focus[label.index]))
                dimmed = focus is not None and not focus[label.index]
                colour = "#94a3b8" if dimmed else "#0f172a"
            else:
                link = self.model.links[label.index]
                anchor = (pos[link.source] + pos[link.target]) / 2
                strong = False
                dimmed = focus is not None and not (focus[link.source] and focus[link.target])
                colour = "#cbd5e1" if dimmed else "#334155"
            ax, ay = float(anchor[0]), float(anchor[1])
            # Offsets from the anchor's pixel, so the label stays put relative to it while panning.
            px, py = (ax - rect.left()) * scale_x, (ay - rect.top()) * scale_y
            items.append((ax, ay, x - px, y - py, w, h, label.text, label.kind, colour, strong))
        margin_x, margin_y = rect.width(), rect.height()
        self._label_layer.set_items(items, rect.adjusted(-margin_x, -margin_y, margin_x, margin_y))

    def link_label_at(self, scene_pos: QPointF) -> PlacedLabel | None:
        """The link label drawn under a scene position, if any."""
        corner = self.viewbox.sceneBoundingRect().topLeft()
        x, y = scene_pos.x() - corner.x(), scene_pos.y() - corner.y()
        for label in self._placed:
            left, top, w, h = label.rect
            if label.kind == "link" and left <= x <= left + w and top <= y <= top + h:
                return label
        return None

    def toggle_bundle_at(self, scene_pos: QPointF) -> bool:
        """Open (or close again) the bundle of links whose label is under ``scene_pos``."""
        label = self.link_label_at(scene_pos)
        if label is None:
            return False
        link = self.model.links[label.index]
        pair = (min(link.source, link.target), max(link.source, link.target))
        together = sum(1 for a, b in self._link_ends.tolist() if (min(a, b), max(a, b)) == pair)
        if together < 2 and pair not in self._opened_bundles:
            return False
        self._opened_bundles ^= {pair}
        self._update_labels()
        return True

    def settle(self) -> None:
        """Do now what the view does on a timer once it settles: place labels and arrows."""
        self._label_timer.stop()
        self._update_labels()

    def prepare_picture(self, *, show_selection: bool = False) -> None:
        """Make this frame ready to be rendered into a picture (PNG, SVG, PDF).

        Labels are placed now; the selection rings are left out unless asked for; and the links
        are drawn as paths, not from the bitmap big charts cache while panning (a picture needs
        them vector in SVG and PDF, and exact in PNG).
        """
        self.settle()
        if not show_selection:
            self._selection_item.setData(pos=np.zeros((0, 2)))
        self._link_layer.drop_cache()

    def placed_labels(self) -> list[PlacedLabel]:
        """The labels drawn in the current frame, with their rectangles in viewport pixels."""
        return list(self._placed)

    def icon_rects(self) -> list[tuple[float, float, float, float]]:
        """The drawn icons in view (with their rings), as (x, y, w, h) in viewport pixels."""
        rect, width, height = self._pixel_frame()
        pos = np.nan_to_num(self.model.positions)
        inside = (self.model.shown & (pos[:, 0] >= rect.left()) & (pos[:, 0] <= rect.right())
                  & (pos[:, 1] >= rect.top()) & (pos[:, 1] <= rect.bottom()))
        indices = np.flatnonzero(inside)
        pixels = self._to_pixels(pos[indices]) if len(indices) else np.zeros((0, 2))
        sizes = self._icon_sizes()[indices]
        return [(float(x - s / 2), float(y - s / 2), float(s), float(s)) for (x, y), s in zip(pixels, sizes)]

    @property
    def link_layer(self) -> LinkLayer:
        """The layer that draws every link: its ``paths`` (pen and path per style) and its bitmap cache."""
        return self._link_layer

    @property
    def placement_seconds(self) -> float:
        """How long the last label placement took."""
        return self._placement_seconds

    # ------------------------------------------------------------------ gestures

    def node_at(self, scene_pos: QPointF) -> int | None:
        """The visible node under a scene position, within a few pixels, or None."""
        model = self.model
        if not len(model.ids):
            return None
        view = self.viewbox.mapSceneToView(scene_pos)
        pixel = self.viewbox.viewPixelSize()
        pos = np.nan_to_num(model.positions)
        dx = (pos[:, 0] - view.x()) / pixel[0]
        dy = (pos[:, 1] - view.y()) / pixel[1]
        distance = np.hypot(dx, dy)
        distance[~model.shown] = np.inf
        best = int(np.argmin(distance))
        return best if distance[best] <= HIT_RADIUS else None

    def select_in_rect(self, rect: QRectF, add: bool = False) -> None:
        pos = np.nan_to_num(self.model.positions)
        inside = ((pos[:, 0] >= rect.left()) & (pos[:, 0] <= rect.right())
                  & (pos[:, 1] >= rect.top()) & (pos[:, 1] <= rect.bottom()))
        self.model.select(np.flatnonzero(inside & self.model.shown).tolist(), add=add)

    def drag_started(self, indices: np.ndarray) -> None:
        self._drag_start = self.model.positions[indices].copy()

    def drag_to(self, indices: np.ndarray, delta: np.ndarray) -> None:
        self.model.positions[indices] = self._drag_start + delta
        self._redraw_geometry()

    def drag_finished(self, indices: np.ndarray) -> None:
        moved = {self.model.ids[i]: tuple(map(float, self.model.positions[i])) for i in indices}
        self.nodesMoved.emit(moved)

    def fit(self) -> None:
        """The whole chart in view, with room for the labels at its edges."""
        self.frame(np.flatnonzero(self.model.shown))

    def frame(self, indices) -> None:
        """Fit ``indices`` (a finding's evidence, a path) in view, leaving room for their labels."""
        indices = np.asarray(sorted(indices), dtype=int)
        if not len(indices):
            return
        pos = self.model.positions[indices]
        pos = pos[~np.isnan(pos).any(axis=1)]
        if not len(pos):
            return
        (x0, y0), (x1, y1) = pos.min(axis=0), pos.max(axis=0)
        _, width, height = self._pixel_frame()
        # The same scale as the layout's room-making assumed, so that what it spaced out fits.
        scale = fit_scale(pos, (width, height))
        pad_x, pad_y = FIT_MARGIN_X / scale, FIT_MARGIN_Y / scale
        self.viewbox.setRange(QRectF(x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y), padding=0)

    def label_boxes(self, indices=None) -> dict[str, tuple[float, float, float]]:
        """Each entity's icon plus its label below, in pixels: see :func:`label_boxes`."""
        return label_boxes(self.model, indices)

    def centre_on(self, index: int) -> None:
        x, y = self.model.positions[index]
        rect = self.viewbox.viewRect()
        self.viewbox.setRange(QRectF(x - rect.width() / 2, y - rect.height() / 2, rect.width(), rect.height()), padding=0)


def label_boxes(model: ChartModel, indices=None) -> dict[str, tuple[float, float, float]]:
    """Each entity's icon plus its label below, as (width, height, dy, icon) in pixels, for
    :func:`workbench.analysis.layout.make_room` (dy: the box's centre below the entity; icon:
    the icon's own square, kept clear of other icons even where labels give way)."""
    indices = range(len(model.ids)) if indices is None else indices
    sizes = (np.full(len(model.ids), float(NODE_SIZE)) if model.node_sizes is None
             else np.asarray(model.node_sizes, dtype=float)) + ICON_MARGIN
    metrics = QFontMetricsF(_font(ENTITY_FONT_POINTS))
    line = metrics.height() + 2
    boxes = {}
    for i in indices:
        icon = float(sizes[i])
        width = max(metrics.horizontalAdvance(shorten(model.captions[i], 34)) + 6, icon) + 8
        top, bottom = -icon / 2 - 3, icon / 2 + 2 + line + 3
        boxes[model.ids[i]] = (width, bottom - top, (top + bottom) / 2, icon + 2)
    return boxes


def _faded(pen: QPen) -> QPen:
    faded = QPen(pen)
    colour = QColor(pen.color())
    colour.setAlpha(min(colour.alpha(), DIMMED_ALPHA))
    faded.setColor(colour)
    return faded


_RING_PENS: dict[str | None, QPen] = {}


def _ring_pen(severity: str | None) -> QPen:
    pen = _RING_PENS.get(severity)
    if pen is None:
        colour = GROUP_RINGS.get(severity)
        pen = pg.mkPen(colour, width=3.5) if colour else pg.mkPen(QColor(GROUP_FILL).darker(140), width=1)
        _RING_PENS[severity] = pen
    return pen


_BRUSHES: dict[str, QBrush] = {}


def _brush(colour: str, alpha: int = 255) -> QBrush:
    key = f"{colour}/{alpha}"
    brush = _BRUSHES.get(key)
    if brush is None:
        tinted = QColor(colour)
        tinted.setAlpha(alpha)
        brush = _BRUSHES[key] = QBrush(tinted)
    return brush


__all__ = ["ChartView", "ChartViewBox", "QColor", "QPen", "math"]
