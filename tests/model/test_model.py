import pytest

from workbench.model import get_schema, make_entity, model, parse_grade
from workbench.model.grading import Grade


def test_shipment_is_a_directed_edge_from_exporter_to_consignee():
    shipment = get_schema("Shipment")
    assert shipment.edge and shipment.edge_directed
    assert shipment.source_prop.name == "exporter"
    assert shipment.target_prop.name == "consignee"
    for prop in ("notifyParty", "forwarder", "declaredEndUser", "hsCode", "goodsDescription", "quantity",
                 "amount", "currency", "originCountry", "destinationCountry", "transitCountries",
                 "vessel", "carrier", "startDate", "endDate"):
        assert shipment.get(prop) is not None, prop


def test_workbench_schemata_add_reverse_properties_to_ftm_types():
    # A company page can list the shipments it exported, as it lists its payments.
    assert model["Company"].get("shipmentsExported") is not None
    assert model["Shipment"].get("endUseDocuments") is not None


def test_end_use_document_links_issuer_end_user_and_shipment():
    doc = make_entity("EndUseDocument", "eud-1")
    doc.add("issuer", "co-1")
    doc.add("statedEndUser", "co-2")
    doc.add("coveredShipment", "ship-1")
    doc.add("destinationCountry", "Armenia")
    doc.add("date", "2023-04-01")
    assert doc.get("destinationCountry") == ["am"]  # FtM's country type normalises names
    assert doc.get("coveredShipment") == ["ship-1"]


def test_ftm_global_model_sees_workbench_schemata():
    from followthemoney.model import Model

    proxy = Model.instance().get_proxy({"id": "s1", "schema": "Shipment", "properties": {"hsCode": ["854231"]}})
    assert proxy.schema.name == "Shipment"


@pytest.mark.parametrize("text, expected", [("B2", Grade("B", 2)), (" a1 ", Grade("A", 1)), ("f6", Grade("F", 6))])
def test_parse_grade(text, expected):
    assert parse_grade(text) == expected


@pytest.mark.parametrize("text", ["G2", "B7", "", "2B", "B22"])
def test_parse_grade_rejects_non_admiralty_grades(text):
    with pytest.raises(ValueError, match="A-F"):
        parse_grade(text)


def test_weak_grades():
    assert parse_grade("E5").is_weak
    assert parse_grade("B4").is_weak
    assert not parse_grade("B2").is_weak
