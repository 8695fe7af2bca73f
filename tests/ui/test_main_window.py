"""The desktop app on real widgets: open the demo case, select, drag, undo, hide, expand, find a path."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from workbench.ui.app import wait_for_jobs


@pytest.fixture
def window(demo_window):
    return demo_window


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
    window.chart.settle()
    image = window.grab()
    path = artifacts / "main_window_demo.png"
    assert image.save(str(path))
    # Not blank: the chart has drawn icons and lines in several colours.
    chart_image = window.chart.grab().toImage()
    colours = {chart_image.pixel(x, y) for x in range(0, chart_image.width(), 7) for y in range(0, chart_image.height(), 7)}
    assert len(colours) > 20


def test_filter_by_time_and_listed_parties(window):
    everything = len(window.model.ids)
    window.filters.listed_only.setChecked(True)
    window.filters.apply()
    assert 0 < len(window.model.ids) < everything
    assert window.model.listed.all()
    window.filters.reset()
    window.filters.set_window("2023-03-01", "2023-03-31")
    vias = {link.via for link in window.model.links}
    assert "demo-shp-02-atlas-crest-tekhsnab" in vias and "demo-pay-03-tekhsnab-atlas" not in vias
    window.filters.reset()
    assert len(window.model.ids) == everything


def test_saved_view_restores_the_filter(window):
    window.filters.set_window("2023-03-01", "2023-03-31")
    window.case.save_view("march", {"start": "2023-03-01", "end": "2023-03-31"})
    window.filters.reset()
    window.apply_view("march")
    assert window.graph_filter.start == "2023-03-01"


def test_analyst_adds_an_entity_a_link_and_a_value_then_undoes(window):
    new = window.add_entity("Company", "Desert Falcon Logistics", country="AE", note="Port agent's invoice, seen 2024-06")
    assert new in window.model.ids
    link = window.add_link("UnknownLink", new, "demo-co-atlas-crest-trading", note="Same invoice", role="agent for")
    assert any(l.via == link for l in window.model.links)
    assert window.add_value(new, "phone", "+971 4 555 0199", note="Letterhead")
    phones = [s for s in window.case.statements(new) if s["prop"] == "phone"]
    assert phones[0]["source_kind"] == "analyst" and phones[0]["value"] == "+97145550199"
    assert not window.add_value(new, "email", "not an email", note="x")
    window.undo()  # the value
    window.undo()  # the link
    assert not any(l.via == link for l in window.model.links)


def test_colour_by_community_and_size_by_pagerank(window):
    window.colour_by_community()
    assert window.model.node_colours is not None and len(set(window.model.node_colours)) > 1
    window.size_by("pagerank")
    assert window.model.node_sizes.max() > window.model.node_sizes.min()
    assert window.case.metric("pagerank")


def test_merge_selected(window):
    model = window.model
    model.select([node(window, "demo-co-brightwave-components"), node(window, "demo-co-lumen-tech-supply")])
    window.merge_selected()
    assert "demo-co-lumen-tech-supply" not in window.model.ids
    assert window.case.resolve("demo-co-lumen-tech-supply") == "demo-co-brightwave-components"
    window.undo()
    assert "demo-co-lumen-tech-supply" in window.model.ids


def test_group_then_lay_out_by_group(window):
    model = window.model
    members = [node(window, "demo-co-atlas-crest-trading"), node(window, "demo-co-gulfstar-logistics"),
               node(window, "demo-co-karadeniz-elektronik")]
    model.select(members)
    window.group_selected("UAE and Turkey fronts")
    assert window.case.chart_item("demo-co-gulfstar-logistics")["group_name"] == "UAE and Turkey fronts"
    window.run_layout("group")
    wait_for_jobs(window)
    inside = model.positions[members]
    outside = np.delete(model.positions, members, axis=0)
    box = (inside.min(axis=0), inside.max(axis=0))
    in_box = ((outside >= box[0]) & (outside <= box[1])).all(axis=1)
    assert not in_box.any()  # the group sits apart from everything else
