"""The world training cases are drawn from: countries and their naming styles, goods (CHPL and
ordinary), sectors and end uses, and the small helpers that turn them into names and figures.
"""

from __future__ import annotations

import csv
import random
from datetime import date

from followthemoney.types import registry

from workbench.model import Grade
from workbench.reference import chpl_tiers, column
from workbench.resources import resources_dir

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
WEST_ONSETS = ("Al Ar Ber Bran Cal Cor Dar Dren El Fal Fen Gar Gran Hal Hel Ir Jor Kal Kor Lor Lum Mar Mer Nor "
                "Nev Or Ost Pel Pra Quin Rhe Ros Sol Sten Tor Thal Ul Val Ven Wen Zel Bel Cas Del Est Fin Gil "
                "Hav Lin Mal Mon Nal Per Ral Sel Tal Var").split()
WEST_MIDDLES = "a e i o ra le ne to ve ri".split()
WEST_ENDINGS = ("tex tron dyn vik mar ion ora ant is en ica on ia ark ent ix ova ine ara esta ium ost elle wick "
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


def _goods(chpl: bool) -> dict[str, tuple[str, str, tuple[float, float]]]:
    """``{HS-6: (plain words, unit, (lowest, highest unit price in USD))}`` from
    ``resources/scenarios/goods.csv``, in the file's order, for the CHPL goods or the ordinary ones."""
    def number(text: str) -> float:
        return float(text) if "." in text else int(text)

    with (resources_dir() / "scenarios" / "goods.csv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["hs6"]: (row["description"], row["unit"], (number(row["low"]), number(row["high"])))
                for row in rows if (row["chpl"] == "yes") == chpl}


#: Plain words for the CHPL HS-6 codes the generator uses (the codes themselves come from
#: ``workbench.reference.chpl_tiers()``; a code missing there is never used as CHPL).
CHPL_GOODS = _goods(chpl=True)
ORDINARY_GOODS = _goods(chpl=False)

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
LOADED_WORDS = ("cash", "bank", "trad", "arm", "war", "mil", "gun", "zone", "ship", "cargo")


def pronounceable(word: str) -> bool:
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


def random_digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def iso_day(day: date) -> str:
    return day.isoformat()


def amount_text(value: float) -> str:
    return f"{value:.2f}"


def slug(text: str) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in keep.split("-") if part)


RUSSIAN_WOMEN = frozenset(("Olga", "Irina", "Natalia", "Yelena", "Svetlana", "Tatiana", "Marina", "Galina"))


def country_name(code: str) -> str:
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
