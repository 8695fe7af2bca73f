"""What a case file must pass before Workbench trusts it, and the keys that sign its audit log.

Three checks, all made when a case is opened, before anything reads or writes its facts:

- **Is the file sound?** ``PRAGMA quick_check`` reads every page. A case that fails it is never
  written to. Its result is remembered in the user's data folder, keyed on the file's (and its
  write-ahead log's) size and modification time, so a case that has not changed since it last
  passed is not read twice over by read-only commands.
- **Is the schema Workbench's own?** The tables, views, triggers and indexes in ``sqlite_master``
  must be exactly those the recorded migrations made. A trigger that rewrites what is written, or
  a view that stands in for a table, is named and the case refused.
- **Can the audit log be checked?** Each case has a secret key kept outside the case file, in the
  user's data folder (``keys/<case id>/<key id>.key``). The audit log's hashes are HMACs with
  that key, so rewriting the log and recomputing the chain takes the key, not only the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
from pathlib import Path

import sqlite_utils

from workbench.files import write_text_atomically
from workbench.paths import user_data_dir
from workbench.store import migrations as _migrations

# ------------------------------------------------------------------------------------------- schema

_expected: dict[tuple[str, ...], dict[str, tuple[str, str, str | None]]] = {}


def _normalise(sql: str | None) -> str | None:
    """SQL text compared for meaning, not spelling: case, quoting and spacing do not count."""
    if sql is None:
        return None
    text = re.sub(r"[\"`\[\]]", "", sql.lower())
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s*([(),;=])\s*", r"\1", text).strip()


def schema_of(conn: sqlite3.Connection) -> dict[str, tuple[str, str, str | None]]:
    """``name -> (type, table, normalised sql)`` for every object a user could have made."""
    return {
        name: (kind, table, _normalise(sql))
        for kind, name, table, sql in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    }


def expected_schema(applied: list[str]) -> dict[str, tuple[str, str, str | None]]:
    """The schema the named migrations make, built once in memory by running them."""
    known = [name for name, _ in _migrations.MIGRATIONS]
    key = (*applied, "|", *known)
    if key not in _expected:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        try:
            db = sqlite_utils.Database(conn)
            _migrations.create_migration_record(db)
            for name, migration in _migrations.MIGRATIONS:
                if name in applied:
                    migration(db)
            _expected[key] = schema_of(conn)
        finally:
            conn.close()
    return _expected[key]


def schema_problems(conn: sqlite3.Connection, applied: list[str]) -> list[str]:
    """What in the case's schema Workbench did not make, or made differently, or is missing."""
    expected = expected_schema(applied)
    actual = schema_of(conn)
    problems = []

    def named(kind: str, name: str, table: str) -> str:
        return f"{kind} {name}" + (f" on {table}" if kind in ("trigger", "index") and table != name else "")

    for name, (kind, table, sql) in actual.items():
        if name not in expected:
            problems.append(f"{named(kind, name, table)} is not Workbench's")
        elif expected[name][0] != kind:
            problems.append(f"{named(kind, name, table)} stands where Workbench made a {expected[name][0]}")
        elif expected[name] != (kind, table, sql):
            problems.append(f"{named(kind, name, table)} is not as Workbench made it")
    for name, (kind, table, _sql) in expected.items():
        if name not in actual:
            problems.append(f"{named(kind, name, table)} is missing")
    return problems


# -------------------------------------------------------------------------------------- soundness

def _fingerprint(path: Path) -> list[int]:
    """Size and modification time of the file and its write-ahead log: a change to either shows."""
    parts = []
    for candidate in (path, Path(str(path) + "-wal")):
        try:
            info = candidate.stat()
            parts += [info.st_size, info.st_mtime_ns, info.st_ino]
        except FileNotFoundError:
            parts += [0, 0, 0]
    return parts


def _checked_file() -> Path:
    return user_data_dir() / "checked-cases.json"


def _load_checked() -> dict[str, list[int]]:
    try:
        data = json.loads(_checked_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def passed_before(path: Path) -> bool:
    """Whether this file, exactly as it is now, passed the check before."""
    return _load_checked().get(str(path.resolve())) == _fingerprint(path)


def remember_passed(path: Path) -> None:
    """Remember that the file as it is now passed (best effort: a read-only data folder only costs time)."""
    checked = _load_checked()
    checked[str(path.resolve())] = _fingerprint(path)
    if len(checked) > 200:  # only recent cases matter
        checked = dict(list(checked.items())[-200:])
    target = _checked_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(target, json.dumps(checked))
    except OSError:
        pass


def quick_check(conn: sqlite3.Connection) -> str | None:
    """``None`` if the file is sound, else SQLite's first complaint."""
    rows = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    return None if rows == ["ok"] else "; ".join(rows)


# ------------------------------------------------------------------------------------ audit keys

def keys_dir(case_id: str) -> Path:
    """Where this machine keeps the audit keys of one case: never beside the case file."""
    return user_data_dir() / "keys" / case_id


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def new_key(case_id: str) -> tuple[str, bytes, Path]:
    """Make and save a new audit key for a case; returns its id, the key and where it was saved."""
    key = secrets.token_bytes(32)
    key_id = key_id_of(key)
    folder = keys_dir(case_id)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(folder, 0o700)
    except OSError:
        pass
    path = folder / f"{key_id}.key"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key_id, key, path


def load_key(case_id: str, key_id: str) -> bytes | None:
    try:
        key = bytes.fromhex((keys_dir(case_id) / f"{key_id}.key").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return key if key_id_of(key) == key_id else None


def local_key_ids(case_id: str) -> list[str]:
    """The ids of the keys this machine made for a case."""
    folder = keys_dir(case_id)
    return sorted(p.stem for p in folder.glob("*.key")) if folder.is_dir() else []


def plain_hash(prev_hash: str, at: str, actor: str, action: str, body: str) -> str:
    """The unkeyed chain of cases made before keys: anyone holding the file can recompute it."""
    return hashlib.sha256("\x1f".join([prev_hash, at, actor, action, body]).encode()).hexdigest()


def keyed_hash(key: bytes, seq: int, prev_hash: str, at: str, actor: str, action: str, body: str) -> str:
    """HMAC-SHA256 with the case's key over the entry number, the previous hash and the entry."""
    message = "\x1f".join([str(seq), prev_hash, at, actor, action, body]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
