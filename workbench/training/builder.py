"""What a generated case is built with: :class:`CaseBuilder` (entity dicts by source family, names,
addresses, phones and ids) and the answer of a planted pattern (:class:`Planted`, :class:`Step`).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import string
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import phonenumbers

from workbench.training.world import (
    CHPL_GOODS,
    COUNTRIES,
    CURRENCY_RATE,
    ID_PREFIXES,
    LOADED_WORDS,
    ORDINARY_GOODS,
    PERSON_NAMES,
    QUIET_BAND,
    RUSSIAN_WOMEN,
    SOURCES,
    STEMS,
    WEST_ENDINGS,
    WEST_MIDDLES,
    WEST_ONSETS,
    amount_text,
    chpl_codes,
    country_name,
    iso_day,
    pronounceable,
    random_digits,
    slug,
)


class Recipe(Protocol):
    """What the builder needs of a scenario (:class:`~workbench.training.generator.Scenario`)."""

    id: str
    period: tuple[date, date]
    background: dict[str, Any]


# ------------------------------------------------------------------------------------ answers


@dataclass
class Step:
    """One step of a pattern as the debrief tells it: what happened, on which items, which red flags."""

    text: str
    entities: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    red_flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "entities": self.entities, "facts": self.facts, "red_flags": self.red_flags}


@dataclass
class Planted:
    """What a pattern (or decoy) function returns: its answer.

    ``entities`` (parties) and ``facts`` (shipments, payments, stakes, documents) are what a
    trainee should mark; ``context`` are items involved but innocent (the supplier that was
    deceived): marking them is neither a find nor a false alarm.
    """

    kind: str
    title: str
    description: str
    entities: list[str]
    facts: list[str]
    context: list[str]
    detectors: list[str]
    steps: list[Step]
    variant: str | None = None
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "kind": self.kind, "title": self.title, "description": self.description,
                "entities": self.entities, "facts": self.facts, "context": self.context,
                "detectors": self.detectors, "steps": [s.to_dict() for s in self.steps]}
        if self.variant:
            data["variant"] = self.variant
        return data


# ------------------------------------------------------------------------------------ the builder


@dataclass
class Party:
    id: str
    country: str
    role: str
    name: str
    categories: tuple[str, ...] = ()
    sector: str = ""
    currency: str = "USD"


class CaseBuilder:
    """Collects entity dicts by source family and makes names, addresses, phones and ids.

    Ids are ``<type>-<12 hex>``: a hash of the scenario, seed and a role key, so the same seed
    gives the same ids and an id never tells a planted entity from a background one.
    """

    def __init__(self, scenario: Recipe, seed: int):
        self.scenario = scenario
        self.seed = seed
        self.period = scenario.period
        self._salt = f"{scenario.id}:{seed}:"
        #: Prefix of role keys, one per planted pattern, so a pattern can be planted twice.
        self.namespace = ""
        self.families: dict[str, list[dict[str, Any]]] = {family: [] for family in SOURCES}
        self.by_id: dict[str, dict[str, Any]] = {}
        self.parties: dict[str, Party] = {}
        self.by_role: dict[str, list[str]] = defaultdict(list)
        self.shipment_days: dict[str, list[date]] = defaultdict(list)  # exporter -> departure days
        self.accounts: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self._stems: set[str] = set()
        self._names: set[str] = set()
        self._addresses: set[str] = set()
        self._phones: set[str] = set()
        self._numbers: set[str] = set()
        self.chpl = chpl_codes()
        # Whether parties come with registry details (directors, owners) and payments with bank
        # accounts: patterns follow the background, so that neither gives a planted party away.
        self.with_directors = bool(scenario.background.get("directors", True))
        self.with_accounts = bool(scenario.background.get("bank_accounts", True))

    # -------------------------------------------------------------- raw entities

    def make_id(self, schema: str, key: str) -> str:
        digest = hashlib.sha1((self._salt + self.namespace + key).encode()).hexdigest()
        entity_id = f"{ID_PREFIXES.get(schema, 'ent')}-{digest[:12]}"
        if entity_id in self.by_id:
            raise ValueError(f"two entities with the key {key!r} (or a hash collision)")
        return entity_id

    def add(self, family: str, schema: str, key: str, props: dict[str, Any], label: str | None = None) -> str:
        """Add one entity; ``None`` and empty values are left out, everything else becomes text."""
        entity_id = self.make_id(schema, key)
        clean: dict[str, list[str]] = {}
        for name, value in props.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            values = [v.isoformat() if isinstance(v, date) else str(v) for v in values if v not in (None, "")]
            if values:
                clean[name] = values
        entity = {"id": entity_id, "schema": schema, "properties": clean}
        self.families[family].append(entity)
        self.by_id[entity_id] = entity
        if label:
            self.labels[entity_id] = label
        return entity_id

    def prop(self, entity_id: str, name: str) -> str | None:
        values = self.by_id[entity_id]["properties"].get(name)
        return values[0] if values else None

    def label(self, entity_id: str) -> str:
        if entity_id in self.labels:
            return self.labels[entity_id]
        props = self.by_id[entity_id]["properties"]
        for name in ("name", "documentNumber", "iban", "accountNumber"):
            if props.get(name):
                return props[name][0]
        return entity_id

    def describe(self, entity_id: str) -> str:
        """A label for the debrief: a party's name, or what a fact says in a few words."""
        entity = self.by_id[entity_id]
        props = entity["properties"]

        def first(name: str) -> str:
            values = props.get(name)
            return values[0] if values else "?"

        def party(name: str) -> str:
            values = props.get(name)
            return self.label(values[0]) if values and values[0] in self.by_id else "?"

        schema = entity["schema"]
        if schema == "Shipment":
            return (f"shipment of HS {first('hsCode')} from {party('exporter')} to {party('consignee')}, "
                    f"{first('startDate')}")
        if schema == "Payment":
            return (f"payment of {first('currency')} {float(first('amount')):,.2f} from {party('payer')} to "
                    f"{party('beneficiary')}, {first('date')}")
        if schema == "Ownership":
            return f"{party('owner')} owns {first('percentage')}% of {party('asset')}"
        if schema == "Directorship":
            return f"{party('director')}, {first('role')} of {party('organization')}"
        if schema == "EndUseDocument":
            return f"end-use document {first('documentNumber')} naming {party('statedEndUser')}"
        if schema == "Sanction":
            return f"sanction on {party('entity')} ({first('program')})"
        return self.label(entity_id)

    def count(self, schema: str | None = None) -> int:
        return sum(1 for entity in self.by_id.values() if schema is None or entity["schema"] == schema)

    # -------------------------------------------------------------- names and places

    def stem(self, rng: random.Random, style: str) -> str:
        """A coined company name stem, unique in this case."""
        for attempt in range(200):
            if style in STEMS:
                parts = STEMS[style]
                if len(parts) == 1:
                    first, second = rng.sample(parts[0], 2)
                    stem = first + second.lower() if style == "zh" else f"{first} {second}"
                    if style == "ar" and attempt > 40:
                        stem = f"{first} {self._west_stem(rng)}"
                else:
                    stem = rng.choice(parts[0]) + rng.choice(parts[1])
                    if style == "fa":
                        stem = f"{rng.choice(parts[0])} {rng.choice(parts[1])}"
                    if attempt > 60:  # a small word list is exhausted: add a Western stem
                        stem = f"{stem} {self._west_stem(rng)}"
            else:
                stem = self._west_stem(rng)
                if attempt > 40:  # thousands of companies: two coined words ("Valora Norent")
                    stem = f"{stem} {self._west_stem(rng)}"
            if stem not in self._stems:
                self._stems.add(stem)
                return stem
        raise RuntimeError("ran out of company names")

    @staticmethod
    def _west_stem(rng: random.Random) -> str:
        while True:
            middle = rng.choice(WEST_MIDDLES) if rng.random() < 0.45 else ""
            stem = (rng.choice(WEST_ONSETS) + middle + rng.choice(WEST_ENDINGS)).lower()
            if pronounceable(stem) and not any(word in stem for word in LOADED_WORDS):
                return stem.capitalize()

    def person_name(self, rng: random.Random, lang: str) -> tuple[str, str, str]:
        firsts, lasts = PERSON_NAMES.get(lang, PERSON_NAMES["en"])
        for attempt in range(400):
            first, last = rng.choice(firsts), rng.choice(lasts)
            if lang == "ru" and first in RUSSIAN_WOMEN:
                last += "a"  # Volkov, Volkova
            name = f"{first} {last}"
            if attempt > 100:  # namesakes are real, but keep them rare
                name = f"{first} {rng.choice(string.ascii_uppercase)}. {last}"
            if name not in self._names:
                self._names.add(name)
                return name, first, last
        return name, first, last

    def address(self, rng: random.Random, country: str, *, free_zone: bool = False, agent: str | None = None) -> str:
        """A street address in ``country``; unique unless ``agent`` (a registered agent's) is given."""
        if agent:
            return agent
        style = COUNTRIES[country][5]
        for _ in range(100):
            city = rng.choice(COUNTRIES[country][3])
            number = rng.randint(1, 240)
            if style == "de":
                street = f"{rng.choice(('Linden', 'Berg', 'Hafen', 'Industrie', 'Garten', 'Mühlen', 'Kirch', 'Bahnhof', 'Wald', 'Rosen', 'Eichen', 'Feld', 'Schiller', 'Goethe', 'Kant'))}{rng.choice(('strasse', 'weg', 'allee', 'ring'))} {number}"
                text = f"{street}, {rng.randint(10000, 99999) if country == 'de' else rng.randint(1000, 9999)} {city}"
            elif style == "fr":
                text = (f"{number} {rng.choice(('rue', 'avenue', 'boulevard', 'allee'))} "
                        f"{rng.choice(('de la République', 'Victor Hugo', 'des Lilas', 'Pasteur', 'du Moulin', 'Jean Jaurès', 'des Acacias', 'de Verdun', 'Voltaire'))}, "
                        f"{rng.randint(10000, 95999)} {city}")
            elif style == "it":
                text = (f"Via {rng.choice(('Roma', 'Garibaldi', 'Mazzini', 'dei Mille', 'Verdi', 'Cavour', 'della Libertà', 'Manzoni', 'Marconi'))} "
                        f"{number}, {rng.randint(10000, 98999)} {city}")
            elif style == "nl":
                text = (f"{rng.choice(('Linde', 'Kerk', 'Molen', 'Haven', 'Dorps', 'Stations', 'Beuken', 'Industrie', 'Esdoorn'))}"
                        f"{rng.choice(('straat', 'weg', 'laan'))} {number}, {rng.randint(1000, 9999)}"
                        f"{' ' + ''.join(rng.choices(string.ascii_uppercase, k=2)) if country == 'nl' else ''} {city}")
            elif style == "nordic":
                text = (f"{rng.choice(('Sjö', 'Kvarn', 'Täll', 'Björk', 'Hamn', 'Industri', 'Kyrk', 'Äng'))}"
                        f"{rng.choice(('gatan', 'vägen', 'katu', 'gade'))} {number}, {rng.randint(10000, 99999)} {city}")
            elif style == "pl":
                text = (f"ul. {rng.choice(('Polna', 'Leśna', 'Słoneczna', 'Kwiatowa', 'Lipowa', 'Ogrodowa', 'Przemysłowa', 'Husova', 'Vinohradská'))} "
                        f"{number}, {rng.randint(10, 99)}-{rng.randint(100, 999)} {city}")
            elif style == "es":
                text = (f"{rng.choice(('Calle', 'Avenida', 'Rua'))} {rng.choice(('Mayor', 'del Sol', 'de la Industria', 'San Martin', 'das Flores', 'Real', 'del Puerto', 'Libertad'))} "
                        f"{number}, {rng.randint(10000, 99999)} {city}")
            elif style == "en":
                text = (f"{number} {rng.choice(('Station', 'Mill', 'Church', 'Park', 'Victoria', 'King', 'Queen', 'Oak', 'Harbour', 'Riverside', 'Hillcrest', 'Meadow'))} "
                        f"{rng.choice(('Road', 'Street', 'Lane', 'Way', 'Drive'))}, {city} "
                        f"{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}{rng.randint(1, 20)} "
                        f"{rng.randint(1, 9)}{''.join(rng.choices(string.ascii_uppercase, k=2))}")
            elif style == "us":
                text = (f"{number * 10 + rng.randint(0, 9)} {rng.choice(('Oak', 'Maple', 'Cedar', 'Lakeview', 'Commerce', 'Innovation', 'Technology', 'Research', 'Sunset'))} "
                        f"{rng.choice(('Avenue', 'Drive', 'Boulevard', 'Parkway', 'Court'))}, {city} {rng.randint(10000, 99999)}")
            elif style == "jp":
                text = (f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)} "
                        f"{rng.choice(('Minamicho', 'Sakaecho', 'Honmachi', 'Chuo', 'Kitahama', 'Nishiki'))}, {city}")
            elif style == "kr":
                text = f"{number} {rng.choice(('Teheran', 'Sejong', 'Gongdan', 'Techno', 'Hanam'))}-ro, {city}"
            elif style == "zh":
                text = (f"No. {number} {rng.choice(('Keji', 'Gaoxin', 'Huaxia', 'Chuangye', 'Binhai', 'Xinghu', 'Jinqiao'))} Road, "
                        f"{rng.choice(('Nanshan', 'Industrial Park', 'High-Tech Zone', 'Economic Development Area'))}, {city}")
                if "Zone" in text and country in ("cn",):
                    text = text.replace("High-Tech Zone", "High-Tech Park")
            elif style == "hk":
                text = (f"Unit {rng.randint(1, 30)}{rng.choice('ABCDEFGH')}, {rng.randint(2, 30)}/F, "
                        f"{rng.choice(('Harbour', 'Kingsway', 'Pacific', 'Golden', 'Fortune', 'Silvercord', 'Prosperity'))} "
                        f"{rng.choice(('Centre', 'Tower', 'Building', 'Plaza'))}, {number} {rng.choice(('Hoi Bun', 'Hung To', 'Lockhart', 'Des Voeux', 'Nathan', 'Wai Yip'))} Road, {city}")
            elif style == "sg":
                text = (f"{number} {rng.choice(('Ubi', 'Tai Seng', 'Kallang', 'Jurong', 'Woodlands', 'Changi'))} "
                        f"{rng.choice(('Avenue', 'Road', 'Street'))} {rng.randint(1, 9)}, #{rng.randint(1, 12):02d}-{rng.randint(1, 90):02d}, "
                        f"Singapore {rng.randint(300000, 799999)}")
            elif style == "tr":
                text = (f"{rng.choice(('Atatürk', 'Cumhuriyet', 'İstiklal', 'Bağdat', 'Gazi', 'İnönü', 'Fevzi Çakmak'))} Cad. "
                        f"No:{number}/{rng.randint(1, 20)}, {rng.choice(('Şişli', 'Kadıköy', 'Ataşehir', 'Bornova', 'Nilüfer', 'Çankaya'))}, {city}")
            elif style == "ae":
                if free_zone:
                    text = (f"Office {rng.randint(100, 1999)}, {rng.choice(('JAFZA One', 'LOB 15', 'LOB 19', 'JAFZA View 18'))}, "
                            f"Jebel Ali Free Zone, Dubai")
                else:
                    text = (f"Office {rng.randint(100, 3999)}, {rng.choice(('Al Manara', 'Bay Square', 'Citadel', 'Prism', 'Fairmont', 'Iris Bay'))} "
                            f"{rng.choice(('Tower', 'Building'))}, {rng.choice(('Business Bay', 'Al Quoz', 'Deira', 'Sheikh Zayed Road', 'Al Barsha'))}, {city}")
            elif style == "ru":
                text = (f"ul. {rng.choice(('Lenina', 'Sadovaya', 'Mira', 'Gagarina', 'Pushkina', 'Sovetskaya', 'Zavodskaya', 'Naberezhnaya', 'Abovyan', 'Rustaveli', 'Abaya'))} "
                        f"{number}, office {rng.randint(1, 450)}, {city}")
            elif style == "ir":
                text = (f"No. {number}, {rng.choice(('Valiasr', 'Enghelab', 'Azadi', 'Shariati', 'Motahari', 'Beheshti'))} St., {city}")
            else:  # registered agents in secrecy jurisdictions
                text = (f"Suite {rng.randint(1, 40)}, {self.stem(rng, 'west')} {rng.choice(('Chambers', 'Business Centre', 'Corporate Centre', 'House'))}, {city}")
            text = f"{text}, {country_name(country)}"
            if text not in self._addresses:
                self._addresses.add(text)
                return text
        raise RuntimeError(f"ran out of addresses in {country}")

    def phone(self, rng: random.Random, country: str, *, mobile: bool = False) -> str | None:
        """A phone number valid in ``country`` (E.164), unique in this case."""
        region = country.upper()
        kind = phonenumbers.PhoneNumberType.MOBILE if mobile else phonenumbers.PhoneNumberType.FIXED_LINE
        example = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
        if example is None:
            return None
        national = str(example.national_number)
        keep = max(3, len(national) - 5)
        for _ in range(40):
            digits = national[:keep] + "".join(str(rng.randrange(10)) for _ in range(len(national) - keep))
            number = phonenumbers.parse(f"+{example.country_code}{digits}")
            if phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == region:
                text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                if text not in self._phones:
                    self._phones.add(text)
                    return text
        return None

    def number(self, rng: random.Random, country: str) -> str:
        """A company registration number in a plausible local shape, unique in this case."""
        shapes = {"de": "HRB {6}", "gb": "{8}", "us": "{2}-{7}", "fr": "{9}", "ru": "1{12}", "by": "{9}", "hk": "{7}",
                  "ae": "{7}", "sc": "IBC {6}", "vg": "BVI {7}", "tr": "{10}", "kz": "{12}"}
        shape = shapes.get(country, "{8}")
        while True:
            text = re.sub(r"\{(\d+)\}", lambda match: random_digits(rng, int(match.group(1))), shape)
            if text not in self._numbers:
                self._numbers.add(text)
                return text

    @staticmethod
    def iban_or_number(rng: random.Random, country: str) -> tuple[str, str]:
        """("iban", IBAN) with valid check digits where the layout is simple, else ("accountNumber", ...)."""
        # Basic bank account number layouts: "n" a digit, "a" a capital letter.
        layouts = {"de": "18n", "at": "16n", "ch": "17n", "nl": "4a10n", "gb": "4a14n", "ae": "19n", "tr": "5n1z16n",
                   "ge": "2a16n", "dk": "14n", "fi": "14n", "cz": "20n", "pl": "24n", "se": "20n"}
        if country not in layouts:
            return "accountNumber", random_digits(rng, rng.choice((10, 12, 14)))
        bban = ""
        for count, kind in re.findall(r"(\d+)([naz])", layouts[country]):
            if kind == "n":
                bban += random_digits(rng, int(count))
            elif kind == "z":
                bban += "0" * int(count)
            else:
                bban += "".join(rng.choices(string.ascii_uppercase, k=int(count)))
        numeric = "".join(str(int(ch, 36)) for ch in bban + country.upper() + "00")
        check = 98 - int(numeric) % 97
        return "iban", f"{country.upper()}{check:02d}{bban}"

    # -------------------------------------------------------------- parties

    def company(self, rng: random.Random, key: str, country: str, *, role: str, word: str = "",
                sector: str | None = None, name: str | None = None, legal_form: str | None = None,
                incorporated: date | None = None, website: bool = True, email: str | None = None,
                phone: str | None | bool = True, address: str | None = None, free_zone: bool = False,
                schema: str = "Company", categories: tuple[str, ...] = (), description: str | None = None,
                family: str = "registry", topics: list[str] | None = None, stem: str | None = None) -> str:
        """A company (or organisation) with a name, address, contacts and registration details."""
        style, _, currency, _, forms, _ = COUNTRIES[country]
        stem = stem or self.stem(rng, style)
        form = legal_form if legal_form is not None else rng.choice(forms)
        if name is None:
            if country in ("ru", "by") and form in ("OOO", "AO"):
                name = f"{form} {stem}" + (f" {word}" if word else "")
            elif schema == "Organization" or not form:
                name = f"{stem} {word}".strip()
            else:
                name = f"{stem} {word} {form}".replace("  ", " ").strip()
        domain = f"{slug(stem)}.example"
        if email is None and website:
            email = f"{rng.choice(('info', 'sales', 'office', 'contact'))}@{domain}"
        if phone is True:
            phone = self.phone(rng, country)
        elif phone is False:
            phone = None
        if incorporated is None:
            incorporated = date(rng.randint(1952, 2015), rng.randint(1, 12), rng.randint(1, 28))
        entity_id = self.add(family, schema, key, {
            "name": name,
            "country": country,
            "jurisdiction": country,
            "address": address or self.address(rng, country, free_zone=free_zone),
            "legalForm": form if schema == "Company" else None,
            "sector": sector,
            "incorporationDate": incorporated,
            "registrationNumber": self.number(rng, country) if family == "registry" else None,
            "website": f"https://www.{domain}/" if website else None,
            "email": email,
            "phone": phone,
            "description": description,
            "topics": topics,
        })
        self.parties[entity_id] = Party(entity_id, country, role, name, categories, sector or "",
                                        currency if currency in CURRENCY_RATE else "USD")
        self.by_role[role].append(entity_id)
        return entity_id

    def person(self, rng: random.Random, key: str, nationality: str, *, position: str | None = None,
               family: str = "registry", topics: list[str] | None = None, description: str | None = None) -> str:
        lang = COUNTRIES[nationality][1] if nationality in COUNTRIES else "en"
        name, first, last = self.person_name(rng, lang)
        born = date(rng.randint(1955, 1992), rng.randint(1, 12), rng.randint(1, 28))
        entity_id = self.add(family, "Person", key, {
            "name": name, "firstName": first, "lastName": last, "nationality": nationality, "birthDate": born,
            "position": position, "topics": topics, "description": description,
        })
        self.parties[entity_id] = Party(entity_id, nationality, "person", name)
        return entity_id

    def ownership(self, key: str, owner: str, asset: str, percentage: float | int, start: date,
                  role: str = "Shareholder", family: str = "registry") -> str:
        return self.add(family, "Ownership", key, {
            "owner": owner, "asset": asset, "percentage": f"{percentage:g}", "startDate": start, "role": role,
        })

    def directorship(self, key: str, director: str, organization: str, start: date, role: str = "Director",
                     family: str = "registry") -> str:
        return self.add(family, "Directorship", key, {
            "director": director, "organization": organization, "startDate": start, "role": role,
        })

    def account(self, rng: random.Random, holder: str, country: str | None = None) -> str:
        """The holder's bank account (created once), held through an ``Ownership`` as in the demo case."""
        if holder in self.accounts:
            return self.accounts[holder]
        party = self.parties[holder]
        country = country or party.country
        kind, number = self.iban_or_number(rng, country)
        opened = self.prop(holder, "incorporationDate") or iso_day(self.period[0] - timedelta(days=900))
        account_id = self.add("bank", "BankAccount", f"account:{holder}", {
            kind: number, "bankName": f"{self.stem(rng, COUNTRIES[country][0])} Bank",
            "country": country, "currency": party.currency, "accountType": "Current account",
        })
        self.ownership(f"account-holder:{holder}", holder, account_id, 100, date.fromisoformat(opened[:10]),
                       role="Account holder", family="bank")
        self.accounts[holder] = account_id
        return account_id

    # -------------------------------------------------------------- trade

    def shipment(self, rng: random.Random, key: str, exporter: str, consignee: str, code: str, start: date, *,
                 value: float, currency: str, quantity: int | None = None, origin: str | None = None,
                 destination: str | None = None, transit: list[str] | None = None, forwarder: str | None = None,
                 declared_end_user: str | None = None, notify: str | None = None,
                 transit_days: int | None = None) -> str:
        description, unit, _ = CHPL_GOODS.get(code) or ORDINARY_GOODS[code]
        origin = origin or self.parties[exporter].country
        destination = destination or self.parties[consignee].country
        days = transit_days if transit_days is not None else (rng.randint(3, 9) if origin[:1] == destination[:1]
                                                              else rng.randint(6, 32))
        entity_id = self.add("customs", "Shipment", key, {
            "exporter": exporter, "consignee": consignee, "forwarder": forwarder,
            "declaredEndUser": declared_end_user, "notifyParty": notify,
            "hsCode": code, "goodsDescription": description, "quantity": quantity, "quantityUnit": unit,
            "originCountry": origin, "destinationCountry": destination, "transitCountries": transit,
            "startDate": start, "endDate": start + timedelta(days=days), "amount": amount_text(value),
            "currency": currency,
            "billOfLading": f"{rng.choice(('MAEU', 'HLCU', 'CMAU', 'MSCU', 'ONEU', 'EGLV'))}{rng.randint(100000000, 999999999)}"
            if days > 9 else f"{rng.randint(100, 999)}-{rng.randint(10000000, 99999999)}",
        })
        self.shipment_days[exporter].append(start)
        return entity_id

    def arrival(self, shipment_id: str) -> date:
        return date.fromisoformat(self.prop(shipment_id, "endDate"))

    def payment(self, rng: random.Random, key: str, payer: str, beneficiary: str, amount: float, currency: str,
                day: date, purpose: str, *, accounts: bool | None = None) -> str:
        accounts = self.with_accounts if accounts is None else accounts
        return self.add("bank", "Payment", key, {
            "payer": payer, "beneficiary": beneficiary, "amount": amount_text(amount), "currency": currency,
            "date": day, "purpose": purpose,
            "payerAccount": self.account(rng, payer) if accounts else None,
            "beneficiaryAccount": self.account(rng, beneficiary) if accounts else None,
        })

    def quiet_for(self, exporter: str, start: date, end: date, margin: int = 90) -> bool:
        """Whether ``exporter`` ships nothing within ``margin`` days of [start, end]."""
        low, high = start - timedelta(days=margin), end + timedelta(days=margin)
        return not any(low <= day <= high for day in self.shipment_days.get(exporter, ()))

    def sale(self, rng: random.Random, key: str, supplier: str, buyer: str, code: str, day: date,
             value_range: tuple[float, float], **shipment: Any) -> tuple[str, float, str]:
        """A consignment of ``code`` from ``supplier`` to ``buyer`` leaving on ``day``, priced in the
        supplier's currency within ``value_range``: ``(shipment id, value, currency)``."""
        currency = self.parties[supplier].currency
        value, quantity = self.goods_value(rng, code, currency, *value_range)
        shipment_id = self.shipment(rng, key, supplier, buyer, code, day, value=value, currency=currency,
                                    quantity=quantity, **shipment)
        return shipment_id, value, currency

    def goods_value(self, rng: random.Random, code: str, currency: str, low: float = 1_500,
                    high: float = 400_000) -> tuple[float, int]:
        """A (value, quantity) pair for one consignment of ``code``, outside the quiet band."""
        _, _, (cheap, dear) = CHPL_GOODS.get(code) or ORDINARY_GOODS[code]
        unit_price = math.exp(rng.uniform(math.log(cheap), math.log(dear)))
        target = math.exp(rng.uniform(math.log(low), math.log(high)))
        quantity = max(1, round(target / unit_price))
        if quantity > 50:
            quantity = round(quantity, -1 if quantity < 1000 else -2)
        value = quantity * unit_price * CURRENCY_RATE[currency]
        if QUIET_BAND[0] <= value < QUIET_BAND[1]:
            value *= 1.3
        return round(value, 2), quantity
