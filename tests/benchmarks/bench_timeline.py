"""Timeline and brushing speed.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_timeline.py [--events 1000000]

1. A timeline of 1,000,000 payments on 2,000 lanes, offscreen 1200x500: frame time while panning
   and zooming from the whole span down to days (goal: under 50 ms a frame). Baseline in the same
   run: one pyqtgraph ScatterPlotItem holding all the payments, as a naive timeline would draw them.
2. Brushing a window on a chart of 20,000 accounts and 120,000 payments: time from the brush to
   the chart's links redrawn (goal: under 100 ms), against rebuilding the filtered graph from the
   case (the slow path the brush avoids).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QGraphicsView  # noqa: E402

from workbench.ui.app import application  # noqa: E402
from workbench.ui.timeline import SECONDS_PER_DAY, TimelineModel, TimelineView  # noqa: E402


def synthetic_timeline(count: int, lanes: int = 2000, seed: int = 3) -> TimelineModel:
    rng = np.random.default_rng(seed)
    model = TimelineModel()
    model.lanes = [f"acct-{i}" for i in range(lanes)]
    model.lane_captions = [f"Account {i}" for i in range(lanes)]
    model.times = np.sort(rng.uniform(1.45e9, 1.72e9, count))
    model.lane_of = rng.integers(0, lanes, count)
    model.other_lane = rng.integers(0, lanes, count)
    model.amounts = rng.lognormal(8, 1.5, count)
    model.kinds = rng.integers(0, 2, count)
    model.kind_names = ["Payment", "Shipment"]
    model.via = np.array([f"p{i}" for i in range(count)], dtype=object)
    from workbench.analysis.timeline_model import same_time_offsets

    model.offsets = same_time_offsets(model.times, model.lane_of)
    return model


def render(widget) -> float:
    image = QImage(widget.width(), widget.height(), QImage.Format_ARGB32_Premultiplied)
    started = time.perf_counter()
    if isinstance(widget, QGraphicsView):
        painter = QPainter(image)
        widget.render(painter)
        painter.end()
    else:
        widget.render(image)  # the widget and its children, as a repaint would
    return time.perf_counter() - started


def frame(view, x0, x1) -> float:
    """One pan/zoom step: set the range, recompute what is drawn, paint."""
    started = time.perf_counter()
    view.lanes_plot.setXRange(x0, x1, padding=0)
    view.redraw()
    return time.perf_counter() - started + render(view)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    app = application()

    model = synthetic_timeline(args.events)
    view = TimelineView()
    view.resize(1200, 500)
    view.show()
    started = time.perf_counter()
    view.set_model(model)
    print(f"timeline of {args.events:,} events: model set and first draw in {time.perf_counter() - started:.2f} s")
    t0, t1 = model.times[0], model.times[-1]
    steps = []
    for k in range(16):  # zoom from the whole span to three days, then pan
        width = (t1 - t0) * (0.55 ** k)
        width = max(width, 3 * SECONDS_PER_DAY)
        centre = t0 + (t1 - t0) * 0.5
        steps.append((centre - width / 2, centre + width / 2))
    for k in range(8):
        shift = k * 2 * SECONDS_PER_DAY
        steps.append((steps[-1][0] + shift, steps[-1][1] + shift))
    times = [frame(view, a, b) for a, b in steps]
    ours = statistics.median(times)

    naive = pg.PlotWidget(background="w")
    naive.resize(1200, 500)
    naive.show()
    scatter = pg.ScatterPlotItem(x=model.times, y=model.lane_of, size=6, pen=None, brush=pg.mkBrush("#16a34a"))
    naive.addItem(scatter)
    app.processEvents()
    naive_times = []
    for a, b in steps[:6]:
        naive.setXRange(a, b, padding=0)
        naive_times.append(render(naive))
    baseline = statistics.median(naive_times)
    print(f"timeline frame, pan and zoom          median {ours * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms "
          f"(goal < 50 ms)")
    print(f"one ScatterPlotItem of all events     median {baseline * 1000:7.1f} ms  (baseline; ours is "
          f"{ours / baseline:.2f}x)")

    from workbench.analysis.graph import GraphFilter, case_graph
    from workbench.model import SourceInfo
    from workbench.store import Case
    from workbench.ui.chart_model import ChartModel
    from workbench.ui.chart_view import ChartView

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_paths_flows import payments

    with tempfile.TemporaryDirectory() as folder:
        with Case.create(Path(folder) / "brush.wbcase") as case:
            parties = [{"id": f"acct-{n}", "schema": "LegalEntity", "properties": {"name": [f"Account {n}"]}}
                       for n in range(20_000)]
            case.ingest(parties + list(payments(120_000, 20_000)), SourceInfo(file_name="bench"))
            rng = np.random.default_rng(2)
            case.set_chart_items({f"acct-{n}": {"x": float(x), "y": float(y)}
                                  for n, (x, y) in enumerate(rng.uniform(-8000, 8000, (20_000, 2)))})
            chart_model = ChartModel.from_case(case)
            chart = ChartView(chart_model)
            chart.resize(1600, 1000)
            chart.show()
            app.processEvents()
            brush_times = []
            for month in range(1, 13):
                start = float((np.datetime64(f"2023-{month:02d}-01") - np.datetime64("1970-01-01")).astype(int))
                started = time.perf_counter()
                chart_model.set_time_window((start, start + 30))
                brush_times.append(time.perf_counter() - started + render(chart))
            started = time.perf_counter()
            case_graph(case, GraphFilter(start="2023-03-01", end="2023-03-31"))
            rebuild = time.perf_counter() - started
    brush = statistics.median(brush_times)
    print(f"brush a window, 20,000 accounts / 120,000 payments: median {brush * 1000:6.1f} ms  max "
          f"{max(brush_times) * 1000:6.1f} ms (goal < 100 ms); rebuilding the filtered graph instead: "
          f"{rebuild * 1000:.0f} ms ({rebuild / brush:.1f}x)")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
