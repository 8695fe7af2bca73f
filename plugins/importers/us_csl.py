"""US Consolidated Screening List (ITA / trade.gov) as CSV: ``consolidated.csv``.

One row is one party on one list: the Commerce lists (Entity List, Denied Persons, Unverified,
Military End User), the State lists (Nonproliferation Sanctions, ITAR Debarred) and the Treasury
lists (SDN and the non-SDN lists). Each row becomes the listed party (Person, Organization,
LegalEntity, Vessel or Airplane) and one Sanction that says which list, under which program and
since when; identity documents become Passport or Identification entities and a vessel's owner
a LegalEntity, so that they can link parties.

Field notes: ``/work/shared/reference/formats.md`` section 2. The CSV is written by trade.gov's
importers (github.com/InternationalTradeAdministration/csl-importers): every field quoted,
multi-values joined with ``"; "``, an address as ``street, city, state, postal code, country``
with empty parts left out, an id as ``type, number[, country]``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from workbench.model import make_entity
from workbench.model.provenance import Record
from workbench.plugin_api import Importer, SourceFormatError

#: The 29 columns of ``consolidated.csv``, in order (csl-importers ``shared/output.py``).
CSL_COLUMNS = (
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
)  # fmt: skip

#: Columns without which a row cannot be identified or typed; the rest may be absent (their
#: values are then simply not there). Also what :meth:`sniff` looks for in the header.
REQUIRED_COLUMNS = ("_id", "source", "entity_number", "type", "programs", "name")

#: ``type`` column → FtM schema. BIS and State rows leave ``type`` empty and mix people with
#: companies, so they become LegalEntity, FtM's "person or organisation".
SCHEMA_BY_TYPE = {
    "individual": "Person",
    "entity": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "": "LegalEntity",
}

UTF8_BOM = b"\xef\xbb\xbf"
MULTI_VALUE_SEPARATOR = "; "


@dataclass(frozen=True)
class ScreeningList:
    """What the workbench knows about one source list of the CSL."""

    authority: str
    topics: tuple[str, ...]


# The lists the CSL merges, keyed by the abbreviation in parentheses in the ``source`` column
# (e.g. "Entity List (EL) - Bureau of Industry and Security"). Labels and agencies: trade.gov's
# CSL documentation and csl-importers ``StaticFileMaker`` (its ``sources_used``) plus the PLC
# importer; topics: FtM's topic vocabulary (followthemoney ``types/topic.py``), chosen by each
# list's legal effect: the BIS lists restrict exports, DPL and ITAR debarment withdraw export
# privileges, the Treasury and State sanctions lists block or restrict dealings, CMIC bans
# investment.
BIS = "US Department of Commerce, Bureau of Industry and Security"
OFAC = "US Department of the Treasury, Office of Foreign Assets Control"
STATE_ISN = "US Department of State, Bureau of International Security and Nonproliferation"
STATE_DDTC = "US Department of State, Directorate of Defense Trade Controls"

SCREENING_LISTS: dict[str, ScreeningList] = {
    "EL": ScreeningList(BIS, ("export.control",)),
    "MEU": ScreeningList(BIS, ("export.control",)),
    "UVL": ScreeningList(BIS, ("export.control",)),
    "DPL": ScreeningList(BIS, ("debarment", "export.control")),
    "DTC": ScreeningList(STATE_DDTC, ("debarment", "export.control")),
    "ISN": ScreeningList(STATE_ISN, ("sanction",)),
    "SDN": ScreeningList(OFAC, ("sanction",)),
    "SSI": ScreeningList(OFAC, ("sanction",)),
    "FSE": ScreeningList(OFAC, ("sanction",)),
    "PLC": ScreeningList(OFAC, ("sanction",)),
    "CAP": ScreeningList(OFAC, ("sanction",)),
    "NS-MBS": ScreeningList(OFAC, ("sanction",)),
    "CMIC": ScreeningList(OFAC, ("sanction", "invest.ban")),
}

# "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department" → "NS-MBS".
LIST_ABBREVIATION = re.compile(r"\(([A-Z][A-Z-]*)(?: List)?\)")

# State's nonproliferation listings extend to successors; the CSL writes that into the name
# ("Sinobright Import and Export Company; and any successor, sub-unit, or subsidiary thereof").
SUCCESSOR_CLAUSE = re.compile(
    r"[;,]?\s*\(?\s*(and any successors?,? sub-units?,? or subsidiar(?:y|ies) thereof)\s*\)?", re.IGNORECASE
)

#: ``ids`` item type (lower case) → FtM property of the listed party. The types are OFAC's
#: identity-document types and "features"; csl-importers writes both into ``ids``.
PROPERTY_BY_ID_TYPE = {
    "passport": "passportNumber",
    "diplomatic passport": "passportNumber",
    "national id no.": "idNumber",
    "identification number": "idNumber",
    "national foreign id number": "idNumber",
    "personal id card": "idNumber",
    "cedula no.": "idNumber",
    "c.u.r.p.": "idNumber",
    "d.n.i.": "idNumber",
    "n.i.e.": "idNumber",
    "residency number": "idNumber",
    "driver's license no.": "idNumber",
    "ssn": "socialSecurityNumber",
    "tax id no.": "taxNumber",
    "r.f.c.": "taxNumber",
    "nit #": "taxNumber",
    "c.u.i.t.": "taxNumber",
    "ruc #": "taxNumber",
    "v.a.t. number": "vatCode",
    "registration id": "registrationNumber",
    "registration number": "registrationNumber",
    "business registration number": "registrationNumber",
    "business registration document #": "registrationNumber",
    "public registration number": "registrationNumber",
    "commercial registry number": "registrationNumber",
    "company number": "registrationNumber",
    "certificate of incorporation number": "registrationNumber",
    "government gazette number": "registrationNumber",
    "unified social credit code (uscc)": "uscCode",
    "legal entity number": "leiCode",
    "d-u-n-s number": "dunsCode",
    "swift/bic": "swiftBic",
    "website": "website",
    "email address": "email",
    "phone number": "phone",
    "fax": "phone",
    "fax number": "phone",
    "vessel registration identification": "imoNumber",
    "mmsi": "mmsi",
    "vessel call sign": "callSign",
    "other vessel call sign": "callSign",
    "vessel flag": "flag",
    "other vessel flag": "pastFlags",
    "vessel type": "type",
    "other vessel type": "pastTypes",
    "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grossRegisteredTonnage",
    "vessel year of build": "buildDate",
    "aircraft construction number (also called l/n or s/n or f/n)": "serialNumber",
    "aircraft manufacturer's serial number (msn)": "serialNumber",
    "aircraft model": "model",
    "aircraft manufacture date": "buildDate",
    "aircraft tail number": "registrationNumber",
    "gender": "gender",
    "title": "position",
    "nationality country": "nationality",
    "citizenship country": "citizenship",
    "nationality of registration": "jurisdiction",
    "organization established date": "incorporationDate",
    "organization type:": "sector",
}

#: Identity documents that also become their own entity, which can carry the issuing country.
DOCUMENT_SCHEMA_BY_PROPERTY = {"passportNumber": "Passport", "idNumber": "Identification"}

#: Identifier properties: when the party's schema lacks one, the number still goes to ``idNumber``.
IDENTIFIER_PROPERTIES = frozenset(
    {
        "passportNumber", "idNumber", "socialSecurityNumber", "taxNumber", "vatCode",
        "registrationNumber", "uscCode", "leiCode", "dunsCode", "swiftBic", "imoNumber", "mmsi",
        "callSign", "serialNumber",
    }
)  # fmt: skip

# ``ids`` items that are not identifiers but terms of the sanction ("Secondary sanctions risk:",
# "Executive Order 13662 Directive Determination -", "Listing Date (EO 14024 Directive 2):").
SANCTION_DETAIL = re.compile(
    r"sanction|directive|executive order|listing date|effective date|caatsa|ifca|prohibited|owned or controlled",
    re.IGNORECASE,
)

# Dates in the CSL are ISO; OFAC features and State notices sometimes keep their own formats.
DATE_FORMATS = ("%d %b %Y", "%m/%d/%Y", "%m/%d/%y")


class ConsolidatedScreeningListImporter(Importer):
    id = "us-csl"
    label = "US Consolidated Screening List (trade.gov CSV)"
    version = "1.0"
    description = (
        "The US Consolidated Screening List (consolidated.csv from trade.gov): parties on the "
        "Commerce, State and Treasury export-control and sanctions lists, each with a Sanction."
    )
    file_patterns = ("consolidated*.csv", "*.csv")
    topics = tuple(sorted({topic for listing in SCREENING_LISTS.values() for topic in listing.topics}))

    @classmethod
    def sniff(cls, path: Path) -> float:
        """Nearly certain when the first line is a comma-separated header with the CSL columns."""
        try:
            with Path(path).open("rb") as handle:
                head = handle.read(1 << 16)
        except OSError:
            return 0.0
        first_line = head.removeprefix(UTF8_BOM).decode("utf-8", errors="replace").splitlines()[:1]
        header = next(csv.reader(first_line), [])
        columns = {column.strip() for column in header}
        return 0.95 if columns.issuperset(REQUIRED_COLUMNS) else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        """Yield the listed party, its documents, its vessel owner and its Sanction, row by row.

        Every record's locator is ``"<file> row N"``, N counting the header as row 1 and one
        CSV record as one row (a quoted value with line breaks stays one row, as in a
        spreadsheet).
        """
        path = Path(path)
        for row_number, row in _read_rows(path):
            where = f"{path.name} row {row_number}"
            for entity in _entities_from_row(row, where):
                yield Record(entity.to_dict(), locator=where)


# ---------------------------------------------------------------------- reading the CSV


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows as dicts with their row numbers, checking the header and each row's shape."""
    name = path.name
    row_number = 0
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as error:
        raise SourceFormatError(f"{name}: cannot be read ({error.strerror})") from error
    with handle:
        # strict: a quoted value that is never closed (a truncated download) is an error
        # instead of silently swallowing the rest of the file into one field.
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            row_number = 1
            header = _check_header(name, header)
            for row_number, values in enumerate(reader, start=2):
                if not values:  # a blank line
                    continue
                if len(values) != len(header):
                    raise SourceFormatError(
                        f"{name} row {row_number}: {len(values)} fields where the header has {len(header)}; "
                        "the row is cut short or has a stray delimiter or quote (a truncated file ends like this)"
                    )
                yield row_number, dict(zip(header, values))
        except csv.Error as error:
            raise SourceFormatError(
                f"{name} row {row_number + 1} (line {reader.line_num}): {error}; expected comma-separated "
                "fields, each closed by its quote (the file may be truncated)"
            ) from error
        except UnicodeDecodeError:
            raise _encoding_error(path) from None


def _check_header(name: str, header: list[str] | None) -> list[str]:
    """The header's column names, or a SourceFormatError saying what is wrong with it."""
    expected = "the CSL header (" + ",".join(CSL_COLUMNS[:6]) + ",...)"
    if not header:
        raise SourceFormatError(f"{name} row 1: the file is empty; expected {expected}")
    columns = [column.strip() for column in header]
    if len(columns) == 1:
        delimiter = next((d for d in (";", "\t", "|") if d in columns[0]), None)
        if delimiter:
            raise SourceFormatError(
                f"{name} row 1: the header is a single column separated by {delimiter!r}, not by commas; "
                f"expected {expected}. Re-download consolidated.csv or save the file as comma-separated CSV"
            )
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise SourceFormatError(f"{name} row 1: missing column(s) {', '.join(missing)}; expected {expected}")
    return columns


def _encoding_error(path: Path) -> SourceFormatError:
    """Name the first byte that is not UTF-8 and the row it is in.

    The CSL is published in UTF-8; a file in another encoding has been re-saved (Excel's plain
    "CSV" is Windows-1252) and may already have lost non-Latin names, so it is refused rather
    than guessed: a wrong guess would silently garble names.
    """
    data = path.read_bytes()
    start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
    else:  # not reached: called only after a decoding error
        return SourceFormatError(f"{path.name}: not valid UTF-8")
    # The bad byte is in the last record of everything before it (plus a stand-in for it).
    prefix = data[start:offset].decode("utf-8") + "\ufffd"
    row_number = sum(1 for _ in csv.reader(io.StringIO(prefix, newline="")))
    return SourceFormatError(
        f"{path.name} row {row_number}: byte {offset} (0x{data[offset]:02X}) is not UTF-8; expected the CSL "
        "as published, in UTF-8. Re-download consolidated.csv or save it as 'CSV UTF-8'"
    )


# ---------------------------------------------------------------------- building entities


def _entities_from_row(row: dict[str, str], where: str) -> list[EntityProxy]:
    """The listed party, its identity documents and vessel owner, and its Sanction."""
    value = {column: (row.get(column) or "").strip() for column in CSL_COLUMNS}
    source_label = value["source"]
    if not source_label:
        raise SourceFormatError(f"{where}: the source column is empty; expected the list's name")
    if not value["name"]:
        raise SourceFormatError(f"{where}: the name column is empty; expected the listed party's name")
    type_name = value["type"].lower()
    if type_name not in SCHEMA_BY_TYPE:
        raise SourceFormatError(
            f"{where}: unknown type {value['type']!r}; expected Individual, Entity, Vessel, Aircraft or nothing"
        )
    # OFAC rows carry OFAC's own entity number (and _id repeats it); other lists only have _id,
    # which trade.gov generates for them (moov-io/watchman#277 quotes its announcement).
    key = value["entity_number"] or value["_id"]
    if not key:
        raise SourceFormatError(f"{where}: both _id and entity_number are empty; expected one to identify the party")
    abbreviation, listing = _screening_list(source_label)
    entity_id = f"us-csl-{_slug(abbreviation)}-{_slug(key)}"

    party = make_entity(SCHEMA_BY_TYPE[type_name], entity_id)
    _add_names(party, value["name"], value["alt_names"])
    party.add("topics", listing.topics)
    party.add("publisher", source_label)
    party.add("publisherUrl", value["source_list_url"])
    party.add("sourceUrl", _split(value["source_information_url"]))
    party.add("notes", value["remarks"])
    _add_addresses(party, value["addresses"])
    if value["title"]:
        _put(party, "position", value["title"], "Title")
    for country in _split(value["nationalities"]):
        _put(party, "nationality", country, "Nationality")
    for country in _split(value["citizenships"]):
        _put(party, "citizenship", country, "Citizenship")
    for date in _split(value["dates_of_birth"]):
        _put_date(party, "birthDate", date, "Date of birth")
    for place in _split(value["places_of_birth"]):
        _put(party, "birthPlace", place, "Place of birth")

    related: list[EntityProxy] = []
    for column, prop, label in (
        ("call_sign", "callSign", "Call sign"),
        ("vessel_type", "type", "Vessel type"),
        ("gross_tonnage", "tonnage", "Gross tonnage"),
        ("gross_registered_tonnage", "grossRegisteredTonnage", "Gross registered tonnage"),
        ("vessel_flag", "flag", "Vessel flag"),
    ):
        if value[column]:
            _put(party, prop, value[column], label)
    if value["vessel_owner"]:
        related.extend(_vessel_owner(party, value["vessel_owner"], source_label))

    sanction_terms: list[str] = []
    for item in _split(value["ids"]):
        related.extend(_add_id(party, item, sanction_terms))

    sanction = _sanction(value, entity_id, source_label, listing, sanction_terms, where)
    return [party, *related, sanction]


def _screening_list(source_label: str) -> tuple[str, ScreeningList]:
    """The list's abbreviation and what is known about it; unknown lists get no topics."""
    match = LIST_ABBREVIATION.search(source_label)
    abbreviation = match.group(1) if match else source_label.split(" - ")[0]
    listing = SCREENING_LISTS.get(abbreviation)
    if listing is None:
        # A list trade.gov added after this table: keep the agency it names, claim no topic.
        _, _, agency = source_label.rpartition(" - ")
        listing = ScreeningList(agency.strip() or source_label, ())
    return abbreviation, listing


def _add_names(party: EntityProxy, name: str, alt_names: str) -> None:
    for prop, names in (("name", [name]), ("alias", _split(alt_names))):
        for text in names:
            clause = SUCCESSOR_CLAUSE.search(text)
            if clause:
                # The clause is a term of the listing, not part of the name.
                party.add("notes", f"The listing covers {clause.group(1).removeprefix('and ')}.")
                text = SUCCESSOR_CLAUSE.sub("", text).strip()
            party.add(prop, text)


def _add_addresses(party: EntityProxy, addresses: str) -> None:
    """Each address as text, and its country, which csl-importers writes last."""
    for address in _split(addresses):
        parts = [part.strip() for part in address.split(",")]
        # Only the last part can be trusted as a country: "TX" or "CA" earlier in an address
        # are states, not Texas-as-country or Canada.
        country = registry.country.clean(parts[-1])
        if country:
            party.add("country", country, cleaned=True)
            if len(parts) == 1:  # the address is nothing but a country
                continue
        party.add("address", address)


def _add_id(party: EntityProxy, item: str, sanction_terms: list[str]) -> list[EntityProxy]:
    """Map one ``ids`` item onto the party; returns the document entity it implies, if any.

    Sanction terms that csl-importers writes among the ids go to ``sanction_terms``; types this
    importer does not know go to ``idNumber`` and a note, so that no number is lost.
    """
    kind, _, rest = item.partition(",")
    kind, rest = kind.strip(), rest.strip()
    key = kind.lower()
    prop = PROPERTY_BY_ID_TYPE.get(key)
    if prop is None and (SANCTION_DETAIL.search(kind) or kind.endswith((":", "-"))):
        sanction_terms.append(f"{kind} {rest}".strip())
        return []
    if not rest:
        party.add("notes", kind)
        return []
    number, country = rest, None
    parts = rest.split(", ")
    if len(parts) > 1 and re.fullmatch(r"[A-Z]{2}", parts[-1]) and registry.country.clean(parts[-1]):
        number, country = ", ".join(parts[:-1]), parts[-1]
    label = f"{kind} ({country})" if country else kind
    if prop is None:
        _put(party, "idNumber", number, label, note_always=True)
        return []
    if prop not in party.schema.properties and prop in IDENTIFIER_PROPERTIES:
        _put(party, "idNumber", number, label, note_always=True)
        return []
    if prop.endswith("Date"):
        _put_date(party, prop, number, label)
    elif not _put(party, prop, number, label):
        return []
    document_schema = DOCUMENT_SCHEMA_BY_PROPERTY.get(prop)
    if document_schema is None or not party.schema.is_a("LegalEntity"):
        return []
    digest = hashlib.sha1(f"{kind}|{number}|{country or ''}".encode()).hexdigest()[:12]
    document = make_entity(document_schema, f"{party.id}-doc-{digest}")
    document.add("holder", party.id)
    document.add("type", kind)
    document.add("number", number)
    document.add("country", country)
    if document_schema == "Passport":
        document.add("passportNumber", number)
    return [document]


def _vessel_owner(party: EntityProxy, owner_name: str, source_label: str) -> list[EntityProxy]:
    """The owner named in ``vessel_owner`` as a LegalEntity the vessel points to.

    Its id comes from the name, so that vessels of the same owner meet at one node.
    """
    if "owner" not in party.schema.properties:
        party.add("notes", f"Vessel owner: {owner_name}")
        return []
    normalised = " ".join(owner_name.lower().split())
    owner = make_entity("LegalEntity", f"us-csl-owner-{hashlib.sha1(normalised.encode()).hexdigest()[:16]}")
    owner.add("name", owner_name)
    owner.add("publisher", source_label)
    party.add("owner", owner.id)
    return [owner]


def _sanction(
    value: dict[str, str],
    entity_id: str,
    source_label: str,
    listing: ScreeningList,
    terms: list[str],
    where: str,
) -> EntityProxy:
    """The listing itself: list, authority, program, dates, Federal Register notices, terms."""
    sanction = make_entity("Sanction", f"{entity_id}-sanction")
    sanction.add("entity", entity_id)
    sanction.add("country", "us")
    sanction.add("authority", listing.authority)
    sanction.add("publisher", source_label)
    sanction.add("program", _split(value["programs"]))
    sanction.add("sourceUrl", value["source_list_url"])
    if value["entity_number"]:
        sanction.add("authorityId", value["entity_number"])
    if value["start_date"]:
        # start_date is when the listing took effect: listingDate says so, startDate puts the
        # sanction on the case's timeline (FtM's temporal start of a Sanction).
        for prop in ("listingDate", "startDate"):
            _put_date(sanction, prop, value["start_date"], "Start date")
    if value["end_date"]:
        _put_date(sanction, "endDate", value["end_date"], "End date")
    # The Federal Register notice is where the listing and its reasons are published.
    sanction.add("reason", _split(value["federal_register_notice"]))
    if value["license_requirement"]:
        sanction.add("provisions", f"License requirement: {value['license_requirement']}")
    if value["license_policy"]:
        sanction.add("provisions", f"License review policy: {value['license_policy']}")
    standard_order = value["standard_order"].upper()
    if standard_order == "Y":
        sanction.add("provisions", "Standard denial order")
    elif standard_order == "N":
        sanction.add("provisions", "Non-standard denial order (see the Federal Register notice)")
    elif standard_order:
        sanction.add("provisions", f"Standard order: {value['standard_order']}")
    sanction.add("provisions", terms)
    return sanction


# ---------------------------------------------------------------------- values


def _split(text: str) -> list[str]:
    """The items of a multi-value field; BIS writes "; and " before the last one."""
    items: list[str] = []
    for item in text.split(MULTI_VALUE_SEPARATOR):
        item = item.strip()
        if items and item.startswith("and "):
            item = item[len("and ") :].strip()
        if item:
            items.append(item)
    return items


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _note_prop(entity: EntityProxy) -> str:
    # Things have "notes"; Sanction and Identification only a "description".
    return "notes" if "notes" in entity.schema.properties else "description"


def _put(entity: EntityProxy, prop_name: str, value: str, label: str, *, note_always: bool = False) -> bool:
    """Add ``value`` if the schema has ``prop_name`` and FtM's type accepts the value.

    Otherwise the value is kept as a note ("label: value") rather than dropped. Returns whether
    the property took it.
    """
    prop = entity.schema.properties.get(prop_name)
    cleaned = None
    if prop is not None and not prop.stub:
        cleaned = prop.type.clean(value, format=prop.format, proxy=entity)
        if cleaned is not None:
            entity.add(prop, cleaned, cleaned=True)
    if cleaned is None or note_always:
        entity.add(_note_prop(entity), f"{label}: {value}")
    return cleaned is not None


def _put_date(entity: EntityProxy, prop_name: str, value: str, label: str) -> None:
    """Add a date, trying the formats the CSL uses; keep what FtM cannot hold as a note.

    FtM's date type reads a leading date and drops the rest ("1955 to 1958" becomes 1955), so
    a value it shortened is kept as published in a note as well.
    """
    cleaned = registry.date.clean(value)
    shortened = cleaned is not None and cleaned != value
    for date_format in DATE_FORMATS:
        if cleaned is not None:
            break
        cleaned = registry.date.clean(value, format=date_format)
    if cleaned is not None and prop_name in entity.schema.properties:
        entity.add(prop_name, cleaned, cleaned=True)
        if not shortened:
            return
    entity.add(_note_prop(entity), f"{label}: {value}")
