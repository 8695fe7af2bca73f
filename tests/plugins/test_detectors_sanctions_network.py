"""The sanctions-and-network detector family, on the demo case's planted patterns and on clean data."""

import pytest

from workbench.demo import build_demo_case
from workbench.detecting import run_detectors
from workbench.model import SourceInfo
from workbench.plugin_api import ParameterError, detectors
from workbench_plugins.detectors.sanctions_network import (
    CivilianNearMilitary,
    ListedNameMatch,
    MassRegistrationOrNominee,
    Ofac50Percent,
    OpaqueOwnership,
    SharedIdentifierWithListed,
    normalise_address,
    normalise_phone,
)

FAMILY = [
    "listed-name-match",
    "ofac-50-percent",
    "shared-identifier-with-listed",
    "mass-registration-or-nominee",
    "opaque-ownership",
    "civilian-near-military",
]


def entity(entity_id, schema, **props):
    return {
        "id": entity_id,
        "schema": schema,
        "properties": {prop: value if isinstance(value, list) else [value] for prop, value in props.items()},
    }


@pytest.fixture(scope="module")
def demo(module_demo):
    """The demo case, shared by the tests that only read it."""
    return module_demo


@pytest.fixture
def fresh_demo(tmp_path):
    """A demo case of its own, for tests that write to it."""
    case = build_demo_case(tmp_path / "demo.wbcase")
    yield case
    case.close()


# A small, ordinary trade: a German machine-tool maker, its holding and owner, an Estonian buyer
# that pays for and declares itself end user of one lathe. A sanctioned North Korean exporter is
# in the case too (from a list), linked to nobody.
CLEAN = [
    entity("c-owner", "Person", name="Jens Albers", nationality="de", address="Elbchaussee 40, 22765 Hamburg"),
    entity("c-holding", "Company", name="Nordlicht Holding GmbH", country="de",
           address="Hafenstrasse 12, 20457 Hamburg, Germany"),
    entity("c-maker", "Company", name="Nordlicht Maschinenbau GmbH", country="de",
           address="Hafenstrasse 14, 20457 Hamburg, Germany", phone="+494055501234",
           email="sales@nordlicht.example", sector="Machine tools"),
    entity("c-buyer", "Company", name="Baltic Precision Tools OU", country="ee",
           address="Tartu mnt 55, 10115 Tallinn, Estonia", phone="+3726005544", email="info@balticprecision.example"),
    entity("c-own-1", "Ownership", owner="c-owner", asset="c-holding", percentage="100", startDate="2015-01-01"),
    entity("c-own-2", "Ownership", owner="c-holding", asset="c-maker", percentage="100", startDate="2015-01-01"),
    entity("c-dir-1", "Directorship", director="c-owner", organization="c-holding", role="Managing director"),
    entity("c-dir-2", "Directorship", director="c-owner", organization="c-maker", role="Managing director"),
    entity("c-pay-1", "Payment", payer="c-buyer", beneficiary="c-maker", amount="48000", currency="EUR",
           date="2023-05-02"),
    entity("c-shp-1", "Shipment", exporter="c-maker", consignee="c-buyer", declaredEndUser="c-buyer",
           hsCode="845811", destinationCountry="ee", originCountry="de", startDate="2023-05-20"),
    entity("c-eud-1", "EndUseDocument", issuer="c-buyer", statedEndUser="c-buyer", endUse="own workshop",
           destinationCountry="ee", date="2023-04-20", coveredShipment="c-shp-1"),
    entity("list-zenith", "Organization", name="Zenith Arms Export Corporation", country="kp",
           sector="Military equipment exports", address="Sosong District 12, Pyongyang", topics="sanction"),
    entity("list-zenith-sanction", "Sanction", entity="list-zenith", authority="UN Security Council",
           program="DPRK", listingDate="2017-08-05"),
]


@pytest.fixture
def clean(case_of):
    return case_of(CLEAN, "clean", file_name="clean.json")


def run(detector_class, case, **options):
    return list(detector_class(**options).run(case))


def by_entity(findings):
    return {finding["entities"][0]: finding for finding in findings}


# ---------------------------------------------------------------------- the family


def test_the_family_is_discovered_with_references_to_the_published_indicators():
    found = {d.id: d for d in detectors()}
    for detector_id, number in zip(FAMILY, ["#1", "#2", "#3", "#24", "#25", "#26"]):
        assert detector_id in found
        assert found[detector_id].reference.endswith(f"redflags.md {number}")
        assert found[detector_id].severity in ("high", "medium", "low")


@pytest.mark.parametrize("detector_id", FAMILY)
def test_quiet_on_a_clean_case(clean, detector_id):
    detector = next(d for d in detectors() if d.id == detector_id)
    assert list(detector().run(clean)) == []


def test_the_whole_family_runs_and_stores_its_findings(fresh_demo):
    outcomes = run_detectors(fresh_demo, FAMILY)
    assert [o.detector_id for o in outcomes] == FAMILY
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    for outcome in outcomes:
        stored = fresh_demo.findings(detector_id=outcome.detector_id)
        assert len(stored) == outcome.findings > 0
        assert all(f["explanation"] and f["evidence"]["entities"] for f in stored)
    fifty = fresh_demo.findings(detector_id="ofac-50-percent")
    assert {f["evidence"]["entities"][0] for f in fifty} >= {"demo-co-tekhsnab-vostralin", "demo-co-brightwave-components"}
    # A re-run finds the same and keeps them current.
    again = run_detectors(fresh_demo, FAMILY)
    assert all(o.counts["new"] == 0 and o.counts["no_longer_found"] == 0 for o in again)


@pytest.mark.parametrize("detector_class", [ListedNameMatch, Ofac50Percent, SharedIdentifierWithListed,
                                            MassRegistrationOrNominee, OpaqueOwnership, CivilianNearMilitary])
def test_output_is_deterministic(demo, detector_class):
    assert run(detector_class, demo) == run(detector_class, demo)


# ---------------------------------------------------------------------- 1. listed-name-match


def test_name_match_finds_the_procurement_arm_named_after_the_listed_institute(demo):
    findings = run(ListedNameMatch, demo)
    assert [f["entities"] for f in findings] == [["demo-co-tekhsnab-vostralin"]]
    finding = findings[0]
    assert finding["evidence"] == ["demo-org-vostralin-institute", "demo-sanction-vostralin-ofac"]
    assert finding["severity"] == "medium" and 0.6 <= finding["score"] < 0.7
    text = finding["explanation"]
    for words in ("OOO Tekhsnab-Vostralin resembles listed Vostralin Research Institute",
                  "RUSSIA-EO14024", "listed 2022-06-28", "'NII Vostralin' (alias)", "same country ru"):
        assert words in text


def test_name_match_threshold_changes_the_outcome(demo):
    assert run(ListedNameMatch, demo, threshold=0.7) == []


def test_name_match_respects_the_analysts_decisions(fresh_demo):
    fresh_demo.record_match_decision("demo-co-tekhsnab-vostralin", "demo-org-vostralin-institute", "different")
    assert run(ListedNameMatch, fresh_demo) == []
    fresh_demo.record_match_decision("demo-co-tekhsnab-vostralin", "demo-org-vostralin-institute", "same")
    [confirmed] = run(ListedNameMatch, fresh_demo)
    assert confirmed["entities"] == ["demo-co-tekhsnab-vostralin"] and confirmed["score"] == 1.0
    assert confirmed["severity"] == "high" and "the analyst decided they are the same party" in confirmed["explanation"]


def test_name_match_on_a_spelling_variant_of_a_listed_name(clean):
    clean.ingest([entity("inv-zenith", "Company", name="Zenith Arms Export Corp.", country="kp")],
                 SourceInfo(file_name="invoice.xlsx"))
    [finding] = run(ListedNameMatch, clean)
    assert finding["entities"] == ["inv-zenith"]
    assert finding["evidence"] == ["list-zenith", "list-zenith-sanction"]
    assert finding["severity"] == "high" and finding["score"] >= 0.85
    assert "UN Security Council, DPRK, listed 2017-08-05" in finding["explanation"]


# ---------------------------------------------------------------------- 2. ofac-50-percent


def test_fifty_percent_rule_on_the_demo(demo):
    findings = by_entity(run(Ofac50Percent, demo))
    # Tekhsnab directly, Brightwave in aggregate, and Veltsin's layered companies in cascade;
    # bank accounts follow their holders and the listed parties themselves are not reported.
    assert set(findings) == {
        "demo-co-tekhsnab-vostralin", "demo-co-brightwave-components", "demo-co-meridian-pacific-holdings",
        "demo-co-northgate-ventures", "demo-co-orient-delta-holdings", "demo-co-atlas-crest-trading",
    }
    brightwave = findings["demo-co-brightwave-components"]
    assert brightwave["evidence"] == ["demo-own-veltsin-brightwave", "demo-own-vostralin-brightwave"]
    for words in ("Brightwave Components Limited is 51% owned, in aggregate", "Arkady Vasilyevich Veltsin 26%",
                  "Vostralin Research Institute of Radio-Electronic Systems 25%", "since 2023-04-11",
                  "No single owner reaches 50%; together they do"):
        assert words in brightwave["explanation"]
    atlas = findings["demo-co-atlas-crest-trading"]
    assert atlas["evidence"] == ["demo-own-meridian-northgate", "demo-own-northgate-atlas-crest",
                                 "demo-own-veltsin-meridian"]
    assert ("Chain: Arkady Vasilyevich Veltsin (listed) → 60% Meridian Pacific Holdings Ltd → "
            "100% Northgate Ventures Limited → 100% Atlas Crest General Trading FZE") in atlas["explanation"]
    assert findings["demo-co-tekhsnab-vostralin"]["evidence"] == ["demo-own-vostralin-tekhsnab"]


def test_fifty_percent_threshold_changes_the_outcome(demo):
    findings = by_entity(run(Ofac50Percent, demo, threshold=0.55))
    assert "demo-co-brightwave-components" not in findings  # 51% is below 55%
    assert "demo-co-tekhsnab-vostralin" in findings


def test_fifty_percent_counts_only_the_chosen_topics(clean):
    clean.ingest(
        [entity("c-ec", "Company", name="Kestrel Optics Ltd", topics="export.control"),
         entity("c-own-ec", "Ownership", owner="c-ec", asset="c-buyer", percentage="60")],
        SourceInfo(file_name="registry.csv"),
    )
    assert run(Ofac50Percent, clean) == []  # an export-control listing is not an OFAC block
    [finding] = run(Ofac50Percent, clean, topics="sanction,export.control")
    assert finding["entities"] == ["c-buyer"] and finding["evidence"] == ["c-own-ec"]


def test_fifty_percent_is_quiet_below_the_threshold(clean):
    clean.ingest([entity("c-own-zenith", "Ownership", owner="list-zenith", asset="c-buyer", percentage="49")],
                 SourceInfo(file_name="registry.csv"))
    assert run(Ofac50Percent, clean) == []


# ---------------------------------------------------------------------- 3. shared identifiers


def test_shared_identifiers_on_the_demo(demo):
    findings = by_entity(run(SharedIdentifierWithListed, demo))
    assert set(findings) == {"demo-co-karadeniz-elektronik", "demo-co-lumen-tech-supply",
                             "demo-person-marie-claire-fonsette"}
    karadeniz = findings["demo-co-karadeniz-elektronik"]
    assert karadeniz["evidence"] == ["demo-co-tekhsnab-vostralin", "demo-dir-prytkin-karadeniz",
                                     "demo-dir-prytkin-tekhsnab"]
    assert ("shares director Oleg Igorevich Prytkin with OOO Tekhsnab-Vostralin" in karadeniz["explanation"])
    assert "OFAC's 50% rule" in karadeniz["explanation"]
    lumen = findings["demo-co-lumen-tech-supply"]
    for words in ("233 Lockhart Road", "phone +85261550198 with Brightwave Components Limited",
                  "director Marie-Claire Fonsette with Brightwave Components Limited", "Brightwave Components Limited 51%"):
        assert words in lumen["explanation"]
    assert "demo-dir-fonsette-lumen" in lumen["evidence"] and "demo-co-brightwave-components" in lumen["evidence"]
    assert lumen["score"] > karadeniz["score"]


def test_a_value_shared_by_too_many_parties_is_ignored(demo):
    lumen = by_entity(run(SharedIdentifierWithListed, demo, max_parties_per_value=2))["demo-co-lumen-tech-supply"]
    assert "Lockhart Road" not in lumen["explanation"]  # three companies share it
    assert "phone +85261550198" in lumen["explanation"]


def test_shared_identifiers_with_listed_parties_only(demo):
    # The demo's listed institute and its director share nothing with anyone directly: what fires
    # above comes from companies blocked under the 50% rule.
    assert run(SharedIdentifierWithListed, demo, include_blocked=False) == []


def test_shared_contacts_and_account_are_normalised(clean):
    clean.ingest(
        [
            entity("list-zenith-2", "Organization", name="Korea Ryonbong General Corporation", topics="sanction",
                   phone="+49 40 5550 1234", email="Trade@Ryonbong.example"),
            entity("c-front", "Company", name="Harbour Supply Ltd", email="trade@ryonbong.example"),
            entity("acct-1", "BankAccount", iban="DE89370400440532013000"),
            entity("acct-2", "BankAccount", iban="DE89 3704 0044 0532 0130 00"),
            entity("c-own-acct", "Ownership", owner="list-zenith-2", asset="acct-1"),
            entity("c-pay-2", "Payment", payer="c-front", payerAccount="acct-2", beneficiary="c-maker",
                   amount="9000", currency="EUR", date="2023-06-01"),
        ],
        SourceInfo(file_name="bank.csv"),
    )
    findings = by_entity(run(SharedIdentifierWithListed, clean))
    assert set(findings) == {"c-maker", "c-front"}
    assert "phone +494055501234 with Korea Ryonbong General Corporation" in findings["c-maker"]["explanation"]
    front = findings["c-front"]
    assert "e-mail trade@ryonbong.example" in front["explanation"]
    assert "bank account DE89370400440532013000" in front["explanation"]
    assert front["evidence"] == ["c-own-acct", "c-pay-2", "list-zenith-2"]
    assert front["severity"] == "high"


def test_a_listed_person_on_the_board(clean):
    clean.ingest(
        [entity("list-kim", "Person", name="Kim Chol Su", topics="sanction"),
         entity("c-dir-kim", "Directorship", director="list-kim", organization="c-buyer", role="Director")],
        SourceInfo(file_name="registry.csv"),
    )
    [finding] = run(SharedIdentifierWithListed, clean)
    assert finding["entities"] == ["c-buyer"] and finding["evidence"] == ["c-dir-kim", "list-kim"]
    assert finding["explanation"].startswith("Baltic Precision Tools OU is directed by Kim Chol Su.")
    assert "Kim Chol Su is listed (sanction)" in finding["explanation"] and finding["severity"] == "high"


def test_normalisation_helpers():
    assert normalise_address("Unit 1502, 15/F,  Golden Lotus") == normalise_address("unit 1502 15 F golden lotus")
    assert normalise_phone("+852 6155 0198") == normalise_phone("+85261550198") == "+85261550198"


# ---------------------------------------------------------------------- 4. mass registration and nominees


def test_nominee_director_and_related_counterparties_on_the_demo(demo):
    findings = run(MassRegistrationOrNominee, demo)
    patterns = {(f["details"]["pattern"], tuple(f["entities"])): f for f in findings}
    assert set(patterns) == {
        ("counterparties", ("demo-co-karadeniz-elektronik", "demo-co-tekhsnab-vostralin")),
        ("counterparties", ("demo-co-meridian-pacific-holdings", "demo-co-orient-delta-holdings")),
        ("director", ("demo-person-marie-claire-fonsette", "demo-co-brightwave-components", "demo-co-lumen-tech-supply",
                      "demo-co-meridian-pacific-holdings", "demo-co-northgate-ventures",
                      "demo-co-orient-delta-holdings")),
    }
    nominee = next(f for f in findings if f["details"]["pattern"] == "director")
    assert nominee["evidence"] == sorted(f"demo-dir-fonsette-{n}" for n in
                                         ("brightwave", "lumen", "meridian", "northgate", "orient-delta"))
    assert "Marie-Claire Fonsette directs 5 companies" in nominee["explanation"]
    assert "Meridian Pacific Holdings Ltd (SC, from 2022-03-15)" in nominee["explanation"]
    assert "'Nominee director'" in nominee["explanation"]
    related = patterns[("counterparties", ("demo-co-karadeniz-elektronik", "demo-co-tekhsnab-vostralin"))]
    assert related["evidence"] == ["demo-dir-prytkin-karadeniz", "demo-dir-prytkin-tekhsnab",
                                   "demo-pay-01-tekhsnab-karadeniz", "demo-shp-07-karadeniz-tekhsnab"]
    assert "payment of USD 310,000 on 2023-02-20" in related["explanation"]
    assert "share director Oleg Igorevich Prytkin" in related["explanation"]


def test_mass_registration_address_at_a_lower_count(demo):
    findings = run(MassRegistrationOrNominee, demo, min_companies_per_address=3, min_directorships=6,
                   related_counterparties=False)
    assert [f["details"]["pattern"] for f in findings] == ["address"]
    [address] = findings
    assert address["entities"] == ["demo-co-brightwave-components", "demo-co-lumen-tech-supply",
                                   "demo-co-orient-delta-holdings"]
    assert address["explanation"].startswith("3 companies are registered at 'Unit 1502, 15/F, Golden Lotus")
    assert "incorporated 2023-07-11" in address["explanation"]
    assert "Marie-Claire Fonsette directs" in address["explanation"]
    assert address["evidence"] == ["demo-dir-fonsette-brightwave", "demo-dir-fonsette-lumen",
                                   "demo-dir-fonsette-orient-delta"]


# ---------------------------------------------------------------------- 5. opaque ownership


def test_opaque_ownership_on_the_demo(demo):
    findings = run(OpaqueOwnership, demo)
    assert [f["details"]["pattern"] for f in findings] == ["layers", "cycle"]
    layers, cycle = findings
    assert layers["entities"] == ["demo-co-atlas-crest-trading", "demo-co-meridian-pacific-holdings",
                                  "demo-co-northgate-ventures", "demo-co-orient-delta-holdings"]
    assert {"demo-own-veltsin-meridian", "demo-own-meridian-northgate",
            "demo-own-northgate-atlas-crest"} <= set(layers["evidence"])
    for words in ("Atlas Crest General Trading FZE sits under 3 layers of ownership",
                  "Arkady Vasilyevich Veltsin (RU) → 60% Meridian Pacific Holdings Ltd (SC) → "
                  "100% Northgate Ventures Limited (VG) → 100% Atlas Crest General Trading FZE (AE)",
                  "British Virgin Islands and Seychelles", "circular ownership"):
        assert words in layers["explanation"]
    assert cycle["entities"] == ["demo-co-meridian-pacific-holdings", "demo-co-northgate-ventures",
                                 "demo-co-orient-delta-holdings"]
    assert cycle["evidence"] == ["demo-own-meridian-northgate", "demo-own-northgate-orient-delta",
                                 "demo-own-orient-delta-meridian"]
    assert "Orient Delta Holdings Limited (HK) owns 40% of Meridian Pacific Holdings Ltd" in cycle["explanation"]


def test_opaque_ownership_parameters_change_the_outcome(demo):
    only_cycle = run(OpaqueOwnership, demo, min_depth=4, secrecy_jurisdictions="")
    assert [f["details"]["pattern"] for f in only_cycle] == ["cycle"]
    assert run(OpaqueOwnership, demo, min_depth=4, secrecy_jurisdictions="", report_cycles=False) == []
    # Secrecy alone (a code added to the table) still flags the layered company.
    [layers] = run(OpaqueOwnership, demo, min_depth=4, secrecy_jurisdictions="vg", report_cycles=False)
    assert layers["entities"][0] == "demo-co-atlas-crest-trading" and "British Virgin Islands" in layers["explanation"]
    with pytest.raises(ParameterError, match="secrecy_jurisdictions"):
        run(OpaqueOwnership, demo, secrecy_jurisdictions="no_such_table")


def test_opaque_ownership_through_a_secrecy_layer_in_a_clean_case(clean):
    assert run(OpaqueOwnership, clean) == []  # two layers, all in Germany
    clean.ingest([entity("c-holding", "Company", jurisdiction="ky")], SourceInfo(file_name="registry.csv"))
    [finding] = run(OpaqueOwnership, clean)
    assert finding["entities"] == ["c-maker", "c-holding"]
    assert "Cayman Islands" in finding["explanation"] and finding["evidence"] == ["c-own-1", "c-own-2"]


# ---------------------------------------------------------------------- 6. civilian near military


def test_civilian_end_users_near_the_listed_institute_on_the_demo(demo):
    findings = by_entity(run(CivilianNearMilitary, demo))
    assert set(findings) == {"demo-co-atlas-crest-trading", "demo-co-brightwave-components",
                             "demo-co-karadeniz-elektronik", "demo-co-tekhsnab-vostralin"}
    atlas = findings["demo-co-atlas-crest-trading"]
    assert atlas["details"]["hops"] == 2
    assert {"demo-eud-atlas-crest-2023-007", "demo-shp-01-rheinfeld-atlas-crest", "demo-shp-03-cascade-gulfstar",
            "demo-shp-02-atlas-crest-tekhsnab", "demo-own-vostralin-tekhsnab"} <= set(atlas["evidence"])
    assert atlas["entities"] == ["demo-co-atlas-crest-trading", "demo-org-vostralin-institute",
                                 "demo-person-arkady-veltsin"]
    for words in ("end use 'civilian telecommunications research'", "HS 854232 to United Arab Emirates, 2023-03-06",
                  "is 2 links from", "sector 'Defence research", "OOO Tekhsnab-Vostralin"):
        assert words in atlas["explanation"]
    tekhsnab = findings["demo-co-tekhsnab-vostralin"]
    assert tekhsnab["details"]["hops"] == 1 and "consignee (no end user declared)" in tekhsnab["explanation"]
    assert (tekhsnab["severity"], atlas["severity"]) == ("high", "medium")
    assert tekhsnab["score"] > atlas["score"]
    # The legitimate German distributor is further away; the listed institute is no civilian.
    assert "demo-co-rheinfeld-elektronik" not in findings and "demo-org-vostralin-institute" not in findings


def test_civilian_hops_change_the_outcome(demo):
    assert set(by_entity(run(CivilianNearMilitary, demo, max_hops=1))) == {
        "demo-co-brightwave-components", "demo-co-tekhsnab-vostralin"}
    three = by_entity(run(CivilianNearMilitary, demo, max_hops=3))
    assert three["demo-co-rheinfeld-elektronik"]["details"]["hops"] == 3
    # Without taking consignees for end users, Tekhsnab declares nothing.
    assert "demo-co-tekhsnab-vostralin" not in by_entity(run(CivilianNearMilitary, demo, consignee_as_end_user=False))


def test_civilian_end_user_paid_by_a_ministry_of_defence(clean):
    clean.ingest(
        [entity("c-mod", "PublicBody", name="Ministry of Defence of Ruritania"),
         entity("c-pay-mod", "Payment", payer="c-mod", beneficiary="c-buyer", amount="125000", currency="EUR",
                date="2023-07-01")],
        SourceInfo(file_name="bank.csv"),
    )
    [finding] = run(CivilianNearMilitary, clean)
    assert finding["entities"] == ["c-buyer", "c-mod"] and "c-pay-mod" in finding["evidence"]
    assert "name 'Ministry of Defence of Ruritania'" in finding["explanation"]
    assert "EUR 125,000" in finding["explanation"]
    assert run(CivilianNearMilitary, clean, military_keywords="") == []


def test_civilian_end_user_two_payments_from_a_ministry_without_the_whole_graph(clean):
    from workbench.analysis import graph as graphs

    clean.ingest(
        [entity("c-mod", "PublicBody", name="Ministry of Defence of Ruritania"),
         entity("c-broker", "Company", name="Ruri Trading LLC"),
         entity("c-pay-mod", "Payment", payer="c-mod", beneficiary="c-broker", amount="90000", currency="EUR",
                date="2023-06-01"),
         entity("c-pay-broker", "Payment", payer="c-broker", beneficiary="c-buyer", amount="88000", currency="EUR",
                date="2023-06-20")],
        SourceInfo(file_name="bank.csv"),
    )
    graphs._CACHE.clear()
    [finding] = run(CivilianNearMilitary, clean)
    assert finding["entities"] == ["c-buyer", "c-mod"] and finding["details"]["hops"] == 2
    assert {"c-pay-mod", "c-pay-broker"} <= set(finding["evidence"])
    assert "EUR 88,000" in finding["explanation"] and "EUR 90,000" in finding["explanation"]
    # Payments are followed from their columns: the graph of every payment's link is not built.
    assert all(key[-1].link_schemata is not None for key in graphs._CACHE)
    # Without payments among the link types, the ministry is out of reach.
    assert run(CivilianNearMilitary, clean, link_types="Ownership,Directorship,Shipment") == []
