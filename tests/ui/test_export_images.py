"""Chart and timeline pictures compared with what the views show on screen.

The on-screen render is the view's own ``grab()`` at the size of the picture's body; the
exported PNG is cropped to that body and compared pixel by pixel. SVGs are read as XML (labels
and legend must be text, nothing a bitmap). PDFs are read with a few lines of parsing: QtPdf is
not in PySide6-Essentials and no PDF library is installed; text is decoded through the fonts'
ToUnicode maps by the reader in tests/test_report.py.
"""

from __future__ import annotations

import unicodedata
from xml.etree import ElementTree

import numpy as np
import pytest
from markupsafe import escape
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage

# The report's tests hold the PDF reader (tests/ is on the path through its conftest).
from test_report import PdfPages

from workbench.demo import build_demo_case
from workbench.detecting import run_detectors
from workbench.palette import LINK_COLOURS, NODE_COLOURS
from workbench.ui.chart_model import ChartLink, ChartModel
from workbench.ui.chart_view import LIVE_LINK_LIMIT, ChartView
from workbench.analysis.timeline_model import timeline_model
from workbench.ui.export_dialogs import ReportOptionsDialog, export_chart_dialog, export_timeline_dialog, report_dialog
from workbench.ui.rendering import ExportError, export_chart, export_timeline, place_unplaced
from workbench.ui.timeline import TimelineModel, TimelineView

SVG = "{http://www.w3.org/2000/svg}"


def pixels(image: QImage) -> np.ndarray:
    """An image as an (height, width, 3) array of RGB values."""
    image = image.convertToFormat(QImage.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return data[:, : image.width(), 2::-1].astype(int)


def near(array: np.ndarray, colour: str, tolerance: int = 24) -> int:
    """How many pixels are within ``tolerance`` of ``colour`` (per channel)."""
    rgb = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)])
    return int((np.abs(array - rgb).max(axis=2) <= tolerance).sum())


def pdf_text(data: bytes) -> tuple[int, str, int]:
    """(pages, text, image XObjects drawn) of a PDF that Qt wrote."""
    pages = PdfPages(data)
    return len(pages.texts), "\n".join(pages.texts), sum(len(images) for images in pages.images)


@pytest.fixture
def chart_model(tmp_path):
    case = build_demo_case(tmp_path / "demo.wbcase")
    model = ChartModel.from_case(case)
    place_unplaced(model)
    yield model
    case.close()


def show_chart(qtbot, model: ChartModel, width: int, height: int) -> ChartView:
    view = ChartView(model)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    view.settle()  # the screen does this on a timer once the view settles
    return view


def test_png_matches_the_chart_on_screen(qtbot, chart_model, artifacts):
    exported = export_chart(chart_model, artifacts / "chart_demo.png", size=(1200, 900), title="Demo case")
    x, y, width, height = exported.body
    picture = QImage(str(exported.path))
    assert (picture.width(), picture.height()) == (1200, 900)
    screen = show_chart(qtbot, chart_model, width, height)
    on_screen = pixels(screen.grab().toImage())
    body = pixels(picture.copy(x, y, width, height))
    difference = np.abs(on_screen - body)
    assert difference.mean() < 1.0, f"mean difference {difference.mean():.2f}"
    assert (difference.max(axis=2) > 40).mean() < 0.01
    # Every entity type's colour and every link type's colour on screen is in the picture too.
    # (Pictures draw links antialiased, the screen does not, so thin lines blend into fewer
    # pixels of the exact colour: hence a half, not all.)
    for colour in {NODE_COLOURS[s] for s in ("Company", "Person", "BankAccount", "Organization")} | {
            LINK_COLOURS[s] for s in ("Ownership", "Payment", "Shipment")}:
        assert near(on_screen, colour) > 0 and near(body, colour) > 0.5 * near(on_screen, colour), colour
    # The labels the screen shows are the labels the picture drew.
    shown = sorted(label.text for label in screen.placed_labels() if label.kind == "entity")
    assert sorted(exported.labels) == shown and "Atlas Crest General Trading FZE" in shown
    # A title, a date line and a legend surround it.
    assert exported.title == "Demo case" and "exported" in exported.date_line
    legend = {section.title: [entry.label for entry in section.entries] for section in exported.legend}
    assert {"Company", "Person", "Bank account"} <= set(legend["Entities"])
    assert any(label.startswith("Shipment") for label in legend["Links"])
    assert legend["Evidence"][0].startswith("solid")


def test_png_at_higher_resolution_is_the_same_picture_finer(chart_model, artifacts):
    normal = export_chart(chart_model, artifacts / "chart_96dpi.png", size=(900, 700))
    fine = export_chart(chart_model, artifacts / "chart_192dpi.png", size=(900, 700), dpi=192)
    image = QImage(str(fine.path))
    assert (image.width(), image.height()) == fine.pixel_size == (1800, 1400)
    assert round(image.dotsPerMeterX() * 0.0254) == 192
    shrunk = image.scaled(900, 700, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
    difference = np.abs(pixels(shrunk) - pixels(QImage(str(normal.path))))
    # Same layout, labels and legend: only antialiasing and symbol rasterisation differ.
    assert difference.mean() < 6, f"mean difference {difference.mean():.2f}"
    assert fine.labels == normal.labels


def test_svg_is_vector_with_labels_legend_and_colours(chart_model, artifacts):
    exported = export_chart(chart_model, artifacts / "chart_demo.svg", size=(1200, 900), title="Demo case")
    tree = ElementTree.parse(exported.path)
    texts = {"".join(node.itertext()).strip() for node in tree.iter(f"{SVG}text")}
    assert set(exported.labels) <= texts and len(exported.labels) >= 20
    assert {"Demo case", "Entities:", "Links:", "Evidence:", "Company", "Person"} <= texts
    assert not list(tree.iter(f"{SVG}image")), "the SVG holds bitmaps"
    source = exported.path.read_text(encoding="utf-8").lower()
    for colour in (NODE_COLOURS["Company"], NODE_COLOURS["Person"], LINK_COLOURS["Ownership"], LINK_COLOURS["Payment"]):
        assert colour in source, colour


def test_pdf_is_one_vector_page_with_labels_and_legend(chart_model, artifacts):
    exported = export_chart(chart_model, artifacts / "chart_demo.pdf", size=(1200, 900), title="Demo case")
    pages, text, images = pdf_text(exported.path.read_bytes())
    assert pages == 1 and images == 0
    for label in exported.labels + ["Demo case", "Entities:", "Links:", "Evidence:"]:
        assert unicodedata.normalize("NFKC", label) in text, label  # the reader unfolds "…" and "ﬁ"


def test_export_keeps_what_the_screen_shows_of_a_zoomed_chart(qtbot, chart_model, artifacts):
    screen = show_chart(qtbot, chart_model, 900, 700)
    atlas = chart_model.index_of("demo-co-atlas-crest-trading")
    x0, y0 = chart_model.positions[atlas]
    screen.viewbox.setRange(QRectF(x0 - 60, y0 - 45, 120, 90), padding=0)
    screen.settle()
    shown = {label.text for label in screen.placed_labels() if label.kind == "entity"}
    exported = export_chart(screen, artifacts / "chart_zoomed.png", size=(900, 700 + 200))
    assert "Atlas Crest General Trading FZE" in exported.labels
    assert set(exported.labels) <= {chart_model.captions[i][:34] for i in range(len(chart_model.ids))} | shown
    assert len(exported.labels) < len(chart_model.ids)  # zoomed in: not the whole chart


def test_big_chart_links_stay_vector(chart_model, artifacts):
    """Over the live-drawing limit the screen caches links as a bitmap; pictures draw the paths."""
    count = 400
    rng = np.random.default_rng(7)
    model = ChartModel(ids=[f"n{i}" for i in range(count)], schemata=["Company"] * count,
                       captions=[f"Company {i}" for i in range(count)], grades=["B2"] * count,
                       positions=rng.uniform(0, 2000, (count, 2)), pinned=np.zeros(count, dtype=bool),
                       visible=np.ones(count, dtype=bool), topics=[()] * count)
    pairs = rng.integers(0, count, (LIVE_LINK_LIMIT + 500, 2))
    model.links = [ChartLink(int(a), int(b), "Payment", None, f"p{k}", "Payment", bool(k % 2), True)
                   for k, (a, b) in enumerate(pairs) if a != b]
    model.link_days = np.full(len(model.links), np.nan)
    exported = export_chart(model, artifacts / "chart_big.svg", size=(1000, 800))
    tree = ElementTree.parse(exported.path)
    assert not list(tree.iter(f"{SVG}image"))
    source = exported.path.read_text(encoding="utf-8").lower()
    assert LINK_COLOURS["Payment"] in source and "stroke-dasharray" in source  # weak links dashed
    legend = {section.title: [entry.label for entry in section.entries] for section in exported.legend}
    assert any(label.startswith("dashed") for label in legend["Evidence"])
    png = export_chart(model, artifacts / "chart_big.png", size=(1000, 800))
    assert near(pixels(QImage(str(png.path))), LINK_COLOURS["Payment"], tolerance=40) > 2000


def test_timeline_png_matches_the_screen_and_pdf_has_the_lanes(qtbot, tmp_path, artifacts):
    case = build_demo_case(tmp_path / "demo.wbcase")
    model = TimelineModel.from_case(case)
    exported = export_timeline(model, artifacts / "timeline_demo.png", size=(1400, 800), title="Timeline")
    x, y, width, height = exported.body
    screen = TimelineView()
    qtbot.addWidget(screen)
    screen.resize(width, height)
    screen.show()
    qtbot.waitExposed(screen)
    screen.set_model(model)
    screen.lanes_plot.setYRange(-0.7, len(model.lanes) - 0.3, padding=0)  # all lanes, as exported
    screen.redraw()
    qtbot.wait(50)
    on_screen = pixels(screen.grab().toImage())
    body = pixels(QImage(str(exported.path)).copy(x, y, width, height))
    difference = np.abs(on_screen - body)
    assert difference.mean() < 1.5, f"mean difference {difference.mean():.2f}"
    for kind in ("Payment", "Shipment"):
        assert near(body, LINK_COLOURS[kind]) > 0.8 * near(on_screen, LINK_COLOURS[kind]) > 0

    # From the view on screen: its range is kept, so a zoomed view exports zoomed.
    screen.lanes_plot.setYRange(-0.5, 4.5, padding=0)
    zoomed = export_timeline(screen, artifacts / "timeline_zoomed.png", size=(width, height + 200))
    assert len(zoomed.labels) < len(exported.labels)

    pdf = export_timeline(model, artifacts / "timeline_demo.pdf", size=(1400, 800), title="Timeline")
    pages, text, images = pdf_text(pdf.path.read_bytes())
    assert pages == 1
    assert "Rheinfeld Elektronik Vertri..." in text and "Shipment" in text and "Payment" in text
    assert images == 0  # marks drawn as vectors (no density image for a small case)
    case.close()


def test_timeline_model_can_leave_parties_out(tmp_path):
    case = build_demo_case(tmp_path / "demo.wbcase")
    full = TimelineModel.from_case(case)
    without = timeline_model(case, leave_out={"demo-co-rheinfeld-elektronik", "demo-pay-02-karadeniz-rheinfeld"})
    assert "demo-co-rheinfeld-elektronik" not in without.lanes
    assert "demo-pay-02-karadeniz-rheinfeld" not in set(without.via)
    assert len(without.times) < len(full.times) and np.all(np.diff(without.times) >= 0)
    assert all(0 <= lane < len(without.lanes) for lane, *_ in without.bars)
    assert set(without.kind_names) <= set(full.kind_names)
    case.close()


def test_export_refuses_unknown_formats_and_tiny_sizes(chart_model, tmp_path):
    with pytest.raises(ExportError, match=".png, .svg or .pdf"):
        export_chart(chart_model, tmp_path / "chart.gif")
    with pytest.raises(ExportError, match="too small"):
        export_chart(chart_model, tmp_path / "chart.png", size=(200, 120))


def test_menu_entries_export_what_the_window_shows(demo_window, artifacts):
    window = demo_window
    chart = export_chart_dialog(window, artifacts / "window_chart.svg")
    assert chart is not None and "Atlas Crest General Trading FZE" in chart.labels
    assert chart.title == window.case.meta("title") and "Wrote" in window.last_notice
    timeline = export_timeline_dialog(window, artifacts / "window_timeline.png")
    assert timeline is not None and timeline.dpi == 192
    run_detectors(window.case)
    window.findings.refresh()
    window.findings.select_row(0)
    chosen = ReportOptionsDialog(window)
    chosen.chosen.setChecked(True)
    options = chosen.options()
    assert options["finding_ids"] == [window.findings.current_finding()["id"]] and not options["include_protected"]
    result = report_dialog(window, artifacts / "window_report.pdf", options)
    assert result is not None and result.findings == options["finding_ids"] and result.pages >= 3
    assert str(escape(window.findings.current_finding()["explanation"])) in result.html
