"""Big cases: an overview of groups, groups opened and collapsed, hop-by-hop expansion; every
step undoable. On generated training cases (real cases of the size the app must handle) and
the demo, through the real main window."""

from __future__ import annotations

import numpy as np
import pytest
from windows import open_at_full_size

from workbench.analysis import grouping
from workbench.detecting import run_detectors
from workbench.store import Case
from workbench.training import generate, write_case
from workbench.ui.app import wait_for_jobs
from workbench.ui.label_placement import count_overlaps


@pytest.fixture(scope="module")
def full_network(tmp_path_factory):
    """The 3,800-entity training case (849 parties on the chart), its detectors run."""
    path = tmp_path_factory.mktemp("big") / "full.wbcase"
    write_case(generate("full-network", seed=1), path)
    with Case.open(path) as case:
        run_detectors(case)
    return path


@pytest.fixture
def full_window(qtbot, full_network, tmp_path):
    copy = tmp_path / "full.wbcase"
    copy.write_bytes(full_network.read_bytes())
    return open_at_full_size(qtbot, copy)


def _icon_overlaps(chart) -> int:
    rects = np.array(chart.icon_rects())
    count = 0
    for a in range(len(rects)):
        for b in range(a + 1, len(rects)):
            ax, ay, aw, ah = rects[a]
            bx, by, bw, bh = rects[b]
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                count += 1
    return count


def test_a_big_case_opens_on_an_overview_with_its_listed_party_as_itself(full_window):
    model = full_window.model
    shown = model.shown
    # 849 parties would be one ball; the overview draws a few dozen items.
    assert model.entity_count > grouping.OVERVIEW_THRESHOLD
    assert 5 <= int(shown.sum()) <= grouping.OVERVIEW_THRESHOLD
    assert model.group_collapsed.all() and len(model.group_names) >= 5
    # Every party is either drawn or inside a drawn group.
    entities = np.arange(model.entity_count)
    assert (shown[entities] | model.collapsed_away[entities] | ~model.visible[entities]).all()
    listed = np.flatnonzero(model.listed[: model.entity_count])
    assert len(listed) and shown[listed].all(), "the listed party is drawn as itself"
    high = [i for i in entities if model.severity[i] == "high"]
    assert high and shown[high].all(), "entities of high-severity findings stay as themselves"
    # Readable: no label over a label or an icon, no icon over another.
    chart = full_window.chart
    assert count_overlaps(chart.placed_labels(), chart.icon_rects()) == (0, 0)
    assert _icon_overlaps(chart) == 0
    listed_labels = {label.index for label in chart.placed_labels() if label.kind == "entity"}
    assert set(listed.tolist()) <= listed_labels, "the listed party is named on the overview"
    # Links between groups are summed up: "12 payments · USD 1.2M · 2023-01 to 2024-05".
    summed = [model.links[k].label for k in model.aggregates]
    assert summed and any(text[0].isdigit() for text in summed)
    # Two steps, each undoable: the groups, then their first layout.
    assert full_window.case.undo_label() == "Initial layout"
    full_window.undo()
    assert full_window.case.undo_label().startswith("Overview: ")
    full_window.undo()
    assert not model.group_names and int(model.shown.sum()) == int(model.visible[: model.entity_count].sum())


def test_opening_a_group_in_place_and_undoing_it(full_window, qtbot):
    model, case = full_window.model, full_window.case
    # The smallest group opens in place (a big one opens into its own communities).
    g = min(range(len(model.group_names)), key=lambda k: len(model.group_members[k]))
    node = model.entity_count + g
    members = model.members_of(g)
    name = model.group_names[g]
    before = int(model.shown.sum())
    full_window.chart.nodeDoubleClicked.emit(node)
    index = {e: i for i, e in enumerate(model.ids)}
    assert all(model.shown[index[e]] for e in members)
    assert not model.shown[index[f"group:{name}"]], "an opened group's node is not drawn"
    assert int(model.shown.sum()) == before - 1 + len(members)
    assert not model.unplaced[[index[e] for e in members]].any(), "members are placed where the group was"
    assert case.undo_label().startswith("Open group")
    full_window.undo()
    index = {e: i for i, e in enumerate(model.ids)}
    assert int(model.shown.sum()) == before
    assert not any(model.shown[index[e]] for e in members)
    full_window.redo()
    index = {e: i for i, e in enumerate(model.ids)}
    assert all(model.shown[index[e]] for e in members)


def test_a_big_group_opens_into_smaller_groups(full_window, monkeypatch):
    model = full_window.model
    g = max(range(len(model.group_names)), key=lambda k: len(model.group_members[k]))
    # This case's biggest group has under a hundred members; the rule is the same at 1,000.
    monkeypatch.setattr(grouping, "SPLIT_ABOVE", len(model.group_members[g]) // 3)
    name = model.group_names[g]
    groups_before = len(model.group_names)
    full_window.groups.open_group(model.entity_count + g)
    wait_for_jobs(full_window)  # a group this big is split in a worker, the window stays live
    assert name not in model.group_names
    assert len(model.group_names) > groups_before
    assert model.group_collapsed.all()
    full_window.undo()
    assert name in model.group_names and len(model.group_names) == groups_before


def test_collapse_a_selection_then_expand_hop_by_hop_with_undo(qtbot, tmp_path):
    from workbench.demo import build_demo_case

    build_demo_case(tmp_path / "demo.wbcase").close()
    window = open_at_full_size(qtbot, tmp_path / "demo.wbcase")
    model, case = window.model, window.case
    assert not model.group_names, "the demo (26 entities) opens as itself, no overview"
    # Collapse two linked parties and everything around them into one node.
    start = int(np.argmax(np.bincount([e for link in model.links for e in (link.source, link.target)])))
    chosen = sorted({start} | model.neighbours({start}))
    model.select(chosen)
    window.groups.collapse_selection("Hub and partners")
    assert model.group_names == ["Hub and partners"]
    node = model.ids.index("group:Hub and partners")
    assert model.shown[node] and not model.shown[chosen].any()
    assert model.captions[node] == f"Hub and partners ({len(chosen)})"
    # Links from the rest of the chart to any member now end at the group, summed up.
    ends = {(model.links[k].source, model.links[k].target) for k in model.aggregates}
    assert ends and all(node in pair for pair in ends)
    # The inspector and the tooltip say what the group holds.
    model.select([node])
    assert f"Group of {len(chosen)} entities" in window.inspector.title.text()
    from workbench.ui.chart_hover import entity_tooltip

    assert "Double-click to open it" in entity_tooltip(case, model, node)
    # Del on a group hides its members, and with them the group; undo brings it back.
    window.hide_selected()
    assert not model.shown[node] and not model.visible[chosen].any()
    window.undo()
    node = model.ids.index("group:Hub and partners")
    assert model.shown[node]
    # The group is kept in the case: a reopened case shows it collapsed.
    window.reload()
    assert model.shown[model.ids.index("group:Hub and partners")]
    # Expand from an entity outside: its neighbours inside the group come out, a few at a time.
    outside = next(i for i in range(model.entity_count) if model.shown[i]
                   and any(model.member_group[j] >= 0 for j in model.neighbours({i}) if j < model.entity_count))
    model.select([outside])
    brought, waiting = window.groups.expand(limit=1)
    assert brought == 1
    assert case.undo_label().startswith("Expand 1 neighbours")
    came_out = [i for i in model.neighbours({outside}) if i < model.entity_count and model.shown[i]
                and i in chosen]
    assert len(came_out) == 1
    window.undo()
    assert not any(model.shown[i] for i in chosen)
    window.undo()  # the collapse itself
    assert not model.group_names and model.shown[chosen].all()


def test_a_finding_on_an_overview_brings_its_evidence_out_framed(full_window, qtbot):
    model, case = full_window.model, full_window.case
    findings = case.findings()
    hidden_evidence = None
    for row in findings:
        nodes, _ = model.evidence_of(row)
        if nodes and model.collapsed_away[sorted(nodes)].any():
            hidden_evidence = row
            break
    assert hidden_evidence is not None, "some finding's evidence sits inside a group"
    full_window.show_finding(hidden_evidence)
    wait_for_jobs(full_window)
    nodes, _ = model.evidence_of(hidden_evidence)
    assert nodes and model.shown[sorted(nodes)].all()
    qtbot.wait(60)
    full_window.chart.settle()
    labelled = {label.index for label in full_window.chart.placed_labels() if label.kind == "entity"}
    assert set(nodes) <= labelled, "the evidence is framed and named"
    assert count_overlaps(full_window.chart.placed_labels(), full_window.chart.icon_rects()) == (0, 0)
    full_window.undo()
    assert model.collapsed_away[sorted(nodes)].any()


def test_a_saved_view_keeps_its_groups(full_window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    model = full_window.model
    overview_groups = list(model.group_names)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Overview", True))
    full_window.save_view()
    # Open a group, then go back to the saved overview by applying the view.
    g = min(range(len(model.group_names)), key=lambda k: len(model.group_members[k]))
    full_window.groups.open_group(model.entity_count + g)
    assert not model.group_collapsed.all()
    full_window.apply_view("Overview")
    assert sorted(model.group_names) == sorted(overview_groups) and model.group_collapsed.all()
    assert full_window.case.undo_label() == "Apply view 'Overview'"


def test_overview_by_type_groups_parties_of_a_kind(full_window):
    model = full_window.model
    full_window.groups.overview("type", then_layout=False)
    wait_for_jobs(full_window)
    kinds = set(model.group_kinds)
    assert kinds == {"type"}, "the communities are replaced, not added to"
    for g, name in enumerate(model.group_names):
        assert {model.schemata[i] for i in model.group_members[g]} == {name}


def test_show_more_brings_the_next_neighbours_of_the_same_hub(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from workbench.demo import build_demo_case

    build_demo_case(tmp_path / "demo.wbcase").close()
    window = open_at_full_size(qtbot, tmp_path / "demo.wbcase")
    model = window.model
    hub = int(np.argmax(model.entity_degree))
    around = sorted(i for i in model.neighbours({hub}) if i < model.entity_count)
    assert len(around) >= 5
    model.select(around)
    window.hide_selected()  # the hub's neighbours are off the chart
    model.select([hub])
    brought, waiting = window.groups.expand(limit=2)
    assert brought == 2 and waiting == len(around) - 2
    # They come out on a ring around the hub, and everything else on the chart stays outside it.
    came = [i for i in around if model.shown[i]]
    ring = np.hypot(*(model.positions[came] - model.positions[hub]).T)
    assert ring.min() == pytest.approx(ring.max())
    others = [i for i in np.flatnonzero(model.shown[: model.entity_count]) if i != hub and i not in came]
    assert (np.hypot(*(model.positions[others] - model.positions[hub]).T) > ring.max()).all()
    button = window.show_more_button
    assert button.isVisible() and button.text() == f"Show 2 more (of {len(around) - 2})"
    # The analyst clicks elsewhere meanwhile: "Show more" still goes on from the hub.
    model.select([around[0]])
    qtbot.mouseClick(button, Qt.LeftButton)
    assert sum(bool(model.shown[i]) for i in around) == 4
    assert button.text() == f"Show {min(2, len(around) - 4)} more (of {len(around) - 4})"
    window.undo()
    assert sum(bool(model.shown[i]) for i in around) == 2
