"""Workbench's built-in plugins, written exactly as a third-party plugin would be."""
