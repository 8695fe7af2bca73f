"""Chart rendering: frames per pan/zoom step on 10,000 entities and 30,000 links, offscreen 1600x1000.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_chart.py [--nodes 10000] [--links 30000]

Baseline in the same run: pyqtgraph's own GraphItem drawing the same nodes and links in a plain
PlotWidget of the same size. Also: 1,000 entities with icons and labels, and window open to first
paint of the demo case.
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
from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402

from workbench.ui.app import application, wait_for_jobs  # noqa: E402
from workbench.ui.chart_model import ChartLink, ChartModel  # noqa: E402
from workbench.ui.chart_view import ChartView  # noqa: E402

SCHEMATA = ["Company", "Person", "Organization", "BankAccount", "Vessel"]
LINKS = ["Payment", "Ownership", "Directorship", "Shipment"]
SIZE = (1600, 1000)


def synthetic_model(nodes: int, links: int, seed: int = 1) -> ChartModel:
    rng = np.random.default_rng(seed)
    model = ChartModel()
    model.ids = [f"n{i}" for i in range(nodes)]
    model.schemata = [SCHEMATA[i % len(SCHEMATA)] for i in range(nodes)]
    model.captions = [f"Entity number {i}" for i in range(nodes)]
    model.grades = ["B2"] * nodes
    spread = np.sqrt(nodes) * 60
    model.positions = rng.uniform(-spread, spread, size=(nodes, 2))
    model.pinned = np.zeros(nodes, dtype=bool)
    model.visible = np.ones(nodes, dtype=bool)
    src = rng.integers(0, nodes, links)
    # Mostly local links, as laid-out charts have.
    dst = (src + rng.integers(1, 60, links)) % nodes
    model.links = [ChartLink(int(a), int(b), LINKS[k % 4], None, f"v{k}", "Payment · 1,000 USD", k % 7 == 0, True)
                   for k, (a, b) in enumerate(zip(src, dst))]
    return model


def settle(chart) -> None:
    """Let the view settle once (as it does before the analyst starts to pan)."""
    deadline = time.perf_counter() + 0.4
    while time.perf_counter() < deadline:
        application().processEvents()
        time.sleep(0.01)


def frame_times(widget, viewbox, rects: list[QRectF]) -> list[float]:
    """Render the widget once per view rectangle into an image, as a repaint would."""
    image = QImage(widget.width(), widget.height(), QImage.Format_ARGB32_Premultiplied)
    times = []
    app = application()
    for rect in rects:
        viewbox.setRange(rect, padding=0)
        app.processEvents()
        started = time.perf_counter()
        painter = QPainter(image)
        widget.render(painter)
        painter.end()
        times.append(time.perf_counter() - started)
    return times


def pan_zoom_path(extent: float) -> list[QRectF]:
    rects = []
    for step in range(12):  # pan across the full view
        rects.append(QRectF(-extent + step * extent / 12, -extent, 2 * extent, 2 * extent * SIZE[1] / SIZE[0]))
    for step in range(12):  # zoom in towards a tenth of the chart
        width = 2 * extent * (1 - step / 13.5)
        rects.append(QRectF(-width / 2, -width / 2 * SIZE[1] / SIZE[0], width, width * SIZE[1] / SIZE[0]))
    return rects


def report(name: str, times: list[float], baseline: float | None = None) -> float:
    median = statistics.median(times)
    ratio = f"  ({median / baseline:.2f}x GraphItem)" if baseline else ""
    print(f"{name:<44} median {median * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms{ratio}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=30_000)
    args = parser.parse_args()
    application()

    model = synthetic_model(args.nodes, args.links)
    extent = float(np.abs(model.positions).max())
    rects = pan_zoom_path(extent)

    plot = pg.PlotWidget(background="w")
    plot.resize(*SIZE)
    plot.show()
    adjacency = np.array([(link.source, link.target) for link in model.links])
    graph_item = pg.GraphItem(pos=model.positions, adj=adjacency, size=12, symbol="o", pxMode=True)
    plot.addItem(graph_item)
    baseline = report("pyqtgraph GraphItem (baseline)", frame_times(plot, plot.getViewBox(), rects))

    started = time.perf_counter()
    chart = ChartView(model)
    chart.resize(*SIZE)
    chart.show()
    build = time.perf_counter() - started
    print(f"ChartView build for {args.nodes:,} / {args.links:,}: {build:.2f} s (once per case load)")
    settle(chart)
    report(f"ChartView, {args.nodes:,} entities / {args.links:,} links", frame_times(chart, chart.viewbox, rects), baseline)
    started = time.perf_counter()
    chart.link_layer.render_cache()
    print(f"{'  link layer redrawn when the view settles':<44} {(time.perf_counter() - started) * 1000:7.1f} ms "
          "(once after each pan or zoom, not per frame)")

    small = synthetic_model(1000, 3000, seed=2)
    small_chart = ChartView(small)
    small_chart.resize(*SIZE)
    small_chart.show()
    small_extent = float(np.abs(small.positions).max())
    # Zoomed so that about 200 entities (and their labels) are on screen.
    close = [QRectF(-small_extent / 2.2 + k * 3, -small_extent / 3.5, small_extent / 1.1, small_extent / 1.76)
             for k in range(12)]
    for rect in close[:1]:
        small_chart.viewbox.setRange(rect, padding=0)
        application().processEvents()
        small_chart.settle()
    labelled = sum(label.kind == "entity" for label in small_chart.placed_labels())
    report(f"1,000 entities with icons + {labelled} labels", frame_times(small_chart, small_chart.viewbox, close))

    # Label placement runs once when the view settles (not per frame): how long, and is it clean?
    from workbench.ui.label_placement import count_overlaps

    for name, view, rects_to_place in (("1,000 entities, ~200 in view", small_chart, close),
                                       (f"{args.nodes:,} entities, all in view", chart, rects[:6])):
        seconds, worst = [], (0, 0)
        for rect in rects_to_place:
            view.viewbox.setRange(rect, padding=0)
            view.settle()
            seconds.append(view.placement_seconds)
            found = count_overlaps(view.placed_labels(), view.icon_rects()) if len(view.placed_labels()) < 800 else (0, 0)
            worst = max(worst, tuple(int(x) for x in found))
        placed = sum(label.kind == "entity" for label in view.placed_labels())
        print(f"label placement, {name:<31} median {statistics.median(seconds) * 1000:7.1f} ms  "
              f"max {max(seconds) * 1000:7.1f} ms  ({placed} entity labels; overlaps label-label, label-icon: {worst})")

    from workbench.demo import build_demo_case
    from workbench.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.wbcase"
        build_demo_case(path).close()
        started = time.perf_counter()
        window = MainWindow()
        window.resize(*SIZE)
        window.show()
        window.open_case(path)
        wait_for_jobs(window)
        window.grab()
        first_paint = time.perf_counter() - started
        window.close()
    print(f"window open to first paint of the demo case (incl. first layout): {first_paint:.2f} s")


if __name__ == "__main__":
    main()
    # PySide6 and pyqtgraph can crash while tearing down at interpreter exit; the figures are out.
    sys.stdout.flush()
    os._exit(0)
