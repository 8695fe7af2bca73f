"""Find plugins; never let one broken plugin stop the rest.

Two places, one mechanism for built-ins and third parties alike:

* the ``workbench.plugins`` entry-point group of installed packages (Workbench's own built-in
  plugins are registered there by its ``pyproject.toml``);
* a user plugin folder of ``*.py`` files (``$WORKBENCH_PLUGIN_DIR``, else
  ``$XDG_DATA_HOME/workbench/plugins``, else ``~/.local/share/workbench/plugins``): every
  :class:`Plugin` subclass with an ``id`` defined in such a file is loaded.

Importing a plugin runs its code, so each import is guarded: whatever it raises (``sys.exit()``
included) and an import that does not finish within a time limit (an endless loop) become that
plugin's reported failure, and the program goes on without it.

Discovery is cached: installed plugins are loaded once per program, and a file of the user
folder once per version of the file (a file saved again is loaded again; a new file is found on
the next discovery). :func:`reload_plugins` forgets everything, so the next discovery runs every
plugin's code afresh.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from workbench.paths import user_data_dir
from workbench.plugin_api.base import Detector, Exporter, Importer, Plugin

ENTRY_POINT_GROUP = "workbench.plugins"
_BASES = (Plugin, Importer, Detector, Exporter)
#: Seconds a plugin's import may take before it is given up as hanging
#: (``$WORKBENCH_PLUGIN_IMPORT_TIME_LIMIT`` overrides).
IMPORT_TIME_LIMIT = 20.0
# Imports given up as hanging, by file and version, so a program does not wait for them again.
_hung: dict[tuple, str] = {}
# What discovery found, kept until reload_plugins(): the installed plugins (loaded once), and
# each user-folder file's plugins by the file's path, size and modification time.
_installed: list[PluginInfo] | None = None
_user_files: dict[tuple, list[PluginInfo]] = {}
_cache_lock = threading.RLock()


@dataclass
class PluginInfo:
    """One discovered plugin: what it is, where it came from, and whether it loaded."""

    name: str
    origin: str
    plugin: type[Plugin] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.plugin is not None


def user_plugin_dir() -> Path:
    configured = os.environ.get("WORKBENCH_PLUGIN_DIR")
    if configured:
        return Path(configured).expanduser()
    return user_data_dir() / "plugins"


def _describe(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    if isinstance(error, SystemExit):
        return f"SystemExit: the plugin called sys.exit({error.code!r}) while being imported{where}"
    return f"{type(error).__name__}: {error}{where}"


def import_time_limit() -> float:
    try:
        return float(os.environ.get("WORKBENCH_PLUGIN_IMPORT_TIME_LIMIT", IMPORT_TIME_LIMIT))
    except ValueError:
        return IMPORT_TIME_LIMIT


class _ImportStopped(BaseException):
    """Raised inside a plugin's import that ran past the time limit, to end it."""


def _guarded_load(load: Callable[[], object], key: tuple, *, timed: bool = True) -> tuple[object, str | None]:
    """``load()``'s value, or ``None`` and why it failed: raised anything, or hung.

    The import runs in a thread so that an endless loop can be given up on; it is then stopped
    with an exception (which a loop that swallows every exception survives: it is left behind,
    a daemon thread that ends with the program). Workbench's own plugins (``timed=False``) are
    trusted not to loop, and never stopped half-way on a slow, busy machine.
    """
    if key in _hung:
        return None, _hung[key]
    if not timed:
        try:
            return load(), None
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001
            return None, _describe(error)
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = load()
        except BaseException as error:  # noqa: BLE001 - plugin code: anything it raises is its failure
            outcome["error"] = error

    limit = import_time_limit()
    thread = threading.Thread(target=target, name="workbench-plugin-import", daemon=True)
    thread.start()
    thread.join(limit if limit > 0 else None)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_ImportStopped))
        thread.join(0.2)
        _hung[key] = f"did not finish importing within {limit:g} s (an endless loop?); skipped"
        return None, _hung[key]
    if "error" in outcome:
        return None, _describe(outcome["error"])  # type: ignore[arg-type]
    return outcome.get("value"), None


def _check(plugin: object, what: str) -> type[Plugin]:
    if not (isinstance(plugin, type) and issubclass(plugin, Plugin)):
        raise TypeError(f"{what} is not a Workbench plugin class")
    if not plugin.id:
        raise TypeError(f"{what} has no id in its manifest")
    if plugin.kind not in ("importer", "detector", "exporter"):
        raise TypeError(f"{what} is neither an Importer, a Detector nor an Exporter")
    return plugin


def _from_entry_points() -> list[PluginInfo]:
    found = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        distribution = getattr(entry, "dist", None)
        origin = f"package {distribution.name} {distribution.version}" if distribution else f"package {entry.value}"
        if distribution is not None and distribution.name == "workbench":
            origin = "built-in"
        loaded, error = _guarded_load(entry.load, ("entry point", entry.value), timed=origin != "built-in")
        if error is not None:  # a broken plugin is reported, never fatal
            found.append(PluginInfo(entry.name, origin, error=error))
            continue
        if isinstance(loaded, ModuleType):
            # A module entry point offers every plugin class it defines (a family of detectors).
            classes = _plugin_classes(loaded, loaded.__name__)
            if not classes:
                found.append(PluginInfo(entry.name, origin, error=f"{entry.value} defines no plugin class with an id"))
            for plugin in classes:
                found.append(PluginInfo(plugin.id, origin, plugin=plugin))
            continue
        try:
            found.append(PluginInfo(entry.name, origin, plugin=_check(loaded, entry.value)))
        except Exception as error:
            found.append(PluginInfo(entry.name, origin, error=_describe(error)))
    return found


def _plugin_classes(module: ModuleType, module_name: str) -> list[type[Plugin]]:
    return sorted(
        (
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Plugin)
            and value not in _BASES
            and value.__module__ == module_name
            and value.id
        ),
        key=lambda plugin: plugin.id,
    )


def _from_folder(folder: Path) -> list[PluginInfo]:
    found: list[PluginInfo] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            stat = path.stat()
            key: tuple = ("file", str(path), stat.st_mtime_ns, stat.st_size)
        except OSError:
            key = ("file", str(path))
        if key not in _user_files:
            _user_files[key] = _load_file(path, key)
        found.extend(_user_files[key])
    return found


def _load_file(path: Path, key: tuple) -> list[PluginInfo]:
    """Run one user-folder file (guarded) and list its plugins, or why it failed."""
    found: list[PluginInfo] = []
    module_name = f"workbench_user_plugins.{path.stem}"
    origin = f"user folder {path}"

    def load() -> ModuleType:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module

    module, error = _guarded_load(load, key)
    if error is not None:
        sys.modules.pop(module_name, None)
        return [PluginInfo(path.stem, origin, error=error)]
    classes = _plugin_classes(module, module_name)
    if not classes:
        found.append(PluginInfo(path.stem, origin, error="defines no plugin class with an id"))
    for plugin in classes:
        try:
            found.append(PluginInfo(plugin.id, origin, plugin=_check(plugin, plugin.__name__)))
        except TypeError as error:
            found.append(PluginInfo(plugin.__name__, origin, error=str(error)))
    return found


def discover_plugins(folder: Path | None = None) -> list[PluginInfo]:
    """Every plugin from installed packages and the user folder, loaded or with its error.

    When two plugins claim the same id, the first found (installed before user folder) wins and
    the other is reported as shadowed. Cached: a plugin's code runs once, not on every call (see
    :func:`reload_plugins`); each call returns its own list.
    """
    global _installed
    with _cache_lock:
        if _installed is None:
            _installed = _from_entry_points()
        found = [replace(info) for info in _installed + _from_folder(folder if folder is not None else user_plugin_dir())]
    seen: dict[str, PluginInfo] = {}
    for info in found:
        if not info.ok:
            continue
        first = seen.get(info.plugin.id)
        if first is None:
            seen[info.plugin.id] = info
        else:
            info.error = f"id {info.plugin.id!r} is already taken by the plugin from {first.origin}"
            info.plugin = None
    return found


def reload_plugins() -> None:
    """Forget every plugin found, so the next discovery looks again: installed packages' entry
    points are read afresh and every file of the user folder is run again."""
    global _installed
    with _cache_lock:
        _installed = None
        _user_files.clear()


def find_plugin(plugin_id: str, kind: str | None = None) -> type[Plugin]:
    """The loaded plugin class whose manifest ``id`` is ``plugin_id``."""
    loaded = discover_plugins()
    for info in loaded:
        if info.ok and info.plugin.id == plugin_id and (kind is None or info.plugin.kind == kind):
            return info.plugin
    available = sorted(info.plugin.id for info in loaded if info.ok and (kind is None or info.plugin.kind == kind))
    failed = [f"{info.name}: {info.error}" for info in loaded if not info.ok]
    message = f"no {kind or 'plugin'} with id {plugin_id!r}; available: {', '.join(available) or 'none'}"
    if failed:
        message += f" (failed to load: {'; '.join(failed)})"
    raise LookupError(message)


def importers() -> list[type[Importer]]:
    return [info.plugin for info in discover_plugins() if info.ok and info.plugin.kind == "importer"]


def choose_importer(path: Path) -> type[Importer]:
    """The importer most confident it can read ``path`` (see :meth:`Importer.sniff`)."""
    scored = []
    for importer in importers():
        try:
            score = importer.sniff(path)
        except (Exception, SystemExit):  # a sniffer that crashes or exits simply does not claim the file
            score = 0.0
        if score > 0:
            scored.append((score, importer.id, importer))
    if not scored:
        names = ", ".join(sorted(f"{i.id} ({' '.join(i.file_patterns)})" for i in importers()))
        raise LookupError(f"{path}: no importer recognises this file; name one with --importer. Importers: {names}")
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored[0][2]


def detectors() -> list[type[Detector]]:
    return [info.plugin for info in discover_plugins() if info.ok and info.plugin.kind == "detector"]


def exporters() -> list[type[Exporter]]:
    return [info.plugin for info in discover_plugins() if info.ok and info.plugin.kind == "exporter"]


def find_exporter(format_name: str) -> type[Exporter]:
    found = {e.format or e.id: e for e in exporters()}
    if format_name not in found:
        raise LookupError(f"no exporter for format {format_name!r}; available: {', '.join(sorted(found)) or 'none'}")
    return found[format_name]
