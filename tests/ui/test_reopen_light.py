"""Reopening a case reads what the first frame draws and nothing more.

The chart is read from the case's rows, not from a networkx graph (built only when an analysis
asks for it); the detector plugins are imported only when the analyst opens the list of detectors
or a finding names a detector this machine has not labelled before.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from workbench.analysis.graph import GraphFilter, case_graph
from workbench.demo import build_demo_case
from workbench.ui.chart_model import ChartModel


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.wbcase"
    build_demo_case(path).close()
    return path


def _links(model: ChartModel) -> list[str]:
    """Every link with what the chart shows of it (the order of the links is not the chart's business)."""
    return sorted(repr((model.ids[link.source], model.ids[link.target], link.schema, link.prop, link.via, link.label,
                        link.weak, link.directed, link.attrs, model.link_days[k])) for k, link in enumerate(model.links))


@pytest.mark.parametrize("graph_filter", [
    None,
    GraphFilter(min_grade="B2"),
    GraphFilter(schemata=frozenset({"Company"}), link_schemata=frozenset({"Payment", "Ownership"})),
    GraphFilter(start="2023-01-01", end="2023-12-31", keep_undated=False),
], ids=["everything", "graded", "companies-paying", "one-year"])
def test_a_chart_read_from_rows_is_the_chart_its_graph_gives(demo_path, graph_filter):
    from workbench.store import Case

    with Case.open(demo_path, readonly=True) as case:
        from_rows = ChartModel()
        from_rows.load(case, graph_filter=graph_filter)
        from_graph = ChartModel()
        from_graph.load(case, case_graph(case, graph_filter))
        assert from_rows._graph is None  # not built to draw the chart
        assert len(from_rows.links) > 0
        assert from_rows.ids == from_graph.ids
        assert from_rows.captions == from_graph.captions and from_rows.schemata == from_graph.schemata
        assert _links(from_rows) == _links(from_graph)
        # An analysis asking for the graph gets the case's graph under the same filter.
        graph = from_rows.graph
        assert graph.number_of_edges() == len(from_rows.links)
        assert list(graph.nodes) == from_rows.ids


def test_the_links_graph_holds_the_links_among_the_chosen_entities(demo_path):
    from workbench.store import Case

    with Case.open(demo_path, readonly=True) as case:
        model = ChartModel.from_case(case)
    chosen = list(range(0, model.entity_count, 2))
    graph = model.links_graph(chosen)
    assert set(graph.nodes) == {model.ids[i] for i in chosen}
    expected = {frozenset((model.ids[link.source], model.ids[link.target])) for link in model.links
                if link.source in chosen and link.target in chosen and link.source != link.target}
    assert {frozenset(edge) for edge in graph.edges} == expected and expected


def test_reopening_a_case_imports_neither_networkx_nor_the_detectors(tmp_path):
    """In a fresh interpreter (this one has imported everything already)."""
    demo_path = tmp_path / "demo.wbcase"
    build_demo_case(demo_path).close()
    script = textwrap.dedent(f"""
        import json, os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from workbench.ui.app import application, wait_for_jobs
        from workbench.ui.main_window import MainWindow
        app = application()
        window = MainWindow()
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        window.open_case({str(demo_path)!r})
        wait_for_jobs(window)
        app.processEvents()
        seen = {{"networkx": "networkx" in sys.modules,
                 "detectors": any(name.startswith("workbench_plugins.detectors") for name in sys.modules),
                 "links": len(window.model.links)}}
        window.findings.detector_choice.showPopup()  # the analyst opens the list of detectors
        seen["choices"] = window.findings.detector_choice.count()
        seen["detectors_after"] = any(name.startswith("workbench_plugins.detectors") for name in sys.modules)
        seen["graph_edges"] = window.model.graph.number_of_edges()  # an analysis asks for the graph
        print(json.dumps(seen))
        sys.stdout.flush()
        os._exit(0)
    """)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "HOME": str(tmp_path)}
    import os

    def reopen() -> dict:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env})
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = reopen()  # the first open lays the chart out (with networkx) and saves the positions
    assert first["networkx"]
    seen = reopen()
    assert seen["links"] > 50
    assert not seen["networkx"] and not seen["detectors"]
    assert seen["detectors_after"] and seen["choices"] > 5
    assert seen["graph_edges"] == seen["links"]


def test_findings_are_labelled_from_remembered_detectors_without_importing_them(demo_window, monkeypatch):
    from PySide6.QtCore import QSettings

    from workbench.ui.app import wait_for_jobs
    from workbench.ui.findings_panel import KNOWN_DETECTORS_KEY, FindingsPanel

    window = demo_window
    window.run_detectors(None)
    wait_for_jobs(window)
    rows = window.case.findings()
    assert rows
    # The run looked the detectors up: the panel remembers their labels for the next start.
    remembered = json.loads(QSettings().value(KNOWN_DETECTORS_KEY))
    assert {row["detector_id"] for row in rows} <= remembered.keys()

    looked_up = []
    import workbench.plugin_api as plugin_api

    real = plugin_api.detectors
    monkeypatch.setattr(plugin_api, "detectors", lambda: looked_up.append(1) or real())
    panel = FindingsPanel()
    panel.load(window.case)
    assert not looked_up
    first = rows[0]
    assert panel.detector_labels[first["detector_id"]] == remembered[first["detector_id"]][0]

    # A finding of a detector this machine never labelled: the plugins are looked up.
    QSettings().setValue(KNOWN_DETECTORS_KEY, json.dumps({}))
    fresh = FindingsPanel()
    fresh.load(window.case)
    assert looked_up
    assert fresh.detector_labels[first["detector_id"]] == remembered[first["detector_id"]][0]
