"""What plugins see: base classes whose class attributes are the manifest, and discovery.

Built-in plugins (``plugins/``, installed as ``workbench_plugins``) are found exactly as a
third party's are: through the ``workbench.plugins`` entry-point group.
"""

from workbench.plugin_api.base import Detector, Exporter, Importer, Plugin, SourceFormatError
from workbench.plugin_api.discovery import PluginInfo, discover_plugins, find_plugin

__all__ = ["Detector", "Exporter", "Importer", "Plugin", "PluginInfo", "SourceFormatError", "discover_plugins", "find_plugin"]
