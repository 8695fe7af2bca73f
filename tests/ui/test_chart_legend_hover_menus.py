"""The chart explains itself: a docked legend, tooltips under the pointer, right-click menus."""

import html

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QToolTip

from workbench.ui.chart_hover import link_at
from workbench.ui.legend import type_label
from workbench.ui.legend_panel import DASHED_KEY, HIGHLIGHT_KEY


@pytest.fixture
def window(demo_window):
    return demo_window


def scene_point(window, xy) -> QPointF:
    return window.chart.viewbox.mapViewToScene(QPointF(*xy))


def viewport_point(window, xy) -> QPoint:
    return window.chart.mapFromScene(scene_point(window, xy))


def node(window, entity_id) -> int:
    return window.model.ids.index(entity_id)


def link_between(window, schema: str) -> int:
    """A drawn link of ``schema`` that no other link runs alongside (so its middle is its own)."""
    model = window.model
    pairs = [frozenset((link.source, link.target)) for link in model.links]
    for k, link in enumerate(model.links):
        if link.schema == schema and link.prop is None and pairs.count(pairs[k]) == 1:
            return k
    raise AssertionError(f"no lone {schema} link in the demo case")


def middle(window, k) -> np.ndarray:
    link = window.model.links[k]
    return (window.model.positions[link.source] + window.model.positions[link.target]) / 2


def empty_spot(window) -> QPoint:
    """A viewport pixel at least 60 px from every entity and every link."""
    chart = window.chart
    size = chart.viewport().size()
    for x in range(10, size.width(), 20):
        for y in range(10, size.height(), 20):
            scene = chart.mapToScene(QPoint(x, y))
            if chart.node_at(scene) is None and link_at(chart, scene, tolerance=60) is None:
                return QPoint(x, y)
    raise AssertionError("the chart fills its whole view")


# ---------------------------------------------------------------------------------- legend


def test_legend_dock_is_shown_under_the_case_browser_and_lists_the_types_on_the_chart(window):
    dock = window.legend_dock
    assert dock.isVisible() and window.dockWidgetArea(dock) == window.dockWidgetArea(window.findChild(QDockWidget, "Case"))
    labels = window.legend_dock.widget().labels()
    shown = {window.model.schemata[i] for i in np.flatnonzero(window.model.visible)}
    assert {type_label(schema) for schema in shown} <= set(labels)
    assert {"Company", "Person", "Bank account", "Entities", "Links", "Evidence"} <= set(labels)
    assert any(label.startswith("Payment") for label in labels)
    assert "listed party (sanctions, export control)" in labels
    assert DASHED_KEY in labels and HIGHLIGHT_KEY in labels
    # It takes its room from the left column, not from the chart.
    assert window.chart.width() >= 0.45 * window.width()


def test_legend_follows_the_chart_when_entities_are_hidden(window):
    panel = window.legend_dock.widget()
    model = window.model
    vessels = [i for i, schema in enumerate(model.schemata) if schema == "Vessel"]
    assert "Vessel" in panel.labels()
    model.select(vessels)
    window.hide_selected()
    assert "Vessel" not in panel.labels()
    window.show_all()
    assert "Vessel" in panel.labels()


def test_legend_can_be_closed_and_opened_from_the_view_menu(window):
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggle = next(a for a in view.actions() if a.text() == "Legend")
    toggle.trigger()
    assert not window.legend_dock.isVisible()
    toggle.trigger()
    assert window.legend_dock.isVisible()


# ---------------------------------------------------------------------------------- tooltips


def test_hovering_an_entity_shows_its_caption_type_facts_grade_and_source(window):
    index = node(window, "demo-co-atlas-crest-trading")
    window.chart.scene().sigMouseMoved.emit(scene_point(window, window.model.positions[index]))
    text = window.chart_tooltips.last_text
    assert html.escape("Atlas Crest General Trading FZE") in text
    assert "Company" in text and "United Arab Emirates" in text and "2022-12-14" in text
    assert "Grade: B2" in text and "demo.ftm.json" in text
    assert QToolTip.isVisible() and "Atlas Crest General Trading FZE" in QToolTip.text()


def test_link_hit_test_finds_a_link_at_its_middle_and_nothing_in_empty_space(window):
    k = link_between(window, "Payment")
    assert link_at(window.chart, scene_point(window, middle(window, k))) == k
    assert link_at(window.chart, window.chart.mapToScene(empty_spot(window))) is None


def test_hovering_a_payment_tells_its_parties_amount_date_and_source(window):
    k = link_between(window, "Payment")
    link = window.model.links[k]
    text = window.chart_tooltips.text_at(scene_point(window, middle(window, k)))
    assert html.escape(window.model.captions[link.source]) in text and html.escape(window.model.captions[link.target]) in text
    assert "Payment" in text and "Amount:" in text and "Date:" in text and "demo.ftm.json" in text
    window.chart.scene().sigMouseMoved.emit(window.chart.mapToScene(empty_spot(window)))
    assert window.chart_tooltips.last_text == ""


def test_hovering_a_timeline_mark_tells_what_happened(window):
    timeline = window.timeline
    model = timeline.model
    box = timeline.lanes_plot.getViewBox()
    (x0, x1), (y0, y1) = box.viewRange()
    visible = np.flatnonzero((model.times >= x0) & (model.times <= x1) & (model.lane_of >= y0) & (model.lane_of <= y1))
    event = int(visible[0])
    scene = box.mapViewToScene(QPointF(model.times[event], model.lane_of[event] + model.offsets[event]))
    found = window.timeline_tooltips.event_at(scene)
    assert found == event
    text = window.timeline_tooltips.text_at(scene)
    assert html.escape(model.lane_captions[model.lane_of[found]]) in text and "Date" in text and "Grade" in text


# ---------------------------------------------------------------------------------- menus


def test_entity_menu_offers_the_entity_commands_and_hide_hides_it(window):
    index = node(window, "demo-co-gulfstar-logistics")
    menu = window.chart_menus.menu_at(viewport_point(window, window.model.positions[index]))
    texts = [action.text() for action in menu.actions()]
    assert window.model.selected == {index}  # right-clicking an entity selects it
    for expected in ("Hide", "Pin", "Group…", "Path between the two selected", "Merge the two selected (same party)",
                     "Copy caption"):
        assert expected in texts
    assert any(text.startswith("Expand neighbours") for text in texts)
    assert any(text.startswith("Findings about it") for text in texts)
    merge = next(a for a in menu.actions() if a.text().startswith("Merge"))
    assert not merge.isEnabled()  # one entity selected: nothing to merge it with
    next(a for a in menu.actions() if a.text() == "Copy caption").trigger()
    assert QGuiApplication.clipboard().text() == "Gulfstar Freight & Logistics FZCO"
    next(a for a in menu.actions() if a.text() == "Hide").trigger()
    assert not window.model.visible[index]
    assert window.case.chart_item("demo-co-gulfstar-logistics")["hidden"] == 1


def test_two_selected_entities_can_be_merged_or_joined_by_a_path_from_the_menu(window):
    model = window.model
    first, second = node(window, "demo-co-rheinfeld-elektronik"), node(window, "demo-org-vostralin-institute")
    model.select([first, second])
    menu = window.chart_menus.menu_at(viewport_point(window, model.positions[second]))
    assert model.selected == {first, second}  # right-clicking one of the selection keeps it
    path = next(a for a in menu.actions() if a.text() == "Path between the two selected")
    assert path.isEnabled() and next(a for a in menu.actions() if a.text().startswith("Merge")).isEnabled()
    path.trigger()
    assert model.highlighted_links and "Path of" in window.status.text()


def test_link_menu_selects_both_ends(window):
    k = link_between(window, "Payment")
    link = window.model.links[k]
    menu = window.chart_menus.menu_at(viewport_point(window, middle(window, k)))
    texts = [action.text() for action in menu.actions()]
    assert "Select both ends" in texts and "Copy caption" in texts
    next(a for a in menu.actions() if a.text() == "Select both ends").trigger()
    assert window.model.selected == {link.source, link.target}


def test_background_menu_fits_shows_hidden_and_lays_out(window):
    model = window.model
    hidden = node(window, "demo-co-gulfstar-logistics")
    model.select([hidden])
    window.hide_selected()
    menu = window.chart_menus.menu_at(empty_spot(window))
    texts = [action.text() for action in menu.actions()]
    assert "Fit to window" in texts and "Show all hidden (1)" in texts and "Lay out" in texts
    layouts = next(a.menu() for a in menu.actions() if a.text() == "Lay out")
    assert [a.text() for a in layouts.actions()][:3] == ["Force-directed", "Hierarchical (ownership)", "Circular"]
    next(a for a in menu.actions() if a.text().startswith("Show all hidden")).trigger()
    assert model.visible[hidden]
