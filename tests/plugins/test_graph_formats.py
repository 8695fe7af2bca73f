"""GEXF and GraphML: round trips of the demo case, foreign files, mapping, and bad input."""

import json
from xml.etree import ElementTree

import networkx as nx
import pytest
from click.testing import CliRunner

from casefiles import dump
from workbench.cli import main
from workbench.importing import import_file
from workbench.model import Record, SourceInfo, parse_grade
from workbench.palette import NODE_COLOURS
from workbench.plugin_api import ParameterError, SourceFormatError, choose_importer, find_exporter, find_plugin
from workbench.store import Case
from workbench_plugins.interchange.graph_formats import (
    GexfExporter,
    GexfImporter,
    GraphmlExporter,
    GraphmlImporter,
    decode_values,
    encode_values,
)

FORMATS = {"gexf": GexfImporter, "graphml": GraphmlImporter}


def entities_of(case):
    return {proxy.id: (proxy.schema.name, proxy.properties) for proxy in case.iter_entities()}


def links_of(case):
    rows = case.conn.execute(
        "SELECT source_id, target_id, via_id, prop, schema, start_date, end_date, amount, currency FROM edges"
    )
    return sorted(rows, key=repr)


def chart_of(case):
    return sorted(case.conn.execute("SELECT entity_id, x, y FROM chart_items"))


def extra_of(case, entity_id):
    row = case.conn.execute("SELECT extra FROM records WHERE entity_id = ?", (entity_id,)).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


@pytest.fixture
def empty(tmp_path):
    with Case.create(tmp_path / "new.wbcase") as created:
        yield created


def test_plugins_are_discovered_and_claim_their_files(shared_data):
    assert find_exporter("gexf") is GexfExporter
    assert find_exporter("graphml") is GraphmlExporter
    assert find_plugin("gexf", kind="importer") is GexfImporter
    assert find_plugin("graphml", kind="importer") is GraphmlImporter
    assert choose_importer(shared_data / "graphs" / "les_miserables.gexf") is GexfImporter
    assert choose_importer(shared_data / "graphs" / "miserables.graphml") is GraphmlImporter
    assert GraphmlImporter.sniff(shared_data / "graphs" / "les_miserables.gexf") == 0.0


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_demo_round_trip_is_lossless(demo, empty, tmp_path, format_name):
    """Every entity and link comes back; positions too; the rest is what `losses` names."""
    ids = sorted(entities_of(demo))
    demo.set_chart_items({ids[0]: {"x": 12.5, "y": -40.25, "group_name": "Front companies", "pinned": 1},
                          ids[1]: {"x": -3.0, "y": 7.75}})
    path = tmp_path / f"demo.{format_name}"
    report = find_exporter(format_name)().write(demo, path)
    assert report["entities"] == len(ids)
    assert report["links"] > 40
    assert report["losses"] == list(find_exporter(format_name).losses)

    outcome = import_file(empty, path, importer_id=format_name)
    assert outcome.report.entities == len(ids)
    assert entities_of(empty) == entities_of(demo)
    assert links_of(empty) == links_of(demo)
    assert chart_of(empty) == chart_of(demo)
    # Pins and groups are among the named losses: kept with the record, not applied.
    assert extra_of(empty, ids[0])["chart"] == {"group": "Front companies", "pinned": True}


@pytest.fixture
def awkward(tmp_path):
    """Values that test the encoding: lists, text that looks like a list, markup, line breaks."""
    case = Case.create(tmp_path / "awkward.wbcase")
    entities = [
        {"id": "co-a", "schema": "Company", "properties": {
            "name": ["Acme & Sons <Holdings>", 'The "Acme" Group'],
            "notes": ["line one\nline two\r\n\ttabbed", "[not a list]"],
            "alias": ['["looks", "like", "json"]'],
            "country": ["de"],
        }},
        {"id": "co-b", "schema": "Company", "properties": {"name": ["Blue Harbour Ltd"], "parent": ["co-a"]}},
        {"id": "pe-c", "schema": "Person", "properties": {"name": ["Chen Wei 陳偉"], "nationality": ["cn"]}},
        # Two owners: written as two edges with one ftm_id, joined again on import.
        {"id": "own-1", "schema": "Ownership", "properties": {
            "owner": ["co-a", "pe-c"], "asset": ["co-b"], "percentage": ["50"], "startDate": ["2021-03"]}},
        # No beneficiary: cannot be an edge, so it is written as a node.
        {"id": "pay-1", "schema": "Payment", "properties": {
            "payer": ["co-b"], "amount": ["1200.50"], "currency": ["EUR"], "date": ["2022-01-02"]}},
        # Its beneficiary is not in the case: also a node, the id kept as an attribute.
        {"id": "pay-2", "schema": "Payment", "properties": {
            "payer": ["co-a"], "beneficiary": ["elsewhere-1"], "amount": ["9"], "currency": ["USD"]}},
        {"id": "san-1", "schema": "Sanction", "properties": {"entity": ["pe-c"], "program": ["Test list"]}},
    ]
    case.ingest(entities, SourceInfo(file_name="awkward.json", grade=parse_grade("B2")))
    yield case
    case.close()


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_awkward_values_and_shapes_round_trip(awkward, empty, tmp_path, format_name):
    path = tmp_path / f"awkward.{format_name}"
    find_exporter(format_name)().write(awkward, path)
    import_file(empty, path, importer_id=format_name)
    assert entities_of(empty) == entities_of(awkward)
    assert links_of(empty) == links_of(awkward)


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_other_tools_read_the_export(awkward, tmp_path, format_name):
    """networkx stands in for Gephi: nodes, edges, attributes and viz data are where it looks."""
    path = tmp_path / f"awkward.{format_name}"
    find_exporter(format_name)().write(awkward, path)
    graph = nx.read_gexf(path) if format_name == "gexf" else nx.read_graphml(path)
    assert set(graph.nodes) == {"co-a", "co-b", "pe-c", "pay-1", "pay-2", "san-1"}
    assert graph.nodes["co-a"]["notes"] == json.dumps(["line one\nline two\r\n\ttabbed", "[not a list]"],
                                                       ensure_ascii=False)
    assert graph.nodes["pe-c"]["ftm_schema"] == "Person"
    owners = {(u, v) for u, v, data in graph.edges(data=True) if data.get("ftm_schema") == "Ownership"}
    assert owners == {("co-a", "co-b"), ("pe-c", "co-b")}
    # Drawn references: the parent, the sanction's party and the payments-as-nodes' parties.
    references = {(u, v, data["ftm_property"]) for u, v, data in graph.edges(data=True) if "ftm_property" in data}
    assert ("co-b", "co-a", "parent") in references and ("san-1", "pe-c", "entity") in references
    colour = graph.nodes["pe-c"]["viz"]["color"] if format_name == "gexf" else graph.nodes["pe-c"]
    person = NODE_COLOURS["Person"].lstrip("#")
    assert (colour["r"], colour["g"], colour["b"]) == tuple(int(person[k:k + 2], 16) for k in (0, 2, 4))  # as on screen


def test_multi_values_encoding_is_reversible():
    for values in (["a"], ["a", "b"], ["[a]"], ['["x"]'], [""], ["a; b", "c"]):
        assert decode_values(encode_values(values)) == values
    assert encode_values(["plain"]) == "plain"


def test_protected_sources_stay_out_unless_asked(awkward, tmp_path):
    awkward.ingest([{"id": "secret-1", "schema": "Person", "properties": {"name": ["Informant"]}}],
                   SourceInfo(file_name="handler-notes.json", protected=True))
    path = tmp_path / "out.gexf"
    GexfExporter().write(awkward, path)
    assert "secret-1" not in path.read_text(encoding="utf-8")
    GexfExporter().write(awkward, path, include_protected=True)
    assert "Informant" in path.read_text(encoding="utf-8")


def test_cli_export_names_losses_and_import_reads_it_back(demo, tmp_path):
    runner = CliRunner()
    out = tmp_path / "demo.graphml"
    demo.close()
    result = runner.invoke(main, ["export", str(demo.path), "--format", "graphml", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "not carried: sources, grades" in result.output
    Case.create(tmp_path / "back.wbcase").close()
    result = runner.invoke(main, ["import", str(tmp_path / "back.wbcase"), str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "imported with graphml" in result.output


# ------------------------------------------------------------------------------ foreign files


def test_les_miserables_gexf_keeps_nodes_edges_attributes_colours_positions(empty, shared_data):
    path = shared_data / "graphs" / "les_miserables.gexf"
    outcome = import_file(empty, path)
    assert outcome.importer_id == "gexf"
    assert outcome.report.by_schema == {"LegalEntity": 77, "UnknownLink": 254}
    myriel = empty.entity("les-miserables-node-0.0")
    assert myriel.get("name") == ["Myriel"]
    assert myriel.get("notes") == ["Authority: 0.01880342\nHub: 0.01880342"]
    extra = extra_of(empty, myriel.id)
    assert extra["attributes"] == {"Authority": "0.01880342", "Hub": "0.01880342"}
    assert extra["colour"] == "#d8482d" and extra["size"] == pytest.approx(22.714287)
    # Gephi's y points up, the chart's down.
    item = empty.chart_item(myriel.id)
    assert (item["x"], item["y"]) == pytest.approx((268.72385, -91.18155))
    assert len(chart_of(empty)) == 77
    link = empty.entity("les-miserables-edge-1")
    assert link.get("subject") == ["les-miserables-node-2.0"] and link.get("object") == ["les-miserables-node-0.0"]
    # The edge weight is kept as a weight (exported as one again), not as a line of the notes.
    assert extra_of(empty, link.id) == {"weight": 8.0}
    assert link.get("description") == []
    assert len(empty.neighbours(myriel.id)) == 10


def test_gephi_graphml_keeps_nodes_edges_attributes_colours_positions(empty, shared_data):
    path = shared_data / "graphs" / "miserables.graphml"
    outcome = import_file(empty, path)
    assert outcome.importer_id == "graphml"
    assert outcome.report.by_schema == {"LegalEntity": 77, "UnknownLink": 254}
    valjean = empty.entity("miserables-node-11")
    assert valjean.get("name") == ["Valjean"]
    assert valjean.get("notes") == ["Modularity Class: 1"]
    extra = extra_of(empty, valjean.id)
    assert extra["colour"] == "#f55b5b" and extra["size"] == 100.0
    item = empty.chart_item(valjean.id)
    assert (item["x"], item["y"]) == pytest.approx((-87.93029, -6.8120565))
    assert len(empty.neighbours(valjean.id)) == 36


def test_foreign_mapping_by_parameters(empty, tmp_path):
    path = tmp_path / "people.graphml"
    path.write_text("""<?xml version="1.0"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="k0" for="node" attr.name="category" attr.type="string"/>
  <key id="k1" for="node" attr.name="fullname" attr.type="string"/>
  <key id="k2" for="node" attr.name="country" attr.type="string"/>
  <key id="k3" for="node" attr.name="Born" attr.type="string"/>
  <key id="k4" for="edge" attr.name="rel" attr.type="string"><default>owns</default></key>
  <graph edgedefault="directed">
    <edge id="e1" source="p 1" target="c/2"/>
    <node id="p 1"><data key="k0">human</data><data key="k1">Ana Petrova</data><data key="k2">Bulgaria</data>
      <data key="k3">1971-05-02</data></node>
    <node id="c/2"><data key="k0">firm</data><data key="k1">Petrova Trading</data><data key="k2">nowhere</data></node>
    <edge source="c/2" target="p 1"><data key="k4">pays</data></edge>
  </graph>
</graphml>
""", encoding="utf-8")
    options = {"node_type_attribute": "category", "type_map": "human=Person; firm=Company; owns=Ownership",
               "edge_type_attribute": "rel", "name_attribute": "fullname", "attribute_map": "Born=birthDate",
               "id_prefix": "case 7"}
    import_file(empty, path, importer_id="graphml", options=options)
    people = list(empty.entities("Person"))
    assert [p.get("name") for p in people] == [["Ana Petrova"]]
    assert people[0].get("country") == ["bg"] and people[0].get("birthDate") == ["1971-05-02"]
    company = next(empty.entities("Company"))
    # "nowhere" is no country: it stays an attribute, in the notes and the extra data.
    assert company.get("notes") == ["category: firm\ncountry: nowhere"]
    # An edge declared before its nodes; the key default "owns" maps through type_map.
    ownership = next(empty.entities("Ownership"))
    assert ownership.id == "case-7-edge-e1"
    assert ownership.get("owner") == [people[0].id] and ownership.get("asset") == [company.id]
    # "pays" is no relationship type: the default edge_schema, with the value kept.
    unknown = next(empty.entities("UnknownLink"))
    assert unknown.id == "case-7-link-2" and unknown.get("description") == ["rel: pays"]
    assert people[0].id.startswith("case-7-node-p-1-")  # "p 1" is no valid id: slug and hash


def test_networkx_gexf_versions_and_kind_as_edge_type(empty, tmp_path):
    graph = nx.MultiDiGraph()
    graph.add_node("a", label="Alpha Ltd", kind="Company", jurisdiction="ch")
    graph.add_node("b", label="Beta Bank", kind="Organization")
    graph.add_edge("a", "b", kind="Payment", amount=12.5)
    for version in ("1.1draft", "1.2draft"):
        path = tmp_path / f"nx-{version}.gexf"
        nx.write_gexf(graph, path, version=version)
        importer = GexfImporter(node_type_attribute="kind", edge_type_attribute="kind", id_prefix=version)
        records = list(importer.read(path))
        by_schema = {record.entity["schema"]: record.entity for record in records}
        assert set(by_schema) == {"Company", "Organization", "Payment"}, version
        assert by_schema["Company"]["properties"]["jurisdiction"] == ["ch"]
        assert by_schema["Payment"]["properties"]["amount"] == ["12.5"]
        assert by_schema["Payment"]["properties"]["payer"] == [by_schema["Company"]["id"]]


def test_gexf_13_defaults_hex_colours_and_nested_nodes(tmp_path):
    path = tmp_path / "v13.gexf"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" version="1.3">
  <graph defaultedgetype="undirected">
    <attributes class="node"><attribute id="0" title="sector" type="string"><default>shipping</default></attribute>
    </attributes>
    <nodes>
      <node id="g" label="Group"><viz:color hex="#00ff00"/>
        <nodes><node id="n1" label="Inner"><attvalues><attvalue for="0" value="banking"/></attvalues></node></nodes>
      </node>
    </nodes>
    <edges><edge id="0" source="n1" target="g" type="undirected"/></edges>
  </graph>
</gexf>
""", encoding="utf-8")
    records = list(GexfImporter().read(path))
    by_id = {record.entity["id"]: record for record in records}
    assert by_id["v13-node-g"].extra["colour"] == "#00ff00"
    assert by_id["v13-node-g"].entity["properties"]["sector"] == ["shipping"]  # the declared default
    assert by_id["v13-node-n1"].entity["properties"]["sector"] == ["banking"]
    assert by_id["v13-edge-0"].entity["properties"]["subject"] == ["v13-node-n1"]


def test_yed_graphml_geometry_fill_and_label(tmp_path):
    path = tmp_path / "yed.graphml"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <key for="node" id="d6" yfiles.type="nodegraphics"/>
  <graph id="G" edgedefault="directed">
    <node id="n0"><data key="d6"><y:ShapeNode><y:Geometry height="30.0" width="40.0" x="100.0" y="50.0"/>
      <y:Fill color="#FFCC00" transparent="false"/><y:NodeLabel>Orion Freight</y:NodeLabel></y:ShapeNode></data></node>
    <node id="n1"/>
    <edge id="e0" source="n0" target="n1"/>
  </graph>
</graphml>
""", encoding="utf-8")
    records = list(GraphmlImporter().read(path))
    orion = records[0]
    assert orion.entity["properties"]["name"] == ["Orion Freight"]
    assert orion.extra["colour"] == "#ffcc00"
    assert orion.extra["position"] == [120.0, 65.0]  # the shape's centre; yEd's y already points down
    assert records[1].entity["properties"]["name"] == ["n1"]


def test_invalid_parameters_are_refused():
    with pytest.raises(ParameterError, match="edge_schema"):
        GraphmlImporter(edge_schema="Person")
    with pytest.raises(ParameterError, match="node_schema"):
        GexfImporter(node_schema="Thing")
    with pytest.raises(ParameterError, match="type_map"):
        GexfImporter(type_map="person=Spaceship")
    with pytest.raises(ParameterError, match="on_error"):
        GexfImporter(on_error="ignore")


# ------------------------------------------------------------------------------ bad input

MISSING_NODE_GRAPHML = """<?xml version="1.0"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <graph edgedefault="undirected">
    <node id="a"/>
    <node id="b"/>
    <edge id="ok" source="a" target="b"/>
    <edge id="dangling" source="a" target="ghost"/>
  </graph>
</graphml>
"""

UNDECLARED_GEXF = """<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">
  <graph defaultedgetype="directed">
    <attributes class="node"><attribute id="0" title="sector" type="string"/></attributes>
    <nodes>
      <node id="a" label="Alpha"><attvalues><attvalue for="0" value="banking"/>
        <attvalue for="7" value="mystery"/></attvalues></node>
      <node id="b" label="Beta"/>
    </nodes>
    <edges><edge id="0" source="a" target="b"/></edges>
  </graph>
</gexf>
"""


def test_graphml_edge_to_missing_node_stops_with_a_clear_message(empty, tmp_path):
    path = tmp_path / "dangling.graphml"
    path.write_text(MISSING_NODE_GRAPHML, encoding="utf-8")
    before = dump(empty)
    with pytest.raises(SourceFormatError,
                       match=r"dangling\.graphml line 7: edge 'dangling' from 'a' to 'ghost' names node 'ghost'"):
        import_file(empty, path, importer_id="graphml")
    assert dump(empty) == before


def test_graphml_edge_to_missing_node_can_be_skipped_and_listed(empty, tmp_path):
    path = tmp_path / "dangling.graphml"
    path.write_text(MISSING_NODE_GRAPHML, encoding="utf-8")
    importer = GraphmlImporter(on_error="skip")
    records = list(importer.read(path))
    assert [record.entity["id"] for record in records] == ["dangling-node-a", "dangling-node-b", "dangling-edge-ok"]
    assert len(importer.skipped) == 1
    assert importer.skipped[0].startswith("dangling.graphml line 7: edge 'dangling'")
    outcome = import_file(empty, path, importer_id="graphml", options={"on_error": "skip"})
    assert outcome.report.entities == 3


def test_gexf_undeclared_attribute_stops_or_is_skipped(empty, tmp_path):
    path = tmp_path / "undeclared.gexf"
    path.write_text(UNDECLARED_GEXF, encoding="utf-8")
    before = dump(empty)
    with pytest.raises(SourceFormatError, match=r"undeclared\.gexf line 7: node 'a': <attvalue for='7'>"):
        import_file(empty, path, importer_id="gexf")
    assert dump(empty) == before

    importer = GexfImporter(on_error="skip")
    records = list(importer.read(path))
    assert len(records) == 3
    assert records[0].entity["properties"]["sector"] == ["banking"]
    assert importer.skipped == [
        "undeclared.gexf line 7: node 'a': <attvalue for='7'> names an attribute the file does not declare "
        "in <attributes class='node'>; the value was left out"
    ]


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_truncated_file_is_named_and_the_case_unchanged(empty, shared_data, tmp_path, format_name):
    source = shared_data / "graphs" / ("les_miserables.gexf" if format_name == "gexf" else "miserables.graphml")
    text = source.read_text(encoding="utf-8")
    path = tmp_path / f"cut.{format_name}"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    before = dump(empty)
    with pytest.raises(SourceFormatError, match=rf"cut\.{format_name} line \d+ column \d+: .*cut short"):
        import_file(empty, path, importer_id=format_name, options={"on_error": "skip"})
    assert dump(empty) == before


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_malformed_xml_names_line_and_column(empty, tmp_path, format_name):
    path = tmp_path / f"broken.{format_name}"
    path.write_text(MISSING_NODE_GRAPHML.replace('<node id="b"/>', '<node id="b">') if format_name == "graphml"
                    else UNDECLARED_GEXF.replace('label="Beta"', 'label="Beta'), encoding="utf-8")
    # Even under on_error=skip: past a syntax error there is nothing reliable left to read.
    with pytest.raises(SourceFormatError, match=rf"broken\.{format_name} line \d+ column \d+: the .* is not well-formed"):
        import_file(empty, path, importer_id=format_name, options={"on_error": "skip"})


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_a_file_that_is_neither_format_is_refused(empty, shared_data, tmp_path, format_name):
    before = dump(empty)
    table = tmp_path / "table.csv"
    table.write_text("name,country\nAcme,de\n", encoding="utf-8")
    assert FORMATS[format_name].sniff(table) == 0.0
    with pytest.raises(SourceFormatError, match=r"table\.csv line 1 column \d+: not an XML file"):
        import_file(empty, table, importer_id=format_name)
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?>\n<html><body/></html>\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"other\.xml line 2: expected a .* file .* found <html>"):
        import_file(empty, other, importer_id=format_name)
    wrong = shared_data / "graphs" / ("miserables.graphml" if format_name == "gexf" else "les_miserables.gexf")
    with pytest.raises(SourceFormatError, match=r"not (GEXF|GraphML); import it with the (graphml|gexf) importer"):
        import_file(empty, wrong, importer_id=format_name)
    assert dump(empty) == before


def test_graphml_undeclared_key_and_hyperedge(tmp_path):
    path = tmp_path / "odd.graphml"
    path.write_text("""<?xml version="1.0"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <graph edgedefault="undirected">
    <node id="a"><data key="nope">x</data></node>
    <node id="b"/>
    <hyperedge><endpoint node="a"/><endpoint node="b"/></hyperedge>
  </graph>
</graphml>
""", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"odd\.graphml line 4: node 'a': <data key='nope'>"):
        list(GraphmlImporter().read(path))
    importer = GraphmlImporter(on_error="skip")
    assert len(list(importer.read(path))) == 2
    assert [entry.split(":")[0] for entry in importer.skipped] == ["odd.graphml line 4", "odd.graphml line 6"]


def test_workbench_file_with_a_broken_value_names_it(tmp_path, awkward):
    path = tmp_path / "edited.gexf"
    GexfExporter().write(awkward, path)
    text = path.read_text(encoding="utf-8").replace('value="cn"', 'value="Narnia and beyond"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"node 'pe-c': nationality value 'Narnia and beyond' is not a valid"):
        list(GexfImporter().read(path))
    importer = GexfImporter(on_error="skip")
    records = {record.entity["id"]: record for record in importer.read(path)}
    assert "nationality" not in records["pe-c"].entity["properties"]
    assert len(importer.skipped) == 1


def test_a_skipped_node_takes_its_edges_along_and_says_why(tmp_path, awkward):
    path = tmp_path / "edited.graphml"
    GraphmlExporter().write(awkward, path)
    text = path.read_text(encoding="utf-8").replace(
        '<data key="n_ftm_schema">Person</data>', '<data key="n_ftm_schema">Spaceship</data>')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"node 'pe-c': ftm_schema 'Spaceship' is no concrete entity type"):
        list(GraphmlImporter().read(path))
    importer = GraphmlImporter(on_error="skip")
    ids = {record.entity["id"] for record in importer.read(path)}
    assert "pe-c" not in ids and "own-1" in ids  # co-a still owns co-b
    assert importer.skipped[0].endswith("is no concrete entity type; the node was left out")
    # pe-c's share of own-1 goes with it; the sanction keeps its reference (an attribute), and
    # the edge drawn for that reference is not data, so it is not listed.
    assert len(importer.skipped) == 2
    assert all("node 'pe-c', which was left out above; the edge was left out" in entry
               for entry in importer.skipped[1:])


def test_a_node_added_in_gephi_to_a_workbench_file_is_mapped(tmp_path, awkward):
    path = tmp_path / "edited.gexf"
    GexfExporter().write(awkward, path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("</nodes>", '<node id="added" label="Harbour Agent"/>\n</nodes>')
    text = text.replace("</edges>", '<edge id="new" source="added" target="co-a"/>\n</edges>')
    path.write_text(text, encoding="utf-8")
    records = {record.entity["id"]: record.entity for record in GexfImporter(id_prefix="gephi").read(path)}
    assert records["gephi-node-added"] == {"id": "gephi-node-added", "schema": "LegalEntity",
                                           "properties": {"name": ["Harbour Agent"]}}
    assert records["gephi-edge-new"]["properties"] == {"subject": ["gephi-node-added"], "object": ["co-a"]}
    assert records["co-a"]["properties"]["country"] == ["de"]


@pytest.mark.parametrize("format_name", ["gexf", "graphml"])
def test_edge_weights_come_back_as_weights(empty, shared_data, tmp_path, format_name):
    """Gephi's edge weights survive import and export as GEXF weights (GraphML: Gephi's double
    key "weight"), never as description text; and again through Workbench's own re-import."""
    source = shared_data / "graphs" / "les_miserables.gexf"
    import_file(empty, source)
    original = {edge.get("id"): float(edge.get("weight")) for edge in ElementTree.parse(source).iter()
                if edge.tag.endswith("}edge") and edge.get("weight")}
    assert len(original) == 157
    out = tmp_path / f"out.{format_name}"
    find_exporter(format_name)().write(empty, out)
    text = out.read_text(encoding="utf-8")
    assert "weight: " not in text
    if format_name == "gexf":
        written = {edge.get("id"): float(edge.get("weight")) for edge in ElementTree.parse(out).iter()
                   if edge.tag.endswith("}edge") and edge.get("weight")}
    else:
        root = ElementTree.parse(out).getroot()
        keys = {key.get("id"): key for key in root.iter() if key.tag.endswith("}key")}
        assert keys["e_weight"].get("attr.name") == "weight" and keys["e_weight"].get("attr.type") == "double"
        written = {edge.get("id"): float(data.text) for edge in root.iter() if edge.tag.endswith("}edge")
                   for data in edge if data.get("key") == "e_weight"}
    assert {key.removeprefix("les-miserables-edge-"): value for key, value in written.items()} == original
    with Case.create(tmp_path / "again.wbcase") as again:
        import_file(again, out)
        assert extra_of(again, "les-miserables-edge-1")["weight"] == 8.0
