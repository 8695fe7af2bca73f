"""Entity resolution: duplicates inside a case, matches against imported lists, decisions kept."""

from pathlib import Path

import pytest

from workbench.analysis.resolution import (
    Candidate,
    candidate_duplicates,
    compare_profiles,
    is_listed,
    list_matches,
    match_entities,
    profile_entity,
)
from workbench.demo import build_demo_case
from workbench.importing import import_file
from workbench.model import SourceInfo, model


def entity(entity_id, schema, **props):
    return {
        "id": entity_id,
        "schema": schema,
        "properties": {prop: value if isinstance(value, list) else [value] for prop, value in props.items()},
    }


# An invoice and a bill of lading name the same Dubai company; a second source has a namesake of
# a person with another birth date; a person and a company share a name.
ENTITIES = [
    entity("inv-atlas", "Company", name="Atlas Crest General Trading FZE", country="ae",
           registrationNumber="DAFZA-FZE-22-4471"),
    entity("bl-atlas", "Company", name="ATLAS CREST GENERAL TRADING F.Z.E.", country="ae",
           registrationNumber="DAFZA FZE 22 4471"),
    entity("inv-veltsin", "Person", name="Arkady Vasilyevich Veltsin", birthDate="1961-04-17", nationality="ru"),
    entity("hr-veltsin", "Person", name="Arkadiy Vasilevich Veltsin", birthDate="1958-01-01", nationality="ru"),
    entity("person-meridian", "Person", name="Meridian Pacific"),
    entity("company-meridian", "Company", name="Meridian Pacific", country="sc"),
    entity("unrelated", "Company", name="Rheinfeld Elektronik Vertrieb GmbH", country="de"),
]


@pytest.fixture
def case(case_of):
    return case_of(ENTITIES, "resolution", file_name="x")


def pair(candidates, left_id, right_id) -> Candidate | None:
    for candidate in candidates:
        if {candidate.left_id, candidate.right_id} == {left_id, right_id}:
            return candidate
    return None


# ---------------------------------------------------------------------- duplicates in a case


def test_name_variant_with_the_same_registration_number_is_a_duplicate(case):
    candidates = candidate_duplicates(case)
    atlas = pair(candidates, "inv-atlas", "bl-atlas")
    assert atlas is not None
    assert (atlas.left_id, atlas.right_id) == ("bl-atlas", "inv-atlas")  # sorted ids
    assert atlas.score > 0.95
    assert atlas.decision is None
    reasons = "\n".join(atlas.explanation)
    assert "names 'ATLAS CREST GENERAL TRADING F.Z.E.' ~ 'Atlas Crest General Trading FZE' 1.00" in reasons
    assert "same registrationNumber DAFZA FZE 22 4471" in reasons
    assert "same country ae" in reasons
    assert candidates[0] is atlas  # best first


def test_a_namesake_with_another_birth_date_scores_lower_and_says_why(case):
    assert pair(candidate_duplicates(case), "inv-veltsin", "hr-veltsin") is None  # below 0.7

    candidates = candidate_duplicates(case, threshold=0.3)
    veltsin = pair(candidates, "inv-veltsin", "hr-veltsin")
    atlas = pair(candidates, "inv-atlas", "bl-atlas")
    assert veltsin is not None and atlas is not None
    assert veltsin.score < 0.7 < atlas.score
    assert veltsin.explanation[0].startswith("names 'Arkadiy Vasilevich Veltsin' ~ 'Arkady Vasilyevich Veltsin' 0.9")
    assert "different birth dates 1958-01-01 vs 1961-04-17 (-0.30)" in veltsin.explanation
    assert "same country ru (+0.0" in "\n".join(veltsin.explanation)


def test_a_person_and_a_company_of_the_same_name_are_never_matched(case):
    candidates = candidate_duplicates(case, threshold=0.0)
    assert pair(candidates, "person-meridian", "company-meridian") is None
    # Not even when compared directly: FtM's common_schema says they cannot be one party.
    person, company = (profile_entity(case.entity(i)) for i in ("person-meridian", "company-meridian"))
    assert compare_profiles(person, company) is None


def test_unrelated_names_are_not_proposed(case):
    candidates = candidate_duplicates(case, threshold=0.0)
    assert all("unrelated" not in (c.left_id, c.right_id) for c in candidates)


def test_limit_and_schema(case):
    assert len(candidate_duplicates(case, threshold=0.3, limit=1)) == 1
    people = candidate_duplicates(case, schema="Person", threshold=0.3)
    assert [(c.left_id, c.right_id) for c in people] == [("hr-veltsin", "inv-veltsin")]


def test_decisions_are_respected_on_the_next_run(case):
    case.record_match_decision("inv-atlas", "bl-atlas", "different", reason="two free-zone licences")
    case.record_match_decision("hr-veltsin", "inv-veltsin", "unsure", score=0.6)
    candidates = candidate_duplicates(case)
    assert pair(candidates, "inv-atlas", "bl-atlas") is None
    # The unsure pair comes back, though it scores below the threshold, with its decision.
    veltsin = pair(candidates, "inv-veltsin", "hr-veltsin")
    assert veltsin is not None and veltsin.decision == "unsure"
    assert veltsin.score < 0.7

    case.record_match_decision("inv-atlas", "bl-atlas", "same")
    assert pair(candidate_duplicates(case), "inv-atlas", "bl-atlas") is None


def test_a_merged_pair_is_not_proposed_and_its_decision_survives_the_merge(case):
    case.record_match_decision("inv-veltsin", "hr-veltsin", "different")
    case.merge("inv-atlas", "bl-atlas")
    case.ingest([entity("third-atlas", "Company", name="Atlas Crest General Trading", country="ae")],
                SourceInfo(file_name="y"))
    candidates = candidate_duplicates(case, threshold=0.3)
    assert pair(candidates, "inv-atlas", "bl-atlas") is None
    assert pair(candidates, "inv-veltsin", "hr-veltsin") is None
    third = pair(candidates, "inv-atlas", "third-atlas")
    assert third is not None and third.score > 0.9


# ---------------------------------------------------------------------- scoring details


def proxy(entity_id, schema, **props):
    return model.get_proxy(entity(entity_id, schema, **props))


def test_word_order_legal_forms_and_transliteration_do_not_hide_a_match():
    run = match_entities(
        [proxy("a", "Person", name="RIM, Ryong Nam"), proxy("b", "Company", name="OOO Tekhsnab-Vostralin")],
        [proxy("x", "Person", name="Ryong Nam Rim"), proxy("y", "Company", name="Techsnab Vostralin LLC")],
    )
    scores = {(c.left_id, c.right_id): c.score for c in run.candidates}
    assert scores[("a", "x")] == 1.0
    assert scores[("b", "y")] > 0.85


def test_generic_words_do_not_make_a_match():
    run = match_entities(
        [proxy("a", "Organization", name="Ammunition Industries Group")],
        [proxy("b", "Organization", name="Armament Industries Group")],
        threshold=0.0,
    )
    assert not run.candidates or run.candidates[0].score < 0.7


def test_a_conflicting_identifier_weakens_and_a_weak_alias_alone_cannot_match():
    left = profile_entity(proxy("a", "Company", name="Lumen Tech Supply Limited", registrationNumber="3274406"))
    right = profile_entity(proxy("b", "Company", name="Lumen Tech Supply Ltd", registrationNumber="3261845"))
    candidate = compare_profiles(left, right)
    assert candidate is not None and candidate.score == pytest.approx(0.85)
    assert "different registrationNumber 3274406 vs 3261845 (-0.15)" in candidate.explanation

    listed = profile_entity(proxy("c", "Company", name="Northgate Ventures Limited", weakAlias="Lumen"))
    only_weak = compare_profiles(profile_entity(proxy("d", "Company", name="Lumen")), listed)
    assert only_weak is not None and only_weak.score <= 0.65
    assert "weak alias" in only_weak.explanation[0]


def test_blocking_compares_only_pairs_that_share_a_key():
    left = [proxy(f"l{n}", "Company", name=name) for n, name in enumerate(["Kestrel Horizon Marine", "Zenith Polaris"])]
    right_names = ["Kestrel Horizon Marine Ltd", "Cobalt Vertex", "Jade Lotus"]
    right = [proxy(f"r{n}", "Company", name=name) for n, name in enumerate(right_names)]
    run = match_entities(left, right)
    assert run.pairs_compared == 1
    assert [(c.left_id, c.right_id) for c in run.candidates] == [("l0", "r0")]


# ---------------------------------------------------------------------- against real lists


ATLAS_SANATGARAN = "us-csl-uvl-1b5979e8fd3920a1a0985bf5088dad930a6a5562d1513f9e4b015e42"  # the UVL's row 3


@pytest.fixture
def screened_demo(tmp_path, shared_data):
    case = build_demo_case(tmp_path / "demo.wbcase")
    for path in (shared_data / "un" / "un_consolidated_sample.xml", shared_data / "csl" / "consolidated.csv"):
        outcome = import_file(case, path)
        assert outcome.report is not None and outcome.report.entities > 0
    yield case
    case.close()


def test_list_matches_on_the_demo_case_and_real_list_samples(screened_demo):
    case = screened_demo
    listed = {e.id for e in case.entities("Thing") if e.schema.matchable and is_listed(e)}
    assert "un-sc-IRe.001" in listed and "us-csl-sdn-52291" in listed  # sanction
    assert ATLAS_SANATGARAN in listed  # export.control
    assert "demo-co-atlas-crest-trading" not in listed

    # The demo's fictional network and the real lists share no party: nothing at the default
    # threshold. Lower down, "Atlas Crest Trading" meets the UVL's "Atlas Sanatgaran" on one
    # word, and the reasons say so.
    assert list_matches(case) == []
    weak = list_matches(case, threshold=0.3)
    assert all(c.left_id not in listed and c.right_id in listed for c in weak)
    atlas = pair(weak, "demo-co-atlas-crest-trading", ATLAS_SANATGARAN)
    assert atlas is not None and atlas.score < 0.5
    assert "unmatched words: crest trading / sanatgaran" in atlas.explanation[0]
    assert "no country in common: ae vs am (-0.10)" in atlas.explanation


def test_a_listed_name_written_differently_in_the_case_is_matched(screened_demo):
    case = screened_demo
    # The UN lists "ATOMIC ENERGY ORGANISATION OF IRAN (AEOI)" and the CSL "Rosneft Trade
    # Limited"; a payment record names them in its own way.
    case.ingest(
        [
            entity("pay-aeoi", "LegalEntity", name="Atomic Energy Organisation of Iran", country="ir"),
            entity("pay-rosneft", "Company", name="Rosneft-Trade Ltd.", country="cy"),
        ],
        SourceInfo(file_name="payments.xlsx"),
    )
    matches = list_matches(case)
    aeoi = pair(matches, "pay-aeoi", "un-sc-IRe.006")
    assert aeoi is not None and aeoi.score > 0.9
    assert aeoi.explanation[0].startswith("names 'Atomic Energy Organisation of Iran' ~ ")
    rosneft = pair(matches, "pay-rosneft", "us-csl-ssi-18300")
    assert rosneft is not None and rosneft.score > 0.9
    assert "same country cy" in "\n".join(rosneft.explanation)
    assert {(c.left_id, c.right_id) for c in matches} <= {
        ("pay-aeoi", "un-sc-IRe.006"),
        ("pay-rosneft", "us-csl-ssi-18300"),
    }

    case.record_match_decision("pay-rosneft", "us-csl-ssi-18300", "different")
    assert pair(list_matches(case), "pay-rosneft", "us-csl-ssi-18300") is None


def test_a_huge_name_is_matched_on_its_start_only_and_the_real_match_is_still_found(monkeypatch):
    # A 400,000-character alias took the listed-name-match detector 22 s alone (a 30 MB one
    # 11 minutes): matching now reads a bounded start of every name; the case keeps it whole.
    from workbench.analysis import resolution

    seen = []
    original = resolution.normalize_name

    def spying(text, *args, **kwargs):
        seen.append(len(text))
        return original(text, *args, **kwargs)

    monkeypatch.setattr(resolution, "normalize_name", spying)
    resolution._comparable_name.cache_clear()
    huge = "Kestrel Horizon Marine " + " ".join(f"holding{n}" for n in range(45_000))
    assert len(huge) > 400_000
    run = match_entities(
        [proxy("l0", "Company", name="Kestrel Horizon Marine", alias=huge),
         proxy("l1", "Company", name="x" * 20_000),  # one word: its one-letter-off keys grew as its square
         proxy("l2", "Company", name=" ".join(["Иванов Петрович Сидоров"] * 1_000))],  # transliterated whole
        [proxy("r0", "Company", name="Kestrel Horizon Marine Ltd")],
    )
    assert [(c.left_id, c.right_id) for c in run.candidates] == [("l0", "r0")]
    assert max(seen) <= resolution.MAX_MATCH_TEXT_LENGTH + 1
    assert all(len(line) < 2_000 for line in run.candidates[0].explanation)
