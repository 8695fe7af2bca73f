"""Source grading on the Admiralty (NATO) system: reliability A-F, credibility 1-6."""

from __future__ import annotations

import re
from dataclasses import dataclass

RELIABILITY = {
    "A": "Completely reliable",
    "B": "Usually reliable",
    "C": "Fairly reliable",
    "D": "Not usually reliable",
    "E": "Unreliable",
    "F": "Reliability cannot be judged",
}
CREDIBILITY = {
    1: "Confirmed by other sources",
    2: "Probably true",
    3: "Possibly true",
    4: "Doubtful",
    5: "Improbable",
    6: "Truth cannot be judged",
}

_GRADE_RE = re.compile(r"^\s*([A-Fa-f])\s*([1-6])\s*$")


@dataclass(frozen=True, order=True)
class Grade:
    """An Admiralty grade such as ``B2``. Unknown is ``F6``, the system's own "cannot judge"."""

    reliability: str = "F"
    credibility: int = 6

    def __post_init__(self) -> None:
        if self.reliability not in RELIABILITY:
            raise ValueError(f"source reliability must be A-F, not {self.reliability!r}")
        if self.credibility not in CREDIBILITY:
            raise ValueError(f"information credibility must be 1-6, not {self.credibility!r}")

    def __str__(self) -> str:
        return f"{self.reliability}{self.credibility}"

    @property
    def description(self) -> str:
        return f"{RELIABILITY[self.reliability]}; {CREDIBILITY[self.credibility].lower()}"

    @property
    def is_weak(self) -> bool:
        """Weak evidence: an unreliable source or information judged doubtful or worse."""
        return self.reliability in "DEF" or self.credibility >= 4


UNGRADED = Grade()


def parse_grade(text: str) -> Grade:
    """Parse ``"B2"`` (case and spaces ignored) into a :class:`Grade`."""
    match = _GRADE_RE.match(text or "")
    if not match:
        raise ValueError(
            f"grade {text!r} is not an Admiralty grade: expected a letter A-F and a digit 1-6, e.g. B2"
        )
    return Grade(match.group(1).upper(), int(match.group(2)))
