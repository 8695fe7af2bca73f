"""Ingest N FtM Payment entities with full provenance; compare with a flat sqlite-utils load.

    python tests/benchmarks/bench_ingest.py [--size 1000000]

Prints entities per second for both and their ratio (the issue's goal: within 3x of the flat
load), then the time to open the resulting case and compute `info`, in-process and as a fresh
`workbench info` command. Both loads use the same pre-built rows, so the ratio compares storage
work only.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

from workbench.model import Record, SourceInfo, parse_grade
from workbench.store import Case


def build_rows(size: int, accounts: int = 20_000, seed: int = 7):
    rng = random.Random(seed)
    entities, flat = [], []
    for n in range(size):
        payer, beneficiary = rng.randrange(accounts), rng.randrange(accounts)
        amount = f"{rng.randrange(100, 5_000_000) / 100:.2f}"
        date = f"20{rng.randrange(15, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        purpose = f"invoice {n % 9973}"
        entity_id = f"pay-{n:08d}"
        properties = {
            "payer": [f"acct-{payer:05d}"],
            "beneficiary": [f"acct-{beneficiary:05d}"],
            "amount": [amount],
            "currency": ["USD"],
            "date": [date],
            "purpose": [purpose],
        }
        locator = f"tx.csv row {n + 2}"
        entities.append(Record({"id": entity_id, "schema": "Payment", "properties": properties}, locator=locator))
        flat.append(
            {
                "id": entity_id,
                "payer": properties["payer"][0],
                "beneficiary": properties["beneficiary"][0],
                "amount": amount,
                "currency": "USD",
                "date": date,
                "purpose": purpose,
                "locator": locator,
            }
        )
    return entities, flat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()

    print(f"building {args.size:,} payments in memory ...", flush=True)
    entities, flat = build_rows(args.size)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)

        started = time.perf_counter()
        flat_db = sqlite_utils.Database(folder / "flat.db")
        flat_db["payments"].insert_all(flat, pk="id")
        flat_seconds = time.perf_counter() - started
        flat_db.close()

        case = Case.create(folder / "bench.wbcase")
        started = time.perf_counter()
        report = case.ingest(
            entities,
            SourceInfo(file_name="tx.csv", importer_id="bench", importer_version="1", grade=parse_grade("B2")),
        )
        ingest_seconds = time.perf_counter() - started
        case.close()

        started = time.perf_counter()
        with Case.open(folder / "bench.wbcase", readonly=True) as reopened:
            info = reopened.info()
        info_seconds = time.perf_counter() - started

        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench", "info", str(folder / "bench.wbcase")], check=True,
                       capture_output=True)
        command_seconds = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench", "--version"], check=True, capture_output=True)
        startup_seconds = time.perf_counter() - started

        size_mb = (folder / "bench.wbcase").stat().st_size / 1e6
        flat_mb = (folder / "flat.db").stat().st_size / 1e6

    print(f"flat sqlite-utils insert_all : {flat_seconds:8.1f} s  {args.size / flat_seconds:>10,.0f} rows/s  {flat_mb:,.0f} MB")
    print(
        f"Case.ingest with provenance  : {ingest_seconds:8.1f} s  {args.size / ingest_seconds:>10,.0f} entities/s"
        f"  {size_mb:,.0f} MB  ({report.statements:,} statements, {report.edges:,} edges)"
    )
    print(f"ratio ingest / flat          : {ingest_seconds / flat_seconds:8.2f}x   (goal: <= 3x)")
    print(f"open + info in-process       : {info_seconds:8.3f} s  ({info['entities']:,} entities)")
    print(f"`workbench info` command     : {command_seconds:8.3f} s  (interpreter start-up alone: {startup_seconds:.3f} s)")


if __name__ == "__main__":
    main()
