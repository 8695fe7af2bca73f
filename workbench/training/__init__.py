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

from workbench.training import scoring
from workbench.training.generator import (
    GeneratedCase,
    Scenario,
    generate,
    key_path_for,
    list_scenarios,
    load_scenario,
    write_case,
)
from workbench.training.scoring import *  # noqa: F403  (marks, keys, scores and the debrief: scoring.__all__)

__all__ = ["GeneratedCase", "Scenario", "generate", "key_path_for", "list_scenarios", "load_scenario", "write_case"]
__all__ += scoring.__all__
