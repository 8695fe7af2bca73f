"""Synthetic procurement cases for training, from a scenario recipe and a seed.

A generated case has two layers:

* **background noise**: legitimate trade. Manufacturers, distributors and customers in many
  countries, each with a director and owners; shipments with HS codes (CHPL goods among
  them, to ordinary destinations), payments that match the shipments, consistent end-use
  documents. It is built to stay quiet under the red-flag detectors: no trading houses as
  consignees, no CHPL goods to hubs, no amounts just under a reporting threshold, no money
  that passes straight through a distributor, and so on (see ``docs/training.md``).
* **planted patterns**: each a function (:data:`PATTERNS`) that creates the entities of one
  diversion typology (a front company in a transshipment hub, a listed party two hops away,
  ...) and returns its answer: the entities and facts that form it, step by step, and the
  detectors that should fire. Optional **decoys** (:data:`DECOYS`) are legitimate parties
  that look suspicious: a detector fires, the answer is "innocent".

The answer key is kept out of the case: :func:`write_case` writes it to ``CASE.wbcase.key.json``.

Everything is drawn from ``random.Random`` streams seeded from the seed, section by section, so
the same seed gives the same case byte for byte; ids are hashes of the seed and a role, so they
say nothing about which entities were planted. Entities are plain FtM dicts built directly (no
proxy per entity), so a million payments take seconds to build (``--payments``).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import string
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from followthemoney.types import registry

from workbench import __version__
from workbench.model import Grade, Record, SourceInfo
from workbench.reference import chpl_tiers, column
from workbench.resources import resources_dir
from workbench.store import SUFFIX, Case

KEY_FORMAT = "workbench-training-key/1"
#: Companies incorporated after this date and trading CHPL goods are a published red flag.
INVASION_DATE = date(2022, 2, 24)
DEFAULT_PERIOD = (date(2022, 7, 1), date(2024, 6, 30))
#: Background amounts never fall in this band: amounts just under 10,000 are the structuring
#: pattern's signature, and the background must not imitate it by chance.
QUIET_BAND = (8_000.0, 10_000.0)

#: Entities are ingested per kind of record, each as its own source, as an analyst would
#: receive them: a company registry extract, customs declarations, bank records, the
#: documents a party handed over, a sanctions list.
SOURCES = {
    "registry": ("company registry extract", Grade("B", 2)),
    "customs": ("customs declarations", Grade("B", 2)),
    "bank": ("bank records", Grade("A", 2)),
    "documents": ("documents supplied by the parties", Grade("C", 3)),
    "sanctions": ("sanctions list", Grade("A", 1)),
}

ID_PREFIXES = {
    "Company": "co", "Organization": "org", "Person": "pe", "Ownership": "own", "Directorship": "dir",
    "BankAccount": "acc", "Payment": "pay", "Shipment": "shp", "EndUseDocument": "eud", "Sanction": "san",
}

# ------------------------------------------------------------------------------------ places
# code: (company name style, person names, currency, cities, legal forms, street style)
COUNTRIES: dict[str, tuple[str, str, str, tuple[str, ...], tuple[str, ...], str]] = {
    "de": ("west", "de", "EUR", ("Berlin", "Hamburg", "Munich", "Stuttgart", "Dresden", "Nuremberg", "Karlsruhe", "Bremen"), ("GmbH", "GmbH", "AG"), "de"),
    "at": ("west", "de", "EUR", ("Vienna", "Graz", "Linz", "Salzburg"), ("GmbH",), "de"),
    "ch": ("west", "de", "CHF", ("Zurich", "Basel", "Winterthur", "Lucerne"), ("AG", "GmbH"), "de"),
    "fr": ("west", "fr", "EUR", ("Lyon", "Toulouse", "Grenoble", "Nantes", "Lille", "Rennes"), ("SAS", "SA"), "fr"),
    "it": ("west", "it", "EUR", ("Milan", "Turin", "Bologna", "Padua", "Brescia"), ("S.r.l.", "S.p.A."), "it"),
    "nl": ("west", "nl", "EUR", ("Eindhoven", "Rotterdam", "Utrecht", "Delft", "Enschede"), ("B.V.",), "nl"),
    "be": ("west", "nl", "EUR", ("Antwerp", "Ghent", "Leuven", "Mechelen"), ("NV", "BV"), "nl"),
    "se": ("west", "nordic", "EUR", ("Stockholm", "Gothenburg", "Malmö", "Linköping", "Uppsala"), ("AB",), "nordic"),
    "fi": ("west", "nordic", "EUR", ("Espoo", "Tampere", "Oulu", "Turku"), ("Oy",), "nordic"),
    "dk": ("west", "nordic", "EUR", ("Aarhus", "Odense", "Aalborg"), ("A/S", "ApS"), "nordic"),
    "no": ("west", "nordic", "EUR", ("Trondheim", "Bergen", "Stavanger"), ("AS",), "nordic"),
    "pl": ("west", "pl", "EUR", ("Wrocław", "Gdańsk", "Poznań", "Kraków", "Łódź"), ("Sp. z o.o.",), "pl"),
    "cz": ("west", "pl", "EUR", ("Brno", "Ostrava", "Plzeň"), ("s.r.o.",), "pl"),
    "es": ("ib", "es", "EUR", ("Barcelona", "Valencia", "Bilbao", "Zaragoza", "Seville"), ("S.L.", "S.A."), "es"),
    "pt": ("ib", "es", "EUR", ("Porto", "Braga", "Aveiro"), ("Lda.",), "es"),
    "ie": ("west", "en", "EUR", ("Cork", "Galway", "Limerick"), ("Limited",), "en"),
    "gb": ("west", "en", "GBP", ("Manchester", "Birmingham", "Bristol", "Cambridge", "Leeds", "Glasgow"), ("Ltd", "Ltd", "PLC"), "en"),
    "us": ("west", "en", "USD", ("Austin, TX", "San Jose, CA", "Boston, MA", "Phoenix, AZ", "Raleigh, NC", "Columbus, OH", "Denver, CO"), ("Inc.", "LLC", "Corp."), "us"),
    "ca": ("west", "en", "USD", ("Ottawa, ON", "Waterloo, ON", "Montreal, QC", "Calgary, AB"), ("Inc.", "Ltd."), "us"),
    "au": ("west", "en", "USD", ("Adelaide, SA", "Melbourne, VIC", "Brisbane, QLD"), ("Pty Ltd",), "en"),
    "jp": ("jp", "ja", "USD", ("Osaka", "Nagoya", "Kyoto", "Yokohama", "Hamamatsu"), ("K.K.", "Co., Ltd."), "jp"),
    "kr": ("kr", "ko", "USD", ("Suwon", "Daejeon", "Incheon", "Busan"), ("Co., Ltd.",), "kr"),
    "tw": ("zh", "zh", "USD", ("Hsinchu", "Taichung", "Tainan"), ("Co., Ltd.",), "zh"),
    "cn": ("zh", "zh", "USD", ("Shenzhen", "Suzhou", "Dongguan", "Ningbo", "Chengdu"), ("Co., Ltd.",), "zh"),
    "hk": ("zh", "zh", "USD", ("Kwun Tong", "Wan Chai", "Sheung Wan", "Tsim Sha Tsui", "Kowloon Bay"), ("Limited",), "hk"),
    "sg": ("west", "zh", "USD", ("Singapore",), ("Pte. Ltd.",), "sg"),
    "in": ("in", "hi", "USD", ("Bengaluru", "Pune", "Chennai", "Hyderabad"), ("Pvt. Ltd.",), "en"),
    "tr": ("tr", "tr", "USD", ("Istanbul", "Izmir", "Bursa", "Ankara"), ("A.Ş.", "Ltd. Şti."), "tr"),
    "ae": ("ar", "ar", "USD", ("Dubai", "Sharjah", "Abu Dhabi"), ("LLC",), "ae"),
    "kz": ("ru", "ru", "USD", ("Almaty", "Astana", "Shymkent"), ("LLP",), "ru"),
    "am": ("west", "hy", "USD", ("Yerevan", "Gyumri"), ("LLC",), "ru"),
    "ge": ("west", "ka", "USD", ("Tbilisi", "Batumi", "Kutaisi"), ("LLC",), "ru"),
    "kg": ("ru", "ru", "USD", ("Bishkek", "Osh"), ("LLC",), "ru"),
    "uz": ("ru", "ru", "USD", ("Tashkent", "Samarkand"), ("LLC",), "ru"),
    "rs": ("west", "sr", "EUR", ("Belgrade", "Novi Sad", "Niš"), ("d.o.o.",), "ru"),
    "ru": ("ru", "ru", "USD", ("Moscow", "Saint Petersburg", "Yekaterinburg", "Novosibirsk", "Kazan", "Zelenograd"), ("OOO", "AO"), "ru"),
    "by": ("ru", "ru", "USD", ("Minsk", "Gomel", "Vitebsk"), ("OOO",), "ru"),
    "ir": ("fa", "fa", "USD", ("Tehran", "Isfahan", "Tabriz", "Shiraz"), ("Co.",), "ir"),
    "sc": ("west", "fr", "USD", ("Victoria, Mahe", "Providence, Mahe"), ("Ltd",), "agent"),
    "vg": ("west", "en", "USD", ("Road Town, Tortola",), ("Ltd",), "agent"),
    "bz": ("west", "en", "USD", ("Belize City",), ("Ltd",), "agent"),
    "pa": ("ib", "es", "USD", ("Panama City",), ("S.A.",), "agent"),
    "mh": ("west", "en", "USD", ("Majuro",), ("Inc.",), "agent"),
    "bs": ("west", "en", "USD", ("Nassau",), ("Ltd",), "agent"),
    "br": ("ib", "es", "USD", ("Campinas", "Curitiba", "São Paulo"), ("Ltda.",), "es"),
    "mx": ("ib", "es", "USD", ("Monterrey", "Guadalajara", "Querétaro"), ("S.A. de C.V.",), "es"),
    "za": ("west", "en", "USD", ("Johannesburg", "Durban", "Cape Town"), ("(Pty) Ltd",), "en"),
    "my": ("west", "en", "USD", ("Penang", "Johor Bahru"), ("Sdn. Bhd.",), "en"),
    "th": ("west", "en", "USD", ("Chonburi", "Bangkok"), ("Co., Ltd.",), "en"),
    "cl": ("ib", "es", "USD", ("Santiago", "Valparaiso"), ("SpA",), "es"),
    "ma": ("west", "fr", "EUR", ("Casablanca", "Tangier"), ("SARL",), "fr"),
}
CURRENCY_RATE = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CHF": 0.88}

#: Where legitimate manufacturers, distributors and customers sit (no hub, no restricted country).
SAFE_COUNTRIES = ("de", "at", "ch", "fr", "it", "nl", "be", "se", "fi", "dk", "no", "pl", "cz", "es", "pt", "ie",
                  "gb", "us", "ca", "au", "jp", "kr")
MANUFACTURING_COUNTRIES = ("de", "de", "de", "us", "us", "us", "jp", "jp", "kr", "tw", "nl", "fr", "it", "ch", "se",
                           "gb", "gb", "at", "fi", "dk", "cz", "pl", "ie", "ca")
#: Customers further afield buy ordinary goods only (CHPL goods there would be a real red flag).
WIDER_CUSTOMER_COUNTRIES = ("tr", "in", "br", "mx", "za", "sg", "cn", "my", "th", "cl", "ma", "ae")
HUBS = ("ae", "tr", "hk", "kz", "am", "ge", "kg", "uz", "rs")
RESTRICTED = ("ru", "by", "ir")
SECRECY = ("sc", "vg", "bz", "pa", "mh")

# ------------------------------------------------------------------------------------ names
_WEST_ONSETS = ("Al Ar Ber Bran Cal Cor Dar Dren El Fal Fen Gar Gran Hal Hel Ir Jor Kal Kor Lor Lum Mar Mer Nor "
                "Nev Or Ost Pel Pra Quin Rhe Ros Sol Sten Tor Thal Ul Val Ven Wen Zel Bel Cas Del Est Fin Gil "
                "Hav Lin Mal Mon Nal Per Ral Sel Tal Var").split()
_WEST_MIDDLES = "a e i o ra le ne to ve ri".split()
_WEST_ENDINGS = ("tex tron dyn vik mar ion ora ant is en ica on ia ark ent ix ova ine ara esta ium ost elle wick "
                 "berg holm stad feld ford dale haven").split()
_JP = (("Hoshi", "Kawa", "Yama", "Taka", "Sora", "Mizu", "Aki", "Fuji", "Haru", "Kita", "Nishi", "Kuro", "Shiro",
        "Tsuki", "Hika", "Mori", "Ishi", "Sakura"),
       ("zora", "moto", "gawa", "hara", "saki", "mori", "tani", "kura", "shima", "no", "da", "ka"))
_KR = (("Han", "Dae", "Sung", "Hyun", "Min", "Jin", "Woo", "Seo", "Yeon", "Kang", "Bo", "Chan", "Ho", "Ji"),
       ("sung", "il", "jin", "won", "kwang", "do", "rim", "san", "hae", "mun", "yang", "gil"))
_ZH = (("Hua", "Zhong", "Xin", "Tian", "Jin", "Long", "Hong", "Sheng", "Kai", "Rui", "Feng", "Hai", "Bao", "Heng",
        "Yuan", "Guang", "Jia", "Tai", "Wei", "Xiang", "Yong", "Cheng"),)
_TR = (("Kara", "Ak", "Yildiz", "Anadolu", "Ege", "Toros", "Deniz", "Bora", "Kuzey", "Gunes", "Tuna", "Ay",
        "Bozkurt", "Erciyes", "Marmara", "Uludag"),
       ("tek", "han", "kent", "su", "dag", "el", "can", "er", "soy", "ova", "pinar", "yol"))
_RU = (("Vostr", "Belo", "Kras", "Zlat", "Yar", "Tver", "Lug", "Mir", "Dal", "Sever", "Volg", "Ves", "Kam",
        "Ozer", "Stal", "Gor", "Sib", "Ural", "Sokol", "Pol"),
       ("alin", "onit", "etron", "avia", "omash", "ospek", "itek", "ovet", "ar", "ina", "tekh", "pribor",
        "radis", "elekt", "sintez", "komp"))
_AR = (("Al Noor", "Al Safa", "Al Mansoor", "Al Reem", "Al Wasl", "Al Hamra", "Al Yasmeen", "Al Fajr", "Al Qamar",
        "Al Rawda", "Al Sahel", "Al Bayan", "Al Khaleej", "Al Manar", "Al Zahra", "Al Thuraya"),)
_FA = (("Pars", "Kaveh", "Arya", "Sepehr", "Tavan", "Nik", "Farda", "Mehr", "Raad", "Setareh", "Payam", "Sahand",
        "Alborz", "Kavir", "Damavand", "Zagros"),
       ("Sanat", "Pardaz", "Gostar", "Andish", "Fanavar", "Tadbir", "Negar", "Rayan"))
_IN = (("Shree", "Surya", "Navin", "Prakash", "Vijay", "Laxmi", "Ganesh", "Deep", "Ravi", "Kiran", "Sagar",
        "Jyoti", "Mohan", "Anand"),
       ("tech", "dyne", "jyot", "kala", "tronics", "vani", "shakti", "nidhi"))
_IB = (("Sol", "Mar", "Rio", "Monte", "Vale", "Costa", "Luz", "Serra", "Alto", "Bela", "Nova", "Terra", "Porto",
        "Cruz", "Vista", "Mira"),
       ("vista", "sul", "norte", "ria", "bel", "real", "verde", "fuerte", "mar", "sol", "luz", "alta"))
STEMS = {"jp": _JP, "kr": _KR, "zh": _ZH, "tr": _TR, "ru": _RU, "ar": _AR, "fa": _FA, "in": _IN, "ib": _IB}

PERSON_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "de": (("Anna", "Lukas", "Julia", "Jonas", "Katrin", "Stefan", "Sabine", "Matthias", "Claudia", "Tobias", "Petra",
            "Florian", "Birgit", "Andreas", "Miriam", "Jens", "Ute", "Rainer", "Heike", "Dominik"),
           ("Keller", "Brandt", "Vogel", "Hartmann", "Lindner", "Seidel", "Krause", "Winkler", "Berger", "Franke",
            "Lorenz", "Haas", "Albrecht", "Roth", "Pohl", "Engel", "Kuhn", "Sommer", "Jung", "Graf")),
    "fr": (("Camille", "Julien", "Claire", "Mathieu", "Sophie", "Antoine", "Isabelle", "Nicolas", "Élodie", "Olivier",
            "Hélène", "Thierry", "Céline", "Laurent", "Marion", "Pascal", "Aurélie", "Benoît"),
           ("Moreau", "Lefebvre", "Girard", "Fontaine", "Rousseau", "Garnier", "Chevalier", "Lambert", "Bonnet",
            "Mercier", "Faure", "André", "Blanchard", "Guérin", "Boyer", "Roussel", "Perrin", "Morel")),
    "it": (("Giulia", "Marco", "Chiara", "Luca", "Francesca", "Andrea", "Elena", "Matteo", "Sara", "Davide", "Paola",
            "Stefano", "Valentina", "Alessandro", "Federica", "Simone"),
           ("Ferrari", "Bianchi", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa",
            "Giordano", "Mancini", "Lombardi", "Moretti", "Barbieri", "Fontana")),
    "nl": (("Sanne", "Daan", "Lotte", "Bram", "Femke", "Joris", "Marloes", "Thijs", "Ilse", "Ruben", "Anouk", "Wouter",
            "Eline", "Koen", "Maaike", "Pieter"),
           ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos", "Peters",
            "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Graaf")),
    "nordic": (("Erik", "Karin", "Lars", "Ingrid", "Mikael", "Sofia", "Anders", "Maria", "Johan", "Elin", "Henrik",
                "Linnea", "Olof", "Sanna", "Mikko", "Aino"),
               ("Lindqvist", "Nyberg", "Holm", "Sandberg", "Berglund", "Ekström", "Dahl", "Lund", "Virtanen",
                "Nieminen", "Hansen", "Larsen", "Sørensen", "Strand", "Aalto", "Bakken")),
    "pl": (("Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka", "Marek", "Ewa", "Jakub",
            "Petra", "Jiří", "Lucie", "Martin", "Zuzana", "Ondrej"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański",
            "Novák", "Svoboda", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák")),
    "es": (("Lucía", "Javier", "Carmen", "Alejandro", "Marta", "Pablo", "Laura", "Diego", "Ana", "Sergio", "Elena",
            "João", "Beatriz", "Rafael", "Inês", "Miguel"),
           ("García", "Fernández", "López", "Martínez", "Sánchez", "Romero", "Navarro", "Torres", "Ramos", "Gil",
            "Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa")),
    "en": (("Emma", "James", "Olivia", "Daniel", "Sarah", "Michael", "Rachel", "David", "Laura", "Thomas", "Hannah",
            "Robert", "Claire", "Andrew", "Megan", "Christopher", "Fiona", "Peter", "Alison", "Mark"),
           ("Harper", "Whitfield", "Caldwell", "Bennett", "Fletcher", "Marsh", "Holloway", "Prescott", "Langley",
            "Ashworth", "Barlow", "Crane", "Dawson", "Ellison", "Fairbanks", "Garner", "Hobbs", "Kendall",
            "Mercer", "Norwood")),
    "ja": (("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Kenji", "Yuki", "Takeshi", "Akiko", "Hiroshi", "Naoko",
            "Daiki", "Emi"),
           ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
            "Kato", "Yoshida", "Yamada", "Sasaki", "Matsumoto")),
    "ko": (("Minjun", "Seoyeon", "Jiho", "Jiwoo", "Hyunwoo", "Soyeon", "Dongha", "Eunji", "Sungmin", "Yuna"),
           ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh")),
    "zh": (("Wei", "Fang", "Lei", "Min", "Jun", "Yan", "Hao", "Ling", "Qiang", "Xiu", "Bo", "Hui", "Tao", "Mei"),
           ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Lin")),
    "tr": (("Emre", "Elif", "Burak", "Zeynep", "Murat", "Ayşe", "Can", "Selin", "Kerem", "Deniz", "Onur", "Ebru"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Aydın", "Öztürk", "Arslan", "Doğan", "Kılıç", "Aslan",
            "Çetin")),
    "ru": (("Aleksei", "Olga", "Dmitri", "Irina", "Sergei", "Natalia", "Andrei", "Yelena", "Pavel", "Svetlana",
            "Nikolai", "Tatiana", "Viktor", "Marina", "Yuri", "Galina"),
           ("Volkov", "Sokolov", "Morozov", "Lebedev", "Kozlov", "Novikov", "Pavlov", "Orlov", "Belov", "Zaitsev",
            "Gusev", "Titov", "Kuzmin", "Baranov", "Frolov", "Yakovlev")),
    "ar": (("Omar", "Layla", "Khalid", "Noor", "Rashid", "Mariam", "Faisal", "Huda", "Tariq", "Salma", "Yousef",
            "Amal"),
           ("Al Mansouri", "Haddad", "Al Hashemi", "Nasser", "Khoury", "Al Suwaidi", "Saleh", "Al Marri",
            "Darwish", "Al Nuaimi", "Farouk", "Hamdan")),
    "fa": (("Reza", "Maryam", "Ali", "Zahra", "Hossein", "Fatemeh", "Mehdi", "Leila", "Amir", "Nasrin", "Kamran",
            "Shirin"),
           ("Hosseini", "Ahmadi", "Mohammadi", "Karimi", "Rezaei", "Moradi", "Jafari", "Rahimi", "Ghasemi",
            "Sadeghi", "Bagheri", "Naderi")),
    "hi": (("Arjun", "Priya", "Rahul", "Ananya", "Vikram", "Sneha", "Rohan", "Kavya", "Aditya", "Meera"),
           ("Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Mehta", "Rao", "Kulkarni", "Joshi", "Menon")),
    "hy": (("Aram", "Anahit", "Tigran", "Lilit", "Armen", "Nare", "Davit", "Mariam", "Gor", "Ani"),
           ("Petrosyan", "Hakobyan", "Sargsyan", "Grigoryan", "Harutyunyan", "Vardanyan", "Avetisyan", "Karapetyan")),
    "ka": (("Giorgi", "Nino", "Levan", "Tamar", "Davit", "Mariam", "Irakli", "Salome", "Nika", "Ana"),
           ("Beridze", "Kapanadze", "Gelashvili", "Maisuradze", "Lomidze", "Tsiklauri", "Giorgadze", "Mikeladze")),
    "sr": (("Marko", "Jelena", "Nikola", "Milica", "Stefan", "Ana", "Luka", "Ivana", "Dušan", "Tijana"),
           ("Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Pavlović")),
}

# ------------------------------------------------------------------------------------ goods
#: Plain words for the CHPL HS-6 codes the generator uses (the codes themselves come from
#: ``workbench.reference.chpl_tiers()``; a code missing there is never used as CHPL).
CHPL_GOODS = {
    "854231": ("Microcontrollers, 32-bit", "pcs", (2, 18)),
    "854232": ("DRAM memory integrated circuits", "pcs", (3, 25)),
    "854233": ("RF amplifier integrated circuits", "pcs", (4, 40)),
    "854239": ("Field-programmable gate arrays", "pcs", (40, 900)),
    "853221": ("Tantalum capacitors", "pcs", (0.2, 3)),
    "853224": ("Multilayer ceramic capacitors", "pcs", (0.02, 0.6)),
    "853669": ("Coaxial RF connectors", "pcs", (2, 30)),
    "853690": ("Board-to-board connectors", "pcs", (1, 15)),
    "854110": ("Schottky diodes", "pcs", (0.05, 1.5)),
    "854121": ("Small-signal transistors", "pcs", (0.05, 1)),
    "854129": ("Power MOSFET transistors", "pcs", (1, 25)),
    "854160": ("Quartz crystal oscillators", "pcs", (0.5, 12)),
    "853400": ("Multilayer printed circuit boards", "pcs", (8, 140)),
    "850440": ("Switching power supply units", "pcs", (30, 600)),
    "851762": ("Industrial network routers", "pcs", (250, 4_000)),
    "852691": ("GNSS receiver modules", "pcs", (40, 900)),
    "851769": ("RF transceiver modules", "pcs", (25, 500)),
    "852589": ("Industrial machine-vision cameras", "pcs", (300, 6_000)),
    "852910": ("Antennas and antenna reflectors", "pcs", (20, 800)),
    "847150": ("Industrial computer processing units", "pcs", (400, 7_000)),
    "847180": ("Embedded computing units", "pcs", (150, 3_000)),
    "903020": ("Digital oscilloscopes", "units", (900, 22_000)),
    "903032": ("Multimeters with recording device", "units", (150, 2_500)),
    "903039": ("Voltage and current test instruments", "units", (200, 6_000)),
    "854320": ("Signal generators", "units", (1_500, 40_000)),
    "902750": ("Optical spectrometers", "units", (3_000, 60_000)),
    "901380": ("Laser optical assemblies", "units", (200, 8_000)),
    "845710": ("CNC machining centres", "units", (60_000, 420_000)),
    "845811": ("CNC horizontal lathes", "units", (40_000, 300_000)),
    "845891": ("CNC turning centres", "units", (30_000, 250_000)),
    "845961": ("CNC milling machines", "units", (35_000, 280_000)),
    "846693": ("Spindles and parts for machine tools", "pcs", (300, 9_000)),
    "848210": ("Ball bearings", "pcs", (3, 120)),
    "848220": ("Tapered roller bearings", "pcs", (8, 260)),
    "848250": ("Cylindrical roller bearings", "pcs", (10, 400)),
}
ORDINARY_GOODS = {
    "853650": ("Low-voltage switches", "pcs", (0.5, 20)),
    "854449": ("Insulated electric cables", "m", (0.4, 6)),
    "853321": ("Fixed resistors", "pcs", (0.01, 0.4)),
    "902519": ("Industrial thermometers", "units", (15, 400)),
    "902620": ("Pressure gauges", "units", (20, 600)),
    "846711": ("Pneumatic hand tools", "units", (60, 900)),
    "820770": ("Milling tools", "pcs", (15, 300)),
    "848340": ("Gears and gearboxes", "pcs", (40, 3_000)),
    "848490": ("Gaskets and seals", "pcs", (0.5, 30)),
    "847130": ("Laptop computers", "units", (400, 2_500)),
    "847160": ("Computer input and output units", "units", (20, 400)),
    "852852": ("Computer monitors", "units", (90, 900)),
    "847330": ("Computer parts and accessories", "pcs", (5, 200)),
    "900211": ("Camera objective lenses", "pcs", (80, 3_000)),
    "901110": ("Stereoscopic microscopes", "units", (300, 9_000)),
    "940330": ("Wooden office furniture", "pcs", (80, 900)),
    "940360": ("Wooden furniture", "pcs", (60, 1_200)),
    "190531": ("Sweet biscuits", "kg", (2, 9)),
    "210690": ("Food preparations", "kg", (3, 20)),
    "090121": ("Roasted coffee", "kg", (8, 30)),
    "610910": ("Cotton T-shirts", "pcs", (2, 14)),
    "620342": ("Men's cotton trousers", "pcs", (6, 40)),
    "841810": ("Combined refrigerator-freezers", "units", (250, 1_400)),
    "851660": ("Electric ovens and cookers", "units", (150, 1_800)),
    "392690": ("Plastic articles", "pcs", (0.2, 8)),
    "391732": ("Plastic tubes and hoses", "m", (0.3, 5)),
    "870899": ("Motor vehicle parts", "pcs", (8, 500)),
    "870830": ("Brakes and servo-brakes", "pcs", (20, 600)),
    "401110": ("Car tyres", "pcs", (40, 220)),
    "300490": ("Medicaments in measured doses", "packs", (2, 60)),
    "901839": ("Medical needles and catheters", "pcs", (0.3, 12)),
    "730890": ("Steel structures", "kg", (1.5, 6)),
    "731815": ("Steel screws and bolts", "kg", (2, 9)),
}

#: What manufacturers make: (sector, name word, German name word, Japanese name word, CHPL codes, ordinary codes).
CATEGORIES: dict[str, tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]]] = {
    "electronics": ("Manufacture of electronic components", "Electronics", "Elektronik", "Denshi",
                    ("854231", "854232", "854233", "854239", "853221", "853224", "853669", "853690", "854110",
                     "854121", "854129", "854160", "853400", "850440"), ("853650", "854449", "853321")),
    "instruments": ("Manufacture of test and measurement instruments", "Instruments", "Messtechnik", "Keiki",
                    ("903020", "903032", "903039", "854320", "902750"), ("902519", "902620")),
    "machine_tools": ("Manufacture of machine tools", "Machine Tools", "Werkzeugmaschinen", "Seiki",
                      ("845710", "845811", "845891", "845961", "846693"), ("846711", "820770")),
    "bearings": ("Manufacture of bearings and power transmission parts", "Bearings", "Wälzlager", "Seiko",
                 ("848210", "848220", "848250"), ("848340", "848490")),
    "computing": ("Manufacture of computers and network equipment", "Systems", "Systeme", "Joho",
                  ("847150", "847180", "851762", "851769", "852589", "852910", "852691"),
                  ("847130", "847160", "852852", "847330")),
    "optics": ("Manufacture of optical instruments", "Optics", "Optik", "Kogaku", ("901380", "902750"),
               ("900211", "901110")),
    "furniture": ("Manufacture of furniture", "Furniture", "Möbel", "Kagu", (), ("940330", "940360")),
    "food": ("Manufacture of food products", "Foods", "Lebensmittel", "Shokuhin", (), ("190531", "210690", "090121")),
    "textiles": ("Manufacture of clothing", "Apparel", "Textil", "Seni", (), ("610910", "620342")),
    "appliances": ("Manufacture of household appliances", "Appliances", "Hausgeräte", "Kaden", (),
                   ("841810", "851660")),
    "plastics": ("Manufacture of plastic products", "Plastics", "Kunststoff", "Jushi", (), ("392690", "391732")),
    "auto_parts": ("Manufacture of motor vehicle parts", "Automotive", "Fahrzeugteile", "Buhin", (),
                   ("870899", "870830", "401110")),
    "pharma": ("Manufacture of pharmaceutical products", "Pharma", "Pharma", "Seiyaku", (), ("300490", "901839")),
    "steel": ("Manufacture of steel products", "Steelworks", "Stahlbau", "Kozai", (), ("730890", "731815")),
}
#: Customers: (sector, name word, categories bought, schema). Every sector that may buy CHPL
#: goods names a line of business the outside-line-of-business table links to HS 84, 85 and 90.
CUSTOMER_SECTORS = (
    ("Industrial automation", "Automation", ("electronics", "instruments", "bearings", "computing"), "Company"),
    ("Telecommunications equipment", "Telecom", ("electronics", "computing"), "Company"),
    ("Medical equipment", "Medical Systems", ("electronics", "instruments", "optics", "pharma"), "Company"),
    ("Automotive parts manufacturing", "Automotive", ("electronics", "bearings", "machine_tools", "auto_parts",
                                                      "plastics"), "Company"),
    ("University research laboratory", "Research Institute", ("instruments", "optics", "computing", "electronics"),
     "Organization"),
    ("Power generation and energy", "Energy", ("instruments", "bearings", "steel", "machine_tools"), "Company"),
    ("Precision engineering", "Precision Engineering", ("machine_tools", "bearings", "instruments", "steel"),
     "Company"),
    ("Consumer electronics retail", "Electronics Retail", ("computing", "appliances"), "Company"),
    ("Furniture retail", "Interiors", ("furniture",), "Company"),
    ("Food retail", "Foods", ("food", "plastics"), "Company"),
    ("Clothing retail", "Fashion", ("textiles",), "Company"),
    ("Hotels", "Hotels", ("furniture", "food", "appliances", "textiles"), "Company"),
    ("Construction", "Construction", ("steel", "plastics"), "Company"),
    ("Pharmacy chain", "Pharmacies", ("pharma",), "Company"),
)
DISTRIBUTOR_SECTORS = (
    ("Distribution of electronic components", "Components", ("electronics", "computing")),
    ("Distribution of industrial supplies", "Industrial Supply", ("bearings", "machine_tools", "steel", "plastics")),
    ("Distribution of scientific and measurement equipment", "Scientific", ("instruments", "optics")),
    ("Wholesale of consumer goods", "Wholesale", ("furniture", "appliances", "textiles", "food")),
)

END_USES = {
    "Industrial automation": "production line control systems at the buyer's own plant",
    "Telecommunications equipment": "assembly of telecommunications equipment for civilian networks",
    "Medical equipment": "manufacture of diagnostic medical devices",
    "Automotive parts manufacturing": "automotive component production",
    "University research laboratory": "teaching and academic research in the buyer's laboratories",
    "Power generation and energy": "monitoring equipment for power plants",
    "Precision engineering": "machining of precision parts for industrial customers",
}


_VOWELS = set("aeiouy")
#: Coined names must not spell a word a detector or a reader would take as a signal.
_LOADED_WORDS = ("cash", "bank", "trad", "arm", "war", "mil", "gun", "zone", "ship", "cargo")


def _pronounceable(word: str) -> bool:
    """No doubled vowels ("Praara"), no letter three times running, no three consonants in a row."""
    run_consonants = 0
    for index, ch in enumerate(word):
        if index and ch in _VOWELS and word[index - 1] in _VOWELS and ch == word[index - 1]:
            return False
        if index > 1 and ch == word[index - 1] == word[index - 2]:
            return False
        run_consonants = 0 if ch in _VOWELS else run_consonants + 1
        if run_consonants >= 3 and word[index - 2:index + 1] not in ("str", "stl", "ndr", "nst"):
            return False
        if index and ch in _VOWELS and word[index - 1] in _VOWELS and word[index - 1:index + 1] not in (
                "ia", "io", "ea", "ei", "ou", "au", "ie", "ai", "oe", "ua", "eo"):
            return False
    return True


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _iso(day: date) -> str:
    return day.isoformat()


def _money(value: float) -> str:
    return f"{value:.2f}"


def _slug(text: str) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in keep.split("-") if part)


_RUSSIAN_WOMEN = frozenset(("Olga", "Irina", "Natalia", "Yelena", "Svetlana", "Tatiana", "Marina", "Galina"))


def _country_name(code: str) -> str:
    return registry.country.caption(code) or code.upper()


def chpl_codes() -> dict[str, str]:
    """The CHPL codes the generator knows a description for, with their tier."""
    tiers = chpl_tiers()
    return {code: tiers[code] for code in CHPL_GOODS if code in tiers}


def restricted_countries() -> tuple[str, ...]:
    """Restricted countries the patterns use: those of :data:`RESTRICTED` the high-risk table lists."""
    listed = column("high_risk_jurisdictions", "country")
    return tuple(code for code in RESTRICTED if code in listed) or RESTRICTED


def transshipment_hubs() -> tuple[str, ...]:
    """Hub countries the patterns use: those of :data:`HUBS` that the reference table lists."""
    listed = column("transshipment_countries", "country")
    return tuple(code for code in HUBS if code in listed)


# ------------------------------------------------------------------------------------ scenarios


@dataclass
class Scenario:
    """A recipe: background counts (multiplied by ``size``), planted patterns, decoys."""

    id: str
    title: str
    description: str = ""
    level: str = "intermediate"
    period: tuple[date, date] = DEFAULT_PERIOD
    background: dict[str, Any] = field(default_factory=dict)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    decoys: list[dict[str, Any]] = field(default_factory=list)
    approx_entities: int | None = None
    source_text: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], source_text: str = "") -> "Scenario":
        if not isinstance(data, dict) or not data.get("id"):
            raise ValueError("a scenario needs at least an 'id'")
        period = data.get("period") or DEFAULT_PERIOD
        try:
            start, end = (value if isinstance(value, date) else date.fromisoformat(str(value)) for value in period)
        except (TypeError, ValueError) as error:
            raise ValueError(f"scenario {data['id']!r}: period must be two ISO dates") from error
        patterns = [p if isinstance(p, dict) else {"kind": p} for p in data.get("patterns") or []]
        decoys = [d if isinstance(d, dict) else {"kind": d} for d in data.get("decoys") or []]
        for item in patterns:
            if item.get("kind") not in PATTERNS:
                raise ValueError(f"scenario {data['id']!r}: unknown pattern {item.get('kind')!r}; "
                                 f"known: {', '.join(PATTERNS)}")
        for item in decoys:
            if item.get("kind") not in DECOYS:
                raise ValueError(f"scenario {data['id']!r}: unknown decoy {item.get('kind')!r}; "
                                 f"known: {', '.join(DECOYS)}")
        return cls(id=str(data["id"]), title=str(data.get("title") or data["id"]),
                   description=str(data.get("description") or "").strip(), level=str(data.get("level") or ""),
                   period=(start, end), background=dict(data.get("background") or {}), patterns=patterns,
                   decoys=decoys, approx_entities=data.get("approx_entities"), source_text=source_text)


def scenarios_dir() -> Path:
    return resources_dir() / "scenarios"


def list_scenarios() -> list[Scenario]:
    """The bundled scenarios, smallest first."""
    found = [load_scenario(path) for path in sorted(scenarios_dir().glob("*.yaml"))]
    return sorted(found, key=lambda s: (s.approx_entities or 0, s.id))


def load_scenario(name: str | Path) -> Scenario:
    """A bundled scenario by id (``classroom``) or a scenario YAML file by path."""
    path = Path(name)
    if not path.suffix:
        path = scenarios_dir() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in scenarios_dir().glob("*.yaml")))
        raise LookupError(f"no scenario {str(name)!r}; bundled scenarios: {known}")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from error
    return Scenario.from_dict(data, source_text=text)


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

    def __init__(self, scenario: Scenario, seed: int):
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
            middle = rng.choice(_WEST_MIDDLES) if rng.random() < 0.45 else ""
            stem = (rng.choice(_WEST_ONSETS) + middle + rng.choice(_WEST_ENDINGS)).lower()
            if _pronounceable(stem) and not any(word in stem for word in _LOADED_WORDS):
                return stem.capitalize()

    def person_name(self, rng: random.Random, lang: str) -> tuple[str, str, str]:
        firsts, lasts = PERSON_NAMES.get(lang, PERSON_NAMES["en"])
        for attempt in range(400):
            first, last = rng.choice(firsts), rng.choice(lasts)
            if lang == "ru" and first in _RUSSIAN_WOMEN:
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
            text = f"{text}, {_country_name(country)}"
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
            text = re.sub(r"\{(\d+)\}", lambda match: _digits(rng, int(match.group(1))), shape)
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
            return "accountNumber", _digits(rng, rng.choice((10, 12, 14)))
        bban = ""
        for count, kind in re.findall(r"(\d+)([naz])", layouts[country]):
            if kind == "n":
                bban += _digits(rng, int(count))
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
        domain = f"{_slug(stem)}.example"
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
        opened = self.prop(holder, "incorporationDate") or _iso(self.period[0] - timedelta(days=900))
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
            "startDate": start, "endDate": start + timedelta(days=days), "amount": _money(value),
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
            "payer": payer, "beneficiary": beneficiary, "amount": _money(amount), "currency": currency,
            "date": day, "purpose": purpose,
            "payerAccount": self.account(rng, payer) if accounts else None,
            "beneficiaryAccount": self.account(rng, beneficiary) if accounts else None,
        })

    def quiet_for(self, exporter: str, start: date, end: date, margin: int = 90) -> bool:
        """Whether ``exporter`` ships nothing within ``margin`` days of [start, end]."""
        low, high = start - timedelta(days=margin), end + timedelta(days=margin)
        return not any(low <= day <= high for day in self.shipment_days.get(exporter, ()))

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


# ------------------------------------------------------------------------------------ background


def _count(spec: dict[str, Any], name: str, size: float, default: float = 0) -> int:
    return max(0, round(float(spec.get(name, default)) * size))


def _lag(rng: random.Random) -> int:
    """Days from a shipment's departure to its payment (negative: paid in advance)."""
    return rng.choice((rng.randint(-20, -3), rng.randint(0, 45), rng.randint(10, 40)))


def _corporate_furniture(b: CaseBuilder, rng: random.Random, company: str, key: str, country: str,
                         with_directors: bool, owner: str | None = None) -> None:
    """A director and owners for a company, as a registry extract would show them."""
    if not with_directors:
        return
    incorporated = date.fromisoformat(b.prop(company, "incorporationDate"))
    nationality = country if rng.random() < 0.9 or country not in SAFE_COUNTRIES else rng.choice(SAFE_COUNTRIES)
    director = b.person(rng, f"{key}:director", nationality)
    since = incorporated + timedelta(days=rng.randint(0, 9000))
    since = min(since, b.period[0] - timedelta(days=rng.randint(30, 900)))
    role = {"de": "Geschäftsführer", "at": "Geschäftsführer", "fr": "President", "us": "Chief Executive Officer",
            "gb": "Director"}.get(country, "Managing Director")
    b.directorship(f"{key}:directorship", director, company, max(since, incorporated), role=role)
    if owner is not None:
        b.ownership(f"{key}:owned-by-group", owner, company, 100, incorporated)
        return
    draw = rng.random()
    if draw < 0.35:
        b.ownership(f"{key}:owner", director, company, 100, incorporated)
    elif draw < 0.75:
        partner = b.person(rng, f"{key}:partner", nationality)
        share = rng.choice((50, 60, 70, 75, 80))
        b.ownership(f"{key}:owner", director, company, share, incorporated)
        b.ownership(f"{key}:partner-owner", partner, company, 100 - share, incorporated)
    # else: widely held, no owner on record


def build_background(b: CaseBuilder, rng: random.Random, spec: dict[str, Any], size: float) -> None:
    """Legitimate trade: parties, shipments, payments and end-use documents that stay quiet.

    The rules that keep the detectors quiet are deliberate (``docs/training.md`` lists them):
    distributors sell only into safe countries and receive at most two customers' payments in
    any 30 days, never paying out within four days of being paid; manufacturers receive and do
    not pay; every shipment has one payment of its value by its consignee within 60 days; CHPL
    goods go only to safe countries and to buyers whose line of business fits them; companies
    are old, have their own website and e-mail, local phones, unique addresses, one board each.
    """
    with_directors = b.with_directors
    start, end = b.period
    span = (end - start).days

    def make(role: str, count: int, pick: Callable[[], tuple[str, tuple, str, str, str]]) -> list[str]:
        created = []
        for index in range(count):
            country, categories, sector, word, schema = pick()
            key = f"bg:{role}:{index}"
            if country == "jp" and role == "manufacturer":
                word = CATEGORIES[categories[0]][3]
            elif country in ("de", "at", "ch") and role == "manufacturer":
                word = CATEGORIES[categories[0]][2]
            company = b.company(rng, key, country, role=role, word=word, sector=sector, categories=categories,
                                schema=schema, legal_form="" if schema == "Organization" else None)
            created.append(company)
        return created

    def manufacturer():
        category = rng.choice(list(CATEGORIES))
        return rng.choice(MANUFACTURING_COUNTRIES), (category,), CATEGORIES[category][0], CATEGORIES[category][1], "Company"

    made: set[str] = set()  # categories the case's manufacturers make (filled in below)

    def distributor():
        # Only lines of business someone in the case makes: a small case must still trade.
        sector, word, categories = rng.choice([d for d in DISTRIBUTOR_SECTORS if set(d[2]) & made]
                                              or DISTRIBUTOR_SECTORS)
        return rng.choice(SAFE_COUNTRIES), categories, sector, word, "Company"

    def customer():
        sector, word, categories, schema = rng.choice([c for c in CUSTOMER_SECTORS if set(c[2]) & made]
                                                      or CUSTOMER_SECTORS)
        country = rng.choice(WIDER_CUSTOMER_COUNTRIES) if rng.random() < spec.get("wider_share", 0.3) \
            else rng.choice(SAFE_COUNTRIES)
        return country, categories, sector, word, schema

    def forwarder():
        country = rng.choice(("nl", "de", "be", "dk", "gb", "us", "fr"))
        word = {"de": "Spedition", "nl": "Logistics", "be": "Logistics"}.get(country, "Freight Services")
        return country, (), "Freight forwarding", word, "Company"

    manufacturers = make("manufacturer", _count(spec, "manufacturers", size), manufacturer)
    made.update(c for m in manufacturers for c in b.parties[m].categories)
    distributors = make("distributor", _count(spec, "distributors", size), distributor)
    customers = make("customer", _count(spec, "customers", size), customer)
    forwarders = make("forwarder", _count(spec, "forwarders", size), forwarder)

    # Groups: a holding company owns a few operating companies; the rest have their own owners.
    operating = manufacturers + distributors
    owned_by: dict[str, str] = {}
    for index in range(_count(spec, "holdings", size)):
        free = [c for c in operating if c not in owned_by]
        if not free:
            break
        members = rng.sample(free, min(len(free), rng.randint(1, 3)))
        country = b.parties[members[0]].country
        holding = b.company(rng, f"bg:holding:{index}", country, role="holding", word="Holding",
                            sector="Activities of holding companies", website=rng.random() < 0.7)
        _corporate_furniture(b, rng, holding, f"bg:holding:{index}", country, with_directors)
        for member in members:
            owned_by[member] = holding
    for company in manufacturers + distributors + customers + forwarders:
        party = b.parties[company]
        key = f"bg:furniture:{company}"
        if party.sector.startswith("University"):
            continue  # a public institution: no shareholders, a board elsewhere
        _corporate_furniture(b, rng, company, key, party.country, with_directors, owned_by.get(company))

    # Who buys from whom. Groups never trade with themselves (a shared director would flag it).
    makers_of: dict[str, list[str]] = defaultdict(list)
    for company in manufacturers:
        makers_of[b.parties[company].categories[0]].append(company)

    def sellers_for(buyer: str, allow_distributors: bool) -> list[tuple[str, str]]:
        party = b.parties[buyer]
        options = [(m, cat) for cat in party.categories for m in makers_of.get(cat, ())]
        if allow_distributors:
            options += [(d, cat) for d in distributors for cat in party.categories
                        if cat in b.parties[d].categories and d != buyer]
        return [(s, c) for s, c in options if owned_by.get(s) is None or owned_by.get(s) != owned_by.get(buyer)]

    relationships: list[tuple[str, str, str]] = []  # (seller, buyer, category)
    for buyer in distributors:
        options = sellers_for(buyer, allow_distributors=False)
        for seller, category in rng.sample(options, min(len(options), rng.randint(2, 4))):
            relationships.append((seller, buyer, category))
    for buyer in customers:
        safe = b.parties[buyer].country in SAFE_COUNTRIES
        options = sellers_for(buyer, allow_distributors=safe)
        for seller, category in rng.sample(options, min(len(options), rng.randint(1, 3))):
            relationships.append((seller, buyer, category))
    if not relationships:
        return

    # Shipments across the relationships; a distributor's sales are capped by its calendar.
    capacity = max(1, span // 17)
    sales: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    plain: list[tuple[str, str, str]] = []
    customer_relationships = [r for r in relationships if r[1] not in distributors]
    for _ in range(_count(spec, "shipments", size) if customer_relationships else 0):
        # A distributor's own purchases are planned on its calendar below, not drawn here.
        seller, buyer, category = rng.choice(customer_relationships)
        if seller in distributors:
            if len(sales[seller]) >= capacity:
                continue
            sales[seller].append((seller, buyer, category))
        else:
            plain.append((seller, buyer, category))

    eud_share = float(spec.get("end_use_share", 0.25))
    forwarder_share = float(spec.get("forwarder_share", 0.35))
    counter = [0]

    def trade(seller: str, buyer: str, category: str, ship_day: date, pay_day: date) -> None:
        counter[0] += 1
        number = counter[0]
        seller_party, buyer_party = b.parties[seller], b.parties[buyer]
        chpl_ok = buyer_party.country in SAFE_COUNTRIES and buyer_party.role != "forwarder"
        chpl_options = [c for c in CATEGORIES[category][4] if c in b.chpl] if chpl_ok else []
        ordinary = list(CATEGORIES[category][5])
        chpl_share = float(spec.get("chpl_share", 0.35))
        code = rng.choice(chpl_options) if chpl_options and (rng.random() < chpl_share or not ordinary) \
            else rng.choice(ordinary)
        currency = seller_party.currency
        high = 900_000 if buyer_party.role == "distributor" else 300_000
        value, quantity = b.goods_value(rng, code, currency, high=high)
        forwarder_id = rng.choice(forwarders) if forwarders and rng.random() < forwarder_share else None
        shipment = b.shipment(rng, f"bg:shipment:{number}", seller, buyer, code, ship_day, value=value,
                              currency=currency, quantity=quantity, forwarder=forwarder_id)
        year = pay_day.year
        b.payment(rng, f"bg:payment:{number}", buyer, seller, value, currency, pay_day,
                  f"Invoice {rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}-{year}-"
                  f"{rng.randint(1000, 99999)}")
        if code in b.chpl and buyer_party.role == "customer" and rng.random() < eud_share:
            issued = ship_day - timedelta(days=rng.randint(10, 45))
            b.add("documents", "EndUseDocument", f"bg:eud:{number}", {
                "documentNumber": f"EUC-{issued.year}-{rng.randint(100, 9999):04d}",
                "issuer": buyer, "statedEndUser": buyer,
                "endUse": END_USES.get(buyer_party.sector, "the buyer's own production"),
                "destinationCountry": buyer_party.country, "coveredShipment": shipment, "date": issued,
                "description": "The goods will be used by the end user named here and not re-exported.",
            })

    for seller, buyer, category in plain:
        ship_day = start + timedelta(days=rng.randrange(span))
        trade(seller, buyer, category, ship_day, ship_day + timedelta(days=_lag(rng)))

    for distributor_id in distributors:
        # Incoming payments at least 16 days apart: never three customers in one 30-day window.
        incoming: list[date] = []
        items = sales.get(distributor_id, [])
        day = start + timedelta(days=rng.randint(0, 15))
        slack = max(0, span - 16 * len(items))
        for seller, buyer, category in items:
            day += timedelta(days=rng.randint(0, min(60, slack // max(len(items), 1))))
            incoming.append(day)
            lag = _lag(rng)
            trade(seller, buyer, category, day - timedelta(days=lag), day)
            day += timedelta(days=16)
        # Stock purchases paid on days that are not within three days after money came in.
        for seller, buyer, category in [r for r in relationships if r[1] == distributor_id]:
            for _ in range(max(1, len(items) // 4)):
                for _attempt in range(50):
                    pay_day = start + timedelta(days=rng.randrange(span))
                    if all(not (0 <= (pay_day - d).days <= 4) for d in incoming):
                        break
                trade(seller, buyer, category, pay_day - timedelta(days=_lag(rng)), pay_day)


# ------------------------------------------------------------------------------------ patterns


def _window(b: CaseBuilder, rng: random.Random) -> date:
    """A start day for a pattern, leaving room for its events inside the period."""
    start, end = b.period
    return start + timedelta(days=rng.randint(30, max(31, (end - start).days - 150)))


def _supplier(b: CaseBuilder, rng: random.Random, key: str, categories: tuple[str, ...],
              quiet: tuple[date, date] | None = None) -> str:
    """A legitimate manufacturer to sell to the network: a background one if one fits, else a new one."""
    fits = [m for m in b.by_role["manufacturer"]
            if b.parties[m].categories[0] in categories and b.parties[m].country in SAFE_COUNTRIES
            and (quiet is None or b.quiet_for(m, *quiet))]
    if fits:
        return rng.choice(sorted(fits))
    category = rng.choice(categories)
    country = rng.choice(("de", "us", "jp", "nl", "gb", "fr", "it", "ch", "se"))
    word = CATEGORIES[category][3] if country == "jp" else (CATEGORIES[category][2] if country in ("de", "ch")
                                                             else CATEGORIES[category][1])
    company = b.company(rng, key, country, role="manufacturer", word=word, sector=CATEGORIES[category][0],
                        categories=(category,))
    _corporate_furniture(b, rng, company, key, country, b.with_directors)
    return company


def _pick_chpl(b: CaseBuilder, rng: random.Random, category: str, tiers: tuple[str, ...] = ()) -> str:
    codes = [c for c in CATEGORIES[category][4] if c in b.chpl and (not tiers or b.chpl[c][:1] in tiers)]
    return rng.choice(codes or [c for c in CATEGORIES[category][4] if c in b.chpl])


def _goods_text(b: CaseBuilder, code: str) -> str:
    description = (CHPL_GOODS.get(code) or ORDINARY_GOODS[code])[0]
    tier = b.chpl.get(code)
    return f"HS {code} ({description.lower()}{f', CHPL tier {tier}' if tier else ''})"


def _hub(rng: random.Random, options: dict[str, Any], preferred: tuple[str, ...] = HUBS) -> str:
    hubs = [h for h in preferred if h in transshipment_hubs()] or list(transshipment_hubs())
    chosen = options.get("country") or rng.choice(hubs)
    if chosen not in COUNTRIES:
        raise ValueError(f"unknown country {chosen!r} for a pattern")
    return chosen


def _local_director(b: CaseBuilder, rng: random.Random, key: str, company: str, nationality: str,
                    since: date, owner_too: bool = True) -> list[str]:
    if not b.with_directors:
        return []
    director = b.person(rng, f"{key}:director", nationality)
    ids = [director, b.directorship(f"{key}:directorship", director, company, since)]
    if owner_too:
        ids.append(b.ownership(f"{key}:owner", director, company, 100, since))
    return ids


def front_company_hub(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A newly formed trading company in a hub, with webmail and a foreign phone, importing CHPL goods."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "am", "ge", "kz"))
    first_import = _window(b, rng)
    incorporated = max(INVASION_DATE + timedelta(days=rng.randint(30, 200)),
                       first_import - timedelta(days=rng.randint(45, 200)))
    free_zone = hub == "ae"
    form, word = {"ae": ("FZE", "General Trading"), "tr": ("Ltd. Şti.", "Dış Ticaret"),
                  "hk": ("Limited", "Trading"), "kz": ("LLP", "Trading")}.get(hub, ("LLC", "Trading"))
    phone_country = options.get("phone_country") or ("by" if hub == "kz" else "ru")
    stem = b.stem(rng, COUNTRIES[hub][0])
    webmail = rng.choice(("gmail.com", "mail.ru", "outlook.com", "yandex.ru"))
    front = b.company(rng, "front", hub, role="front", word=word, legal_form=form, stem=stem,
                      sector="General trading", incorporated=incorporated, website=False,
                      email=f"{_slug(stem).replace('-', '.')}.{hub}@{webmail}",
                      phone=b.phone(rng, phone_country, mobile=True), free_zone=free_zone)
    owner = directorship = stake = None
    if b.with_directors:
        owner = b.person(rng, "front:owner", phone_country)
        directorship = b.directorship("front:directorship", owner, front, incorporated)
        stake = b.ownership("front:stake", owner, front, 100, incorporated)
    supplier = _supplier(b, rng, "front:supplier", ("electronics", "computing"))
    category = b.parties[supplier].categories[0]
    code = _pick_chpl(b, rng, category, ("1", "2"))
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 40_000, 350_000)
    shipment = b.shipment(rng, "front:shipment", supplier, front, code, first_import, value=value,
                          currency=currency, quantity=quantity)
    paid = b.payment(rng, "front:payment", front, supplier, value, currency,
                     first_import + timedelta(days=rng.randint(-15, 20)), f"Proforma invoice {rng.randint(1000, 9999)}")
    days = (first_import - incorporated).days
    country = _country_name(hub)
    flags = ["chpl-to-risky-destination", "intermediary-as-consignee"] + (["free-trade-zone-consignee"] if free_zone else [])
    steps = [
        Step(f"{b.label(front)} was incorporated in {country} on {_iso(incorporated)}, after the invasion of Ukraine, "
             f"and imported CHPL goods {days} days later.", [front], [shipment], ["new-company-chpl"]),
        Step(f"It has no website and writes from a free webmail address ({b.prop(front, 'email')}); its phone number "
             f"{b.prop(front, 'phone')} is from {_country_name(phone_country)}, not {country}.",
             [front], [], ["webmail-no-website", "phone-country-mismatch"]),
        Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to it in {country}, a transshipment hub"
             + (", at a free-zone address" if free_zone else "") + f"; a 'general trading' firm is the consignee "
             f"({shipment}).", [front], [shipment], flags),
    ]
    if owner:
        steps.append(Step(f"Its owner and director is {b.label(owner)}, a national of {_country_name(phone_country)}.",
                          [owner], [directorship, stake], []))
    return Planted(
        kind="front-company-hub", title="Front company in a transshipment hub",
        description=(f"A trading company set up in {country} shortly before it began buying high-priority electronics: "
                     "new, no website, webmail, a phone number from the country the goods are really for."),
        entities=[front, *([owner] if owner else [])], facts=[shipment, *([directorship, stake] if owner else [])],
        context=[supplier, paid],
        detectors=["new-company-chpl", "webmail-no-website", "phone-country-mismatch", *flags], steps=steps)


def layered_ownership(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A beneficial owner behind two or three shells in secrecy jurisdictions and a nominee director."""
    owner_country = options.get("owner_country") or rng.choice(restricted_countries())
    layers_count = int(options.get("layers", rng.choice((2, 3))))
    secrecy = [c for c in SECRECY if c in column("secrecy_jurisdictions", "country")] or list(SECRECY)
    countries = rng.sample(secrecy, min(layers_count, len(secrecy)))
    hub = _hub(rng, options, ("hk", "ae", "tr", "am", "ge", "rs"))
    day = _window(b, rng)
    owner = b.person(rng, "layers:owner", owner_country)
    agent_country = countries[0]
    agent_address = b.address(rng, agent_country)
    nominee = b.person(rng, "layers:nominee", agent_country,
                       description="Employee of a corporate-services provider; serves as nominee director.")
    founded = day - timedelta(days=rng.randint(400, 900))
    layers = []
    for index, country in enumerate(countries):
        word = rng.choice(("Holdings", "Ventures", "Investments", "Capital", "Global"))
        layers.append(b.company(rng, f"layers:shell:{index}", country, role="shell", word=word,
                                website=False, phone=False, incorporated=founded + timedelta(days=25 * index),
                                address=agent_address if country == agent_country else None,
                                legal_form="International Business Company" if country == "sc" else None))
    operating = b.company(rng, "layers:operating", hub, role="operating", word="Technology",
                          sector="Distribution of electronic components", categories=("computing",),
                          incorporated=founded + timedelta(days=120))
    local = _local_director(b, rng, "layers:operating", operating, hub, founded + timedelta(days=120), owner_too=False)
    chain = [owner, *layers, operating]
    stakes = []
    for index, (upper, lower) in enumerate(zip(chain, chain[1:])):
        share = 100 if index else rng.choice((75, 90, 100))
        stakes.append(b.ownership(f"layers:stake:{index}", upper, lower, share,
                                  founded + timedelta(days=25 * index + 10)))
    # The nominee sits on the boards of the shells and of other clients' shells at the same
    # registered-agent address: the mass-registration signature.
    extra_count = int(options.get("extra_shells", 4))
    extras = [b.company(rng, f"layers:client-shell:{index}", agent_country, role="shell",
                        word=rng.choice(("Holdings", "Ventures", "Investments", "Trustees")), website=False,
                        phone=False, address=agent_address,
                        legal_form="International Business Company" if agent_country == "sc" else None)
              for index in range(extra_count)]
    boards = [b.directorship(f"layers:nominee:{index}", nominee, company, founded + timedelta(days=30 * index),
                             role="Nominee director")
              for index, company in enumerate(layers + extras)]
    supplier = _supplier(b, rng, "layers:supplier", ("computing",))
    code = rng.choice(CATEGORIES["computing"][5])
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 20_000, 150_000)
    shipment = b.shipment(rng, "layers:shipment", supplier, operating, code, day, value=value, currency=currency,
                          quantity=quantity)
    paid = b.payment(rng, "layers:payment", operating, supplier, value, currency, day + timedelta(days=rng.randint(0, 30)),
                     f"Invoice {rng.randint(10000, 99999)}")
    layer_text = " → ".join(f"{b.label(c)} ({_country_name(b.parties[c].country)})" for c in chain)
    steps = [
        Step(f"{b.label(operating)} in {_country_name(hub)} looks like an ordinary distributor buying computers "
             f"({shipment}).", [operating], [], []),
        Step(f"Its registry extract shows who owns it, layer by layer: {layer_text}.", chain, stakes,
             ["opaque-ownership"]),
        Step(f"The shells sit in secrecy jurisdictions ({', '.join(_country_name(c) for c in countries)}); the top "
             f"owner, {b.label(owner)}, is a national of {_country_name(owner_country)}.", [owner, *layers], stakes,
             ["opaque-ownership"]),
        Step(f"{b.label(nominee)} is nominee director of {len(layers) + len(extras)} companies, "
             f"{len(extras) + 1} of them at one registered-agent address in {_country_name(agent_country)}.",
             [nominee, *layers], boards[:len(layers)], ["mass-registration-or-nominee"]),
    ]
    return Planted(
        kind="layered-ownership", title="Layered ownership in secrecy jurisdictions",
        description=(f"A {_country_name(owner_country)} owner hides behind {len(layers)} shell companies in secrecy "
                     "jurisdictions, run by a nominee director, above an ordinary-looking distributor."),
        entities=[owner, *layers, operating, nominee], facts=stakes + boards[:len(layers)],
        context=[*extras, *boards[len(layers):], *local, supplier, shipment, paid],
        detectors=["opaque-ownership", "mass-registration-or-nominee"], steps=steps)


def chpl_reexport(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """CHPL goods imported into a hub and re-exported, same HS code and quantity, to a restricted country."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "kz", "am", "ge", "kg", "uz", "rs"))
    destination = options.get("destination") or rng.choice(("ru", "by"))
    start = _window(b, rng)
    intermediary = b.company(rng, "reexport:intermediary", hub, role="intermediary", word="Electronics",
                             sector="Distribution of electronic components", categories=("electronics",),
                             incorporated=date(rng.randint(2011, 2019), rng.randint(1, 12), rng.randint(1, 28)))
    _local_director(b, rng, "reexport:intermediary", intermediary, hub,
                    date.fromisoformat(b.prop(intermediary, "incorporationDate")))
    buyer = b.company(rng, "reexport:buyer", destination, role="restricted-buyer", word="",
                      sector="Radio-electronic equipment manufacturing", categories=("electronics",),
                      legal_form=rng.choice(COUNTRIES[destination][4]))
    supplier = _supplier(b, rng, "reexport:supplier", ("electronics",))
    code = _pick_chpl(b, rng, "electronics", ("1", "2"))
    currency = "USD"
    value, quantity = b.goods_value(rng, code, currency, 60_000, 500_000)
    inbound = b.shipment(rng, "reexport:inbound", supplier, intermediary, code, start, value=value, currency=currency,
                         quantity=quantity, transit_days=rng.randint(6, 12))
    arrived = b.arrival(inbound)
    gap = rng.randint(4, 20)
    transit = [options["transit"]] if options.get("transit") else (
        [rng.choice(("kz", "am", "ge"))] if hub in ("tr", "ae", "hk") and rng.random() < 0.5 else None)
    markup = rng.uniform(1.35, 1.9)
    outbound = b.shipment(rng, "reexport:outbound", intermediary, buyer, code, arrived + timedelta(days=gap),
                          value=round(value * markup, 2), currency=currency, quantity=quantity, destination=destination,
                          transit=transit, transit_days=rng.randint(8, 18))
    pay_in = b.payment(rng, "reexport:pay-supplier", intermediary, supplier, value, currency,
                       start - timedelta(days=rng.randint(0, 10)), f"Purchase order {rng.randint(1000, 9999)}")
    pay_out = b.payment(rng, "reexport:pay-intermediary", buyer, intermediary, round(value * markup, 2), currency,
                        arrived + timedelta(days=gap + rng.randint(1, 20)), f"Contract {rng.randint(10, 99)}/{start.year}")
    route = f" via {', '.join(_country_name(c) for c in transit)}" if transit else ""
    steps = [
        Step(f"{b.label(supplier)} shipped {quantity:,} units of {_goods_text(b, code)} to {b.label(intermediary)} "
             f"in {_country_name(hub)}, arriving {_iso(arrived)} ({inbound}).", [intermediary], [inbound],
             ["chpl-to-risky-destination"]),
        Step(f"{gap} days later {b.label(intermediary)} sent the same HS code, the same {quantity:,} units, to "
             f"{b.label(buyer)} in {_country_name(destination)}{route} ({outbound}).", [intermediary, buyer],
             [outbound], ["transshipment-reexport", "chpl-to-risky-destination"]),
        Step(f"The money ran the other way: {b.label(buyer)} paid {b.label(intermediary)} about "
             f"{markup - 1:.0%} more than the intermediary had paid the supplier.", [buyer, intermediary],
             [pay_out, pay_in], []),
    ]
    return Planted(
        kind="chpl-reexport", title="Re-export of CHPL goods after import",
        description=(f"High-priority electronics enter {_country_name(hub)} and leave again within weeks for "
                     f"{_country_name(destination)}: the hub company is a conduit, not an end user."),
        entities=[intermediary, buyer], facts=[inbound, outbound, pay_out], context=[supplier, pay_in],
        detectors=["transshipment-reexport", "chpl-to-risky-destination"], steps=steps)


def third_country_payment(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """Goods for one country paid for by an unrelated company in another."""
    consignee_country = options.get("country") or rng.choice([c for c in ("kz", "am", "ge", "kg", "uz", "rs", "tr")
                                                              if c in transshipment_hubs()])
    payer_country = options.get("payer_country") or rng.choice([c for c in ("hk", "ae", "tr", "cn", "sg")
                                                                if c != consignee_country])
    start = _window(b, rng)
    sector, word, categories, _ = rng.choice([s for s in CUSTOMER_SECTORS if s[0] in
                                              ("Industrial automation", "Precision engineering")])
    category = "instruments" if sector == "Industrial automation" else "machine_tools"
    consignee = b.company(rng, "third:consignee", consignee_country, role="customer", word=word, sector=sector,
                          categories=categories)
    _local_director(b, rng, "third:consignee", consignee, consignee_country,
                    date.fromisoformat(b.prop(consignee, "incorporationDate")))
    payer = b.company(rng, "third:payer", payer_country, role="payer", word="Holdings",
                      sector="Investment and consulting", incorporated=date(rng.randint(2016, 2021), rng.randint(1, 12), 1))
    supplier = _supplier(b, rng, "third:supplier", (category,), quiet=(start - timedelta(days=30), start + timedelta(days=60)))
    code = _pick_chpl(b, rng, category)
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 30_000, 400_000)
    shipment = b.shipment(rng, "third:shipment", supplier, consignee, code, start, value=value, currency=currency,
                          quantity=quantity)
    paid = b.payment(rng, "third:payment", payer, supplier, value, currency, start + timedelta(days=rng.randint(-20, 25)),
                     f"Payment for {b.label(consignee)}, invoice {rng.randint(1000, 99999)}")
    steps = [
        Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(consignee)} in "
             f"{_country_name(consignee_country)} ({shipment}).", [consignee], [shipment], ["chpl-to-risky-destination"]),
        Step(f"The goods were paid for by {b.label(payer)} in {_country_name(payer_country)}, which neither received them "
             f"nor owns the buyer ({paid}).", [payer], [paid], ["third-party-payer"]),
        Step("A payer from a third country is how a hidden buyer pays without appearing on the shipping papers.",
             [payer, consignee], [], []),
    ]
    return Planted(
        kind="third-country-payment", title="Payment from a third country",
        description=(f"Goods shipped to {_country_name(consignee_country)} are paid for by an unrelated company in "
                     f"{_country_name(payer_country)}."),
        entities=[payer, consignee], facts=[paid, shipment], context=[supplier],
        detectors=["third-party-payer", "chpl-to-risky-destination"], steps=steps)


def structuring(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A CHPL purchase paid in instalments each just below a 10,000 reporting threshold."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "kz", "am", "ge", "rs"))
    start = _window(b, rng)
    buyer = b.company(rng, "structuring:buyer", hub, role="buyer", word="Engineering", sector="Engineering services",
                      categories=("electronics",))
    _local_director(b, rng, "structuring:buyer", buyer, hub, date.fromisoformat(b.prop(buyer, "incorporationDate")))
    supplier = _supplier(b, rng, "structuring:supplier", ("electronics", "instruments"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0])
    threshold = float(options.get("threshold", 10_000))
    count = int(options.get("instalments", rng.randint(4, 6)))
    amounts = [round(rng.uniform(threshold * 0.93, threshold * 0.999), 2) for _ in range(count)]
    total = round(sum(amounts), 2)
    _, _, (cheap, dear) = CHPL_GOODS[code]
    quantity = max(1, round(total / ((cheap + dear) / 2)))
    shipment = b.shipment(rng, "structuring:shipment", supplier, buyer, code, start, value=total, currency="USD",
                          quantity=quantity)
    day = start - timedelta(days=rng.randint(5, 12))
    payments = []
    for index, amount in enumerate(amounts):
        payments.append(b.payment(rng, f"structuring:payment:{index}", buyer, b.parties[supplier].id, amount, "USD", day,
                                  f"Partial payment {index + 1} of {count}, order {rng.randint(100, 999)}"))
        day += timedelta(days=rng.randint(2, 6))
    steps = [
        Step(f"{b.label(buyer)} in {_country_name(hub)} ordered {_goods_text(b, code)} worth USD {total:,.2f} from "
             f"{b.label(supplier)} ({shipment}).", [buyer], [shipment], ["chpl-to-risky-destination"]),
        Step(f"It paid in {count} instalments of USD {min(amounts):,.2f} to {max(amounts):,.2f} within "
             f"{(day - start).days + 12} days, each just under the {threshold:,.0f} reporting threshold.",
             [buyer], payments, ["structuring"]),
    ]
    return Planted(
        kind="structuring", title="Structuring below a threshold",
        description="One purchase split into several payments that each stay just below the reporting threshold.",
        entities=[buyer], facts=[*payments, shipment], context=[supplier],
        detectors=["structuring", "chpl-to-risky-destination"], steps=steps)


def forwarder_consignee(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A freight forwarder named as consignee of CHPL goods, with no end user declared."""
    hub = _hub(rng, options, ("ae", "tr", "hk", "ge", "am", "kz"))
    start = _window(b, rng)
    free_zone = hub == "ae"
    forwarder = b.company(rng, "forwarder:consignee", hub, role="pattern-forwarder", word="Freight & Logistics",
                          legal_form="FZCO" if free_zone else None, sector="Freight forwarding and logistics",
                          free_zone=free_zone, incorporated=date(rng.randint(2009, 2019), rng.randint(1, 12), 1))
    _local_director(b, rng, "forwarder:consignee", forwarder, hub,
                    date.fromisoformat(b.prop(forwarder, "incorporationDate")))
    supplier = _supplier(b, rng, "forwarder:supplier", ("electronics", "computing"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0], ("1", "2", "3"))
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 25_000, 300_000)
    shipment = b.shipment(rng, "forwarder:shipment", supplier, forwarder, code, start, value=value, currency=currency,
                          quantity=quantity)
    flags = ["intermediary-as-consignee", "chpl-to-risky-destination"] + (["free-trade-zone-consignee"] if free_zone else [])
    steps = [
        Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(forwarder)} in {_country_name(hub)}"
             f"{', in a free zone' if free_zone else ''} ({shipment}).", [forwarder], [shipment],
             ["chpl-to-risky-destination"] + (["free-trade-zone-consignee"] if free_zone else [])),
        Step(f"{b.label(forwarder)} is a freight forwarder: it moves goods, it does not use them. No end user is "
             "declared, so nobody on paper is the real buyer.", [forwarder], [shipment], ["intermediary-as-consignee"]),
    ]
    return Planted(
        kind="forwarder-consignee", title="A forwarder as consignee",
        description=f"A freight forwarder in {_country_name(hub)} receives high-priority goods in its own name.",
        entities=[forwarder], facts=[shipment], context=[supplier], detectors=flags, steps=steps)


def falsified_end_use(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """An end-use certificate the shipment contradicts (another end user) or the goods' next move does."""
    variant = options.get("variant") or rng.choice(("end-user", "re-export"))
    hub = _hub(rng, options, ("ae", "tr", "hk", "kz", "am", "ge", "rs"))
    start = _window(b, rng)
    consignee = b.company(rng, "eud:consignee", hub, role="consignee", word="Technology Solutions",
                          sector="Supply of electronic components", categories=("electronics",),
                          incorporated=date(rng.randint(2012, 2020), rng.randint(1, 12), 1))
    _local_director(b, rng, "eud:consignee", consignee, hub, date.fromisoformat(b.prop(consignee, "incorporationDate")))
    supplier = _supplier(b, rng, "eud:supplier", ("electronics", "instruments"))
    category = b.parties[supplier].categories[0]
    code = _pick_chpl(b, rng, category, ("1", "2", "3", "4"))
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 30_000, 300_000)
    shipment = b.shipment(rng, "eud:shipment", supplier, consignee, code, start, value=value, currency=currency,
                          quantity=quantity)
    paid = b.payment(rng, "eud:payment", consignee, supplier, value, currency, start + timedelta(days=rng.randint(-10, 30)),
                     f"Invoice {rng.randint(10000, 99999)}")
    issued = start - timedelta(days=rng.randint(10, 40))
    if variant == "end-user":
        university = b.company(rng, "eud:university", hub, role="victim", schema="Organization",
                               word=rng.choice(("Technical University", "Institute of Applied Physics",
                                                "University of Science and Technology")),
                               legal_form="", sector="Higher education and research")
        document = b.add("documents", "EndUseDocument", "eud:document", {
            "documentNumber": f"{''.join(w[0] for w in b.label(university).split()[:3]).upper()}-EUC-{issued.year}-"
                              f"{rng.randint(1, 999):03d}",
            "issuer": university, "statedEndUser": university, "destinationCountry": hub, "date": issued,
            "endUse": "teaching and research in the university's electronics laboratory",
            "coveredShipment": shipment,
            "description": "Certifies that the goods are for the university's own laboratory and will not be re-exported.",
        })
        steps = [
            Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(consignee)} in {_country_name(hub)} "
                 f"({shipment}).", [consignee], [shipment], ["chpl-to-risky-destination"]),
            Step(f"The end-use certificate {b.prop(document, 'documentNumber')} names {b.label(university)} as end user, "
                 f"but the goods were consigned to {b.label(consignee)}, which the certificate does not mention: the "
                 "university's name was borrowed.", [consignee], [document, shipment], ["end-use-document-mismatch"]),
        ]
        return Planted(
            kind="falsified-end-use", variant=variant, title="Falsified end-use document",
            description="An end-use certificate naming a respectable university covers goods consigned to someone else.",
            entities=[consignee], facts=[document, shipment], context=[supplier, university, paid],
            detectors=["end-use-document-mismatch", "chpl-to-risky-destination"], steps=steps)
    destination = options.get("destination") or rng.choice(("ru", "by"))
    buyer = b.company(rng, "eud:onward-buyer", destination, role="restricted-buyer", word="",
                      sector="Radio-electronic equipment manufacturing", categories=("electronics",))
    document = b.add("documents", "EndUseDocument", "eud:document", {
        "documentNumber": f"{_slug(b.label(consignee))[:4].upper()}-EUC-{issued.year}-{rng.randint(1, 999):03d}",
        "issuer": consignee, "statedEndUser": consignee, "destinationCountry": hub, "date": issued,
        "endUse": "in-house testing laboratory", "coveredShipment": shipment,
        "description": "Declares that the goods will remain in the country of destination and not be re-exported.",
    })
    arrived = b.arrival(shipment)
    gap = rng.randint(5, 25)
    onward = b.shipment(rng, "eud:onward", consignee, buyer, code, arrived + timedelta(days=gap),
                        value=round(value * rng.uniform(1.3, 1.8), 2), currency=currency, quantity=quantity,
                        destination=destination, transit_days=rng.randint(7, 15))
    paid_onward = b.payment(rng, "eud:onward-payment", buyer, consignee, float(b.prop(onward, "amount")), currency,
                            arrived + timedelta(days=gap + rng.randint(2, 25)), f"Contract {rng.randint(10, 99)}")
    steps = [
        Step(f"{b.label(consignee)} certified in {b.prop(document, 'documentNumber')} that the {_goods_text(b, code)} "
             f"would stay in {_country_name(hub)} for its own laboratory.", [consignee], [document, shipment], []),
        Step(f"{gap} days after they arrived it shipped the same goods to {b.label(buyer)} in "
             f"{_country_name(destination)} ({onward}).", [consignee, buyer], [onward],
             ["end-use-document-mismatch", "transshipment-reexport", "chpl-to-risky-destination"]),
    ]
    return Planted(
        kind="falsified-end-use", variant=variant, title="Falsified end-use document",
        description="An end-use statement that the goods will stay put, broken within weeks by a re-export.",
        entities=[consignee, buyer], facts=[document, shipment, onward], context=[supplier, paid, paid_onward],
        detectors=["end-use-document-mismatch", "transshipment-reexport", "chpl-to-risky-destination"], steps=steps)


SANCTION_AUTHORITIES = {
    "ru": ("US Department of the Treasury, Office of Foreign Assets Control", "RUSSIA-EO14024"),
    "by": ("Council of the European Union", "EU Regulation 765/2006 (Belarus)"),
    "ir": ("US Department of the Treasury, Office of Foreign Assets Control", "NPWMD"),
}


def listed_two_hops(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A sanctioned party two links away from a declared end user, through a shared director or a holding."""
    variant = options.get("variant") or rng.choice(("shared-director", "ownership"))
    listed_country = options.get("listed_country") or rng.choice(restricted_countries())
    hub = _hub(rng, options, ("am", "ge", "kz", "kg", "rs", "tr", "ae", "uz"))
    start = _window(b, rng)
    stem = b.stem(rng, COUNTRIES[listed_country][0])
    name = {"ru": f"{stem} Research Institute of Radio Engineering",
            "by": f"{stem} Scientific Production Association",
            "ir": f"{stem} Electronic Industries"}[listed_country]
    listed = b.company(rng, "listed:party", listed_country, role="listed", schema="Organization", name=name,
                       stem=stem, legal_form="", sector="Radar and radio-electronic systems", family="sanctions",
                       topics=["sanction"], website=False, phone=False,
                       description="Develops radar and electronic-warfare systems (fictional).")
    authority, program = SANCTION_AUTHORITIES[listed_country]
    since = INVASION_DATE + timedelta(days=rng.randint(60, 400)) if listed_country != "ir" else date(2019, 11, 4)
    sanction = b.add("sanctions", "Sanction", "listed:sanction", {
        "entity": listed, "authority": authority, "program": program, "country": "us" if "Treasury" in authority else None,
        "listingDate": since, "startDate": since,
        "reason": "Involved in the development of military electronics.",
        "summary": "Fictional listing generated for a Workbench training case.",
    })
    end_user = b.company(rng, "listed:end-user", hub, role="end-user", word=rng.choice(("Automation", "Telecom")),
                         sector=rng.choice(("Industrial automation", "Telecommunications equipment")),
                         categories=("electronics",), incorporated=date(rng.randint(2013, 2020), rng.randint(1, 12), 1))
    supplier = _supplier(b, rng, "listed:supplier", ("electronics", "computing"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0], ("1", "2"))
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 30_000, 250_000)
    shipment = b.shipment(rng, "listed:shipment", supplier, end_user, code, start, value=value, currency=currency,
                          quantity=quantity)
    paid = b.payment(rng, "listed:payment", end_user, supplier, value, currency, start + timedelta(days=rng.randint(0, 30)),
                     f"Invoice {rng.randint(10000, 99999)}")
    founded = date.fromisoformat(b.prop(end_user, "incorporationDate"))
    first_step = Step(f"{b.label(supplier)} shipped {_goods_text(b, code)} to {b.label(end_user)} in "
                      f"{_country_name(hub)}, which declared itself the end user ({shipment}).",
                      [end_user], [shipment], ["chpl-to-risky-destination"])
    listing = Step(f"{b.label(listed)} is on a sanctions list ({authority}, {program}, since {_iso(since)}).",
                   [listed], [sanction], [])
    if variant == "shared-director":
        intermediary = b.person(rng, "listed:director", listed_country, position="Deputy Director General")
        boards = [b.directorship("listed:board-listed", intermediary, listed, date(2015, 3, 1), role="Deputy Director General"),
                  b.directorship("listed:board-end-user", intermediary, end_user, founded, role="Director")]
        b.ownership("listed:end-user-owner", intermediary, end_user, 100, founded)
        steps = [first_step, Step(f"Its director, {b.label(intermediary)}, is also Deputy Director General of "
                                  f"{b.label(listed)}.", [end_user, intermediary, listed], boards,
                                  ["shared-identifier-with-listed", "civilian-near-military"]), listing]
        detectors = ["civilian-near-military", "shared-identifier-with-listed", "chpl-to-risky-destination"]
        facts = [*boards, sanction, shipment]
    else:
        _local_director(b, rng, "listed:end-user", end_user, hub, founded, owner_too=False)
        intermediary = b.company(rng, "listed:holding", hub, role="holding", word="Holding",
                                 sector="Activities of holding companies", website=False,
                                 incorporated=founded - timedelta(days=rng.randint(60, 400)))
        share = rng.choice((51, 60, 75))
        boards = [b.ownership("listed:stake-holding", listed, intermediary, share, founded - timedelta(days=30)),
                  b.ownership("listed:stake-end-user", intermediary, end_user, 100, founded)]
        steps = [first_step, Step(f"{b.label(end_user)} is wholly owned by {b.label(intermediary)}, which "
                                  f"{b.label(listed)} owns {share}% of: under OFAC's 50% rule both count as blocked.",
                                  [end_user, intermediary, listed], boards,
                                  ["ofac-50-percent", "civilian-near-military"]), listing]
        detectors = ["civilian-near-military", "ofac-50-percent", "chpl-to-risky-destination"]
        facts = [*boards, sanction, shipment]
    return Planted(
        kind="listed-two-hops", variant=variant, title="A listed party two hops away",
        description=(f"The declared end user looks clean, but one link further sits a party sanctioned for military "
                     f"electronics work in {_country_name(listed_country)}."),
        entities=[end_user, intermediary, listed], facts=facts, context=[supplier, paid],
        detectors=detectors, steps=steps)


#: The planted patterns: kind -> function(builder, rng, options) returning its answer.
PATTERNS: dict[str, Callable[[CaseBuilder, random.Random, dict[str, Any]], Planted]] = {
    "front-company-hub": front_company_hub,
    "layered-ownership": layered_ownership,
    "chpl-reexport": chpl_reexport,
    "third-country-payment": third_country_payment,
    "structuring": structuring,
    "forwarder-consignee": forwarder_consignee,
    "falsified-end-use": falsified_end_use,
    "listed-two-hops": listed_two_hops,
}


# ------------------------------------------------------------------------------------ decoys


def hub_distributor(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """An old, well-documented distributor in a hub buying CHPL goods for its own market."""
    country = options.get("country") or rng.choice(("sg", "tr", "in"))
    start = _window(b, rng)
    distributor = b.company(rng, "decoy:hub-distributor", country, role="decoy", word="Electronics",
                            sector="Distribution of electronic components", categories=("electronics",),
                            incorporated=date(rng.randint(1978, 2002), rng.randint(1, 12), 1))
    _local_director(b, rng, "decoy:hub-distributor", distributor, country,
                    date.fromisoformat(b.prop(distributor, "incorporationDate")))
    supplier = _supplier(b, rng, "decoy:hub-supplier", ("electronics",))
    code = _pick_chpl(b, rng, "electronics", ("3", "4"))
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 20_000, 200_000)
    shipment = b.shipment(rng, "decoy:hub-shipment", supplier, distributor, code, start, value=value,
                          currency=currency, quantity=quantity)
    paid = b.payment(rng, "decoy:hub-payment", distributor, supplier, value, currency,
                     start + timedelta(days=rng.randint(0, 30)), f"Invoice {rng.randint(10000, 99999)}")
    document = b.add("documents", "EndUseDocument", "decoy:hub-eud", {
        "documentNumber": f"EUC-{start.year}-{rng.randint(100, 999)}", "issuer": distributor,
        "statedEndUser": distributor, "destinationCountry": country, "coveredShipment": shipment,
        "date": start - timedelta(days=20), "endUse": "resale to local electronics manufacturers",
    })
    return Planted(
        kind="hub-distributor", title="Decoy: an established distributor in a hub",
        description=(f"{b.label(distributor)} has traded since {b.prop(distributor, 'incorporationDate')[:4]}, has a "
                     "website, a local phone, consistent papers, and the goods stayed where they were declared. "
                     "A CHPL shipment to a hub is a reason to look, not proof."),
        entities=[distributor], facts=[shipment], context=[supplier, paid, document],
        detectors=["chpl-to-risky-destination"], steps=[])


def forwarder_with_end_user(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A forwarder as consignee, with the real end user declared on the shipment."""
    country = options.get("country") or rng.choice(("nl", "de", "be"))
    start = _window(b, rng)
    forwarder = b.company(rng, "decoy:forwarder", country, role="decoy", word="Logistics",
                          sector="Freight forwarding and logistics")
    _local_director(b, rng, "decoy:forwarder", forwarder, country, date.fromisoformat(b.prop(forwarder, "incorporationDate")))
    hospital = b.company(rng, "decoy:hospital", country, role="decoy", word="Medical Systems",
                         sector="Medical equipment", categories=("electronics", "instruments"))
    supplier = _supplier(b, rng, "decoy:forwarder-supplier", ("instruments", "electronics"))
    code = _pick_chpl(b, rng, b.parties[supplier].categories[0])
    currency = b.parties[supplier].currency
    value, quantity = b.goods_value(rng, code, currency, 15_000, 150_000)
    shipment = b.shipment(rng, "decoy:forwarder-shipment", supplier, forwarder, code, start, value=value,
                          currency=currency, quantity=quantity, declared_end_user=hospital)
    paid = b.payment(rng, "decoy:forwarder-payment", hospital, supplier, value, currency,
                     start + timedelta(days=rng.randint(0, 30)), f"Invoice {rng.randint(10000, 99999)}")
    return Planted(
        kind="forwarder-with-end-user", title="Decoy: a forwarder with a declared end user",
        description=(f"{b.label(forwarder)} is consignee, but the shipment declares {b.label(hospital)} as end user, "
                     "and the end user paid: a forwarder clearing goods for a named customer is ordinary business."),
        entities=[forwarder], facts=[shipment], context=[supplier, hospital, paid],
        detectors=["intermediary-as-consignee"], steps=[])


def offshore_family_holding(b: CaseBuilder, rng: random.Random, options: dict[str, Any]) -> Planted:
    """A family business held through one disclosed offshore holding."""
    country = options.get("country") or rng.choice(("gb", "de", "nl"))
    haven = options.get("haven") or rng.choice(("bs", "pa"))
    company = b.company(rng, "decoy:family-company", country, role="decoy", word="Furniture",
                        sector="Manufacture of furniture", categories=("furniture",))
    founded = date.fromisoformat(b.prop(company, "incorporationDate"))
    owner = b.person(rng, "decoy:family-owner", country)
    holding = b.company(rng, "decoy:family-holding", haven, role="decoy", word="Family Holdings", website=False,
                        phone=False, incorporated=founded + timedelta(days=3650))
    stakes = [b.ownership("decoy:family-stake", owner, holding, 100, founded + timedelta(days=3650)),
              b.ownership("decoy:family-holding-stake", holding, company, 100, founded + timedelta(days=3660))]
    b.directorship("decoy:family-director", owner, company, founded)
    return Planted(
        kind="offshore-family-holding", title="Decoy: a disclosed offshore family holding",
        description=(f"{b.label(company)} is held by its founder through {b.label(holding)} in "
                     f"{_country_name(haven)}: one layer, the owner on record, a furniture maker with no controlled goods."),
        entities=[holding], facts=stakes, context=[company, owner], detectors=["opaque-ownership"], steps=[])


#: Legitimate look-alikes: a detector fires, the answer is "innocent".
DECOYS: dict[str, Callable[[CaseBuilder, random.Random, dict[str, Any]], Planted]] = {
    "hub-distributor": hub_distributor,
    "forwarder-with-end-user": forwarder_with_end_user,
    "offshore-family-holding": offshore_family_holding,
}


# ------------------------------------------------------------------------------------ bulk payments


def _bulk_transfers(b: CaseBuilder, seed: int, count: int) -> tuple[list[dict[str, Any]], Callable[[], Iterator[dict]]]:
    """Account holders and a generator of ``count`` ordinary transfers among them (benchmarks).

    Holders are plain dicts; transfers are yielded one at a time so that a million of them
    never sit in memory together.
    """
    rng = random.Random(f"{seed}:bulk-holders")
    holders = max(100, min(20_000, count // 50))
    parties: list[dict[str, Any]] = []
    ids = []
    for index in range(holders):
        country = rng.choice(SAFE_COUNTRIES)
        stem = b.stem(rng, COUNTRIES[country][0])
        entity_id = b.make_id("Company", f"bulk:holder:{index}")
        kind, number = b.iban_or_number(rng, country)
        parties.append({"id": entity_id, "schema": "Company", "properties": {
            "name": [f"{stem} {rng.choice(('Services', 'Consulting', 'Properties', 'Partners', 'Media'))} "
                     f"{rng.choice(COUNTRIES[country][4])}"],
            "country": [country], "incorporationDate": [f"{rng.randint(1960, 2015)}-01-01"]}})
        account_id = b.make_id("BankAccount", f"bulk:account:{index}")
        parties.append({"id": account_id, "schema": "BankAccount",
                        "properties": {kind: [number], "country": [country], "currency": ["EUR"]}})
        ids.append((entity_id, account_id))
    start, end = b.period
    span = (end - start).days
    salt = f"{b.scenario.id}:{seed}:bulk:"
    purposes = ("Consulting services", "Rent", "Licence fee", "Maintenance contract", "Advertising", "Insurance premium",
                "Software subscription", "Travel expenses", "Management fee", "Service agreement")
    low, high = math.log(200), math.log(250_000)
    days = [_iso(start + timedelta(days=d)) for d in range(span + 1)]

    def transfers() -> Iterator[dict[str, Any]]:
        stream = random.Random(f"{seed}:bulk-transfers")
        pick, uniform, randrange = stream.choice, stream.uniform, stream.randrange
        for number in range(count):
            payer, beneficiary = pick(ids), pick(ids)
            if payer is beneficiary:
                beneficiary = ids[(ids.index(payer) + 1) % len(ids)]
            amount = math.exp(uniform(low, high))
            if QUIET_BAND[0] <= amount < QUIET_BAND[1]:
                amount *= 1.3
            yield {"id": "pay-" + hashlib.sha1(f"{salt}{number}".encode()).hexdigest()[:14], "schema": "Payment",
                   "properties": {"payer": [payer[0]], "beneficiary": [beneficiary[0]], "amount": [f"{amount:.2f}"],
                                  "currency": ["EUR"], "date": [days[randrange(span + 1)]],
                                  "purpose": [purposes[randrange(len(purposes))]],
                                  "payerAccount": [payer[1]], "beneficiaryAccount": [beneficiary[1]]}}

    return parties, transfers


# ------------------------------------------------------------------------------------ generating


@dataclass
class GeneratedCase:
    """A generated case in memory: entities by source family, the answer, and how it was made."""

    scenario: Scenario
    seed: int
    size: float
    families: dict[str, list[dict[str, Any]]]
    patterns: list[Planted]
    decoys: list[Planted]
    labels: dict[str, str]
    bulk_payments: int = 0
    bulk: Callable[[], Iterator[dict[str, Any]]] | None = None

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Every entity except bulk transfers, sorted by id (the order says nothing about roles)."""
        return sorted((e for family in self.families.values() for e in family), key=lambda e: e["id"])

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for entity in self.entities:
            found[entity["schema"]] += 1
        if self.bulk_payments:
            found["Payment"] += self.bulk_payments
        return dict(sorted(found.items()))

    def dump(self) -> str:
        """The entities as sorted JSON lines: byte-identical for the same scenario, seed and size."""
        return "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in self.entities)

    def key(self, case_id: str | None = None) -> dict[str, Any]:
        """The answer key as JSON-ready data."""
        wanted = {i for p in self.patterns + self.decoys for i in (*p.entities, *p.facts, *p.context)}
        return {
            "format": KEY_FORMAT,
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "seed": self.seed,
            "size": self.size,
            "bulk_payments": self.bulk_payments,
            "case_id": case_id,
            "generated_by": f"workbench {__version__}",
            "period": [_iso(d) for d in self.scenario.period],
            "counts": self.counts(),
            "patterns": [p.to_dict() for p in self.patterns],
            "decoys": [d.to_dict() for d in self.decoys],
            "labels": {i: self.labels[i] for i in sorted(wanted) if i in self.labels},
        }


def generate(scenario: Scenario | str, seed: int = 1, size: float = 1.0, *, payments: int | None = None) -> GeneratedCase:
    """Build a case in memory from a scenario (or its id), a seed and a background size multiplier.

    ``payments``, if given, tops the case up with ordinary transfers among extra account holders
    until it holds that many payments: the benchmark cases of other parts of Workbench.
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    if size < 0:
        raise ValueError("size must not be negative")
    builder = CaseBuilder(scenario, seed)
    build_background(builder, random.Random(f"{seed}:background"), scenario.background, size)
    patterns = []
    for index, spec in enumerate(scenario.patterns, start=1):
        builder.namespace = f"P{index}:"
        planted = PATTERNS[spec["kind"]](builder, random.Random(f"{seed}:pattern:{index}:{spec['kind']}"), spec)
        planted.id = f"P{index}"
        patterns.append(planted)
    decoys = []
    for index, spec in enumerate(scenario.decoys, start=1):
        builder.namespace = f"D{index}:"
        planted = DECOYS[spec["kind"]](builder, random.Random(f"{seed}:decoy:{index}:{spec['kind']}"), spec)
        planted.id = f"D{index}"
        decoys.append(planted)
    builder.namespace = ""
    labels = {entity_id: builder.describe(entity_id) for entity_id in builder.by_id}
    generated = GeneratedCase(scenario, seed, size, builder.families, patterns, decoys, labels)
    if payments:
        missing = payments - builder.count("Payment")
        if missing > 0:
            holders, transfers = _bulk_transfers(builder, seed, missing)
            builder.families["bank"].extend(holders)
            generated.bulk_payments = missing
            generated.bulk = transfers
    return generated


def key_path_for(case_path: str | Path) -> Path:
    """Where the answer key of a case lives: ``CASE.wbcase.key.json`` beside it."""
    path = Path(case_path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    return path.with_name(path.name + ".key.json")


def _records(entities: Iterable[dict[str, Any]], label: str) -> Iterator[Record]:
    for number, entity in enumerate(entities, start=1):
        yield Record(entity, locator=f"{label} row {number}")


def write_case(generated: GeneratedCase, path: str | Path, *, key_path: str | Path | None = None,
               progress: Callable[[str, int], None] | None = None) -> tuple[Path, Path]:
    """Create the case file (one source per kind of record) and the answer key beside it.

    Refuses to overwrite an existing case. Returns ``(case path, key path)``. If anything
    fails, the half-written case is removed.
    """
    scenario = generated.scenario
    title = f"Training: {scenario.title} (seed {generated.seed})"
    case = Case.create(path, title=title)
    case_path = case.path
    try:
        digest = hashlib.sha256(scenario.source_text.encode()).hexdigest() if scenario.source_text else None
        by_family = {family: sorted(entities, key=lambda e: e["id"]) for family, entities in generated.families.items()}
        payments = generated.counts().get("Payment", 0)
        for family, (what, grade) in SOURCES.items():
            entities: Iterable[dict[str, Any]] = by_family.get(family, [])
            total = len(by_family.get(family, []))
            if family == "bank" and generated.bulk is not None:
                entities = _chain(entities, generated.bulk())
                total += generated.bulk_payments
            if not total:
                continue
            source = SourceInfo(
                file_name=f"{scenario.id} {what} (synthetic)", sha256=digest, importer_id="training-generator",
                importer_version=__version__, grade=grade,
                note=(f"Synthetic training data, entirely fictional: {what} generated by `workbench train new "
                      f"{scenario.id} --seed {generated.seed} --size {generated.size:g}"
                      + (f" --payments {payments}" if generated.bulk_payments else "")
                      + "`. Any resemblance to a real party is accidental."),
                options={"scenario": scenario.id, "seed": generated.seed, "size": generated.size, "family": family,
                         "synthetic": True},
            )
            case.ingest(_records(entities, what), source,
                        progress=(lambda done, f=family: progress(f, done)) if progress else None)
        key = generated.key(case_id=case.meta("case_id"))
    except BaseException:
        case.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(case_path) + suffix).unlink(missing_ok=True)
        raise
    case.close()
    key_file = Path(key_path) if key_path else key_path_for(case_path)
    key_file.write_text(json.dumps(key, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return case_path, key_file


def _chain(*iterables: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for iterable in iterables:
        yield from iterable


__all__ = ["CaseBuilder", "DECOYS", "GeneratedCase", "PATTERNS", "Planted", "Scenario", "Step",
           "generate", "key_path_for", "list_scenarios", "load_scenario", "write_case"]
