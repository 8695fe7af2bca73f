"""``workbench report`` and ``workbench image``: the case report and chart or timeline pictures.

Added to the command line by :func:`register`. Qt is loaded inside the commands only, so the
rest of the command line starts as fast as before.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from workbench.cli.common import parse_size
from workbench.files import is_stdout, output_path
from workbench.store import Case, CaseError


def register(main: click.Group) -> None:
    """Add ``report`` and ``image`` to the ``workbench`` command group."""
    main.add_command(report)
    main.add_command(image)


@click.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--all-findings", is_flag=True,
              help="Report every current finding (open, confirmed, dismissed), not only confirmed ones.")
@click.option("--finding", "finding_ids", multiple=True, type=int, metavar="N",
              help="Report finding N (repeatable); only the findings named are reported.")
@click.option("--include-protected", is_flag=True,
              help="Name protected sources and show what only they say (left out by default).")
@click.option("--title", help="A title for the report (defaults to the case title).")
@click.option("--json", "as_json", is_flag=True, help="Print what the report holds as JSON.")
def report(case: Path, output: Path, all_findings: bool, finding_ids: tuple[int, ...], include_protected: bool,
           title: str | None, as_json: bool) -> None:
    """Write the case report of CASE to OUTPUT (.pdf or .html).

    Summary, chart, the confirmed findings (or those chosen) with their explanations and
    evidence, timeline, sources with their grades, and the detectors and parameters used.
    """
    if is_stdout(output):
        # "-": a PDF on standard output; what the command says goes to standard error, and names
        # standard output, not the temporary file the PDF was drawn into.
        with output_path(output, ".pdf") as target, contextlib.redirect_stdout(sys.stderr):
            _report(case, target, all_findings, finding_ids, include_protected, title, as_json, STANDARD_OUTPUT)
        return
    _report(case, output, all_findings, finding_ids, include_protected, title, as_json, None)


#: How a command names "-" (standard output) in what it says and in the audit log.
STANDARD_OUTPUT = "standard output"


def _report(case: Path, output: Path, all_findings: bool, finding_ids: tuple[int, ...], include_protected: bool,
            title: str | None, as_json: bool, shown_as: str | None) -> None:
    from workbench.report.builder import build_report, report_format

    report_format(output)  # a wrong suffix is reported before anything is opened or drawn
    if all_findings and finding_ids:
        raise click.UsageError("use --all-findings or --finding N, not both")
    with Case.open_to_record(case) as opened:
        result = build_report(opened, output, statuses=None if all_findings else ("confirmed",),
                              finding_ids=list(finding_ids) or None, include_protected=include_protected,
                              title=title, recorded_as=shown_as)
        detected = bool(opened.findings(current_only=False))
    if as_json:
        described = result.as_dict()
        if shown_as:
            described["path"] = shown_as
        click.echo(json.dumps(described, indent=2))
        return
    pages = f", {result.pages} page{'s' if result.pages != 1 else ''}" if result.pages else ""
    click.echo(f"wrote {shown_as or result.path} ({result.format}{pages}): {len(result.findings)} finding"
               f"{'s' if len(result.findings) != 1 else ''}"
               + (f" ({', '.join(f'#{i}' for i in result.findings)})" if result.findings else "")
               + f", pictures: {', '.join(sorted(result.images)) or 'none'}")
    if result.withheld_findings:
        click.echo(f"left out {len(result.withheld_findings)} finding(s) resting on protected sources "
                   f"({', '.join(f'#{i}' for i in result.withheld_findings)}); --include-protected shows them")
    if result.withheld_entities:
        click.echo(f"left {result.withheld_entities} entities known only from protected sources off the chart")
    if not result.findings and not detected:
        click.echo("no findings in this case yet: run `workbench detect CASE` first")
    elif not result.findings:
        click.echo("no finding to report: confirm findings with `workbench finding CASE N --confirm`, "
                   "or choose some with --finding N or --all-findings")


@click.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--timeline", is_flag=True, help="Picture the timeline instead of the chart.")
@click.option("--size", default=None, help="WIDTHxHEIGHT in pixels (96 an inch)  [default: 1600x1000, timeline 1600x700]")
@click.option("--dpi", default=96.0, show_default=True, type=click.FloatRange(24, 1200),
              help="Resolution of a PNG (192 doubles its pixels); SVG and PDF are vector.")
@click.option("--title", help="Title above the picture (defaults to the case title).")
@click.option("--no-legend", is_flag=True, help="Leave the legend out.")
@click.option("--include-protected", is_flag=True,
              help="Also draw what only protected sources say (left out by default).")
@click.option("--finding", "finding_id", type=int, metavar="N",
              help="Frame finding N: its evidence in view and in full, the rest faded.")
@click.option("--json", "as_json", is_flag=True, help="Print what was drawn as JSON.")
def image(case: Path, output: Path, timeline: bool, size: str | None, dpi: float, title: str | None,
          no_legend: bool, include_protected: bool, finding_id: int | None, as_json: bool) -> None:
    """Draw the chart (or timeline) of CASE to OUTPUT (.png, .svg or .pdf), as the app shows it.

    The chart keeps the case's layout (entities never placed are laid out for the picture),
    with labels, icons and colours, a title and date line, and a legend of the entity types,
    link types and evidence grades on it.
    """
    if is_stdout(output):
        # "-": a PNG on standard output; what the command says goes to standard error, and names
        # standard output, not the temporary file the PNG was drawn into.
        with output_path(output, ".png") as target, contextlib.redirect_stdout(sys.stderr):
            _image(case, target, timeline, size, dpi, title, no_legend, include_protected, finding_id, as_json,
                   STANDARD_OUTPUT)
        return
    _image(case, output, timeline, size, dpi, title, no_legend, include_protected, finding_id, as_json, None)


def _image(case: Path, output: Path, timeline: bool, size: str | None, dpi: float, title: str | None,
           no_legend: bool, include_protected: bool, finding_id: int | None, as_json: bool,
           shown_as: str | None) -> None:
    from workbench.report.builder import protected_only_entities, shareable_graph

    suffix = output.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise CaseError(f"{output}: a picture is written as .png, .svg or .pdf; name the file so")
    width, height = parse_size(size) if size else ((1600, 700) if timeline else (1600, 1000))
    from workbench.analysis.timeline_model import timeline_model
    from workbench.ui.chart_model import ChartModel
    from workbench.ui.rendering import ExportError, export_chart, export_timeline

    with Case.open_to_record(case) as opened:
        heading = title if title is not None else (opened.meta("title") or opened.path.stem)
        graph = shareable_graph(opened, include_protected=include_protected)
        try:
            if timeline:
                leave_out = set() if include_protected else protected_only_entities(opened)
                captions = None if include_protected else {n: a["caption"] for n, a in graph.nodes(data=True)}
                model = timeline_model(opened, leave_out=leave_out, captions=captions)
                result = export_timeline(model, output, size=(width, height), dpi=dpi, title=heading,
                                         subtitle="Timeline", legend=not no_legend)
            else:
                chart = ChartModel()
                chart.load(opened, graph)
                subtitle = "Chart"
                if finding_id is not None:
                    finding = next((f for f in opened.findings(current_only=False) if f["id"] == finding_id), None)
                    if finding is None:
                        raise CaseError(f"{case}: there is no finding #{finding_id} (`workbench findings {case}` lists them)")
                    if not chart.focus_finding(finding):
                        raise CaseError(f"finding #{finding_id}: none of its evidence is on the chart "
                                        "(it may rest on protected sources: --include-protected)")
                    subtitle = f"Finding #{finding_id}: {finding['detector_id']}"
                result = export_chart(chart, output, size=(width, height), dpi=dpi, title=heading,
                                      subtitle=subtitle, legend=not no_legend)
        except ExportError as error:
            raise CaseError(str(error)) from error
        opened.record_export(f"image-{result.format}", shown_as or output, include_protected,
                             {"entities": len(graph), "links": graph.number_of_edges()})
    if as_json:
        click.echo(json.dumps({"path": shown_as or str(result.path), "format": result.format, "size": [result.width, result.height],
                               "pixels": list(result.pixel_size), "dpi": result.dpi, "labels": result.labels,
                               "legend": {s.title: [e.label for e in s.entries] for s in result.legend}}, indent=2))
        return
    pixels = f", {result.pixel_size[0]}x{result.pixel_size[1]} pixels" if result.format == "png" else ""
    click.echo(f"wrote {shown_as or result.path} ({result.format}, {result.width}x{result.height}{pixels}, "
               f"{len(result.labels)} labels)")
