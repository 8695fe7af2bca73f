"""Running detectors: parameters from the case, one detector's failure never stops the others.

Shared by the command line and the desktop app's findings panel (which runs it in a worker).

Detectors are plugin code, so they run guarded:

* in a worker process (forked, so it already holds the loaded plugins) that reads the case through
  its own read-only connection: a detector can read everything and write nothing;
* one detector at a time, with a time limit: a detector that raises anything (``sys.exit()`` and
  ``KeyboardInterrupt`` included), ends its process, or runs past the limit is recorded as that
  detector's error, and the next detector runs in a fresh worker;
* its findings are checked before the host stores them: a malformed finding is rejected with a
  message naming it, the detector's other findings are kept.

How far a run got is kept in the case, so a run that was cancelled or killed shows as partial
(:func:`unfinished_run`) in ``workbench detect``, ``workbench findings`` and the report.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing import Pipe
from typing import Any

from workbench.bulk import collector_paused
from workbench.plugin_api import Detector, ParameterError, detectors
from workbench.plugin_api.wording import shorten
from workbench.store import Case

#: Seconds one detector may run before it is stopped and recorded as failed. The slowest built-in
#: detector takes a few seconds on a case of 120,000 payments; ten minutes leaves room for far
#: bigger cases while still ending a detector that loops forever.
DEFAULT_TIME_LIMIT = 600.0

SEVERITIES = ("low", "medium", "high")
_MAX_PROBLEMS_SHOWN = 5


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
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> list[DetectorOutcome]:
    """Run detectors on ``case`` and store their findings with the parameters used.

    Parameters come from the case (``set_detector_parameters``) with ``overrides`` on top.
    Each detector runs guarded (see the module's notes) for at most ``time_limit`` seconds
    (``None`` or 0: no limit); whatever goes wrong in it is reported in its outcome and stored
    with its run, and the others still run. A detector that fails keeps its earlier findings.
    """
    chosen = available_detectors(ids)
    if not ids:
        # A family's detectors one after the other: what they share (the payments read once, the
        # graph) is built once and released before the next family's (see _run_one).
        # Families in the order of their first detector's id, so the order still reads alphabetically.
        first_of: dict[str, str] = {}
        for detector in chosen:
            first_of[detector.__module__] = min(first_of.get(detector.__module__, detector.id), detector.id)
        chosen.sort(key=lambda detector: (first_of[detector.__module__], detector.id))
    run = _RunProgress(case, [detector.id for detector in chosen])
    outcomes: list[DetectorOutcome] = []
    worker: _Worker | _InlineWorker | None = None
    ending = "interrupted"
    try:
        for number, detector in enumerate(chosen):
            if cancelled and cancelled():
                ending = "cancelled"
                raise DetectionCancelled()
            if progress:
                progress(number / max(len(chosen), 1), detector.id)
            parameters = {**case.detector_parameters(detector.id), **((overrides or {}).get(detector.id, {}))}
            started = _now()
            if worker is None:
                worker = _Worker(case, chosen) if hasattr(os, "fork") else _InlineWorker(case, chosen)
            try:
                reply = worker.run(number, parameters, time_limit, cancelled)
            except DetectionCancelled:
                ending = "cancelled"
                raise
            if reply[0] in ("timeout", "died"):
                worker = None  # stopped or gone; the next detector gets a fresh one
            outcomes.append(_store(case, detector, parameters, started, reply))
            run.done.add(detector.id)
        ending = "finished"
    except BaseException as error:
        if ending == "interrupted" and not isinstance(error, KeyboardInterrupt):
            ending = f"stopped by an error: {type(error).__name__}: {error}"
        raise
    finally:
        if worker is not None:
            worker.stop()
        run.end(ending)
    if progress:
        progress(1.0, "")
    return outcomes


def _store(case: Case, detector: type[Detector], parameters: dict[str, Any], started: str,
           reply: tuple) -> DetectorOutcome:
    """Record one detector's run (its findings, or its error) in the case."""
    kind = reply[0]
    if kind == "parameters":  # the analyst's values do not fit: nothing ran, nothing to record
        return DetectorOutcome(detector.id, error=f"{detector.id}: {reply[1]}")
    if kind == "done":
        _, options, findings, problems = reply
        error = _rejections(problems, len(findings) + len(problems)) if problems else None
        counts = case.record_detector_run(detector.id, detector.version, options, findings,
                                          severity=detector.severity, started_at=started, error=error)
        return DetectorOutcome(detector.id, findings=len(findings), counts=counts, error=error)
    message = reply[1]
    case.record_detector_run(detector.id, detector.version, parameters, [], severity=detector.severity,
                             started_at=started, error=message)
    return DetectorOutcome(detector.id, error=message)


def _rejections(problems: list[str], total: int) -> str:
    shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
    more = len(problems) - _MAX_PROBLEMS_SHOWN
    return f"rejected {len(problems)} of {total} findings: {shown}" + (f"; and {more} more" if more > 0 else "")


# ---------------------------------------------------------------------------- the worker process


class _Worker:
    """A forked process that runs the chosen detectors, one per request, on a read-only case.

    The worker opens its own connection and never touches the host's, which it inherits; the
    host keeps its connection open until the worker has ended, so SQLite's shared-memory index
    stays in place for both.
    """

    def __init__(self, case: Case, chosen: list[type[Detector]]):
        self._pipe, child_end = Pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never return into the caller's code
            code = 0
            try:
                self._pipe.close()
                _serve(child_end, case.path, chosen)
            except BaseException:  # noqa: BLE001 - the host learns of it by the closed pipe
                code = 70
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        child_end.close()
        self.pid = pid
        self._ended = False

    def run(self, number: int, parameters: dict[str, Any], time_limit: float | None,
            cancelled: Callable[[], bool] | None) -> tuple:
        """Have detector ``number`` run; its reply, or ``("timeout"|"died", message)``."""
        try:
            self._pipe.send(("run", number, parameters))
        except (BrokenPipeError, EOFError, OSError):
            return ("died", self._died())
        deadline = time.monotonic() + time_limit if time_limit else None
        while True:
            wait = 0.1 if cancelled else None
            if deadline is not None:
                left = max(deadline - time.monotonic(), 0.0)
                wait = left if wait is None else min(wait, left)
            if self._pipe.poll(wait):
                try:
                    return self._pipe.recv()
                except (EOFError, OSError):
                    return ("died", self._died())
            if cancelled and cancelled():
                self.stop()
                raise DetectionCancelled()
            if deadline is not None and time.monotonic() >= deadline:
                self.stop()
                return ("timeout", f"did not finish within the time limit of {time_limit:g} s; stopped")

    def _died(self) -> str:
        status = self._reap(block=True)
        self._ended = True
        self._pipe.close()
        if status is not None and os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = str(number)
            return f"the detector ended its worker process (killed by signal {name})"
        code = os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else "unknown"
        return f"the detector ended its worker process (exit code {code})"

    def _reap(self, block: bool) -> int | None:
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return None
        return status if pid else None

    def stop(self) -> None:
        """End the worker (at once: a detector that is stuck gets no say) and collect it."""
        if self._ended:  # its process id may belong to another process by now
            return
        self._ended = True
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap(block=True)
        self._pipe.close()


class _InlineWorker:
    """Where there is no fork (Windows): detectors run in the host, still on a read-only view
    and still guarded against anything they raise, but without a time limit."""

    def __init__(self, case: Case, chosen: list[type[Detector]]):
        self._case, self._chosen = _read_only_case(case.path), chosen

    def run(self, number: int, parameters: dict[str, Any], time_limit: float | None,
            cancelled: Callable[[], bool] | None) -> tuple:
        return _run_one(self._case, self._chosen[number], parameters)

    def stop(self) -> None:
        self._case.close()


def _serve(pipe, path, chosen: list[type[Detector]]) -> None:
    """The worker's loop: open the case read-only, then run detectors as the host asks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the host's to handle
    _die_with_host()
    # A detector's prints must not mix into the host's output (`workbench detect --json`).
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        case = _read_only_case(path)
        failure = None
    except BaseException as error:  # noqa: BLE001
        case, failure = None, f"could not open the case read-only for detectors: {_describe(error)}"
    while True:
        try:
            request = pipe.recv()
        except EOFError:
            return
        _, number, parameters = request
        reply = ("failed", failure) if case is None else _run_one(case, chosen[number], parameters)
        try:
            pipe.send(reply)
        except Exception as error:  # noqa: BLE001 - e.g. a value that cannot be pickled
            pipe.send(("failed", f"its findings could not be handed back: {_describe(error)}"))


def _read_only_case(path) -> Case:
    """The case through a connection that cannot write: opened read-only, and queries only.

    The host opened and checked the case already; this only reads what it committed.
    """
    # Detectors read each table once or twice: the system's file cache serves a second read as
    # well, without SQLite's own cache growing in every worker (32 MB).
    return Case.attach_read_only(path, timeout=10, cache_kib=32768)


def _die_with_host() -> None:
    """Have Linux end this worker when the host dies, so a detector stuck in a loop is not orphaned."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the host died before that took effect
        os._exit(0)


#: The module of the detector that ran last in this process: its family's shared data is kept
#: while detectors of the same family run, and released when another family's detector starts.
_running_family: str | None = None


def _release_caches(case: Case, family: str | None = None) -> None:
    """Let go of what detectors built and share: the snapshot of the case's facts, the case graphs
    and a family's own caches (a detector module's ``release_caches()``), so that the peak memory of
    a run is that of its hungriest family, not the sum of all of them."""
    from workbench.analysis import graph

    case.release_snapshot()
    graph._CACHE.clear()
    families = [family] if family else [name for name in list(sys.modules) if name.startswith("workbench_plugins.")]
    for name in families:
        release = getattr(sys.modules.get(name), "release_caches", None)
        if callable(release):
            try:
                release()
            except Exception:  # noqa: BLE001 - a plugin's cache is its own business
                pass
    gc.collect()


def _run_one(case: Case, detector: type[Detector], parameters: dict[str, Any]) -> tuple:
    global _running_family
    family = detector.__module__
    if _running_family is not None and _running_family != family:
        _release_caches(case, _running_family)
    _running_family = family
    try:
        instance = detector(**parameters)
    except ParameterError as error:
        return ("parameters", str(error))
    except BaseException as error:  # noqa: BLE001 - plugin code: anything it raises is its error
        return ("failed", _describe(error))
    try:
        with collector_paused():  # detectors build large, long-lived indexes of the case
            found = list(instance.run(case))
    except BaseException as error:  # noqa: BLE001
        return ("failed", _describe(error))
    findings, problems = check_findings(case, found)
    return ("done", _plain(instance.options), findings, problems)


def _describe(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    if isinstance(error, SystemExit):
        return f"SystemExit: the detector called sys.exit({error.code!r}){where}"
    text = str(error)
    return f"{type(error).__name__}{': ' + text if text else ''}{where}"


def _plain(value: Any) -> Any:
    """``value`` as JSON data (what the case stores anyway); unknown objects become their text."""
    return json.loads(json.dumps(value, default=str))


# ---------------------------------------------------------------------------- checking findings


def check_findings(case: Case, findings: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The well-formed findings as plain data, and a line for each malformed one.

    A finding needs an explanation, entities and evidence as lists of ids (at least one id; the
    evidence ids must be facts the case holds), a score from 0 to 1 if it has one, and a known
    severity if it names one.
    """
    good, problems = [], []
    candidates = []
    for number, finding in enumerate(findings, 1):
        try:
            candidates.append((number, _checked(finding)))
        except ValueError as problem:
            problems.append((number, str(problem)))
    # Evidence is facts the case holds; parties may be named by id only (a payer never imported).
    known = _known_ids(case, {i for _, finding in candidates for i in finding["evidence"]})
    for number, finding in candidates:
        missing = [i for i in finding["evidence"] if i not in known]
        if missing:
            problems.append((number, f"evidence {missing[0]!r} is not in the case"))
        else:
            good.append(finding)
    return good, [f"finding {number}: {problem}" for number, problem in sorted(problems)]


def _checked(finding: Any) -> dict[str, Any]:
    if not isinstance(finding, Mapping):
        raise ValueError(f"a {type(finding).__name__}, not a dict")
    explanation = finding.get("explanation")
    if explanation is None or (isinstance(explanation, str) and not explanation.strip()):
        raise ValueError("no explanation")
    if not isinstance(explanation, str):
        raise ValueError(f"the explanation must be text, got {type(explanation).__name__}")
    checked: dict[str, Any] = {"explanation": explanation.strip()}
    for what in ("entities", "evidence"):
        ids = finding.get(what, [])
        if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) and i for i in ids):
            raise ValueError(f"{what} must be a list of entity ids, got {_short(ids)}")
        checked[what] = list(ids)
    if not checked["entities"] and not checked["evidence"]:
        raise ValueError("no entities and no evidence")
    score = finding.get("score", 0.5)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or math.isnan(score) or not 0 <= score <= 1:
        raise ValueError(f"score must be a number from 0 to 1, got {score!r}")
    checked["score"] = float(score)
    severity = finding.get("severity")
    if severity is not None:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
        checked["severity"] = severity
    details = finding.get("details")
    if details:
        if not isinstance(details, Mapping):
            raise ValueError(f"details must be a dict, got {type(details).__name__}")
        try:
            checked["details"] = _plain(dict(details))
        except (TypeError, ValueError) as error:
            raise ValueError(f"details cannot be stored: {error}") from error
    return checked


def _short(value: Any) -> str:
    return f"{type(value).__name__} {shorten(repr(value), 40)}"


def _known_ids(case: Case, ids: set[str]) -> set[str]:
    """Those of ``ids`` that name an entity of the case, or an id merged into one."""
    return case.known_ids(ids)


# ---------------------------------------------------------------------------- runs that did not finish


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _host() -> str:
    # Only to tell "still running here" from "stopped"; the machine's name itself is not kept.
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:12]


class _RunProgress:
    """Keeps in the case which chosen detectors have not yet run, so an unfinished run shows.

    Written when a run starts and when it ends; while it runs (or after it was killed) the
    detectors still to run are those without a run record since it started. Detectors an
    earlier unfinished run left out stay listed until a later run has run them.
    """

    def __init__(self, case: Case, detector_ids: list[str]):
        self.case = case
        self.done: set[str] = set()
        earlier = case.detection_progress() or {}
        carried = sorted(set(earlier.get("pending") or []) - set(detector_ids))
        last_run = case.last_detector_run_id()
        self.state = {
            "started_at": _now(),
            "pid": os.getpid(),
            "host": _host(),
            "detectors": detector_ids,
            "after_run_id": last_run or 0,
            "carried": carried,
            "pending": sorted(set(carried) | set(detector_ids)),
            "state": "running",
            "ended_at": None,
            # The unfinished run the carried detectors come from, if any.
            "unfinished": earlier.get("unfinished") if carried else None,
        }
        case.set_detection_progress(self.state)

    def end(self, how: str) -> None:
        self.state["state"] = "finished" if how == "finished" else "unfinished"
        self.state["ended_at"] = _now()
        self.state["pending"] = sorted(set(self.state["carried"]) | (set(self.state["detectors"]) - self.done))
        if how != "finished":
            self.state["unfinished"] = {"started_at": self.state["started_at"], "how": how}
        try:
            self.case.set_detection_progress(self.state)
        except Exception:  # noqa: BLE001 - the case may be what failed; "running" then reads as unfinished
            pass


_HOW = {
    "cancelled": "was cancelled before it finished",
    "interrupted": "was interrupted before it finished",
    "killed": "did not finish (the program was stopped)",
}


def unfinished_run(case: Case) -> str | None:
    """A sentence saying that detectors of a run did not run to the end, or ``None``.

    Covers a run cancelled in the app, interrupted with Ctrl-C, stopped by an error, or killed
    (a run recorded as running whose process is gone), and one still running elsewhere.
    """
    progress = case.detection_progress()
    if progress and progress.get("state") == "running":
        ran = case.detectors_run_since(progress.get("after_run_id") or 0)
        progress["pending"] = sorted(set(progress.get("carried") or [])
                                     | (set(progress.get("detectors") or []) - ran))
    if not progress or not progress.get("pending"):
        return None
    pending = progress["pending"]
    shown = ", ".join(pending[:8]) + (f" and {len(pending) - 8} more" if len(pending) > 8 else "")
    started = _when(progress.get("started_at"))
    if progress.get("state") == "running":
        if _alive(progress):
            return (f"A detector run started {started} is still running (process {progress.get('pid')}); "
                    f"not run yet: {shown}.")
        how, since = "killed", progress.get("started_at")
    else:
        unfinished = progress.get("unfinished") or {}
        how, since = unfinished.get("how", "interrupted"), unfinished.get("started_at")
    what = _HOW.get(how) or f"was {how}"
    subject = "The last detector run" if since == progress.get("started_at") else f"The detector run started {_when(since)}"
    return (f"{subject} {what}; not run: {shown}. Their findings are missing or from earlier runs: "
            "run `workbench detect` again.")


def _when(stamp: str | None) -> str:
    return (stamp or "?")[:16].replace("T", " ") + " UTC" if stamp else "at an unknown time"


def _alive(progress: dict[str, Any]) -> bool:
    if progress.get("host") != _host() or not progress.get("pid"):
        return False
    if progress["pid"] == os.getpid():
        return True
    try:
        os.kill(int(progress["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError):
        return True
    return True
