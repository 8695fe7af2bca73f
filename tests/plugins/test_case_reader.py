"""The plugin contract: the case as detectors and exporters see it (``CaseReader``)."""

import ast
import inspect
from pathlib import Path

import pytest

from workbench.plugin_api import CaseReader, Detector, Exporter
from workbench.store import Case

REPO = Path(__file__).resolve().parents[2]
#: What the built-in plugins still read outside the contract, by file: SQL on the case's
#: connection, until the store answers those questions itself. Nothing may be added here.
NOT_YET_IN_THE_CONTRACT: dict[str, set[str]] = {}


def contract_members() -> set[str]:
    return {name for name in dir(CaseReader) if not name.startswith("_")} | set(CaseReader.__annotations__)


def test_the_case_answers_every_question_of_the_contract_as_documented(tmp_path):
    with Case.create(tmp_path / "c.wbcase") as case:
        missing = sorted(name for name in contract_members() if not hasattr(case, name))
    assert not missing, f"Case has no {missing}"
    for name in sorted(contract_members()):
        promised = getattr(CaseReader, name, None)
        given = getattr(Case, name, None)
        if inspect.isfunction(promised):
            expected = [(p.name, p.kind, p.default) for p in inspect.signature(promised).parameters.values()]
            actual = [(p.name, p.kind, p.default) for p in inspect.signature(given).parameters.values()]
            assert actual == expected, f"Case.{name} takes {actual}, the contract says {expected}"
        elif isinstance(promised, property):
            assert isinstance(given, property), f"Case.{name} is not a property"


def test_an_open_case_is_a_case_reader_and_a_detector_is_given_one(tmp_path):
    seen = []

    class Probe(Detector):
        id = "probe"

        def run(self, case: CaseReader):
            seen.append(isinstance(case, CaseReader))
            return iter(())

    with Case.create(tmp_path / "c.wbcase") as case:
        assert isinstance(case, CaseReader)
        list(Probe().run(case))
    assert seen == [True]
    for method in (Detector.run, Exporter.write):
        assert inspect.signature(method).parameters["case"].annotation in ("CaseReader", CaseReader)


def case_reads(path: Path) -> set[str]:
    """The attributes read of a name ``case`` anywhere in a module: ``case.snapshot()`` gives ``snapshot``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "case"}


@pytest.mark.parametrize("path", sorted((REPO / "plugins").rglob("*.py")) + [REPO / "docs/plugin_examples/minimal_plugins.py"],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_built_in_plugins_read_the_case_through_the_contract_only(path):
    allowed = contract_members() | NOT_YET_IN_THE_CONTRACT.get(str(path.relative_to(REPO)), set())
    outside = case_reads(path) - allowed
    assert not outside, (f"{path.relative_to(REPO)} reads case.{', case.'.join(sorted(outside))}, which plugins "
                         "are not promised (add it to CaseReader in workbench/plugin_api/case_reader.py, or "
                         "read it another way)")


def test_a_plugin_reading_past_the_contract_is_caught(tmp_path):
    planted = tmp_path / "sneaky.py"
    planted.write_text("def run(self, case):\n    case.snapshot()\n    return case.conn.execute('SELECT 1')\n")
    assert case_reads(planted) - contract_members() == {"conn"}
