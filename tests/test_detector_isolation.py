"""A detector or plugin that misbehaves is reported as that plugin's failure; nothing else stops.

Every misbehaviour is a real, small plugin file in a temporary drop-in plugin folder, exactly
as an analyst would install one.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.detecting import DetectionCancelled, run_detectors
from workbench.model import SourceInfo
from workbench.store import Case

GOOD = "example-round-amounts"  # the documented example: finds p0 (50,000) and p1 (20,000)


def write_plugin(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text("from workbench.plugin_api import Detector\n" + textwrap.dedent(body))


def detector(name: str, run_body: str, *, header: str = "") -> str:
    """A one-detector plugin file whose ``run`` is ``run_body``."""
    return header + (
        f"class Misbehaving(Detector):\n"
        f"    id = {name!r}\n"
        f"    def run(self, case):\n" + textwrap.indent(textwrap.dedent(run_body), " " * 8)
    )


@pytest.fixture
def plugins(plugin_dir):
    return plugin_dir


@pytest.fixture
def case_path(tmp_path, plugins):
    path = tmp_path / "f.wbcase"
    with Case.create(path) as created:
        created.ingest(
            [{"id": f"p{n}", "schema": "Payment",
              "properties": {"payer": ["a"], "beneficiary": ["b"], "amount": [str(amount)]}}
             for n, amount in enumerate([50000, 20000, 123])]
            + [{"id": "a", "schema": "Company", "properties": {"name": ["Atlas Trading FZE"]}}],
            SourceInfo(file_name="pay.csv"),
        )
    return path


@pytest.fixture
def case(case_path):
    with Case.open(case_path) as opened:
        yield opened


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def good_findings(case):
    return sorted(f["evidence"]["facts"][0] for f in case.findings(detector_id=GOOD))


# ------------------------------------------------------------------ malformed findings


def test_a_finding_without_explanation_is_rejected_for_its_detector_only(case, plugins):
    write_plugin(plugins, "no_explanation", detector("no-explanation", """\
        yield {"entities": ["a"], "evidence": ["p2"], "explanation": "A small payment from Atlas."}
        yield {"entities": ["a"], "evidence": ["p0"], "score": 0.9}
    """))
    outcomes = {o.detector_id: o for o in run_detectors(case, ["no-explanation", GOOD])}
    assert outcomes["no-explanation"].error == "rejected 1 of 2 findings: finding 2: no explanation"
    assert outcomes["no-explanation"].findings == 1
    assert [f["explanation"] for f in case.findings(detector_id="no-explanation")] == ["A small payment from Atlas."]
    assert outcomes[GOOD].error is None and good_findings(case) == ["p0", "p1"]


def test_bad_evidence_is_rejected_with_a_message(case, plugins):
    write_plugin(plugins, "bad_evidence", detector("bad-evidence", """\
        yield {"entities": ["a"], "evidence": "p0", "explanation": "Evidence as text, not a list."}
        yield {"entities": ["a"], "evidence": ["no-such-payment"], "explanation": "Evidence not in the case."}
        yield {"entities": ["a"], "evidence": ["p0"], "explanation": "Score out of range.", "score": 7}
    """))
    [outcome] = run_detectors(case, ["bad-evidence"])
    assert outcome.error == (
        "rejected 3 of 3 findings: finding 1: evidence must be a list of entity ids, got str 'p0'; "
        "finding 2: evidence 'no-such-payment' is not in the case; "
        "finding 3: score must be a number from 0 to 1, got 7"
    )
    assert case.findings(detector_id="bad-evidence") == []


# ------------------------------------------------------------------ exits, interrupts, crashes


def test_sys_exit_in_a_detector_is_that_detectors_error_and_detect_says_so(case_path, plugins):
    write_plugin(plugins, "exits", detector("exits", "import sys\nsys.exit()\nyield {}\n"))
    result = cli("detect", case_path, "--only", "exits", "--only", GOOD)
    assert result.exit_code == 13
    assert "ERROR SystemExit: the detector called sys.exit(None)" in result.output
    with Case.open(case_path, readonly=True) as opened:
        assert good_findings(opened) == ["p0", "p1"]


@pytest.mark.parametrize("raised", ["KeyboardInterrupt()", "GeneratorExit()", "SystemExit(3)"])
def test_base_exceptions_in_a_detector_are_recorded_and_the_others_run(case, plugins, raised):
    write_plugin(plugins, "raises", detector("raises", f"raise {raised}\nyield {{}}\n"))
    outcomes = {o.detector_id: o for o in run_detectors(case, ["raises", GOOD])}
    assert outcomes["raises"].error.startswith(raised.split("(")[0])
    assert good_findings(case) == ["p0", "p1"]
    [run] = [r for r in case.db.query("SELECT * FROM detector_runs WHERE detector_id = 'raises'")]
    assert run["error"] == outcomes["raises"].error


def test_a_detector_that_ends_its_process_is_recorded_and_the_others_run(case, plugins):
    write_plugin(plugins, "quits", detector("aaa-quits", "import os\nos._exit(7)\nyield {}\n"))
    outcomes = {o.detector_id: o for o in run_detectors(case, ["aaa-quits", GOOD])}
    assert outcomes["aaa-quits"].error == "the detector ended its worker process (exit code 7)"
    assert good_findings(case) == ["p0", "p1"]


# ------------------------------------------------------------------ the case is read-only to detectors


def test_a_detector_cannot_rewrite_names_or_delete_findings(case, plugins):
    run_detectors(case, [GOOD])
    write_plugin(plugins, "vandal", detector("vandal", """\
        case.conn.execute("UPDATE statements SET value = 'Innocent Ltd' WHERE value = 'Atlas Trading FZE'")
        yield {}
    """))
    write_plugin(plugins, "shredder", detector("shredder", """\
        case.conn.execute("PRAGMA query_only = OFF")
        case.conn.execute("DELETE FROM findings")
        yield {}
    """))
    audit_before = len(list(case.db.query("SELECT seq FROM audit_log")))
    outcomes = {o.detector_id: o for o in run_detectors(case, ["vandal", "shredder"])}
    assert outcomes["vandal"].error.startswith("OperationalError: attempt to write a readonly database")
    assert outcomes["shredder"].error.startswith("OperationalError: attempt to write a readonly database")
    assert case.entity("a").caption == "Atlas Trading FZE"
    assert good_findings(case) == ["p0", "p1"]
    # The only new audit entries are the host's own records of the two failed runs.
    actions = [row["action"] for row in case.db.query("SELECT action FROM audit_log ORDER BY seq")][audit_before:]
    assert actions == ["detector.run", "detector.run"]


# ------------------------------------------------------------------ endless loops


def test_an_endless_detector_is_stopped_at_the_time_limit(case, plugins, monkeypatch):
    write_plugin(plugins, "spins", detector("aaa-spins", """\
        import os
        while os.environ.get("SPIN"):
            pass
        yield {"entities": ["a"], "evidence": ["p0"], "explanation": "Atlas paid a round 50,000."}
    """))
    run_detectors(case, ["aaa-spins"])  # an earlier run found something
    monkeypatch.setenv("SPIN", "1")
    outcomes = {o.detector_id: o for o in run_detectors(case, ["aaa-spins", GOOD], time_limit=1)}
    assert outcomes["aaa-spins"].error == "did not finish within the time limit of 1 s; stopped"
    assert good_findings(case) == ["p0", "p1"]
    assert [f["explanation"] for f in case.findings(detector_id="aaa-spins")] == ["Atlas paid a round 50,000."]


def test_detect_takes_a_time_limit(case_path, plugins):
    write_plugin(plugins, "spins", detector("spins", "while True:\n    pass\nyield {}\n"))
    result = cli("detect", case_path, "--only", "spins", "--time-limit", "1")
    assert result.exit_code == 13
    assert "ERROR did not finish within the time limit of 1 s; stopped" in result.output
    assert "--time-limit" in cli("detect", "--help").output


def test_a_failed_detector_keeps_its_earlier_findings(case, plugins):
    write_plugin(plugins, "flaky", detector("flaky", """\
        import os
        if os.environ.get("FLAKY_BREAKS"):
            raise RuntimeError("database of ports unavailable")
        yield {"entities": ["a"], "evidence": ["p0"], "explanation": "Atlas paid a round 50,000."}
    """))
    run_detectors(case, ["flaky"])
    os.environ["FLAKY_BREAKS"] = "1"
    try:
        [outcome] = run_detectors(case, ["flaky"])
    finally:
        del os.environ["FLAKY_BREAKS"]
    assert outcome.error.startswith("RuntimeError: database of ports unavailable")
    assert [f["explanation"] for f in case.findings(detector_id="flaky")] == ["Atlas paid a round 50,000."]


# ------------------------------------------------------------------ runs that did not finish


def test_a_cancelled_run_is_marked_partial_everywhere(case_path, plugins, tmp_path):
    with Case.open(case_path) as opened:
        def cancelled():  # the analyst presses Cancel once the first detector has finished
            return opened.conn.execute("SELECT count(*) FROM detector_runs").fetchone()[0] > 0

        with pytest.raises(DetectionCancelled):
            run_detectors(opened, cancelled=cancelled)
    listed = cli("findings", case_path)
    assert listed.exit_code == 0
    assert "The last detector run was cancelled before it finished" in listed.output
    assert "not run:" in listed.output
    report = tmp_path / "r.html"
    assert cli("report", case_path, report).exit_code == 0
    assert "The last detector run was cancelled before it finished" in report.read_text()
    # A complete run clears the mark.
    assert cli("detect", case_path).exit_code == 0
    assert "before it finished" not in cli("findings", case_path).output


def test_a_killed_detect_is_marked_partial(case_path, plugins):
    write_plugin(plugins, "killer", detector("zzz-kills-host", """\
        import os, signal
        os.kill(os.getppid(), signal.SIGKILL)
        yield {}
    """))
    env = {**os.environ, "WORKBENCH_PLUGIN_DIR": str(plugins)}
    killed = subprocess.run([sys.executable, "-m", "workbench", "detect", str(case_path)],
                            capture_output=True, text=True, env=env)
    assert killed.returncode == -9
    listed = cli("findings", case_path)
    assert "The last detector run did not finish (the program was stopped)" in listed.output
    assert "not run: zzz-kills-host" in listed.output
    as_json = cli("findings", case_path, "--json")
    assert json.loads(as_json.stdout)  # the warning goes to stderr, the JSON stays readable
    assert "did not finish" in as_json.stderr


# ------------------------------------------------------------------ plugin import


@pytest.mark.parametrize("plugin, code, says, time_limit", [
    ("exits_at_import", "import sys\nsys.exit(3)\n", "SystemExit: the plugin called sys.exit(3) while being imported",
     None),
    ("spins_at_import", "while True:\n    pass\n", "did not finish importing within 1 s", "1"),
], ids=["sys.exit", "endless loop"])
def test_a_plugin_that_exits_or_never_finishes_at_import_is_that_plugins_failure(case_path, plugins, monkeypatch,
                                                                                 plugin, code, says, time_limit):
    if time_limit:
        monkeypatch.setenv("WORKBENCH_PLUGIN_IMPORT_TIME_LIMIT", time_limit)
    (plugins / f"{plugin}.py").write_text(code)
    listed = cli("plugins")
    assert listed.exit_code == 0
    assert f"FAILED    {plugin}" in listed.output and says in listed.output
    assert f"detector  {GOOD}" in listed.output
    assert cli("info", case_path).exit_code == 0
    detected = cli("detect", case_path, "--only", GOOD)
    assert detected.exit_code == 0 and "ERROR" not in detected.output
    missing = cli("info", case_path.with_name("missing.wbcase"))
    assert missing.exit_code == 3 and "no such case file" in missing.output


def test_without_fork_detectors_still_run_read_only_and_guarded(case, plugins, monkeypatch):
    monkeypatch.delattr(os, "fork")  # as on Windows
    write_plugin(plugins, "vandal", detector("vandal", """\
        case.conn.execute("DELETE FROM findings")
        yield {}
    """))
    write_plugin(plugins, "exits", detector("exits", "import sys\nsys.exit(2)\nyield {}\n"))
    run_detectors(case, [GOOD])
    outcomes = {o.detector_id: o for o in run_detectors(case, ["vandal", "exits", GOOD])}
    assert outcomes["vandal"].error.startswith("OperationalError: attempt to write a readonly database")
    assert outcomes["exits"].error.startswith("SystemExit: the detector called sys.exit(2)")
    assert good_findings(case) == ["p0", "p1"]
