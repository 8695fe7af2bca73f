"""The case's facts read in bulk (``Case.snapshot``): the same answers as the proxies, never stale."""

from test_case import company, network, source  # noqa: F401  (the store tests' data; `case` is conftest's)

from workbench.model import make_entity


def test_snapshot_agrees_with_the_proxies(network):
    snapshot = network.snapshot()
    for proxy in network.entities():
        facts = snapshot.get(proxy.id)
        assert facts.schema is proxy.schema
        assert facts.caption == proxy.caption
        assert {prop: sorted(values) for prop, values in facts.properties.items()} == \
            {prop: sorted(values) for prop, values in proxy.properties.items()}
    assert [facts.id for facts in snapshot.of_schema("Payment")] == ["pay-1", "pay-2", "pay-3"]
    assert [facts.id for facts in snapshot.of_schema("LegalEntity")] == ["atlas", "atlas-2", "helios"]
    assert snapshot.get("no-such-entity") is None
    assert snapshot.get("pay-1").get("amount") == ["9500"] and snapshot.get("pay-1").get("nonsense") == []


def test_snapshot_is_shared_until_the_facts_change(network):
    first = network.snapshot()
    network.save_view("everything", {"filters": {}})  # not a fact
    assert network.snapshot() is first
    network.ingest([company("orion", "Orion Components Ltd", country="hk")], source("more.csv"))
    second = network.snapshot()
    assert second is not first and second.get("orion").caption == "Orion Components Ltd"


def test_a_released_snapshot_is_read_again_when_next_asked_for(network):
    first = network.snapshot()
    network.release_snapshot()
    second = network.snapshot()
    assert second is not first and second.get("atlas").caption == first.get("atlas").caption
    assert network.snapshot() is second


def test_snapshot_follows_merges_undo_and_a_different_merge(network):
    network.ingest([company("helios-2", "HELIOS ELEKTRONIK", country="de")], source("more.csv"))
    network.merge("atlas", "atlas-2")
    merged = network.snapshot()
    assert merged.get("atlas-2").id == "atlas"
    assert merged.get("pay-2").get("payer") == ["atlas"]
    network.undo()
    assert network.snapshot().get("pay-2").get("payer") == ["atlas-2"]
    # Same number of records and of merges as after the first merge: still a new picture.
    network.merge("helios", "helios-2")
    after = network.snapshot()
    assert after.get("atlas-2").id == "atlas-2" and after.get("pay-2").get("payer") == ["atlas-2"]
    assert after.get("helios-2").id == "helios"


def test_analyst_facts_show_at_once(network):
    before = network.snapshot()
    note = make_entity("Company", "atlas")
    note.add("phone", "+971 4 555 0199")
    network.add_facts([note.to_dict()], note="phone from a trade fair card")
    assert "+97145550199" in network.snapshot().get("atlas").get("phone")
    assert network.snapshot() is not before
