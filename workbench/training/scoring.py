"""Scoring a trainee's marks against a training case's answer key, and the debrief.

A **mark** is an entity or fact id the trainee flagged as suspicious, with a reason. Marks come
from two places, and both count:

* a marks file beside the case (``CASE.wbcase.marks.json``, written by ``workbench train mark``
  or by an app's exercise mode through :func:`save_marks`);
* the findings the trainee **confirmed** in the case (``case.findings(status="confirmed")``):
  each contributes its entities and the facts it cites, with the finding as the reason.

The **key** (``CASE.wbcase.key.json``, see :mod:`workbench.training.generator`) lists, per planted
pattern, the entities and facts that form it (to be found), its *context* (involved but innocent,
such as a deceived supplier: marking them costs nothing), the steps of the story and the red flags
(detector ids) that should fire. Decoys are legitimate look-alikes: marking one is a false alarm,
and the debrief says why it was innocent.

Scoring is plain set arithmetic on ids (resolved through merges when a case is given):
found = marked pattern items, missed = unmarked pattern items, false alarms = marks outside every
pattern and its context. Precision is found / (found + false alarms), recall found / all pattern
items. The functions take and return plain data so that an app can call them directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.store import SUFFIX, Case, CaseError

__all__ = [
    "KEY_FORMAT", "MARKS_FORMAT", "RED_FLAGS", "FalseAlarm", "Mark", "PatternScore", "Score", "TrainingError",
    "collect_marks", "debrief_steps", "debrief_text", "detector_coverage", "load_key", "load_marks",
    "marks_file_case_id", "marks_from_findings", "marks_path_for", "save_marks", "score_case", "score_marks",
]

KEY_FORMAT = "workbench-training-key/1"
MARKS_FORMAT = "workbench-training-marks/1"

#: What each red flag is called (the detectors' labels), for debriefs written without loading plugins.
RED_FLAGS = {
    "listed-name-match": "Resembles a listed party",
    "ofac-50-percent": "Owned 50% or more by listed parties",
    "shared-identifier-with-listed": "Shares a director, address or contact with a listed party",
    "mass-registration-or-nominee": "Mass-registration address or nominee director",
    "opaque-ownership": "Opaque ownership",
    "civilian-near-military": "Civilian end user linked to military or listed parties",
    "chpl-to-risky-destination": "CHPL goods to a restricted or transshipment country",
    "transshipment-reexport": "Import then quick re-export of the same goods",
    "intermediary-as-consignee": "Forwarder, trading house or bank as consignee or end user",
    "free-trade-zone-consignee": "Consignee or end user in a free trade zone",
    "outside-line-of-business": "Goods outside the buyer's line of business",
    "new-company-chpl": "Newly formed company trading CHPL goods",
    "end-use-document-mismatch": "End-use document inconsistent with the shipment",
    "third-party-payer": "Third-party or third-country payer",
    "cash-for-goods": "Cash or money-service payment for goods",
    "structuring": "Payments structured below a threshold",
    "fan-in-fan-out": "Funds gathered and funnelled on (fan-in, fan-out)",
    "circular-payments": "Circular payments",
    "rapid-pass-through": "Rapid pass-through",
    "pass-through-chain": "Pass-through chain: money relayed through intermediaries",
    "fan-in": "Fan-in: many payers, one receiver",
    "fan-out": "Fan-out: one payer, many beneficiaries",
    "out-of-profile": "Payments out of the account's profile",
    "payment-shipment-mismatch": "Payment and shipment do not match",
    "phone-country-mismatch": "Phone number from another country",
    "webmail-no-website": "Free webmail and no website",
}


class TrainingError(CaseError):
    """A missing or malformed key or marks file (reported in one line, like a bad case file)."""

    exit_code = 14


# ------------------------------------------------------------------------------------ files


def _case_file(case_path: str | Path) -> Path:
    path = Path(case_path)
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


def marks_path_for(case_path: str | Path) -> Path:
    """Where a trainee's marks live: ``CASE.wbcase.marks.json`` beside the case."""
    path = _case_file(case_path)
    return path.with_name(path.name + ".marks.json")


def load_key(path: str | Path) -> dict[str, Any]:
    """Read and check an answer key."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"{path}: no answer key (it is written beside the case by `workbench train new`)")
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrainingError(f"{path}: not a readable answer key ({error})") from error
    if not isinstance(key, dict) or key.get("format") != KEY_FORMAT or not isinstance(key.get("patterns"), list):
        raise TrainingError(f"{path}: not a Workbench training key (expected format {KEY_FORMAT})")
    return key


@dataclass(frozen=True)
class Mark:
    """One entity or fact the trainee flagged, why, and where the mark came from."""

    id: str
    reason: str = ""
    source: str = "marks file"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason, "source": self.source}


def load_marks(path: str | Path) -> list[Mark]:
    """Marks from a file: ``{"marks": [{"id", "reason"}, ...]}``, a bare list of such objects, or of ids."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise TrainingError(f"{path}: no such marks file") from error
    except (OSError, ValueError) as error:
        raise TrainingError(f"{path}: not a readable marks file ({error})") from error
    items = data.get("marks") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise TrainingError(f"{path}: expected a list of marks, or an object with a 'marks' list")
    marks = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, str):
            marks.append(Mark(item, "", path.name))
        elif isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
            marks.append(Mark(item["id"], str(item.get("reason") or ""), path.name))
        else:
            raise TrainingError(f"{path}: mark {number} has no entity or fact id")
    return marks


def marks_file_case_id(path: str | Path) -> str | None:
    """The case id a marks file was written for, if it says."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("case_id") if isinstance(data, dict) else None


def save_marks(path: str | Path, marks: Iterable[Mark], *, case_id: str | None = None) -> Path:
    """Write marks (one per id; the latest reason wins) for :func:`load_marks` to read back."""
    by_id: dict[str, Mark] = {}
    for mark in marks:
        by_id[mark.id] = mark
    data = {
        "format": MARKS_FORMAT,
        "case_id": case_id,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "marks": [{"id": m.id, "reason": m.reason} for m in by_id.values()],
    }
    path = Path(path)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def marks_from_findings(case: Case) -> list[Mark]:
    """The entities and facts of every finding the trainee confirmed, the finding as the reason."""
    marks = []
    for finding in case.findings(status="confirmed"):
        evidence = finding.get("evidence") or {}
        reason = f"confirmed finding #{finding['id']} ({finding['detector_id']}): {finding['explanation']}"
        for item in [*evidence.get("entities", []), *evidence.get("facts", [])]:
            marks.append(Mark(item, reason, f"finding #{finding['id']}"))
    return marks


def collect_marks(case: Case, marks_file: str | Path | None = None, *, use_findings: bool = True) -> list[Mark]:
    """All of a trainee's marks on ``case``: the marks file (given, or the default one if it
    exists) and the confirmed findings."""
    marks: list[Mark] = []
    path = Path(marks_file) if marks_file else marks_path_for(case.path)
    if marks_file or path.is_file():
        written_for = marks_file_case_id(path)
        if written_for and written_for != case.meta("case_id"):
            raise TrainingError(f"{path}: these marks were made on another case (case id {written_for})")
        marks.extend(load_marks(path))
    if use_findings:
        marks.extend(marks_from_findings(case))
    return marks


# ------------------------------------------------------------------------------------ scoring


@dataclass
class PatternScore:
    """How much of one pattern the trainee marked."""

    id: str
    kind: str
    title: str
    items: list[str]
    found: list[str]
    missed: list[str]
    context_marked: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.found:
            return "missed"
        return "found" if not self.missed else "partly found"

    @property
    def recall(self) -> float:
        return len(self.found) / len(self.items) if self.items else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "status": self.status,
                "found": self.found, "missed": self.missed, "context_marked": self.context_marked,
                "recall": round(self.recall, 4)}


@dataclass
class FalseAlarm:
    """A mark on something innocent; ``decoy`` names the decoy it fell for, if any."""

    id: str
    reasons: list[str]
    decoy: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reasons": self.reasons, "decoy": self.decoy}


@dataclass
class Score:
    """The result of :func:`score_marks`: per pattern, false alarms and the totals."""

    patterns: list[PatternScore]
    false_alarms: list[FalseAlarm]
    neutral: list[str]
    reasons: dict[str, list[str]]

    @property
    def found(self) -> int:
        return len({i for p in self.patterns for i in p.found})

    @property
    def missed(self) -> int:
        return len({i for p in self.patterns for i in p.missed} - {i for p in self.patterns for i in p.found})

    @property
    def total(self) -> int:
        return len({i for p in self.patterns for i in p.items})

    @property
    def precision(self) -> float | None:
        """Share of judged marks that were right (context marks are not judged); None without marks."""
        judged = self.found + len(self.false_alarms)
        return self.found / judged if judged else None

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 0.0

    @property
    def patterns_found(self) -> int:
        return sum(1 for p in self.patterns if p.found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found, "missed": self.missed, "total": self.total,
            "false_alarms": [f.to_dict() for f in self.false_alarms],
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": round(self.recall, 4),
            "patterns_found": self.patterns_found, "patterns": [p.to_dict() for p in self.patterns],
            "neutral": self.neutral, "reasons": self.reasons,
        }


def _items(planted: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys([*planted.get("entities", []), *planted.get("facts", [])]))


def score_marks(key: dict[str, Any], marks: Iterable[Mark | str], *,
                resolve: Callable[[str], str] | None = None) -> Score:
    """Score ``marks`` against ``key``.

    ``resolve`` maps an id to the id it is known by now (``case.resolve``), so a mark on an
    entity the trainee merged into another still counts for the key's id.
    """
    resolve = resolve or (lambda entity_id: entity_id)
    reasons: dict[str, list[str]] = {}
    for mark in marks:
        mark = Mark(mark) if isinstance(mark, str) else mark
        reasons.setdefault(resolve(mark.id), [])
        if mark.reason and mark.reason not in reasons[resolve(mark.id)]:
            reasons[resolve(mark.id)].append(mark.reason)
    marked = set(reasons)
    pattern_scores = []
    explained: set[str] = set()
    for pattern in key.get("patterns", []):
        items = [resolve(i) for i in _items(pattern)]
        items = list(dict.fromkeys(items))
        context = {resolve(i) for i in pattern.get("context", [])} - set(items)
        pattern_scores.append(PatternScore(
            id=pattern["id"], kind=pattern["kind"], title=pattern.get("title", pattern["kind"]), items=items,
            found=[i for i in items if i in marked], missed=[i for i in items if i not in marked],
            context_marked=sorted(context & marked)))
        explained |= set(items) | context
    decoy_of: dict[str, str] = {}
    for decoy in key.get("decoys", []):
        for item in _items(decoy):
            decoy_of.setdefault(resolve(item), decoy["id"])
        for item in decoy.get("context", []):
            decoy_of.setdefault(resolve(item), decoy["id"])
    false_alarms = [FalseAlarm(i, reasons[i], decoy_of.get(i)) for i in reasons if i not in explained]
    neutral = sorted(i for i in marked & explained if not any(i in p.items for p in pattern_scores))
    return Score(pattern_scores, false_alarms, neutral, reasons)


def score_case(case: Case, key: dict[str, Any] | None = None, *, marks_file: str | Path | None = None,
               use_findings: bool = True) -> tuple[Score, list[Mark]]:
    """Load the key (if not given) and the trainee's marks for ``case`` and score them."""
    if key is None:
        key = load_key(_case_file(case.path).with_name(_case_file(case.path).name + ".key.json"))
    if key.get("case_id") and key["case_id"] != case.meta("case_id"):
        raise TrainingError(f"the answer key belongs to another case (case id {key['case_id']}, "
                            f"this case is {case.meta('case_id')})")
    marks = collect_marks(case, marks_file, use_findings=use_findings)
    return score_marks(key, marks, resolve=case.resolve), marks


# ------------------------------------------------------------------------------------ debrief


def debrief_steps(key: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of every pattern in order, for an app to reveal one at a time on chart and timeline.

    Each step: ``pattern`` id, ``number`` (1-based within the pattern), ``text``, ``entities``,
    ``facts``, ``red_flags`` (detector ids) and their ``red_flag_labels``.
    """
    steps = []
    for pattern in key.get("patterns", []):
        for number, step in enumerate(pattern.get("steps", []), start=1):
            steps.append({"pattern": pattern["id"], "kind": pattern["kind"], "number": number, "text": step["text"],
                          "entities": step.get("entities", []), "facts": step.get("facts", []),
                          "red_flags": step.get("red_flags", []),
                          "red_flag_labels": [RED_FLAGS.get(f, f) for f in step.get("red_flags", [])]})
    return steps


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def debrief_text(key: dict[str, Any], score: Score, caption: Callable[[str], str] | None = None) -> str:
    """The debrief as plain text: the score, then each pattern step by step, then the false alarms."""
    labels = key.get("labels", {})

    def name(item: str) -> str:
        text = labels.get(item) or (caption(item) if caption else None)
        return f"{text} ({item})" if text and text != item else item

    by_pattern = {p.id: p for p in score.patterns}
    lines = [
        f"Debrief: {key.get('title', key.get('scenario'))} (scenario {key.get('scenario')}, seed {key.get('seed')}, "
        f"size {key.get('size')})",
        f"Found {score.found} of {score.total} items (recall {_percent(score.recall)}); "
        f"{len(score.false_alarms)} false alarm{'s' if len(score.false_alarms) != 1 else ''} "
        f"(precision {_percent(score.precision)}); patterns found: {score.patterns_found} of {len(score.patterns)}.",
    ]
    for pattern in key.get("patterns", []):
        result = by_pattern.get(pattern["id"])
        lines.append("")
        status = f"{result.status}: {len(result.found)} of {len(result.items)} items" if result else ""
        lines.append(f"{pattern['id']}  {pattern.get('title', pattern['kind'])}  [{status}]")
        lines.append(f"    {pattern.get('description', '')}")
        found = set(result.found) if result else set()
        for number, step in enumerate(pattern.get("steps", []), start=1):
            lines.append(f"  Step {number}. {step['text']}")
            for item in dict.fromkeys([*step.get("entities", []), *step.get("facts", [])]):
                in_pattern = result is not None and item in result.items
                tick = ("marked" if item in found else "missed") if in_pattern else "context"
                lines.append(f"      [{tick}] {name(item)}")
            for flag in step.get("red_flags", []):
                lines.append(f"      red flag: {flag} ({RED_FLAGS.get(flag, flag)})")
        if result and result.missed:
            lines.append(f"  Missed: {', '.join(name(i) for i in result.missed)}")
        detectors = pattern.get("detectors", [])
        if detectors:
            lines.append(f"  Detectors that flag it: {', '.join(detectors)}")
    decoys = {d["id"]: d for d in key.get("decoys", [])}
    if score.false_alarms:
        lines.append("")
        lines.append("False alarms:")
        for alarm in score.false_alarms:
            why = "; ".join(alarm.reasons) or "no reason given"
            lines.append(f"  - {name(alarm.id)}: {why}")
            if alarm.decoy and alarm.decoy in decoys:
                lines.append(f"      a decoy: {decoys[alarm.decoy]['description']}")
            else:
                lines.append("      part of the legitimate background trade.")
    unmarked_decoys = [d for d in key.get("decoys", []) if d["id"] not in {a.decoy for a in score.false_alarms}]
    if unmarked_decoys:
        lines.append("")
        lines.append("Decoys you rightly left alone:")
        for decoy in unmarked_decoys:
            lines.append(f"  - {decoy['title']}: {decoy['description']}")
    if score.neutral:
        lines.append("")
        lines.append(f"Marked but innocent parts of a pattern (not counted): {', '.join(name(i) for i in score.neutral)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ detectors


def _finding_items(finding: dict[str, Any]) -> set[str]:
    evidence = finding.get("evidence") or {}
    if isinstance(evidence, dict):
        return set(evidence.get("entities", [])) | set(evidence.get("facts", []))
    return set(finding.get("entities", [])) | set(evidence)


def detector_coverage(key: dict[str, Any], findings: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Which planted patterns the detectors' findings touch, and which findings touch nothing planted.

    ``findings`` are stored findings (``case.findings()``). Returns ``patterns``: per pattern
    id, ``{detector id: [finding ids]}`` for findings whose entities or evidence overlap the
    pattern's items, and ``missing``: expected detectors with no such finding; ``decoys``: the
    same for decoys; ``unexplained``: findings that overlap no pattern, context or decoy (the
    detectors' false alarms on the background).
    """
    findings = list(findings)
    planted = {}
    for group in ("patterns", "decoys"):
        for item in key.get(group, []):
            planted[item["id"]] = (group, set(_items(item)), set(item.get("context", [])), item.get("detectors", []))
    result: dict[str, Any] = {"patterns": {}, "decoys": {}, "missing": {}, "unexplained": []}
    for planted_id, (group, *_) in planted.items():
        result[group][planted_id] = {}
    for finding in findings:
        touched = _finding_items(finding)
        explained = False
        for planted_id, (group, items, context, _) in planted.items():
            if touched & items:
                result[group][planted_id].setdefault(finding["detector_id"], []).append(finding.get("id"))
                explained = True
            elif touched & context:
                explained = True
        if not explained:
            result["unexplained"].append(finding)
    for planted_id, (group, _, _, detectors) in planted.items():
        if group == "patterns":
            missing = [d for d in detectors if d not in result["patterns"][planted_id]]
            if missing:
                result["missing"][planted_id] = missing
    return result
