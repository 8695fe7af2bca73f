"""The entity-relationship chart, drawn in bulk with pyqtgraph.

One ScatterPlotItem per entity type for the icons, one PlotCurveItem per link style for all
links of that style (``connect="pairs"``), one scatter for all arrowheads; labels only when
few enough are on screen to be read (level of detail). No graphics item per entity: that is
what made 10,000 entities crash (DESIGN.md).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from workbench.ui.chart_model import ChartModel
from workbench.ui.styles import (
    HIGHLIGHT_COLOUR,
    SELECTION_COLOUR,
    arrow_symbol,
    link_pen,
    node_colour,
    node_icon,
)

NODE_SIZE = 22
HIT_RADIUS = 13
MAX_LABELS = 250
MAX_LINK_LABELS = 120
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
                                            pen=pg.mkPen("#dc2626", width=2.5), brush=None)
        self._labels: list[pg.TextItem] = []
        self._link_labels: list[pg.TextItem] = []
        self._drag_start: np.ndarray | None = None
        for item in (self._link_layer, self._highlight_item, self._arrow_item, self._selection_item,
                     self._listed_item):
            item.setAcceptedMouseButtons(Qt.NoButton)
            self.viewbox.addItem(item)
        self._label_timer = QTimer(self, singleShot=True, interval=40, timeout=self._update_labels)
        self.viewbox.sigRangeChanged.connect(lambda *_: self._label_timer.start())
        model.subscribe(self._on_model)
        self._rebuild()

    # ------------------------------------------------------------------ model events

    def _on_model(self, what: str) -> None:
        if what in ("reset", "visibility"):
            self._rebuild()
        elif what in ("positions", "style"):
            self._redraw_geometry()
        elif what == "window":  # a brushed time window changes which links show, not the nodes
            self._redraw_links()
            self._redraw_selection()
            self._label_timer.start()  # arrows follow the links shown
        elif what == "selection":
            self._redraw_selection()
            self._label_timer.start()

    def _rebuild(self) -> None:
        for item in self._node_items.values():
            self.viewbox.removeItem(item)
        self._node_items.clear()
        model = self.model
        self._links_by_style: dict[tuple[str, bool], list[int]] = defaultdict(list)
        for k, link in enumerate(model.links):
            self._links_by_style[(link.schema, link.weak)].append(k)
        self._pens = {style: link_pen(*style) for style in self._links_by_style}
        # Index arrays per pen, built once per load so every redraw is numpy work only.
        self._style_arrays = {}
        for style, indices in self._links_by_style.items():
            index = np.array(indices, dtype=int)
            self._style_arrays[style] = (
                np.array([model.links[k].source for k in indices], dtype=int),
                np.array([model.links[k].target for k in indices], dtype=int),
                np.array([model.links[k].directed for k in indices], dtype=bool),
                index,
            )
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
        self.fit()

    def _redraw_geometry(self) -> None:
        model = self.model
        pos = np.nan_to_num(model.positions)
        visible = model.visible
        for schema, members in self._nodes_by_type.items():
            shown = members[visible[members]] if len(members) else members
            options = {}
            if model.node_sizes is not None:
                options["size"] = model.node_sizes[shown]
            if model.node_colours is not None:
                options["brush"] = [_brush(model.node_colours[i]) for i in shown]
            else:
                options["brush"] = QBrush(node_colour(schema))
            self._node_items[schema].setData(pos=pos[shown] if len(shown) else np.zeros((0, 2)), **options)
        listed = np.flatnonzero(model.listed & visible) if len(model.topics) == len(model.ids) else []
        self._listed_item.setData(pos=pos[listed] if len(listed) else np.zeros((0, 2)))
        self._redraw_links()
        self._redraw_selection()
        self._label_timer.start()

    def _redraw_links(self) -> None:
        model = self.model
        pos = np.nan_to_num(model.positions)
        visible = model.visible
        paths = []
        drawn = 0
        link_shown = model.link_mask()
        for style in sorted(self._style_arrays):
            src, dst, _directed, indices = self._style_arrays[style]
            keep = visible[src] & visible[dst] & link_shown[indices]
            if keep.any():
                a, b = src[keep], dst[keep]
                xy = np.empty((len(a) * 2, 2))
                xy[0::2], xy[1::2] = pos[a], pos[b]
                paths.append((self._pens[style], pg.arrayToQPath(xy[:, 0], xy[:, 1], connect="pairs")))
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
        chosen = np.array(sorted(model.selected), dtype=int)
        pos = np.nan_to_num(model.positions)
        self._selection_item.setData(pos=pos[chosen] if len(chosen) else np.zeros((0, 2)))
        if model.highlighted_links:
            pairs = [(model.links[k].source, model.links[k].target) for k in sorted(model.highlighted_links)]
            xy = np.array([pos[i] for pair in pairs for i in pair])
            self._highlight_item.setData(xy[:, 0], xy[:, 1])
        else:
            self._highlight_item.setData([], [])

    def _update_labels(self) -> None:
        """Show labels only when few enough nodes are in view for them to be read."""
        model = self.model
        rect = self.viewbox.viewRect()
        pos = np.nan_to_num(model.positions)
        inside = (
            model.visible
            & (pos[:, 0] >= rect.left()) & (pos[:, 0] <= rect.right())
            & (pos[:, 1] >= rect.top()) & (pos[:, 1] <= rect.bottom())
        )
        shown = np.flatnonzero(inside) if inside.sum() <= MAX_LABELS else np.array([], dtype=int)
        self._update_arrows(inside)
        self._ensure_labels(self._labels, len(shown), colour="#0f172a")
        for label, i in zip(self._labels, shown):
            label.setText(_short(model.captions[i], 34))
            label.setPos(*pos[i])
            label.setVisible(True)
        for label in self._labels[len(shown):]:
            label.setVisible(False)
        # Link labels (type, amount, date): for the selection's links, and for every link only
        # when zoomed in close enough that they do not pile up.
        link_rows = []
        close_up = 0 < inside.sum() <= 15
        for link in model.links:
            if not (model.visible[link.source] and model.visible[link.target]):
                continue
            if (close_up and inside[link.source] and inside[link.target]) or (
                link.source in model.selected or link.target in model.selected
            ):
                link_rows.append(link)
        link_rows = link_rows[:MAX_LINK_LABELS]
        self._ensure_labels(self._link_labels, len(link_rows), colour="#475569", size=7)
        for label, link in zip(self._link_labels, link_rows):
            a, b = pos[link.source], pos[link.target]
            label.setText(link.label)
            label.setPos(*(a + (b - a) * 0.4))
            label.setVisible(True)
        for label in self._link_labels[len(link_rows):]:
            label.setVisible(False)

    def _ensure_labels(self, pool: list[pg.TextItem], count: int, colour: str, size: int = 8) -> None:
        while len(pool) < count:
            label = pg.TextItem(color=colour, anchor=(0.5, -0.55 if size == 8 else 0.5))
            font = label.textItem.font()
            font.setPointSize(size)
            label.setFont(font)
            label.setZValue(20 if size == 8 else 15)
            label.setAcceptedMouseButtons(Qt.NoButton)
            self.viewbox.addItem(label, ignoreBounds=True)
            pool.append(label)

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
        distance[~model.visible] = np.inf
        best = int(np.argmin(distance))
        return best if distance[best] <= HIT_RADIUS else None

    def select_in_rect(self, rect: QRectF, add: bool = False) -> None:
        pos = np.nan_to_num(self.model.positions)
        inside = ((pos[:, 0] >= rect.left()) & (pos[:, 0] <= rect.right())
                  & (pos[:, 1] >= rect.top()) & (pos[:, 1] <= rect.bottom()))
        self.model.select(np.flatnonzero(inside & self.model.visible).tolist(), add=add)

    def drag_started(self, indices: np.ndarray) -> None:
        self._drag_start = self.model.positions[indices].copy()

    def drag_to(self, indices: np.ndarray, delta: np.ndarray) -> None:
        self.model.positions[indices] = self._drag_start + delta
        self._redraw_geometry()

    def drag_finished(self, indices: np.ndarray) -> None:
        moved = {self.model.ids[i]: tuple(map(float, self.model.positions[i])) for i in indices}
        self.nodesMoved.emit(moved)

    def fit(self) -> None:
        pos = self.model.positions[self.model.visible]
        pos = pos[~np.isnan(pos).any(axis=1)]
        if len(pos):
            (x0, y0), (x1, y1) = pos.min(axis=0), pos.max(axis=0)
            pad = max(x1 - x0, y1 - y0, 100) * 0.08
            self.viewbox.setRange(QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), padding=0)

    def centre_on(self, index: int) -> None:
        x, y = self.model.positions[index]
        rect = self.viewbox.viewRect()
        self.viewbox.setRange(QRectF(x - rect.width() / 2, y - rect.height() / 2, rect.width(), rect.height()), padding=0)


_BRUSHES: dict[str, QBrush] = {}


def _brush(colour: str) -> QBrush:
    brush = _BRUSHES.get(colour)
    if brush is None:
        brush = _BRUSHES[colour] = QBrush(QColor(colour))
    return brush


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["ChartView", "ChartViewBox", "QColor", "QPen", "math"]
