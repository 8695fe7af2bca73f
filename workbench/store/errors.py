"""Errors a case file can raise, each with a message a user can act on and a CLI exit code."""

from __future__ import annotations

__all__ = [
    "AuditKeyError",
    "CaseCorrupt",
    "CaseError",
    "CaseExists",
    "CaseLocked",
    "CaseNotFound",
    "CaseReadOnly",
    "CaseTampered",
    "CaseTooNew",
    "IngestError",
    "MergeError",
    "NotACase",
]


class CaseError(Exception):
    """Something is wrong with a case file or an operation on it."""

    exit_code = 1


class CaseNotFound(CaseError):
    exit_code = 3


class CaseExists(CaseError):
    exit_code = 4


class NotACase(CaseError):
    """The file exists but is not a Workbench case (another SQLite database or not SQLite)."""

    exit_code = 5


class CaseCorrupt(CaseError):
    exit_code = 6


class CaseTampered(CaseError):
    """The case's schema is not what Workbench made: triggers, views or tables were added or changed."""

    exit_code = 15


class AuditKeyError(CaseError):
    """The case's audit key cannot be made or read, so its log cannot be written."""

    exit_code = 16


class CaseTooNew(CaseError):
    """Written by a newer Workbench with migrations this version does not know."""

    exit_code = 7


class CaseLocked(CaseError):
    exit_code = 8


class CaseReadOnly(CaseError):
    exit_code = 9


class IngestError(CaseError):
    """A record could not be ingested; the whole ingest was rolled back."""

    exit_code = 10

    def __init__(self, message: str, *, record_number: int | None = None, locator: str | None = None):
        where = []
        if record_number is not None:
            where.append(f"record {record_number}")
        if locator:
            where.append(locator)
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(f"{prefix}{message} (nothing from this import was written)")
        self.record_number = record_number
        self.locator = locator


class MergeError(CaseError):
    exit_code = 11
