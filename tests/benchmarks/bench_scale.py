"""Cost as the case grows: the mapped import and `workbench detect` on AMLSim-shaped cases of
about 120k, 500k and 2M payments, time and peak memory, against `sqlite-utils insert --csv`.

    python tests/benchmarks/bench_scale.py [--sizes 120k,500k,2M] [--sample DIR_OR_TGZ]
                                           [--keep DIR] [--no-detect]
                                           [--findings-out FILE] [--findings-compare FILE]

The transfers of one of IBM's published AMLSim simulations (``shared/data/amlsim_20k``,
20,000 accounts and about 118,000 transfers; ``20K_fanin200`` unless ``--sample`` says
otherwise) are written N times over with new account numbers (copy k adds k x 20,000 to each
account number), so a case of N copies has N x 20,000 accounts and N x 118,000 payments with
AMLSim's own shape in each copy. Each size is the nearest whole number of copies.

For each size, each step runs as its own child process (what an analyst runs), and the figures
are that process's wall time, CPU time (user + system: on a shared machine the steadier figure,
and the one the per-100k and scaling figures use) and peak resident memory (``ru_maxrss`` from
``wait4``, which counts the detector workers it forks and waits for):

* ``sqlite-utils insert --csv`` of the same file: the baseline, measured in the same run;
* ``workbench new`` then ``workbench import CASE tx.csv --mapping mapping.yml``: accounts as
  LegalEntity, each row one Payment with payer, beneficiary, amount, date (the mapping the
  AMLSim tests use);
* ``workbench detect CASE --time-limit 0``: every detector with its defaults.

``--findings-out FILE`` writes the findings of the first size (detector, entities, evidence,
score, explanation) as JSON; ``--findings-compare FILE`` checks the first size's findings
against such a file and says which differ: the same findings before and after a change.

Figures only: nothing here asserts a time or a size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SAMPLE = ROOT.parent / "shared" / "data" / "amlsim_20k" / "20K_fanin200.tgz"
if not DEFAULT_SAMPLE.exists():
    DEFAULT_SAMPLE = Path("/work/shared/data/amlsim_20k/20K_fanin200.tgz")
BASE_DATE = date(2024, 1, 1)

sys.path.insert(0, str(ROOT / "tests" / "plugins"))
from test_detectors_amlsim import DATED_TX_MAPPING  # noqa: E402  (the mapping the AMLSim tests use)


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    factor = 1
    if text.endswith("k"):
        factor, text = 1_000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    return int(float(text) * factor)


def sample_transfers(sample: Path, work: Path) -> tuple[list[tuple[int, int, str, int]], int]:
    """(payer, payee, amount, step) of each AMLSim transfer, and the number of accounts."""
    if sample.is_file():
        with tarfile.open(sample) as archive:
            archive.extractall(work / "sample", filter="data")
        sample = next(p.parent for p in (work / "sample").rglob("transactions.csv"))
    with (sample / "transactions.csv").open(newline="") as handle:
        transfers = [(int(row["sourceNodeId"]), int(row["targetNodeId"]), row["value"], int(float(row["time"])))
                     for row in csv.DictReader(handle)]
    with (sample / "nodes.csv").open(newline="") as handle:
        accounts = sum(1 for _ in csv.DictReader(handle))
    return transfers, accounts


def write_case_table(path: Path, transfers, accounts: int, copies: int) -> int:
    """The transfers ``copies`` times over, each copy with its own account numbers."""
    days = {}
    rows = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["TXN_ID", "ACCOUNT_ID", "COUNTER_PARTY_ACCOUNT_NUM", "TXN_SOURCE_TYPE_CODE",
                         "TXN_AMOUNT_ORIG", "DATE"])
        for copy in range(copies):
            offset = copy * accounts
            for payer, payee, amount, step in transfers:
                rows += 1
                day = days.get(step)
                if day is None:
                    day = days[step] = (BASE_DATE + timedelta(days=step)).isoformat()
                writer.writerow([rows, payer + offset, payee + offset, "TRANSFER", amount, day])
    return rows


def run_child(command: list[str], log: Path) -> tuple[float, float, float]:
    """Run ``command``; its wall seconds, CPU seconds (user + system) and peak resident memory in
    MB, counting itself and the processes it waited for (detector workers)."""
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(("\n$ " + " ".join(command) + "\n").encode())
        out.flush()
        process = subprocess.Popen(command, stdout=out, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}; see {log}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


class Figures(dict):
    """A size's figures by step, each printed as soon as it is measured (a long run may be cut short)."""

    def __init__(self, rows: int, accounts: int):
        super().__init__()
        self.rows, self.accounts = rows, accounts

    def __setitem__(self, step: str, value: tuple[float, float, float]) -> None:
        super().__setitem__(step, value)
        seconds, cpu, peak = value
        flat = self.get("sqlite-utils insert --csv")
        ratio = f"{seconds / flat[0]:6.2f}x ({cpu / flat[1]:5.2f}x)" if flat else f"{'':>21}"
        print(f"{self.rows:>10,} {self.accounts:>9,} | {step:<26} {seconds:8.1f} {cpu:8.1f} {peak:8.0f} "
              f"{cpu / self.rows * 100_000:10.2f} {ratio:>21}", flush=True)


def finding_keys(case_path: Path) -> set[str]:
    from workbench.store import Case

    with Case.open(case_path, readonly=True) as case:
        return {
            json.dumps({"detector": f["detector_id"], "severity": f["severity"], "score": round(f["score"], 6),
                        "explanation": f["explanation"],
                        "entities": sorted(f["evidence"].get("entities", [])),
                        "evidence": sorted(f["evidence"].get("evidence", []))}, sort_keys=True)
            for f in case.findings()
        }


def compare_findings(now: set[str], path: Path) -> bool:
    before = set(json.loads(path.read_text()))
    only_before, only_now = sorted(before - now), sorted(now - before)
    print(f"findings compared with {path}: {len(before):,} before, {len(now):,} now, "
          f"{len(only_before):,} only before, {len(only_now):,} only now")
    for label, items in (("only before", only_before), ("only now", only_now)):
        for item in items[:10]:
            print(f"  {label}: {item[:300]}")
    return not only_before and not only_now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="120k,500k,2M", help="payments per case, comma-separated (k, M)")
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help="AMLSim folder or .tgz")
    parser.add_argument("--keep", type=Path, help="keep the tables and cases in this folder")
    parser.add_argument("--no-detect", action="store_true", help="import only")
    parser.add_argument("--no-baseline", action="store_true", help="skip sqlite-utils")
    parser.add_argument("--findings-out", type=Path, help="write the first size's findings here (JSON)")
    parser.add_argument("--findings-compare", type=Path, help="compare the first size's findings with this file")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]

    python = sys.executable
    bin_dir = Path(python).parent
    sqlite_utils_cli = str(bin_dir / "sqlite-utils") if (bin_dir / "sqlite-utils").exists() else shutil.which("sqlite-utils")
    temporary = None if args.keep else tempfile.TemporaryDirectory()
    work = args.keep or Path(temporary.name)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench_scale.log"
    transfers, accounts = sample_transfers(args.sample, work)
    mapping = work / "mapping.yml"
    mapping.write_text(yaml.safe_dump(DATED_TX_MAPPING))
    print(f"sample {args.sample.name}: {len(transfers):,} transfers, {accounts:,} accounts; log in {log}")
    header = (f"{'payments':>10} {'accounts':>9} | {'step':<26} {'seconds':>8} {'CPU s':>8} {'peak MB':>8} "
              f"{'CPU s/100k':>10} {'x sqlite-utils (CPU)':>21}")
    results = []
    same = True
    for index, size in enumerate(sizes):
        copies = max(1, round(size / len(transfers)))
        table = work / f"tx_{copies}.csv"
        rows = write_case_table(table, transfers, accounts, copies)
        print(f"\n== {rows:,} payments, {copies * accounts:,} accounts ({copies} cop{'y' if copies == 1 else 'ies'})",
              flush=True)
        figures = Figures(rows, copies * accounts)
        print(header, flush=True)
        if not args.no_baseline:
            flat = work / f"flat_{copies}.db"
            flat.unlink(missing_ok=True)
            figures["sqlite-utils insert --csv"] = run_child([sqlite_utils_cli, "insert", str(flat), "tx", str(table),
                                                              "--csv"], log)
            flat.unlink(missing_ok=True)
        case = work / f"scale_{copies}.wbcase"
        case.unlink(missing_ok=True)
        run_child([python, "-m", "workbench", "new", str(case)], log)
        figures["workbench import (mapped)"] = run_child(
            [python, "-m", "workbench", "import", str(case), str(table), "--mapping", str(mapping)], log)
        if not args.no_detect:
            figures["workbench detect (all)"] = run_child(
                [python, "-m", "workbench", "detect", str(case), "--time-limit", "0"], log)
        for step, (seconds, cpu, peak) in figures.items():
            results.append((rows, step, cpu, peak))
        if index == 0 and not args.no_detect and (args.findings_out or args.findings_compare):
            keys = finding_keys(case)
            if args.findings_out:
                args.findings_out.write_text(json.dumps(sorted(keys), indent=0))
                print(f"{len(keys):,} findings written to {args.findings_out}")
            if args.findings_compare:
                same = compare_findings(keys, args.findings_compare)
        if not args.keep:
            case.unlink(missing_ok=True)
            table.unlink(missing_ok=True)

    if len(sizes) > 1:
        print("\n== CPU time per 100k payments, largest size against the smallest")
        smallest, largest = results[0][0], results[-1][0]
        for step in dict.fromkeys(step for _, step, _, _ in results):
            small = next(s / r for r, st, s, _ in results if st == step and r == smallest)
            large = next(s / r for r, st, s, _ in results if st == step and r == largest)
            print(f"  {step:<26} {large / small:5.2f}x  ({small * 1e5:.2f} -> {large * 1e5:.2f} s per 100k)")
    if temporary:
        temporary.cleanup()
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
