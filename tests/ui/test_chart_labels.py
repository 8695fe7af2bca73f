"""The chart can be read: labels never cover each other or an icon, links say what they are,
a finding's evidence is framed. Checked on the real demo case and a generated training case,
through ``ChartView.placed_labels()`` (what the frame drew, in viewport pixels)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from windows import open_at_full_size, settle

from workbench.detecting import run_detectors
from workbench.ui.chart_model import ChartLink, bundle_caption, money
from workbench.ui.label_placement import count_overlaps


def overlaps(chart) -> tuple[int, int]:
    return count_overlaps(chart.placed_labels(), chart.icon_rects())


@pytest.fixture
def demo_at_full_size(qtbot, tmp_path):
    from workbench.demo import build_demo_case

    build_demo_case(tmp_path / "demo.wbcase").close()
    return open_at_full_size(qtbot, tmp_path / "demo.wbcase")


def test_demo_opens_with_every_entity_labelled_and_no_overlap(demo_at_full_size):
    chart = demo_at_full_size.chart
    labelled = {label.index for label in chart.placed_labels() if label.kind == "entity"}
    shown = set(np.flatnonzero(demo_at_full_size.model.shown).tolist())
    missing = [demo_at_full_size.model.captions[i] for i in shown - labelled]
    assert not missing, f"entities without a label: {missing}"
    assert overlaps(chart) == (0, 0)
    # Labels read as words: none is cut to nothing, none prints over the chart's edge.
    width, height = chart.viewbox.sceneBoundingRect().width(), chart.viewbox.sceneBoundingRect().height()
    for label in chart.placed_labels():
        x, y, w, h = label.rect
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height, label


def test_each_demo_finding_framed_keeps_labels_apart(qtbot, demo_at_full_size):
    window = demo_at_full_size
    run_detectors(window.case)
    window.findings.refresh()
    findings = window.case.findings()
    assert len(findings) >= 10
    for finding in findings:
        window.show_finding(finding)
        settle(qtbot, window)
        evidence, _ = window.model.evidence_of(finding)
        assert evidence and window.model.focus == evidence
        assert overlaps(window.chart) == (0, 0), f"finding #{finding['id']}"
        # All of its evidence is in view and named.
        labelled = {label.index for label in window.chart.placed_labels() if label.kind == "entity"}
        in_view = window.chart.viewbox.viewRect()
        for i in evidence:
            x, y = window.model.positions[i]
            assert in_view.contains(x, y), f"finding #{finding['id']}: {window.model.captions[i]} out of view"
        assert evidence <= labelled, f"finding #{finding['id']}: evidence without a label"


def test_framing_a_finding_fades_the_rest_and_esc_clears_it(qtbot, demo_at_full_size):
    window = demo_at_full_size
    run_detectors(window.case)
    finding = next(f for f in window.case.findings() if f["detector_id"] == "end-use-document-mismatch")
    window.show_finding(finding)
    settle(qtbot, window)
    assert window.model.focus and window.model.highlighted_links
    # The faded part of the chart is drawn in a lighter pen than the evidence.
    pens = {pen.color().alpha() for pen, _ in window.chart.link_layer.paths}
    assert min(pens) < 100 and max(pens) > 100
    window.evidence_only_action.trigger()
    assert int(window.model.shown.sum()) == len(window.model.focus)
    window.clear_highlights()
    assert not window.model.focus and not window.model.highlighted_links and not window.model.selected
    assert int(window.model.shown.sum()) == int(window.model.visible.sum())
    assert not window.evidence_only_action.isChecked()


def test_highlights_never_point_at_hidden_entities(qtbot, demo_at_full_size):
    window = demo_at_full_size
    model = window.model
    a, b = model.index_of("demo-co-atlas-crest-trading"), model.index_of("demo-co-tekhsnab-vostralin")
    model.highlight_path([model.ids[a], model.ids[b]])
    assert model.highlighted_links
    model.set_visible([b], False)
    assert not any(b in (model.links[k].source, model.links[k].target) for k in model.highlighted_links)
    assert b not in model.focus


def test_labels_that_gave_way_come_back_when_zoomed_in(qtbot, tmp_path):
    from workbench.training.generator import generate, write_case

    write_case(generate("through-the-hub", seed=1), tmp_path / "hub.wbcase")
    window = open_at_full_size(qtbot, tmp_path / "hub.wbcase")
    in_view = len(window.chart.icon_rects())
    assert in_view > 100
    at_fit = {label.index for label in window.chart.placed_labels() if label.kind == "entity"}
    assert overlaps(window.chart) == (0, 0)
    assert 0 < len(at_fit) < in_view  # crowded: some gave way, none collided
    rect = window.chart.viewbox.viewRect()
    centre = rect.center()
    window.chart.viewbox.setRange(QRectF(centre.x() - rect.width() / 8, centre.y() - rect.height() / 8,
                                         rect.width() / 4, rect.height() / 4), padding=0)
    settle(qtbot, window)
    zoomed = {label.index for label in window.chart.placed_labels() if label.kind == "entity"}
    assert overlaps(window.chart) == (0, 0)
    came_back = zoomed - at_fit
    assert came_back, "zooming in brought no label back"
    assert len(zoomed) >= 0.8 * len(window.chart.icon_rects())


def test_link_labels_are_words_with_shares_roles_and_bundles(demo_at_full_size):
    model = demo_at_full_size.model
    labels = {link.label for link in model.links}
    assert not [text for text in labels if re.search(r"[a-z][A-Z]", text)], "a property name on a link"
    assert any(re.fullmatch(r"owns \d+(\.\d+)?%", text) for text in labels)
    assert "Nominee director" in labels or "Director" in labels
    assert {"freight forwarder", "paid into", "pays from"} & labels
    payments = [ChartLink(0, 1, "Payment", None, f"p{k}", "x", False, True, amount, "USD")
                for k, amount in enumerate((600_000, 400_000, 200_000))]
    assert bundle_caption(payments) == "3 payments · USD 1.2M"
    assert money(268_400, "EUR") == "EUR 268k"


def test_image_of_a_finding_frames_it(tmp_path):
    from click.testing import CliRunner

    from workbench.cli import main
    from workbench.demo import build_demo_case

    case = build_demo_case(tmp_path / "demo.wbcase")
    run_detectors(case)
    finding = next(f for f in case.findings() if f["detector_id"] == "end-use-document-mismatch")
    case.close()
    result = CliRunner().invoke(main, ["image", str(tmp_path / "demo.wbcase"), str(tmp_path / "f.png"),
                                       "--finding", str(finding["id"]), "--json"])
    assert result.exit_code == 0, result.output
    assert "ACGT-EUC-2023-007" in result.output and "faded: not part of the evidence" in result.output
    missing = CliRunner().invoke(main, ["image", str(tmp_path / "demo.wbcase"), str(tmp_path / "g.png"),
                                        "--finding", "99999"])
    assert missing.exit_code != 0 and "no finding #99999" in missing.output


# ------------------------------------------------------------------ the placement routine itself

def test_placement_gives_way_in_priority_order_and_never_overlaps():
    from workbench.ui.label_placement import LabelRequest, Occupancy, entity_spots, place_labels

    occupancy = Occupancy(400, 300)
    centres = np.array([[200.0, 150.0], [214.0, 150.0]])  # two icons nearly on top of each other
    occupancy.take_squares(centres, np.array([30.0, 30.0]))
    requests = [LabelRequest(f"label {k}", "entity", k, 120, 14, entity_spots(x, y, 15, 120, 14))
                for k, (x, y) in enumerate(centres)]
    # A third, long label that has room nowhere around its anchor (squeezed at the edge).
    requests.append(LabelRequest("x" * 80, "entity", 2, 390, 14, entity_spots(200, 150, 15, 390, 14)))
    placed = place_labels(requests, occupancy)
    assert [label.index for label in placed] == [0, 1]
    assert count_overlaps(placed, [(185, 135, 30, 30), (199, 135, 30, 30)]) == (0, 0)


def test_layout_makes_room_for_labels_without_losing_its_shape():
    from workbench.analysis.layout import fit_scale, make_room

    rng = np.random.default_rng(3)
    positions = {f"n{i}": tuple(rng.normal(scale=40, size=2)) for i in range(30)}
    boxes = {node: (150.0, 48.0, 9.0) for node in positions}
    spaced = make_room(positions, boxes, viewport=(1200, 800), pinned=["n0"])
    assert spaced["n0"] == positions["n0"]
    xy = np.array([spaced[n] for n in positions])
    pixels = xy * fit_scale(xy, (1200, 800))  # as fit-to-window will show it
    for i in range(len(pixels)):
        for j in range(i + 1, len(pixels)):
            dx, dy = np.abs(pixels[i] - pixels[j])
            assert dx >= 150 - 1e-6 or dy >= 48 - 1e-6, (i, j)
    # Who is left of whom mostly holds: the pass separates, it does not reshuffle.
    before = np.array([positions[n] for n in positions])
    agree = np.mean(np.sign(before[:, None, 0] - before[None, :, 0]) == np.sign(xy[:, None, 0] - xy[None, :, 0]))
    assert agree > 0.8


def test_report_pages_frame_each_finding_without_overlaps(tmp_path):
    """The report's per-finding charts: evidence plus one hop, every evidence entity named, no overlap."""
    from workbench.demo import build_demo_case
    from workbench.report.builder import finding_chart_size
    from workbench.ui.chart_model import ChartModel
    from workbench.ui.rendering import export_chart

    case = build_demo_case(tmp_path / "demo.wbcase")
    run_detectors(case)
    findings = case.findings()
    chart = ChartModel.from_case(case)
    whole = export_chart(chart, tmp_path / "chart.png", size=(900, 720))  # lays the case out, as the report does
    assert whole.overlaps == (0, 0)
    for finding in findings:
        framed = ChartModel.from_case(case)
        framed.positions = chart.positions.copy()
        evidence = framed.focus_finding(finding, hops=1)
        exported = export_chart(framed, tmp_path / f"finding-{finding['id']}.png",
                                size=finding_chart_size(len(evidence)), legend=False)  # as the report draws it
        assert exported.overlaps == (0, 0), f"finding #{finding['id']}"
        named = set(exported.labels)
        for i in evidence:
            caption = framed.captions[i]
            assert any(caption.startswith(label.rstrip("…")) for label in named), \
                f"finding #{finding['id']}: {caption} not named"
    case.close()


def test_clicking_a_bundled_link_label_opens_it_into_its_links(qtbot, demo_at_full_size):
    chart = demo_at_full_size.chart
    bundles = [label for label in chart.placed_labels()
               if label.kind == "link" and re.match(r"\d+ (payments|shipments|ownerships)", label.text)]
    assert bundles, "the demo shows no bundled link label"
    bundle = bundles[0]
    link = demo_at_full_size.model.links[bundle.index]
    ends = {link.source, link.target}
    count = sum(1 for other in demo_at_full_size.model.links if {other.source, other.target} == ends)
    x, y, w, h = bundle.rect
    corner = chart.viewbox.sceneBoundingRect().topLeft()
    click = QPointF(corner.x() + x + w / 2, corner.y() + y + h / 2)
    assert chart.toggle_bundle_at(click)

    def labels_between():
        return [label for label in chart.placed_labels() if label.kind == "link"
                and {demo_at_full_size.model.links[label.index].source,
                     demo_at_full_size.model.links[label.index].target} == ends]

    opened = labels_between()
    assert len(opened) > 1 and not any(label.text == bundle.text for label in opened)
    assert len(opened) <= count and overlaps(chart) == (0, 0)
    settle(qtbot, demo_at_full_size)
    assert len(labels_between()) == len(opened)  # stays open when the view settles again
