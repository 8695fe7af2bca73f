"""The audit log: a keyed hash chain of everything done to the case.

Part of :class:`workbench.store.Case`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.store import integrity
from workbench.store.common import _analyst, _now
from workbench.store.errors import AuditKeyError
from workbench.store.parts import CasePart


class AuditLog(CasePart):
    """The keyed, hash-chained audit log."""

    def _audit(self, action: str, details: dict[str, Any]) -> None:
        """Append to the audit log; each entry's hash covers the previous one's (a hash chain),
        keyed with the case's audit key (an HMAC), which is kept outside the case file.

        Where this machine has no key for the case (a case made before keys, or made on another
        machine), a new key is made and an ``audit.key`` entry starts the stretch it signs.
        """
        key_id, key, previous = self._current_key()
        if key is None:
            key_id, key = self._make_key()
            if action == "case.create":
                details = {**details, "audit_key": key_id}
            else:
                reason = (f"audit key {previous} is not on this machine" if previous
                          else "the case had no audit key (made by an earlier Workbench)")
                self._append_audit("audit.key", {"audit_key": key_id, "reason": reason}, key)
        self._append_audit(action, details, key)

    def _append_audit(self, action: str, details: dict[str, Any], key: bytes) -> None:
        row = self.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev_hash = (row[0] + 1, row[1]) if row else (1, "")
        at, actor = _now(), _analyst()
        body = json.dumps(details, sort_keys=True, default=str)
        digest = integrity.keyed_hash(key, seq, prev_hash, at, actor, action, body)
        self.conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, action, body, prev_hash, digest),
        )

    def _current_key(self) -> tuple[str | None, bytes | None, str | None]:
        """The key signing the log's latest stretch: its id, the key if this machine has it, and
        the id of the stretch's key when this machine does not have it."""
        row = self.conn.execute(
            "SELECT json_extract(details, '$.audit_key') FROM audit_log WHERE action IN ('case.create', 'audit.key')"
            " AND json_valid(details) AND json_extract(details, '$.audit_key') IS NOT NULL ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None, None, None
        key_id = str(row[0])
        key = self._keys.get(key_id) or integrity.load_key(self.meta("case_id") or "", key_id)
        if key is None:
            return None, None, key_id
        self._keys[key_id] = key
        return key_id, key, None

    def _make_key(self) -> tuple[str, bytes]:
        case_id = self.meta("case_id")
        if not case_id:
            raise AuditKeyError(f"{self.path}: the case has no case id, so its audit log cannot be keyed")
        try:
            key_id, key, key_path = integrity.new_key(case_id)
        except OSError as error:
            raise AuditKeyError(f"{self.path}: cannot keep the case's audit key in "
                                f"{integrity.keys_dir(case_id)} ({error.strerror or error}); nothing was written") from error
        # Deleted again if the transaction that uses it is rolled back (see _Transaction).
        self._fresh_keys.append(key_path)
        self._keys[key_id] = key
        return key_id, key

    def _forget_fresh_keys(self, *, delete: bool) -> None:
        for key_path in self._fresh_keys:
            if delete:
                key_path.unlink(missing_ok=True)
                self._keys.pop(key_path.stem, None)
        self._fresh_keys.clear()

    def record_export(self, format_name: str, path: Path, include_protected: bool,
                      report: dict[str, Any] | None = None, **details: Any) -> None:
        """Exports are recorded: what left the case, where to, and whether protected sources went too.

        With ``report``, its counts of entities and links; ``details`` adds what else the entry
        should say. Not on a case opened read-only by :meth:`open_to_record` (read-only media):
        that was said when it was opened.
        """
        if self.readonly and self.unrecorded:
            return
        entry: dict[str, Any] = {"format": format_name, "file": str(path), "include_protected": include_protected}
        if report is not None:
            entry.update(entities=report.get("entities"), links=report.get("links"))
        with self._write():
            self._audit("export", {**entry, **details})

    _audit_export = record_export  # the name used before it was public

    def audit_entries(self) -> list[tuple[int, str, str, str, str, str, str]]:
        """The audit log, oldest first, as stored: ``(seq, at, actor, action, details, prev_hash, hash)``
        with ``details`` exactly as hashed (JSON text)."""
        return self.conn.execute(
            "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()

    def audit_log(self) -> list[dict[str, Any]]:
        return [
            {**row, "details": json.loads(row["details"])}
            for row in self.db.query("SELECT * FROM audit_log ORDER BY seq")
        ]

    def verify_audit_log(self) -> int | None:
        """Check the hash chain; returns the first broken entry's ``seq``, or ``None`` if intact."""
        return self.check_audit_chain()["first_broken"]

    def check_audit_chain(self) -> dict[str, Any]:
        """What the audit log's chain shows, entry by entry.

        Returns ``intact`` (no entry broken, none missing, every entry checked), ``entries``,
        ``last_hash``, ``first_broken`` (a seq or ``None``), ``missing`` (runs of entry numbers
        not in the log, ``[first, last]``), ``unkeyed`` (how many entries carry the plain chain of
        cases made before keys), ``keyed`` (entries checked with a key on this machine),
        ``unchecked`` (stretches signed with a key this machine does not hold: ``{key, first,
        last}``) and ``unused_keys`` (keys this machine made for the case that the log no longer
        uses: the log was rewritten or cut back).
        """
        case_id = self.meta("case_id") or ""
        expected_seq, prev = 1, ""
        mode, key = "plain", None
        first_broken = None
        missing: list[list[int]] = []
        unchecked: list[dict[str, Any]] = []
        used: set[str] = set()
        counts = {"unkeyed": 0, "keyed": 0, "entries": 0}
        for seq, at, actor, action, body, prev_hash, digest in self.conn.execute(
            "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq"
        ):
            counts["entries"] += 1
            if seq != expected_seq:
                missing.append([expected_seq, seq - 1])
                if first_broken is None:
                    first_broken = seq
            if action in ("case.create", "audit.key"):
                try:
                    key_id = json.loads(body).get("audit_key")
                except (ValueError, AttributeError):
                    key_id = None
                if key_id:
                    key_id = str(key_id)
                    used.add(key_id)
                    key = integrity.load_key(case_id, key_id)
                    mode = "keyed" if key is not None else "unchecked"
                    if key is None:
                        unchecked.append({"key": key_id, "first": seq, "last": seq})
            if mode == "plain":
                counts["unkeyed"] += 1
                ok = digest == integrity.plain_hash(prev_hash or "", at, actor, action, body)
            elif mode == "keyed":
                counts["keyed"] += 1
                ok = digest == integrity.keyed_hash(key, seq, prev_hash or "", at, actor, action, body)
            else:
                unchecked[-1]["last"] = seq
                ok = True
            if (not ok or (prev_hash or "") != prev) and first_broken is None:
                first_broken = seq
            prev, expected_seq = digest, seq + 1
        unused = [key_id for key_id in integrity.local_key_ids(case_id) if key_id not in used]
        return {
            "intact": first_broken is None and not missing and not unchecked and not unused,
            "entries": counts["entries"],
            "last_hash": prev or None,
            "first_broken": first_broken,
            "missing": missing,
            "unkeyed": counts["unkeyed"],
            "keyed": counts["keyed"],
            "unchecked": unchecked,
            "unused_keys": unused,
            "keys_folder": str(integrity.keys_dir(case_id)),
        }
