"""Import a 120,000-row transaction CSV shaped like AMLSim's tx.csv through a mapping.

    python tests/benchmarks/bench_mapped_import.py [--rows 120000]

Measured in the same run, on the same file:
  * `sqlite-utils insert --csv` (the plain load; the issue's goal is within 3x of it),
  * FollowTheMoney's own mapping engine (`model.map_entities`, what `ftm map` runs), mapping only,
    nothing stored,
  * `workbench import` through the mapped-table importer, with full provenance.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from workbench.importing import import_file
from workbench.model import model
from workbench.store import Case

# The mapping the tests use, from their module (which imports the tests' shared helpers from tests/).
sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "plugins"), str(Path(__file__).resolve().parents[1])]
from test_mapped_table import TX_MAPPING  # noqa: E402  (the mapping the tests use on the real tx.csv)


def write_transactions(path: Path, rows: int, accounts: int = 20_000, seed: int = 3) -> None:
    rng = random.Random(seed)
    kinds = ["CHECK", "CREDIT", "WIRE", "DEPOSIT", "CASH", "TRANSFER"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("TXN_ID,ACCOUNT_ID,COUNTER_PARTY_ACCOUNT_NUM,TXN_SOURCE_TYPE_CODE,tx_count,TXN_AMOUNT_ORIG,start,end\n")
        for n in range(rows):
            step = n // 400 + 1
            handle.write(
                f"{n + 1},{rng.randrange(accounts)},{rng.randrange(accounts)},{rng.choice(kinds)},1,"
                f"{rng.randrange(100, 2_000_000) / 100:.2f},{step},{step}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=120_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        table = folder / "tx.csv"
        write_transactions(table, args.rows)

        sqlite_utils_cli = shutil.which("sqlite-utils") or str(Path(sys.executable).parent / "sqlite-utils")
        started = time.perf_counter()
        subprocess.run([sqlite_utils_cli, "insert", str(folder / "flat.db"), "tx", str(table), "--csv"], check=True)
        flat_seconds = time.perf_counter() - started

        started = time.perf_counter()
        mapped = sum(1 for _ in model.map_entities({**TX_MAPPING, "csv_url": str(table)}))
        ftm_seconds = time.perf_counter() - started

        # The `ftm map` command itself: mapping plus writing entities as JSON lines.
        spec_file = folder / "mapping.yml"
        spec_file.write_text(yaml.safe_dump({"bench": {"queries": [{**TX_MAPPING, "csv_url": str(table)}]}}))
        ftm_cli = shutil.which("ftm") or str(Path(sys.executable).parent / "ftm")
        started = time.perf_counter()
        with (folder / "mapped.ftm.json").open("w") as out:
            subprocess.run([ftm_cli, "map", str(spec_file)], check=True, stdout=out)
        ftm_cli_seconds = time.perf_counter() - started

        started = time.perf_counter()
        with Case.create(folder / "bench.wbcase") as case:
            outcome = import_file(case, table, importer_id="mapped-table", options={"mapping": TX_MAPPING})
        import_seconds = time.perf_counter() - started

    report = outcome.report
    rows = args.rows
    print(f"sqlite-utils insert --csv     : {flat_seconds:7.1f} s  {rows / flat_seconds:>9,.0f} rows/s")
    print(f"FtM map_entities (map only)   : {ftm_seconds:7.1f} s  {rows / ftm_seconds:>9,.0f} rows/s  ({mapped:,} entities, not stored)")
    print(f"`ftm map` command             : {ftm_cli_seconds:7.1f} s  {rows / ftm_cli_seconds:>9,.0f} rows/s  (map + JSON out)")
    print(
        f"workbench import (mapped)     : {import_seconds:7.1f} s  {rows / import_seconds:>9,.0f} rows/s  "
        f"({report.entities:,} entities, {report.statements:,} values, {report.edges:,} links)"
    )
    print(f"ratio import / sqlite-utils   : {import_seconds / flat_seconds:7.2f}x  (goal: <= 3x)")
    print(f"ratio import / `ftm map`      : {import_seconds / ftm_cli_seconds:7.2f}x  (goal: < 1x)")
    print(f"ratio import / FtM map_entities: {import_seconds / ftm_seconds:6.2f}x  (mapping in-process, nothing stored)")


if __name__ == "__main__":
    main()
