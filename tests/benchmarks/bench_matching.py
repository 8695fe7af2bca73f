"""Match N synthetic case parties against an M-entry synthetic list, with and without blocking.

    python tests/benchmarks/bench_matching.py [--case-size 10000] [--list-size 20000]
        [--planted 500] [--naive-sample 200] [--seed 7]

The list and the case are built from word lists with seeded randomness: companies such as
"Shenzhen Lumen Technology Co., Ltd." or "Atlas Vostralin General Trading FZE", people such as
"Oleg Igorevich Prytkin" with birth dates and nationalities. ``--planted`` case parties are
variants of listed ones (other casing and punctuation, a legal form changed or dropped, a typo, a
transliteration, names reordered, a middle name dropped, an alias used); the rest are new
parties, some of which share words and names with listed ones, as real ones do.

Both sets go into a case, and ``list_matches`` runs on it as the analyst would. Then the
baseline, measured in the same run: every one of ``--naive-sample`` case parties compared with
every listed party by the same scorer, no blocking, timed and extrapolated to the whole case.
Printed: seconds, pairs compared, planted variants recovered (recall), and other pairs proposed.
The issue's goal is under 30 s for 10,000 x 20,000; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
from pathlib import Path

from workbench.analysis.resolution import (
    TokenWeights,
    compare_profiles,
    is_listed,
    list_matches,
    match_entities,
    profile_entity,
)
from workbench.model import SourceInfo
from workbench.store import Case

DISTINCT_WORDS = """
Atlas Crest Meridian Orient Delta Northgate Brightwave Lumen Gulfstar Cascade Kestrel Falcon
Zenith Aurora Summit Pinnacle Horizon Sterling Granite Cobalt Vertex Nova Polaris Sapphire
Emerald Silverline Redstone Bluewater Ironbridge Eastwind Westbrook Southport Northstar Oakridge
Pacific Baltic Caspian Aral Volga Danube Tigris Jade Lotus Phoenix Dragon Tiger Crane Heron
Condor Sparrow Orion Vega Sirius Altair Lyra Titan Helios Apex Vanguard Sentinel Keystone
Harbor Anchor Compass Beacon Pioneer Frontier Liberty Unity Concord Harmony Prosperity Fortune
Golden Silver Crystal Diamond Pearl Amber Ivory Onyx Ruby Topaz Garnet Quartz Magnet Vector
Matrix Quantum Fusion Spectrum Prism Radiant Solaris Stellar Cosmos Galaxy Nebula Comet Meteor
""".split()
SYLLABLES = """
vos tra lin ka ra de niz rhein feld ho shi zo tek snab kor vel tsin pryt kin ha dda din yal cin
dag mar tel sun gro ber zan tor mek lan vor sib tar kha nov ost ran bel gor dim zar lev kas pen
""".split()
DESCRIPTORS = """
General Trading Electronics Technology Industrial Machinery Components Logistics Freight Supply
Systems Engineering Precision Instruments Aerospace Marine Energy Chemical Metals Import Export
International Global Holdings Group Ventures Development Investment Commercial Manufacturing
Devices Materials Equipment Resources Solutions Shipping Scientific Research
""".split()
PLACES = "Shenzhen Dubai Tianjin Istanbul Minsk Almaty Tashkent Yerevan Hong Kong Shanghai Ningbo Sharjah Baku".split()
LEGAL_FORMS = [
    "Ltd", "Limited", "LLC", "FZE", "FZCO", "GmbH", "OOO", "Co., Ltd.", "JSC", "S.A.", "Inc.", "Ltd. Sti.", "Pte Ltd", "LLP",
]
LEGAL_FORM_SWAPS = {
    "Ltd": "Limited", "Limited": "Ltd.", "LLC": "L.L.C.", "FZE": "F.Z.E.", "Co., Ltd.": "Company Limited",
    "OOO": "LLC", "Inc.": "Incorporated", "Pte Ltd": "Pte. Ltd.",
}
FIRST_NAMES = """
Mohammad Ali Hassan Hossein Reza Ahmad Mahmoud Omar Karim Yusuf Ibrahim Mehmet Emre Mustafa Ahmet
Oleg Sergei Ivan Dmitri Alexei Arkady Nikolai Viktor Yuri Andrei Pavel Boris Li Wei Zhang Chen
Jian Hui Ming Kim Jong Chol Song Ryong Pak Rami Khalil Samir Tariq Farid Nasser Marie Anna Elena
Olga Natalia Svetlana Fatima Leila Mariam Zainab Hana Yuki Kenji Hiroshi Takeshi Raj Arjun Vikram
""".split()
SURNAMES = """
Veltsin Prytkin Haddadin Yalcindag Fonsette Petrov Ivanov Sokolov Volkov Morozov Kuznetsov Popov
Lebedev Kozlov Novikov Rahimi Karimi Hosseini Moradi Ahmadi Rezaei Jafari Hashemi Sadeghi Demir
Kaya Yilmaz Celik Sahin Ozturk Aydin Arslan Wang Liu Zhao Huang Zhou Wu Xu Sun Ma Kim Lee Park
Choi Jung Kang Cho Yoon Jang Lim Han Haddad Khoury Nasser Mansour Saleh Hamdan Qasim Darwish
Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Sharma Gupta Singh Kumar Patel Mehta
""".split()
PATRONYMICS = "Igorevich Vasilyevich Petrovich Ivanovich Sergeyevich Nikolayevich Alexandrovich Olegovich".split()
COUNTRIES = ["ru", "ir", "cn", "hk", "ae", "tr", "by", "kz", "uz", "am", "az", "kp", "sy", "de", "jp", "in", "my", "sg"]
TRANSLITERATIONS = [
    ("kh", "h"), ("y", "i"), ("ou", "u"), ("sh", "sch"), ("v", "w"), ("ts", "tz"), ("ei", "ey"), ("j", "dzh"),
]


class Generator:
    """Seeded synthetic companies and people, and variants of them."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pseudo_word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.choice((2, 3, 3)))).capitalize()

    def distinct_word(self) -> str:
        return self.rng.choice(DISTINCT_WORDS) if self.rng.random() < 0.4 else self.pseudo_word()

    def company_name(self) -> str:
        rng = self.rng
        pattern = rng.random()
        descriptors = " ".join(rng.sample(DESCRIPTORS, rng.choice((1, 1, 2))))
        if pattern < 0.4:
            core = f"{self.distinct_word()} {descriptors}"
        elif pattern < 0.75:
            core = f"{self.distinct_word()} {self.distinct_word()} {descriptors}"
        else:
            core = f"{rng.choice(PLACES)} {self.distinct_word()} {descriptors}"
        return f"{core} {rng.choice(LEGAL_FORMS)}"

    def person_name(self) -> str:
        rng = self.rng
        surname = rng.choice(SURNAMES) if rng.random() < 0.5 else self.pseudo_word()
        parts = [rng.choice(FIRST_NAMES)]
        if rng.random() < 0.3:
            parts.append(rng.choice(PATRONYMICS))
        parts.append(surname)
        return " ".join(parts)

    def birth_date(self) -> str:
        rng = self.rng
        return f"{rng.randrange(1945, 2000)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"

    def party(self, entity_id: str, listed: bool) -> dict:
        rng = self.rng
        props: dict[str, list[str]] = {"country": [rng.choice(COUNTRIES)]}
        if rng.random() < 0.4:
            schema = "Person"
            props["name"] = [self.person_name()]
            if rng.random() < 0.8:
                props["birthDate"] = [self.birth_date()]
        else:
            schema = "Organization" if listed else rng.choice(("Company", "Company", "LegalEntity"))
            props["name"] = [self.company_name()]
            if rng.random() < 0.5:
                props["registrationNumber"] = [str(rng.randrange(10**6, 10**9))]
        if listed:
            if rng.random() < 0.3:
                alias_maker = self.person_name if schema == "Person" else self.company_name
                props["alias"] = [alias_maker()]
            props["topics"] = [rng.choice(("sanction", "export.control"))]
        return {"id": entity_id, "schema": schema, "properties": props}

    # ------------------------------------------------------------------ variants

    def variant(self, listed: dict, entity_id: str) -> dict:
        """A case party that is ``listed`` as another source would write it."""
        rng = self.rng
        props = listed["properties"]
        name = rng.choice(props["name"] + props.get("alias", []))
        person = listed["schema"] == "Person"
        edits = [self.recase, self.punctuate, self.typo, self.transliterate]
        edits += [self.reorder, self.drop_middle] if person else [self.swap_legal_form, self.drop_legal_form]
        original = name
        # Some edits find nothing to change ("Kestrel Ltd" has no transliteration): try again, so
        # that every planted name differs from the listed one.
        while name == original:
            for edit in rng.sample(edits, rng.choice((1, 2, 2))):
                name = edit(name)
        new_props: dict[str, list[str]] = {"name": [name]}
        if rng.random() < 0.7:
            new_props["country"] = props["country"]
        if "registrationNumber" in props and rng.random() < 0.3:
            new_props["registrationNumber"] = props["registrationNumber"]
        if "birthDate" in props and rng.random() < 0.6:
            new_props["birthDate"] = props["birthDate"]
        schema = "Person" if person else rng.choice(("Company", "LegalEntity"))
        return {"id": entity_id, "schema": schema, "properties": new_props}

    def recase(self, name: str) -> str:
        return self.rng.choice((name.upper(), name.lower(), name.title()))

    def punctuate(self, name: str) -> str:
        words = name.split()
        if len(words) > 1:
            at = self.rng.randrange(len(words) - 1)
            words[at] = words[at] + self.rng.choice((",", "-", " &", "."))
        return " ".join(words).replace("- ", "-")

    def typo(self, name: str) -> str:
        words = name.split()
        long_words = [i for i, word in enumerate(words) if len(word) >= 5]
        if not long_words:
            return name
        i = self.rng.choice(long_words)
        word = list(words[i])
        at = self.rng.randrange(1, len(word) - 1)
        kind = self.rng.random()
        if kind < 0.4:
            word[at] = self.rng.choice(string.ascii_lowercase)
        elif kind < 0.7:
            del word[at]
        else:
            word[at], word[at + 1] = word[at + 1], word[at]
        words[i] = "".join(word)
        return " ".join(words)

    def transliterate(self, name: str) -> str:
        candidates = [(a, b) for a, b in TRANSLITERATIONS if a in name.lower()]
        if not candidates:
            return name
        a, b = self.rng.choice(candidates)
        at = name.lower().index(a)
        return name[:at] + b + name[at + len(a):]

    def reorder(self, name: str) -> str:
        words = name.split()
        return f"{words[-1].upper()}, {' '.join(words[:-1])}"

    def drop_middle(self, name: str) -> str:
        words = name.split()
        return f"{words[0]} {words[-1]}" if len(words) > 2 else name

    def swap_legal_form(self, name: str) -> str:
        for form, other in LEGAL_FORM_SWAPS.items():
            if name.endswith(" " + form):
                return name[: -len(form)] + other
        return name

    def drop_legal_form(self, name: str) -> str:
        for form in sorted(LEGAL_FORMS, key=len, reverse=True):
            if name.endswith(" " + form):
                return name[: -len(form) - 1]
        return name


def build(case_size: int, list_size: int, planted: int, seed: int):
    """The listed parties, the case's parties, and the planted (case id, listed id) pairs."""
    generator = Generator(seed)
    listed = [generator.party(f"list-{n:06d}", listed=True) for n in range(list_size)]
    own, truth = [], set()
    planted_sources = generator.rng.sample(listed, planted)
    for n in range(case_size):
        entity_id = f"case-{n:06d}"
        if n < planted:
            source = planted_sources[n]
            own.append(generator.variant(source, entity_id))
            truth.add((entity_id, source["id"]))
        else:
            own.append(generator.party(entity_id, listed=False))
    # Planted parties spread through the case rather than all at its start.
    generator.rng.shuffle(own)
    return listed, own, truth


def recall(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> str:
    hit = len(found & truth)
    return f"{hit}/{len(truth)} ({hit / len(truth):.1%})" if truth else "n/a"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case-size", type=int, default=10_000)
    parser.add_argument("--list-size", type=int, default=20_000)
    parser.add_argument("--planted", type=int, default=500)
    parser.add_argument(
        "--naive-sample", type=int, default=300, help="case parties compared with the whole list, no blocking"
    )
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    listed, own, truth = build(args.case_size, args.list_size, args.planted, args.seed)
    print(f"generated {len(own):,} case parties ({len(truth)} planted variants) and {len(listed):,} listed, "
          f"{time.perf_counter() - started:.1f} s")
    examples = {entity["id"]: entity for entity in (*own, *listed)}
    for case_id, list_id in sorted(truth)[:3]:
        variant, original = examples[case_id]["properties"]["name"][0], examples[list_id]["properties"]["name"]
        print(f"  planted: {variant!r} for {original}")

    with tempfile.TemporaryDirectory() as folder:
        case = Case.create(Path(folder) / "bench.wbcase")
        started = time.perf_counter()
        case.ingest(listed, SourceInfo(file_name="synthetic-list.json"))
        case.ingest(own, SourceInfo(file_name="synthetic-case.json"))
        print(f"ingest: {time.perf_counter() - started:.1f} s")

        # The analyst's call, end to end: read the case, block, score.
        started = time.perf_counter()
        candidates = list_matches(case, threshold=args.threshold)
        end_to_end = time.perf_counter() - started
        found = {(c.left_id, c.right_id) for c in candidates}
        print(f"list_matches: {end_to_end:.1f} s, {len(candidates):,} candidates at >= {args.threshold}, "
              f"planted recovered {recall(found, truth)}, other pairs proposed {len(found - truth):,}")
        # The generator draws names from short word lists, so unplanted parties share names
        # with listed ones as namesakes do: proposing those is right, on the names alone.
        namesakes = sum(1 for c in candidates if (c.left_id, c.right_id) not in truth and " 1.00" in c.explanation[0])
        print(f"  of the other pairs, {namesakes:,} have a name in common (after normalisation): namesakes")
        for threshold in (0.8, 0.9):
            above = {(c.left_id, c.right_id) for c in candidates if c.score >= threshold}
            print(f"  at >= {threshold}: planted recovered {recall(above, truth)}, other pairs {len(above - truth):,}")

        # The same work in its parts, for the pair count.
        started = time.perf_counter()
        entities = [entity for entity in case.entities("Thing") if entity.schema.matchable]
        own_entities = [entity for entity in entities if not is_listed(entity)]
        listed_entities = [entity for entity in entities if is_listed(entity)]
        loading = time.perf_counter() - started
        started = time.perf_counter()
        run = match_entities(own_entities, listed_entities, threshold=args.threshold)
        blocked_seconds = time.perf_counter() - started
        all_pairs = len(own_entities) * len(listed_entities)
        print(f"  reading the case {loading:.1f} s; profiling, blocking and scoring {blocked_seconds:.1f} s; "
              f"{run.pairs_compared:,} pairs compared of {all_pairs:,} ({run.pairs_compared / all_pairs:.3%}); "
              f"{run.skipped_keys} keys too common to block on")
        case.close()

    # Baseline: no blocking, the same profiles and scorer, every listed party for a sample.
    # A random sample: the case's own order puts the planted parties first.
    sample = random.Random(args.seed).sample(own_entities, min(args.naive_sample, len(own_entities)))
    started = time.perf_counter()
    own_profiles = [profile_entity(entity) for entity in sample]
    listed_profiles = [profile_entity(entity) for entity in listed_entities]
    weights = TokenWeights([*own_profiles, *listed_profiles])
    profiling = time.perf_counter() - started
    started = time.perf_counter()
    naive_found = set()
    for own_profile in own_profiles:
        for listed_profile in listed_profiles:
            candidate = compare_profiles(own_profile, listed_profile, weights=weights)
            if candidate is not None and candidate.score >= args.threshold:
                naive_found.add((candidate.left_id, candidate.right_id))
    naive_seconds = time.perf_counter() - started
    naive_pairs = len(own_profiles) * len(listed_profiles)
    scale = len(own_entities) / max(len(sample), 1)
    sample_ids = {profile.id for profile in own_profiles}
    sample_truth = {pair for pair in truth if pair[0] in sample_ids}
    blocked_in_sample = {pair for pair in found if pair[0] in sample_ids}
    print(f"naive all pairs, {len(sample)} x {len(listed_profiles):,} = {naive_pairs:,} pairs: {naive_seconds:.1f} s "
          f"(+{profiling:.1f} s profiling); extrapolated to {len(own_entities):,} parties: "
          f"{naive_seconds * scale:.0f} s for {int(naive_pairs * scale):,} pairs")
    print(f"  in the sample: naive recovers {recall(naive_found, sample_truth)} planted, blocking "
          f"{recall(blocked_in_sample, sample_truth)}; pairs naive proposes that blocking missed: "
          f"{len(naive_found - blocked_in_sample)}")
    print(f"speed-up of blocking over naive (matching only): {naive_seconds * scale / blocked_seconds:.0f}x")


if __name__ == "__main__":
    sys.exit(main())
