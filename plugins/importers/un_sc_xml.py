"""UN Security Council Consolidated List, in the XML the UN publishes at scsanctions.un.org.

Each ``INDIVIDUAL`` becomes a ``Person`` and each ``ENTITY`` an ``Organization``, and each
listing also a ``Sanction`` that names the regime (``UN_LIST_TYPE``), the UN reference number
and the listing date. What FtM has no property for (a document's issuing country, an
approximate birth year, a country name FtM does not recognise) goes into ``notes`` rather than
being dropped.

The file is parsed element by element: each listing is converted and then removed from the
tree, so memory stays flat however long the list grows. The parser is expat driven directly
(building ordinary ElementTree elements) rather than ``ElementTree.iterparse``, because
iterparse does not tell where in the file an element starts, and the analyst needs the line to
find a value again.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

from workbench.model import EntityProxy, make_entity
from workbench.model.provenance import Record
from workbench.plugin_api import Importer, SourceFormatError

ROOT_TAG = "CONSOLIDATED_LIST"
AUTHORITY = "United Nations Security Council"
PUBLISHER = "United Nations Security Council Consolidated List"
SOURCE_URL = "https://scsanctions.un.org/"
ID_PREFIX = "un-sc-"

#: Section element -> (listing element, FtM schema of the listed party).
SECTIONS = {"INDIVIDUALS": ("INDIVIDUAL", "Person"), "ENTITIES": ("ENTITY", "Organization")}
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
#: Alias QUALITY (lower-cased) -> FtM property. "Low" quality aliases are too vague to match
#: on alone, which is what FtM's weakAlias means; anything unrecognised counts as an alias.
ALIAS_PROPERTIES = {"good": "alias", "a.k.a.": "alias", "low": "weakAlias", "f.k.a.": "previousName"}
#: Document types (lower-cased, in the list's three languages) that are passports.
PASSPORT_WORDS = ("passport", "passeport", "pasaporte")
NATIONAL_ID_WORDS = ("national identification", "national id", "identity card")
#: A FROM_YEAR/TO_YEAR range longer than this is recorded by its ends only.
MAX_BIRTH_YEAR_SPAN = 20

SNIFF_BYTES = 4096
READ_CHUNK_BYTES = 1 << 16


class _RootFound(Exception):
    """Stops the sniffing parser at the first start tag."""


def _refuse_dtd(parser: expat.XMLParserType, file_name: str) -> None:
    """Make ``parser`` reject any DOCTYPE, and with it every entity declaration.

    defusedxml is not installed, so this is the guard against entity-expansion attacks
    ("billion laughs") and external entities: the UN list never carries a DTD, and without one
    no entity can be declared. (Python 3.11's expat also never fetches external entities and,
    from expat 2.4, caps entity amplification; refusing the DTD does not rely on either.)
    """

    def refuse(*_args: Any) -> None:
        raise SourceFormatError(
            f"{file_name} line {parser.CurrentLineNumber}: the file declares a DOCTYPE; the UN "
            "Consolidated List has none, and DTDs are refused because they can hide entity-expansion attacks"
        )

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)


def _root_tag(head: bytes) -> str | None:
    """The name of the first element in ``head`` (the start of an XML file), if it has one."""
    parser = expat.ParserCreate()
    found: list[str] = []

    def start(tag: str, _attributes: dict[str, str]) -> None:
        found.append(tag)
        raise _RootFound

    parser.StartElementHandler = start
    _refuse_dtd(parser, "")
    try:
        parser.Parse(head, False)
    except (_RootFound, SourceFormatError, expat.ExpatError):
        pass
    return found[0] if found else None


class _ElementStream:
    """``("start" | "end", element, line)`` events of an XML file, read in chunks.

    Like ``ElementTree.iterparse`` (the elements are ordinary ElementTree elements, built by a
    ``TreeBuilder``), but each event carries the line where expat saw it. The consumer removes
    elements it is done with; nothing else keeps them.
    """

    def __init__(self, path: Path):
        self.path = path
        self._builder = ET.TreeBuilder()
        self._events: list[tuple[str, ET.Element, int]] = []
        # Tags still open, with their lines, so a parse error can say which element it is in.
        self._open_tags: list[tuple[str, int]] = []
        self._parser = expat.ParserCreate()
        # Deliver each run of text in one call rather than line by line.
        self._parser.buffer_text = True
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._builder.data
        _refuse_dtd(self._parser, path.name)

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        line = self._parser.CurrentLineNumber
        self._open_tags.append((tag, line))
        self._events.append(("start", self._builder.start(tag, attributes), line))

    def _end(self, tag: str) -> None:
        self._open_tags.pop()
        self._events.append(("end", self._builder.end(tag), self._parser.CurrentLineNumber))

    def __iter__(self) -> Iterator[tuple[str, ET.Element, int]]:
        with self.path.open("rb") as handle:
            while True:
                chunk = handle.read(READ_CHUNK_BYTES)
                self._feed(chunk, final=not chunk)
                yield from self._events
                self._events.clear()
                if not chunk:
                    return

    def _feed(self, chunk: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(chunk, final)
        except expat.ExpatError as error:
            # expat counts columns from 0; editors count from 1.
            message = (
                f"{self.path.name} line {error.lineno}, column {error.offset + 1}: not well-formed XML "
                f"({expat.ErrorString(error.code)}); the file may be truncated or damaged"
            )
            if self._open_tags:
                # expat only notices an unclosed tag where its parent closes, often many lines on.
                tag, line = self._open_tags[-1]
                message += f"; the innermost open element is {tag}, opened on line {line}"
            raise SourceFormatError(message) from error


def _clean(text: str | None) -> str | None:
    """Text with runs of white space (the list hard-wraps long values) made single spaces."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def _text(element: ET.Element, path: str) -> str | None:
    return _clean(element.findtext(path))


def _texts(element: ET.Element, path: str) -> list[str]:
    return [value for value in (_clean(found.text) for found in element.findall(path)) if value]


def _joined(element: ET.Element, parts: tuple[str, ...], separator: str = ", ") -> str | None:
    return separator.join(value for value in (_text(element, part) for part in parts) if value) or None


def _safe_id(value: str) -> str:
    """``value`` reduced to the characters FtM allows in an entity id."""
    return re.sub(r"[^0-9A-Za-z.-]+", "-", value).strip("-.")


class _Listing:
    """One INDIVIDUAL or ENTITY element turned into FtM entities.

    ``notes`` gathers what FtM has no property for; it is added to the party at the end so the
    list's own comment comes first.
    """

    def __init__(self, element: ET.Element, schema: str, party_id: str, where: str):
        self.element = element
        self.where = where
        self.party = make_entity(schema, party_id)
        self.notes: list[str] = []

    def add(self, prop: str, value: str | None, label: str, entity: EntityProxy | None = None) -> None:
        """Add ``value`` if FtM's type for ``prop`` accepts it; otherwise keep it as a note."""
        if not value:
            return
        entity = entity or self.party
        if entity.schema.properties[prop].type.clean(value, proxy=entity) is None:
            self.notes.append(f"{label} (not recognised): {value}")
        else:
            entity.add(prop, value)

    def names(self) -> None:
        parts = [_text(self.element, part) for part in NAME_PARTS]
        full_name = " ".join(part for part in parts if part)
        if not full_name:
            raise SourceFormatError(f"{self.where}: no name; expected at least a FIRST_NAME")
        self.party.add("name", full_name)
        if self.party.schema.is_a("Person"):
            # The list's name slots are positions, not meanings: SECOND_NAME is a surname in
            # "FEREIDOUN ABBASI-DAVANI" but a father's name in many four-part names. Only the
            # first two map without guessing (FtM's secondName is as neutral as the list's);
            # the third and fourth stay in the full name.
            self.party.add("firstName", parts[0])
            self.party.add("secondName", parts[1])
        self.party.add("alias", _text(self.element, "NAME_ORIGINAL_SCRIPT"))

    def aliases(self, tag: str) -> None:
        for alias in self.element.findall(tag):
            name = _text(alias, "ALIAS_NAME")
            if not name:
                continue
            prop = ALIAS_PROPERTIES.get((_text(alias, "QUALITY") or "").lower(), "alias")
            # One ALIAS_NAME often lists several spellings: "Azim Adhajani; Azim Agha-Jani".
            for single in name.split(";"):
                self.party.add(prop, single.strip() or None)
            note = _text(alias, "NOTE")
            if note:
                self.notes.append(f"Alias {name}: {note}")

    def addresses(self, tag: str) -> None:
        for address in self.element.findall(tag):
            # A bare COUNTRY is where the party is, not an address worth a line of its own.
            if _joined(address, ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE")):
                self.party.add("address", _joined(address, ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")))
            self.add("country", _text(address, "COUNTRY"), "Address country")
            note = _text(address, "NOTE")
            if note:
                self.notes.append(f"Address: {note}")

    def person_details(self) -> None:
        element = self.element
        for title in _texts(element, "TITLE/VALUE"):
            self.party.add("title", title)
        for designation in _texts(element, "DESIGNATION/VALUE"):
            self.party.add("position", designation)
        for nationality in _texts(element, "NATIONALITY/VALUE"):
            self.add("nationality", nationality, "Nationality")
        self.add("gender", _text(element, "GENDER"), "Gender")
        for birth in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
            self.birth_date(birth)
        for place in element.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
            self.party.add("birthPlace", _joined(place, ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")))
            self.add("birthCountry", _text(place, "COUNTRY"), "Country of birth")
            note = _text(place, "NOTE")
            if note:
                self.notes.append(f"Place of birth: {note}")
        for document in element.findall("INDIVIDUAL_DOCUMENT"):
            self.document(document)

    def birth_date(self, birth: ET.Element) -> None:
        kind = (_text(birth, "TYPE_OF_DATE") or "").upper()
        exact = [value for value in (_text(birth, "DATE"), _text(birth, "YEAR")) if value]
        for value in exact:
            self.add("birthDate", value, "Date of birth")
        if kind == "APPROXIMATELY" and exact:
            self.notes.append(f"Date of birth: approximately {' / '.join(exact)}")
        first, last = _text(birth, "FROM_YEAR"), _text(birth, "TO_YEAR")
        if first and last and first.isdigit() and last.isdigit() and 0 <= int(last) - int(first) <= MAX_BIRTH_YEAR_SPAN:
            # Every year of the range, so that a search on any of them finds the person.
            for year in range(int(first), int(last) + 1):
                self.party.add("birthDate", str(year))
        else:
            self.add("birthDate", first, "Date of birth (from)")
            self.add("birthDate", last, "Date of birth (to)")
        if first or last:
            self.notes.append(f"Date of birth: between {first or '?'} and {last or '?'}")
        note = _text(birth, "NOTE")
        if note:
            self.notes.append(f"Date of birth: {note}")

    def document(self, document: ET.Element) -> None:
        number = _text(document, "NUMBER")
        kind = _text(document, "TYPE_OF_DOCUMENT")
        sub_kind = _text(document, "TYPE_OF_DOCUMENT2")
        country = _text(document, "ISSUING_COUNTRY") or _text(document, "COUNTRY_OF_ISSUE")
        city, issued = _text(document, "CITY_OF_ISSUE"), _text(document, "DATE_OF_ISSUE")
        possible_details = [
            f"issued in {city}" if city else None,
            f"issued by {country}" if country else None,
            f"issued on {issued}" if issued else None,
            sub_kind,
            _text(document, "NOTE"),
        ]
        details = [detail for detail in possible_details if detail]
        if not (number or kind or details):
            return  # the list writes <INDIVIDUAL_DOCUMENT /> for "no document"
        lowered = (kind or "").lower()
        is_passport = any(word in lowered for word in PASSPORT_WORDS)
        is_national_id = any(word in lowered for word in NATIONAL_ID_WORDS)
        if number:
            self.party.add("passportNumber" if is_passport else "idNumber", number)
        # FtM's person has no property for a document's type, issuer or date: keep them.
        if details or not (is_passport or is_national_id):
            description = f"{kind or 'Document'} {number or '(no number)'}"
            self.notes.append(f"{description}: {'; '.join(details)}" if details else description)

    def sanction(self) -> EntityProxy:
        sanction = make_entity("Sanction", f"{self.party.id}-sanction")
        sanction.add("entity", self.party.id)
        sanction.add("authority", AUTHORITY)
        sanction.add("program", _text(self.element, "UN_LIST_TYPE"))
        sanction.add("unscId", _text(self.element, "REFERENCE_NUMBER"))
        self.add("listingDate", _text(self.element, "LISTED_ON"), "Listed on", entity=sanction)
        for updated in _texts(self.element, "LAST_DAY_UPDATED/VALUE"):
            sanction.add("modifiedAt", updated)
        sanction.add("sourceUrl", SOURCE_URL)
        sanction.add("publisher", PUBLISHER)
        return sanction

    def finish(self) -> EntityProxy:
        party = self.party
        party.add("topics", "sanction")
        party.add("publisher", PUBLISHER)
        for updated in _texts(self.element, "LAST_DAY_UPDATED/VALUE"):
            self.add("modifiedAt", updated, "Last updated")
        party.add("notes", _text(self.element, "COMMENTS1"))
        for note in self.notes:
            party.add("notes", note)
        return party


class UnConsolidatedListImporter(Importer):
    id = "un-sc-xml"
    label = "UN Security Council Consolidated List (XML)"
    version = "1.0"
    description = (
        "Individuals and entities on the UN Security Council sanctions lists, from the consolidated "
        "XML at scsanctions.un.org, with a Sanction for each listing."
    )
    # The UN names its download consolidated.xml, but analysts rename files; sniff() decides.
    file_patterns = ("*.xml",)
    topics = ("sanction",)

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Certain enough when the root element is ``CONSOLIDATED_LIST`` (reads the first 4 KB)."""
        try:
            with Path(path).open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return 0.0
        return 0.95 if _root_tag(head) == ROOT_TAG else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        """Yield a party and its Sanction for every INDIVIDUAL and ENTITY, in file order.

        Raises :class:`SourceFormatError` for XML that is not well formed (with line and
        column), a different root element, or a listing without a DATAID or a name. Records
        before the fault have already been yielded; the host's ingest transaction discards them.
        """
        path = Path(path)
        # Open elements from the root down, each with the line it starts on.
        open_elements: list[tuple[ET.Element, int]] = []
        positions = {listing: 0 for listing, _ in SECTIONS.values()}
        used_ids: set[str] = set()
        generated: str | None = None
        for event, element, line in _ElementStream(path):
            depth = len(open_elements)
            if event == "start":
                if depth == 0:
                    if element.tag != ROOT_TAG:
                        raise SourceFormatError(
                            f"{path.name} line {line}: expected the root element {ROOT_TAG} "
                            f"(UN Security Council Consolidated List), found {element.tag}"
                        )
                    generated = element.get("dateGenerated")
                elif depth == 2 and open_elements[1][0].tag in SECTIONS:
                    section = open_elements[1][0].tag
                    expected = SECTIONS[section][0]
                    if element.tag != expected:
                        raise SourceFormatError(
                            f"{path.name} line {line}: expected {expected} elements in {section}, found {element.tag}"
                        )
                open_elements.append((element, line))
                continue

            _, start_line = open_elements.pop()
            depth -= 1
            if depth == 2 and open_elements[1][0].tag in SECTIONS:
                section = open_elements[1][0].tag
                positions[element.tag] += 1
                where = f"{path.name} {section}/{element.tag}[{positions[element.tag]}]"
                yield from self._records(element, SECTIONS[section][1], where, start_line, used_ids, generated)
            if depth in (1, 2):
                # Done with it: drop it from its parent so the tree never holds more than one listing.
                open_elements[-1][0].remove(element)

    @staticmethod
    def _records(
        element: ET.Element, schema: str, where: str, line: int, used_ids: set[str], generated: str | None
    ) -> list[Record]:
        """The party and its Sanction, read from one INDIVIDUAL or ENTITY element."""
        data_id = _text(element, "DATAID")
        if not data_id:
            raise SourceFormatError(f"{where} (line {line}): no DATAID; every listing in the UN list has one")
        locator = f"{where} (DATAID {data_id}), line {line}"
        reference = _text(element, "REFERENCE_NUMBER")
        party_id = ID_PREFIX + _safe_id(reference or data_id)
        if party_id in used_ids:
            # A reference number given twice must not fuse two parties into one; the DATAID is
            # the list's own key for each listing.
            party_id = ID_PREFIX + _safe_id(data_id)
        used_ids.add(party_id)

        listing = _Listing(element, schema, party_id, locator)
        tag = element.tag
        listing.names()
        listing.aliases(f"{tag}_ALIAS")
        listing.addresses(f"{tag}_ADDRESS")
        if tag == "INDIVIDUAL":
            listing.person_details()
        sanction = listing.sanction()
        party = listing.finish()
        extra = {"un_dataid": data_id}
        if generated:
            extra["list_generated"] = generated
        return [
            Record(party.to_dict(), locator=locator, extra=dict(extra)),
            Record(sanction.to_dict(), locator=locator, extra=dict(extra)),
        ]
