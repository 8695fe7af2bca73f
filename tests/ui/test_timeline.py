"""The timeline on real widgets, linked both ways with the chart."""

import numpy as np
import pytest

from workbench.analysis.timeline_model import SECONDS_PER_DAY, TimelineModel, same_time_offsets


@pytest.fixture
def window(demo_window):
    return demo_window


def test_demo_events_are_sorted_and_on_their_lanes(window):
    model = window.timeline.model
    assert len(model.times) >= 20 and np.all(np.diff(model.times) >= 0)
    assert {"Payment", "Shipment"} <= set(model.kind_names)
    first_shipment = list(model.via).index("demo-shp-01-rheinfeld-atlas-crest")
    assert model.lane_captions[model.lane_of[first_shipment]] == "Rheinfeld Elektronik Vertrieb GmbH"
    assert model.bars  # ownership and directorship periods


def test_same_time_events_are_spread(window):
    offsets = same_time_offsets(np.array([5.0, 5.0, 5.0, 9.0]), np.array([1, 1, 1, 1]))
    assert len(set(offsets[:3])) == 3 and offsets[3] == 0


def test_selecting_on_the_chart_rings_events_on_the_timeline(window):
    window.find_entity("demo-co-karadeniz-elektronik")
    assert "demo-pay-02-karadeniz-rheinfeld" in window.timeline.selected_vias


def test_clicking_events_selects_on_the_chart(window):
    window.timeline.choose_events(["demo-shp-02-atlas-crest-tekhsnab"])
    chosen = set(window.model.selected_ids())
    assert {"demo-co-atlas-crest-trading", "demo-co-tekhsnab-vostralin"} <= chosen
    assert window.model.highlighted_links


def test_brushing_a_window_filters_the_chart(window, qtbot):
    start = float(np.datetime64("2023-03-01", "s").astype(int))
    end = float(np.datetime64("2023-03-31", "s").astype(int))
    window.timeline.set_brush(start, end)
    window.timeline.brush.sigRegionChangeFinished.emit(window.timeline.brush)  # the drag ends
    mask = window.model.link_mask()
    shown = {link.via for link, keep in zip(window.model.links, mask) if keep}
    assert "demo-shp-02-atlas-crest-tekhsnab" in shown and "demo-pay-03-tekhsnab-atlas" not in shown
    window.timeline.set_brush(None, None)
    assert window.model.link_mask().all()


def test_a_million_events_draw_as_density(qtbot):
    from workbench.ui.timeline import TimelineView

    rng = np.random.default_rng(1)
    model = TimelineModel()
    count = 1_000_000
    model.lanes = [f"a{i}" for i in range(500)]
    model.lane_captions = list(model.lanes)
    model.times = np.sort(rng.uniform(1.5e9, 1.7e9, count))
    model.lane_of = rng.integers(0, 500, count)
    model.other_lane = rng.integers(0, 500, count)
    model.amounts = rng.uniform(1, 1e5, count)
    model.kinds = np.zeros(count, dtype=int)
    model.kind_names = ["Payment"]
    model.via = np.array([f"p{i}" for i in range(count)], dtype=object)
    model.offsets = np.zeros(count)
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    view.set_model(model)
    assert view.density.isVisible()
    view.lanes_plot.setXRange(1.6e9, 1.6e9 + 3 * SECONDS_PER_DAY, padding=0)
    view.redraw()
    assert not view.density.isVisible() and len(view.marks.data) > 0
    # The whole span on a dozen lanes: too many events for marks over all 500 lanes, but the
    # lanes in view have few enough, and those are what the analyst sees, one mark each.
    view.lanes_plot.setXRange(1.5e9, 1.7e9, padding=0)
    view.lanes_plot.setYRange(-0.5, 11.5, padding=0)
    view.redraw()
    assert view.density.isVisible()  # about 24,000 events on 12 lanes
    view.lanes_plot.setYRange(-0.5, 2.5, padding=0)
    view.redraw()
    shown_lanes = np.round(view.marks.data["y"]).astype(int)
    assert not view.density.isVisible() and len(view.marks.data) > 5000
    assert shown_lanes.min() >= 0 and shown_lanes.max() <= 4  # the lanes in view and one either side


def test_a_short_timeline_shows_fewer_lanes_so_names_stay_readable(qtbot, tmp_path):
    from workbench.demo import build_demo_case
    from workbench.ui.timeline import LANE_PIXELS, TimelineView

    case = build_demo_case(tmp_path / "demo.wbcase")
    model = TimelineModel.from_case(case)
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 260)
    view.show()
    qtbot.waitExposed(view)
    view.set_model(model)
    (_, _), (y0, y1) = view.lanes_plot.getViewBox().viewRange()
    pixels_per_lane = view.lanes_plot.getViewBox().height() / (y1 - y0)
    assert len(model.lanes) > 12 and pixels_per_lane >= LANE_PIXELS - 1
    view.resize(1000, 700)
    qtbot.wait(20)
    view.fit()
    (_, _), (y0, y1) = view.lanes_plot.getViewBox().viewRange()
    assert round(y1 - y0) == 12  # room for twelve lanes: twelve shown
    case.close()
