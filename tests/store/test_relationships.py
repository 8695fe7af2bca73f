"""Case.relationships: an entity's links seen from its side, with the other party, share and amount."""

import pytest



@pytest.fixture(scope="module")
def demo(module_demo):
    return module_demo


def test_an_owned_company_sees_its_owners_with_their_shares(demo):
    owners = {(r["other_caption"], r["percentage"], r["role"]) for r in demo.relationships("demo-co-brightwave-components")
              if r["schema"] == "Ownership" and r["this_end"] == "target"}
    assert owners == {("Arkady Vasilyevich Veltsin", "26", "Shareholder"),
                      ("Vostralin Research Institute of Radio-Electronic Systems", "25", "Shareholder"),
                      ("Marie-Claire Fonsette", "49", "Nominee shareholder")}


def test_a_payment_lists_both_parties_and_its_accounts(demo):
    rows = demo.relationships("demo-pay-05-atlas-crest-brightwave")
    ends = {(r["this_end"], r["other_end"], r["prop"], r["other_id"]) for r in rows}
    assert ("link", "source", None, "demo-co-atlas-crest-trading") in ends
    assert ("link", "target", None, "demo-co-brightwave-components") in ends
    assert ("source", "target", "payerAccount", "demo-acct-atlas-crest-usd") in ends
    assert all(r["amount"] == 447000.0 and r["currency"] == "USD" for r in rows if r["prop"] is None)


def test_an_entity_named_by_a_property_sees_who_names_it(demo):
    [sanction] = [r for r in demo.relationships("demo-person-arkady-veltsin") if r["schema"] == "Sanction"]
    assert (sanction["this_end"], sanction["prop"], sanction["other_caption"]) == ("target", "entity", "RUSSIA-EO14024")
