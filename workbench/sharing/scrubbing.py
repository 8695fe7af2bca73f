"""What is personal (a policy per schema and property) and how free text is searched for names,
contacts, accounts, ids, dates of birth and birth places to replace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench.sharing.keys import PSEUDONYM_PATTERN, SPACES, SharingKey, normalise


# ---------------------------------------------------------------------------------- what is personal

#: Parts of a person's name that FtM keeps as plain strings rather than names.
PERSON_NAME_PARTS = frozenset({"firstName", "secondName", "middleName", "fatherName", "motherName", "lastName",
                               "nameSuffix", "surname", "givenName"})
#: Special categories of personal data (GDPR art. 9) and looks: a partner never needs them.
SPECIAL_CATEGORIES = frozenset({"ethnicity", "religion", "political", "appearance", "eyeColor", "hairColor",
                                "height", "weight"})
LIFE_DATES = frozenset({"birthDate", "deathDate"})
PLACES = frozenset({"birthPlace"})
NEVER_SHARED = frozenset({"privateKey", "password"})
ACCOUNT_PROPERTIES = frozenset({"accountNumber", "iban"})
WALLET_PROPERTIES = frozenset({"publicKey", "cryptoAddress", "accountId"})
DOCUMENT_NUMBERS = frozenset({"number", "passportNumber", "personalNumber"})
ADDRESS_PARTS = frozenset({"full", "street", "street2", "postalCode", "postOfficeBox", "remarks", "name", "alias",
                           "previousName", "weakAlias"})
COORDINATES = frozenset({"latitude", "longitude"})
TEXT_TYPES = frozenset({"name", "string", "text", "address", "html"})
#: Name particles that would scrub half the text if every occurrence were a person's name.
NAME_PARTICLES = frozenset({"van", "von", "der", "den", "del", "della", "das", "dos", "bin", "ibn", "bint", "abu",
                            "ben", "mac", "the", "and", "las", "los", "san", "de", "da", "di", "al", "el", "la",
                            "le", "du"})


def plain_home(schema: Schema) -> str | None:
    """The identifier property without a format check where a pseudonym can go instead."""
    for name in ("accountNumber", "idNumber", "number"):
        prop = schema.get(name)
        if prop is not None and prop.type == registry.identifier and not prop.format:
            return name
    return None


def is_person_like(schema: Schema) -> bool:
    """A person, or a party of unknown kind (bare ``LegalEntity``), who may well be one."""
    return schema.is_a("Person") or schema.name == "LegalEntity"


def _name_kind(schema: Schema) -> str:
    return "person" if schema.is_a("Person") else "party"


@lru_cache(maxsize=4096)
def property_policy(schema: Schema, prop: Property, person_address: bool) -> str:
    """What happens to the values of ``prop`` on an entity of ``schema``.

    ``pseudo:KIND`` replaces the whole value, ``text`` scrubs what it mentions, ``entity``
    re-points a reference, ``date``/``life-date`` coarsen, ``drop`` leaves it out, ``keep`` keeps.
    """
    name, kind = prop.name, prop.type.name
    if name in NEVER_SHARED or kind in ("ip", "json"):
        return "drop"
    if kind == "entity":
        return "entity"
    if kind == "phone":
        return "pseudo:phone"
    if kind == "email":
        return "pseudo:email"
    if is_person_like(schema):
        if name in SPECIAL_CATEGORIES:
            return "drop"
        if kind == "name" or name in PERSON_NAME_PARTS:
            return f"pseudo:{_name_kind(schema)}"
        if name in LIFE_DATES:
            return "life-date"
        if name in PLACES:
            return "pseudo:place"
        if kind == "address":
            return "pseudo:address"
        if kind == "identifier":
            return "pseudo:identifier"
        if kind == "url":
            return "pseudo:url"
    if schema.is_a("Identification"):
        if name in DOCUMENT_NUMBERS:
            return "pseudo:identifier"
        if name in PERSON_NAME_PARTS or kind == "name":
            return "pseudo:person"
        if name in LIFE_DATES:
            return "life-date"
        if name in PLACES:
            return "pseudo:place"
    if schema.is_a("BankAccount") and name in ACCOUNT_PROPERTIES:
        return "pseudo:account"
    if schema.is_a("CryptoWallet") and name in WALLET_PROPERTIES:
        return "pseudo:wallet"
    if schema.is_a("UserAccount") and name == "username":
        return "pseudo:username"
    if person_address:
        if name in COORDINATES:
            return "drop"
        if name in ADDRESS_PARTS or kind == "address":
            return "pseudo:address"
        if kind == "identifier":
            return "pseudo:identifier"
    if name == "namesMentioned":
        return "names-mentioned"
    if kind == "date":
        return "date"
    if kind in TEXT_TYPES:
        return "text"
    if kind == "identifier":
        return "identifier"
    if kind == "url":
        return "url"
    return "keep"


# ---------------------------------------------------------------------------------- text


_WORD = re.compile(r"[^\W\d_]+")
_CHUNK = re.compile(r"\S+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_PHONEISH = re.compile(r"\+?[\d\s().\-/]+")
_COMPACTABLE = re.compile(r"[A-Za-z0-9 ]+")
_IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")
_EDGE = "\"'`“”‘’()[]{}<>,.;:!?«»"
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
#: What introduces a date of birth or death in free text, as sanctions lists and notes write it.
_BIRTH_MARK = re.compile(r"(?:\bDOB|\bD\.O\.B\.?|\bdate of (?:birth|death)|\bbirth ?date|\bborn(?: on)?|\bdied(?: on)?"
                         r"|\bb\.|\bd\.|\bDOD)\s*[:\-]?\s*(?:circa\s+|c\.\s*|about\s+)?$", re.IGNORECASE)
_BIRTH_PLACE_HINT = re.compile(r"\bPOB\b|\bplace of birth\b|\bbirth ?place\b|\bborn in\b", re.IGNORECASE)
#: "POB Corozal, Belize;" "Place of birth: Minsk, Belarus." "born in Toledo District" up to the next
#: clause (a semicolon, a full stop, a bracket or the end).
_BIRTH_PLACE = re.compile(r"(?P<mark>\b(?:POB|place of birth|birth ?place|born in)\b\s*:?\s*)"
                          r"(?P<place>[^;.\n()\[\]]*[^;.\n()\[\]\s])", re.IGNORECASE)
#: Text that may hold a date with a year: a four-digit year, or a numeric date such as 12/10/72.
_YEARISH = re.compile(r"\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")
#: Languages the date finder reads month names in (more make its search miss English dates).
DATE_LANGUAGES = ("en",)
#: Longest run of words tried as one name or address inside text.
MAX_PHRASE_WORDS = 16


def norm_text(text: str) -> str:
    return SPACES.sub(" ", text).strip().strip(_EDGE).strip().casefold()


def _edges(span: str) -> tuple[int, int]:
    """Offsets of ``span`` without the punctuation around it ("(Veltsin)," -> "Veltsin")."""
    start, end = 0, len(span)
    while start < end and span[start] in _EDGE:
        start += 1
    while end > start and span[end - 1] in _EDGE:
        end -= 1
    return start, end


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _looks_like_id(word: str) -> bool:
    """Whether a word in text can be taken for an entity id: ``demo-person-arkady-veltsin`` can,
    ``1000`` or ``atlas`` cannot (an amount or a word that happens to be a short id stays)."""
    return len(word) >= 16 or (len(word) >= 6 and any(ch in "-_:." for ch in word))


@lru_cache(maxsize=1)
def _date_parser():
    from dateparser.date import DateDataParser

    return DateDataParser(languages=list(DATE_LANGUAGES), settings=_DATE_SETTINGS)


_DATE_SETTINGS = {"REQUIRE_PARTS": ["year"], "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False,
                  "DATE_ORDER": "DMY"}


def find_dates(text: str) -> list[tuple[int, int, Any, str]]:
    """Dates written in ``text`` with a year: ``(start, end, date, period)`` with period ``day``,
    ``month`` or ``year``, found by dateparser's search and trimmed to the date itself."""
    from dateparser.search import search_dates

    try:
        found = search_dates(text, languages=list(DATE_LANGUAGES), settings=_DATE_SETTINGS) or []
    except (ValueError, OverflowError, RecursionError):
        return []
    parser = _date_parser()
    dates = []
    position = 0
    for span, _ in found:
        start = text.find(span, position)
        if start < 0:
            continue
        position = start + len(span)
        data = parser.get_date_data(span)
        if data.date_obj is None or not any(ch.isdigit() for ch in span):
            continue
        words = span.split(" ")
        # search_dates takes in words around a date ("on 3 March 2023 and"): leave them out.
        trimmed = True
        while trimmed and len(words) > 1:
            trimmed = False
            for candidate, lead in ((words[1:], True), (words[:-1], False)):
                other = parser.get_date_data(" ".join(candidate))
                if other.date_obj == data.date_obj and other.period == data.period:
                    if lead:
                        start += len(words[0]) + 1
                    words, trimmed = candidate, True
                    break
        dates.append((start, start + len(" ".join(words)), data.date_obj.date(), data.period))
    return dates


def coarsen_date(value: str, coarsen: str | None) -> str:
    """``2023-03-10`` as ``2023-03`` (month) or ``2023`` (year); shorter dates stay as they are."""
    if coarsen == "month":
        return value[:7]
    if coarsen == "year":
        return value[:4]
    return value


@dataclass
class Vocabulary:
    """What counts as personal in this case, learnt in a first pass over every entity."""

    phrases: dict[str, str] = field(default_factory=dict)  # normalised name or address -> kind
    first_words: set[str] = field(default_factory=set)  # first word of a phrase of several words
    longest_phrase: int = 1
    name_words: dict[str, str] = field(default_factory=dict)  # casefolded word of a name -> kind
    compact: dict[str, tuple[str, str]] = field(default_factory=dict)  # compact id/account -> (kind, value)
    phone_digits: dict[str, str] = field(default_factory=dict)  # digits (with and without country) -> E.164
    party_names: set[str] = field(default_factory=set)  # names of organisations, companies, vessels ...
    person_addresses: set[str] = field(default_factory=set)  # ids of Address entities of persons
    originals: set[str] = field(default_factory=set)  # real values a pseudonym must never equal
    entity_ids: set[str] = field(default_factory=set)  # every id in the case, shared or not
    life_dates: set[str] = field(default_factory=set)  # full birth and death dates (YYYY-MM-DD) of anyone

    def add_phrase(self, kind: str, value: str) -> None:
        normal = norm_text(value)
        if not normal:
            return
        self.phrases.setdefault(normal, kind)
        words = normal.split(" ")
        if len(words) > 1:
            # As text is read: "Corozal, Belize" begins with "corozal", not "corozal,".
            self.first_words.add(words[0].strip(_EDGE))
            self.longest_phrase = min(MAX_PHRASE_WORDS, max(self.longest_phrase, len(words)))

    def add_name(self, kind: str, value: str) -> None:
        self.add_phrase(kind, value)
        for word in _WORD.findall(value):
            word = word.casefold()
            if len(word) >= 3 and word not in NAME_PARTICLES:
                self.name_words.setdefault(word, kind)

    def add_compact(self, kind: str, value: str) -> None:
        compact = normalise("account" if kind == "account" else kind, value).upper()
        if len(compact) >= 5:
            self.compact.setdefault(compact, (kind, value))
            digits = _digits(compact)
            if digits == compact and len(digits) >= 7:
                self.compact.setdefault(digits, (kind, value))

    def add_phone(self, value: str) -> None:
        self.originals.add(value)
        digits = _digits(value)
        if len(digits) < 7:
            return
        self.phone_digits.setdefault(digits, value)
        try:
            import phonenumbers

            national = str(phonenumbers.parse(value).national_number)
        except Exception:  # noqa: BLE001 - a number phonenumbers cannot read is matched as written
            return
        if len(national) >= 7:
            self.phone_digits.setdefault(national, value)
            self.phone_digits.setdefault("0" + national, value)


class Scrubber:
    """Replaces what free text mentions of the vocabulary by the same pseudonyms as elsewhere."""

    def __init__(self, key: SharingKey, vocabulary: Vocabulary, entity_ids: dict[str, str], coarsen: str | None):
        self.key = key
        self.vocabulary = vocabulary
        self.entity_ids = entity_ids  # exported id -> its pseudonym
        self.coarsen = coarsen

    def pseudonym(self, kind: str, value: str) -> str:
        return self.key.pseudonym(kind, value, self.vocabulary.originals)

    def scrub(self, text: str, coarsen: bool = True) -> str:
        """``text`` with every mention of a personal value replaced (and ISO dates coarsened)."""
        chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(text)]
        pieces: list[str] = []
        position = index = 0
        vocabulary = self.vocabulary
        while index < len(chunks):
            start, end = chunks[index]
            word_lead, word_trail = _edges(text[start:end])
            first = text[start + word_lead:start + word_trail]
            taken = 0
            # Several words are tried as one name, address, phone or account only where one
            # could begin, which keeps long text cheap.
            if first and len(chunks) - index > 1 and (
                    first.casefold() in vocabulary.first_words or first[0] in "+(" or first[0].isdigit()
                    or _IBAN_START.match(first)):
                longest = min(max(vocabulary.longest_phrase, 6), len(chunks) - index)
                for count in range(longest, 1, -1):
                    span = text[start:chunks[index + count - 1][1]]
                    lead, trail = _edges(span)
                    replacement = self._phrase(span[lead:trail])
                    if replacement is not None:
                        pieces += [text[position:start + lead], replacement]
                        position = start + trail
                        taken = count
                        break
            if not taken:
                replacement = self._word(first)
                if replacement is not None:
                    pieces += [text[position:start + word_lead], replacement]
                    position = start + word_trail
                taken = 1
            index += taken
        pieces.append(text[position:])
        result = "".join(pieces)
        if coarsen:
            result = self._birth_places(result)
            result = self._dates(result)
        return result

    def _birth_places(self, text: str) -> str:
        """``POB Corozal, Belize`` (and "place of birth: …", "born in …") with the place as a pseudonym."""
        def replace(match: re.Match) -> str:
            place = match.group("place")
            if PSEUDONYM_PATTERN.fullmatch(place):
                return match.group(0)
            return match.group("mark") + self.pseudonym("place", place)

        return _BIRTH_PLACE.sub(replace, text) if _BIRTH_PLACE_HINT.search(text) else text

    def _dates(self, text: str) -> str:
        """Dates written anywhere in ``text``, as a date parser finds them ("12 Oct 1972", "1972-10-12",
        "12/10/1972"): a date of birth or death (after "DOB", "born" ..., or equal to a full life
        date in the case) keeps its year only; with coarsening, every other date its month or year."""
        if not _YEARISH.search(text):
            return text
        found = find_dates(text)
        if not found:
            return text
        pieces: list[str] = []
        position = 0
        for start, end, day, period in found:
            if start < position:
                continue
            life = day.isoformat() in self.vocabulary.life_dates or bool(_BIRTH_MARK.search(text[max(0, start - 24):start]))
            if life and period in ("day", "month"):
                replacement = str(day.year)
            elif self.coarsen and (period == "day" or (period == "month" and self.coarsen == "year")):
                replacement = coarsen_date(day.isoformat(), self.coarsen)
            else:
                continue
            pieces += [text[position:start], replacement]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def _phrase(self, span: str) -> str | None:
        """A pseudonym for several words that are one name, address, phone or account, if so."""
        kind = self.vocabulary.phrases.get(norm_text(span))
        if kind is not None:
            return self.pseudonym(kind, span)
        return self._number(span)

    def _number(self, span: str) -> str | None:
        vocabulary = self.vocabulary
        if _PHONEISH.fullmatch(span):
            digits = _digits(span)
            if len(digits) >= 7:
                if digits in vocabulary.phone_digits:
                    return self.pseudonym("phone", vocabulary.phone_digits[digits])
                if digits in vocabulary.compact:
                    return self.pseudonym(*vocabulary.compact[digits])
                if span.startswith("+"):
                    cleaned = registry.phone.clean(span)
                    if cleaned:
                        return self.pseudonym("phone", cleaned)
        if _COMPACTABLE.fullmatch(span):
            compact = span.replace(" ", "").upper()
            if compact in vocabulary.compact:
                return self.pseudonym(*vocabulary.compact[compact])
        return None

    def _word(self, word: str) -> str | None:
        """A replacement for one whitespace-separated word, or ``None`` if it names nobody."""
        if not word:
            return None
        if _looks_like_id(word) and word in self.entity_ids:
            return self.entity_ids[word]
        if _looks_like_id(word) and word in self.vocabulary.entity_ids:
            # An id of an entity that is not shared (known only from protected sources): its
            # pseudonym says nothing, its original might.
            return self.pseudonym("entity", word)
        if _EMAIL.fullmatch(word):
            return self.pseudonym("email", word)
        kind = self.vocabulary.phrases.get(norm_text(word))
        if kind is not None:
            return self.pseudonym(kind, word)
        number = self._number(word)
        if number is not None:
            return number
        changed = False

        def replace_email(match: re.Match) -> str:
            nonlocal changed
            changed = True
            return self.pseudonym("email", match.group(0))

        def replace_name(match: re.Match) -> str:
            nonlocal changed
            kind = self.vocabulary.name_words.get(match.group(0).casefold())
            if kind is None:
                return match.group(0)
            changed = True
            return self.pseudonym(kind, match.group(0))

        # Inside a word: an address after "mailto:", a name in "arkady-veltsin" or "Veltsin's".
        result = _EMAIL.sub(replace_email, word)
        if not changed:
            result = _WORD.sub(replace_name, result)
        return result if changed else None

    def names_someone(self, text: str) -> bool:
        """Whether a value (a URL, an identifier) mentions a personal value anywhere."""
        if _EMAIL.search(text):
            return True
        if any(word.casefold() in self.vocabulary.name_words for word in _WORD.findall(text)):
            return True
        return self.scrub(text, coarsen=False) != text
