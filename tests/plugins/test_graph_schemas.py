"""Our GEXF against the GEXF 1.3 XML schema, our GraphML against the GraphML schema.

The schema files are not in the repository (they are others' files: GEXF's are CC BY 4.0 from
gephi/gexf `specs/1.3/`, GraphML's from graphml.graphdrawing.org/xmlns/1.0/). Put them in the
folder named by WORKBENCH_SCHEMAS (or ../shared/reference/schemas/), as `gexf-1.3/gexf.xsd`
(with its dynamics.xsd and viz.xsd) and `graphml-1.0/graphml.xsd` (with graphml-structure.xsd,
graphml-attributes.xsd, graphml-parseinfo.xsd and xlink.xsd); without them these tests skip.

GEXF 1.3's published XSD declares the viz elements (color, position, size) in the main GEXF
namespace, while its specification, Gephi and we put them in http://gexf.net/1.3/viz; the test
moves them into the namespace the XSD expects before validating, so their attributes are still
checked (channels 0-255, sizes not negative, x and y floats).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.demo import build_demo_case
from workbench.importing import import_file
from workbench.store import Case
from workbench_plugins.interchange.graph_formats import GexfExporter, GraphmlExporter

etree = pytest.importorskip("lxml.etree")

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(os.environ.get("WORKBENCH_SCHEMAS") or ROOT.parent / "shared" / "reference" / "schemas")
GEXF_VIZ = "{http://gexf.net/1.3/viz}"
GEXF = "{http://gexf.net/1.3}"


def schema(relative: str):
    path = SCHEMAS / relative
    if not path.is_file():
        pytest.skip(f"{path}: schema not present (see this module's docstring)")
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="module")
def cases(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("schemas")
    demo = build_demo_case(folder / "demo.wbcase")
    demo.close()
    shared = ROOT.parent / "shared" / "data"
    if not shared.exists():
        shared = ROOT / "tests" / "fixtures" / "shared_data"
    with Case.create(folder / "lesmis.wbcase") as lesmis:
        import_file(lesmis, shared / "graphs" / "les_miserables.gexf")  # weights, colours, positions
    return [folder / "demo.wbcase", folder / "lesmis.wbcase"]


def errors(xsd, document) -> list[str]:
    if xsd.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in xsd.error_log][:10]


def test_our_gexf_is_valid_gexf_1_3(cases, tmp_path):
    xsd = schema("gexf-1.3/gexf.xsd")
    for case_path in cases:
        out = tmp_path / f"{case_path.stem}.gexf"
        with Case.open(case_path) as case:
            GexfExporter().write(case, out)
        document = etree.parse(str(out))
        for element in document.iter(f"{GEXF_VIZ}*"):
            element.tag = GEXF + etree.QName(element).localname
        assert errors(xsd, document) == [], case_path.name


def test_our_graphml_is_valid_graphml(cases, tmp_path):
    xsd = schema("graphml-1.0/graphml.xsd")
    for case_path in cases:
        out = tmp_path / f"{case_path.stem}.graphml"
        with Case.open(case_path) as case:
            GraphmlExporter().write(case, out)
        assert errors(xsd, etree.parse(str(out))) == [], case_path.name


def test_the_schema_check_catches_a_broken_file(tmp_path):
    """The check can fail: a GEXF edge without a target and a colour channel of 300 are refused."""
    xsd = schema("gexf-1.3/gexf.xsd")
    broken = etree.fromstring(
        b'<gexf xmlns="http://gexf.net/1.3" version="1.3"><graph><nodes><node id="a" label="A">'
        b'<color r="300" g="0" b="0"/></node></nodes><edges><edge id="e" source="a"/></edges></graph></gexf>'
    )
    assert not xsd.validate(etree.ElementTree(broken))
    messages = " ".join(error.message for error in xsd.error_log)
    assert "target" in messages and "300" in messages
