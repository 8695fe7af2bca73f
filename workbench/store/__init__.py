"""The case store: one SQLite file per investigation."""

from workbench.store.case import SUFFIX, Case, IngestReport
from workbench.store.errors import (
    AuditKeyError,
    CaseCorrupt,
    CaseError,
    CaseExists,
    CaseLocked,
    CaseNotFound,
    CaseReadOnly,
    CaseTampered,
    CaseTooNew,
    IngestError,
    MergeError,
    NotACase,
)

__all__ = [
    "AuditKeyError",
    "SUFFIX",
    "Case",
    "CaseCorrupt",
    "CaseError",
    "CaseExists",
    "CaseLocked",
    "CaseNotFound",
    "CaseReadOnly",
    "CaseTampered",
    "CaseTooNew",
    "IngestError",
    "IngestReport",
    "MergeError",
    "NotACase",
]
