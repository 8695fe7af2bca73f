"""Entity resolution: which parties in a case are probably the same, and which are listed.

Two questions an analyst asks of every case:

* :func:`candidate_duplicates`: which entities in the case describe the same party
  ("Atlas Crest General Trading FZE" from an invoice and "ATLAS CREST GENERAL TRADING" from a
  bill of lading)?
* :func:`list_matches`: which of the case's own parties (not from a sanctions or export-control
  list) look like a party that *is* on one of the imported lists?

Both return :class:`Candidate` pairs with a score from 0 to 1 and the reasons for it in plain
words, for the analyst to decide on; nothing is merged here. Decisions the analyst already
recorded (``Case.record_match_decision``) are respected: pairs decided ``different`` or
``same`` are not proposed again, pairs decided ``unsure`` come back with that decision attached.

How it scales: comparing every pair is quadratic (10,000 case parties against a 20,000-entry
list is 200 million pairs), so pairs are *blocked* first. Each name is normalised (rigour:
case, punctuation, transliteration, legal forms such as "LLC", "GmbH" or "OOO" removed) and
split into tokens; tokens, their phonetic keys (metaphone, for spelling and transliteration
variants) and identifiers index the entities. An entity is compared only with the entities it
shares keys with, rarest keys first: a token held by thousands of names ("trading",
"international") is skipped, and each entity meets at most
:data:`MAX_CANDIDATES_PER_ENTITY` others, those sharing the most informative keys.

How pairs are scored: the best similarity between any of the two entities' names and aliases
(weak aliases count, but cannot make a match on their own), the mean of a rapidfuzz ratio of
the letters and a pairing of the words in which rare words count more than common ones
(:func:`compare_names`); then moved up or down by the rest of the evidence: shared or
conflicting identifiers, birth and incorporation dates, countries (:func:`compare_profiles`).
A Person and a Company are never compared (FtM's ``common_schema`` decides what can be the same
party). Every step that moves the score is one line of the candidate's explanation.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import TYPE_CHECKING

from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rigour.names import extract_org_types, normalize_name, remove_org_types, remove_person_prefixes
from rigour.text import ascii_text, is_stopword, metaphone, remove_bracketed_text
from rigour.text.scripts import can_latinize

from workbench.model import model

if TYPE_CHECKING:
    from workbench.store import Case

#: FtM topics that mark a party as listed: sanctioned, export-controlled, debarred, or linked
#: to such a party by the list itself.
LIST_TOPICS = frozenset(
    {
        "sanction",
        "sanction.linked",
        "sanction.counter",
        "sanction.control",
        "export.control",
        "export.control.linked",
        "debarment",
        "invest.ban",
    }
)

#: Names that identify a party. A match on any of them can propose a pair.
STRONG_NAME_PROPS = ("name", "alias", "previousName")
#: Names too vague to match on alone (FtM's ``weakAlias``, OFAC's and the UN's "low quality"
#: aliases, abbreviations such as "AIG"): they count, but their similarity is capped below
#: the default threshold so that other evidence has to agree.
WEAK_NAME_PROPS = ("weakAlias", "abbreviation")
WEAK_NAME_CAP = 0.65

#: Identifier properties that do not identify a party: a sanctions programme id or an
#: activity code is shared by many.
NON_IDENTIFYING_PROPS = frozenset({"programId", "okvedCode", "okpoCode"})
MIN_IDENTIFIER_LENGTH = 3

#: Words that say what kind of company a name belongs to rather than which company. rigour's
#: legal-form table catches "LLC", "GmbH", "OOO", "FZE" and their spelled-out forms; these are
#: the generic words it leaves in.
GENERIC_COMPANY_WORDS = frozenset(
    "co company corp corporation inc incorporated ltd limited pte pvt private plc sti".split()
)

#: Dates on which two records of the same party must agree.
DATE_PROPS = {"birthDate": "birth dates", "incorporationDate": "incorporation dates"}

# How much each kind of evidence moves a score: an agreeing fact closes a share of the gap to
# 1, a conflicting one subtracts (see compare_profiles).
SAME_IDENTIFIER_SHARE = 0.6
DIFFERENT_IDENTIFIER_PENALTY = 0.15
SAME_DATE_SHARE = 0.4
COMPATIBLE_DATE_SHARE = 0.2  # "1961" and "1961-04-17": agree, but say less
DIFFERENT_DATE_PENALTY = 0.3
SAME_COUNTRY_SHARE = 0.1
DIFFERENT_COUNTRY_PENALTY = 0.1  # not more: a front company is rarely where its owner is
DIFFERENT_LEGAL_FORM_FACTOR = 0.9

#: Words that describe a business rather than name it. Their weight is cut even where the
#: case is too small for word frequencies to show how common they are.
GENERIC_NAME_WORDS = frozenset(
    """
    general trading trade traders industries industry industrial group holding holdings
    international intl global worldwide import export imports exports technology technologies
    tech electronics electronic electric engineering research institute systems system services
    service logistics supply supplies equipment machinery enterprise enterprises development
    investment investments commercial manufacturing products solutions partners resources energy
    shipping marine maritime freight transport chemical chemicals metals materials components
    devices instruments precision scientific science sciences bank foreign
    """.split()
)
GENERIC_WORD_WEIGHT = 0.5

#: Below this name similarity a pair is not worth scoring further unless an identifier agrees.
NAME_FLOOR = 0.5
#: Names less alike than this, character for character (rapidfuzz token-sort ratio), are not
#: compared word by word: the cheap test that keeps exhaustive comparison affordable.
PLAINLY_DIFFERENT = 0.4
#: Two words less alike than this (rapidfuzz optimal-string-alignment similarity) are
#: different words ("karim" / "kim" 0.6, "hassan" / "hussein" 0.57); at or above it, spellings
#: of one word ("tekhsnab" / "techsnab" 0.88, "zhou" / "zhu" 0.75).
TOKEN_MATCH_MIN = 0.75
#: Names that differ only in spacing ("Tech Snab" / "Techsnab") are this alike or more.
COMPACT_MATCH_MIN = 0.9
#: Persons: a name all of whose parts appear in the other ("Arkady Veltsin" in "Arkady
#: Vasilyevich Veltsin") is probably the same person with a name left out; not certainly.
PERSON_SUBSET_FACTOR = 0.9

# Blocking. A key held by more entities than this is too common to say anything ("trading",
# "mohammed"); an entity with nothing but such keys is still compared through its rarest one.
MAX_BLOCK_SIZE = 200
#: Phonetic and one-letter-off keys of a word that many names share find little that the word
#: itself does not, at the cost of reading long lists: they are used only below this size.
MAX_FUZZY_BLOCK_SIZE = 100
#: The most entities one entity is compared with: those sharing its most informative keys
#: (more when more than that tie for first place: forty listed "Mohammad Kang"s all come up),
#: never more than :data:`MAX_TIED_CANDIDATES`.
MAX_CANDIDATES_PER_ENTITY = 20
MAX_TIED_CANDIDATES = 100
MIN_TOKEN_LENGTH = 2
MIN_PHONETIC_TOKEN_LENGTH = 4
#: Words this long are also indexed with each letter left out in turn, so that a typo or a
#: transliteration of one letter ("Debelos" for "Debelvos", "Sokolow" for "Sokolov") still
#: meets its original: two words one edit apart share one of these keys.
MIN_DELETION_TOKEN_LENGTH = 4
# Phonetic and one-letter-off keys are looser than tokens, so sharing one says less;
# identifiers say most.
PHONETIC_KEY_WEIGHT = 0.5
DELETION_KEY_WEIGHT = 0.3
IDENTIFIER_KEY_WEIGHT = 3.0
#: Longest stretch of a name (or address) used for matching, in characters. Real names of parties,
#: with their legal forms, stay far below it; a value past it is junk or an attack (a 400,000
#: character "name" took the resolver 22 s, a 30 MB one 11 min). Only matching is cut: the case
#: keeps the whole value.
MAX_MATCH_TEXT_LENGTH = 300


@dataclass
class Candidate:
    """Two entities that may be the same party, with the score and the reasons for it.

    For :func:`list_matches` ``left_id`` is the case's entity and ``right_id`` the listed one;
    for :func:`candidate_duplicates` the ids are in sorted order. ``decision`` is the analyst's
    earlier verdict on the pair, if any (only ``unsure`` pairs are proposed again).
    """

    left_id: str
    right_id: str
    score: float
    explanation: list[str] = field(default_factory=list)
    decision: str | None = None


@dataclass(frozen=True)
class ComparableName:
    """One name of an entity, reduced to what matters for comparing it."""

    text: str  # as written, for explanations
    prop: str
    core: str  # normalised tokens, legal forms and stop words removed
    tokens: tuple[str, ...]
    legal_forms: frozenset[str]  # rigour's generic forms, e.g. {"llc"}

    @property
    def weak(self) -> bool:
        return self.prop in WEAK_NAME_PROPS


@dataclass
class EntityProfile:
    """What matching needs to know of one entity, computed once per run."""

    id: str
    schema: str
    names: list[ComparableName]
    identifiers: dict[str, dict[str, str]]  # property -> {normalised value: value as written}
    dates: dict[str, set[str]]  # property -> ISO dates (possibly partial: "1961")
    countries: set[str]

    def block_keys(self) -> dict[str, float]:
        """Index keys with their relative weight: name tokens, their sounds, identifiers."""
        keys: dict[str, float] = {}
        for name in self.names:
            if name.weak:
                continue
            for token in name.tokens:
                if len(token) < MIN_TOKEN_LENGTH:
                    continue
                keys[f"t:{token}"] = 1.0
                if len(token) >= MIN_PHONETIC_TOKEN_LENGTH and token.isalpha():
                    keys[f"p:{_phonetic(token)}"] = PHONETIC_KEY_WEIGHT
                keys.update(dict.fromkeys(_deletion_keys(token), DELETION_KEY_WEIGHT))
        for values in self.identifiers.values():
            for value in values:
                keys[f"i:{value}"] = IDENTIFIER_KEY_WEIGHT
        return keys


@dataclass
class MatchRun:
    """The candidates of one matching run, with what it took to find them."""

    candidates: list[Candidate]
    left_entities: int
    right_entities: int
    pairs_compared: int
    skipped_keys: int  # keys too common to block on


# ---------------------------------------------------------------------- public entry points


def candidate_duplicates(
    case: "Case", schema: str = "LegalEntity", threshold: float = 0.7, limit: int | None = None
) -> list[Candidate]:
    """Pairs of entities in ``case`` (of ``schema`` and its descendants) that may be one party.

    Best first; at most ``limit`` of them. Pairs the analyst decided on are left out, except
    ``unsure`` ones, which are always proposed again with their decision attached.
    """
    entities = [entity for entity in case.entities(schema) if entity.schema.matchable]
    run = match_entities(entities, None, threshold=threshold, decisions=_decisions(case))
    return run.candidates[:limit] if limit is not None else run.candidates


def list_matches(
    case: "Case", threshold: float = 0.7, schema: str = "Thing", limit: int | None = None
) -> list[Candidate]:
    """The case's own parties that look like listed ones, best first.

    Listed means carrying one of :data:`LIST_TOPICS` (importers of sanctions and
    export-control lists set them); everything else of a matchable schema is the case's own.
    ``left_id`` is the case's party, ``right_id`` the listed one.
    """
    topics = getattr(case, "topics", None)
    if callable(topics) and all(LIST_TOPICS.isdisjoint(found) for found in topics().values()):
        # Nothing listed to match against: no need to read (and profile) every party. A bank's
        # case of 340,000 accounts and no list took half a minute here to find nothing.
        return []
    listed: list[EntityProxy] = []
    own: list[EntityProxy] = []
    for entity in case.entities(schema):
        if not entity.schema.matchable:
            continue
        (listed if is_listed(entity) else own).append(entity)
    run = match_entities(own, listed, threshold=threshold, decisions=_decisions(case))
    return run.candidates[:limit] if limit is not None else run.candidates


def is_listed(entity: EntityProxy) -> bool:
    """Whether the entity carries a list topic (sanctioned, export-controlled, debarred...)."""
    return not LIST_TOPICS.isdisjoint(entity.get("topics", quiet=True))


def match_entities(
    left: Iterable[EntityProxy],
    right: Iterable[EntityProxy] | None,
    *,
    threshold: float = 0.7,
    decisions: dict[tuple[str, str], str] | None = None,
) -> MatchRun:
    """Compare ``left`` with ``right`` through blocking; ``right=None`` compares ``left`` within itself.

    ``decisions`` maps sorted id pairs to ``same``/``different``/``unsure``, as
    ``Case.match_decisions`` returns them. Works on bare FtM proxies, with or without a case.
    """
    left_profiles = [profile_entity(entity) for entity in left]
    within = right is None
    right_profiles = left_profiles if right is None else [profile_entity(entity) for entity in right]
    decisions = decisions or {}
    weights = TokenWeights(left_profiles if within else [*left_profiles, *right_profiles])
    pairs, skipped = _blocked_pairs(left_profiles, right_profiles, within=within)

    candidates: list[Candidate] = []
    compared = 0
    for left_index, right_index in pairs:
        left_profile, right_profile = left_profiles[left_index], right_profiles[right_index]
        if within and left_profile.id > right_profile.id:
            # Within one set a pair is reported in id order, reasons included.
            left_profile, right_profile = right_profile, left_profile
        decision = decisions.get(_pair_key(left_profile.id, right_profile.id))
        if decision in ("same", "different"):
            continue
        compared += 1
        candidate = compare_profiles(left_profile, right_profile, weights=weights, decision=decision)
        if candidate is None:
            continue
        if candidate.score >= threshold or decision == "unsure":
            candidates.append(candidate)

    # An unsure pair stays on the analyst's desk even when blocking no longer brings it up
    # (a name was edited, the threshold raised): it is compared directly.
    found = {_pair_key(c.left_id, c.right_id) for c in candidates}
    left_by_id = {profile.id: profile for profile in left_profiles}
    right_by_id = left_by_id if within else {profile.id: profile for profile in right_profiles}
    for pair, decision in decisions.items():
        if decision != "unsure" or pair in found:
            continue
        for left_id, right_id in (pair, pair[::-1]):
            if left_id in left_by_id and right_id in right_by_id:
                candidate = compare_profiles(
                    left_by_id[left_id], right_by_id[right_id], weights=weights, decision=decision
                )
                if candidate is None:  # incompatible types now: say so rather than drop it
                    candidate = Candidate(left_id, right_id, 0.0, ["cannot be the same party (types differ)"], decision)
                candidates.append(candidate)
                break

    candidates.sort(key=lambda c: (-c.score, c.left_id, c.right_id))
    return MatchRun(candidates, len(left_profiles), len(right_profiles), compared, skipped)


# ---------------------------------------------------------------------- profiles


def profile_entity(entity: EntityProxy) -> EntityProfile:
    """Reduce an FtM entity to its comparable names, identifiers, dates and countries."""
    if entity.id is None:
        raise ValueError("an entity without an id cannot be matched")
    schema = entity.schema
    is_person = schema.is_a("Person")
    names: list[ComparableName] = []
    seen: set[str] = set()
    # Strong names first, so that a weak alias repeating a name does not displace it.
    for name_prop in STRONG_NAME_PROPS + WEAK_NAME_PROPS:
        if name_prop not in schema.properties:
            continue
        for text in entity.get(name_prop, quiet=True):
            shown = matching_text(text)  # what an explanation quotes
            for variant in _name_variants(text):
                name = _comparable_name(variant, shown, name_prop, is_person)
                if name is not None and name.core not in seen:
                    seen.add(name.core)
                    names.append(name)

    identifiers: dict[str, dict[str, str]] = {}
    dates: dict[str, set[str]] = {}
    countries: set[str] = set()
    for prop, value in entity.itervalues():
        if prop.type == registry.identifier and prop.name not in NON_IDENTIFYING_PROPS:
            normalised = _normalise_identifier(value)
            if len(normalised) >= MIN_IDENTIFIER_LENGTH:
                identifiers.setdefault(prop.name, {}).setdefault(normalised, value)
        elif prop.name in DATE_PROPS:
            dates.setdefault(prop.name, set()).add(value)
        elif prop.type == registry.country:
            countries.add(value)
    return EntityProfile(
        id=entity.id,
        schema=schema.name,
        names=names,
        identifiers=identifiers,
        dates=dates,
        countries=countries,
    )


def matching_text(text: str, limit: int = MAX_MATCH_TEXT_LENGTH) -> str:
    """The part of ``text`` that matching looks at: all of it up to ``limit`` characters, else its
    start cut at the last word boundary before the limit (or at the limit, if none is near).

    The one place where names and addresses are shortened for comparison, so that a huge value
    costs no more to match than a long real name.
    """
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _name_variants(text: str) -> list[str]:
    """The name, and without its bracketed parts: "... OF IRAN (AEOI)" is also "... OF IRAN"."""
    text = matching_text(text)
    plain = remove_bracketed_text(text).strip()
    return [text, plain] if plain and plain != text else [text]


@lru_cache(maxsize=200_000)
def _comparable_name(text: str, original: str, prop: str, is_person: bool) -> ComparableName | None:
    normalised = normalize_name(text)  # casefolded, punctuation gone: "F.Z.E." is "fze"
    if not normalised:
        return None
    if is_person:
        legal_forms: frozenset[str] = frozenset()
        stripped = remove_person_prefixes(normalised)  # "mr", "dr", "haji"
    else:
        legal_forms = frozenset(form for _, form in extract_org_types(normalised, generic=True))
        stripped = remove_org_types(normalised, replacement=" ")
    if can_latinize(stripped):
        # Cyrillic, Greek, accented Latin: compare in ASCII, as the lists themselves often do.
        stripped = ascii_text(stripped)
    tokens = [t for t in stripped.split() if not is_stopword(t) and t not in GENERIC_COMPANY_WORDS]
    if not tokens:
        # A name that is nothing but a legal form or stop words ("The Company Ltd"): keep it whole.
        tokens = normalised.split()
    return ComparableName(
        text=original, prop=prop, core=" ".join(tokens), tokens=tuple(tokens), legal_forms=legal_forms
    )


@lru_cache(maxsize=200_000)
def _phonetic(token: str) -> str:
    return metaphone(token)


@lru_cache(maxsize=200_000)
def _deletion_keys(token: str) -> tuple[str, ...]:
    """The token and, if long enough, the token with each letter left out in turn.

    Two words one edit apart share one of these: "sokolow" and "sokolov" share "sokolo",
    "zhou" and "zhu" share "zhu".
    """
    if len(token) < MIN_DELETION_TOKEN_LENGTH:
        return (f"d:{token}",)
    return (f"d:{token}", *(f"d:{token[:at]}{token[at + 1:]}" for at in range(len(token))))


def _normalise_identifier(value: str) -> str:
    """Upper case, letters and digits only: "HRB 48213" and "hrb-48213" are one number."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


# ---------------------------------------------------------------------- blocking


def _blocked_pairs(
    left: Sequence[EntityProfile], right: Sequence[EntityProfile], *, within: bool
) -> tuple[list[tuple[int, int]], int]:
    """Index pairs ``(left, right)`` worth comparing, and how many keys were too common to use.

    Every right entity is indexed under its keys. A left entity collects the right entities
    it shares a key with, except keys too common to say anything (:data:`MAX_BLOCK_SIZE`),
    ranks them by the inverse document frequencies of all the keys they share, common ones
    included, and keeps the :data:`MAX_CANDIDATES_PER_ENTITY` best: "Pacific Components Inc."
    is found among a hundred other "Pacific" names because it also shares "components".
    """
    right_keys = [profile.block_keys() for profile in right]
    left_keys = right_keys if within else [profile.block_keys() for profile in left]
    postings: dict[str, list[int]] = defaultdict(list)
    key_weights: dict[str, float] = {}
    for index, keys in enumerate(right_keys):
        for key, weight in keys.items():
            postings[key].append(index)
            key_weights[key] = weight
    size = max(len(right), 1)
    idf = {key: key_weights[key] * math.log(1 + size / len(indices)) for key, indices in postings.items()}
    too_common = {
        key
        for key, indices in postings.items()
        if len(indices) > (MAX_BLOCK_SIZE if key.startswith(("t:", "i:")) else MAX_FUZZY_BLOCK_SIZE)
    }

    common_sets: dict[str, set[int]] = {}

    pairs: set[tuple[int, int]] = set()
    for left_index, keys in enumerate(left_keys):
        present = [key for key in keys if key in postings]
        usable = [key for key in present if key not in too_common]
        common = [key for key in present if key in too_common]
        if not usable and common:
            # Nothing but common words ("General Trading LLC"): compare through the rarest.
            usable = [min(common, key=lambda key: len(postings[key]))]
            common.remove(usable[0])
        shared: dict[int, float] = defaultdict(float)
        for key in usable:
            weight = idf[key]
            for right_index in postings[key]:
                shared[right_index] += weight
        if within:
            shared.pop(left_index, None)
        for key in common:
            weight = idf[key]
            holders = common_sets.get(key)
            if holders is None:
                holders = common_sets[key] = set(postings[key])
            # A set intersection (in C) rather than a membership test per candidate.
            for right_index in shared.keys() & holders:
                shared[right_index] += weight
        for right_index in _best_candidates(shared):
            if within:
                # Each unordered pair once, whichever side found it.
                pairs.add((min(left_index, right_index), max(left_index, right_index)))
            else:
                pairs.add((left_index, right_index))
    return sorted(pairs), len(too_common)


def _best_candidates(shared: dict[int, float]) -> list[int]:
    """The best-ranked :data:`MAX_CANDIDATES_PER_ENTITY`, and more if that many tie for first."""
    ranked = heapq.nsmallest(MAX_TIED_CANDIDATES, shared.items(), key=lambda item: (-item[1], item[0]))
    if not ranked:
        return []
    top_weight = ranked[0][1]
    return [
        index
        for at, (index, weight) in enumerate(ranked)
        if at < MAX_CANDIDATES_PER_ENTITY or weight >= top_weight - 1e-9
    ]


# ---------------------------------------------------------------------- scoring


def compare_profiles(
    left: EntityProfile,
    right: EntityProfile,
    *,
    weights: TokenWeights | None = None,
    decision: str | None = None,
) -> Candidate | None:
    """Score one pair with its reasons; ``None`` if they cannot be or are plainly not the same.

    ``None`` means: types that cannot be one party (a Person and a Company), or names less
    similar than :data:`NAME_FLOOR` with no identifier in common. ``weights`` say how much
    each name word counts (see :class:`TokenWeights`); without them all words but the generic
    ones count the same.
    """
    if left.id == right.id or not _compatible(left.schema, right.schema):
        return None
    reasons: list[str] = []
    shared_identifiers = _shared_identifiers(left, right)
    best_names = _best_names(left, right, weights or _UNIFORM_WEIGHTS)
    score = best_names[0].similarity if best_names else 0.0
    if score < NAME_FLOOR and not shared_identifiers:
        return None
    if best_names:
        reasons.append(_name_reason(*best_names))

    # Agreements are counted first and conflicts last, so that a soft agreement (a country)
    # cannot undo a hard conflict (a birth date): the conflict has the last word.
    agreements: list[tuple[float, str]] = []
    conflicts: list[tuple[float, str]] = []
    if shared_identifiers:
        agreements.extend((SAME_IDENTIFIER_SHARE, f"same {prop} {value}") for prop, value in shared_identifiers)
    else:
        for prop in sorted(set(left.identifiers) & set(right.identifiers)):
            left_values, right_values = left.identifiers[prop].values(), right.identifiers[prop].values()
            conflicts.append(
                (DIFFERENT_IDENTIFIER_PENALTY, f"different {prop} {_listing(left_values)} vs {_listing(right_values)}")
            )

    for prop, label in DATE_PROPS.items():
        left_dates, right_dates = left.dates.get(prop), right.dates.get(prop)
        if not left_dates or not right_dates:
            continue
        exact = left_dates & right_dates
        # "1961" and "1961-04-17" agree, as far as the less precise one goes.
        compatible = [
            (a, b) for a in sorted(left_dates) for b in sorted(right_dates) if a.startswith(b) or b.startswith(a)
        ]
        if exact:
            agreements.append((SAME_DATE_SHARE, f"same {label[:-1]} {_listing(exact)}"))
        elif compatible:
            agreements.append((COMPATIBLE_DATE_SHARE, f"compatible {label} {compatible[0][0]} / {compatible[0][1]}"))
        else:
            conflicts.append(
                (DIFFERENT_DATE_PENALTY, f"different {label} {_listing(left_dates)} vs {_listing(right_dates)}")
            )

    if left.countries and right.countries:
        common = left.countries & right.countries
        if common:
            agreements.append((SAME_COUNTRY_SHARE, f"same country {_listing(common)}"))
        else:
            countries = f"{_listing(left.countries)} vs {_listing(right.countries)}"
            conflicts.append((DIFFERENT_COUNTRY_PENALTY, f"no country in common: {countries}"))

    for share, reason in agreements:
        # Each agreement closes a share of the gap to 1: it never passes 1, and it matters less
        # the surer the names already are.
        gain = (1.0 - score) * share
        score += gain
        reasons.append(f"{reason} (+{gain:.2f})")
    for penalty, reason in conflicts:
        loss = min(score, penalty)
        score -= loss
        reasons.append(f"{reason} (-{loss:.2f})")
    return Candidate(left.id, right.id, round(min(max(score, 0.0), 1.0), 4), reasons, decision)


class TokenWeights:
    """How much a name token says about identity: rare tokens much, common ones little.

    The weight is the token's inverse document frequency among the entities of one run, so
    "vostralin" outweighs "trading" in a list of traders, and a first name shared by hundreds
    of listed people outweighs nothing. :data:`GENERIC_NAME_WORDS` are weighted down even in a
    small case, where frequencies say little.
    """

    def __init__(self, profiles: Iterable[EntityProfile] = ()):
        counts: Counter[str] = Counter()
        total = 0
        for profile in profiles:
            total += 1
            counts.update({token for name in profile.names for token in name.tokens})
        self._total = total
        self._counts = counts
        self._cache: dict[str, float] = {}

    def __call__(self, token: str) -> float:
        weight = self._cache.get(token)
        if weight is None:
            weight = math.log(1 + (self._total + 1) / (self._counts.get(token, 0) + 1))
            if token in GENERIC_NAME_WORDS:
                weight *= GENERIC_WORD_WEIGHT
            self._cache[token] = weight
        return weight


@dataclass(frozen=True)
class NameComparison:
    """How two names compare: their similarity and the words of each without a counterpart."""

    similarity: float
    left_unmatched: tuple[str, ...]
    right_unmatched: tuple[str, ...]


def _best_names(
    left: EntityProfile, right: EntityProfile, weights: TokenWeights
) -> tuple[NameComparison, ComparableName, ComparableName] | None:
    """The most similar pair of names of the two entities, and how they compare."""
    person = left.schema == "Person" or right.schema == "Person"
    best = None
    for left_name, right_name in product(left.names, right.names):
        comparison = compare_names(left_name, right_name, weights, person=person)
        if comparison is None:
            continue
        if best is None or comparison.similarity > best[0].similarity:
            best = (comparison, left_name, right_name)
            if comparison.similarity == 1.0 and not (left_name.weak or right_name.weak):
                break  # identical strong names: nothing can do better
    return best


def _name_reason(comparison: NameComparison, left_name: ComparableName, right_name: ComparableName) -> str:
    """ "names 'A' ~ 'B' 0.93", with the words that did not pair up and what else qualified it."""
    reason = f"names {_quoted(left_name)} ~ {_quoted(right_name)} {comparison.similarity:.2f}"
    details = []
    if comparison.left_unmatched or comparison.right_unmatched:
        left_words = " ".join(comparison.left_unmatched) or "-"
        right_words = " ".join(comparison.right_unmatched) or "-"
        details.append(f"unmatched words: {left_words} / {right_words}")
    if left_name.legal_forms and right_name.legal_forms and not (left_name.legal_forms & right_name.legal_forms):
        details.append(f"legal forms differ: {_listing(left_name.legal_forms)} vs {_listing(right_name.legal_forms)}")
    if left_name.weak or right_name.weak:
        details.append(f"a weak alias, counted at most {WEAK_NAME_CAP}")
    if details:
        reason += f" ({'; '.join(details)})"
    return reason


def compare_names(
    left: ComparableName, right: ComparableName, weights: TokenWeights, *, person: bool = False
) -> NameComparison | None:
    """Similarity of two names from 0 to 1, or ``None`` if they are plainly different.

    The mean of two measures. By letters: rapidfuzz's token-sort ratio, blind to word order
    ("RIM, Ryong Nam" is "Ryong Nam Rim"). By words: each word is paired with its most similar
    counterpart in the other name (a spelling variant counts for its similarity: "Tekhsnab" is
    0.88 of "Techsnab"; see :func:`_align_words`) and counts by its weight, so that words
    shared by many names say little. Names less alike by letters than
    :data:`PLAINLY_DIFFERENT` are not compared by words at all.
    """
    if left.core == right.core:
        similarity = 1.0
        left_unmatched: tuple[str, ...] = ()
        right_unmatched: tuple[str, ...] = ()
    else:
        by_letters = fuzz.token_sort_ratio(left.core, right.core, score_cutoff=PLAINLY_DIFFERENT * 100) / 100.0
        if not by_letters:
            return None
        alignment = _align_words(left.tokens, right.tokens, weights)
        left_matched, left_total, left_unmatched = alignment.left
        right_matched, right_total, right_unmatched = alignment.right
        by_words = (left_matched + right_matched) / (left_total + right_total)
        # Either alone misleads: by letters "Delta Industries Group" is 0.73 of "Volta
        # Industries Group" though only the common words agree; by words "Lumen Supply" is
        # close to "Lumen Energy", whose one distinctive word it shares, though by letters
        # the names are only 0.42 alike.
        similarity = (by_words + by_letters) / 2
        if person:
            # A person's record often leaves a name out ("Arkady Veltsin" for "Arkady
            # Vasilyevich Veltsin"): if every part of the shorter name is in the longer, that
            # says more than the missing part takes away.
            for matched, total, unmatched, tokens in (
                (left_matched, left_total, left_unmatched, left.tokens),
                (right_matched, right_total, right_unmatched, right.tokens),
            ):
                if not unmatched and len(tokens) >= 2:
                    similarity = max(similarity, PERSON_SUBSET_FACTOR * matched / total)
        if len(left.tokens) != len(right.tokens):
            # Words split or joined differently ("Tech Snab" and "Techsnab") defeat the word
            # pairing; compare the letters alone.
            compact = fuzz.ratio(left.core.replace(" ", ""), right.core.replace(" ", "")) / 100.0
            if compact >= COMPACT_MATCH_MIN and compact > similarity:
                similarity, left_unmatched, right_unmatched = compact, (), ()
    if left.legal_forms and right.legal_forms and not (left.legal_forms & right.legal_forms):
        # "Meridian Holdings LLC" and "Meridian Holdings JSC" can be two companies of one group.
        similarity *= DIFFERENT_LEGAL_FORM_FACTOR
    if left.weak or right.weak:
        similarity = min(similarity, WEAK_NAME_CAP)
    return NameComparison(similarity, left_unmatched, right_unmatched)


@dataclass(frozen=True)
class _WordAlignment:
    """Per side: weight of the words paired (scaled by similarity), total weight, unpaired words."""

    left: tuple[float, float, tuple[str, ...]]
    right: tuple[float, float, tuple[str, ...]]


def _align_words(left: Sequence[str], right: Sequence[str], weights: TokenWeights) -> _WordAlignment:
    """Pair each word with at most one word of the other name, most similar pairs first.

    One-to-one, so that "Chol Cho" does not find both its words in the single "Cho" of "Ahmet
    Cho". Similarity is rapidfuzz's optimal-string-alignment ratio: a letter changed, dropped,
    added or two swapped ("Amhadi" for "Ahmadi") cost the same.
    """
    pairs = []
    for i, left_word in enumerate(left):
        for j, right_word in enumerate(right):
            if left_word == right_word:
                similarity = 1.0
            else:
                similarity = OSA.normalized_similarity(left_word, right_word, score_cutoff=TOKEN_MATCH_MIN)
                if not similarity:
                    continue
            pairs.append((similarity, i, j))
    pairs.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))
    left_paired: dict[int, float] = {}
    right_paired: dict[int, float] = {}
    for similarity, i, j in pairs:
        if i not in left_paired and j not in right_paired:
            left_paired[i] = right_paired[j] = similarity
    return _WordAlignment(_side(left, left_paired, weights), _side(right, right_paired, weights))


def _side(
    words: Sequence[str], paired: dict[int, float], weights: TokenWeights
) -> tuple[float, float, tuple[str, ...]]:
    matched = total = 0.0
    unmatched: list[str] = []
    for index, word in enumerate(words):
        weight = weights(word)
        total += weight
        if index in paired:
            matched += weight * paired[index]
        else:
            unmatched.append(word)
    return matched, total, tuple(unmatched)


_UNIFORM_WEIGHTS = TokenWeights()


def _shared_identifiers(left: EntityProfile, right: EntityProfile) -> list[tuple[str, str]]:
    """``(property, value)`` of identifiers both have, under any identifier property.

    Values are compared by letters and digits only ("HRB 48213" is "hrb-48213") and shown as
    the left entity writes them. Lists file a registration number as ``idNumber`` as often as
    ``registrationNumber``, so a number counts wherever it is filed.
    """
    if not left.identifiers or not right.identifiers:
        return []
    left_values = {
        normalised: (prop, written)
        for prop, values in left.identifiers.items()
        for normalised, written in values.items()
    }
    shared = []
    for prop, values in right.identifiers.items():
        for normalised in sorted(values):
            if normalised in left_values:
                left_prop, written = left_values[normalised]
                shared.append((left_prop if left_prop == prop else f"{left_prop}/{prop}", written))
    return shared


@lru_cache(maxsize=4096)
def _compatible(left_schema: str, right_schema: str) -> bool:
    try:
        model.common_schema(left_schema, right_schema)
    except InvalidData:
        return False
    return True


def _pair_key(left_id: str, right_id: str) -> tuple[str, str]:
    return (left_id, right_id) if left_id <= right_id else (right_id, left_id)


def _decisions(case: "Case") -> dict[tuple[str, str], str]:
    """The case's match decisions, keyed by the ids the entities are known by now.

    A decision taken before a merge still applies to the merged entity.
    """
    decisions: dict[tuple[str, str], str] = {}
    for (left_id, right_id), decision in case.match_decisions().items():
        decisions[_pair_key(case.resolve(left_id), case.resolve(right_id))] = decision
    return decisions


def _quoted(name: ComparableName) -> str:
    text = repr(name.text)
    return text if name.prop == "name" else f"{text} ({_PROP_LABELS.get(name.prop, name.prop)})"


_PROP_LABELS = {
    "alias": "alias", "previousName": "previous name", "weakAlias": "weak alias", "abbreviation": "abbreviation"
}


def _listing(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))
