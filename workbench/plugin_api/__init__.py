"""What plugins see: base classes whose class attributes are the manifest, the case as plugins
read it (:class:`CaseReader`), and discovery.

Built-in plugins (``plugins/``, installed as ``workbench_plugins``) are found exactly as a
third party's are: through the ``workbench.plugins`` entry-point group. See
``docs/plugins.md`` for how to write one.
"""

from workbench.plugin_api.base import (
    Detector,
    Exporter,
    Importer,
    Parameter,
    ParameterError,
    Plugin,
    SourceFormatError,
)
from workbench.plugin_api.case_reader import CaseReader, EntityFacts, FactsSnapshot
from workbench.plugin_api.discovery import (
    PluginInfo,
    choose_importer,
    detectors,
    discover_plugins,
    exporters,
    find_exporter,
    find_plugin,
    importers,
    reload_plugins,
    user_plugin_dir,
)
from workbench.plugin_api.wording import mention, own_caption

__all__ = [
    "CaseReader",
    "Detector",
    "EntityFacts",
    "Exporter",
    "FactsSnapshot",
    "Importer",
    "Parameter",
    "ParameterError",
    "Plugin",
    "PluginInfo",
    "SourceFormatError",
    "choose_importer",
    "detectors",
    "discover_plugins",
    "exporters",
    "find_exporter",
    "find_plugin",
    "importers",
    "mention",
    "own_caption",
    "reload_plugins",
    "user_plugin_dir",
]
