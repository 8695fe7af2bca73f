"""The desktop app on real widgets: open the demo case, select, drag, undo, hide, expand, find a path."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from workbench.demo import build_demo_case
from workbench.ui.app import wait_for_jobs
from workbench.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    build_demo_case(tmp_path / "demo.wbcase").close()
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show()
    assert main.open_case(tmp_path / "demo.wbcase")
    wait_for_jobs(main)
    return main


def screen_point(window, index) -> QPoint:
    """Where a node is drawn, in the chart widget's pixels."""
    x, y = window.model.positions[index]
    return window.chart.mapFromScene(window.chart.viewbox.mapViewToScene(QPointF(x, y)))


def node(window, entity_id) -> int:
    return window.model.ids.index(entity_id)


def test_opening_the_demo_case_lays_it_out_and_saves_positions(window):
    model = window.model
    assert len(model.ids) > 20 and not model.unplaced.any()
    stored = window.case.chart_item("demo-co-atlas-crest-trading")
    assert stored is not None and stored["x"] is not None
    assert window.case.undo_label() == "Initial layout"


def test_click_selects_and_the_inspector_shows_sources(window, qtbot):
    index = node(window, "demo-co-atlas-crest-trading")
    qtbot.mouseClick(window.chart.viewport(), Qt.LeftButton, pos=screen_point(window, index))
    assert window.model.selected == {index}
    assert "Atlas Crest General Trading FZE" in window.inspector.title.text()
    sources = {window.inspector.tree.topLevelItem(i).text(3) for i in range(window.inspector.tree.topLevelItemCount())}
    assert any("demo.ftm.json" in s for s in sources)


def test_drag_moves_a_node_and_undo_puts_it_back(window, qtbot):
    index = node(window, "demo-co-gulfstar-logistics")
    before = window.model.positions[index].copy()
    start = screen_point(window, index)
    viewport = window.chart.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, start + QPoint(12 * step, 8 * step))
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=start + QPoint(60, 40))
    moved = window.model.positions[index].copy()
    assert np.linalg.norm(moved - before) > 1
    stored = window.case.chart_item("demo-co-gulfstar-logistics")
    assert (stored["x"], stored["y"]) == pytest.approx(tuple(moved))
    assert window.case.undo_label() == "Move 1 item"
    window.undo()
    assert window.model.positions[index] == pytest.approx(before)


def test_hide_then_expand_neighbours(window):
    model = window.model
    hub = node(window, "demo-co-atlas-crest-trading")
    neighbours = model.neighbours([hub])
    model.select(neighbours)
    window.hide_selected()
    assert not model.visible[list(neighbours)].any()
    model.select([hub])
    window.expand_selected()
    assert model.visible[list(neighbours)].all()
    window.undo()
    assert not model.visible[list(neighbours)].any()


def test_find_path_highlights_it(window):
    model = window.model
    model.select([node(window, "demo-co-rheinfeld-elektronik"), node(window, "demo-org-vostralin-institute")])
    window.find_path()
    assert model.highlighted_links
    assert "Path of" in window.status.text()


def test_search_finds_and_selects(window):
    window.find_text("gulfstar")
    assert window.model.selected_ids() == ["demo-co-gulfstar-logistics"]


def test_screenshot_of_the_demo_case(window, artifacts):
    window.model.select([node(window, "demo-co-atlas-crest-trading")])
    window.chart._update_labels()
    image = window.grab()
    path = artifacts / "main_window_demo.png"
    assert image.save(str(path))
    # Not blank: the chart has drawn icons and lines in several colours.
    chart_image = window.chart.grab().toImage()
    colours = {chart_image.pixel(x, y) for x in range(0, chart_image.width(), 7) for y in range(0, chart_image.height(), 7)}
    assert len(colours) > 20
