"""Workbench: an offline link-analysis workbench for counterproliferation investigations."""

__version__ = "0.1.0"
