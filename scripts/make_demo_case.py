#!/usr/bin/env python
"""Build the Workbench demo case: a small, entirely FICTIONAL illicit procurement network.

Every company, person, vessel, account, address, phone number, e-mail address, website and
sanctions listing below is invented. Identifiers (IBANs, IMO number) are only syntactically
valid so that FollowTheMoney accepts them; any match with a real-world record is accidental.

The script is deterministic (no randomness, fixed construction order) and writes
``resources/demo/demo.ftm.json``: one FtM entity per line, ``sort_keys=True``.

Run from the repository root:

    /tmp/venv/bin/python scripts/make_demo_case.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from followthemoney.types import registry  # noqa: E402

from workbench.model import EntityProxy, make_entity, model  # noqa: E402

OUTPUT = ROOT / "resources" / "demo" / "demo.ftm.json"

# Dates of events in the case must fall in this window; biographical dates are exempt.
EVENT_YEARS = ("2022", "2023", "2024")
BIOGRAPHICAL_DATES = {"birthDate"}

ENTITIES: list[EntityProxy] = []
_BY_ID: dict[str, EntityProxy] = {}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def entity(schema: str, entity_id: str, **props: object) -> EntityProxy:
    """Create an entity, add properties and fail loudly if FtM's cleaning drops any value.

    ``EntityProxy.add`` silently discards values its type rejects (a malformed phone number,
    an IMO number with a bad check digit ...), so every value is added one by one and checked.
    """
    if entity_id in _BY_ID:
        raise ValueError(f"duplicate id {entity_id}")
    proxy = make_entity(schema, entity_id)
    for name, value in props.items():
        if value is None:
            continue
        prop = proxy.schema.get(name)
        if prop is None:
            raise KeyError(f"{schema} has no property {name!r} (entity {entity_id})")
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, EntityProxy):
                item = item.id
            cleaned = proxy.unsafe_add(prop, str(item))
            if cleaned is None:
                raise ValueError(f"{entity_id}: {schema}.{name} rejected value {item!r}")
    ENTITIES.append(proxy)
    _BY_ID[entity_id] = proxy
    return proxy


def iban(country: str, bban: str) -> str:
    """An IBAN with correct ISO 7064 mod-97 check digits for a (made-up) BBAN."""
    rearranged = bban + country + "00"
    digits = "".join(str(int(ch, 36)) for ch in rearranged.upper())
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bban}"


def imo(first_six: str) -> str:
    """An IMO ship number with a valid check digit."""
    total = sum(int(d) * w for d, w in zip(first_six, range(7, 1, -1)))
    return f"IMO{first_six}{total % 10}"


# --------------------------------------------------------------------------------------------
# addresses (all fictional buildings / suites)
# --------------------------------------------------------------------------------------------

# Mass-registration address of a Hong Kong company-formation agent: several shells share it.
HK_AGENT_ADDRESS = (
    "Unit 1502, 15/F, Golden Lotus Commercial Centre, 233 Lockhart Road, Wan Chai, Hong Kong"
)
SC_AGENT_ADDRESS = "Suite 4, Anse Royale Business Centre, Providence, Mahe, Seychelles"
VG_AGENT_ADDRESS = "Coral Bay Chambers, 2nd Floor, Wickhams Cay II, Road Town, Tortola, BVI"


def build() -> None:
    # ----------------------------------------------------------------------------------------
    # 1. Sanctioned end user, its procurement affiliate and the listed director
    # ----------------------------------------------------------------------------------------
    vostralin = entity(
        "Organization",
        "demo-org-vostralin-institute",
        name="Vostralin Research Institute of Radio-Electronic Systems",
        alias=["NII Vostralin", "FGUP NII Vostralin"],
        country="ru",
        jurisdiction="ru",
        address="ul. Akademika Zvantseva 12, Severoborsk, Moscow Oblast, 141899, Russia",
        sector="Defence research: airborne radar and electronic-warfare systems",
        topics="sanction",
        description=(
            "State research institute developing radar and electronic-warfare payloads for "
            "the armed forces (fictional)."
        ),
    )
    veltsin = entity(
        "Person",
        "demo-person-arkady-veltsin",
        name="Arkady Vasilyevich Veltsin",
        firstName="Arkady",
        fatherName="Vasilyevich",
        lastName="Veltsin",
        nationality="ru",
        birthDate="1961-04-17",
        position="Director General, Vostralin Research Institute",
        topics="sanction",
    )
    tekhsnab = entity(
        "Company",
        "demo-co-tekhsnab-vostralin",
        name="OOO Tekhsnab-Vostralin",
        alias="Techsnab-Vostralin LLC",
        country="ru",
        jurisdiction="ru",
        address="Prospekt Mira 188, office 412, Moscow, 129164, Russia",
        registrationNumber="1227700391846",
        incorporationDate="2022-04-18",
        phone="+7 495 555 0117",
        email="zakupki@tekhsnab-vostralin.example",
        description="Procurement arm of the Vostralin institute (not itself listed).",
    )

    # ----------------------------------------------------------------------------------------
    # 2. People around the network
    # ----------------------------------------------------------------------------------------
    prytkin = entity(
        "Person",
        "demo-person-oleg-prytkin",
        name="Oleg Igorevich Prytkin",
        firstName="Oleg",
        lastName="Prytkin",
        nationality="ru",
        birthDate="1978-11-02",
        address="Ataturk Mahallesi, Girne Caddesi 7/14, Atasehir, Istanbul, Turkey",
    )
    fonsette = entity(
        "Person",
        "demo-person-marie-claire-fonsette",
        name="Marie-Claire Fonsette",
        firstName="Marie-Claire",
        lastName="Fonsette",
        nationality="sc",
        birthDate="1984-07-23",
        address=SC_AGENT_ADDRESS,
        description="Employee of a Seychelles corporate-services provider; serves as nominee.",
    )
    haddadin = entity(
        "Person",
        "demo-person-rami-haddadin",
        name="Rami Khalil Haddadin",
        firstName="Rami",
        lastName="Haddadin",
        nationality="jo",
        birthDate="1986-02-09",
        address="Al Nahda 2, Building 14, Flat 306, Dubai, UAE",
    )
    yalcindag = entity(
        "Person",
        "demo-person-emre-yalcindag",
        name="Emre Yalcindag",
        firstName="Emre",
        lastName="Yalcindag",
        nationality="tr",
        birthDate="1981-05-30",
        address="Bagdat Caddesi 311/5, Kadikoy, Istanbul, Turkey",
    )

    # ----------------------------------------------------------------------------------------
    # 3. Offshore holding layer (secrecy jurisdictions) and Hong Kong shells
    # ----------------------------------------------------------------------------------------
    meridian = entity(
        "Company",
        "demo-co-meridian-pacific-holdings",
        name="Meridian Pacific Holdings Ltd",
        country="sc",
        jurisdiction="sc",
        legalForm="International Business Company",
        registrationNumber="IBC 231847",
        incorporationDate="2022-03-15",
        address=SC_AGENT_ADDRESS,
    )
    northgate = entity(
        "Company",
        "demo-co-northgate-ventures",
        name="Northgate Ventures Limited",
        country="vg",
        jurisdiction="vg",
        legalForm="BVI Business Company",
        registrationNumber="2094417",
        incorporationDate="2022-04-04",
        address=VG_AGENT_ADDRESS,
    )
    orient_delta = entity(
        "Company",
        "demo-co-orient-delta-holdings",
        name="Orient Delta Holdings Limited",
        country="hk",
        jurisdiction="hk",
        registrationNumber="3158702",
        incorporationDate="2022-05-23",
        address=HK_AGENT_ADDRESS,
        phone="+852 3105 6672",
    )

    # ----------------------------------------------------------------------------------------
    # 4. Front companies
    # ----------------------------------------------------------------------------------------
    atlas = entity(
        "Company",
        "demo-co-atlas-crest-trading",
        name="Atlas Crest General Trading FZE",
        alias="Atlas Crest Trading",
        country="ae",
        jurisdiction="ae",
        legalForm="Free Zone Establishment",
        registrationNumber="DAFZA-FZE-22-4471",
        incorporationDate="2022-12-14",
        address="Office 3-114, Building 7W, Dubai Airport Free Zone, Dubai, UAE",
        # registered in the UAE, but the contact number is a Moscow landline
        phone="+7 495 555 0142",
        email="atlascrest.gt2022@gmail.com",
        sector="General trading: electronic components",
    )
    brightwave = entity(
        "Company",
        "demo-co-brightwave-components",
        name="Brightwave Components Limited",
        alias="Brightwave Electronics (HK)",
        country="hk",
        jurisdiction="hk",
        registrationNumber="3261845",
        incorporationDate="2023-04-11",
        address=HK_AGENT_ADDRESS,
        phone="+852 6155 0198",
        email="brightwave.components.hk@outlook.com",
        sector="Trading of electronic components",
    )
    lumen = entity(
        "Company",
        "demo-co-lumen-tech-supply",
        name="Lumen Tech Supply Limited",
        country="hk",
        jurisdiction="hk",
        registrationNumber="3274406",
        incorporationDate="2023-07-11",
        address=HK_AGENT_ADDRESS,
        phone="+852 6155 0198",
        email="lumentech.supply@gmail.com",
    )
    karadeniz = entity(
        "Company",
        "demo-co-karadeniz-elektronik",
        name="Karadeniz Elektronik Dis Ticaret Ltd. Sti.",
        alias="Karadeniz Electronics Foreign Trade",
        country="tr",
        jurisdiction="tr",
        legalForm="Limited Sirketi",
        registrationNumber="412877-5",
        incorporationDate="2022-09-05",
        address="Halkali Merkez Mahallesi, Basin Ekspres Yolu 44/B, Kucukcekmece, Istanbul, Turkey",
        phone="+90 212 555 0175",
        email="karadeniz.distic@mail.ru",
        sector="Import and export of electronic components",
    )

    # ----------------------------------------------------------------------------------------
    # 5. Freight forwarder and legitimate suppliers
    # ----------------------------------------------------------------------------------------
    gulfstar = entity(
        "Company",
        "demo-co-gulfstar-logistics",
        name="Gulfstar Freight & Logistics FZCO",
        country="ae",
        jurisdiction="ae",
        legalForm="Free Zone Company",
        address="Warehouse LOB-17, Jebel Ali Free Zone South, Dubai, UAE",
        phone="+971 4 555 0199",
        email="ops@gulfstar-logistics.example",
        website="https://www.gulfstar-logistics.example",
        sector="Freight forwarding, sea and air consolidation",
    )
    rheinfeld = entity(
        "Company",
        "demo-co-rheinfeld-elektronik",
        name="Rheinfeld Elektronik Vertrieb GmbH",
        country="de",
        jurisdiction="de",
        legalForm="GmbH",
        registrationNumber="HRB 48213",
        address="Industriestrasse 42, 50829 Koeln, Germany",
        phone="+49 221 5550 1840",
        email="export@rheinfeld-elektronik.example",
        website="https://www.rheinfeld-elektronik.example",
        sector="Authorised distributor of semiconductors and memory",
    )
    cascade = entity(
        "Company",
        "demo-co-cascade-signal-devices",
        name="Cascade Signal Devices, Inc.",
        country="us",
        jurisdiction="us",
        legalForm="Corporation",
        address="2200 Foundry Way, Beaverton, OR 97006, USA",
        phone="+1 503 555 0147",
        email="orders@cascadesignal.example",
        website="https://www.cascadesignal.example",
        sector="Manufacturer of FPGAs and RF signal-processing ICs",
    )
    hoshizora = entity(
        "Company",
        "demo-co-hoshizora-denshi",
        name="Hoshizora Denshi K.K.",
        alias="Hoshizora Electronics Co., Ltd.",
        country="jp",
        jurisdiction="jp",
        legalForm="Kabushiki Kaisha",
        address="3-14-7 Shin-Yokohama, Kohoku-ku, Yokohama, Kanagawa 222-0033, Japan",
        phone="+81 45 555 0132",
        email="overseas@hoshizora-denshi.example",
        website="https://www.hoshizora-denshi.example",
        sector="Manufacturer of multilayer ceramic capacitors",
    )

    # ----------------------------------------------------------------------------------------
    # 6. Sanctions listings (fictional) and the vessel
    # ----------------------------------------------------------------------------------------
    ofac = "US Department of the Treasury, Office of Foreign Assets Control"
    entity(
        "Sanction",
        "demo-sanction-vostralin-ofac",
        entity=vostralin,
        authority=ofac,
        program="RUSSIA-EO14024",
        country="us",
        startDate="2022-06-28",
        listingDate="2022-06-28",
        reason="Operating in the defence and related materiel sector of the Russian economy.",
        summary="Fictional listing created for the Workbench demo case.",
    )
    entity(
        "Sanction",
        "demo-sanction-veltsin-ofac",
        entity=veltsin,
        authority=ofac,
        program="RUSSIA-EO14024",
        country="us",
        startDate="2022-09-30",
        listingDate="2022-09-30",
        reason="Leader of the Vostralin Research Institute, a blocked entity.",
        summary="Fictional listing created for the Workbench demo case.",
    )
    kestrel = entity(
        "Vessel",
        "demo-vessel-kestrel-horizon",
        name="Kestrel Horizon",
        previousName="Sea Kestrel",
        imoNumber=imo("948315"),
        mmsi="616999341",
        flag="km",
        pastFlags="pa",
        type="General cargo",
        registrationPort="Moroni",
    )

    # ----------------------------------------------------------------------------------------
    # 7. Directorships
    # ----------------------------------------------------------------------------------------
    def director(person: EntityProxy, org: EntityProxy, slug: str, role: str, start: str) -> None:
        entity(
            "Directorship",
            f"demo-dir-{slug}",
            director=person,
            organization=org,
            role=role,
            startDate=start,
        )

    director(veltsin, vostralin, "veltsin-vostralin", "Director General", "2022-01-10")
    # shared director: the sanctioned institute's procurement affiliate and the Turkish front
    director(prytkin, tekhsnab, "prytkin-tekhsnab", "General Director", "2022-04-18")
    director(prytkin, karadeniz, "prytkin-karadeniz", "Director", "2022-09-05")
    director(haddadin, atlas, "haddadin-atlas-crest", "Manager", "2022-12-14")
    # nominee director sitting on five boards across three jurisdictions
    director(fonsette, meridian, "fonsette-meridian", "Nominee director", "2022-03-15")
    director(fonsette, northgate, "fonsette-northgate", "Nominee director", "2022-04-04")
    director(fonsette, orient_delta, "fonsette-orient-delta", "Nominee director", "2022-05-23")
    director(fonsette, brightwave, "fonsette-brightwave", "Nominee director", "2023-04-11")
    director(fonsette, lumen, "fonsette-lumen", "Nominee director", "2023-07-11")

    # ----------------------------------------------------------------------------------------
    # 8. Ownership: a layered chain ru -> sc -> vg -> ae, a circle sc -> vg -> hk -> sc,
    #    and Brightwave where two listed parties together hold 51 % (OFAC 50 % rule).
    # ----------------------------------------------------------------------------------------
    def owns(owner: EntityProxy, asset: EntityProxy, slug: str, pct: str, start: str,
             role: str | None = None) -> None:
        entity(
            "Ownership",
            f"demo-own-{slug}",
            owner=owner,
            asset=asset,
            percentage=pct,
            startDate=start,
            role=role,
        )

    owns(vostralin, tekhsnab, "vostralin-tekhsnab", "100", "2022-04-18", "Sole participant")
    owns(veltsin, meridian, "veltsin-meridian", "60", "2022-03-15", "Shareholder")
    owns(orient_delta, meridian, "orient-delta-meridian", "40", "2022-06-01", "Shareholder")
    owns(meridian, northgate, "meridian-northgate", "100", "2022-04-04", "Shareholder")
    owns(northgate, orient_delta, "northgate-orient-delta", "100", "2022-05-23", "Shareholder")
    owns(northgate, atlas, "northgate-atlas-crest", "100", "2022-12-14", "Shareholder")
    owns(vostralin, brightwave, "vostralin-brightwave", "25", "2023-04-11", "Shareholder")
    owns(veltsin, brightwave, "veltsin-brightwave", "26", "2023-04-11", "Shareholder")
    owns(fonsette, brightwave, "fonsette-brightwave", "49", "2023-04-11", "Nominee shareholder")
    owns(prytkin, karadeniz, "prytkin-karadeniz", "50", "2022-09-05", "Partner")
    owns(yalcindag, karadeniz, "yalcindag-karadeniz", "50", "2022-09-05", "Partner")

    # ----------------------------------------------------------------------------------------
    # 9. Bank accounts, linked to their holders through Ownership
    # ----------------------------------------------------------------------------------------
    def account(slug: str, holder: EntityProxy, opened: str, **props: object) -> EntityProxy:
        acct = entity("BankAccount", f"demo-acct-{slug}", **props, openingDate=opened)
        owns(holder, acct, f"{slug}-account", "100", opened, "Account holder")
        return acct

    acct_atlas = account(
        "atlas-crest-usd", atlas, "2023-01-09",
        name="Atlas Crest General Trading FZE - USD current account",
        bankName="Gulf Horizon Bank PJSC",
        iban=iban("AE", "0870001047728305561"),
        currency="USD",
        country="ae",
    )
    acct_karadeniz = account(
        "karadeniz-usd", karadeniz, "2022-10-03",
        name="Karadeniz Elektronik - USD account",
        bankName="Bosphorus Trade Bank A.S.",
        iban=iban("TR", "0006400000012983451060"),
        currency="USD",
        country="tr",
    )
    acct_brightwave = account(
        "brightwave-usd", brightwave, "2023-04-26",
        name="Brightwave Components Limited - multi-currency account",
        bankName="Harbourline Commercial Bank Limited",
        accountNumber="398-417206-838",
        currency="USD",
        country="hk",
    )
    acct_tekhsnab = account(
        "tekhsnab-usd", tekhsnab, "2022-05-12",
        name="OOO Tekhsnab-Vostralin - foreign-currency account",
        bankName="KB Ural-Kaspiy Bank JSC",
        accountNumber="40702840500000031842",
        currency="USD",
        country="ru",
    )

    # ----------------------------------------------------------------------------------------
    # 10. Shipments and the end-use document
    # ----------------------------------------------------------------------------------------
    def shipment(slug: str, **props: object) -> EntityProxy:
        return entity("Shipment", f"demo-shp-{slug}", **props)

    # Import into the UAE front from Germany ...
    shp_de_ae = shipment(
        "01-rheinfeld-atlas-crest",
        exporter=rheinfeld,
        consignee=atlas,
        forwarder=gulfstar,
        declaredEndUser=atlas,
        hsCode="854232",
        goodsDescription="DDR4 SDRAM memory ICs, 16 Gbit, industrial temperature grade",
        quantity="12000",
        quantityUnit="pcs",
        amount="268400",
        currency="EUR",
        originCountry="de",
        destinationCountry="ae",
        startDate="2023-03-06",
        endDate="2023-03-10",
        billOfLading="020-48193372",
    )
    # ... re-exported to the sanctioned institute's affiliate nine days after arrival.
    shp_ae_ru_1 = shipment(
        "02-atlas-crest-tekhsnab",
        exporter=atlas,
        consignee=tekhsnab,
        forwarder=gulfstar,
        notifyParty=tekhsnab,
        hsCode="854232",
        goodsDescription="Electronic integrated circuits (memories), 12 000 pcs",
        quantity="12000",
        quantityUnit="pcs",
        amount="402000",
        currency="USD",
        originCountry="ae",
        destinationCountry="ru",
        transitCountries=["eg", "tr"],
        vessel=kestrel,
        startDate="2023-03-19",
        endDate="2023-04-06",
        billOfLading="GSFL-JEA-NVS-230319-04",
    )
    # A US manufacturer ships to the forwarder as consignee; the front is only notify party.
    shp_us_ae = shipment(
        "03-cascade-gulfstar",
        exporter=cascade,
        consignee=gulfstar,
        notifyParty=atlas,
        declaredEndUser=atlas,
        hsCode="854231",
        goodsDescription="Field-programmable gate arrays, 28 nm, 350k logic cells",
        quantity="800",
        quantityUnit="pcs",
        amount="186500",
        currency="USD",
        originCountry="us",
        destinationCountry="ae",
        startDate="2023-06-05",
        endDate="2023-06-08",
        billOfLading="176-93025518",
    )
    shp_ae_ru_2 = shipment(
        "04-atlas-crest-tekhsnab",
        exporter=atlas,
        consignee=tekhsnab,
        forwarder=gulfstar,
        hsCode="854231",
        goodsDescription="Electronic integrated circuits (processors and controllers)",
        quantity="800",
        quantityUnit="pcs",
        amount="291000",
        currency="USD",
        originCountry="ae",
        destinationCountry="ru",
        transitCountries=["ir"],
        startDate="2023-06-17",
        endDate="2023-07-03",
        billOfLading="GSFL-JEA-BND-230617-11",
    )
    # Japanese capacitors through Hong Kong and Turkey.
    shp_jp_hk = shipment(
        "05-hoshizora-brightwave",
        exporter=hoshizora,
        consignee=brightwave,
        declaredEndUser=brightwave,
        hsCode="853224",
        goodsDescription="Multilayer ceramic chip capacitors, 0402, 100 nF, AEC-Q200",
        quantity="2400000",
        quantityUnit="pcs",
        amount="118000",
        currency="USD",
        originCountry="jp",
        destinationCountry="hk",
        startDate="2023-07-10",
        endDate="2023-07-13",
        billOfLading="205-11804736",
    )
    shipment(
        "06-brightwave-karadeniz",
        exporter=brightwave,
        consignee=karadeniz,
        declaredEndUser=karadeniz,
        hsCode="853224",
        goodsDescription="Ceramic capacitors, multilayer",
        quantity="2400000",
        quantityUnit="pcs",
        amount="151000",
        currency="USD",
        originCountry="hk",
        destinationCountry="tr",
        startDate="2023-07-24",
        endDate="2023-07-31",
        billOfLading="160-55310942",
    )
    shipment(
        "07-karadeniz-tekhsnab",
        exporter=karadeniz,
        consignee=tekhsnab,
        hsCode="853224",
        goodsDescription="Fixed capacitors, ceramic dielectric, multilayer",
        quantity="2400000",
        quantityUnit="pcs",
        amount="214000",
        currency="USD",
        originCountry="tr",
        destinationCountry="ru",
        vessel=kestrel,
        startDate="2023-08-09",
        endDate="2023-08-16",
        billOfLading="KHZ-SSX-NVS-230809-02",
    )
    # Small US order paid in structured instalments, then sent straight to the listed institute.
    shipment(
        "08-cascade-brightwave",
        exporter=cascade,
        consignee=brightwave,
        declaredEndUser=brightwave,
        hsCode="854231",
        goodsDescription="Field-programmable gate arrays, radiation-tolerant, evaluation lot",
        quantity="60",
        quantityUnit="pcs",
        amount="39450",
        currency="USD",
        originCountry="us",
        destinationCountry="hk",
        startDate="2023-10-16",
        endDate="2023-10-19",
        billOfLading="176-93318804",
    )
    shipment(
        "09-brightwave-vostralin",
        exporter=brightwave,
        consignee=vostralin,
        hsCode="854231",
        goodsDescription="Integrated circuits, programmable logic",
        quantity="60",
        quantityUnit="pcs",
        amount="71000",
        currency="USD",
        originCountry="hk",
        destinationCountry="ru",
        transitCountries=["cn"],
        startDate="2023-10-30",
        endDate="2023-11-14",
        billOfLading="BWC-HKG-SVO-231030",
    )
    # Legitimate background trade between two unconnected, legitimate firms.
    shipment(
        "10-hoshizora-rheinfeld",
        exporter=hoshizora,
        consignee=rheinfeld,
        declaredEndUser=rheinfeld,
        hsCode="853224",
        goodsDescription="Multilayer ceramic chip capacitors, assorted values, reels",
        quantity="5000000",
        quantityUnit="pcs",
        amount="164000",
        currency="USD",
        originCountry="jp",
        destinationCountry="de",
        startDate="2024-01-15",
        endDate="2024-02-21",
        billOfLading="ONEY-YOK-HAM-240115-7",
    )

    entity(
        "EndUseDocument",
        "demo-eud-atlas-crest-2023-007",
        documentNumber="ACGT-EUC-2023-007",
        issuer=atlas,
        statedEndUser=atlas,
        endUse="civilian telecommunications research",
        destinationCountry="ae",
        date="2023-02-22",
        coveredShipment=shp_de_ae,
        description=(
            "Declares the memory ICs will remain in the UAE for use in Atlas Crest's own "
            "telecommunications laboratory and will not be re-exported."
        ),
    )

    # ----------------------------------------------------------------------------------------
    # 11. Payments
    # ----------------------------------------------------------------------------------------
    def pay(slug: str, payer: EntityProxy, beneficiary: EntityProxy, amount: str,
            currency: str, date: str, purpose: str, payer_account: EntityProxy | None = None,
            beneficiary_account: EntityProxy | None = None) -> None:
        entity(
            "Payment",
            f"demo-pay-{slug}",
            payer=payer,
            beneficiary=beneficiary,
            payerAccount=payer_account,
            beneficiaryAccount=beneficiary_account,
            amount=amount,
            currency=currency,
            date=date,
            purpose=purpose,
        )

    # Russian affiliate funds the Turkish front ...
    pay("01-tekhsnab-karadeniz", tekhsnab, karadeniz, "310000", "USD", "2023-02-20",
        "Advance payment, contract KE-TS/2023-04, electronic components",
        acct_tekhsnab, acct_karadeniz)
    # ... which pays the German distributor for goods consigned to the UAE front
    # (third-party, third-country payer).
    pay("02-karadeniz-rheinfeld", karadeniz, rheinfeld, "268400", "EUR", "2023-02-27",
        "Invoice RE-2023-01187, buyer Atlas Crest General Trading FZE",
        acct_karadeniz)
    # Rapid pass-through: 640k in on 15 May, 633.5k out by 17 May.
    pay("03-tekhsnab-atlas-crest", tekhsnab, atlas, "640000", "USD", "2023-05-15",
        "Payment for goods, contract AC-TS/2023-02",
        acct_tekhsnab, acct_atlas)
    pay("04-atlas-crest-cascade", atlas, cascade, "186500", "USD", "2023-05-16",
        "Prepayment PO AC-2305-118, FPGA devices",
        acct_atlas)
    pay("05-atlas-crest-brightwave", atlas, brightwave, "447000", "USD", "2023-05-17",
        "Purchase of electronic components",
        acct_atlas, acct_brightwave)
    pay("06-brightwave-hoshizora", brightwave, hoshizora, "118000", "USD", "2023-06-28",
        "Prepayment proforma HD-PI-23-0611, MLCC",
        acct_brightwave)
    # Structuring: four payments just under USD 10,000 from two shells at one address.
    pay("07-brightwave-cascade", brightwave, cascade, "9850", "USD", "2023-09-25",
        "PO BW-0917 part payment", acct_brightwave)
    pay("08-lumen-cascade", lumen, cascade, "9920", "USD", "2023-09-26",
        "PO BW-0917 part payment")
    pay("09-brightwave-cascade", brightwave, cascade, "9780", "USD", "2023-09-28",
        "PO BW-0917 part payment", acct_brightwave)
    pay("10-lumen-cascade", lumen, cascade, "9900", "USD", "2023-10-02",
        "PO BW-0917 balance")
    # Circular flow: UAE -> Hong Kong -> Seychelles -> back to UAE.
    pay("11-atlas-crest-orient-delta", atlas, orient_delta, "150000", "USD", "2023-11-06",
        "Consultancy services Q3", acct_atlas)
    pay("12-orient-delta-meridian", orient_delta, meridian, "148500", "USD", "2023-11-08",
        "Dividend advance")
    pay("13-meridian-atlas-crest", meridian, atlas, "147000", "USD", "2023-11-13",
        "Shareholder loan", None, acct_atlas)


# --------------------------------------------------------------------------------------------
# validation and output
# --------------------------------------------------------------------------------------------


def validate() -> None:
    for proxy in ENTITIES:
        assert proxy.id and proxy.id.startswith("demo-"), proxy.id
        assert proxy.schema is not None and not proxy.schema.abstract, proxy.id
        # round-trip through FtM to make sure the serialised form is a valid entity
        again = model.get_proxy(proxy.to_dict(), cleaned=False)
        assert again.schema == proxy.schema, proxy.id
        assert again.to_dict() == proxy.to_dict(), proxy.id
        for prop, value in proxy.itervalues():
            if prop.type == registry.entity:
                target = _BY_ID.get(value)
                assert target is not None, f"{proxy.id}.{prop.name} -> missing {value}"
                assert target.schema.is_a(prop.range), (
                    f"{proxy.id}.{prop.name} -> {value} is {target.schema.name}, "
                    f"not a {prop.range.name}"
                )
            elif prop.type == registry.date and prop.name not in BIOGRAPHICAL_DATES:
                assert value[:4] in EVENT_YEARS, f"{proxy.id}.{prop.name} = {value}"
        for name in proxy.schema.required:
            assert proxy.get(name), f"{proxy.id} lacks required {name}"
    assert 50 <= len(ENTITIES) <= 75, len(ENTITIES)


def main() -> None:
    build()
    validate()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8") as fh:
        for proxy in ENTITIES:
            fh.write(json.dumps(proxy.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
    counts = Counter(proxy.schema.name for proxy in ENTITIES)
    print(f"wrote {len(ENTITIES)} entities to {OUTPUT.relative_to(ROOT)}")
    for name, count in sorted(counts.items()):
        print(f"  {name:<16} {count}")


if __name__ == "__main__":
    main()
