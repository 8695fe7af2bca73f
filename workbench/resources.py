"""Locate bundled resources both in an installed package and in a source checkout."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """The folder holding the demo case, reference tables and templates."""
    try:
        import workbench_resources  # installed by `pip install .`

        return Path(workbench_resources.__file__).parent
    except ImportError:
        # Running from a source checkout without installing.
        return Path(__file__).resolve().parent.parent / "resources"


def demo_case_file() -> Path:
    return resources_dir() / "demo" / "demo.ftm.json"
