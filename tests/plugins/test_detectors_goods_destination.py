"""The goods-and-destination detector family: each fires on the demo's planted pattern (or a planted
hand-built case), stays quiet on a clean case, and follows its parameters."""

from __future__ import annotations

import pytest

from workbench.demo import build_demo_case
from workbench.detecting import run_detectors
from workbench.model import SourceInfo
from workbench.plugin_api import ParameterError, detectors
from workbench.store import Case
from workbench_plugins.detectors import goods_destination as gd

FAMILY = [
    gd.ChplToRiskyDestination,
    gd.TransshipmentReexport,
    gd.IntermediaryAsConsignee,
    gd.FreeTradeZoneConsignee,
    gd.OutsideLineOfBusiness,
    gd.NewCompanyChpl,
    gd.EndUseDocumentMismatch,
]

ATLAS = "demo-co-atlas-crest-trading"
GULFSTAR = "demo-co-gulfstar-logistics"
BRIGHTWAVE = "demo-co-brightwave-components"
KARADENIZ = "demo-co-karadeniz-elektronik"
TEKHSNAB = "demo-co-tekhsnab-vostralin"
SHP = {
    n: f"demo-shp-{n:02d}-{tail}"
    for n, tail in [
        (1, "rheinfeld-atlas-crest"), (2, "atlas-crest-tekhsnab"), (3, "cascade-gulfstar"),
        (4, "atlas-crest-tekhsnab"), (5, "hoshizora-brightwave"), (6, "brightwave-karadeniz"),
        (7, "karadeniz-tekhsnab"), (8, "cascade-brightwave"), (9, "brightwave-vostralin"),
        (10, "hoshizora-rheinfeld"),
    ]
}
EUD = "demo-eud-atlas-crest-2023-007"
# Explanations name shipments by their captions (the goods' description), never by id.
SHP_NAME = {
    1: "'DDR4 SDRAM memory ICs, 16 Gbit, industrial temperature grade'",
    2: "'Electronic integrated circuits (memories), 12 000 pcs'",
    3: "'Field-programmable gate arrays, 28 nm, 350k logic cells'",
}


def run(detector: type, case: Case, **options) -> list[dict]:
    return list(detector(**options).run(case))


def company(entity_id: str, name: str, country: str, **props) -> dict:
    properties = {"name": [name], "country": [country]}
    properties.update({key: value if isinstance(value, list) else [value] for key, value in props.items()})
    return {"id": entity_id, "schema": "Company", "properties": properties}


def shipment(entity_id: str, exporter: str, consignee: str, hs: str, start: str, end: str, origin: str,
             destination: str, **props) -> dict:
    properties = {"exporter": [exporter], "consignee": [consignee], "hsCode": [hs], "startDate": [start],
                  "endDate": [end], "originCountry": [origin], "destinationCountry": [destination]}
    properties.update({key: value if isinstance(value, list) else [value] for key, value in props.items()})
    return {"id": entity_id, "schema": "Shipment", "properties": properties}


# A clean case of ordinary trade that comes close to every rule without breaking one: CHPL chips
# from Germany to a French avionics maker (dotted HS code, through a forwarder), re-exported to the
# US after 48 days; flour to a bakery; bread to Russia (not CHPL); old companies; an end-use
# document that matches its shipment; an industrial-zone address that is not a free zone.
CLEAN = [
    company("nordlicht", "Nordlicht Halbleiter GmbH", "de", incorporationDate="1998-05-04", legalForm="GmbH",
            sector="Semiconductor distribution", address="Leopoldstrasse 12, 80802 Muenchen, Germany"),
    company("lyon", "Lyon Avionique SA", "fr", incorporationDate="1987-02-10", legalForm="Societe anonyme",
            sector="Avionics manufacturing", address="12 rue de la Zone Industrielle, 69200 Venissieux, France"),
    company("boulder", "Boulder Flight Systems Inc", "us", incorporationDate="1990-06-01",
            sector="Aircraft electronics"),
    company("spedition", "Rhein Spedition GmbH", "de", incorporationDate="1975-01-01",
            sector="Freight forwarding"),
    company("moulins", "Moulins de France SA", "fr", incorporationDate="1960-03-01", sector="Flour milling"),
    company("boulangerie", "Boulangerie Martin SARL", "fr", incorporationDate="2001-09-01", sector="Bakery"),
    company("khleb", "OOO Khlebny Dom", "ru", incorporationDate="2005-04-01", sector="Bakery retail"),
    shipment("s1", "nordlicht", "lyon", "8542.31.90", "2023-03-01", "2023-03-03", "de", "fr",
             forwarder="spedition", declaredEndUser="lyon", quantity="500", quantityUnit="pcs"),
    shipment("s2", "lyon", "boulder", "854231", "2023-04-20", "2023-04-25", "fr", "us",
             quantity="500", quantityUnit="pcs"),
    shipment("s3", "moulins", "boulangerie", "1101.00", "2023-05-02", "2023-05-02", "fr", "fr"),
    shipment("s4", "moulins", "khleb", "190590", "2023-06-01", "2023-06-10", "fr", "ru"),
    {"id": "e1", "schema": "EndUseDocument", "properties": {
        "issuer": ["lyon"], "statedEndUser": ["lyon"], "destinationCountry": ["fr"], "coveredShipment": ["s1"],
        "date": ["2023-02-20"], "documentNumber": ["LA-EUC-0042"],
        "endUse": ["flight control units for airliner retrofits"]}},
]

# Hand-built planted patterns the demo does not have (or has only one way).
PLANTED = [
    company("nordlicht", "Nordlicht Halbleiter GmbH", "de", incorporationDate="1998-05-04",
            sector="Semiconductor distribution"),
    company("lyon", "Lyon Avionique SA", "fr", incorporationDate="1987-02-10", sector="Avionics manufacturing"),
    company("crust", "Golden Crust Bakery LLP", "kz", incorporationDate="2015-01-01",
            sector="Industrial bakery and confectionery", address="Abay Avenue 10, Almaty, Kazakhstan"),
    company("banque", "Banque du Levant SAL", "lb", incorporationDate="1970-01-01", sector="Commercial banking"),
    company("steppe", "Steppe Instruments LLP", "kz", incorporationDate="2010-01-01", sector="Scientific instruments"),
    company("agency", "Ministry of Industry of Armenia", "am"),
    # A bakery buying FPGAs: goods outside the line of business.
    shipment("p1", "nordlicht", "crust", "8542.31.0000", "2023-05-02", "2023-05-06", "de", "kz"),
    # An avionics firm buying flour: outside its business, but not CHPL.
    shipment("p2", "crust", "lyon", "110100", "2023-05-10", "2023-05-12", "kz", "fr"),
    # A bank as consignee, with an ordinary end user declared beside it.
    shipment("p3", "nordlicht", "banque", "901380", "2023-06-01", "2023-06-05", "de", "lb",
             declaredEndUser="steppe"),
    # An end-use document naming another end user, another destination, issued from another country.
    shipment("p4", "nordlicht", "crust", "854232", "2023-07-01", "2023-07-03", "de", "kz"),
    {"id": "e2", "schema": "EndUseDocument", "properties": {
        "issuer": ["agency"], "statedEndUser": ["steppe"], "destinationCountry": ["am"], "coveredShipment": ["p4"],
        "date": ["2023-06-20"], "documentNumber": ["AM-2023-17"]}},
]


@pytest.fixture(scope="module")
def demo(module_demo):
    return module_demo


def _case(tmp_path_factory, name: str, records: list[dict]) -> Case:
    case = Case.create(tmp_path_factory.mktemp(name) / f"{name}.wbcase")
    case.ingest(records, SourceInfo(file_name=f"{name}.json"))
    return case


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    case = _case(tmp_path_factory, "clean", CLEAN)
    yield case
    case.close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    case = _case(tmp_path_factory, "planted", PLANTED)
    yield case
    case.close()


def by_evidence(findings: list[dict]) -> dict[tuple[str, ...], dict]:
    return {tuple(f["evidence"]): f for f in findings}


def by_entity(findings: list[dict]) -> dict[str, dict]:
    return {f["entities"][0]: f for f in findings}


# --------------------------------------------------------------------------- family-wide


def test_family_is_discovered_with_manifests():
    found = {d.id: d for d in detectors()}
    for detector in FAMILY:
        assert found.get(detector.id) is detector
        assert detector.reference and "redflags.md #" in detector.reference
        assert detector.severity in ("high", "medium", "low")
        assert detector.manifest()["parameters"]


@pytest.mark.parametrize("detector", FAMILY, ids=lambda d: d.id)
def test_quiet_on_a_clean_case(detector, clean):
    assert run(detector, clean) == []


@pytest.mark.parametrize("detector", FAMILY, ids=lambda d: d.id)
def test_findings_are_plain_deterministic_and_scored(detector, demo):
    first, second = run(detector, demo), run(detector, demo)
    assert first == second
    for finding in first:
        assert finding["entities"] and finding["evidence"] and finding["explanation"]
        assert 0 < finding["score"] <= 1
        assert finding.get("severity", "medium") in ("high", "medium", "low")


def test_hs_codes_are_normalised_to_six_digits():
    assert gd.hs6("8542.32.0010") == "854232"
    assert gd.hs6("854231") == "854231"
    assert gd.hs6("8542 31 90") == "854231"
    assert gd.hs6("8542") is None and gd.hs6("") is None and gd.hs6(None) is None
    assert gd.hs6("30617") == "030617"  # a spreadsheet ate the leading zero
    assert gd.hs_chapter("1101.00") == "11"


def test_whole_family_runs_through_the_runner_and_stores_findings(tmp_path):
    with build_demo_case(tmp_path / "demo.wbcase") as case:
        outcomes = run_detectors(case, [d.id for d in FAMILY])
        assert [o.error for o in outcomes] == [None] * len(FAMILY)
        counts = {o.detector_id: o.findings for o in outcomes}
        assert counts == {
            "chpl-to-risky-destination": 9, "transshipment-reexport": 5, "intermediary-as-consignee": 4,
            "free-trade-zone-consignee": 2, "outside-line-of-business": 0, "new-company-chpl": 4,
            "end-use-document-mismatch": 1,
        }
        for detector_id, count in counts.items():
            assert len(case.findings(detector_id=detector_id)) == count
        stored = case.findings(detector_id="end-use-document-mismatch")[0]
        assert stored["evidence"]["facts"] == sorted([EUD, SHP[1], SHP[2]])
        assert stored["severity"] == "high" and "re-exported HS 854232 to Russia" in stored["explanation"]
        reexport = case.findings(detector_id="transshipment-reexport")
        assert reexport[0]["parameters"]["days"] == 30
        # A re-run finds the same findings again rather than adding new ones.
        again = run_detectors(case, ["transshipment-reexport"])
        assert again[0].counts == {"new": 0, "updated": 5, "no_longer_found": 0}


# --------------------------------------------------------------------------- 1. CHPL to risky places


def test_chpl_to_risky_destination_on_the_demo(demo):
    found = by_evidence(run(gd.ChplToRiskyDestination, demo))
    assert set(found) == {(SHP[n],) for n in range(1, 10)}  # not 10: Japan to Germany
    to_russia = found[(SHP[2],)]
    assert to_russia["entities"] == [ATLAS, TEKHSNAB]
    assert to_russia["score"] == 1.0 and to_russia["severity"] == "high"
    for words in ("Atlas Crest General Trading FZE", "OOO Tekhsnab-Vostralin", "HS 854232", "CHPL tier 1",
                  "Russia (a restricted country)", "2023-03-19", "USD 402,000", "Türkiye (a transshipment country)"):
        assert words in to_russia["explanation"]
    to_uae = found[(SHP[1],)]
    assert to_uae["severity"] == "medium" and to_uae["score"] == 0.7
    assert "United Arab Emirates (a transshipment country)" in to_uae["explanation"]
    # Tier 2 capacitors weigh less than tier 1 chips on the same kind of route.
    assert found[(SHP[7],)]["score"] < found[(SHP[2],)]["score"]
    assert found[(SHP[7],)]["details"]["chpl_tier"] == "2"


def test_chpl_to_risky_destination_follows_its_parameters(demo):
    only_restricted = by_evidence(run(gd.ChplToRiskyDestination, demo, transshipment_countries=""))
    assert set(only_restricted) == {(SHP[n],) for n in (2, 4, 7, 9)}
    tier_two = by_evidence(run(gd.ChplToRiskyDestination, demo, tiers="2"))
    assert set(tier_two) == {(SHP[n],) for n in (5, 6, 7)}
    # Iran as the only listed country: shipment 04 crosses it; without transit nothing is found.
    assert set(by_evidence(run(gd.ChplToRiskyDestination, demo, restricted_destinations="ir",
                               transshipment_countries=""))) == {(SHP[4],)}
    assert run(gd.ChplToRiskyDestination, demo, restricted_destinations="ir", transshipment_countries="",
               include_transit=False) == []
    with pytest.raises(ParameterError, match="neither an ISO country code nor a reference table"):
        gd.ChplToRiskyDestination(restricted_destinations="no_such_table")


def test_chpl_to_risky_destination_reads_dotted_codes(planted):
    found = by_evidence(run(gd.ChplToRiskyDestination, planted))
    assert ("p1",) in found  # "8542.31.0000" to Kazakhstan
    assert "HS 854231" in found[("p1",)]["explanation"] and "Kazakhstan" in found[("p1",)]["explanation"]


# --------------------------------------------------------------------------- 2. import then re-export


def test_transshipment_reexport_on_the_demo(demo):
    found = by_evidence(run(gd.TransshipmentReexport, demo))
    assert set(found) == {(SHP[1], SHP[2]), (SHP[3], SHP[4]), (SHP[5], SHP[6]), (SHP[6], SHP[7]),
                          (SHP[8], SHP[9])}
    atlas = found[(SHP[1], SHP[2])]
    assert atlas["entities"] == [ATLAS, "demo-co-rheinfeld-elektronik", TEKHSNAB]
    assert atlas["severity"] == "high" and atlas["score"] > 0.9
    for words in ("Atlas Crest General Trading FZE re-exported HS 854232 to Russia", "9 days after importing it",
                  "into United Arab Emirates from Germany", "arrived 2023-03-10", "left 2023-03-19",
                  f"shipment {SHP_NAME[1]} from Rheinfeld", f"shipment {SHP_NAME[2]} to OOO Tekhsnab-Vostralin",
                  "Same quantity both times: 12,000 pcs"):
        assert words in atlas["explanation"]
    assert atlas["details"]["days"] == 9 and atlas["details"]["hs6"] == "854232"
    # Route 2: Atlas Crest was declared end user and notify party, the forwarder the consignee.
    fpga = found[(SHP[3], SHP[4])]
    assert "as declared end user and notify party" in fpga["explanation"]
    assert "consignee Gulfstar Freight & Logistics FZCO" in fpga["explanation"]


def test_transshipment_reexport_follows_its_parameters(demo):
    assert run(gd.TransshipmentReexport, demo, days=8) == []
    nine_days = by_evidence(run(gd.TransshipmentReexport, demo, days=10))
    assert set(nine_days) == {(SHP[1], SHP[2]), (SHP[3], SHP[4]), (SHP[6], SHP[7])}
    consignee_only = by_evidence(run(gd.TransshipmentReexport, demo, receiving_roles="consignee"))
    assert (SHP[3], SHP[4]) not in consignee_only and (SHP[1], SHP[2]) in consignee_only
    # Hong Kong to Türkiye is a transshipment hop, not a restricted one.
    assert (SHP[5], SHP[6]) not in by_evidence(run(gd.TransshipmentReexport, demo, transshipment_countries=""))
    with pytest.raises(ParameterError, match="unknown role"):
        gd.TransshipmentReexport(receiving_roles="buyer")


def test_transshipment_reexport_window_reaches_a_late_reexport(clean):
    # Lyon re-exported the chips 48 days later, to the US: listed as transshipment point here, it fires.
    found = run(gd.TransshipmentReexport, clean, days=60, transshipment_countries="us")
    assert [f["evidence"] for f in found] == [["s1", "s2"]]
    assert "48 days after importing it into France from Germany" in found[0]["explanation"]


# --------------------------------------------------------------------------- 3. intermediary as consignee


def test_intermediary_as_consignee_on_the_demo(demo):
    found = by_entity(run(gd.IntermediaryAsConsignee, demo))
    assert set(found) == {ATLAS, BRIGHTWAVE, GULFSTAR, KARADENIZ}
    gulfstar = found[GULFSTAR]
    assert gulfstar["evidence"] == [SHP[3], SHP[1], SHP[2], SHP[4]]  # consignee of 03; forwarder of the others
    assert gulfstar["severity"] == "high" and gulfstar["score"] == 0.9
    for words in ("Gulfstar Freight & Logistics FZCO looks like a forwarder", "'freight'", "'forwarding'",
                  "named as forwarder on 3 shipments", f"consignee of shipment {SHP_NAME[3]}", "HS 854231",
                  "Cascade Signal Devices"):
        assert words in gulfstar["explanation"]
    atlas = found[ATLAS]
    assert "trading house" in atlas["explanation"] and "end-use document ACGT-EUC-2023-007" in atlas["explanation"]
    assert atlas["score"] < gulfstar["score"]


def test_intermediary_as_consignee_follows_its_parameters(demo):
    assert set(by_entity(run(gd.IntermediaryAsConsignee, demo, trading_keywords=""))) == {GULFSTAR}
    assert run(gd.IntermediaryAsConsignee, demo, trading_keywords="", forwarder_keywords="",
               use_forwarder_role=False) == []
    # By its role alone (forwarder on three other shipments) Gulfstar is still a forwarder.
    by_role = by_entity(run(gd.IntermediaryAsConsignee, demo, trading_keywords="", forwarder_keywords=""))
    assert set(by_role) == {GULFSTAR} and "named as forwarder on 3 shipments" in by_role[GULFSTAR]["explanation"]
    without_documents = by_entity(run(gd.IntermediaryAsConsignee, demo, include_end_use_documents=False))
    assert EUD not in without_documents[ATLAS]["evidence"]


def test_bank_consignee_with_a_separate_end_user_scores_low(planted):
    found = by_entity(run(gd.IntermediaryAsConsignee, planted))
    bank = found["banque"]
    assert bank["severity"] == "low" and bank["score"] < 0.7
    assert "looks like a bank" in bank["explanation"] and "'banking'" in bank["explanation"]
    assert "A separate end user is declared on each of these shipments (Steppe Instruments LLP)" in bank["explanation"]


# --------------------------------------------------------------------------- 4. free trade zones


def test_free_trade_zone_consignee_on_the_demo(demo):
    found = by_entity(run(gd.FreeTradeZoneConsignee, demo))
    assert set(found) == {ATLAS, GULFSTAR}
    atlas = found[ATLAS]
    assert atlas["evidence"] == [SHP[1], SHP[3], EUD]
    for words in ("Atlas Crest General Trading FZE is in a free trade zone", "Dubai Airport Free Zone",
                  "'free zone'", "'FZE'", "declared end user of shipment", "CHPL goods"):
        assert words in atlas["explanation"]
    assert "'Jebel Ali'" in found[GULFSTAR]["explanation"]
    assert atlas["score"] > found[GULFSTAR]["score"]  # an end user in a free zone weighs more


def test_free_trade_zone_consignee_follows_its_parameters(demo):
    with_hk = by_entity(run(gd.FreeTradeZoneConsignee, demo, extra_patterns="Lockhart Road"))
    assert set(with_hk) == {ATLAS, BRIGHTWAVE, GULFSTAR}
    consignees = by_entity(run(gd.FreeTradeZoneConsignee, demo, roles="consignee"))
    assert consignees[ATLAS]["evidence"] == [SHP[1]]
    assert run(gd.FreeTradeZoneConsignee, demo, patterns_table="") == []
    with pytest.raises(ParameterError):
        gd.FreeTradeZoneConsignee(patterns_table="no_such_table")


# --------------------------------------------------------------------------- 5. line of business


def test_outside_line_of_business_is_quiet_on_the_demo_buyers(demo):
    # The demo plants no line-of-business mismatch: its buyers all say they deal in electronics,
    # and the forwarder and procurement arm state no sector the table knows.
    assert run(gd.OutsideLineOfBusiness, demo) == []


def test_outside_line_of_business_fires_on_a_bakery_buying_fpgas(planted):
    found = by_entity(run(gd.OutsideLineOfBusiness, planted))
    assert set(found) == {"crust"}
    bakery = found["crust"]
    assert bakery["evidence"] == ["p1", "p4"]
    for words in ("Golden Crust Bakery LLP received HS 854231 (chapter 85, CHPL tier 1) in shipment 8542.31.0000",
                  "Nordlicht Halbleiter GmbH", "'bakery'", "02-22", "not 85", "Heuristic"):
        assert words in bakery["explanation"]


def test_outside_line_of_business_follows_its_parameters(planted):
    allowed = gd.render_sector_table(gd.SECTOR_CHAPTERS).replace("=02-22,39,48", "=02-22,39,48,85")
    assert run(gd.OutsideLineOfBusiness, planted, sector_chapters=allowed) == []
    # Flour for an avionics maker is not CHPL: judged only when asked to.
    everything = by_entity(run(gd.OutsideLineOfBusiness, planted, chpl_only=False))
    assert set(everything) == {"crust", "lyon"}
    assert "HS 110100 (chapter 11)" in everything["lyon"]["explanation"]
    with pytest.raises(ParameterError, match="sector_chapters"):
        gd.OutsideLineOfBusiness(sector_chapters="bakery=eighty-five")


# --------------------------------------------------------------------------- 6. new company


def test_new_company_chpl_on_the_demo(demo):
    found = by_entity(run(gd.NewCompanyChpl, demo))
    assert set(found) == {ATLAS, BRIGHTWAVE, KARADENIZ, TEKHSNAB}
    atlas = found[ATLAS]
    assert atlas["evidence"] == [SHP[1], SHP[2], SHP[3], SHP[4]]
    for words in ("incorporated on 2022-12-14", "82 days later, on 2023-03-06", "HS 854232 (tier 1)",
                  "Rheinfeld Elektronik Vertrieb GmbH", f"shipment {SHP_NAME[1]}", "less than 12 months", "after 2022-02-24"):
        assert words in atlas["explanation"]
    assert atlas["score"] > found[TEKHSNAB]["score"]  # 82 days weighs more than 335


def test_new_company_chpl_follows_its_parameters(demo):
    assert set(by_entity(run(gd.NewCompanyChpl, demo, months=3, cutoff_date=""))) == {ATLAS, BRIGHTWAVE}
    assert run(gd.NewCompanyChpl, demo, months=1, cutoff_date="") == []
    # Incorporated after the cutoff alone still counts.
    assert set(by_entity(run(gd.NewCompanyChpl, demo, months=0))) == {ATLAS, BRIGHTWAVE, KARADENIZ, TEKHSNAB}
    with pytest.raises(ParameterError, match="cutoff_date"):
        gd.NewCompanyChpl(cutoff_date="after the war")


# --------------------------------------------------------------------------- 7. end-use documents


def test_end_use_document_mismatch_on_the_demo(demo):
    [finding] = run(gd.EndUseDocumentMismatch, demo)
    assert finding["evidence"] == [EUD, SHP[1], SHP[2]]
    assert finding["entities"] == [ATLAS, TEKHSNAB]
    assert finding["severity"] == "high" and finding["score"] == 0.95
    for words in ("ACGT-EUC-2023-007", "civilian telecommunications research", "destination United Arab Emirates",
                  "Atlas Crest General Trading FZE re-exported HS 854232 to Russia (OOO Tekhsnab-Vostralin)",
                  "on 2023-03-19, 9 days after", "arrived on 2023-03-10"):
        assert words in finding["explanation"]
    assert finding["details"]["mismatches"] == ["re-export"]


def test_end_use_document_mismatch_follows_its_parameters(demo, clean):
    assert run(gd.EndUseDocumentMismatch, demo, days=5) == []
    # The clean document's goods went to the US 48 days after they arrived in France.
    [late] = run(gd.EndUseDocumentMismatch, clean, days=60)
    assert late["evidence"] == ["e1", "s1", "s2"] and "to United States" in late["explanation"]
    assert late["severity"] == "high" and late["score"] == 0.8


def test_end_use_document_naming_another_end_user_and_destination(planted):
    [finding] = run(gd.EndUseDocumentMismatch, planted)
    assert finding["details"]["mismatches"] == ["end user", "destination", "issuer country"]
    for words in ("AM-2023-17", "states end user Steppe Instruments LLP, destination Armenia",
                  "shipment 854232 went to Golden Crust Bakery LLP, not to the stated end user",
                  "shipment 854232 went to Kazakhstan, not to Armenia",
                  "the issuer Ministry of Industry of Armenia is in Armenia while the end user is in Kazakhstan"):
        assert words in finding["explanation"]
    quieter = run(gd.EndUseDocumentMismatch, planted, check_issuer_country=False)
    assert quieter[0]["details"]["mismatches"] == ["end user", "destination"]
