"""The findings panel: run detectors in a worker, show evidence, mark findings."""

import pytest

from workbench.ui.app import wait_for_jobs


@pytest.fixture
def window(request, plugin_dir):
    return request.getfixturevalue("demo_window")


def test_run_in_a_worker_then_select_and_mark(window):
    window.case.set_detector_parameters("example-round-amounts", {"multiple": 1000})
    window.run_detectors(["example-round-amounts"])
    wait_for_jobs(window)
    panel = window.findings
    assert panel.tree.topLevelItemCount() > 0
    assert "detectors ran" in window.status.text()
    panel.select_row(0)
    row = panel.current_finding()
    facts = set(row["evidence"]["facts"])
    assert {window.model.links[k].via for k in window.model.highlighted_links} == facts
    assert window.timeline.selected_vias == facts
    panel.mark_current("dismissed", reason="agreed deposit")
    assert window.case.findings()[0]["status"] in ("dismissed", "open")
    assert any(f["status"] == "dismissed" and f["status_reason"] == "agreed deposit" for f in window.case.findings())
    # A re-run keeps the mark.
    window.run_detectors(["example-round-amounts"])
    wait_for_jobs(window)
    assert any(f["status"] == "dismissed" for f in window.case.findings())


def test_panel_says_when_the_last_run_did_not_finish(window):
    from workbench.detecting import DetectionCancelled, run_detectors

    panel = window.findings
    assert not panel.unfinished.isVisibleTo(panel)

    def cancelled():  # Cancel pressed once the first detector has finished
        return window.case.conn.execute("SELECT count(*) FROM detector_runs").fetchone()[0] > 0

    with pytest.raises(DetectionCancelled):
        run_detectors(window.case, cancelled=cancelled)
    panel.refresh()
    assert panel.unfinished.isVisibleTo(panel)
    assert "cancelled before it finished" in panel.unfinished.text() and "not run:" in panel.unfinished.text()
    run_detectors(window.case)
    panel.refresh()
    assert not panel.unfinished.isVisibleTo(panel)
