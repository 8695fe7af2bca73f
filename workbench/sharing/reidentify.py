"""Re-identification: the originals put back into an export, or a partner's reply, with the key."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.model.spreadsheet import spreadsheet_safe, starts_a_formula
from workbench.sharing.keys import PSEUDONYM_PATTERN, SharingKey
from workbench.store import CaseError


# ---------------------------------------------------------------------------------- re-identification


@dataclass
class ReidentifyReport:
    output: Path
    restored: int = 0
    distinct: int = 0
    unknown: set[str] = field(default_factory=set)  # pseudonym-shaped strings this key never issued


def _reidentify_text(text: str, key: SharingKey, report: ReidentifyReport, seen: set[str]) -> str:
    def restore(match: re.Match) -> str:
        original = key.original(match.group(0))
        if original is None:
            report.unknown.add(match.group(0))
            return match.group(0)
        report.restored += 1
        seen.add(match.group(0))
        return original

    return PSEUDONYM_PATTERN.sub(restore, text)


def reidentify(path: str | Path, key_path: str | Path, output: str | Path | None = None) -> ReidentifyReport:
    """Put the originals back into a de-identified export, or any file that quotes its pseudonyms.

    Reads ``.xlsx`` workbooks cell by cell, JSON (lines) value by value, CSV cell by cell and
    anything else as text; writes ``output`` (default: ``NAME.reidentified.SUFFIX`` beside it).
    Coarsened dates stay coarse: they were never pseudonyms.
    """
    path = Path(path)
    key = SharingKey.open(key_path, create=False)
    if output is None:
        suffixes = "".join(path.suffixes) or ""
        stem = path.name[: len(path.name) - len(suffixes)] if suffixes else path.name
        output = path.with_name(f"{stem}.reidentified{suffixes}")
    output = Path(output)
    if output.resolve() == path.resolve():
        raise CaseError(f"{output}: choose another file for the re-identified copy")
    report = ReidentifyReport(output)
    seen: set[str] = set()
    suffix = path.suffix.lower()

    def restore_json(value: Any) -> Any:
        if isinstance(value, str):
            return _reidentify_text(value, key, report, seen)
        if isinstance(value, list):
            return [restore_json(item) for item in value]
        if isinstance(value, dict):
            return {restore_json(k): restore_json(v) for k, v in value.items()}
        return value

    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path)
        for worksheet in workbook.worksheets:
            for row in worksheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        restored = _reidentify_text(cell.value, key, report, seen)
                        if restored != cell.value:
                            cell.value = restored
                            if starts_a_formula(restored):
                                cell.data_type = "s"  # an original put back is text, never a formula
        workbook.save(output)
    elif suffix in (".json", ".jsonl", ".ijson", ".ndjson"):
        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError:
            lines = [json.dumps(restore_json(json.loads(line)), ensure_ascii=False) if line.strip() else line
                     for line in text.splitlines()]
            output.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
        else:
            output.write_text(json.dumps(restore_json(document), ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
    elif suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" else ","
        with path.open(encoding="utf-8", newline="") as source, output.open("w", encoding="utf-8",
                                                                            newline="") as target:
            writer = csv.writer(target, delimiter=delimiter)
            for row in csv.reader(source, delimiter=delimiter):
                restored = [_reidentify_text(cell, key, report, seen) for cell in row]
                # An original put back where a pseudonym stood must not become a formula.
                writer.writerow([spreadsheet_safe(new) if new != old else new for new, old in zip(restored, row)])
    else:
        output.write_text(_reidentify_text(path.read_text(encoding="utf-8"), key, report, seen), encoding="utf-8")
    report.distinct = len(seen)
    return report
