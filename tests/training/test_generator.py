"""The training-case generator: determinism, planted patterns the detectors find, a quiet background."""

import json
import re
from collections import Counter

import click
import pytest
from click.testing import CliRunner

from workbench.detecting import run_detectors
from workbench.store import Case
from workbench.training import generate, key_path_for, list_scenarios, load_key, load_scenario, write_case
from workbench.training.cli_commands import register
from workbench.training.generator import DECOYS, PATTERNS, Scenario
from workbench.training.scoring import detector_coverage

# Every pattern (both variants where there are two) over a thin background: small enough to run
# all detectors in about a second.
EVERY_PATTERN = {
    "id": "every-pattern",
    "title": "Every pattern",
    "background": load_scenario("full-network").background,
    "patterns": [
        {"kind": "front-company-hub", "country": "ae"},
        {"kind": "front-company-hub", "country": "kz"},
        {"kind": "layered-ownership"},
        {"kind": "chpl-reexport"},
        {"kind": "third-country-payment"},
        {"kind": "structuring"},
        {"kind": "forwarder-consignee"},
        {"kind": "falsified-end-use", "variant": "end-user"},
        {"kind": "falsified-end-use", "variant": "re-export"},
        {"kind": "listed-two-hops", "variant": "shared-director"},
        {"kind": "listed-two-hops", "variant": "ownership"},
    ],
    "decoys": [{"kind": kind} for kind in DECOYS],
}


def case_dump(path) -> str:
    """Every entity as the case returns it, as sorted JSON lines."""
    with Case.open(path, readonly=True) as case:
        return "".join(json.dumps(e.to_dict(), sort_keys=True) + "\n" for e in case.iter_entities())


def test_same_seed_same_case_byte_for_byte(tmp_path):
    first, second = generate("classroom", seed=42), generate("classroom", seed=42)
    assert first.dump() == second.dump()
    one, one_key = write_case(first, tmp_path / "one")
    two, two_key = write_case(second, tmp_path / "two")
    assert case_dump(one) == case_dump(two)
    keys = [load_key(one_key), load_key(two_key)]
    for key in keys:
        key.pop("case_id")
    assert keys[0] == keys[1]


def test_different_seeds_differ():
    dumps = {generate("classroom", seed=seed).dump() for seed in (1, 2, 3)}
    assert len(dumps) == 3
    names = [{e["properties"]["name"][0] for e in generate("classroom", seed=s).entities if "name" in e["properties"]}
             for s in (1, 2)]
    assert names[0] != names[1]


def test_ids_say_nothing_about_what_was_planted():
    generated = generate(Scenario.from_dict(EVERY_PATTERN), seed=5, size=0.05)
    planted = {i for p in generated.patterns for i in (*p.entities, *p.facts)}
    for entity in generated.entities:
        assert re.fullmatch(r"[a-z]+-[0-9a-f]{12}", entity["id"]), entity["id"]
    # Planted ids are spread through the id order, not gathered at one end.
    positions = [n for n, e in enumerate(generated.entities) if e["id"] in planted]
    assert positions[0] < len(generated.entities) / 4 and positions[-1] > 3 * len(generated.entities) / 4


def test_the_case_is_written_through_ingest_with_the_key_kept_apart(tmp_path):
    generated = generate("classroom", seed=3)
    case_path, key_path = write_case(generated, tmp_path / "lesson")
    assert case_path.name == "lesson.wbcase" and key_path == key_path_for(case_path)
    key = load_key(key_path)
    with Case.open(case_path, readonly=True) as case:
        assert key["case_id"] == case.meta("case_id")
        assert sum(case.counts_by_schema().values()) == len(generated.entities)
        sources = case.sources()
        assert sources and all("Synthetic training data" in s["note"] for s in sources)
        assert {s["importer_id"] for s in sources} == {"training-generator"}
        # Nothing of the answer is in the case: no pattern title, description or step text.
        values = "\n".join(row[0] for row in case.conn.execute("SELECT value FROM statements"))
        pattern = key["patterns"][0]
        assert pattern["title"] not in values and pattern["description"] not in values
        assert not any(step["text"] in values for step in pattern["steps"])
    assert not (tmp_path / "lesson.wbcase.marks.json").exists()


def test_the_key_names_each_pattern_its_items_and_red_flags():
    generated = generate(Scenario.from_dict(EVERY_PATTERN), seed=2, size=0.05)
    key = generated.key()
    ids = {e["id"] for e in generated.entities}
    assert [p["id"] for p in key["patterns"]] == [f"P{n}" for n in range(1, 12)]
    for pattern in key["patterns"] + key["decoys"]:
        assert pattern["kind"] in PATTERNS or pattern["kind"] in DECOYS
        assert pattern["entities"] and pattern["detectors"] and pattern["description"]
        assert set(pattern["entities"] + pattern["facts"] + pattern["context"]) <= ids
        assert all(pattern["id"] for pattern in key["patterns"])
    for pattern in key["patterns"]:
        assert pattern["steps"], pattern["kind"]
        step_items = {i for s in pattern["steps"] for i in (*s["entities"], *s["facts"])}
        assert step_items <= set(pattern["entities"] + pattern["facts"] + pattern["context"])
        flagged = {f for s in pattern["steps"] for f in s["red_flags"]}
        assert flagged <= set(pattern["detectors"])
    # Facts have readable labels for the debrief.
    shipment = next(i for p in key["patterns"] for i in p["facts"] if i.startswith("shp-"))
    assert key["labels"][shipment].startswith("shipment of HS ")


def test_every_planted_pattern_is_found_by_its_detectors(tmp_path):
    generated = generate(Scenario.from_dict(EVERY_PATTERN), seed=7, size=0.1)
    case_path, key_path = write_case(generated, tmp_path / "every")
    with Case.open(case_path) as case:
        outcomes = run_detectors(case)
        assert not [o.error for o in outcomes if o.error]
        coverage = detector_coverage(load_key(key_path), case.findings())
    for pattern in generated.patterns:
        fired = coverage["patterns"][pattern.id]
        # At least one expected detector overlaps the pattern, and in fact every one of them does.
        assert set(fired) & set(pattern.detectors), (pattern.kind, fired)
        assert coverage["missing"].get(pattern.id) is None, (pattern.kind, pattern.variant, coverage["missing"])
    for decoy in generated.decoys:
        assert set(coverage["decoys"][decoy.id]) & set(decoy.detectors), decoy.kind
    print(f"\nfindings outside the planted patterns and decoys: {len(coverage['unexplained'])}")
    assert len(coverage["unexplained"]) <= 3


def test_background_alone_raises_few_false_alarms(tmp_path):
    background_only = Scenario.from_dict({"id": "background", "title": "Background only",
                                          "background": load_scenario("full-network").background})
    generated = generate(background_only, seed=11, size=0.5)
    case_path, _ = write_case(generated, tmp_path / "quiet")
    with Case.open(case_path) as case:
        run_detectors(case)
        findings = case.findings()
    by_detector = Counter(f["detector_id"] for f in findings)
    print(f"\nbackground of {len(generated.entities)} entities: {len(findings)} findings {dict(by_detector)}")
    # Measured, not required to be zero: legitimate trade may look odd now and then.
    assert len(findings) <= 0.002 * len(generated.entities) + 2


def test_size_multiplies_the_background_only():
    small, large = generate("through-the-hub", seed=4, size=0.5), generate("through-the-hub", seed=4, size=2)
    assert 2.5 < len(large.entities) / len(small.entities) < 5.5
    assert [p.kind for p in small.patterns] == [p.kind for p in large.patterns]
    bare = generate("through-the-hub", seed=4, size=0)
    assert bare.patterns and len(bare.entities) < 80


def test_bundled_scenarios_range_from_a_classroom_to_fifty_thousand_entities():
    scenarios = {s.id: s for s in list_scenarios()}
    assert len(scenarios) >= 6
    for scenario in scenarios.values():
        assert scenario.patterns and scenario.title and scenario.description
    for seed in (1, 2, 3):
        assert 25 <= len(generate("classroom", seed=seed).entities) <= 40
    for name in ("through-the-hub", "paper-trail", "hidden-owners", "money-trail", "full-network"):
        assert 0.75 < len(generate(name, seed=1).entities) / scenarios[name].approx_entities < 1.25, name
    haystack = generate("needle-in-haystack", seed=1)
    assert 40_000 <= len(haystack.entities) <= 60_000
    assert len(haystack.patterns) == 8


def test_payments_top_a_case_up_for_benchmarks(tmp_path):
    generated = generate("classroom", seed=1, payments=2_500)
    assert generated.counts()["Payment"] == 2_500
    case_path, key_path = write_case(generated, tmp_path / "bench")
    with Case.open(case_path, readonly=True) as case:
        assert case.counts_by_schema()["Payment"] == 2_500
    assert load_key(key_path)["bulk_payments"] == generated.bulk_payments > 2_000


def test_a_bad_scenario_is_refused_with_a_reason(tmp_path):
    with pytest.raises(LookupError, match="no scenario 'nope'"):
        load_scenario("nope")
    with pytest.raises(ValueError, match="unknown pattern 'smuggling'"):
        Scenario.from_dict({"id": "x", "patterns": [{"kind": "smuggling"}]})
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_scenario(broken)


@pytest.fixture
def train(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    group = click.Group()
    register(group)
    runner = CliRunner()
    return lambda *args: runner.invoke(group, ["train", *map(str, args)])


def test_cli_new_writes_case_and_key_and_refuses_to_overwrite(train, tmp_path):
    result = train("new", "classroom", "--seed", "9", "--size", "1", "lesson")
    assert result.exit_code == 0, result.output
    assert "answer key: lesson.wbcase.key.json" in result.output
    assert (tmp_path / "lesson.wbcase").exists() and (tmp_path / "lesson.wbcase.key.json").exists()
    again = train("new", "classroom", "lesson")
    assert again.exit_code == 4 and "already exists" in again.output
    unknown = train("new", "smuggling", "other")
    assert unknown.exit_code == 2 and "no scenario 'smuggling'" in unknown.output
    listed = train("list")
    assert listed.exit_code == 0 and "needle-in-haystack" in listed.output and "~50,000" in listed.output


def test_cli_new_from_a_scenario_file(train, tmp_path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("id: mine\ntitle: Mine\nbackground: {manufacturers: 2, customers: 2, shipments: 3}\n"
                      "patterns: [{kind: structuring, country: ge}]\n")
    result = train("new", recipe, "mine", "--seed", "2", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["patterns"] == ["structuring"] and summary["entities"] > 10


def test_values_are_valid_followthemoney_values():
    """Every value survives FtM's own cleaning: countries, dates, phones, IBANs, e-mails, URLs."""
    from stdnum import iban

    from workbench.model import model

    generated = generate(Scenario.from_dict(EVERY_PATTERN), seed=6, size=0.2)
    for entity in generated.entities:
        proxy = model.get_proxy(entity, cleaned=False)
        for prop, values in entity["properties"].items():
            assert sorted(proxy.get(prop)) == sorted(values), (entity["schema"], prop, values)
        for number in entity["properties"].get("iban", []):
            assert iban.is_valid(number), number


def test_training_stays_in_its_room():
    """training may use model, store and analysis; detectors only in tests; never the UI or plugins."""
    import ast
    from pathlib import Path

    import workbench.training

    for path in Path(workbench.training.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        forbidden = {n for n in names if n.startswith(("workbench.ui", "workbench_plugins", "workbench.detecting",
                                                        "workbench.plugin_api", "PySide6", "pyqtgraph"))}
        assert not forbidden, f"{path.name} imports {forbidden}"
