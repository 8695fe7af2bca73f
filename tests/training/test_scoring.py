"""Scoring a trainee's marks against the answer key, and the debrief."""

import json

import click
import pytest
from click.testing import CliRunner

from workbench.detecting import run_detectors
from workbench.store import Case
from workbench.training import (
    Mark,
    debrief_text,
    generate,
    load_key,
    load_marks,
    marks_from_findings,
    marks_path_for,
    save_marks,
    score_marks,
    write_case,
)
from workbench.training.cli_commands import register
from workbench.training.scoring import KEY_FORMAT, TrainingError, debrief_steps, score_case

# A key small enough to score by hand.
KEY = {
    "format": KEY_FORMAT,
    "scenario": "hand",
    "title": "Hand-checked",
    "seed": 1,
    "size": 1,
    "patterns": [
        {"id": "P1", "kind": "front-company-hub", "title": "Front company", "description": "A front.",
         "entities": ["front", "owner"], "facts": ["shipment", "stake"], "context": ["supplier"],
         "detectors": ["new-company-chpl"],
         "steps": [{"text": "The front imported chips.", "entities": ["front"], "facts": ["shipment"],
                    "red_flags": ["new-company-chpl"]},
                   {"text": "Its owner.", "entities": ["owner"], "facts": ["stake"], "red_flags": []}]},
        {"id": "P2", "kind": "structuring", "title": "Structuring", "description": "Split payments.",
         "entities": ["payer"], "facts": ["payment-1", "payment-2"], "context": [], "detectors": ["structuring"],
         "steps": [{"text": "Payments under the threshold.", "entities": ["payer"],
                    "facts": ["payment-1", "payment-2"], "red_flags": ["structuring"]}]},
        {"id": "P3", "kind": "forwarder-consignee", "title": "Forwarder", "description": "A forwarder.",
         "entities": ["forwarder"], "facts": ["shipment-2"], "context": [], "detectors": [], "steps": []},
    ],
    "decoys": [{"id": "D1", "kind": "hub-distributor", "title": "Decoy: distributor",
                "description": "An old distributor with honest papers.", "entities": ["distributor"],
                "facts": ["shipment-3"], "context": ["supplier-2"], "detectors": ["chpl-to-risky-destination"],
                "steps": []}],
    "labels": {"front": "Front Trading FZE", "owner": "Ivan Petrov", "payer": "Payer Ltd"},
}


def test_score_of_a_hand_checked_example():
    marks = [
        Mark("front", "new company, webmail"),
        Mark("shipment", "CHPL to a hub"),
        Mark("supplier", "sold the chips"),            # context: neither found nor a false alarm
        Mark("payer", "instalments"),
        Mark("payment-1", "9,900"),
        Mark("payment-1", "again, other reason"),      # a second mark on the same item counts once
        Mark("distributor", "CHPL to Singapore"),      # the decoy: a false alarm
        Mark("baker", "looked odd"),                   # background: a false alarm
    ]
    score = score_marks(KEY, marks)
    p1, p2, p3 = score.patterns
    assert (p1.found, p1.missed, p1.status) == (["front", "shipment"], ["owner", "stake"], "partly found")
    assert (p2.found, p2.missed, p2.status) == (["payer", "payment-1"], ["payment-2"], "partly found")
    assert (p3.found, p3.missed, p3.status) == ([], ["forwarder", "shipment-2"], "missed")
    assert p1.context_marked == ["supplier"] and score.neutral == ["supplier"]
    assert [(f.id, f.decoy) for f in score.false_alarms] == [("distributor", "D1"), ("baker", None)]
    # 4 of 9 pattern items found; 4 right of 6 judged marks.
    assert (score.found, score.missed, score.total) == (4, 5, 9)
    assert score.recall == pytest.approx(4 / 9)
    assert score.precision == pytest.approx(4 / 6)
    assert score.patterns_found == 2
    assert score.reasons["payment-1"] == ["9,900", "again, other reason"]


def test_no_marks_no_precision_and_everything_missed():
    score = score_marks(KEY, [])
    assert score.precision is None and score.recall == 0 and score.found == 0 and score.missed == 9
    assert all(p.status == "missed" for p in score.patterns)


def test_marks_on_merged_ids_count_for_the_key():
    aliases = {"front-from-invoice": "front"}
    score = score_marks(KEY, ["front-from-invoice"], resolve=lambda i: aliases.get(i, i))
    assert score.patterns[0].found == ["front"] and not score.false_alarms


def test_debrief_walks_each_pattern_step_by_step():
    score = score_marks(KEY, [Mark("front", "new"), Mark("distributor", "hub"), Mark("baker", "odd")])
    text = debrief_text(KEY, score)
    assert "Found 1 of 9 items (recall 11%); 2 false alarms (precision 33%); patterns found: 1 of 3." in text
    p1 = text.index("P1  Front company")
    assert text.index("Step 1. The front imported chips.", p1) < text.index("Step 2. Its owner.", p1)
    assert "[marked] Front Trading FZE (front)" in text and "[missed] Ivan Petrov (owner)" in text
    assert "red flag: new-company-chpl (Newly formed company trading CHPL goods)" in text
    assert "a decoy: An old distributor with honest papers." in text
    assert "baker: odd" in text and "legitimate background trade" in text
    steps = debrief_steps(KEY)
    assert [(s["pattern"], s["number"]) for s in steps] == [("P1", 1), ("P1", 2), ("P2", 1)]
    assert steps[2]["red_flag_labels"] == ["Payments structured below a threshold"]


def test_marks_files_round_trip_and_accept_plain_lists(tmp_path):
    path = save_marks(tmp_path / "m.json", [Mark("a", "one"), Mark("b", "two"), Mark("a", "newer")], case_id="c1")
    assert [(m.id, m.reason) for m in load_marks(path)] == [("a", "newer"), ("b", "two")]
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(["x", {"id": "y", "reason": "why"}]))
    assert [(m.id, m.reason) for m in load_marks(plain)] == [("x", ""), ("y", "why")]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"reason": "no id"}]))
    with pytest.raises(TrainingError, match="mark 1 has no entity or fact id"):
        load_marks(bad)


@pytest.fixture
def lesson(tmp_path):
    case_path, key_path = write_case(generate("classroom", seed=5), tmp_path / "lesson")
    return case_path, load_key(key_path)


def test_confirmed_findings_count_as_marks(lesson):
    case_path, key = lesson
    front = key["patterns"][0]["entities"][0]
    with Case.open(case_path) as case:
        run_detectors(case)
        finding = next(f for f in case.findings(detector_id="new-company-chpl") if front in f["evidence"]["entities"])
        case.set_finding_status(finding["id"], "confirmed")
        marks = marks_from_findings(case)
        assert {m.id for m in marks} == {front, *finding["evidence"]["facts"]}
        assert all(m.reason.startswith(f"confirmed finding #{finding['id']} (new-company-chpl)") for m in marks)
        score, _ = score_case(case, key)
    assert front in score.patterns[0].found and not score.false_alarms


def test_marks_file_and_findings_are_scored_together(lesson, tmp_path):
    case_path, key = lesson
    owner = key["patterns"][0]["entities"][1]
    with Case.open(case_path) as case:
        background = next(e.id for e in case.entities("Company") if e.id not in key["labels"])
        save_marks(marks_path_for(case_path), [Mark(owner, "Russian owner"), Mark(background, "hunch")],
                   case_id=case.meta("case_id"))
        score, _ = score_case(case, key)
        assert score.patterns[0].found == [owner] and [f.id for f in score.false_alarms] == [background]
        only_file, _ = score_case(case, key, use_findings=False)
        assert only_file.found == 1
    other = tmp_path / "other.json"
    save_marks(other, [Mark(owner)], case_id="someone-else")
    with Case.open(case_path, readonly=True) as case, pytest.raises(TrainingError, match="another case"):
        score_case(case, key, marks_file=other)
    wrong_key = {**key, "case_id": "not-this-one"}
    with Case.open(case_path, readonly=True) as case, pytest.raises(TrainingError, match="another case"):
        score_case(case, wrong_key)


def test_cli_mark_then_score(lesson, tmp_path, monkeypatch):
    case_path, key = lesson
    monkeypatch.chdir(tmp_path)
    group = click.Group()
    register(group)
    runner = CliRunner()
    front = key["patterns"][0]["entities"][0]
    name = key["labels"][front]
    result = runner.invoke(group, ["train", "mark", str(case_path), name, "--reason", "new, webmail"])
    assert result.exit_code == 0, result.output
    assert marks_path_for(case_path).exists()
    result = runner.invoke(group, ["train", "score", str(case_path)])
    assert result.exit_code == 0, result.output
    assert "1 item marked: 1 of" in result.output and "false alarms; precision 100%" in result.output
    assert "Step 1." in result.output and "[marked]" in result.output
    result = runner.invoke(group, ["train", "score", str(case_path), "--json"])
    data = json.loads(result.output)
    assert data["found"] == 1 and data["marks"][0]["reason"] == "new, webmail"
    result = runner.invoke(group, ["train", "mark", str(case_path), "no-such-thing"])
    assert result.exit_code == 1 and "no entity or fact" in result.output
    result = runner.invoke(group, ["train", "mark", str(case_path), front, "--remove"])
    assert result.exit_code == 0 and "0 marks" in result.output
    missing_key = runner.invoke(group, ["train", "score", str(case_path), "--key", "nowhere.json"])
    assert missing_key.exit_code == 14 and "no answer key" in missing_key.output
