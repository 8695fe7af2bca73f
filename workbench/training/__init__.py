"""Training: synthetic diversion cases with known answers, and scoring of a trainee's marks.

* :mod:`workbench.training.generator` builds a case from a scenario recipe
  (``resources/scenarios/*.yaml``) and a seed: legitimate background trade plus planted
  diversion patterns, and an answer key that is written *next to* the case, never into it.
* :mod:`workbench.training.scoring` compares a trainee's marks (a marks file, or the findings
  the trainee confirmed in the case) with the key: found, missed, false alarms, precision,
  recall, and a debrief that walks through each pattern step by step.

The command line (``workbench train new|score|mark|list``) lives in
:mod:`workbench.cli.training`.
"""

from workbench.training.generator import (
    GeneratedCase,
    Scenario,
    generate,
    key_path_for,
    list_scenarios,
    load_scenario,
    write_case,
)
from workbench.training.scoring import (
    Mark,
    Score,
    collect_marks,
    debrief_text,
    load_key,
    load_marks,
    marks_from_findings,
    marks_path_for,
    save_marks,
    score_marks,
)

__all__ = [
    "GeneratedCase",
    "Mark",
    "Scenario",
    "Score",
    "collect_marks",
    "debrief_text",
    "generate",
    "key_path_for",
    "list_scenarios",
    "load_key",
    "load_marks",
    "load_scenario",
    "marks_from_findings",
    "marks_path_for",
    "save_marks",
    "score_marks",
    "write_case",
]
