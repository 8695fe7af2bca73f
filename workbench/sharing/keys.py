"""The sharing key: pseudonyms of personal values (HMAC-SHA256 under a secret), and the key file that
maps them back, kept apart from every export (``$XDG_DATA_HOME/workbench/sharing-keys``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.files import atomic_write
from workbench.paths import user_data_dir
from workbench.store import Case, CaseError

KEY_FORMAT = "workbench-sharing-key"
KEY_VERSION = 1
SHARE_FORMATS = ("ftm", "xlsx")
COARSENINGS = ("month", "year")


class SharingKeyError(CaseError):
    """A key file that cannot be read, or would be written where it must not be."""

    exit_code = 2


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------- pseudonyms


def _phone_pseudonym(digest: str) -> str:
    """A number under +808, a calling code that belongs to no country.

    FtM drops phone numbers that are not valid, so a pseudonym must be a valid number to survive
    a partner's import; one in a country's numbering plan would suggest a country (and invent a
    "phone from abroad" red flag) and could be someone's real number. +808 is the ITU's
    non-geographic code for universal shared-cost numbers, which is valid to FtM and
    phonenumbers, places the number nowhere and is hardly used.
    """
    number = int(digest[:12], 16)
    return f"+808{1 + number % 9}{(number // 9) % 10_000_000:07d}"  # +808 numbers never start with 0


@lru_cache(maxsize=1)
def _webmail_domains() -> frozenset[str]:
    from workbench.reference import column

    try:
        return frozenset(domain.lower() for domain in column("webmail_domains", "domain"))
    except (FileNotFoundError, KeyError):
        return frozenset()


def _email_pseudonym(value: str, digest: str) -> str:
    # A free webmail provider is a red flag in itself and names nobody, so it stays readable;
    # ``.invalid`` (RFC 2606) keeps the address from ever reaching a real mailbox.
    domain = value.rpartition("@")[2].strip().lower()
    host = f"{domain}.invalid" if domain in _webmail_domains() else "example.invalid"
    return f"user-{digest[:8]}@{host}"


#: How each kind of value reads once pseudonymised (``h`` is the HMAC in hex).
_FORMS = {
    "person": lambda value, h: f"Person {h[:8]}",
    "party": lambda value, h: f"Party {h[:8]}",
    "place": lambda value, h: f"Place {h[:8]}",
    # Three words and a digit: precise enough for the shared-address red flag to count it.
    "address": lambda value, h: f"Pseudonymous address {h[:8]}",
    "identifier": lambda value, h: f"ID-{h[:8]}",
    "account": lambda value, h: f"ACCT-{h[:8]}",
    "wallet": lambda value, h: f"WALLET-{h[:8]}",
    "username": lambda value, h: f"user-{h[:8]}",
    "url": lambda value, h: f"https://example.invalid/{h[:8]}",
    "entity": lambda value, h: f"wb-{h[:16]}",
    "email": _email_pseudonym,
    "phone": lambda value, h: _phone_pseudonym(h),
}
KINDS = tuple(_FORMS)
#: Kinds that share a hash namespace: a name gets the same hex whether it names a person or a
#: party of unknown type ("Person 7f3a2c1b", "Party 7f3a2c1b").
_NAMESPACE = {"person": "name", "party": "name"}

#: Every shape a pseudonym can take, to find them again in a file that comes back.
PSEUDONYM_PATTERN = re.compile(
    r"user-[0-9a-f]{8}@[A-Za-z0-9.-]*\.invalid"
    r"|https://example\.invalid/[0-9a-f]{8}"
    r"|wb-[0-9a-f]{16}"
    r"|(?:Person|Party|Place|Pseudonymous address) [0-9a-f]{8}"
    r"|(?:ID|ACCT|WALLET)-[0-9a-f]{8}"
    r"|user-[0-9a-f]{8}"
    r"|\+808[1-9]\d{7}"
)

SPACES = re.compile(r"\s+")


def normalise(kind: str, value: str) -> str:
    """The form of ``value`` that is hashed: spelling variants that name the same thing agree."""
    value = value.strip()
    if kind in ("person", "party", "place", "address"):
        return SPACES.sub(" ", value).casefold()
    if kind == "email":
        return value.casefold()
    if kind == "phone":
        return "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if kind in ("account", "identifier"):
        return "".join(value.split()).upper()
    if kind in ("wallet", "username"):
        return "".join(value.split())  # crypto addresses are case-sensitive
    return value


class SharingKey:
    """The analyst's key to de-identified exports: the HMAC secret and every pseudonym's original.

    Kept apart from the exports (by default in ``$XDG_DATA_HOME/workbench/sharing-keys``), written
    readable by its owner only (mode 0600). Reusing it makes later exports reuse the same
    pseudonyms, so a partner can join what they received on different days.
    """

    def __init__(self, path: Path, secret: bytes, entries: dict[str, dict[str, str]] | None = None,
                 created_at: str | None = None, exports: list[dict[str, Any]] | None = None):
        self.path = Path(path)
        self._secret = secret
        self.entries: dict[str, dict[str, str]] = dict(entries or {})
        self.created_at = created_at or _now()
        self.exports: list[dict[str, Any]] = list(exports or [])
        self._by_original = {(entry["kind"], normalise(entry["kind"], entry["value"])): pseudonym
                             for pseudonym, entry in self.entries.items()}
        self.new_pseudonyms = 0

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> "SharingKey":
        """Load the key at ``path``; with ``create``, make (and save) a new one if there is none."""
        path = Path(path)
        if path.exists():
            return cls.load(path)
        if not create:
            raise SharingKeyError(f"{path}: no such key file")
        key = cls(path, secrets.token_bytes(32))
        # Saved before any pseudonym is handed out: a key that cannot be written is reported
        # before an export exists that nobody could re-identify.
        key.save()
        return key

    @classmethod
    def load(cls, path: str | Path) -> "SharingKey":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SharingKeyError(f"{path}: not a Workbench sharing key ({error})") from error
        if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
            raise SharingKeyError(f"{path}: not a Workbench sharing key (expected \"format\": \"{KEY_FORMAT}\")")
        if data.get("version", 0) > KEY_VERSION:
            raise SharingKeyError(f"{path}: written by a newer Workbench (key version {data.get('version')})")
        try:
            secret = bytes.fromhex(data["secret"])
            entries = {str(p): {"kind": str(e["kind"]), "value": str(e["value"])}
                       for p, e in data.get("pseudonyms", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise SharingKeyError(f"{path}: the sharing key is damaged ({error!r})") from error
        return cls(path, secret, entries, data.get("created_at"), data.get("exports"))

    @property
    def readable_by_others(self) -> bool:
        """Whether the file on disk lets group or others read it (it should not)."""
        try:
            return bool(self.path.stat().st_mode & 0o077)
        except OSError:
            return False

    def pseudonym(self, kind: str, value: str, avoid: frozenset[str] | set[str] = frozenset()) -> str:
        """The pseudonym of ``value`` as a ``kind`` (see :data:`KINDS`), the same every time.

        ``avoid`` holds real values a pseudonym must not coincide with (a fictional phone
        number that is also in the case); a clash with another original or with ``avoid``
        moves on to the next candidate, and the key remembers the choice.
        """
        normal = normalise(kind, value)
        known = self._by_original.get((kind, normal))
        if known is not None:
            return known
        namespace = _NAMESPACE.get(kind, kind)
        form = _FORMS[kind]
        attempt = 0
        while True:
            message = f"{namespace}\x1f{normal}" + (f"\x1f{attempt}" if attempt else "")
            digest = hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).hexdigest()
            candidate = form(value, digest)
            usable = kind != "address" or any(ch.isdigit() for ch in candidate)
            if usable and candidate not in self.entries and candidate not in avoid:
                break
            attempt += 1
        self.entries[candidate] = {"kind": kind, "value": value}
        self._by_original[(kind, normal)] = candidate
        self.new_pseudonyms += 1
        return candidate

    def original(self, pseudonym: str) -> str | None:
        entry = self.entries.get(pseudonym)
        return entry["value"] if entry else None

    def note_export(self, **details: Any) -> None:
        """Remember an export made with this key (when, of which case, to which file)."""
        self.exports.append({"at": _now(), **details})

    def save(self) -> None:
        """Write the key readable by its owner only, replacing the file in one step."""
        data = {
            "format": KEY_FORMAT,
            "version": KEY_VERSION,
            "warning": "This file re-identifies de-identified Workbench exports. Keep it apart from them; "
                       "never send it with an export.",
            "created_at": self.created_at,
            "updated_at": _now(),
            "secret": self._secret.hex(),
            "exports": self.exports,
            "pseudonyms": {p: self.entries[p] for p in sorted(self.entries)},
        }
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
        with atomic_write(self.path, permissions=0o600) as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.write("\n")


def default_key_path(case: Case) -> Path:
    """Where a case's sharing key lives unless the analyst names one: in the user's data folder,
    never beside the case or the export (``$XDG_DATA_HOME/workbench/sharing-keys/CASE-ID.json``)."""
    return user_data_dir() / "sharing-keys" / f"{case.meta('case_id') or Path(case.path).stem}.json"


def key_beside_export(key_path: Path, export_path: Path) -> bool:
    """Whether the key would sit in the export's own folder (and so be zipped and sent with it)."""
    return Path(key_path).resolve().parent == Path(export_path).resolve().parent
