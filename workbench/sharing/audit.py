"""The case's hash-chained audit log: its rows, each described in words, exported as CSV or JSON lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from workbench.files import atomic_write
from workbench.model.spreadsheet import spreadsheet_safe
from workbench.plugin_api.wording import shorten
from workbench.store import Case, CaseError


# ---------------------------------------------------------------------------------- the audit log


class AuditLogBroken(CaseError):
    """The audit log's hash chain does not hold: an entry was changed or removed."""

    exit_code = 14

AUDIT_COLUMNS = ("seq", "at", "actor", "action", "details", "prev_hash", "hash")


def audit_rows(case: Case, actions: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The audit log, oldest first, with ``details`` exactly as hashed (JSON text) and parsed
    (``data``); ``actions`` keeps entries whose action starts with one of them."""
    prefixes = tuple(actions)
    rows = []
    for seq, at, actor, action, details, prev_hash, digest in case.audit_entries():
        if prefixes and not action.startswith(prefixes):
            continue
        try:
            data = json.loads(details) if details else {}
        except ValueError:
            data = {"unreadable": details}
        rows.append({"seq": seq, "at": at, "actor": actor, "action": action, "details": details,
                     "prev_hash": prev_hash, "hash": digest, "data": data})
    return rows


def _short(value: Any, limit: int = 60) -> str:
    return shorten(value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str), limit)


def _detector_parameters(d: dict[str, Any]) -> str:
    values = ", ".join(f"{k}={v}" for k, v in sorted((d.get("parameters") or {}).items()))
    return f"set parameters of {d.get('detector')}: {_short(values)}"


def _detector_run(d: dict[str, Any]) -> str:
    error = f"; ERROR {_short(d['error'])}" if d.get("error") else ""
    found = d.get("findings", 0)
    return f"ran detector {d.get('detector')} {d.get('version') or ''}: {found} finding{'' if found == 1 else 's'}{error}"


def _finding_mark(d: dict[str, Any]) -> str:
    reason = f" ({_short(d['reason'])})" if d.get("reason") else ""
    return f"marked finding #{d.get('finding')} {d.get('status')}{reason}"


def _export(d: dict[str, Any]) -> str:
    how = []
    if d.get("deidentified"):
        how.append("de-identified" + (f", dates by {d['coarsen_dates']}" if d.get("coarsen_dates") else ""))
    if d.get("include_protected"):
        how.append("PROTECTED SOURCES INCLUDED")
    counts = f": {d['entities']:,} entities, {d.get('links') or 0:,} links" if d.get("entities") is not None else ""
    if d.get("entries") is not None:
        counts = f": {d['entries']:,} entries"
    return f"exported {d.get('format')} to {d.get('file')}{counts}" + (f" ({'; '.join(how)})" if how else "")


#: What each kind of audit entry says, from its details.
_SAYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "case.create": lambda d: f"created the case {d.get('title')!r}",
    "case.migrate": lambda d: f"upgraded the file format ({', '.join(d.get('applied', []))})",
    "ingest": lambda d: (
        f"imported {d.get('file_name') or '(no file)'} with {d.get('importer') or '?'}: "
        f"{d.get('entities', 0):,} entities, {d.get('statements', 0):,} values (source #{d.get('source_id')})"),
    "analyst.add": lambda d: (
        f"added own facts ({d.get('label')}): {len(d.get('entities') or [])} entities; "
        f"source note {_short(d.get('note') or '')!r}"),
    "entity.merge": lambda d: f"merged {d.get('drop')} into {d.get('keep')}",
    "detector.parameters": _detector_parameters,
    "detector.run": _detector_run,
    "finding.mark": _finding_mark,
    "match.decide": lambda d: f"decided {d.get('left')} and {d.get('right')} are {d.get('decision')}",
    "analysis.store": lambda d: f"stored {d.get('metric')} for {d.get('entities', 0):,} entities",
    "chart.change": lambda d: f"{d.get('label')} ({d.get('items', 0)} chart items)",
    "view.save": lambda d: f"saved view {d.get('name')!r}",
    "mapping.save": lambda d: f"saved mapping {d.get('name')!r}",
    "undo": lambda d: f"undid {d.get('label')}",
    "redo": lambda d: f"redid {d.get('label')}",
    "export": _export,
}


def describe_audit_entry(entry: dict[str, Any]) -> str:
    """One line saying what an audit entry records, in words."""
    action, d = entry["action"], entry.get("data", entry.get("details")) or {}
    if not isinstance(d, dict):
        return _short(d, 100)
    says = _SAYS.get(action)
    if says is not None:
        return says(d)
    return _short(", ".join(f"{k}={_short(v, 40)}" for k, v in sorted(d.items())), 100)


def write_audit_log(rows: list[dict[str, Any]], path: str | Path) -> int:
    """Write audit entries to ``path``: CSV (``.csv``) or JSON lines (``.jsonl``, ``.json``).

    Each entry keeps ``prev_hash`` and ``hash``, and CSV keeps ``details`` as the exact JSON text
    that was hashed, so the chain can be checked outside Workbench (see docs/sharing.md).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".json"):
        raise CaseError(f"{path}: the audit log is exported as .csv or .jsonl")
    with atomic_write(path, newline="") as handle:
        if suffix == ".csv":
            writer = csv.writer(handle)
            writer.writerow([*AUDIT_COLUMNS, "what"])
            for row in rows:
                # An analyst's name or a file name a spreadsheet would run as a formula gets a ' in front.
                writer.writerow([spreadsheet_safe(cell) for cell in
                                 (*(row[column] for column in AUDIT_COLUMNS), describe_audit_entry(row))])
        else:
            for row in rows:
                entry = {column: row[column] for column in AUDIT_COLUMNS if column != "details"}
                entry["details"] = row["data"]
                entry["what"] = describe_audit_entry(row)
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return len(rows)


def check_audit_log(case: Case) -> dict[str, Any]:
    """The hash chain's state: ``intact``, ``entries``, ``last_hash`` and the first broken entry."""
    broken = case.verify_audit_log()
    rows = audit_rows(case)
    result: dict[str, Any] = {"intact": broken is None, "entries": len(rows),
                              "last_hash": rows[-1]["hash"] if rows else None, "first_broken": None}
    if broken is not None:
        index = next((i for i, row in enumerate(rows) if row["seq"] == broken), None)
        first: dict[str, Any] = {"seq": broken}
        if index is not None:
            entry = rows[index]
            first.update({key: entry[key] for key in ("at", "actor", "action")}, what=describe_audit_entry(entry))
            # Entries are numbered without gaps, so a gap before the broken one is what was removed.
            before = rows[index - 1]["seq"] if index else 0
            first["missing"] = list(range(before + 1, broken))
        result["first_broken"] = first
    return result


__all__ = ["AUDIT_COLUMNS", "AuditLogBroken", "audit_rows", "check_audit_log", "describe_audit_entry", "write_audit_log"]
