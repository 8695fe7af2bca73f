"""The inspector and findings panels at the default window size, on the real demo case."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QDockWidget

from workbench.ui.app import wait_for_jobs
from workbench.ui.findings_panel import DETECTOR, FINDING
from workbench.ui.wrapping import wrapped_line_count

BRIGHTWAVE = "demo-co-brightwave-components"
VOSTRALIN = "demo-org-vostralin-institute"
VELTSIN = "demo-person-arkady-veltsin"


@pytest.fixture
def window(demo_window, qtbot):
    """The demo case in a window of the app's default size (1600x1000)."""
    demo_window.resize(1600, 1000)
    qtbot.waitUntil(lambda: demo_window.width() == 1600)
    return demo_window


def inspect(window, entity_id: str) -> None:
    window.model.select([window.model.index_of(entity_id)])
    assert window.case.resolve(entity_id) in window.inspector.title.text()


def property_rows(inspector) -> list[tuple[str, str]]:
    tree = inspector.tree
    return [(tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1)) for i in range(tree.topLevelItemCount())]


def test_inspector_lists_owners_with_their_shares_directors_and_payments(window):
    inspect(window, BRIGHTWAVE)
    shown = window.inspector.relationship_rows()
    # Brightwave is 51% owned by the two listed owners, 49% by a nominee shareholder.
    assert ("Owned by", "Arkady Vasilyevich Veltsin", "2023-04-11", "26%") in shown
    assert ("Owned by", "Vostralin Research Institute of Radio-Electronic Systems", "2023-04-11", "25%") in shown
    assert ("Owned by", "Marie-Claire Fonsette", "2023-04-11", "49%") in shown
    assert ("Directed by", "Marie-Claire Fonsette", "2023-04-11", "Nominee director") in shown
    assert ("Payment from", "Atlas Crest General Trading FZE", "2023-05-17", "USD 447,000") in shown
    assert ("Owner of", "Brightwave Components Limited - multi-currency account", "2023-04-26", "100%") in shown
    assert not any(re.search(r"\bdemo-", other) for _, other, _, _ in shown)


def test_inspector_of_an_owner_reads_the_other_way(window):
    inspect(window, VELTSIN)
    shown = window.inspector.relationship_rows()
    assert ("Owner of", "Brightwave Components Limited", "2023-04-11", "26%") in shown
    assert ("Owner of", "Meridian Pacific Holdings Ltd", "2022-03-15", "60%") in shown
    assert ("Director of", "Vostralin Research Institute of Radio-Electronic Systems", "2022-01-10",
            "Director General") in shown


def test_inspector_shows_full_property_names_and_every_value(window):
    inspect(window, VOSTRALIN)
    inspector = window.inspector
    rows = property_rows(inspector)
    aliases = [value for label, value in rows if label == "Alias"]
    # The second alias is on the row after the first, under the same (blank) label.
    first = rows.index(("Alias", aliases[0]))
    assert len(aliases) == 1 and rows[first + 1][0] == "" and rows[first + 1][1]
    assert {rows[first][1], rows[first + 1][1]} == set(window.case.entity(VOSTRALIN).get("alias"))
    metrics = inspector.tree.fontMetrics()
    for label, _ in rows:
        assert metrics.horizontalAdvance(label) < inspector.tree.columnWidth(0), label


def test_double_clicking_a_relationship_selects_the_other_party(window, qtbot):
    inspect(window, BRIGHTWAVE)
    tree = window.inspector.relationships
    owner = next(tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
                 for j in range(tree.topLevelItem(i).childCount())
                 if tree.topLevelItem(i).child(j).text(0) == "Arkady Vasilyevich Veltsin")
    tree.scrollToItem(owner)
    centre = tree.visualItemRect(owner).center()
    with qtbot.waitSignal(window.inspector.relatedEntityActivated) as activated:
        # A real double-click: the first click's press and release, then the second press.
        qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=centre)
        qtbot.mouseDClick(tree.viewport(), Qt.LeftButton, pos=centre)
    assert activated.args == [VELTSIN]
    assert window.model.selected_ids() == [VELTSIN]
    assert window.inspector.title.text().startswith("Arkady Vasilyevich Veltsin")


@pytest.fixture
def findings(window, qtbot):
    """The findings panel in view, after every detector ran on the demo case."""
    window.run_detectors(None)
    wait_for_jobs(window)
    dock = next(d for d in window.findChildren(QDockWidget) if d.objectName() == "Findings")
    dock.raise_()
    qtbot.waitUntil(lambda: window.findings.isVisible())
    panel = window.findings
    assert 360 <= panel.width() <= 460  # the dock's width at the default window size
    return panel


def rows_of(panel):
    return [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]


def test_every_finding_and_detector_can_be_read_at_the_default_width(findings):
    rows = rows_of(findings)
    assert len(rows) > 30
    tree = findings.tree
    for item in rows:
        finding = item.data(0, Qt.UserRole)
        # The list shows a few wrapped lines of each finding; the tooltip holds all of it.
        assert item.toolTip(FINDING) == finding["explanation"]
        # The detector's name, in words, wrapped whole into its row (not cut off).
        label = findings.detector_labels[finding["detector_id"]]
        assert item.text(DETECTOR) == label and label in item.toolTip(DETECTOR)
        lines = wrapped_line_count(label, tree.font(), tree.columnWidth(DETECTOR) - 10)
        assert lines * QFontMetrics(tree.font()).lineSpacing() <= tree.visualItemRect(item).height(), label


def test_the_selected_finding_is_explained_in_full(findings, qtbot):
    longest = max(range(len(rows_of(findings))),
                  key=lambda i: len(rows_of(findings)[i].data(0, Qt.UserRole)["explanation"]))
    findings.select_row(longest)
    row = findings.current_finding()
    assert len(row["explanation"]) > 800
    qtbot.waitUntil(findings.explanation_fits)
    assert row["explanation"] in findings.explanation.toPlainText().replace("\n", " ")


def test_no_explanation_names_an_entity_by_its_internal_id(findings):
    case = findings.case
    ids = [entity_id for (entity_id,) in case.conn.execute("SELECT id FROM entities")]
    for finding in case.findings():
        named = [entity_id for entity_id in ids if entity_id in finding["explanation"]]
        assert not named, (finding["detector_id"], named)
