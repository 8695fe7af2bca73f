"""Evidence out of the case: the case report (HTML, PDF) from a template in ``resources/``.

Pictures in a report come from the UI's own chart and timeline views, rendered offscreen
(``workbench.ui.rendering``); Qt is loaded only when a report is built.
"""

__all__ = [
    "DEFAULT_STATUSES",
    "REPORT_FORMATS",
    "ReportResult",
    "build_report",
    "choose_findings",
    "protected_only_entities",
    "shareable_graph",
]


def __getattr__(name: str):
    # Loaded on first use: the command line imports this package for its `report` command,
    # and every other command should not pay for Jinja2 and the report builder.
    if name in __all__:
        from workbench.report import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'workbench.report' has no attribute {name!r}")
