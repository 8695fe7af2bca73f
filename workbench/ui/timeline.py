"""The transaction timeline: lanes of parties, payments and shipments as marks, dated facts as bars.

Built to stay smooth with a million payments: events are kept sorted by time in numpy arrays,
what is in view is found with a binary search, and when too many are in view they are drawn
as a density image (lanes x time bins) instead of one mark each. The activity strip below is
a histogram computed from the same sorted times; dragging a window on it brushes the chart.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

# The model lives outside the UI (no Qt); its old home here keeps working.
from workbench.analysis.timeline_model import SECONDS_PER_DAY, TimelineModel
from workbench.analysis.timeline_model import iso_seconds as _seconds  # noqa: F401
from workbench.analysis.timeline_model import same_time_offsets as _same_time_offsets  # noqa: F401
from workbench.palette import LINK_COLOURS, SELECTION_COLOUR
from workbench.plugin_api.wording import shorten

MAX_MARKS = 20_000
LANE_PIXELS = 20  # height a lane needs for its name to be read
LANE_CAPTION_CHARS = 28  # a lane's name is cut to this many characters
DENSITY_BINS = 800


class TimelineView(QWidget):
    """Lanes over a date axis, with an activity strip to brush a time window."""

    eventsSelected = Signal(list)  # via ids of clicked events
    windowBrushed = Signal(object)  # (start_seconds, end_seconds) or None

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = TimelineModel()
        self.lanes_plot = pg.PlotWidget(background="w", axisItems={"bottom": pg.DateAxisItem()})
        self.lanes_plot.setMouseEnabled(x=True, y=True)
        # Vertical lines at the date axis's main ticks, drawn as one path: pyqtgraph's own grid
        # (showGrid) took 15 ms of a 40 ms frame, repainting every tick level through the axis.
        self.grid = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(15, 23, 42, 22, width=1))
        self.grid.setZValue(-20)
        self.strip = pg.PlotWidget(background="w", axisItems={"bottom": pg.DateAxisItem()})
        self.strip.setMaximumHeight(80)
        self.strip.setMouseEnabled(x=True, y=False)
        self.strip.setXLink(self.lanes_plot)
        self.strip.hideAxis("left")
        self.marks = pg.ScatterPlotItem(pxMode=True, pen=None)
        self.marks.sigClicked.connect(self._clicked)
        self.selected_marks = pg.ScatterPlotItem(pxMode=True, size=16, pen=pg.mkPen(SELECTION_COLOUR, width=2.5),
                                                 brush=None)
        self.density = pg.ImageItem()
        self.density.setColorMap(pg.colormap.get("viridis"))
        self.bar_item = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(148, 163, 184, 110, width=3))
        self.histogram = pg.PlotCurveItem(fillLevel=0, brush=pg.mkBrush("#64748b"), pen=None)
        self.brush = pg.LinearRegionItem(brush=pg.mkBrush(250, 204, 21, 60))
        self.brush.hide()
        self.brush.sigRegionChangeFinished.connect(self._brushed)
        for item in (self.grid, self.bar_item, self.density, self.marks, self.selected_marks):
            self.lanes_plot.addItem(item)
        self.strip.addItem(self.histogram)
        self.strip.addItem(self.brush)
        self._selected_via: set[str] = set()
        self._refresh = QTimer(self, singleShot=True, interval=30, timeout=self.redraw)
        self.lanes_plot.getViewBox().sigRangeChanged.connect(lambda *_: self._refresh.start())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.lanes_plot, 1)
        layout.addWidget(self.strip)

    def set_model(self, model: TimelineModel) -> None:
        self.model = model
        left = self.lanes_plot.getAxis("left")
        ticks = [(i, shorten(c, LANE_CAPTION_CHARS)) for i, c in enumerate(model.lane_captions)]
        left.setTicks([ticks, []])
        # Sized from the captions now: left to pyqtgraph, the axis only widens after its first
        # paint, so the first frame (and any grab or export of it) shows no lane names.
        metrics = QFontMetrics(left.style.get("tickFont") or left.font())
        widest = max((metrics.horizontalAdvance(text) for _, text in ticks), default=0)
        left.setWidth(widest + left.style["tickTextOffset"][0] + max(0, left.style["tickLength"]) + 8)
        bars = model.bars
        if bars:
            xy = np.array([(x, lane) for lane, start, end, _ in bars for x in (start, end)], dtype=float)
            self.bar_item.setData(xy[:, 0], xy[:, 1])
        else:
            self.bar_item.setData([], [])
        self.fit()
        self.redraw()

    def fit(self) -> None:
        times = self.model.times[~np.isnan(self.model.times)] if len(self.model.times) else np.zeros(0)
        if len(times):
            pad = max((times[-1] - times[0]) * 0.03, SECONDS_PER_DAY)
            self.lanes_plot.setXRange(times[0] - pad, times[-1] + pad, padding=0)
            self.lanes_plot.setYRange(-0.7, min(len(self.model.lanes), self._lanes_that_fit()) - 0.3, padding=0)

    def _lanes_that_fit(self) -> int:
        """As many lanes as leave each about 20 pixels (a readable name), from 3 to 12."""
        height = self.lanes_plot.getViewBox().height()
        return 12 if height < 60 else max(3, min(12, int(height // LANE_PIXELS)))

    def redraw(self) -> None:
        """Marks for what is in view, or a density image when there are too many to draw one by one."""
        model = self.model
        (x0, x1), (y0, y1) = self.lanes_plot.getViewBox().viewRange()
        window = model.in_range(x0, x1)
        # Only the lanes in view (and one either side) get marks: zoomed in on a dozen of 2,000 lanes,
        # the other lanes' events would be laid out and never seen.
        lane_of = model.lane_of[window]
        in_view = np.flatnonzero((lane_of >= y0 - 1) & (lane_of <= y1 + 1)) + window.start
        count = len(in_view)
        if count > MAX_MARKS:
            self.marks.setData(pos=np.zeros((0, 2)))
            lanes = max(len(model.lanes), 1)
            # Bin with bincount on flat indices: several times faster than histogram2d on 1M events.
            columns = ((model.times[window] - x0) * (DENSITY_BINS / (x1 - x0))).astype(np.int64)
            np.clip(columns, 0, DENSITY_BINS - 1, out=columns)
            counts = np.bincount(columns * lanes + model.lane_of[window], minlength=DENSITY_BINS * lanes)
            image = counts.reshape(DENSITY_BINS, lanes).astype(np.float32)
            self.density.setImage(np.log1p(image), autoLevels=True)
            self.density.setRect(x0, -0.5, x1 - x0, lanes)
            self.density.show()
        else:
            self.density.hide()
            window = in_view
            times = model.times[window]
            lanes = model.lane_of[window] + model.offsets[window]
            amounts = model.amounts[window]
            # A few distinct sizes only: pyqtgraph renders each distinct size once, and a float size per
            # mark made 15,000 marks take 0.6 s.
            sizes = 6 + 2 * np.round(5 * np.sqrt(amounts / amounts.max())) if len(amounts) and amounts.max() > 0 else 8
            brushes = [_kind_brush(model.kind_names[k]) for k in model.kinds[window]] if count <= 5000 else \
                _kind_brush(model.kind_names[0] if model.kind_names else "")
            self.marks.setData(x=times, y=lanes, size=sizes, brush=brushes, data=model.via[window])
        self._draw_grid(x0, x1, y0, y1)
        # The activity strip shows the whole span, so the analyst sees where the busy periods are.
        if len(model.times):
            span = model.times[~np.isnan(model.times)]
            edges, counts = model.histogram(span[0], span[-1] + 1, 200)
            self.histogram.setData(edges, counts, stepMode="center")
        self._draw_selection()

    def _draw_grid(self, x0: float, x1: float, y0: float, y1: float) -> None:
        axis = self.lanes_plot.getAxis("bottom")
        if not hasattr(axis, "fontMetrics"):
            # DateAxisItem measures its labels with the metrics its first paint stores; the grid
            # can be asked for before that paint.
            axis.fontMetrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        width = max(self.lanes_plot.getViewBox().width(), 1.0)
        levels = axis.tickValues(x0, x1, width)
        # The labelled levels (years and months, or days and hours), as the axis shows them.
        ticks = sorted({t for _, values in levels[:2] for t in values if x0 <= t <= x1})[:400]
        if not ticks:
            self.grid.setData([], [])
            return
        xs = np.repeat(np.asarray(ticks, dtype=float), 2)
        ys = np.tile([y0, y1], len(ticks))
        self.grid.setData(xs, ys)

    def select_vias(self, vias: set[str]) -> None:
        """Ring the events of these relationships (selection coming from the chart or a finding)."""
        self._selected_via = set(vias)
        self._draw_selection()

    @property
    def selected_vias(self) -> set[str]:
        """The relationships whose events are ringed (a copy)."""
        return set(self._selected_via)

    def choose_events(self, vias: list[str]) -> None:
        """The analyst clicked these events: ring them and tell the chart (``eventsSelected``)."""
        self.select_vias(set(vias))
        self.eventsSelected.emit(list(vias))

    def detach(self) -> None:
        """Stop redrawing on changes of the view range (before the view is deleted)."""
        self._refresh.stop()
        self.lanes_plot.getViewBox().sigRangeChanged.disconnect()

    def reveal_vias(self, vias: set[str]) -> list[int]:
        """Scroll the lanes (and widen the dates) so that these relationships' events are in view.

        Returns the lanes shown. A finding's evidence is brought in: its lanes first, as many as
        fit the panel, and the time span of its events.
        """
        model = self.model
        if not vias or not len(model.via):
            return []
        mask = np.isin(model.via, list(vias))
        if not mask.any():
            return []
        lanes = sorted(set(model.lane_of[mask].tolist()) | {i for i in model.other_lane[mask].tolist() if i >= 0})
        (x0, x1), (y0, y1) = self.lanes_plot.getViewBox().viewRange()
        if lanes[0] < y0 or lanes[-1] > y1:
            span = max(y1 - y0, min(len(lanes), self._lanes_that_fit()) - 0.4)
            top = min(lanes[0] - 0.7, len(model.lanes) - 0.3 - span)
            self.lanes_plot.setYRange(max(top, -0.7), max(top, -0.7) + span, padding=0)
        times = model.times[mask]
        times = times[~np.isnan(times)]
        if len(times) and (times.min() < x0 or times.max() > x1):
            pad = max((times.max() - times.min()) * 0.1, 7 * SECONDS_PER_DAY)
            self.lanes_plot.setXRange(min(x0, times.min() - pad), max(x1, times.max() + pad), padding=0)
        return lanes

    def _draw_selection(self) -> None:
        if not self._selected_via or not len(self.model.via):
            self.selected_marks.setData(pos=np.zeros((0, 2)))
            return
        mask = np.isin(self.model.via, list(self._selected_via))
        self.selected_marks.setData(x=self.model.times[mask], y=self.model.lane_of[mask] + self.model.offsets[mask])

    def _clicked(self, _item, points, _event=None) -> None:
        self.choose_events([p.data() for p in points])

    def set_brush(self, start: float | None, end: float | None) -> None:
        if start is None:
            self.brush.hide()
            self.windowBrushed.emit(None)
            return
        self.brush.setRegion((start, end))
        self.brush.show()

    def _brushed(self) -> None:
        start, end = self.brush.getRegion()
        self.windowBrushed.emit((start, end))


_KIND_BRUSHES: dict[str, object] = {}


def _kind_brush(kind: str):
    brush = _KIND_BRUSHES.get(kind)
    if brush is None:
        brush = _KIND_BRUSHES[kind] = pg.mkBrush(LINK_COLOURS.get(kind, "#64748b"))
    return brush


__all__ = ["SECONDS_PER_DAY", "TimelineModel", "TimelineView", "Qt"]
