"""Files laid out as Gephi 0.9, yEd 3.x, yFiles for Java 2.x and Maltego 4.2 write them.

The fixtures (tests/fixtures/interchange/make_real_structure.py: gephi, yed, maltego42_bare)
follow files those tools wrote, found in public repositories, element by element, with invented
content; the README beside them names what was studied. Each imports with default settings with
every node an entity on the chart and every edge a link.
"""

from pathlib import Path
from xml.etree import ElementTree

import pytest

from workbench.importing import import_file
from workbench.model import model
from workbench.plugin_api import choose_importer
from workbench.store import Case

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"


def file_counts(path):
    root = ElementTree.parse(path).getroot()
    local = [element.tag.rsplit("}", 1)[-1] for element in root.iter()]
    return local.count("node"), local.count("edge")


def case_counts(case):
    counts = case.counts_by_schema()
    entities = sum(count for name, count in counts.items() if not model.get(name).edge)
    return entities, sum(counts.values()) - entities


@pytest.mark.parametrize("name, importer", [
    ("yed_diagram.graphml", "graphml"), ("yfiles28_diagram.graphml", "graphml"),
    ("gephi093_export.gexf", "gexf"), ("maltego42_copied.graphml", "maltego-mtgx")])
def test_tool_files_import_whole_with_default_settings(tmp_path, name, importer):
    path = FIXTURES / name
    assert choose_importer(path).id == importer
    with Case.create(tmp_path / "case.wbcase") as case:
        outcome = import_file(case, path)
        assert outcome.left_out == []
        assert case_counts(case) == file_counts(path)  # every node an entity, every edge a link
        assert len(case.positions()) == file_counts(path)[0]  # every node where the tool drew it


@pytest.mark.parametrize("name", ["yed_diagram.graphml", "yfiles28_diagram.graphml"])
def test_yed_labels_name_the_entities_and_blank_values_add_nothing(tmp_path, name):
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, FIXTURES / name)
        entities = [p for p in case.iter_entities() if not p.schema.edge]
        links = [p for p in case.iter_entities() if p.schema.edge]
        # The group node and the nodes inside it are entities too; a shape without text keeps its id.
        assert sorted(p.caption for p in entities) == sorted([
            "Free zone warehouse", "Bonded store B7", "Loading bay", "Forwarder", "n2", "Consignee (Tbilisi)"])
        assert sorted(r for p in links for r in p.get("role", quiet=True)) == ["collected by", "delivers to", "staged"]
        # yEd writes <data key="d5"/> (an empty description) on every node: no "description: " note.
        assert not any(p.get("notes", quiet=True) or p.get("description", quiet=True) for p in entities)


def test_gephi_weights_attributes_and_layout_come_in(tmp_path):
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, FIXTURES / "gephi093_export.gexf")
        caspian = next(p for p in case.iter_entities() if p.caption == "Caspian Logistics FZE")
        assert caspian.get("notes") == ["Modularity Class: 1\nDegree: 4"]  # the empty 'registry' left out
        links = [p for p in case.iter_entities() if p.schema.edge]
        weights = dict(case.record_extras("weight"))
        assert sorted(weights[p.id] for p in links) == [1.0, 1.0, 2.0, 3.0, 5.0]
        assert sorted(r for p in links for r in p.get("role")) == ["charters", "ships to", "supplies"]


def test_maltego4_keeps_two_entities_of_one_type_and_value(tmp_path):
    """Maltego 4 keeps two 'Valletta, Malta' locations (their own ids) and two ports 8443: they
    were merged into one each, so the chart had 6 entities for the graph's 8 nodes."""
    path = FIXTURES / "maltego42_copied.graphml"
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, path)
        places = [p for p in case.iter_entities() if p.schema.name == "Address"]
        assert [p.caption for p in places] == ["Valletta, Malta"] * 2 and places[0].id != places[1].id
        ports = [p for p in case.iter_entities() if "Port Number: 8443" in p.get("notes", quiet=True)]
        assert len(ports) == 2
        # The person is linked to both places, as on the graph.
        person = next(p for p in case.iter_entities() if p.schema.name == "Person")
        office = {p.first("object") for p in case.iter_entities() if p.schema.edge and p.first("subject") == person.id
                  and p.get("role") == ["Office of"]}
        assert {p.id for p in places} <= office
    with Case.create(tmp_path / "again.wbcase") as again:  # the same file again: the same ids
        import_file(again, path)
        assert {p.id for p in again.iter_entities()} == {p.id for p in Case.open(tmp_path / "case.wbcase").iter_entities()}


def test_maltego4_large_graph_imports_from_its_lucene_indexes(tmp_path):
    """A .mtgl keeps no GraphML: its entities, links and positions sit in Lucene indexes tied by
    __key. Every live entity and link comes in; a replaced entity's old document does not."""
    path = FIXTURES / "maltego4_large.mtgl"
    assert choose_importer(path).id == "maltego-mtgx"
    with Case.create(tmp_path / "case.wbcase") as case:
        outcome = import_file(case, path)
        assert case_counts(case) == (6, 5)
        assert len(case.positions()) == 6
        companies = [p for p in case.iter_entities() if p.schema.name == "Company"]
        assert [p.caption for p in companies] == ["Harbour Freight Services Ltd"]  # not the deleted "Harbour Freight"
        assert companies[0].get("notes") == ["Registered 2019; freight forwarding"]  # the entity's notes
        assert companies[0].get("website") == ["http://harbour-freight.example/"]  # from the linked domain
        # The transform link Maltego labelled "Director" is a directorship; the others keep their transform.
        assert case.counts_by_schema()["Directorship"] == 1
        officer = next(p for p in case.iter_entities() if p.caption == "VARGA, Ilse")
        assert "Appointments: 3" in officer.get("notes")
        assert [str(item).split(" (first")[0] for item in outcome.left_out] == [
            "1 Maltego entity of type 'acme.registry.Officer'"]
        place = next(p for p in case.iter_entities() if p.schema.name == "Address")
        assert case.positions()[place.id] == (360.0, 90.0)


def test_a_damaged_maltego4_index_stops_the_import_with_where(tmp_path):
    import zipfile

    damaged = tmp_path / "damaged.mtgl"
    with zipfile.ZipFile(FIXTURES / "maltego4_large.mtgl") as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "Graphs/Graph1/DataEntities/_0.fdt":
                data = data[:60]  # cut inside its stored documents
            target.writestr(info.filename, data)
    with Case.create(tmp_path / "case.wbcase") as case:
        with pytest.raises(Exception, match=r"damaged.mtgl: Graphs/Graph1/: a Maltego 4 large graph whose index "
                                            r"could not be read \(_0.fdt: ends early"):
            import_file(case, damaged)
        assert case.counts_by_schema() == {}


LONG_TEXT = ("description", "notes", "summary")


@pytest.mark.parametrize("name", ["yed_diagram.graphml", "gephi093_export.gexf", "maltego42_copied.graphml",
                                  "maltego4_large.mtgl"])
def test_tool_files_go_out_and_come_back_in_every_format(tmp_path, name):
    """What came from another tool's file keeps every entity and link in every export format;
    values too, except that several long-text values (notes Maltego's properties became) share
    one ANX attribute or Maltego property: a loss each of those exports names."""
    from workbench.plugin_api import find_exporter

    def values(case, long_text):
        return sum(len(v) for p in case.iter_entities() for prop, v in p.properties.items()
                   if (prop in LONG_TEXT) == long_text)

    with Case.create(tmp_path / "source.wbcase") as source:
        import_file(source, FIXTURES / name)
        counts, plain = source.counts_by_schema(), values(source, False)
    for format_name in ("gexf", "graphml", "ftm", "ftm-statements", "xlsx", "anx", "mtgx"):
        out = tmp_path / f"out.{ {'ftm': 'ftm.json', 'ftm-statements': 'csv'}.get(format_name, format_name) }"
        with Case.open(tmp_path / "source.wbcase") as source:
            report = find_exporter(format_name)().write(source, out)
            long_text = values(source, True)
        with Case.create(tmp_path / f"back-{format_name}.wbcase") as back:
            import_file(back, out)
            assert back.counts_by_schema() == counts, format_name
            assert values(back, False) == plain, format_name
            if values(back, True) != long_text:
                assert format_name in ("anx", "mtgx")
                assert any("several values of a long-text property" in loss for loss in report["losses"])


@pytest.mark.parametrize("name", ["i2_chart.anx", "maltego_graph.mtgx", "maltego4_large.mtgl"])
def test_a_phone_number_node_is_named_by_its_number_on_the_chart(tmp_path, name):
    """i2's Telephone and Maltego's PhoneNumber come in as UserAccount holding the number in
    `phone`, a property that names no account: the chart showed the entity's hash id."""
    with Case.create(tmp_path / "case.wbcase") as case:
        import_file(case, FIXTURES / name)
        captions = case.captions()
        phones = [p for p in case.iter_entities() if p.schema.name == "UserAccount" and p.get("phone")]
        digits = lambda text: "".join(ch for ch in text or "" if ch.isdigit())  # noqa: E731
        # Named by the number as the tool showed it ("+420 601 555 014"); `phone` keeps it cleaned.
        assert phones and all(captions[p.id] and digits(captions[p.id]) == digits(p.first("phone")) for p in phones)
