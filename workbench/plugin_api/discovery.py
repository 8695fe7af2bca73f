"""Find plugins through the ``workbench.plugins`` entry-point group; never let one stop the rest."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from importlib.metadata import entry_points

from workbench.plugin_api.base import Plugin

ENTRY_POINT_GROUP = "workbench.plugins"


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


def discover_plugins() -> list[PluginInfo]:
    """Load every plugin registered under the entry-point group, reporting failures."""
    found = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        distribution = getattr(entry, "dist", None)
        origin = f"{distribution.name} {distribution.version}" if distribution else entry.value
        try:
            plugin = entry.load()
            if not (isinstance(plugin, type) and issubclass(plugin, Plugin)):
                raise TypeError(f"{entry.value} is not a Workbench plugin class")
            found.append(PluginInfo(entry.name, origin, plugin=plugin))
        except Exception as error:  # a broken plugin is reported, never fatal
            last = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
            where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
            found.append(PluginInfo(entry.name, origin, error=f"{type(error).__name__}: {error}{where}"))
    return found


def find_plugin(plugin_id: str) -> type[Plugin]:
    """The loaded plugin class whose manifest ``id`` is ``plugin_id``."""
    loaded = discover_plugins()
    for info in loaded:
        if info.ok and info.plugin.id == plugin_id:
            return info.plugin
    failed = [f"{info.name}: {info.error}" for info in loaded if not info.ok]
    hint = f" (failed to load: {'; '.join(failed)})" if failed else ""
    raise LookupError(f"no plugin with id {plugin_id!r} is installed{hint}")
