"""Named schema migrations for case files.

Each migration has a stable name and runs once, inside the transaction that records it in
``_migrations``. A case that lists a migration this version does not know was written by a
newer Workbench and is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")

    db["sources"].create(
        {
            "id": int,
            "kind": str,  # import | analyst
            "file_name": str,
            "sha256": str,
            "importer_id": str,
            "importer_version": str,
            "imported_at": str,
            "reliability": str,
            "credibility": int,
            "protected": int,
            "note": str,
            "options": str,  # JSON: importer parameters (e.g. the mapping) that shaped this import
        },
        pk="id",
        not_null={"kind", "imported_at", "reliability", "credibility", "protected"},
    )

    db["entities"].create(
        {
            "id": str,
            "schema": str,
            "caption": str,
            "start_date": str,
            "end_date": str,
            "grade": str,  # the best Admiralty grade among the records that describe the entity
        },
        pk="id",
        not_null={"schema"},
    )
    # (schema, start_date) serves both counts by type and "payments in this window".
    db["entities"].create_index(["schema", "start_date"], index_name="idx_entities_schema_start")
    db["entities"].create_index(["start_date"], index_name="idx_entities_start")

    # One row per entity record read from a source (a CSV row, an XML element, an analyst's
    # entry), holding what its values share: entity, type, source, place in the source, grade.
    # ``origin_id`` is set when a merge moved the record: the entity the source described.
    db["records"].create(
        {
            "id": int,
            "entity_id": str,
            "schema": str,
            "source_id": int,
            "locator": str,
            "grade": str,
            "origin_id": str,
            "extra": str,  # JSON: what the source said beyond properties (FtM datasets, first_seen)
        },
        pk="id",
        not_null={"entity_id", "schema", "source_id"},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["records"].create_index(["entity_id"], index_name="idx_records_entity")
    db["records"].create_index(["source_id"], index_name="idx_records_source")

    # Every property value. Provenance is the record's; ``grade`` overrides it for one fact.
    db["statements"].create(
        {"id": int, "record_id": int, "prop": str, "value": str, "grade": str},
        pk="id",
        not_null={"record_id", "prop", "value"},
        foreign_keys=[("record_id", "records", "id")],
    )
    db["statements"].create_index(["record_id"], index_name="idx_statements_record")
    # Topics (sanction, export.control, ...) are how listed parties are told apart; a partial
    # index keeps that lookup quick without indexing every value.
    db.execute("CREATE INDEX idx_statements_topics ON statements (value) WHERE prop = 'topics'")

    # Derived from statements: one row per link between two entities, either an FtM edge entity
    # (``via_id`` is the Payment, Ownership, ...) or an entity-reference property (``prop``).
    db["edges"].create(
        {
            "id": int,
            "source_id": str,
            "target_id": str,
            "via_id": str,
            "prop": str,
            "schema": str,
            "start_date": str,
            "end_date": str,
            "amount": float,  # for Payment, Shipment and other Value schemata: what moved
            "currency": str,
        },
        pk="id",
        not_null={"source_id", "target_id", "via_id", "schema"},
    )
    db["edges"].create_index(["source_id"], index_name="idx_edges_source")
    db["edges"].create_index(["target_id"], index_name="idx_edges_target")
    db["edges"].create_index(["via_id"], index_name="idx_edges_via")

    db["entity_aliases"].create(
        {"alias_id": str, "canonical_id": str, "merged_at": str},
        pk="alias_id",
        not_null={"canonical_id"},
    )
    db["entity_aliases"].create_index(["canonical_id"], index_name="idx_aliases_canonical")

    db["chart_items"].create(
        {
            "entity_id": str,
            "x": float,
            "y": float,
            "pinned": int,
            "hidden": int,
            "group_name": str,
        },
        pk="entity_id",
    )
    db["saved_views"].create({"name": str, "state": str, "saved_at": str}, pk="name")
    # Column-to-entity mappings the analyst saved for reuse (FtM mapping specs as JSON).
    db["saved_mappings"].create({"name": str, "spec": str, "saved_at": str}, pk="name")

    db["findings"].create(
        {
            "id": int,
            "detector_id": str,
            "detector_version": str,
            "fingerprint": str,
            "severity": str,
            "score": float,
            "explanation": str,
            "parameters": str,
            "evidence": str,
            "status": str,  # open | confirmed | dismissed
            "status_reason": str,
            "created_at": str,
            "updated_at": str,
            "run_id": int,  # the latest run that found it
            "current": int,  # 1 if the latest run of its detector still finds it
        },
        pk="id",
        not_null={"detector_id", "severity", "status", "created_at"},
    )
    db["detector_runs"].create(
        {"id": int, "detector_id": str, "detector_version": str, "parameters": str, "started_at": str,
         "finished_at": str, "findings": int, "error": str},
        pk="id",
        not_null={"detector_id", "started_at"},
    )
    # Thresholds the analyst set for this case, so a re-run is reproducible.
    db["detector_parameters"].create({"detector_id": str, "parameters": str, "saved_at": str}, pk="detector_id")
    db["findings"].create_index(["detector_id", "fingerprint"], index_name="idx_findings_fingerprint")
    db["finding_entities"].create(
        {"finding_id": int, "entity_id": str},
        pk=("finding_id", "entity_id"),
        foreign_keys=[("finding_id", "findings", "id")],
    )
    db["finding_entities"].create_index(["entity_id"], index_name="idx_finding_entities_entity")

    # The analyst's decisions on candidate duplicates and list matches, respected next time.
    db["match_decisions"].create(
        {"left_id": str, "right_id": str, "decision": str, "score": float, "reason": str,
         "decided_at": str, "decided_by": str},
        pk=("left_id", "right_id"),
        not_null={"decision", "decided_at"},
    )
    # Computed measures (centrality, community, ...) for the chart to size and colour by.
    db["entity_metrics"].create(
        {"entity_id": str, "metric": str, "value": float, "computed_at": str},
        pk=("metric", "entity_id"),
    )

    db["audit_log"].create(
        {
            "seq": int,
            "at": str,
            "actor": str,
            "action": str,
            "details": str,
            "prev_hash": str,
            "hash": str,
        },
        pk="seq",
        not_null={"at", "actor", "action", "hash"},
    )
    # Append-only is a property of the file, not a promise of the code that writes it.
    db.executescript(
        """
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )

    db["undo_journal"].create(
        {
            "seq": int,
            "at": str,
            "label": str,
            "command": str,
            "payload": str,
            "state": str,  # done | undone
        },
        pk="seq",
        not_null={"label", "command", "payload", "state"},
    )


def create_migration_record(db: sqlite_utils.Database) -> None:
    """The table listing the migrations a case has had."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name")


def _chart_groups(db: sqlite_utils.Database) -> None:
    """Groups drawn as one node while collapsed (an overview's communities, the analyst's own)."""
    db["chart_groups"].create(
        {"name": str, "kind": str, "collapsed": int, "x": float, "y": float},
        pk="name",
        not_null={"kind", "collapsed"},
    )
    db["chart_items"].create_index(["group_name"], index_name="idx_chart_items_group")


Migration = tuple[str, Callable[[sqlite_utils.Database], None]]

# Append only; never rename or reorder: the names are what case files record.
MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
    ("0002_chart_groups", _chart_groups),
]

KNOWN_NAMES = [name for name, _ in MIGRATIONS]
#: Migrations whose tables a read-only reader can do without: an older case opens read-only
#: before it has them (it has no chart groups yet) instead of being refused.
READABLE_WITHOUT = {"0002_chart_groups"}
