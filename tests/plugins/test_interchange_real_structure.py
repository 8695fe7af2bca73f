"""Maltego and i2 files laid out as the tools write them (real structure, invented content).

The fixtures (tests/fixtures/interchange/make_real_structure.py) follow Maltego 3 graphs saved by
Maltego, Maltego 4's archive members and i2's ANB schema element by element; see the README there.
"""

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from workbench.demo import build_demo_case
from workbench.importing import import_file
from workbench.model import model
from workbench.plugin_api import choose_importer, find_exporter
from workbench.store import Case
from workbench.training import generate, write_case
from workbench_plugins.interchange.i2_anx import I2_ENTITY_TYPES, i2_icon_file, i2_icon_library
from workbench_plugins.interchange.maltego import MALTEGO_ENTITY_TYPES, maltego_standard, maltego_type, maltego_types

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"
LIBRARY = Path("/work/shared/reference/i2_icons.txt")
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
MTG = "{http://maltego.paterva.com/xml/mtgx}"
#: Chart's children in the order of i2's ANB schema (Analyst's Notebook 7.xsd).
ANB_CHART_ORDER = [
    "ApplicationVersion", "LibraryCatalogue", "PropertyBagCollection", "CustomImageCollection", "GradeOne",
    "GradeTwo", "GradeThree", "SourceHints", "StrengthCollection", "AttributeClassCollection",
    "EntityTypeCollection", "LinkTypeCollection", "Font", "DatabaseProxyCollection", "DateTimeFormatCollection",
    "CurrentStyleCollection", "TimeZone", "TimeBar", "PrintSettings", "Summary", "ChartItemCollection",
    "ConnectionCollection", "JunctionCollection", "GroupCollection", "PaletteCollection", "PaletteBarCollection",
    "LegendDefinition", "SnapshotCollection"]
ANB_CHART_ITEM_ORDER = ["End", "Link", "AttributeCollection", "CIStyle", "PropertyBagCollection", "TimeZone"]
ANB_ENTITY_ORDER = ["Box", "Circle", "Event", "Icon", "OleItem", "TextBlock", "Theme", "DatabaseKeyCollection",
                    "CardCollection"]
ANB_LINK_ORDER = ["DatabaseKeyCollection", "CardCollection", "CornerCollection", "LinkStyle"]


def local(tag):
    return tag.rsplit("}", 1)[-1]


def in_order(tags, order):
    positions = [order.index(tag) for tag in tags]
    return positions == sorted(positions)


def graph_counts(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            data = archive.read("Graphs/Graph1.graphml")
    else:
        data = Path(path).read_bytes()
    root = ElementTree.fromstring(data)
    return len(list(root.iter(f"{GRAPHML}node"))), len(list(root.iter(f"{GRAPHML}edge")))


def case_counts(case):
    counts = case.counts_by_schema()
    entities = sum(count for name, count in counts.items() if not model.get(name).edge)
    return entities, sum(counts.values()) - entities


# ------------------------------------------------------------------------------------ imports


@pytest.mark.parametrize("name", ["maltego3_transforms.mtgx", "maltego4_manual.mtgx", "maltego_bare.graphml"])
def test_maltego_graphs_import_whole_with_default_settings(tmp_path, name):
    path = FIXTURES / name
    assert choose_importer(path).id == "maltego-mtgx"  # bare GraphML too, not the plain GraphML importer
    with Case.create(tmp_path / "case.wbcase") as case:
        outcome = import_file(case, path)
        assert case_counts(case) == graph_counts(path)  # every node an entity, every edge a link
        if name != "maltego4_manual.mtgx":
            # A transform set's own types: listed once each, read by what they extend or their name.
            graph = "Graphs/Graph1.graphml" if name.endswith(".mtgx") else name
            assert str(outcome.left_out[0]).startswith(
                f"1 Maltego entity of type 'acme.registry.Company' (first {graph} node n0): ")
            read_as = {re.search(r"'(.*?)'", str(item)).group(1): re.search(r"read as (\w+)", str(item)).group(1)
                       for item in outcome.left_out}
            # In the archive the Filing's definition says it extends maltego.Document; bare GraphML
            # carries no definitions, so there only its name can tell, and "Filing" says nothing.
            assert read_as == {"acme.registry.Company": "Company", "acme.registry.OfficerId": "LegalEntity",
                               "acme.registry.Filing": "Document" if name.endswith(".mtgx") else "LegalEntity"}
        else:
            assert outcome.left_out == []  # only standard types


def test_maltego_types_keep_their_type_and_every_property(tmp_path):
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, FIXTURES / "maltego3_transforms.mtgx")
        by_schema = {}
        for proxy in case.iter_entities():
            by_schema.setdefault(proxy.schema.name, []).append(proxy)
        company = by_schema["Company"][0]
        assert company.get("registrationNumber") == ["08811234"]
        assert "Maltego entity type: acme.registry.Company" in company.get("notes")
        # The website and phone entities stay, and also give their values to the company.
        assert company.get("website") == ["http://www.harrowgate-tools.example/"]
        assert company.get("phone") == ["+441615550142"]
        assert [a.get("name") for a in by_schema["Asset"]] == [["www.harrowgate-tools.example"]]
        assert "SSL Enabled: true" in by_schema["Asset"][0].get("notes")
        filing = next(d for d in by_schema["Document"] if "Confirmation statement 2022" in d.get("fileName"))
        assert "Filed: 2022-07-14" in filing.get("notes")  # a field FtM has no place for: kept, not dropped
        phrases = sorted(n.first("description") for n in by_schema["Note"])
        assert phrases == ["8443", "9f2c41d07be3a8e6c1d5f0a27b4e9c36", "precision machine tools, export to Central Asia"]
        link = next(p for p in by_schema["UnknownLink"])
        assert any(note.startswith("Transform name: ") for note in link.get("description"))


def test_maltego4_standard_types_come_in_as_their_nearest_ftm_types(tmp_path):
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, FIXTURES / "maltego4_manual.mtgx")
        assert {name: count for name, count in case.counts_by_schema().items() if not model.get(name).edge} == {
            "Address": 1, "Asset": 1, "BankAccount": 1, "Company": 1, "CryptoWallet": 1, "Event": 1, "Note": 1,
            "Person": 1, "UserAccount": 1, "Vessel": 1}
        account = next(e for e in case.iter_entities() if e.schema.name == "BankAccount")
        assert account.get("accountNumber") == ["AE070331234567890123456"]
        assert account.get("bankName") == ["Gulfshore Commercial Bank"]
        event = next(e for e in case.iter_entities() if e.schema.name == "Event")
        assert event.get("startDate")[0].startswith("2023-02-04")


def test_unknown_types_stop_the_import_only_when_asked(tmp_path):
    with Case.create(tmp_path / "case.wbcase") as case:
        with pytest.raises(Exception, match="acme.registry.Company.*unknown_types=stop"):
            import_file(case, FIXTURES / "maltego3_transforms.mtgx", options={"unknown_types": "stop"})
        assert case.counts_by_schema() == {}


def test_i2_chart_with_library_icons_imports_whole(tmp_path):
    path = FIXTURES / "i2_library_icons.anx"
    root = ElementTree.fromstring(path.read_bytes())
    items = list(root.iter("ChartItem"))
    file_entities = sum(1 for item in items if item.find("End") is not None)
    with Case.create(tmp_path / "case.wbcase") as case:
        outcome = import_file(case, path)
        assert outcome.importer_id == "i2-anx" and outcome.left_out == []  # every icon is in the library
        assert case_counts(case) == (file_entities, len(items) - file_entities)
        counts = case.counts_by_schema()
        # The Family icon is a group of people drawn as an entity, never an FtM Family link without ends.
        assert "Family" not in counts
        family = next(e for e in case.iter_entities() if e.first("name") == "DEVENTER family")
        assert family.schema.name == "LegalEntity"
        woman = next(e for e in case.iter_entities() if e.first("name") == "Marisol DEVENTER")
        assert woman.schema.name == "Person" and woman.get("birthDate") == ["1981-04-22"]  # AttTime as a date
        # Arrows at both ends: no direction. A Transaction both ways is a link without one.
        two_way = next(e for e in case.iter_entities() if e.schema.name == "UnknownLink"
                       and e.get("role") == ["Transaction"])
        assert "Transfers both ways" in two_way.get("description")

        # ... and goes out two-way again.
        out = tmp_path / "again.anx"
        find_exporter("anx")().write(case, out)
    again = ElementTree.fromstring(out.read_bytes())
    both = [item for item in again.iter("ChartItem") if item.find("Link") is not None
            and item.find("Link/LinkStyle").get("ArrowStyle") == "ArrowOnBoth"]
    assert len(both) == 2  # the Transaction and the Associate link


# ------------------------------------------------------------------------------------- maps


def test_every_library_icon_and_standard_maltego_type_has_an_ftm_entity_type():
    library = [line.strip() for line in LIBRARY.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if LIBRARY.exists() else [icon for icon, _ in i2_icon_library().values()]
    assert len(library) == 573
    icons = i2_icon_library()
    for icon in library:
        schema = model.get(icons[re.sub(r"[^a-z0-9]", "", icon.lower())][1])
        assert schema is not None and not schema.abstract and not schema.edge, icon
    assert len(maltego_types()) >= 240
    for known in maltego_types().values():
        schema = model.get(known.ftm_schema)
        assert schema is not None and not schema.abstract and not schema.edge, known.name


def test_every_ftm_type_is_written_with_names_the_tools_know():
    icons = {icon for icon, _ in i2_icon_library().values()}
    for schema in model.schemata.values():
        if schema.abstract:
            continue
        assert i2_icon_file(schema) in icons, schema.name
        assert maltego_standard(maltego_type(schema)) is not None, schema.name
    assert set(I2_ENTITY_TYPES.values()) <= icons
    assert all(maltego_standard(name) is not None for name in MALTEGO_ENTITY_TYPES.values())


# ------------------------------------------------------------------- exports, element by element


@pytest.fixture(scope="module")
def demo_exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    case = build_demo_case(folder / "demo.wbcase")
    try:
        for format_name in ("anx", "mtgx"):
            find_exporter(format_name)().write(case, folder / f"demo.{format_name}")
    finally:
        case.close()
    return folder


def test_mtgx_export_has_the_structure_maltego_writes(demo_exports):
    with zipfile.ZipFile(FIXTURES / "maltego3_transforms.mtgx") as real, zipfile.ZipFile(
            demo_exports / "demo.mtgx") as ours:
        real_graph = ElementTree.fromstring(real.read("Graphs/Graph1.graphml"))
        our_graph = ElementTree.fromstring(ours.read("Graphs/Graph1.graphml"))
        # Archive: the graph, its properties and one definition per entity type; each member named in its comment.
        assert {"Graphs/Graph1.graphml", "Graphs/Graph1.properties"} <= set(ours.namelist())
        assert "version.properties" in ours.namelist()
        assert all(info.comment for info in ours.infolist())
        definitions = [name for name in ours.namelist() if name.startswith("Entities/")]
        used = {entity.get("type") for entity in our_graph.iter(f"{MTG}MaltegoEntity")}
        assert sorted(definitions) == sorted(f"Entities/{name}.entity" for name in used)
        real_definition = ElementTree.fromstring(real.read("Entities/maltego.URL.entity"))
        for name in definitions:
            ours_definition = ElementTree.fromstring(ours.read(name))
            assert set(real_definition.attrib) <= set(ours_definition.attrib) | {"smallIconResource", "largeIconResource"}
            assert [local(child.tag) for child in ours_definition if local(child.tag) == "Properties"] == ["Properties"]
            # As Maltego 4.2 stores a standard type's definition in a graph: value and displayValue,
            # an empty Groups before the Fields, each Field with an (empty) description.
            properties = ours_definition.find("Properties")
            assert properties.get("value") and properties.get("displayValue") == properties.get("value")
            assert [local(child.tag) for child in properties] == ["Groups", "Fields"]
            for field in ours_definition.iter("Field"):
                assert set(field.attrib) == {"name", "type", "nullable", "hidden", "readonly", "description",
                                             "displayName"}
        version = ours.read("version.properties").decode()
        assert "maltego.graph.version=" in version and "maltego.client.version=" in version
        # Graphs/Graph1.properties: created, then modified (Maltego 4.2), each with its time zone.
        stamps = [line for line in ours.read("Graphs/Graph1.properties").decode().splitlines()
                  if not line.startswith("#")]
        assert [line.split("=")[0] for line in stamps] == ["created", "modified"]
        assert all(re.search(r" [+-]\d{4}$", line) for line in stamps)

    # A manual link's first properties in Maltego 4.2's order: label, whether it shows, description.
    copied = ElementTree.parse(FIXTURES / "maltego42_copied.graphml").getroot()
    real_manual = next(link for link in copied.iter(f"{MTG}MaltegoLink") if link.get("type").endswith("manual-link"))
    our_manual = next(link for link in our_graph.iter(f"{MTG}MaltegoLink") if link.get("type").endswith("manual-link"))
    assert [prop.get("name") for prop in our_manual.iter(f"{MTG}Property")][:3] == [
        prop.get("name") for prop in real_manual.iter(f"{MTG}Property")][:3]

    # GraphML: root attributes, VersionInfo, the yFiles keys in the same order, then the graph.
    assert set(our_graph.attrib) == set(real_graph.attrib)
    assert [local(child.tag) for child in our_graph] == [local(child.tag) for child in real_graph]
    assert set(our_graph.find(f"{GRAPHML}VersionInfo").attrib) == set(real_graph.find(f"{GRAPHML}VersionInfo").attrib)
    assert [key.attrib for key in our_graph.iter(f"{GRAPHML}key")] == [key.attrib for key in real_graph.iter(f"{GRAPHML}key")]
    real_node, our_node = real_graph.find(f"{GRAPHML}graph/{GRAPHML}node"), our_graph.find(f"{GRAPHML}graph/{GRAPHML}node")
    assert [data.get("key") for data in our_node] == [data.get("key") for data in real_node] == ["d4", "d5"]
    assert [local(e.tag) for e in our_node.find(f"{GRAPHML}data[@key='d5']").iter()] == [
        local(e.tag) for e in real_node.find(f"{GRAPHML}data[@key='d5']").iter()]  # EntityRenderer/Position
    real_property = real_graph.find(f".//{MTG}Property")
    for prop in our_graph.iter(f"{MTG}Property"):
        assert set(prop.attrib) == set(real_property.attrib)
        assert [local(child.tag) for child in prop] == ["Value"]
    assert {entity.get("id") is not None for entity in our_graph.iter(f"{MTG}MaltegoEntity")} == {True}
    real_edge, our_edge = real_graph.find(f"{GRAPHML}graph/{GRAPHML}edge"), our_graph.find(f"{GRAPHML}graph/{GRAPHML}edge")
    assert [data.get("key") for data in our_edge] == [data.get("key") for data in real_edge] == ["d6", "d7"]
    assert [local(e.tag) for e in our_edge.find(f"{GRAPHML}data[@key='d7']").iter()] == ["data", "LinkRenderer"]
    # Typed properties: dates, numbers and URLs as Maltego types them.
    kinds = {prop.get("type") for prop in our_graph.iter(f"{MTG}Property")}
    assert {"string", "date", "int"} <= kinds
    for prop in our_graph.iter(f"{MTG}Property"):
        value = prop.find(f"{MTG}Value").text or ""
        if prop.get("type") == "date":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
        elif prop.get("type") in ("int", "float"):
            float(value)
    assert {entity.get("type") for entity in our_graph.iter(f"{MTG}MaltegoEntity")} <= {
        known.name for known in maltego_types().values()}


def test_anx_export_has_the_element_order_of_i2s_schema(demo_exports):
    real = ElementTree.fromstring((FIXTURES / "i2_library_icons.anx").read_bytes())
    ours = ElementTree.fromstring((demo_exports / "demo.anx").read_bytes())
    for chart in (real, ours):
        assert in_order([child.tag for child in chart], ANB_CHART_ORDER)
        for item in chart.iter("ChartItem"):
            assert in_order([child.tag for child in item], ANB_CHART_ITEM_ORDER)
        for entity in chart.iter("Entity"):
            assert in_order([child.tag for child in entity], ANB_ENTITY_ORDER)
        for link in chart.iter("Link"):
            assert in_order([child.tag for child in link], ANB_LINK_ORDER)
    tags = [child.tag for child in ours]
    assert tags.index("GradeOne") < tags.index("GradeTwo") < tags.index("StrengthCollection")
    # Entity types: names and icon files from i2's library, as in charts i2 writes.
    library = {icon for icon, _ in i2_icon_library().values()}
    for entity_type in ours.iter("EntityType"):
        assert entity_type.get("Name") in library and entity_type.get("IconFile") in library
        assert set(entity_type.attrib) - {"Id", "Colour"} <= set(real.find(".//EntityType").attrib)
    for style in ours.iter("LinkStyle"):
        assert style.get("ArrowStyle") in ("ArrowOnHead", "ArrowOnTail", "ArrowOnBoth", "ArrowNone")
    # Attribute classes typed: dates AttTime (values i2 date-times), amounts AttNumber.
    types = {cls.get("Name"): cls.get("Type") for cls in ours.iter("AttributeClass")}
    # Merge behaviours valid for each type (i2 refuses, e.g., a no-op merge on a number class).
    valid_merge = {"AttText": {"AttMergeAdd", "AttMergeAddWithSpace", "AttMergeAddWithLineBreak"},
                   "AttNumber": {"AttMergeAdd", "AttMergeMax", "AttMergeMin"},
                   "AttTime": {"AttMergeMax", "AttMergeMin"}}
    for cls in ours.iter("AttributeClass"):
        assert cls.get("MergeBehaviour") is None or cls.get("MergeBehaviour") in valid_merge[cls.get("Type")]
    assert types["Date"] == "AttTime" and types["Amount"] == "AttNumber"
    assert set(types.values()) <= {"AttText", "AttTime", "AttNumber", "AttFlag"}
    for attribute in ours.iter("Attribute"):
        kind = types[attribute.get("AttributeClass")]
        if kind == "AttTime":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", attribute.get("Value"))
        elif kind == "AttNumber":
            float(attribute.get("Value"))


# ---------------------------------------------------------------------------- round trips


def value_count(case):
    return sum(len(values) for proxy in case.iter_entities() for values in proxy.properties.values())


@pytest.mark.parametrize("format_name", ["anx", "mtgx", "gexf", "graphml", "ftm", "ftm-statements", "xlsx"])
def test_a_training_case_round_trip_keeps_every_count(tmp_path, format_name):
    """Every format: each type's count and every value come back; what a format cannot carry is
    named in the export's losses (the training case has no long texts of several values)."""
    case_path, _ = write_case(generate("classroom", seed=3), tmp_path / "training")
    suffix = {"ftm": "ftm.json", "ftm-statements": "csv"}.get(format_name, format_name)
    with Case.open(case_path) as case:
        before, values = case.counts_by_schema(), value_count(case)
        report = find_exporter(format_name)().write(case, tmp_path / f"out.{suffix}")
        assert report["losses"]
    with Case.create(tmp_path / "back.wbcase") as back:
        import_file(back, tmp_path / f"out.{suffix}")
        assert back.counts_by_schema() == before
        assert value_count(back) == values


@pytest.mark.parametrize("format_name", ["anx", "mtgx"])
def test_a_relationship_of_an_entity_with_itself_is_no_self_link_and_comes_back(tmp_path, format_name):
    from workbench.model import SourceInfo

    with Case.create(tmp_path / "loop.wbcase") as case:
        case.ingest([{"id": "c1", "schema": "Company", "properties": {"name": ["Loop Trading"]}},
                     {"id": "pay1", "schema": "Payment", "properties": {"payer": ["c1"], "beneficiary": ["c1"],
                                                                       "amount": ["500"]}}],
                    SourceInfo(file_name="ledger.csv"))
        before = case.counts_by_schema()
        find_exporter(format_name)().write(case, tmp_path / f"loop.{format_name}")
    with Case.create(tmp_path / "back.wbcase") as back:
        import_file(back, tmp_path / f"loop.{format_name}")
        assert back.counts_by_schema() == before
        assert back.entity("pay1").get("amount") == ["500"]
    if format_name == "anx":
        chart = ElementTree.fromstring((tmp_path / "loop.anx").read_bytes())
        assert all(link.get("End1Id") != link.get("End2Id") for link in chart.iter("Link"))
