"""Analysis results kept in the case (match decisions, metrics) and the facts' version and snapshot.

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

from collections.abc import Iterable

from workbench.store.columns import PaymentColumns, facts_having, payment_columns
from workbench.store.common import _analyst, _now
from workbench.store.errors import CaseError
from workbench.store.parts import CasePart
from workbench.store.snapshot import FactsSnapshot

# Audit actions that change facts (undo and redo may not, but counting them only costs a cache miss).
_FACT_ACTIONS = ("ingest", "analyst.add", "entity.merge", "undo", "redo", "case.migrate")


class AnalysisResults(CasePart):
    """Match decisions, stored metrics, and cache keys for work that reads the facts."""

    def record_match_decision(
        self, left_id: str, right_id: str, decision: str, *, score: float | None = None, reason: str | None = None
    ) -> None:
        """Store the analyst's verdict on a candidate match: ``same``, ``different`` or ``unsure``."""
        self._require_writable()
        if decision not in ("same", "different", "unsure"):
            raise CaseError(f"a match decision is same, different or unsure, not {decision!r}")
        left_id, right_id = sorted((left_id, right_id))
        with self._write():
            self.db["match_decisions"].upsert(
                {"left_id": left_id, "right_id": right_id, "decision": decision, "score": score,
                 "reason": reason, "decided_at": _now(), "decided_by": _analyst()},
                pk=("left_id", "right_id"),
            )
            self._audit("match.decide", {"left": left_id, "right": right_id, "decision": decision})

    def match_decisions(self) -> dict[tuple[str, str], str]:
        """``{(left_id, right_id): decision}`` with each pair's ids in sorted order."""
        return {(row[0], row[1]): row[2] for row in self.conn.execute(
            "SELECT left_id, right_id, decision FROM match_decisions")}

    def store_metric(self, metric: str, values: dict[str, float]) -> None:
        """Replace the stored values of one computed measure (e.g. ``pagerank``) for all entities."""
        self._require_writable()
        at = _now()
        with self._write():
            self.conn.execute("DELETE FROM entity_metrics WHERE metric = ?", (metric,))
            self.conn.executemany(
                "INSERT INTO entity_metrics (entity_id, metric, value, computed_at) VALUES (?, ?, ?, ?)",
                [(entity_id, metric, float(value), at) for entity_id, value in values.items()],
            )
            self._audit("analysis.store", {"metric": metric, "entities": len(values)})

    def metric(self, metric: str) -> dict[str, float]:
        return dict(self.conn.execute("SELECT entity_id, value FROM entity_metrics WHERE metric = ?", (metric,)))

    @property
    def facts_version(self) -> tuple[int, ...]:
        """Changes when the facts do (records added or removed, merges, undo and redo), but not
        when findings, chart state or parameters change: a cache key for work that reads only facts.

        The last fact-changing entry of the audit log, which each such change writes in its own
        transaction; counts alone would repeat (merge, undo, then a different merge gives the
        same counts as the first merge, and a cache would hand out the first merge's picture).
        """
        row = self.conn.execute(
            "SELECT seq FROM audit_log WHERE action IN (%s) ORDER BY seq DESC LIMIT 1"
            % ",".join("?" * len(_FACT_ACTIONS)),
            _FACT_ACTIONS,
        ).fetchone()
        return (row[0] if row else 0,)

    def snapshot(self) -> FactsSnapshot:
        """The case's facts read in bulk, shared by every reader until the facts change.

        Detectors and analyses that read many entities use this rather than :meth:`entity`
        or :meth:`entities`: one query per schema instead of one per entity, and no FtM proxies.
        """
        version = self.facts_version
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = FactsSnapshot(self, version)
        return self._snapshot

    def release_snapshot(self) -> None:
        """Let go of the shared snapshot (the next :meth:`snapshot` reads the facts again): for a
        detector run, between families that need different facts, so that a run's peak memory is
        that of its hungriest family."""
        self._snapshot = None

    def payment_columns(self, *, schema: str = "Payment", texts: Iterable[str] = ()) -> PaymentColumns:
        """Every payment as numpy columns (payer, beneficiary, amount, currency, day): about 40
        bytes a payment where the snapshot holds about 1 KB; see :mod:`workbench.store.columns`.

        Not cached: the caller holds it as long as it needs it. ``texts`` names text properties
        (``purpose``) to add as coded columns.
        """
        return payment_columns(self.conn, schema=schema, texts=texts)

    def facts_having(self, schema: str, props: Iterable[str], having: Iterable[str]) -> list:
        """The entities of ``schema`` that have one of the properties ``having``, as snapshot entries
        holding only ``props`` (see :func:`workbench.store.columns.facts_having`)."""
        return facts_having(self.conn, schema, props, having)

    @property
    def version(self) -> int:
        """Changes whenever the case does (every change appends to the audit log): a cache key."""
        return self.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]
