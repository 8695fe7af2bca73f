"""OFAC's Specially Designated Nationals (SDN) list in its legacy CSV layout.

OFAC publishes the list as four CSV files without header rows, joined by ``ent_num``:

``sdn.csv``
    one row per listed party: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
    Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks;
``add.csv``
    addresses: Ent_num, Add_num, Address, City/State/Province/Postal Code, Country, Add_remarks;
``alt.csv``
    strong aliases: ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks;
``sdn_comments.csv``
    ent_num and the rest of any remarks longer than the 1000 characters sdn.csv holds.

``-0-`` is OFAC's empty value. The importer is given any of the four files and reads the others
from the same folder. Only sdn.csv is required: without add.csv or alt.csv the import has no
addresses or strong aliases, and without sdn_comments.csv remarks stop at 1000 characters.
Rows of those files whose ent_num is not in sdn.csv are skipped (and logged): an address or an
alias cannot be given to a party the list does not hold.

What becomes what:

* SDN_Type ``individual`` → Person, ``vessel`` → Vessel, ``aircraft`` → Airplane, and ``-0-``
  (OFAC's "entity") → Organization. OFAC does not say whether an entity is a company, a ministry
  or a militia, so no Company is guessed from the name; an Organization merges with a Company
  describing the same party from another source. Ids are ``ofac-sdn-<ent_num>``.
* Every listed party gets topics ``sanction``, publisher "OFAC Specially Designated Nationals
  (SDN) List", its programs (``program``) and the whole remarks text (``notes``), and one
  Sanction entity (authority OFAC, program, provisions from the remarks, entity → the party).
* alt.csv ``aka`` → alias, ``fka`` → previousName, ``nka`` (now known as) → name; the remarks'
  ``a.k.a. '...'`` are OFAC's *weak* aliases → weakAlias (``f.k.a.``/``n.k.a.`` as above).
* add.csv rows → ``address`` (the parts joined) and ``country``.
* Vessel columns → callSign, type, tonnage, grossRegisteredTonnage, flag, owner.
* Remarks items (``DOB ...; POB ...; Passport ...``) → the matching FtM properties, see
  ``_LABELLED_FACTS``; ``Digital Currency Address - XBT ...`` → a CryptoWallet held by the party;
  ``Linked To: NAME`` → an UnknownLink (role "Linked To") to the listed party of that name, or
  to a LegalEntity stub (topic ``sanction.linked``) when the list holds no party of that name.
  Items with no FtM home (fax numbers, Mode S transponder codes, directive URLs) stay in notes.

Each fact is yielded in a Record whose locator names the line it was read from ("sdn.csv line
4", "alt.csv line 3"); the store merges the records of one entity id.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from followthemoney.exc import InvalidData
from followthemoney.types import registry

from workbench.model import EntityProxy, get_schema, make_entity
from workbench.model.provenance import Record
from workbench.plugin_api import Importer, SourceFormatError

log = logging.getLogger(__name__)

PUBLISHER = "OFAC Specially Designated Nationals (SDN) List"
AUTHORITY = "Office of Foreign Assets Control"
SOURCE_URL = "https://sanctionslist.ofac.treas.gov/"
ID_PREFIX = "ofac-sdn-"

EMPTY = "-0-"
SDN_COLUMNS = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign",
    "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks",
)
ADD_COLUMNS = ("Ent_num", "Add_num", "Address", "City/State/Province/Postal Code", "Country", "Add_remarks")
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
COMMENTS_COLUMNS = ("ent_num", "Remarks (continued)")

MAIN_FILE = "sdn.csv"
# OFAC's own data specification once spelled the spill-over file "SDN COMMENTS.CSV".
SIBLING_FILES = {
    "add": ("add.csv",),
    "alt": ("alt.csv",),
    "comments": ("sdn_comments.csv", "sdn comments.csv"),
}

SCHEMA_BY_SDN_TYPE = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "Organization"}
ALT_TYPE_PROPERTY = {"aka": "alias", "fka": "previousName", "nka": "name"}
# Aliases in the remarks are the ones OFAC classes as weak ("a.k.a. 'HESA'").
REMARK_ALIAS_PROPERTY = {"a.k.a.": "weakAlias", "f.k.a.": "previousName", "n.k.a.": "name"}

# How a remarks item's value is read.
TEXT, DATE, IDENTIFIER, PLACE, PARTY = "text", "date", "identifier", "place", "party"

#: Remarks items of the form "<label> <value>", and the property each fills. A property the
#: party's schema lacks (a passport on a vessel) is skipped; the item stays in the notes.
_LABELLED_FACTS: tuple[tuple[str, str, str], ...] = (
    ("DOB", "birthDate", DATE),
    ("POB", "birthPlace", PLACE),
    ("nationality", "nationality", TEXT),
    ("citizen", "citizenship", TEXT),
    ("Gender", "gender", TEXT),
    ("Email Address", "email", TEXT),
    ("Website", "website", TEXT),
    ("Organization Established Date", "incorporationDate", DATE),
    ("Organization Type:", "sector", TEXT),
    ("Nationality of Registration", "jurisdiction", TEXT),
    ("Passport", "passportNumber", IDENTIFIER),
    ("Diplomatic Passport", "passportNumber", IDENTIFIER),
    ("National ID No.", "idNumber", IDENTIFIER),
    ("Identification Number", "idNumber", IDENTIFIER),
    ("Personal ID Card", "idNumber", IDENTIFIER),
    ("Cedula No.", "idNumber", IDENTIFIER),
    ("C.U.R.P.", "idNumber", IDENTIFIER),
    ("SSN", "socialSecurityNumber", IDENTIFIER),
    ("Tax ID No.", "taxNumber", IDENTIFIER),
    ("RFC", "taxNumber", IDENTIFIER),
    ("NIT #", "taxNumber", IDENTIFIER),
    ("RUC #", "taxNumber", IDENTIFIER),
    ("V.A.T. Number", "vatCode", IDENTIFIER),
    ("Registration Number", "registrationNumber", IDENTIFIER),
    ("Registration ID", "registrationNumber", IDENTIFIER),
    ("Business Registration Number", "registrationNumber", IDENTIFIER),
    ("Company Number", "registrationNumber", IDENTIFIER),
    ("UK Company Number", "registrationNumber", IDENTIFIER),
    ("Commercial Registry Number", "registrationNumber", IDENTIFIER),
    ("Business Number", "registrationNumber", IDENTIFIER),
    ("Trade License No.", "licenseNumber", IDENTIFIER),
    ("Legal Entity Number", "leiCode", IDENTIFIER),
    ("SWIFT/BIC", "swiftBic", IDENTIFIER),
    ("D-U-N-S Number", "dunsCode", IDENTIFIER),
    ("Unified Social Credit Code (USCC)", "uscCode", IDENTIFIER),
    ("MMSI", "mmsi", IDENTIFIER),
    ("Vessel Year of Build", "buildDate", DATE),
    ("Vessel Type", "type", TEXT),
    ("Other Vessel Type", "type", TEXT),
    ("Other Vessel Call Sign", "callSign", IDENTIFIER),
    ("Other Vessel Flag", "flag", TEXT),
    ("Former Vessel Flag", "pastFlags", TEXT),
    ("Aircraft Manufacture Date", "buildDate", DATE),
    ("Aircraft Model", "model", TEXT),
    ("Aircraft Operator", "operator", PARTY),
    ("Aircraft Manufacturer's Serial Number (MSN)", "serialNumber", IDENTIFIER),
    ("Aircraft Construction Number (also called L/N or S/N or F/N)", "serialNumber", IDENTIFIER),
    ("Aircraft Tail Number", "registrationNumber", IDENTIFIER),
)
# Longest label first, so "Business Registration Number" is not read as "Business Number ...".
_LABELLED_FACTS = tuple(sorted(_LABELLED_FACTS, key=lambda fact: -len(fact[0])))

_ALT_PREFIX = re.compile(r"^alt\.\s+", re.IGNORECASE)
_REMARK_ALIAS = re.compile(r"^(?P<kind>[afn]\.k\.a\.)\s+'(?P<name>.+)'$", re.IGNORECASE)
_LINKED_TO = re.compile(r"^Linked To:\s*(?P<name>.+)$", re.IGNORECASE)
_IMO = re.compile(r"^(?:Vessel Registration Identification |Identification Number )?IMO (?P<number>\d{7})\b")
_WALLET = re.compile(r"^Digital Currency Address - (?P<currency>[A-Za-z0-9]+)\s+(?P<address>\S+)$")
_PHONE = re.compile(r"^(?:Telephone|Phone)(?: No\.| Number)?:?\s+(?P<number>.+)$")
# Statements about the sanction itself (its scope), rather than about the party.
_PROVISION = re.compile(
    r"^(?:Additional Sanctions Information|Secondary sanctions risk|Transactions Prohibited"
    r"|Executive Order \d+|CAATSA|IFCA|Effective Date)",
    re.IGNORECASE,
)
# An identifier ends where its issuing country "(Iran)" or its validity ("issued ...") begins.
_IDENTIFIER_VALUE = re.compile(r"^(?P<value>.+?)(?=\s+\(|\s+(?:issued|expires)\b|$)", re.IGNORECASE)
_AIRCRAFT_REGISTRATION = re.compile(r"^[A-Z0-9]{1,3}-?[A-Z0-9]{2,6}$")

_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


# --------------------------------------------------------------------------- reading the files

def _cp1252_over_latin1() -> dict[int, str]:
    """What turns Latin-1 text into Windows-1252 text, for str.translate.

    Latin-1 maps every byte to the code point of the same number; Windows-1252 differs only in
    0x80-0x9F, where it puts curly quotes, dashes and a few letters. Five of those bytes are
    undefined in cp1252 and keep their Latin-1 meaning, so decoding never fails.
    """
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            pass
    return table


_CP1252_OVER_LATIN1 = _cp1252_over_latin1()


def decode_ofac_text(data: bytes) -> str:
    """The text of an OFAC file, whatever its encoding.

    OFAC's legacy files are Windows-1252 ("NUÑEZ" and curly quotes as single bytes); copies
    passed through other tools are often UTF-8. UTF-8 is tried first because it is strict: cp1252
    would also "decode" UTF-8 bytes, into mojibake, while cp1252 text with accents is almost never
    valid UTF-8 by chance. Anything else is read as cp1252 (with Latin-1 for its five undefined
    bytes), which never fails.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1").translate(_CP1252_OVER_LATIN1)


@dataclass(frozen=True)
class _Row:
    """One record of one file: where it is, and its values with ``-0-`` turned into ""."""

    file_name: str
    line: int
    values: tuple[str, ...]

    @property
    def locator(self) -> str:
        return f"{self.file_name} line {self.line}"

    @property
    def ent_num(self) -> str:
        return self.values[0]


def _describe_csv_error(error: csv.Error) -> str:
    message = str(error)
    if "unexpected end of data" in message:
        return 'the file ends inside a quoted field (expected a closing "): it looks truncated'
    if "expected after" in message:
        return 'expected a comma after the closing " of a field (a stray quote, or not OFAC CSV)'
    return f"not readable as CSV ({message})"


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def read_ofac_table(path: Path, columns: tuple[str, ...], verbatim: tuple[int, ...] = ()) -> list[_Row]:
    """Every record of one OFAC CSV file, checked against its expected ``columns``.

    Values are stripped of surrounding spaces, except in the ``verbatim`` columns: remarks cut at
    1000 characters go on in sdn_comments.csv, and a space at the cut belongs to the text.

    Raises :class:`SourceFormatError` naming the file and line for a file that is not text, is
    cut short, has a row with another number of columns or a non-numeric ent_num.
    """
    name = path.name
    try:
        text = decode_ofac_text(path.read_bytes())
    except OSError as error:
        raise SourceFormatError(f"{name}: cannot be read ({error.strerror or error})") from error
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceFormatError(
            f"{name} line {line}: not a text file (it holds NUL bytes); expected OFAC's comma-separated list"
        )
    # DOS-era text files may end with an end-of-file mark (Ctrl-Z), which is not data.
    text = text.rstrip("\x1a")
    # strict: an unterminated quote (a file cut mid-field) is an error, not a field swallowing
    # the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_Row] = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise SourceFormatError(f"{name} line {line}: {_describe_csv_error(error)}") from error
        if not values:
            continue  # a blank line
        if len(values) != len(columns):
            raise SourceFormatError(
                f"{name} line {line}: expected {len(columns)} columns ({', '.join(columns)}), "
                f"found {len(values)} ({_preview(','.join(values))})"
            )
        cleaned = tuple(
            "" if value.strip() == EMPTY else value if index in verbatim else value.strip()
            for index, value in enumerate(values)
        )
        if not cleaned[0].isdigit():
            raise SourceFormatError(
                f"{name} line {line}: expected a numeric {columns[0]} in column 1, found {_preview(cleaned[0])}"
            )
        rows.append(_Row(name, line, cleaned))
    return rows


def _find_in_folder(folder: Path, names: Iterable[str]) -> Path | None:
    """The file in ``folder`` called one of ``names``, ignoring case (OFAC has used SDN.CSV)."""
    wanted = {name.lower() for name in names}
    try:
        candidates = sorted(folder.iterdir())
    except OSError:
        return None
    for candidate in candidates:
        if candidate.name.lower() in wanted and candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class _Files:
    main: Path
    add: Path | None
    alt: Path | None
    comments: Path | None


def _first_row(path: Path) -> list[str] | None:
    """The first CSV row of ``path`` (OFAC's encodings), or ``None`` if it is not a CSV row."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return None
    lines = decode_ofac_text(head).splitlines()
    if not lines or "\x00" in lines[0]:
        return None
    try:
        return next(csv.reader([lines[0]], strict=True))
    except (csv.Error, StopIteration):
        return None


def _companion_kind(path: Path) -> str | None:
    """``add``, ``alt`` or ``comments`` if ``path`` is one of sdn.csv's companion files, else ``None``.

    Known first by name (add.csv, alt.csv, sdn_comments.csv, any case); a renamed copy by its
    first row: add.csv's 6 columns and alt.csv's 5 both start with two numbers (ent_num and the
    row's own number), alt.csv's third is aka, fka or nka; sdn_comments.csv has 2 columns, a
    number and text. A file with 2 such columns is taken for sdn_comments.csv only beside an
    sdn.csv, since many tables look like that.
    """
    name = path.name.lower()
    for kind, names in SIBLING_FILES.items():
        if name in names:
            return kind
    if name == MAIN_FILE or name.startswith("cons_"):
        return None
    row = _first_row(path)
    if not row or not row[0].strip().isdigit():
        return None
    cells = [cell.strip() for cell in row]
    if len(cells) == len(ADD_COLUMNS) and cells[1].isdigit():
        return "add"
    if len(cells) == len(ALT_COLUMNS) and cells[1].isdigit() and cells[2].lower() in ("aka", "fka", "nka"):
        return "alt"
    if len(cells) == len(COMMENTS_COLUMNS) and _find_in_folder(path.parent, (MAIN_FILE,)) is not None:
        return "comments"
    return None


def _locate_files(path: Path) -> _Files:
    """sdn.csv and whichever of its companions sit beside ``path``."""
    name = path.name.lower()
    if name.startswith("cons_"):
        raise SourceFormatError(
            f"{path.name}: this is OFAC's Consolidated (non-SDN) list, not the SDN list; "
            "the ofac-sdn importer would label its parties as SDN-listed"
        )
    folder = path.parent
    kind = _companion_kind(path)
    if kind is not None:
        main = _find_in_folder(folder, (MAIN_FILE,))
        if main is None:
            raise SourceFormatError(
                f"{path.name}: expected {MAIN_FILE} in the same folder ({folder}); "
                "it holds the listed parties that this file adds to"
            )
    else:
        main = path  # sdn.csv itself, perhaps renamed
    found = {sibling: _find_in_folder(folder, names) for sibling, names in SIBLING_FILES.items()}
    if kind is not None and found[kind] is None:
        found[kind] = path  # a renamed companion, known by its content
    if None in found.values():
        for sibling, candidate in _renamed_companions(folder, main).items():
            if found[sibling] is None:
                found[sibling] = candidate
    return _Files(main=main, add=found["add"], alt=found["alt"], comments=found["comments"])


def _renamed_companions(folder: Path, main: Path, limit: int = 200) -> dict[str, Path]:
    """Companions beside ``main`` under other names (``sdn_alt_2024.csv``), known by their first row.

    Only a kind that exactly one CSV file of the folder has is taken; the folder's first
    ``limit`` CSV files are looked at.
    """
    try:
        candidates = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())[:limit]
    except OSError:
        return {}
    kinds: dict[str, list[Path]] = {}
    for candidate in candidates:
        if candidate.resolve() == main.resolve() or candidate.name.lower().startswith("cons_"):
            continue
        kind = _companion_kind(candidate)
        if kind is not None:
            kinds.setdefault(kind, []).append(candidate)
    return {kind: paths[0] for kind, paths in kinds.items() if len(paths) == 1}


# --------------------------------------------------------------------------- the listed parties

def normalise_name(name: str) -> str:
    """A name reduced for comparison: case, punctuation and spacing ignored, "&" read as "and"."""
    return " ".join(re.sub(r"[\W_]+", " ", name.replace("&", " and ").casefold()).split())


def _parse_ofac_date(text: str) -> str | None:
    """ "12 Feb 1960" → "1960-02-12", "Feb 1960" → "1960-02", "circa 1960" → "1960"."""
    text = re.sub(r"^(?:circa|approximately|about)\s+", "", text.strip().rstrip("."), flags=re.IGNORECASE)
    match = re.fullmatch(r"(?:(\d{1,2})\s+)?([A-Za-z]{3})[a-z]*\.?\s+(\d{4})", text)
    if match:
        day, month_name, year = match.groups()
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None
        if day is None:
            return f"{year}-{month:02d}"
        try:
            return date(int(year), month, int(day)).isoformat()
        except ValueError:
            return None
    if re.fullmatch(r"\d{4}", text):
        return text
    # ISO dates and other forms FtM's date type understands.
    return registry.date.clean(text)


def parse_ofac_dates(text: str) -> list[str]:
    """ISO dates from an OFAC date value; a range "1960 to 1962" gives both ends."""
    return [parsed for part in re.split(r"\s+to\s+", text) if (parsed := _parse_ofac_date(part))]


@dataclass(frozen=True)
class _RemarkItem:
    """One ";"-separated item of a party's remarks, with the line(s) it was read from."""

    text: str
    locator: str


def _split_remarks(segments: list[tuple[str, str]]) -> list[_RemarkItem]:
    """The items of remarks given as (text, locator) pieces: sdn.csv's, then any continuations.

    A continuation in sdn_comments.csv carries on exactly where sdn.csv's 1000 characters stop,
    even mid-word, so the pieces are joined without a separator. An item that spans two pieces
    gets both locators.
    """
    body = "".join(text for text, _ in segments).rstrip()
    if body.endswith("."):
        # OFAC ends every remarks text with a full stop. It cannot be told apart from one that
        # ends the last item ("Linked To: ... CO LTD."), so a name there loses its final stop.
        body = body[:-1]
    bounds = []
    offset = 0
    for text, locator in segments:
        bounds.append((offset, offset + len(text), locator))
        offset += len(text)
    matches = [match for match in re.finditer(r"[^;]+", body) if match.group().strip()]
    items = []
    for match in matches:
        start = match.start() + len(match.group()) - len(match.group().lstrip())
        end = match.start() + len(match.group().rstrip())
        locator = " and ".join(loc for low, high, loc in bounds if low < end and start < high)
        items.append(_RemarkItem(match.group().strip(), locator))
    return items


@dataclass
class _Listing:
    """Everything the files say about one listed party, before it becomes entities."""

    row: _Row
    schema: str
    aliases: list[_Row] = field(default_factory=list)
    addresses: list[_Row] = field(default_factory=list)
    continuations: list[_Row] = field(default_factory=list)
    remarks: list[_RemarkItem] = field(default_factory=list)

    @property
    def ent_num(self) -> str:
        return self.row.ent_num

    @property
    def entity_id(self) -> str:
        return f"{ID_PREFIX}{self.ent_num}"

    @property
    def remark_segments(self) -> list[tuple[str, str]]:
        """The remarks as (text, locator) pieces: sdn.csv's, then its continuations."""
        return [(self.row.values[11], self.row.locator)] + [(row.values[1], row.locator) for row in self.continuations]

    @property
    def remarks_text(self) -> str:
        return "".join(text for text, _ in self.remark_segments)

    @property
    def remarks_locator(self) -> str:
        return " and ".join(locator for _, locator in self.remark_segments)


def _read_listings(files: _Files) -> dict[str, _Listing]:
    listings: dict[str, _Listing] = {}
    for row in read_ofac_table(files.main, SDN_COLUMNS, verbatim=(SDN_COLUMNS.index("Remarks"),)):
        sdn_type = row.values[2].lower()
        schema = SCHEMA_BY_SDN_TYPE.get(sdn_type)
        if schema is None:
            raise SourceFormatError(
                f"{row.locator}: expected SDN_Type individual, vessel, aircraft or -0- in column 3, "
                f"found {_preview(row.values[2])}"
            )
        if row.ent_num in listings:
            raise SourceFormatError(
                f"{row.locator}: ent_num {row.ent_num} is listed twice (also {listings[row.ent_num].row.locator})"
            )
        listings[row.ent_num] = _Listing(row, schema)

    attachments = (
        (files.alt, ALT_COLUMNS, (), "aliases"),
        (files.add, ADD_COLUMNS, (), "addresses"),
        (files.comments, COMMENTS_COLUMNS, (1,), "continuations"),
    )
    for path, columns, verbatim, attribute in attachments:
        if path is None:
            continue
        orphans = []
        for row in read_ofac_table(path, columns, verbatim):
            listing = listings.get(row.ent_num)
            if listing is None:
                orphans.append(row.locator)
            else:
                getattr(listing, attribute).append(row)
        if orphans:
            log.warning(
                "%s: %d rows name an ent_num that %s does not list, skipped (%s%s)",
                path.name, len(orphans), files.main.name, ", ".join(orphans[:10]), ", ..." if len(orphans) > 10 else "",
            )

    for listing in listings.values():
        listing.remarks = _split_remarks(listing.remark_segments)
    return listings


class _NameIndex:
    """Finds the listed party a "Linked To:" (or a vessel owner) names.

    A listed party's own name wins over a strong alias, which wins over a weak one; a name
    that several listed parties share at the best level is ambiguous and resolves to nobody.
    """

    PRIMARY, STRONG, WEAK = 0, 1, 2

    def __init__(self, listings: dict[str, _Listing]):
        self.listings = listings
        self._by_name: dict[str, dict[int, set[str]]] = {}
        for listing in listings.values():
            self._add(listing.row.values[1], self.PRIMARY, listing.ent_num)
            for row in listing.aliases:
                self._add(row.values[3], self.STRONG, listing.ent_num)
            for item in listing.remarks:
                match = _REMARK_ALIAS.match(_ALT_PREFIX.sub("", item.text))
                if match:
                    self._add(match.group("name"), self.WEAK, listing.ent_num)

    def _add(self, name: str, level: int, ent_num: str) -> None:
        key = normalise_name(name)
        if key:
            self._by_name.setdefault(key, {}).setdefault(level, set()).add(ent_num)

    def resolve(self, name: str, exclude: str, legal_entity_only: bool = False) -> _Listing | None:
        """The one listed party called ``name`` (other than ``exclude``), or ``None``."""
        levels = self._by_name.get(normalise_name(name), {})
        for level in sorted(levels):
            candidates = [
                self.listings[ent_num]
                for ent_num in sorted(levels[level] - {exclude})
                if not legal_entity_only or get_schema(self.listings[ent_num].schema).is_a("LegalEntity")
            ]
            if len(candidates) == 1:
                return candidates[0]
            if candidates:
                log.warning("%r names %d listed parties; linked to a stub instead", name, len(candidates))
                return None
        return None


def _short_hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _clean_phone(number: str, countries: Iterable[str]) -> str | None:
    """The number in E.164 form, if it can be read without guessing.

    OFAC prints numbers as given to it, often without the international prefix ("(022) 7363030").
    Such a number is tried as dialled from each country the party is tied to, and kept only if
    exactly one reading is valid: "(022) 7363030" is a valid number both in Geneva and in Libya,
    so for a party with addresses in both it stays only in the notes.
    """
    cleaned = registry.phone.clean(number)
    if cleaned:
        return cleaned
    readings = set()
    for country in countries:
        try:
            reading = registry.phone.clean(number, format=country)
        except InvalidData:  # a country with no dialling plan of its own
            continue
        if reading:
            readings.add(reading)
    return readings.pop() if len(readings) == 1 else None


# --------------------------------------------------------------------------- building entities

class _ListingBuilder:
    """Turns one listing into FtM entities, one fragment per (entity, source line).

    Fragments of the same entity share its id; yielding each as its own Record keeps every
    value's locator exact, and the store merges them.
    """

    def __init__(self, listing: _Listing, names: _NameIndex):
        self.listing = listing
        self.names = names
        self.entity_id = listing.entity_id
        self.sanction_id = f"{self.entity_id}-sanction"
        self._fragments: dict[tuple[str, str], EntityProxy] = {}
        self._phones: list[tuple[str, str]] = []

    def records(self) -> Iterator[Record]:
        self._read_main_row()
        self._read_aliases()
        self._read_addresses()
        for item in self.listing.remarks:
            self._read_remark(item)
        self._read_phones()
        for (_, locator), proxy in self._fragments.items():
            if proxy.properties:
                yield Record(proxy.to_dict(), locator=locator)

    # -- fragments

    def _fragment(self, schema: str, entity_id: str, locator: str) -> EntityProxy:
        key = (entity_id, locator)
        proxy = self._fragments.get(key)
        if proxy is None:
            proxy = self._fragments[key] = make_entity(schema, entity_id)
        return proxy

    def _party(self, locator: str) -> EntityProxy:
        """The listed party's fragment for ``locator``."""
        return self._fragment(self.listing.schema, self.entity_id, locator)

    def _sanction(self, locator: str) -> EntityProxy:
        return self._fragment("Sanction", self.sanction_id, locator)

    @staticmethod
    def _add(proxy: EntityProxy, prop: str, value: str | None) -> None:
        """Add a value through FtM's cleaning; silently skip what the schema cannot hold."""
        if value and proxy.schema.get(prop) is not None:
            proxy.add(prop, value, quiet=True)

    def _named_party(self, name: str, locator: str, legal_entity_only: bool = False) -> str:
        """The id of the party ``name`` refers to: a listed one, or a stub made for it here."""
        listing = self.names.resolve(name, exclude=self.listing.ent_num, legal_entity_only=legal_entity_only)
        if listing is not None:
            return listing.entity_id
        stub_id = f"{ID_PREFIX}named-{_short_hash(normalise_name(name))}"
        stub = self._fragment("LegalEntity", stub_id, locator)
        stub.add("name", name)
        # Named by the list but not on it: FtM's topic for parties linked to sanctioned ones.
        stub.add("topics", "sanction.linked")
        return stub_id

    # -- sdn.csv columns

    def _read_main_row(self) -> None:
        row = self.listing.row
        (ent_num, name, _, programs, title, call_sign, vessel_type, tonnage, grt, flag, owner, _) = row.values
        party = self._party(row.locator)
        party.add("name", name)
        party.add("topics", "sanction")
        party.add("publisher", PUBLISHER)
        program_codes = [code.strip(" []") for code in programs.split("] [") if code.strip(" []")]
        party.add("program", program_codes)
        if party.schema.is_a("Person"):
            last, _, first = name.partition(",")
            if first.strip():
                party.add("lastName", last.strip())
                party.add("firstName", first.strip())
            self._add(party, "position", title)
        elif title:
            party.add("notes", f"Title: {title}")
        if party.schema.is_a("Airplane") and _AIRCRAFT_REGISTRATION.match(name):
            party.add("registrationNumber", name)  # OFAC lists aircraft by their tail number
        self._add(party, "callSign", call_sign)
        self._add(party, "type", vessel_type)
        for prop, value in (("tonnage", tonnage), ("grossRegisteredTonnage", grt)):
            digits = value.replace(",", "")
            self._add(party, prop, digits if re.fullmatch(r"\d+(?:\.\d+)?", digits) else value)
        self._add(party, "flag", flag)
        if owner and party.schema.get("owner") is not None:
            party.add("owner", self._named_party(owner, row.locator, legal_entity_only=True))
        remarks = self.listing.remarks_text
        if remarks:
            self._party(self.listing.remarks_locator).add("notes", remarks)

        sanction = self._sanction(row.locator)
        sanction.add("entity", self.entity_id)
        sanction.add("authority", AUTHORITY)
        sanction.add("authorityId", ent_num)
        sanction.add("country", "us")
        sanction.add("program", program_codes)
        sanction.add("sourceUrl", SOURCE_URL)
        sanction.add("publisher", PUBLISHER)

    # -- alt.csv and add.csv

    def _read_aliases(self) -> None:
        for row in self.listing.aliases:
            _, _, alt_type, alt_name, alt_remarks = row.values
            # A type OFAC may add later is still a name the party goes by.
            prop = ALT_TYPE_PROPERTY.get(alt_type.lower().replace(".", ""), "alias")
            party = self._party(row.locator)
            self._add(party, prop, alt_name)
            if alt_remarks:
                party.add("notes", f"Alias {alt_name}: {alt_remarks}")

    def _read_addresses(self) -> None:
        for row in self.listing.addresses:
            _, _, street, city, country, remarks = row.values
            party = self._party(row.locator)
            full = ", ".join(part for part in (street, city, country) if part)
            if street or city:  # a country alone is no address
                party.add("address", full)
            self._add(party, "country", country)
            if remarks:
                party.add("notes", f"Address remarks ({full}): {remarks}")

    # -- remarks

    def _read_remark(self, item: _RemarkItem) -> None:
        text = _ALT_PREFIX.sub("", item.text)  # "alt. Passport ..." is a second value, same kind
        party = self._party(item.locator)

        if match := _REMARK_ALIAS.match(text):
            self._add(party, REMARK_ALIAS_PROPERTY[match.group("kind").lower()], match.group("name"))
        elif match := _LINKED_TO.match(text):
            self._read_linked_to(match.group("name"), item.locator)
        elif match := _IMO.match(text):
            self._add(party, "imoNumber", match.group("number"))
        elif match := _WALLET.match(text):
            self._read_wallet(match.group("currency"), match.group("address"), item.locator)
        elif match := _PHONE.match(text):
            self._phones.append((match.group("number"), item.locator))
        elif _PROVISION.match(text):
            self._sanction(item.locator).add("provisions", text)
        else:
            self._read_labelled_fact(text, party, item.locator)

    def _read_labelled_fact(self, text: str, party: EntityProxy, locator: str) -> None:
        for label, prop, kind in _LABELLED_FACTS:
            if not text.startswith(label + " "):
                continue
            value = text[len(label):].strip()
            if kind == DATE:
                for parsed in parse_ofac_dates(value):
                    self._add(party, prop, parsed)
            elif kind == IDENTIFIER:
                identifier = _IDENTIFIER_VALUE.match(value)
                self._add(party, prop, identifier.group("value") if identifier else value)
            elif kind == PLACE:
                self._add(party, prop, value)
                self._add(party, "birthCountry", value.rsplit(",", 1)[-1].strip())
            elif kind == PARTY:
                if party.schema.get(prop) is not None:
                    party.add(prop, self._named_party(value, locator, legal_entity_only=True))
            else:
                self._add(party, prop, value)
            return

    def _read_linked_to(self, name: str, locator: str) -> None:
        target = self._named_party(name, locator)
        link = self._fragment("UnknownLink", f"{self.entity_id}-link-{_short_hash(target)}", locator)
        link.add("subject", self.entity_id)
        link.add("object", target)
        link.add("role", "Linked To")
        link.add("publisher", PUBLISHER)

    def _read_wallet(self, currency: str, address: str, locator: str) -> None:
        # One id per address and currency, so a wallet listed for two parties is one entity.
        wallet = self._fragment("CryptoWallet", f"{ID_PREFIX}wallet-{_short_hash(currency.upper(), address)}", locator)
        wallet.add("publicKey", address)
        wallet.add("currency", currency.upper())
        wallet.add("holder", self.entity_id)
        # The address is itself on the list: OFAC names it as an identifier of the party.
        wallet.add("topics", "sanction")
        wallet.add("publisher", PUBLISHER)

    def _read_phones(self) -> None:
        """Phone numbers, read last so every country the party is tied to can help read them."""
        if get_schema(self.listing.schema).get("phone") is None:
            return  # vessels and aircraft have no phone number in FtM; the notes keep it
        countries: set[str] = set()
        for (entity_id, _), proxy in self._fragments.items():
            if entity_id == self.entity_id:
                countries.update(proxy.get_type_values(registry.country))
        for number, locator in self._phones:
            cleaned = _clean_phone(number, sorted(countries))
            if cleaned:
                self._party(locator).add("phone", cleaned, cleaned=True)


# --------------------------------------------------------------------------- the plugin

class OfacSdnImporter(Importer):
    id = "ofac-sdn"
    label = "OFAC SDN list (legacy CSV)"
    version = "1.0"
    description = (
        "The US Treasury's Specially Designated Nationals list as sdn.csv with add.csv, alt.csv and "
        "sdn_comments.csv beside it: listed parties with aliases, addresses, identifiers, programs, "
        "sanctions, crypto wallets and 'Linked To' relationships."
    )
    file_patterns = ("sdn.csv",)
    topics = ("sanction",)

    def companion_files(self, path: Path) -> list[Path]:
        files = _locate_files(Path(path))
        return [found for found in (files.main, files.add, files.alt, files.comments)
                if found is not None and found.resolve() != Path(path).resolve()]

    def main_file(self, path: Path) -> Path:
        """sdn.csv for any of its companions: importing add.csv imports the list it belongs to."""
        path = Path(path)
        if _companion_kind(path) is None:
            return path
        return _find_in_folder(path.parent, (MAIN_FILE,)) or path

    @classmethod
    def sniff(cls, path: Path) -> float:
        """0.9 for sdn.csv or one of its companions, by name or by first row; else 0.

        An SDN row has 12 columns, a numeric ent_num first and OFAC's ``-0-`` empty markers; the
        companions are known as :func:`_companion_kind` says (they are imported with the
        sdn.csv beside them). The Consolidated (non-SDN) list shares the layout; its ``cons_*``
        files are not claimed.
        """
        path = Path(path)
        name = path.name.lower()
        if name.startswith("cons_"):
            return 0.0
        if name == MAIN_FILE:
            return 0.9
        if _companion_kind(path) is not None:
            return 0.9
        first_row = _first_row(path)
        if first_row is None:
            return 0.0
        looks_like_sdn = (
            len(first_row) == len(SDN_COLUMNS)
            and first_row[0].strip().isdigit()
            and any(value.strip() == EMPTY for value in first_row)
        )
        return 0.9 if looks_like_sdn else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        """Records for every listed party in the SDN files in ``path``'s folder.

        ``path`` is sdn.csv or any of add.csv, alt.csv and sdn_comments.csv. All files are read
        and checked before the first record is yielded, so a damaged file fails the import
        before anything is written.
        """
        files = _locate_files(Path(path))
        listings = _read_listings(files)
        if not listings:
            raise SourceFormatError(f"{files.main.name}: expected at least one listed party, found an empty file")
        names = _NameIndex(listings)
        for listing in listings.values():
            yield from _ListingBuilder(listing, names).records()
