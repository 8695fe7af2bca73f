"""Evidence that leaves the case for other people: de-identified exports, and the audit log.

**De-identified sharing.** A partner agency gets the structure of a case (who owns, directs,
pays and ships to whom, with amounts, countries, dates and grades) without the identities of
the people in it. :func:`deidentify` turns the case's entities into pseudonymised copies:

* names of persons (every name property and name part), their identifiers (passport, tax and
  id numbers), birth places, addresses and personal web addresses become readable pseudonyms
  (``Person 7f3a2c1b``, ``ID-7f3a2c1b``, ``Place …``, ``Pseudonymous address …``); birth and death dates keep
  the year only;
* phones, e-mail addresses, bank account numbers and IBANs, and crypto wallet keys of *every*
  entity become pseudonyms that FollowTheMoney still accepts as values of their type (a
  partner's import would drop anything else): phones are numbers under the non-geographic
  calling code +808, e-mail domains end in the reserved ``.invalid``, and a pseudonym that
  would break a property's format (an IBAN's checksum) moves to the type's plain number
  property (``accountNumber``, ``idNumber``);
* every entity id becomes ``wb-`` and 16 hex digits, consistently wherever it is referenced
  (ids such as ``demo-own-veltsin-meridian`` carry names);
* free text anywhere (descriptions, reasons, purposes, company names) is searched for the
  names, addresses, phones, e-mails, accounts and ids above, and each is replaced by the same
  pseudonym it has elsewhere; names of persons known only from protected sources are scrubbed
  from text too, although those persons never leave the case;
* dates and places inside free text (remarks, notes, descriptions, summaries) are found too:
  a date of birth or death ("DOB 12 Oct 1972", "born 17/04/1961", or any date equal to a full
  life date in the case, found by dateparser in any common writing) keeps its year, and a birth
  place after "POB", "place of birth" or "born in" becomes the same pseudonym as the birth place;
* dates can be coarsened to the month or the year, in text as well (written in words or as ISO);
* what a partner never needs is dropped: special categories of personal data (ethnicity,
  religion, political views, appearance), passwords and private keys, IP addresses, raw JSON.

Companies' and organisations' names, registration numbers and websites, amounts, currencies,
countries, HS codes, vessels and the types of everything are kept. Protected sources never
leave: their values, and entities known only from them, are left out (``iter_entities`` with
``include_protected=False``), and so is a relationship that would point at such an entity.

A pseudonym is an HMAC-SHA256 of the value (its kind and normalised text) under a secret, so
the same value gets the same pseudonym in every entity and every export made with the same
key. The **key file** (:class:`SharingKey`) holds that secret and maps every pseudonym handed
out back to its original; it stays with the analyst, never with the export, and
:func:`reidentify` uses it to put the originals back into an export, or into anything a
partner sends back that quotes pseudonyms.

**The audit log.** :func:`audit_rows`, :func:`describe_audit_entry` and
:func:`write_audit_log` show and export the case's own hash-chained log of who did what when.

No Qt here: this is data in, files out.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from followthemoney.property import Property
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from followthemoney.types import registry

from workbench import __version__
from workbench.model import Grade, Record, SourceInfo, model, parse_grade
from workbench.model.spreadsheet import spreadsheet_safe, starts_a_formula
from workbench.files import atomic_write
from workbench.paths import user_data_dir
from workbench.plugin_api.wording import shorten
from workbench.store import SUFFIX, Case, CaseError, CaseReadOnly

KEY_FORMAT = "workbench-sharing-key"
KEY_VERSION = 1
SHARE_FORMATS = ("ftm", "xlsx")
COARSENINGS = ("month", "year")


class SharingKeyError(CaseError):
    """A key file that cannot be read, or would be written where it must not be."""

    exit_code = 2


class AuditLogBroken(CaseError):
    """The audit log's hash chain does not hold: an entry was changed or removed."""

    exit_code = 14


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------- pseudonyms


def _phone_pseudonym(digest: str) -> str:
    """A number under +808, a calling code that belongs to no country.

    FtM drops phone numbers that are not valid, so a pseudonym must be a valid number to survive
    a partner's import; one in a country's numbering plan would suggest a country (and invent a
    "phone from abroad" red flag) and could be someone's real number. +808 is the ITU's
    non-geographic code for universal shared-cost numbers, which is valid to FtM and
    phonenumbers, places the number nowhere and is hardly used.
    """
    number = int(digest[:12], 16)
    return f"+808{1 + number % 9}{(number // 9) % 10_000_000:07d}"  # +808 numbers never start with 0


@lru_cache(maxsize=1)
def _webmail_domains() -> frozenset[str]:
    from workbench.reference import column

    try:
        return frozenset(domain.lower() for domain in column("webmail_domains", "domain"))
    except (FileNotFoundError, KeyError):
        return frozenset()


def _email_pseudonym(value: str, digest: str) -> str:
    # A free webmail provider is a red flag in itself and names nobody, so it stays readable;
    # ``.invalid`` (RFC 2606) keeps the address from ever reaching a real mailbox.
    domain = value.rpartition("@")[2].strip().lower()
    host = f"{domain}.invalid" if domain in _webmail_domains() else "example.invalid"
    return f"user-{digest[:8]}@{host}"


#: How each kind of value reads once pseudonymised (``h`` is the HMAC in hex).
_FORMS = {
    "person": lambda value, h: f"Person {h[:8]}",
    "party": lambda value, h: f"Party {h[:8]}",
    "place": lambda value, h: f"Place {h[:8]}",
    # Three words and a digit: precise enough for the shared-address red flag to count it.
    "address": lambda value, h: f"Pseudonymous address {h[:8]}",
    "identifier": lambda value, h: f"ID-{h[:8]}",
    "account": lambda value, h: f"ACCT-{h[:8]}",
    "wallet": lambda value, h: f"WALLET-{h[:8]}",
    "username": lambda value, h: f"user-{h[:8]}",
    "url": lambda value, h: f"https://example.invalid/{h[:8]}",
    "entity": lambda value, h: f"wb-{h[:16]}",
    "email": _email_pseudonym,
    "phone": lambda value, h: _phone_pseudonym(h),
}
KINDS = tuple(_FORMS)
#: Kinds that share a hash namespace: a name gets the same hex whether it names a person or a
#: party of unknown type ("Person 7f3a2c1b", "Party 7f3a2c1b").
_NAMESPACE = {"person": "name", "party": "name"}

#: Every shape a pseudonym can take, to find them again in a file that comes back.
PSEUDONYM_PATTERN = re.compile(
    r"user-[0-9a-f]{8}@[A-Za-z0-9.-]*\.invalid"
    r"|https://example\.invalid/[0-9a-f]{8}"
    r"|wb-[0-9a-f]{16}"
    r"|(?:Person|Party|Place|Pseudonymous address) [0-9a-f]{8}"
    r"|(?:ID|ACCT|WALLET)-[0-9a-f]{8}"
    r"|user-[0-9a-f]{8}"
    r"|\+808[1-9]\d{7}"
)

_SPACES = re.compile(r"\s+")


def normalise(kind: str, value: str) -> str:
    """The form of ``value`` that is hashed: spelling variants that name the same thing agree."""
    value = value.strip()
    if kind in ("person", "party", "place", "address"):
        return _SPACES.sub(" ", value).casefold()
    if kind == "email":
        return value.casefold()
    if kind == "phone":
        return "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if kind in ("account", "identifier"):
        return "".join(value.split()).upper()
    if kind in ("wallet", "username"):
        return "".join(value.split())  # crypto addresses are case-sensitive
    return value


class SharingKey:
    """The analyst's key to de-identified exports: the HMAC secret and every pseudonym's original.

    Kept apart from the exports (by default in ``$XDG_DATA_HOME/workbench/sharing-keys``), written
    readable by its owner only (mode 0600). Reusing it makes later exports reuse the same
    pseudonyms, so a partner can join what they received on different days.
    """

    def __init__(self, path: Path, secret: bytes, entries: dict[str, dict[str, str]] | None = None,
                 created_at: str | None = None, exports: list[dict[str, Any]] | None = None):
        self.path = Path(path)
        self._secret = secret
        self.entries: dict[str, dict[str, str]] = dict(entries or {})
        self.created_at = created_at or _now()
        self.exports: list[dict[str, Any]] = list(exports or [])
        self._by_original = {(entry["kind"], normalise(entry["kind"], entry["value"])): pseudonym
                             for pseudonym, entry in self.entries.items()}
        self.new_pseudonyms = 0

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> "SharingKey":
        """Load the key at ``path``; with ``create``, make (and save) a new one if there is none."""
        path = Path(path)
        if path.exists():
            return cls.load(path)
        if not create:
            raise SharingKeyError(f"{path}: no such key file")
        key = cls(path, secrets.token_bytes(32))
        # Saved before any pseudonym is handed out: a key that cannot be written is reported
        # before an export exists that nobody could re-identify.
        key.save()
        return key

    @classmethod
    def load(cls, path: str | Path) -> "SharingKey":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SharingKeyError(f"{path}: not a Workbench sharing key ({error})") from error
        if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
            raise SharingKeyError(f"{path}: not a Workbench sharing key (expected \"format\": \"{KEY_FORMAT}\")")
        if data.get("version", 0) > KEY_VERSION:
            raise SharingKeyError(f"{path}: written by a newer Workbench (key version {data.get('version')})")
        try:
            secret = bytes.fromhex(data["secret"])
            entries = {str(p): {"kind": str(e["kind"]), "value": str(e["value"])}
                       for p, e in data.get("pseudonyms", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise SharingKeyError(f"{path}: the sharing key is damaged ({error!r})") from error
        return cls(path, secret, entries, data.get("created_at"), data.get("exports"))

    @property
    def readable_by_others(self) -> bool:
        """Whether the file on disk lets group or others read it (it should not)."""
        try:
            return bool(self.path.stat().st_mode & 0o077)
        except OSError:
            return False

    def pseudonym(self, kind: str, value: str, avoid: frozenset[str] | set[str] = frozenset()) -> str:
        """The pseudonym of ``value`` as a ``kind`` (see :data:`KINDS`), the same every time.

        ``avoid`` holds real values a pseudonym must not coincide with (a fictional phone
        number that is also in the case); a clash with another original or with ``avoid``
        moves on to the next candidate, and the key remembers the choice.
        """
        normal = normalise(kind, value)
        known = self._by_original.get((kind, normal))
        if known is not None:
            return known
        namespace = _NAMESPACE.get(kind, kind)
        form = _FORMS[kind]
        attempt = 0
        while True:
            message = f"{namespace}\x1f{normal}" + (f"\x1f{attempt}" if attempt else "")
            digest = hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).hexdigest()
            candidate = form(value, digest)
            usable = kind != "address" or any(ch.isdigit() for ch in candidate)
            if usable and candidate not in self.entries and candidate not in avoid:
                break
            attempt += 1
        self.entries[candidate] = {"kind": kind, "value": value}
        self._by_original[(kind, normal)] = candidate
        self.new_pseudonyms += 1
        return candidate

    def original(self, pseudonym: str) -> str | None:
        entry = self.entries.get(pseudonym)
        return entry["value"] if entry else None

    def note_export(self, **details: Any) -> None:
        """Remember an export made with this key (when, of which case, to which file)."""
        self.exports.append({"at": _now(), **details})

    def save(self) -> None:
        """Write the key readable by its owner only, replacing the file in one step."""
        data = {
            "format": KEY_FORMAT,
            "version": KEY_VERSION,
            "warning": "This file re-identifies de-identified Workbench exports. Keep it apart from them; "
                       "never send it with an export.",
            "created_at": self.created_at,
            "updated_at": _now(),
            "secret": self._secret.hex(),
            "exports": self.exports,
            "pseudonyms": {p: self.entries[p] for p in sorted(self.entries)},
        }
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
        with atomic_write(self.path, permissions=0o600) as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.write("\n")


def default_key_path(case: Case) -> Path:
    """Where a case's sharing key lives unless the analyst names one: in the user's data folder,
    never beside the case or the export (``$XDG_DATA_HOME/workbench/sharing-keys/CASE-ID.json``)."""
    return user_data_dir() / "sharing-keys" / f"{case.meta('case_id') or Path(case.path).stem}.json"


def key_beside_export(key_path: Path, export_path: Path) -> bool:
    """Whether the key would sit in the export's own folder (and so be zipped and sent with it)."""
    return Path(key_path).resolve().parent == Path(export_path).resolve().parent


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


def _plain_home(schema: Schema) -> str | None:
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
def _policy(schema: Schema, prop: Property, person_address: bool) -> str:
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


def _norm_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip().strip(_EDGE).strip().casefold()


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
class _Vocabulary:
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
        normal = _norm_text(value)
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


class _Scrubber:
    """Replaces what free text mentions of the vocabulary by the same pseudonyms as elsewhere."""

    def __init__(self, key: SharingKey, vocabulary: _Vocabulary, entity_ids: dict[str, str], coarsen: str | None):
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
        kind = self.vocabulary.phrases.get(_norm_text(span))
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
        kind = self.vocabulary.phrases.get(_norm_text(word))
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


# ---------------------------------------------------------------------------------- de-identification


@dataclass
class SharingReport:
    """What a de-identified export changed, for the analyst to check before sending it."""

    entities: int = 0
    links: int = 0
    pseudonymised: Counter = field(default_factory=Counter)  # kind -> values replaced
    scrubbed_values: int = 0  # values of free text in which something personal was replaced
    dropped: Counter = field(default_factory=Counter)  # property -> values left out
    moved: Counter = field(default_factory=Counter)  # "iban -> accountNumber" -> pseudonyms moved
    withheld_links: int = 0  # relationships to parties known only from protected sources
    dropped_references: int = 0  # other references to such parties
    missing_references: int = 0  # references to ids the case does not hold at all (left out too)
    coarsened_dates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "links": self.links,
            "pseudonymised": dict(sorted(self.pseudonymised.items())),
            "scrubbed_values": self.scrubbed_values,
            "dropped": dict(sorted(self.dropped.items())),
            "moved": dict(sorted(self.moved.items())),
            "withheld_links": self.withheld_links,
            "dropped_references": self.dropped_references,
            "missing_references": self.missing_references,
            "coarsened_dates": self.coarsened_dates,
        }


@dataclass
class DeidentifiedEntity:
    """One pseudonymised entity, with what the workbook export shows beside it."""

    proxy: EntityProxy
    grade: Grade | None
    position: tuple[float, float] | None


class Deidentifier:
    """Pseudonymised copies of a case's shareable entities (see the module docstring).

    Reads the case three times: every entity (protected ones too) to learn what is personal,
    the shareable ones to learn which ids will exist, then the shareable ones again to write.
    """

    def __init__(self, case: Case, key: SharingKey, *, coarsen_dates: str | None = None):
        if coarsen_dates not in (None, *COARSENINGS):
            raise ValueError(f"coarsen_dates must be 'month', 'year' or None, not {coarsen_dates!r}")
        self.case = case
        self.key = key
        self.coarsen = coarsen_dates
        self.report = SharingReport()
        self._resolved: dict[str, str] = {}
        self._texts: dict[str, tuple[str, str | None]] = {}

    def _resolve(self, entity_id: str) -> str:
        resolved = self._resolved.get(entity_id)
        if resolved is None:
            resolved = self._resolved[entity_id] = self.case.resolve(entity_id)
        return resolved

    # -- first pass: the vocabulary of what is personal

    def _learn(self) -> _Vocabulary:
        vocabulary = _Vocabulary()
        # Protected entities too: a protected informant's name must not survive in the text of
        # a shared entity, although the informant's own entity never leaves.
        for proxy in self.case.iter_entities(include_protected=True):
            vocabulary.entity_ids.add(proxy.id)
            vocabulary.originals.add(proxy.id)
            schema = proxy.schema
            person = is_person_like(schema)
            for prop_name, values in proxy.properties.items():
                prop = schema.properties[prop_name]
                policy = _policy(schema, prop, False)
                for value in values:
                    if policy in ("pseudo:person", "pseudo:party"):
                        vocabulary.add_name(policy.partition(":")[2], value)
                        vocabulary.originals.add(value)
                    elif policy == "life-date" and len(value) >= 10:
                        vocabulary.life_dates.add(value[:10])
                    elif policy == "pseudo:address" or policy == "pseudo:place":
                        vocabulary.add_phrase(policy.partition(":")[2], value)
                    elif policy == "pseudo:phone":
                        vocabulary.add_phone(value)
                    elif policy in ("pseudo:identifier", "pseudo:account", "pseudo:wallet", "pseudo:username"):
                        vocabulary.add_compact(policy.partition(":")[2], value)
                        vocabulary.originals.add(value)
                    elif policy == "pseudo:email":
                        vocabulary.originals.add(value)
                    elif (not person and prop.type == registry.name and schema.is_a("Thing")
                          and prop_name in ("name", "alias", "previousName", "weakAlias")):
                        vocabulary.party_names.add(_norm_text(value))
                    if person and prop_name == "addressEntity":
                        vocabulary.person_addresses.add(self._resolve(value))
        # An Address entity of a person is personal in all its parts.
        for proxy in self.case.iter_entities(include_protected=True) if vocabulary.person_addresses else ():
            if proxy.id in vocabulary.person_addresses:
                for prop_name, values in proxy.properties.items():
                    if _policy(proxy.schema, proxy.schema.properties[prop_name], True) == "pseudo:address":
                        for value in values:
                            vocabulary.add_phrase("address", value)
        return vocabulary

    # -- second pass: which entities and relationships will exist in the export

    def _shareable_ids(self) -> tuple[set[str], set[str]]:
        """Ids that will be exported, and relationships withheld for lack of an end."""
        ids: set[str] = set()
        ends: dict[str, list[list[str]]] = {}
        for proxy in self.case.iter_entities(include_protected=False):
            ids.add(proxy.id)
            schema = proxy.schema
            if schema.edge and schema.source_prop is not None and schema.target_prop is not None:
                ends[proxy.id] = [proxy.get(schema.source_prop, quiet=True), proxy.get(schema.target_prop, quiet=True)]
        withheld: set[str] = set()
        # A relationship whose every source (or every target) is withheld would point at a party
        # the protection hides; it stays in the case. One round suffices unless relationships
        # point at relationships, so repeat until nothing changes.
        changed = True
        while changed:
            changed = False
            for entity_id, (sources, targets) in ends.items():
                if entity_id in withheld:
                    continue
                for values in (sources, targets):
                    if values and not any(self._resolve(v) in ids and self._resolve(v) not in withheld for v in values):
                        withheld.add(entity_id)
                        changed = True
                        break
        return ids - withheld, withheld

    # -- third pass: the pseudonymised entities

    def records(self) -> Iterator[DeidentifiedEntity]:
        """Every shareable entity pseudonymised, with its best grade and chart position.

        Yields in the case's order of original ids; writers sort by the new ids so that the
        order of a file gives nothing away.
        """
        vocabulary = self._learn()
        shared, withheld = self._shareable_ids()
        self.report.withheld_links = len(withheld)
        avoid = vocabulary.originals
        entity_ids = {entity_id: self.key.pseudonym("entity", entity_id, avoid) for entity_id in sorted(shared)}
        scrubber = _Scrubber(self.key, vocabulary, entity_ids, self.coarsen)
        positions = {row[0]: (float(row[1]), float(row[2])) for row in self.case.conn.execute(
            "SELECT entity_id, x, y FROM chart_items WHERE x IS NOT NULL AND y IS NOT NULL")}
        for proxy, provenance in self.case.iter_entities(include_protected=False, with_provenance=True):
            if proxy.id not in shared:
                continue
            properties = self._properties(proxy, vocabulary, scrubber, entity_ids)
            new = model.get_proxy({"id": entity_ids[proxy.id], "schema": proxy.schema.name,
                                   "properties": properties}, cleaned=True)
            grades = [row[4] for row in provenance if row[4]]
            self.report.entities += 1
            self.report.links += int(bool(proxy.schema.edge))
            yield DeidentifiedEntity(new, parse_grade(min(grades)) if grades else None, positions.get(proxy.id))

    def entities(self) -> Iterator[EntityProxy]:
        for item in self.records():
            yield item.proxy

    def _properties(self, proxy: EntityProxy, vocabulary: _Vocabulary, scrubber: _Scrubber,
                    entity_ids: dict[str, str]) -> dict[str, list[str]]:
        schema = proxy.schema
        person_address = proxy.id in vocabulary.person_addresses
        report = self.report
        properties: dict[str, list[str]] = {}

        def put(prop: Property, value: str, pseudonym: bool = False) -> None:
            name = prop.name
            if pseudonym and prop.format:
                # An IBAN or a social security number must pass its format's check, which a
                # pseudonym cannot: it goes to the type's plain number property instead.
                name = _plain_home(schema)
                if name is None:
                    report.dropped[prop.name] += 1
                    return
                report.moved[f"{prop.name} -> {name}"] += 1
            values = properties.setdefault(name, [])
            if value not in values:
                values.append(value)

        for prop_name, values in proxy.properties.items():
            prop = schema.properties[prop_name]
            policy = _policy(schema, prop, person_address)
            for value in values:
                if policy == "keep":
                    put(prop, value)
                elif policy == "drop":
                    report.dropped[prop_name] += 1
                elif policy == "entity":
                    target = entity_ids.get(self._resolve(value))
                    if target is None and self._resolve(value) in vocabulary.entity_ids:
                        report.dropped_references += 1  # the case holds it, but may not share it
                    elif target is None:
                        # Nothing in the case has that id (a list that names an address it does
                        # not carry): the reference points nowhere, and its id could still say something.
                        report.missing_references += 1
                    else:
                        put(prop, target)
                elif policy.startswith("pseudo:"):
                    kind = policy.partition(":")[2]
                    put(prop, scrubber.pseudonym(kind, value), pseudonym=True)
                    report.pseudonymised[kind] += 1
                elif policy in ("date", "life-date"):
                    coarse = coarsen_date(value[:4] if policy == "life-date" else value, self.coarsen)
                    report.coarsened_dates += coarse != value
                    put(prop, coarse)
                elif policy == "names-mentioned":
                    if _norm_text(value) in vocabulary.party_names:
                        put(prop, value)
                    else:
                        put(prop, scrubber.pseudonym("person", value), pseudonym=True)
                        report.pseudonymised["person"] += 1
                elif policy == "text":
                    put(prop, self._text(value, vocabulary, scrubber))
                elif policy == "identifier":
                    found = vocabulary.compact.get(normalise("identifier", value))
                    if found is not None:
                        put(prop, scrubber.pseudonym(*found), pseudonym=True)
                        report.pseudonymised[found[0]] += 1
                    else:
                        put(prop, value)
                elif policy == "url":
                    if scrubber.names_someone(value):
                        put(prop, scrubber.pseudonym("url", value), pseudonym=True)
                        report.pseudonymised["url"] += 1
                    else:
                        put(prop, value)
        return properties

    def _text(self, value: str, vocabulary: _Vocabulary, scrubber: _Scrubber) -> str:
        # Roles, purposes and descriptions repeat across thousands of relationships: each
        # distinct text is worked out once.
        known = self._texts.get(value)
        if known is None:
            if len(self._texts) > 200_000:
                self._texts.clear()
            known = self._texts[value] = self._fresh_text(value, vocabulary, scrubber)
        result, kind = known
        if kind is not None:
            self.report.pseudonymised[kind] += 1
        elif result != value:
            self.report.scrubbed_values += 1
        return result

    @staticmethod
    def _fresh_text(value: str, vocabulary: _Vocabulary, scrubber: _Scrubber) -> tuple[str, str | None]:
        """The shared form of a text value, and the kind of pseudonym if it was replaced whole."""
        kind = vocabulary.phrases.get(_norm_text(value))
        if kind is not None:
            # A company registered at a person's address, an account named after its holder.
            return scrubber.pseudonym(kind, value), kind
        return scrubber.scrub(value), None


def deidentify(case: Case, *, coarsen_dates: str | None = None, key_path: str | Path) -> Iterator[EntityProxy]:
    """The case's shareable entities with persons, contacts and accounts pseudonymised.

    ``key_path`` is the analyst's key file (created if missing); every pseudonym handed out is
    saved in it when the iterator is finished or closed. ``coarsen_dates`` is ``None``,
    ``"month"`` or ``"year"``. Protected sources never contribute a value. Entities come in the
    case's order of original ids; sort by id before writing them anywhere.
    """
    key = SharingKey.open(key_path)
    try:
        yield from Deidentifier(case, key, coarsen_dates=coarsen_dates).entities()
    finally:
        if key.new_pseudonyms:
            key.save()


# ---------------------------------------------------------------------------------- writing files

LOSSES = (
    "identities: names, identifiers, birth places, addresses and web addresses of persons, and every phone, "
    "e-mail, account number and wallet key, are pseudonyms (the key file maps them back)",
    "birth and death dates: the year only",
    "special categories of personal data, passwords, private keys, IP addresses and raw JSON values: left out",
    "protected sources: left out entirely, with relationships that would point at what they hide",
    "which source each value came from, merged ids, findings and the audit log",
    "a phone's country (phone pseudonyms are non-geographic +808 numbers), and a free-webmail provider as "
    "a detector sees it (it stays readable, as in user-…@gmail.com.invalid)",
)


def write_deidentified(case: Case, output: str | Path, format_name: str, *, key_path: str | Path,
                       coarsen_dates: str | None = None) -> dict[str, Any]:
    """Write a de-identified export of ``case`` to ``output`` (``ftm`` JSON lines or ``xlsx``).

    The key is saved before the export is moved into place, and the export is recorded in the
    case's audit log. Returns a report: ``entities``, ``links``, ``losses``, ``key``,
    ``new_pseudonyms`` and what was pseudonymised, scrubbed, dropped and withheld.
    """
    output = Path(output)
    if not output.parent.is_dir():
        raise CaseError(f"{output.parent}: no such folder")
    if format_name not in SHARE_FORMATS:
        raise CaseError(f"a de-identified export is written as {' or '.join(SHARE_FORMATS)}, not {format_name!r}")
    if case.readonly:
        raise CaseReadOnly(f"{case.path}: opened read-only; an export is recorded in the case's audit log")
    if Path(key_path).resolve() == output.resolve():
        raise SharingKeyError(f"{output}: the key file and the export must be different files")
    if coarsen_dates not in (None, *COARSENINGS):
        raise CaseError(f"dates are coarsened to the month or the year, not {coarsen_dates!r}")
    key = SharingKey.open(key_path)
    work = Deidentifier(case, key, coarsen_dates=coarsen_dates)
    if format_name == "ftm":
        written = _write_ftm(work, output, key)
    else:
        written = _write_xlsx(work, output, key)
    report = {**work.report.as_dict(), **written, "format": format_name, "key": str(key.path.resolve()),
              "new_pseudonyms": key.new_pseudonyms, "coarsen_dates": coarsen_dates}
    report["losses"] = list(LOSSES) + (
        [f"dates: coarsened to the {coarsen_dates}"] if coarsen_dates else []) + written.get("losses", [])
    with case._write():
        case._audit("export", {"format": format_name, "file": str(output), "include_protected": False,
                               "deidentified": True, "coarsen_dates": coarsen_dates, "key": report["key"],
                               "entities": report["entities"], "links": report["links"]})
    return report


def _note(key: SharingKey, case: Case, output: Path, format_name: str, report: SharingReport) -> None:
    key.note_export(case_id=case.meta("case_id"), case_title=case.meta("title"), file=str(output),
                    format=format_name, entities=report.entities)


def _write_ftm(work: Deidentifier, output: Path, key: SharingKey) -> dict[str, Any]:
    """FtM JSON lines, sorted by the new ids, as the ftm-json importer and Aleph read them."""
    lines = sorted((item.proxy.id, json.dumps(item.proxy.to_dict(), sort_keys=True, ensure_ascii=False))
                   for item in work.records())
    with atomic_write(output) as handle:
        for _, line in lines:
            handle.write(line + "\n")
        _note(key, work.case, output, "ftm", work.report)
        key.save()
    return {}


def _write_xlsx(work: Deidentifier, output: Path, key: SharingKey) -> dict[str, Any]:
    """The workbook layout of the xlsx exporter, written from a scratch case of the pseudonyms.

    Going through a real case keeps the exporter's sheets, relationship captions, grades and
    positions exactly as in any workbook export, and lets the workbench-xlsx importer read it.
    """
    from workbench.plugin_api import find_exporter

    exporter = find_exporter("xlsx")
    with tempfile.TemporaryDirectory(prefix="workbench-share-") as folder:
        scratch = Case.create(Path(folder) / f"shared{SUFFIX}", title="De-identified export")
        try:
            records = (
                Record(item.proxy.to_dict(), grade=item.grade,
                       extra={"position": list(item.position)} if item.position else {})
                for item in work.records()
            )
            scratch.ingest(records, SourceInfo(file_name="de-identified export (sources not shared)",
                                               importer_id="workbench-share", importer_version=__version__,
                                               note="pseudonymised by Workbench; the original sources stay "
                                                    "with the case"))
            _note(key, work.case, output, "xlsx", work.report)
            key.save()
            written = exporter().write(scratch, output, include_protected=False)
        finally:
            scratch.close()
    return {"losses": [loss for loss in written.get("losses", []) if "audit log" not in loss]}


# ---------------------------------------------------------------------------------- re-identification


@dataclass
class ReidentifyReport:
    output: Path
    restored: int = 0
    distinct: int = 0
    unknown: set[str] = field(default_factory=set)  # pseudonym-shaped strings this key never issued


def _reidentify_text(text: str, key: SharingKey, report: ReidentifyReport, seen: set[str]) -> str:
    def restore(match: re.Match) -> str:
        original = key.original(match.group(0))
        if original is None:
            report.unknown.add(match.group(0))
            return match.group(0)
        report.restored += 1
        seen.add(match.group(0))
        return original

    return PSEUDONYM_PATTERN.sub(restore, text)


def reidentify(path: str | Path, key_path: str | Path, output: str | Path | None = None) -> ReidentifyReport:
    """Put the originals back into a de-identified export, or any file that quotes its pseudonyms.

    Reads ``.xlsx`` workbooks cell by cell, JSON (lines) value by value, CSV cell by cell and
    anything else as text; writes ``output`` (default: ``NAME.reidentified.SUFFIX`` beside it).
    Coarsened dates stay coarse: they were never pseudonyms.
    """
    path = Path(path)
    key = SharingKey.open(key_path, create=False)
    if output is None:
        suffixes = "".join(path.suffixes) or ""
        stem = path.name[: len(path.name) - len(suffixes)] if suffixes else path.name
        output = path.with_name(f"{stem}.reidentified{suffixes}")
    output = Path(output)
    if output.resolve() == path.resolve():
        raise CaseError(f"{output}: choose another file for the re-identified copy")
    report = ReidentifyReport(output)
    seen: set[str] = set()
    suffix = path.suffix.lower()

    def restore_json(value: Any) -> Any:
        if isinstance(value, str):
            return _reidentify_text(value, key, report, seen)
        if isinstance(value, list):
            return [restore_json(item) for item in value]
        if isinstance(value, dict):
            return {restore_json(k): restore_json(v) for k, v in value.items()}
        return value

    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path)
        for worksheet in workbook.worksheets:
            for row in worksheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        restored = _reidentify_text(cell.value, key, report, seen)
                        if restored != cell.value:
                            cell.value = restored
                            if starts_a_formula(restored):
                                cell.data_type = "s"  # an original put back is text, never a formula
        workbook.save(output)
    elif suffix in (".json", ".jsonl", ".ijson", ".ndjson"):
        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError:
            lines = [json.dumps(restore_json(json.loads(line)), ensure_ascii=False) if line.strip() else line
                     for line in text.splitlines()]
            output.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
        else:
            output.write_text(json.dumps(restore_json(document), ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
    elif suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" else ","
        with path.open(encoding="utf-8", newline="") as source, output.open("w", encoding="utf-8",
                                                                            newline="") as target:
            writer = csv.writer(target, delimiter=delimiter)
            for row in csv.reader(source, delimiter=delimiter):
                restored = [_reidentify_text(cell, key, report, seen) for cell in row]
                # An original put back where a pseudonym stood must not become a formula.
                writer.writerow([spreadsheet_safe(new) if new != old else new for new, old in zip(restored, row)])
    else:
        output.write_text(_reidentify_text(path.read_text(encoding="utf-8"), key, report, seen), encoding="utf-8")
    report.distinct = len(seen)
    return report


# ---------------------------------------------------------------------------------- the audit log

AUDIT_COLUMNS = ("seq", "at", "actor", "action", "details", "prev_hash", "hash")


def audit_rows(case: Case, actions: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The audit log, oldest first, with ``details`` exactly as hashed (JSON text) and parsed
    (``data``); ``actions`` keeps entries whose action starts with one of them."""
    prefixes = tuple(actions)
    rows = []
    for seq, at, actor, action, details, prev_hash, digest in case.conn.execute(
        "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq"
    ):
        if prefixes and not action.startswith(prefixes):
            continue
        try:
            data = json.loads(details) if details else {}
        except ValueError:
            data = {"unreadable": details}
        rows.append({"seq": seq, "at": at, "actor": actor, "action": action, "details": details,
                     "prev_hash": prev_hash, "hash": digest, "data": data})
    return rows


def _short(value: Any, limit: int = 60) -> str:
    return shorten(value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str), limit)


def describe_audit_entry(entry: dict[str, Any]) -> str:
    """One line saying what an audit entry records, in words."""
    action, d = entry["action"], entry.get("data", entry.get("details")) or {}
    if not isinstance(d, dict):
        return _short(d, 100)
    if action == "case.create":
        return f"created the case {d.get('title')!r}"
    if action == "case.migrate":
        return f"upgraded the file format ({', '.join(d.get('applied', []))})"
    if action == "ingest":
        return (f"imported {d.get('file_name') or '(no file)'} with {d.get('importer') or '?'}: "
                f"{d.get('entities', 0):,} entities, {d.get('statements', 0):,} values (source #{d.get('source_id')})")
    if action == "analyst.add":
        return (f"added own facts ({d.get('label')}): {len(d.get('entities') or [])} entities; "
                f"source note {_short(d.get('note') or '')!r}")
    if action == "entity.merge":
        return f"merged {d.get('drop')} into {d.get('keep')}"
    if action == "detector.parameters":
        values = ", ".join(f"{k}={v}" for k, v in sorted((d.get("parameters") or {}).items()))
        return f"set parameters of {d.get('detector')}: {_short(values)}"
    if action == "detector.run":
        error = f"; ERROR {_short(d['error'])}" if d.get("error") else ""
        found = d.get("findings", 0)
        return f"ran detector {d.get('detector')} {d.get('version') or ''}: {found} finding{'' if found == 1 else 's'}{error}"
    if action == "finding.mark":
        reason = f" ({_short(d['reason'])})" if d.get("reason") else ""
        return f"marked finding #{d.get('finding')} {d.get('status')}{reason}"
    if action == "match.decide":
        return f"decided {d.get('left')} and {d.get('right')} are {d.get('decision')}"
    if action == "analysis.store":
        return f"stored {d.get('metric')} for {d.get('entities', 0):,} entities"
    if action == "chart.change":
        return f"{d.get('label')} ({d.get('items', 0)} chart items)"
    if action in ("view.save", "mapping.save"):
        return f"saved {action.split('.')[0]} {d.get('name')!r}"
    if action in ("undo", "redo"):
        return f"{'undid' if action == 'undo' else 'redid'} {d.get('label')}"
    if action == "export":
        how = []
        if d.get("deidentified"):
            how.append("de-identified" + (f", dates by {d['coarsen_dates']}" if d.get("coarsen_dates") else ""))
        if d.get("include_protected"):
            how.append("PROTECTED SOURCES INCLUDED")
        counts = f": {d['entities']:,} entities, {d.get('links') or 0:,} links" if d.get("entities") is not None else ""
        if d.get("entries") is not None:
            counts = f": {d['entries']:,} entries"
        return f"exported {d.get('format')} to {d.get('file')}{counts}" + (f" ({'; '.join(how)})" if how else "")
    return _short(", ".join(f"{k}={_short(v, 40)}" for k, v in sorted(d.items())), 100)


def write_audit_log(rows: list[dict[str, Any]], path: str | Path) -> int:
    """Write audit entries to ``path``: CSV (``.csv``) or JSON lines (``.jsonl``, ``.json``).

    Each entry keeps ``prev_hash`` and ``hash``, and CSV keeps ``details`` as the exact JSON text
    that was hashed, so the chain can be checked outside Workbench (see docs/sharing.md).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".json"):
        raise CaseError(f"{path}: the audit log is exported as .csv or .jsonl")
    with atomic_write(path, newline="") as handle:
        if suffix == ".csv":
            writer = csv.writer(handle)
            writer.writerow([*AUDIT_COLUMNS, "what"])
            for row in rows:
                # An analyst's name or a file name a spreadsheet would run as a formula gets a ' in front.
                writer.writerow([spreadsheet_safe(cell) for cell in
                                 (*(row[column] for column in AUDIT_COLUMNS), describe_audit_entry(row))])
        else:
            for row in rows:
                entry = {column: row[column] for column in AUDIT_COLUMNS if column != "details"}
                entry["details"] = row["data"]
                entry["what"] = describe_audit_entry(row)
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return len(rows)


def check_audit_log(case: Case) -> dict[str, Any]:
    """The hash chain's state: ``intact``, ``entries``, ``last_hash`` and the first broken entry."""
    broken = case.verify_audit_log()
    rows = audit_rows(case)
    result: dict[str, Any] = {"intact": broken is None, "entries": len(rows),
                              "last_hash": rows[-1]["hash"] if rows else None, "first_broken": None}
    if broken is not None:
        index = next((i for i, row in enumerate(rows) if row["seq"] == broken), None)
        first: dict[str, Any] = {"seq": broken}
        if index is not None:
            entry = rows[index]
            first.update({key: entry[key] for key in ("at", "actor", "action")}, what=describe_audit_entry(entry))
            # Entries are numbered without gaps, so a gap before the broken one is what was removed.
            before = rows[index - 1]["seq"] if index else 0
            first["missing"] = list(range(before + 1, broken))
        result["first_broken"] = first
    return result


__all__ = [
    "AuditLogBroken",
    "Deidentifier",
    "SharingKey",
    "SharingKeyError",
    "SharingReport",
    "audit_rows",
    "check_audit_log",
    "default_key_path",
    "deidentify",
    "describe_audit_entry",
    "reidentify",
    "write_audit_log",
    "write_deidentified",
]
