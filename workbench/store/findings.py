"""Detector parameters, runs and findings, and the analyst's marks on them.

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workbench.store.common import _now
from workbench.store.errors import CaseError
from workbench.store.parts import CasePart


class Findings(CasePart):
    """Detector parameters, runs, findings and their marks."""

    def detector_parameters(self, detector_id: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT parameters FROM detector_parameters WHERE detector_id = ?",
                                (detector_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_detector_parameters(self, detector_id: str, parameters: dict[str, Any]) -> None:
        """Keep the analyst's thresholds for a detector in this case."""
        self._require_writable()
        with self._write():
            self.db["detector_parameters"].upsert(
                {"detector_id": detector_id, "parameters": json.dumps(parameters, sort_keys=True), "saved_at": _now()},
                pk="detector_id",
            )
            self._audit("detector.parameters", {"detector": detector_id, "parameters": parameters})

    def record_detector_run(
        self,
        detector_id: str,
        version: str,
        parameters: dict[str, Any],
        findings: list[dict[str, Any]],
        *,
        severity: str = "medium",
        started_at: str | None = None,
        error: str | None = None,
    ) -> dict[str, int]:
        """Store a detector's findings with the parameters used; keep the analyst's marks.

        A finding is recognised across runs by its detector and its entities and evidence, so a
        re-run updates it (new wording, new score) without losing "confirmed" or "dismissed".
        Findings the run no longer produces stay, marked not current.
        """
        self._require_writable()
        counts = {"new": 0, "updated": 0, "no_longer_found": 0}
        now = _now()
        with self._write():
            cursor = self.conn.cursor()
            cursor.execute(
                "INSERT INTO detector_runs (detector_id, detector_version, parameters, started_at, finished_at,"
                " findings, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (detector_id, version, json.dumps(parameters, sort_keys=True, default=str), started_at or now, now,
                 len(findings), error),
            )
            run_id = cursor.lastrowid
            seen = set()
            for finding in findings:
                entities = sorted({self.resolve(e) for e in finding.get("entities", [])})
                evidence = sorted(set(finding.get("evidence", [])))
                fingerprint = hashlib.sha1(
                    "\x1f".join([detector_id, ",".join(entities), ",".join(evidence)]).encode()
                ).hexdigest()
                if fingerprint in seen:
                    continue
                seen.add(fingerprint)
                values = {
                    "detector_version": version,
                    "severity": finding.get("severity") or severity,
                    "score": float(finding.get("score", 0.5)),
                    "explanation": finding["explanation"],
                    "parameters": json.dumps(parameters, sort_keys=True, default=str),
                    "evidence": json.dumps({"entities": entities, "facts": evidence,
                                            **({"details": finding["details"]} if finding.get("details") else {})},
                                           default=str),
                    "updated_at": now,
                    "run_id": run_id,
                    "current": 1,
                }
                row = cursor.execute("SELECT id FROM findings WHERE detector_id = ? AND fingerprint = ?",
                                     (detector_id, fingerprint)).fetchone()
                if row:
                    finding_id = row[0]
                    assignments = ", ".join(f"{key} = ?" for key in values)
                    cursor.execute(f"UPDATE findings SET {assignments} WHERE id = ?", (*values.values(), finding_id))
                    counts["updated"] += 1
                else:
                    cursor.execute(
                        "INSERT INTO findings (detector_id, fingerprint, status, created_at, "
                        + ", ".join(values) + ") VALUES (?, ?, 'open', ?, " + ", ".join("?" * len(values)) + ")",
                        (detector_id, fingerprint, now, *values.values()),
                    )
                    finding_id = cursor.lastrowid
                    counts["new"] += 1
                cursor.execute("DELETE FROM finding_entities WHERE finding_id = ?", (finding_id,))
                cursor.executemany("INSERT INTO finding_entities (finding_id, entity_id) VALUES (?, ?)",
                                   [(finding_id, e) for e in sorted(set(entities) | set(evidence))])
            if error is None:  # a detector that failed has not shown that its earlier findings are gone
                stale = cursor.execute(
                    "UPDATE findings SET current = 0 WHERE detector_id = ? AND (run_id IS NULL OR run_id != ?)"
                    " AND current = 1",
                    (detector_id, run_id),
                )
                counts["no_longer_found"] = stale.rowcount
            self._audit("detector.run", {"detector": detector_id, "version": version, "parameters": parameters,
                                         "findings": len(seen), "error": error})
        return counts

    def detection_progress(self) -> dict[str, Any] | None:
        """How far the latest detector run got, as ``workbench.detecting`` recorded it."""
        value = self.meta("detection_run")
        return json.loads(value) if value else None

    def set_detection_progress(self, progress: dict[str, Any]) -> None:
        """Record how far a detector run got, so a run that is cancelled or killed shows as partial."""
        self._require_writable()
        with self._write():
            self.db["meta"].upsert({"key": "detection_run", "value": json.dumps(progress, sort_keys=True)}, pk="key")

    def findings(self, *, status: str | None = None, detector_id: str | None = None,
                 current_only: bool = True) -> list[dict[str, Any]]:
        """Stored findings, most severe and highest scoring first."""
        clauses, args = [], []
        if status:
            clauses.append("status = ?")
            args.append(status)
        if detector_id:
            clauses.append("detector_id = ?")
            args.append(detector_id)
        if current_only:
            clauses.append("current = 1")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, score DESC, id"
        rows = list(self.db.query(f"SELECT * FROM findings {where} ORDER BY {order}", args))
        for row in rows:
            row["evidence"] = json.loads(row["evidence"] or "{}")
            row["parameters"] = json.loads(row["parameters"] or "{}")
        return rows

    def finding_counts(self, *, current_only: bool = True) -> dict[str, int]:
        """``{status: number of findings}``: of the current findings, or of all ever recorded."""
        where = " WHERE current = 1" if current_only else ""
        return dict(self.conn.execute(f"SELECT status, count(*) FROM findings{where} GROUP BY status").fetchall())

    def latest_detector_runs(self) -> list[dict[str, Any]]:
        """The latest recorded run of each detector (a row of ``detector_runs``), by detector id."""
        return list(self.db.query(
            "SELECT * FROM detector_runs WHERE id IN (SELECT max(id) FROM detector_runs GROUP BY detector_id)"
            " ORDER BY detector_id"))

    def last_detector_run_id(self) -> int | None:
        """The id of the latest recorded detector run, or None before any."""
        return self.conn.execute("SELECT max(id) FROM detector_runs").fetchone()[0]

    def detectors_run_since(self, run_id: int) -> set[str]:
        """Ids of the detectors with a run recorded after run ``run_id``."""
        return {row[0] for row in self.conn.execute("SELECT detector_id FROM detector_runs WHERE id > ?", (run_id,))}

    def findings_for(self, entity_id: str) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT finding_id FROM finding_entities WHERE entity_id = ?", (self.resolve(entity_id),))]

    def set_finding_status(self, finding_id: int, status: str, reason: str | None = None) -> None:
        """Mark a finding confirmed, dismissed (a reason is required) or open again."""
        self._require_writable()
        if status not in ("open", "confirmed", "dismissed"):
            raise CaseError(f"a finding is open, confirmed or dismissed, not {status!r}")
        if status == "dismissed" and not (reason and reason.strip()):
            raise CaseError("say why the finding is dismissed: a reason is required")
        if self.conn.execute("SELECT 1 FROM findings WHERE id = ?", (finding_id,)).fetchone() is None:
            raise CaseError(f"no finding #{finding_id} in this case")
        with self._write():
            self.conn.execute("UPDATE findings SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?",
                              (status, reason, _now(), finding_id))
            self._audit("finding.mark", {"finding": finding_id, "status": status, "reason": reason})
