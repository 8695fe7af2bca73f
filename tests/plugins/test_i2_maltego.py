"""i2 ANX and Maltego MTGX: round trips on the demo case, foreign files, bad input."""

import sqlite3
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.importing import import_file
from workbench.model import SourceInfo, model, parse_grade
from workbench.plugin_api import ParameterError, SourceFormatError, choose_importer, find_exporter, find_plugin
from workbench.store import Case
from workbench_plugins.interchange.chart_common import attribute_names, find_property, link_strength
from workbench_plugins.interchange.i2_anx import AnxExporter, AnxImporter, i2_datetime
from workbench_plugins.interchange.maltego import (
    MtgxExporter,
    MtgxImporter,
    maltego_property_map,
    maltego_property_names,
    maltego_type,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
I2_LIBRARY = {line.rsplit(",", 1)[0] for line in (RESOURCES / "interchange" / "i2_icons.csv")
              .read_text(encoding="utf-8").splitlines()[1:] if line and not line.startswith("#")}
STANDARD_MALTEGO_TYPES = [line.split(",")[0] for line in (RESOURCES / "interchange" / "maltego_entities.csv")
                          .read_text(encoding="utf-8").splitlines()[1:] if line and not line.startswith("#")]
IMPORTER = {"anx": "i2-anx", "mtgx": "maltego-mtgx"}


@pytest.fixture
def demo(demo):
    # Two entities placed by the analyst; the rest were never laid out.
    demo.set_chart_items({"demo-person-arkady-veltsin": {"x": 12.4, "y": -30.6},
                          "demo-co-atlas-crest-trading": {"x": 200.0, "y": 50.0}})
    return demo


def snapshot(case):
    """Every entity as (schema, {property: sorted values}), and every link the store derives."""
    entities = {proxy.id: (proxy.schema.name, {prop: sorted(values) for prop, values in proxy.properties.items()})
                for proxy in case.iter_entities()}
    links = {(row["source_id"], row["target_id"], row["via_id"], row["prop"], row["schema"])
             for row in case.db.query("SELECT * FROM edges")}
    return entities, links


def dump(case):
    return list(sqlite3.connect(case.path).iterdump())


def export_and_import(case, tmp_path, format_name):
    path = tmp_path / f"out.{format_name}"
    report = find_exporter(format_name)().write(case, path)
    back = Case.create(tmp_path / f"back-{format_name}.wbcase")
    outcome = import_file(back, path, importer_id=IMPORTER[format_name])
    return report, back, outcome


# ------------------------------------------------------------------------ plugins and names


def test_both_formats_are_discovered_with_distinct_ids():
    assert find_exporter("anx") is AnxExporter
    assert find_exporter("mtgx") is MtgxExporter
    assert find_plugin("i2-anx", kind="importer") is AnxImporter
    assert find_plugin("maltego-mtgx", kind="importer") is MtgxImporter


def test_files_are_recognised_by_content():
    assert choose_importer(FIXTURES / "i2_chart.anx") is AnxImporter
    assert choose_importer(FIXTURES / "i2_unknown_icon.anx") is AnxImporter
    assert choose_importer(FIXTURES / "maltego_graph.mtgx") is MtgxImporter


@pytest.mark.parametrize("grade, strength", [
    ("A1", "Confirmed"), ("B2", "Confirmed"), ("B3", "Unconfirmed"), ("C3", "Unconfirmed"),
    ("C4", "Tentative"), ("D2", "Tentative"), ("F6", "Tentative"),
])
def test_link_strength_follows_the_grade(grade, strength):
    assert link_strength(parse_grade(grade)) == strength


def test_dates_as_i2_writes_them():
    assert i2_datetime("2023-03-10") == ("2023-03-10T00:00:00.000", True, False)
    assert i2_datetime("2023-03") == ("2023-03-01T00:00:00.000", True, False)
    assert i2_datetime("2023-03-10T14:05") == ("2023-03-10T14:05:00.000", True, True)


# ------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("format_name", ["anx", "mtgx"])
def test_demo_round_trip_is_equal(demo, tmp_path, format_name):
    report, back, outcome = export_and_import(demo, tmp_path, format_name)
    assert report["losses"]
    before, after = snapshot(demo), snapshot(back)
    assert after[0] == before[0]  # every entity and relationship: same id, type and values
    assert after[1] == before[1]  # the links the store derives from them
    assert outcome.report.entities == len(before[0]) == 73
    # Relationships are links, the rest chart entities (no relationship lost an end here).
    assert report["entities"] == 26
    # Positions: ANX rounds to whole chart units, MTGX keeps them; unplaced entities got a place.
    arkady = back.chart_item("demo-person-arkady-veltsin")
    expected = (12.0, -31.0) if format_name == "anx" else (12.4, -30.6)
    assert (arkady["x"], arkady["y"]) == expected
    assert back.chart_item("demo-co-atlas-crest-trading")["x"] == 200.0
    assert back.chart_item("demo-co-tekhsnab-vostralin") is not None
    # Each item's best grade travels (i2 grades, Maltego's ftm.grade), though the import is ungraded.
    statement = back.statements("demo-pay-02-karadeniz-rheinfeld")[0]
    assert (statement["reliability"], statement["credibility"]) == ("B", 2)
    back.close()


def les_miserables_case(path, gexf):
    """The Les Misérables co-appearance graph as a case: characters, weighted links, positions."""
    root = ElementTree.parse(gexf).getroot()
    local = lambda element: element.tag.rsplit("}", 1)[-1]  # noqa: E731
    entities, positions = [], {}
    for element in root.iter():
        if local(element) == "node":
            entity_id = f"lesmis-{element.get('id')}"
            measures = "; ".join(f"{v.get('for')} {v.get('value')}" for v in element.iter() if local(v) == "attvalue")
            entities.append({"id": entity_id, "schema": "Person",
                             "properties": {"name": [element.get("label")], "notes": [measures]}})
            where = next(child for child in element if local(child) == "position")
            positions[entity_id] = {"x": float(where.get("x")), "y": float(where.get("y"))}
        elif local(element) == "edge":
            entities.append({"id": f"lesmis-edge-{element.get('id')}", "schema": "UnknownLink", "properties": {
                "subject": [f"lesmis-{element.get('source')}"], "object": [f"lesmis-{element.get('target')}"],
                "role": ["appears with"], "summary": [f"weight {element.get('weight', '1.0')}"]}})
    case = Case.create(path)
    case.ingest(entities, SourceInfo(file_name=gexf.name, grade=parse_grade("A1")))
    case.set_chart_items(positions)
    return case, positions


@pytest.mark.parametrize("format_name", ["anx", "mtgx"])
def test_les_miserables_round_trip_keeps_characters_links_and_layout(tmp_path, shared_data, format_name):
    case, positions = les_miserables_case(tmp_path / "lesmis.wbcase", shared_data / "graphs" / "les_miserables.gexf")
    report, back, _ = export_and_import(case, tmp_path, format_name)
    assert (report["entities"], report["links"]) == (77, 254)
    assert snapshot(back) == snapshot(case)
    for entity_id, expected in positions.items():
        item = back.chart_item(entity_id)
        if format_name == "anx":  # i2 positions are whole chart units
            assert (item["x"], item["y"]) == (round(expected["x"]), round(expected["y"]))
        else:
            assert (item["x"], item["y"]) == pytest.approx((expected["x"], expected["y"]))
    case.close()
    back.close()


@pytest.mark.parametrize("format_name", ["anx", "mtgx"])
def test_a_chart_coming_back_merges_with_the_entities_it_came_from(demo, tmp_path, format_name):
    path = tmp_path / f"out.{format_name}"
    find_exporter(format_name)().write(demo, path)
    counts = demo.counts_by_schema()
    import_file(demo, path, importer_id=IMPORTER[format_name])
    assert demo.counts_by_schema() == counts
    assert len(demo.sources()) == 2


@pytest.mark.parametrize("format_name", ["anx", "mtgx"])
def test_documented_losses_are_the_only_differences(tmp_path, format_name):
    """Several long-text values come back as one; a relationship with an end outside the chart
    travels as an entity and comes back whole."""
    with Case.create(tmp_path / "small.wbcase") as case:
        case.ingest([
            {"id": "p1", "schema": "Person", "properties": {
                "name": ["Ana Ruiz"], "alias": ["A. Ruiz", "Ana R."], "description": ["first note", "second note"]}},
            {"id": "own1", "schema": "Ownership", "properties": {"owner": ["p1"], "asset": ["not-in-case"],
                                                                 "percentage": ["30"]}},
        ], SourceInfo(file_name="people.csv", grade=parse_grade("C3")))
        _, back, _ = export_and_import(case, tmp_path, format_name)
        person = back.entity("p1")
        assert sorted(person.get("alias")) == ["A. Ruiz", "Ana R."]  # short values split again
        assert person.get("description") == ["first note\nsecond note"]  # the documented loss
        ownership = back.entity("own1")
        assert ownership.schema.name == "Ownership"
        assert ownership.get("asset") == ["not-in-case"] and ownership.get("percentage") == ["30"]
        back.close()


# ------------------------------------------------------------------------- ANX as i2 reads it


def payment(payment_id, date):
    """A payment from company "a" to person "p" out of account "acct"."""
    return {"id": payment_id, "schema": "Payment",
            "properties": {"payer": ["a"], "beneficiary": ["p"], "amount": ["9800"], "currency": ["usd"],
                           "date": [date], "payerAccount": ["acct"]}}


def test_anx_is_utf16_with_i2_types_strength_arrows_dates_and_cards(tmp_path):
    with Case.create(tmp_path / "graded.wbcase") as case:
        case.ingest([
            {"id": "a", "schema": "Company", "properties": {"name": ["Alpha Ltd"]}},
            {"id": "o", "schema": "Organization", "properties": {"name": ["Omega Institute"]}},
            {"id": "v", "schema": "Vessel", "properties": {"name": ["MV Tern"]}},
            {"id": "acct", "schema": "BankAccount", "properties": {"name": ["Alpha EUR"]}},
            {"id": "p", "schema": "Person", "properties": {"name": ["Ivo Grant"]}},
        ], SourceInfo(file_name="registry.csv", grade=parse_grade("A1")))
        case.ingest([payment("pay-strong", "2023-05-17")], SourceInfo(file_name="bank.csv", grade=parse_grade("B2")))
        case.ingest([payment("pay-medium", "2023-05")], SourceInfo(file_name="tip.txt", grade=parse_grade("C3")))
        case.ingest([payment("pay-weak", "2023-06-01")], SourceInfo(file_name="rumour.txt", grade=parse_grade("E5")))
        case.ingest([{"id": "link", "schema": "UnknownLink", "properties": {"subject": ["p"], "object": ["o"]}}],
                    SourceInfo(file_name="notes.txt", grade=parse_grade("B2")))
        path = tmp_path / "graded.anx"
        AnxExporter().write(case, path)

    raw = path.read_bytes()
    assert raw[:2] == b"\xff\xfe"  # UTF-16 little-endian, as i2 writes its exchange files
    root = ElementTree.fromstring(raw)
    assert root.tag == "Chart"
    types = {item.find("End/Entity").get("Identity"): item.find("End/Entity/Icon/IconStyle").get("Type")
             for item in root.iter("ChartItem") if item.find("End") is not None}
    # Icons of i2's standard library only (Office for a company, Organ for an organisation).
    assert types == {"a": "Office", "o": "Organ", "v": "Ship", "acct": "Account", "p": "Person"}
    assert all(entity_type.get("IconFile") in I2_LIBRARY and entity_type.get("Name") in I2_LIBRARY
               for entity_type in root.iter("EntityType"))
    links = {}
    for item in root.iter("ChartItem"):
        link = item.find("Link")
        if link is not None:
            ftm_id = next(a.get("Value") for a in item.iter("Attribute") if a.get("AttributeClass") == "FtM id")
            links[ftm_id] = (item, link.find("LinkStyle"))
    assert {key: style.get("Strength") for key, (_, style) in links.items()} == {
        "pay-strong": "Confirmed", "pay-medium": "Unconfirmed", "pay-weak": "Tentative", "link": "Confirmed"}
    assert links["pay-strong"][1].get("ArrowStyle") == "ArrowOnHead"
    assert links["link"][1].get("ArrowStyle") == "ArrowNone"  # an undirected relationship has no arrow
    assert links["pay-strong"][0].get("DateTime") == "2023-05-17T00:00:00.000"
    assert links["pay-medium"][0].get("DateTimeDescription") == "2023-05"
    card = links["pay-weak"][0].find("Link/CardCollection/Card")
    assert card.get("Summary") == "rumour.txt" and "E5" in card.get("Text")
    assert (card.get("GradeOneIndex"), card.get("GradeTwoIndex")) == ("4", "4")
    # Attributes hold every property under its FtM label.
    payment_attributes = {a.get("AttributeClass"): a.get("Value") for a in links["pay-strong"][0].iter("Attribute")}
    assert payment_attributes["Amount"] == "9800" and payment_attributes["Currency"] == "usd"


def test_protected_sources_stay_out_of_the_chart_unless_asked(tmp_path):
    with Case.create(tmp_path / "protected.wbcase") as case:
        case.ingest([{"id": "x", "schema": "Person", "properties": {"name": ["Open Name"]}}],
                    SourceInfo(file_name="open.csv"))
        case.ingest([{"id": "x", "schema": "Person", "properties": {"alias": ["Informant's name"]}},
                     {"id": "source-7", "schema": "Person", "properties": {"name": ["Codename Heron"]}}],
                    SourceInfo(file_name="humint.txt", protected=True))
        left_out = AnxExporter().write(case, tmp_path / "open.anx")["losses"][0]
        carried = AnxExporter().write(case, tmp_path / "all.anx", include_protected=True)["losses"]
        mtgx_left_out = MtgxExporter().write(case, tmp_path / "open.mtgx")["losses"][0]
    # Not silently: the export says how many entities it left out, and why.
    assert left_out == mtgx_left_out and left_out.startswith("1 entity known only from protected sources")
    assert not any("protected sources" in loss for loss in carried)
    shared = (tmp_path / "open.anx").read_text(encoding="utf-16")
    assert "Open Name" in shared
    assert "Informant" not in shared and "source-7" not in shared  # not even the id of a protected-only entity
    assert "Informant" in (tmp_path / "all.anx").read_text(encoding="utf-16")
    with zipfile.ZipFile(tmp_path / "open.mtgx") as archive:
        graph = archive.read("Graphs/Graph1.graphml").decode("utf-8")
    assert "Open Name" in graph and "Informant" not in graph and "source-7" not in graph


def test_every_property_name_written_maps_back_to_its_property():
    """For every FtM type: the attribute (i2) and property (Maltego) names the exporters write
    are read back as the same property, so no value changes property on a round trip."""
    for schema in model.schemata.values():
        if schema.abstract:
            continue
        entity_type = maltego_type(schema)
        written = maltego_property_names(schema, entity_type)
        for prop, name in attribute_names(schema).items():
            assert find_property(schema, name).name == prop, (schema.name, name)
            maltego_name = written[prop][0]
            read = (find_property(schema, maltego_name[4:]) if maltego_name.startswith("ftm.")
                    else find_property(schema, maltego_name, maltego_property_map(entity_type)))
            assert read.name == prop, (schema.name, maltego_name)


# --------------------------------------------------------------------------- ANX written by i2


def test_i2_chart_entities_links_attributes_dates_positions(tmp_path):
    importer = AnxImporter()
    records = list(importer.read(FIXTURES / "i2_chart.anx"))
    assert importer.skipped == []
    by_name = {r.entity["properties"].get("name", [None])[0]: r for r in records}
    pavel = by_name["Pavel ORLIK"]
    props = pavel.entity["properties"]
    assert pavel.entity["schema"] == "Person"
    assert props["birthDate"] == ["1975-09-30"] and props["nationality"] == ["cz"]
    assert props["alias"] == ["P. Orlik", "Paul Orlick"]  # one attribute, one value a line
    assert props["phone"] == ["+420601555014"]  # the linked Telephone entity also gave him its number
    assert props["notes"] == ["Case Reference: OP-KESTREL/17"]  # no FtM property: kept, not dropped
    assert props["description"] == ["Met the buyer in Sharjah, March 2023"]
    assert pavel.extra["position"] == [120.0, -40.0]
    assert str(pavel.grade) == "B2"
    assert pavel.extra["i2_cards"][0]["Summary"] == "Interview note 14"
    assert by_name["Sandvale Marine Supplies"].entity["schema"] == "Organization"
    assert by_name["Sandvale - EUR account"].entity["properties"]["accountNumber"] == ["40-11-7788"]
    phone = next(r for r in records if r.entity["properties"].get("phone") == ["+420601555014"]
                 and r.entity["schema"] == "UserAccount")  # and stays an entity of the chart
    assert phone.extra["i2_type"] == "Telephone"

    ids = {name: r.entity["id"] for name, r in by_name.items() if name}
    links = {r.entity["schema"] + ":" + (r.entity["properties"].get("role") or [""])[0]: r.entity
             for r in records if r.entity["schema"] not in ("Person", "Organization", "BankAccount")}
    assert set(links) == {"Directorship:", "Ownership:", "Payment:", "Associate:", "UnknownLink:Director",
                          "UnknownLink:Telephone", "UserAccount:"}
    assert links["Directorship:"]["properties"]["director"] == [ids["Pavel ORLIK"]]
    assert links["Directorship:"]["properties"]["startDate"] == ["2022-11-02"]
    payment = links["Payment:"]["properties"]
    # ArrowOnTail: the money went from End2 (Sandvale) to End1 (Irena).
    assert payment["payer"] == [ids["Sandvale Marine Supplies"]]
    assert payment["beneficiary"] == [ids["Irena VASKOVA"]]
    assert payment["date"] == ["2023-03-07T14:05:00"]
    assert payment["amount"] == ["48500"] and payment["currency"] == ["EUR"]
    # A "Director" link between two people does not fit a Directorship: kept under its own name.
    assert links["UnknownLink:Director"]["properties"]["subject"] == [ids["Irena VASKOVA"]]


def test_i2_chart_imports_into_a_case_with_positions(tmp_path):
    with Case.create(tmp_path / "i2.wbcase") as case:
        outcome = import_file(case, FIXTURES / "i2_chart.anx")
        assert outcome.importer_id == "i2-anx"
        assert case.counts_by_schema() == {"Associate": 1, "BankAccount": 1, "Directorship": 1, "Organization": 1,
                                           "Ownership": 1, "Payment": 1, "Person": 2, "UnknownLink": 2,
                                           "UserAccount": 1}
        pavel = next(e for e in case.entities("Person") if e.first("name") == "Pavel ORLIK")
        assert (case.chart_item(pavel.id)["x"], case.chart_item(pavel.id)["y"]) == (120.0, -40.0)


def test_unknown_icon_type_stops_when_asked_naming_the_element_and_leaves_the_case_unchanged(tmp_path):
    with Case.create(tmp_path / "case.wbcase") as case:
        before = dump(case)
        with pytest.raises(SourceFormatError) as error:
            import_file(case, FIXTURES / "i2_unknown_icon.anx", importer_id="i2-anx",
                        options={"unknown_types": "stop"})
        message = str(error.value)
        assert "i2_unknown_icon.anx" in message and "ChartItem[2]" in message and "'Drone'" in message
        assert "entity_types=" in message
        assert dump(case) == before


def test_unknown_icon_type_becomes_the_nearest_type_by_default_and_is_listed(tmp_path):
    importer = AnxImporter()
    records = list(importer.read(FIXTURES / "i2_unknown_icon.anx"))
    drone = next(r for r in records if r.entity["properties"].get("name") == ["Quadcopter QX-7"])
    assert drone.entity["schema"] == "LegalEntity"
    assert "i2 entity type: Drone" in drone.entity["properties"]["notes"]
    assert "Serial Number: QX7-0042-B" in drone.entity["properties"]["notes"]
    assert [str(item) for item in importer.skipped] == [
        "1 i2 entity of type 'Drone' (first ChartItem[2] (Id=ID11) 'Quadcopter QX-7'): not one of i2's standard "
        "types; read as LegalEntity (the nearest FtM type), the type kept in notes; unknown_types=stop refuses "
        "such files"]
    link = next(r for r in records if r.entity["schema"] == "UnknownLink")
    assert link.entity["properties"]["role"] == ["Operator"]
    with Case.create(tmp_path / "case.wbcase") as case:
        outcome = import_file(case, FIXTURES / "i2_unknown_icon.anx")
        assert case.counts_by_schema() == {"LegalEntity": 1, "Person": 1, "UnknownLink": 1}
        assert [item.element for item in outcome.left_out] == [
            "1 i2 entity of type 'Drone' (first ChartItem[2] (Id=ID11) 'Quadcopter QX-7')"]


def test_a_type_mapping_the_analyst_sets_is_used(tmp_path):
    importer = AnxImporter(entity_types='{"Drone": "Airplane"}', link_types='{"Operator": "UnknownLink"}')
    records = list(importer.read(FIXTURES / "i2_unknown_icon.anx"))
    assert {r.entity["schema"] for r in records} == {"Person", "Airplane", "UnknownLink"}
    assert importer.skipped == []
    with pytest.raises(ParameterError, match="not an FtM type"):
        AnxImporter(entity_types='{"Drone": "Spaceship"}')
    with pytest.raises(ParameterError, match="JSON"):
        AnxImporter(entity_types="Drone=Airplane")


def test_link_to_a_missing_entity_stops_or_is_skipped(tmp_path):
    text = (FIXTURES / "i2_unknown_icon.anx").read_text(encoding="utf-8").replace('End2Id="2"', 'End2Id="99"')
    path = tmp_path / "dangling.anx"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"ChartItem\[3\].*'99'.*no entity"):
        list(AnxImporter(entity_types='{"Drone": "LegalEntity"}').read(path))
    importer = AnxImporter(on_error="skip", entity_types='{"Drone": "LegalEntity"}')
    records = list(importer.read(path))
    assert len(records) == 2
    assert importer.skipped[0].element.startswith("ChartItem[3]") and importer.skipped[0].action == "left out"


@pytest.mark.parametrize("content, expected", [
    ("<Chart><ChartItemCollection><ChartItem", r"line 1 column \d+: not well-formed XML"),
    ('<?xml version="1.0"?><graphml/>', "root element is <graphml>, expected <Chart>"),
])
def test_bad_anx_gives_a_clear_message_and_an_unchanged_case(tmp_path, content, expected):
    path = tmp_path / "bad.anx"
    path.write_text(content, encoding="utf-8")
    with Case.create(tmp_path / "case.wbcase") as case:
        before = dump(case)
        with pytest.raises(SourceFormatError, match=expected):
            import_file(case, path, importer_id="i2-anx")
        assert dump(case) == before


# ------------------------------------------------------------------------------------- MTGX


def test_mtgx_is_a_zip_with_the_graph_and_shared_values_as_maltego_entities(demo, tmp_path):
    path = tmp_path / "demo.mtgx"
    report = MtgxExporter().write(demo, path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[:2] == ["version.properties", "Graphs/Graph1.graphml"]
        assert "Graphs/Graph1.properties" in names and "Entities/maltego.Person.entity" in names
        root = ElementTree.fromstring(archive.read("Graphs/Graph1.graphml"))
    mtg = "{http://maltego.paterva.com/xml/mtgx}"
    types = {}
    for entity in root.iter(f"{mtg}MaltegoEntity"):
        values = {p.get("name"): p.find(f"{mtg}Value").text for p in entity.iter(f"{mtg}Property")}
        types[values.get("ftm.id") or values.get("phonenumber") or values.get("email") or values.get("url")] = (
            entity.get("type"), values)
    assert types["demo-person-arkady-veltsin"][0] == "maltego.Person"
    assert types["demo-person-arkady-veltsin"][1]["person.fullname"] == "Arkady Vasilyevich Veltsin"
    assert types["demo-co-atlas-crest-trading"][0] == "maltego.Company"
    assert types["demo-org-vostralin-institute"][0] == "maltego.Organization"
    assert types["demo-acct-atlas-crest-usd"][0] == "maltego.BankAccount"
    assert types["demo-acct-atlas-crest-usd"][1]["ftm.schema"] == "BankAccount"
    # Brightwave and Lumen share a phone number: one Maltego entity linked to both.
    brightwave_phone = types["demo-co-brightwave-components"][1]["phone"]
    assert types[brightwave_phone][0] == "maltego.PhoneNumber"
    assert {entity_type for entity_type, _ in types.values()} <= set(STANDARD_MALTEGO_TYPES)
    phone_node = next(node.get("id") for node in root.iter("{http://graphml.graphdrawing.org/xmlns}node")
                      if brightwave_phone in ElementTree.tostring(node, encoding="unicode")
                      and "maltego.PhoneNumber" in ElementTree.tostring(node, encoding="unicode"))
    edges_to_phone = [edge for edge in root.iter("{http://graphml.graphdrawing.org/xmlns}edge")
                      if edge.get("target") == phone_node]
    assert len(edges_to_phone) == 2
    labels = {p.find(f"{mtg}Value").text for link in root.iter(f"{mtg}MaltegoLink") for p in link
              .iter(f"{mtg}Property") if p.get("name") == "maltego.link.manual.type"}
    assert {"owns (100%)", "directs (Director General)"} <= labels
    assert report["value_entities"] > 0


def test_maltego_graph_entities_properties_links_positions(tmp_path):
    importer = MtgxImporter()
    records = list(importer.read(FIXTURES / "maltego_graph.mtgx"))
    by_name = {(r.entity["properties"].get("name") or r.entity["properties"].get("full"))[0]: r
               for r in records if r.entity["schema"] in ("Person", "Company", "Address")}
    lena = by_name["Lena Hartwig"]
    assert lena.entity["schema"] == "Person"
    assert lena.entity["properties"]["firstName"] == ["Lena"] and lena.entity["properties"]["lastName"] == ["Hartwig"]
    assert lena.entity["properties"]["notes"] == ["Shoe size: 39"]
    assert lena.extra["position"] == [-150.5, 20.0]
    baltic, kestrel = by_name["Baltic Reach Shipping OU"], by_name["Kestrel Yard Services"]
    assert baltic.entity["properties"]["phone"] == kestrel.entity["properties"]["phone"] == ["+37255550199"]
    assert baltic.entity["properties"]["email"] == ["ops@balticreach.example"]
    address = by_name["Sadama 25, Tallinn, Estonia"].entity["properties"]
    assert address["city"] == ["Tallinn"] and address["country"] == ["ee"]
    links = {r.entity["schema"]: r.entity["properties"] for r in records
             if r.entity["schema"] in ("Directorship", "Ownership", "UnknownLink")}
    assert links["Directorship"]["director"] == [lena.entity["id"]]
    assert links["Ownership"]["asset"] == [kestrel.entity["id"]]
    assert links["Ownership"]["description"] == ["60% of the shares, per the 2023 filing"]
    assert links["UnknownLink"]["role"] == ["Registered address"]
    # Every node stays an entity (the phone and e-mail address too, their values also given to the
    # companies linked to them), every edge a link: six entities, six links.
    assert sorted(r.entity["schema"] for r in records) == [
        "Address", "Company", "Company", "Directorship", "Ownership", "Person", "UnknownLink", "UnknownLink",
        "UnknownLink", "UnknownLink", "UserAccount", "UserAccount"]


def test_maltego_unknown_entity_type_stops_or_comes_in_as_legal_entity(tmp_path):
    with zipfile.ZipFile(FIXTURES / "maltego_graph.mtgx") as archive:
        graph = archive.read("Graphs/Graph1.graphml").decode("utf-8")
    path = tmp_path / "unknown.mtgx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Graphs/Graph1.graphml", graph.replace('type="maltego.Location"', 'type="acme.Warehouse"'))
    with pytest.raises(SourceFormatError, match="node n5.*'acme.Warehouse'"):
        list(MtgxImporter(unknown_types="stop").read(path))
    importer = MtgxImporter()
    warehouse = next(r for r in list(importer.read(path)) if r.locator.endswith("node n5"))
    assert warehouse.entity["schema"] == "LegalEntity"
    assert "Maltego entity type: acme.Warehouse" in warehouse.entity["properties"]["notes"]
    assert warehouse.extra["maltego_type"] == "acme.Warehouse"
    assert importer.skipped[0].element == "1 Maltego entity of type 'acme.Warehouse' (first Graphs/Graph1.graphml node n5)"


def _large_graph(tmp_path):
    path = tmp_path / "graph.mtgl"
    with zipfile.ZipFile(path, "w") as archive:  # laid out as a Maltego 4 large graph (.mtgl), its index damaged
        archive.writestr("version.properties", "maltego.graph.version=1.2\n")
        archive.writestr("Graphs/Graph1/DataEntities/segments_3", b"\x00" * 16)
        archive.writestr("Graphs/Graph1/Collection/collection-nodes.data", b"\x00" * 16)
    return path


def _not_mtgx(tmp_path):
    path = tmp_path / "notes.mtgx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "meeting notes")
        archive.writestr("Entities/maltego.Person.entity", "<MaltegoEntity/>")
    return path


def _truncated(tmp_path):
    path = tmp_path / "truncated.mtgx"
    path.write_bytes((FIXTURES / "maltego_graph.mtgx").read_bytes()[:300])
    return path


def _damaged(tmp_path):
    data = bytearray((FIXTURES / "maltego_graph.mtgx").read_bytes())
    for offset in range(80, 400):  # inside the compressed graph, behind the local header
        data[offset] ^= 0x5A
    path = tmp_path / "damaged.mtgx"
    path.write_bytes(bytes(data))
    return path


def _not_a_zip(tmp_path):
    path = tmp_path / "graph.mtgx"
    path.write_text("<graphml/>", encoding="utf-8")
    return path


@pytest.mark.parametrize("make, expected", [
    (_not_mtgx, r"a zip archive, but not a Maltego graph: expected Graphs/Graph1.graphml .*found notes.txt"),
    (_large_graph, r"graph.mtgl: Graphs/Graph1/: a Maltego 4 large graph whose index could not be read "
                   r"\(segments_3: not a Lucene file .*save it as .mtgx"),
    (_truncated, "not a readable zip archive"),
    (_damaged, "damaged|not a readable zip|not well-formed"),
    (_not_a_zip, "not a readable zip archive"),
])
def test_bad_mtgx_gives_a_clear_message_and_an_unchanged_case(tmp_path, make, expected):
    path = make(tmp_path)
    with Case.create(tmp_path / "case.wbcase") as case:
        before = dump(case)
        with pytest.raises(SourceFormatError, match=expected) as error:
            import_file(case, path, importer_id="maltego-mtgx")
        assert path.name in str(error.value)
        assert dump(case) == before
    if make is _large_graph:  # recognised without naming the importer, to say what to do
        assert choose_importer(path).id == "maltego-mtgx"


def test_maltego_edge_to_a_missing_node_is_skipped_when_asked(tmp_path):
    with zipfile.ZipFile(FIXTURES / "maltego_graph.mtgx") as archive:
        graph = archive.read("Graphs/Graph1.graphml").decode("utf-8")
    path = tmp_path / "dangling.mtgx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Graphs/Graph1.graphml", graph.replace('source="n0" target="n1"', 'source="n0" target="n9"'))
    with pytest.raises(SourceFormatError, match="edge e0.*'n9'"):
        list(MtgxImporter().read(path))
    importer = MtgxImporter(on_error="skip")
    assert not any(r.entity["schema"] == "Directorship" for r in importer.read(path))
    assert [str(item) for item in importer.skipped] == [
        "Graphs/Graph1.graphml edge e0: links to 'n9', which is no entity in the file; left out"]


# --------------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("format_name", ["anx", "mtgx"])
def test_cli_export_reports_what_the_format_cannot_carry(demo, tmp_path, format_name):
    demo.close()
    out = tmp_path / f"chart.{format_name}"
    result = CliRunner().invoke(main, ["export", str(demo.path), "--format", format_name, str(out)])
    assert result.exit_code == 0, result.output
    assert "26 entities" in result.output and "not carried:" in result.output
    assert out.exists() and not list(tmp_path.glob("*.part"))


def test_the_old_module_path_still_offers_both_formats():
    from workbench_plugins.interchange import i2_maltego

    assert i2_maltego.AnxImporter is AnxImporter and i2_maltego.MtgxExporter is MtgxExporter
    assert {find_plugin(name).__module__ for name in ("i2-anx", "maltego-mtgx")} == {
        "workbench_plugins.interchange.i2_anx", "workbench_plugins.interchange.maltego"}


def test_i2_link_types_and_arrows_survive_export_and_import_again(tmp_path):
    """A Transaction drawn with arrows at both ends (a directed FtM type that then has no
    direction) and a Call drawn one way (read as a link of its own type) go out under their own
    i2 link types with their arrows, not as 'Other link' without arrows, and come back the same."""
    styles = []
    source = FIXTURES / "i2_library_icons.anx"
    links = []
    for round_number in range(2):
        with Case.create(tmp_path / f"case{round_number}.wbcase") as case:
            import_file(case, source)
            links.append(sorted((p.schema.name, tuple(p.get("role", quiet=True))) for p in case.iter_entities()
                                if p.schema.edge))
            out = tmp_path / f"out{round_number}.anx"
            AnxExporter().write(case, out)
        root = ElementTree.fromstring(out.read_bytes())
        styles.append(sorted((style.get("Type"), style.get("ArrowStyle")) for style in root.iter("LinkStyle")))
        source = out
    assert ("Transaction", "ArrowOnBoth") in styles[0] and ("Call", "ArrowOnHead") in styles[0]
    assert not any(type_name == "Other link" for type_name, _ in styles[0])
    assert styles[1] == styles[0]  # a second trip changes nothing
    assert links[1] == links[0]
    assert ("UnknownLink", ("Transaction",)) in links[0]
