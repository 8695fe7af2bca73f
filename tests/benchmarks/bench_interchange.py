"""Export and re-import a synthetic case in every interchange format; networkx as the baseline.

    python tests/benchmarks/bench_interchange.py [--parties 10000] [--links 30000] [--formats gexf,graphml]

Builds a real case in a temporary folder: ``--parties`` companies and people with a few
properties each, and ``--links`` relationship entities between them (payments with amount,
currency and date; ownerships with a percentage; directorships; unknown links), ingested
through ``Case.ingest``. Then, for each exporter found (``workbench.plugin_api.exporters``;
formats whose plugin is not there yet are simply absent), times:

* export: ``Exporter.write`` of the whole case;
* read: the importer chosen for the written file (``choose_importer``), records only;
* import: ``import_file`` into a new, empty case (read plus the host's ingest).

The baseline is networkx's own ``write_gexf`` / ``read_gexf`` of the same graph (same nodes,
edges and attribute values, built in memory beforehand and not timed), run in the same
process; networkx's GraphML pair is printed too. Ratios are ours / networkx: below 1 is faster.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import networkx as nx

from workbench.importing import import_file
from workbench.model import Record, SourceInfo, parse_grade
from workbench.plugin_api import choose_importer, exporters
from workbench.store import Case

COUNTRIES = ("ae", "cn", "de", "gb", "hk", "ir", "kp", "my", "ru", "sg", "tr", "us")


def build_records(parties: int, links: int, seed: int = 5) -> list[Record]:
    """Parties (two companies for each person) and relationships between them."""
    rng = random.Random(seed)
    records = []
    people, companies = [], []
    for n in range(parties):
        country = rng.choice(COUNTRIES)
        if n % 3 == 2:
            entity_id = f"person-{n:06d}"
            people.append(entity_id)
            properties = {"name": [f"Person {n:06d}"], "nationality": [country],
                          "birthDate": [f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}"]}
            records.append(Record({"id": entity_id, "schema": "Person", "properties": properties}))
        else:
            entity_id = f"company-{n:06d}"
            companies.append(entity_id)
            properties = {"name": [f"Company {n:06d} Trading", f"Co {n:06d}"], "jurisdiction": [country],
                          "registrationNumber": [f"RN{rng.randrange(10**8):08d}"],
                          "address": [f"{rng.randrange(1, 300)} Harbour Road\nUnit {rng.randrange(1, 40)}"]}
            records.append(Record({"id": entity_id, "schema": "Company", "properties": properties}))
    everyone = people + companies
    for n in range(links):
        kind = n % 8
        if kind < 4:
            properties = {"payer": [rng.choice(everyone)], "beneficiary": [rng.choice(everyone)],
                          "amount": [f"{rng.randrange(100, 5_000_000) / 100:.2f}"], "currency": ["USD"],
                          "date": [f"20{rng.randrange(15, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"],
                          "purpose": [f"invoice {n % 9973} & freight <sea>"]}
            schema = "Payment"
        elif kind < 6:
            properties = {"owner": [rng.choice(everyone)], "asset": [rng.choice(companies)],
                          "percentage": [str(rng.randrange(1, 100))], "startDate": [f"20{rng.randrange(10, 24)}"]}
            schema = "Ownership"
        elif kind == 6:
            properties = {"director": [rng.choice(people)], "organization": [rng.choice(companies)],
                          "role": ["Director"]}
            schema = "Directorship"
        else:
            properties = {"subject": [rng.choice(everyone)], "object": [rng.choice(everyone)],
                          "role": ["shares an address with"]}
            schema = "UnknownLink"
        records.append(Record({"id": f"{schema.lower()}-{n:06d}", "schema": schema, "properties": properties}))
    return records


def networkx_graph(records: list[Record]) -> nx.MultiDiGraph:
    """The same graph for networkx: properties as attributes (multi-valued joined), links as edges."""
    from workbench.model import model

    graph = nx.MultiDiGraph()
    for record in records:
        entity = record.entity
        schema = model.get(entity["schema"])
        attributes = {name: "; ".join(values) for name, values in entity["properties"].items()}
        if schema.edge:
            source = attributes.pop(schema.source_prop.name)
            target = attributes.pop(schema.target_prop.name)
            graph.add_edge(source, target, key=entity["id"], id=entity["id"], ftm_schema=schema.name, **attributes)
        else:
            graph.add_node(entity["id"], label=entity["properties"]["name"][0], ftm_schema=schema.name, **attributes)
    return graph


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=30_000)
    parser.add_argument("--formats", help="comma-separated --format names (default: every exporter found)")
    args = parser.parse_args()

    records = build_records(args.parties, args.links)
    graph = networkx_graph(records)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        case = Case.create(folder / "bench.wbcase")
        ingest_seconds, _ = timed(lambda: case.ingest(
            records, SourceInfo(file_name="synthetic", importer_id="bench", grade=parse_grade("B2"))))
        print(f"case: {args.parties:,} parties + {args.links:,} relationships, ingested in {ingest_seconds:.2f} s")

        baseline = {}
        for name, write, read in (("gexf", nx.write_gexf, nx.read_gexf),
                                  ("graphml", nx.write_graphml, nx.read_graphml)):
            path = folder / f"networkx.{name}"
            write_seconds, _ = timed(lambda: write(graph, path))
            read_seconds, _ = timed(lambda: read(path))
            baseline[name] = (write_seconds, read_seconds)
            print(f"networkx {name:<8} write {write_seconds:6.2f} s   read {read_seconds:6.2f} s   "
                  f"{path.stat().st_size / 1e6:6.1f} MB")
        nx_write, nx_read = baseline["gexf"]

        wanted = set(args.formats.split(",")) if args.formats else None
        print(f"\n{'format':<15}{'export s':>9}{'x nx':>7}{'read s':>9}{'x nx':>7}{'import s':>10}{'x nx':>7}"
              f"{'MB':>7}  entities back in the new case")
        for exporter in sorted(exporters(), key=lambda plugin: plugin.format or plugin.id):
            format_name = exporter.format or exporter.id
            if wanted is not None and format_name not in wanted:
                continue
            path = folder / f"bench{exporter.file_suffix or '.' + format_name}"
            export_seconds, report = timed(lambda: exporter().write(case, path))
            row = f"{format_name:<15}{export_seconds:9.2f}{export_seconds / nx_write:7.2f}"
            try:
                importer_class = choose_importer(path)
            except LookupError:
                print(row + "   (no importer reads this file back)")
                continue
            read_seconds, count = timed(lambda: sum(1 for _ in importer_class().read(path)))
            target = Case.create(folder / f"back-{format_name}.wbcase")
            import_seconds, outcome = timed(lambda: import_file(target, path, importer_id=importer_class.id))
            back = outcome.report.entities if outcome.report else 0
            target.close()
            print(row + f"{read_seconds:9.2f}{read_seconds / nx_read:7.2f}{import_seconds:10.2f}"
                  f"{import_seconds / nx_read:7.2f}{path.stat().st_size / 1e6:7.1f}  {back:,} "
                  f"(export said {report.get('entities', 0):,}; {importer_class.id}, {count:,} records)")
        case.close()


if __name__ == "__main__":
    main()
