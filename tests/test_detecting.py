"""The detector runner and the findings store, with the documented example detector."""

import pytest

from workbench.detecting import run_detectors
from workbench.model import SourceInfo
from workbench.store import Case, CaseError


@pytest.fixture
def case(tmp_path, plugin_dir):
    (plugin_dir / "broken_detector.py").write_text(
        "from workbench.plugin_api import Detector\n"
        "class Broken(Detector):\n    id = 'example-broken'\n    def run(self, case):\n        raise RuntimeError('bug')\n"
    )
    with Case.create(tmp_path / "f.wbcase") as created:
        created.ingest(
            [{"id": f"p{n}", "schema": "Payment",
              "properties": {"payer": ["a"], "beneficiary": ["b"], "amount": [str(amount)]}}
             for n, amount in enumerate([50000, 20000, 123])],
            SourceInfo(file_name="pay.csv"),
        )
        yield created


def test_findings_are_stored_with_parameters_and_marks_survive_reruns(case):
    outcomes = run_detectors(case, ["example-round-amounts", "example-broken"])
    assert outcomes[0].findings == 2 and outcomes[1].error.startswith("RuntimeError: bug")
    stored = case.findings(detector_id="example-round-amounts")
    assert {tuple(f["evidence"]["facts"]) for f in stored} == {("p0",), ("p1",)}
    assert stored[0]["parameters"] == {"multiple": 10000}
    p1 = next(f for f in stored if f["evidence"]["facts"] == ["p1"])
    case.set_finding_status(p1["id"], "dismissed", "20,000 is the agreed deposit in the contract")
    with pytest.raises(CaseError, match="reason is required"):
        case.set_finding_status(p1["id"], "dismissed", "")
    # A re-run with a stricter threshold: p1 is no longer found, p0 still is; marks are kept.
    case.set_detector_parameters("example-round-amounts", {"multiple": 50000})
    run_detectors(case, ["example-round-amounts"])
    current = case.findings(detector_id="example-round-amounts")
    assert [f["evidence"]["facts"] for f in current] == [["p0"]]
    everything = case.findings(detector_id="example-round-amounts", current_only=False)
    dismissed = next(f for f in everything if f["id"] == p1["id"])
    assert dismissed["status"] == "dismissed" and dismissed["current"] == 0
    run_detectors(case, ["example-round-amounts"], overrides={"example-round-amounts": {"multiple": "10000"}})
    back = next(f for f in case.findings(detector_id="example-round-amounts") if f["id"] == p1["id"])
    assert back["status"] == "dismissed" and back["status_reason"].startswith("20,000")
    assert case.findings_for("p0")


def test_unknown_detector_is_named(case):
    with pytest.raises(LookupError, match="no detector 'nope'"):
        run_detectors(case, ["nope"])
