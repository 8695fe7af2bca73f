"""Running detectors: parameters from the case, one detector's failure never stops the others.

Shared by the command line and the desktop app's findings panel (which runs it in a worker).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from workbench.bulk import collector_paused
from workbench.plugin_api import Detector, ParameterError, detectors
from workbench.store import Case


class DetectionCancelled(Exception):
    """The analyst cancelled a detector run; findings of detectors already finished are kept."""


@dataclass
class DetectorOutcome:
    detector_id: str
    findings: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def available_detectors(ids: list[str] | None = None) -> list[type[Detector]]:
    found = {d.id: d for d in detectors()}
    if ids:
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise LookupError(f"no detector {', '.join(map(repr, unknown))}; available: {', '.join(sorted(found))}")
        return [found[i] for i in ids]
    return [found[i] for i in sorted(found)]


def run_detectors(
    case: Case,
    ids: list[str] | None = None,
    *,
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[DetectorOutcome]:
    """Run detectors on ``case`` and store their findings with the parameters used.

    Parameters come from the case (``set_detector_parameters``) with ``overrides`` on top.
    A detector that raises is reported in its outcome and the others still run.
    """
    chosen = available_detectors(ids)
    outcomes = []
    for number, detector in enumerate(chosen):
        if cancelled and cancelled():
            raise DetectionCancelled()
        if progress:
            progress(number / max(len(chosen), 1), detector.id)
        parameters = {**case.detector_parameters(detector.id), **((overrides or {}).get(detector.id, {}))}
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            instance = detector(**parameters)
            with collector_paused():  # detectors build large, long-lived indexes of the case
                findings = list(instance.run(case))
        except ParameterError as error:
            outcomes.append(DetectorOutcome(detector.id, error=f"{detector.id}: {error}"))
            continue
        except Exception as error:  # a plugin bug is reported, never fatal
            frame = traceback.extract_tb(error.__traceback__)[-1]
            message = f"{type(error).__name__}: {error} ({frame.filename}:{frame.lineno})"
            case.record_detector_run(detector.id, detector.version, parameters, [], severity=detector.severity,
                                     started_at=started, error=message)
            outcomes.append(DetectorOutcome(detector.id, error=message))
            continue
        counts = case.record_detector_run(detector.id, detector.version, instance.options, findings,
                                          severity=detector.severity, started_at=started)
        outcomes.append(DetectorOutcome(detector.id, findings=len(findings), counts=counts))
    if progress:
        progress(1.0, "")
    return outcomes
