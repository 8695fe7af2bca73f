"""The case store: one SQLite file per investigation."""

from workbench.store.case import SUFFIX, Case, IngestReport
from workbench.store.errors import (
    CaseCorrupt,
    CaseError,
    CaseExists,
    CaseLocked,
    CaseNotFound,
    CaseReadOnly,
    CaseTooNew,
    IngestError,
    MergeError,
    NotACase,
)

__all__ = [
    "SUFFIX",
    "Case",
    "CaseCorrupt",
    "CaseError",
    "CaseExists",
    "CaseLocked",
    "CaseNotFound",
    "CaseReadOnly",
    "CaseTooNew",
    "IngestError",
    "IngestReport",
    "MergeError",
    "NotACase",
]
