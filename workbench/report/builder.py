"""The case report: summary, chart, findings with their evidence, timeline, sources and method.

A report goes to an editor, a prosecutor or a partner, so it carries only what the analyst
chose (confirmed findings by default, or the findings named) and nothing from a protected
source unless the analyst says so: protected sources are listed as "protected source" without
their file name, entities known only from them are left off the chart and the timeline, and a
finding whose evidence rests on a protected source is left out (and counted, so the reader
knows something was withheld).

The HTML comes from the Jinja2 template ``resources/templates/report.html``; the PDF is the
same HTML typeset by Qt (``workbench.ui.rendering.html_to_pdf``). Pictures are drawn by
the chart and timeline views themselves, offscreen, so the chart in the report is the chart on
screen. Qt is imported only when a report is built, never by importing this module.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx
from followthemoney.types import registry

from workbench import __version__
from workbench.analysis.graph import GraphFilter, case_graph
from workbench.model import model as ftm_model
from workbench.model.provenance import place_in_source
from workbench.model.grading import CREDIBILITY, RELIABILITY, parse_grade
from workbench.files import write_text_atomically
from workbench.resources import resources_dir
from workbench.store import Case, CaseError

REPORT_FORMATS = ("pdf", "html")
DEFAULT_STATUSES = ("confirmed",)
ALL_STATUSES = ("confirmed", "open", "dismissed")
PROTECTED_LABEL = "protected source"
#: Width of the text column of an A4 page with 15 mm margins, in CSS pixels (96 an inch).
PAGE_WIDTH_PX = 680
#: Pictures are drawn at this size (logical pixels) and this resolution, then fitted to the page.
CHART_SIZE = (900, 720)
#: A finding's own chart: page width at a scale where 8-point labels still read on A4; taller
#: for a finding with many parties, so that each of them can be named.
FINDING_CHART_SIZE = (900, 560)
FINDING_CHART_SIZE_LARGE = (900, 820)


def finding_chart_size(evidence_count: int) -> tuple[int, int]:
    """The picture size of a finding's framed chart in the report."""
    return FINDING_CHART_SIZE if evidence_count <= 8 else FINDING_CHART_SIZE_LARGE

#: Framed charts for at most this many findings (each costs about a tenth of a second).
MAX_FINDING_CHARTS = 40
PICTURE_DPI = 192


@dataclass
class ReportResult:
    """What a report contains and what it left out."""

    path: Path
    format: str
    title: str
    pages: int | None
    findings: list[int]
    #: Findings chosen but left out because their evidence rests on a protected source.
    withheld_findings: list[int]
    #: Entities left off the chart and timeline: known only from protected sources.
    withheld_entities: int
    protected_sources: int
    include_protected: bool
    #: The pictures in the report, PNG bytes by name (``chart.png``, ``timeline.png``).
    images: dict[str, bytes] = field(default_factory=dict)
    html: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "format": self.format, "title": self.title, "pages": self.pages,
            "findings": self.findings, "withheld_findings": self.withheld_findings,
            "withheld_entities": self.withheld_entities, "protected_sources": self.protected_sources,
            "include_protected": self.include_protected, "images": sorted(self.images),
        }


# ---------------------------------------------------------------------------------- protection


def protected_only_entities(case: Case) -> set[str]:
    """Entities every record of which comes from a protected source (they never leave the case)."""
    return case.protected_only_entities()


def entities_with_protected_facts(case: Case) -> set[str]:
    """Entities at least one record of which comes from a protected source."""
    return case.entities_with_protected_facts()


def shareable_graph(case: Case, *, include_protected: bool = False,
                    graph_filter: GraphFilter | None = None) -> nx.MultiDiGraph:
    """The chart's graph without what only protected sources say.

    Entities known only from protected sources are left out with their links; an entity that
    non-protected sources describe too keeps its place, with its caption and grade from those
    sources, and keeps a link only if a non-protected source states it.
    """
    graph = case_graph(case, graph_filter)
    if include_protected:
        return graph
    touched = entities_with_protected_facts(case)
    if not touched:
        return graph
    withheld = protected_only_entities(case)
    mixed = touched - withheld
    public = case.public_values(mixed)
    aliases = case.aliases()
    shared = nx.MultiDiGraph()
    for node, attrs in graph.nodes(data=True):
        if node in withheld:
            continue
        attrs = dict(attrs)
        if node in public and attrs.get("schema"):
            props, grade = public[node]
            proxy = ftm_model.get_proxy({"id": node, "schema": attrs["schema"], "properties": props}, cleaned=True)
            attrs["caption"], attrs["grade"] = proxy.caption or node, grade
        shared.add_node(node, **attrs)
    for source, target, key, attrs in graph.edges(keys=True, data=True):
        via = attrs["via"]
        if source not in shared or target not in shared or via in withheld:
            continue
        if via in mixed and not _stated_publicly(via, attrs, source, target, public, aliases):
            continue
        attrs = dict(attrs)
        if via in public:
            attrs["grade"] = public[via][1]
        shared.add_edge(source, target, key=key, **attrs)
    nx.freeze(shared)
    return shared


def _stated_publicly(via: str, attrs: dict, source: str, target: str, public: dict, aliases: dict) -> bool:
    """Whether non-protected sources give the values this link is drawn from."""
    props = public.get(via, ({}, None))[0]

    def says(prop: str | None, value: str) -> bool:
        return prop is not None and any(aliases.get(v, v) == value for v in props.get(prop, ()))

    if attrs.get("prop") is not None:
        return says(attrs["prop"], target)
    schema = ftm_model.get(attrs["schema"])
    if schema is None or not schema.edge:
        return False
    return says(schema.source_prop.name, source) and says(schema.target_prop.name, target)


# ---------------------------------------------------------------------------------- findings


def choose_findings(case: Case, *, statuses: Iterable[str] | None = DEFAULT_STATUSES,
                    finding_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """The findings a report is about: those named, else those with one of ``statuses``.

    ``statuses=None`` means every status. Named findings come whatever their status; by status,
    current findings come, and confirmed ones also when the latest run no longer finds them
    (the analyst confirmed them; the report says they were not found again).
    """
    everything = case.findings(current_only=False)
    if finding_ids:
        wanted = list(dict.fromkeys(int(i) for i in finding_ids))
        by_id = {f["id"]: f for f in everything}
        unknown = [i for i in wanted if i not in by_id]
        if unknown:
            raise CaseError(f"no finding {', '.join(f'#{i}' for i in unknown)} in this case "
                            "(`workbench findings CASE` lists them)")
        return [f for f in everything if f["id"] in set(wanted)]
    allowed = set(statuses) if statuses is not None else set(ALL_STATUSES)
    unknown = allowed - set(ALL_STATUSES)
    if unknown:
        raise CaseError(f"a finding is {', '.join(ALL_STATUSES)}, not {', '.join(sorted(unknown))}")
    return [f for f in everything if f["status"] in allowed and (f["current"] or f["status"] == "confirmed")]


def _finding_ids_of_evidence(finding: dict[str, Any]) -> set[str]:
    evidence = finding.get("evidence") or {}
    return set(evidence.get("entities") or []) | set(evidence.get("facts") or [])


def _spellings(value: str) -> set[str]:
    """A value as an explanation may quote it: as stored, and a number also with separators."""
    spellings = {value}
    try:
        number = float(value)
    except ValueError:
        return spellings
    spellings |= {f"{number:,.0f}", f"{number:,.2f}"} if number >= 1000 else set()
    return spellings


def rests_on_protected(case: Case, finding: dict[str, Any], withheld: set[str] | None = None,
                       touched: set[str] | None = None) -> bool:
    """Whether a finding cannot be shown without what only protected sources say.

    True when part of its evidence is known only from protected sources, or when its
    explanation quotes a value (a name, a phone number, a date, an amount) that only a
    protected source gives for one of its evidence entities, or the name of an entity known
    only from protected sources. A finding on an entity that a protected source merely also
    mentions is shown, from the non-protected sources.
    """
    withheld = protected_only_entities(case) if withheld is None else withheld
    touched = entities_with_protected_facts(case) if touched is None else touched
    evidence = {case.resolve(i) for i in _finding_ids_of_evidence(finding)}
    if evidence & withheld:
        return True
    if not touched:
        return False
    text = finding.get("explanation") or ""
    quoted = case.protected_only_values(evidence & touched)
    if withheld:
        quoted |= {caption for caption in case.captions(withheld).values() if caption}
    # Short values (country codes, currencies) say nothing about a source and match everywhere.
    return any(spelling in text for value in quoted if len(value) >= 4 for spelling in _spellings(value))


# ---------------------------------------------------------------------------------- descriptions


def _grade_text(grade: str | None) -> str:
    if not grade:
        return "ungraded"
    try:
        parsed = parse_grade(grade)
    except ValueError:
        return grade
    return f"{parsed} ({parsed.description.lower()})"


class _Describer:
    """Captions, values, sources and grades of entities, as the report may show them.

    Unless protected sources are included, only what non-protected sources say is used: an
    entity's values, its caption, its grade and the sources listed.
    """

    def __init__(self, case: Case, include_protected: bool):
        self.case = case
        self.include_protected = include_protected
        self.captions: dict[str, str] = {}

    def statements(self, entity_id: str) -> list[dict[str, Any]]:
        rows = self.case.statements(entity_id)
        return rows if self.include_protected else [row for row in rows if not row["protected"]]

    def proxy(self, entity_id: str):
        """The entity as the report may describe it, or ``None``."""
        entity_id = self.case.resolve(entity_id)
        schema = self.case.schema_of(entity_id)
        statements = self.statements(entity_id)
        if schema is None or not statements:
            return None
        props: dict[str, list[str]] = {}
        for statement in statements:
            values = props.setdefault(statement["prop"], [])
            if statement["value"] not in values:
                values.append(statement["value"])
        return ftm_model.get_proxy({"id": entity_id, "schema": schema, "properties": props}, cleaned=True)

    def caption(self, entity_id: str) -> str:
        if entity_id not in self.captions:
            proxy = self.proxy(entity_id)
            self.captions[entity_id] = (proxy.caption if proxy is not None and proxy.caption else
                                        PROTECTED_LABEL if proxy is None and self.case.entity(entity_id) else entity_id)
        return self.captions[entity_id]

    def sources(self, entity_id: str) -> tuple[list[str], str | None]:
        """Source names with their grades, and the best grade."""
        names: list[str] = []
        best = None
        for statement in self.statements(entity_id):
            if statement["source_kind"] == "analyst":
                name = "analyst's note"
            else:
                name = statement["file_name"] or f"source #{statement['source_id']}"
            grade = f"{statement['reliability']}{statement['credibility']}"
            # Where in the source: a row or element an analyst can go back to.
            if statement["source_kind"] != "analyst":
                name = place_in_source(name, statement.get("locator"))
            label = f"{name} ({grade}{', protected' if statement['protected'] else ''})"
            if label not in names:
                names.append(label)
            if best is None or grade < best:
                best = grade
        return names, best

    def party(self, entity_id: str) -> dict[str, Any]:
        proxy = self.proxy(entity_id)
        if proxy is None:
            return {"id": entity_id, "caption": entity_id, "type": "not in the case", "countries": "",
                    "grade": "", "sources": ""}
        countries = [registry.country.caption(c) or c for c in proxy.get_type_values(registry.country)]
        sources, grade = self.sources(entity_id)
        return {"id": proxy.id, "caption": proxy.caption or proxy.id, "type": proxy.schema.label,
                "countries": ", ".join(dict.fromkeys(countries)), "grade": grade or "",
                "sources": "; ".join(sources)}

    def fact(self, entity_id: str) -> dict[str, Any]:
        proxy = self.proxy(entity_id)
        if proxy is None:
            return {"id": entity_id, "type": "not in the case", "what": entity_id, "date": "", "amount": "",
                    "grade": "", "sources": ""}
        schema = proxy.schema
        what = proxy.caption or proxy.id
        if schema.edge and schema.source_prop and schema.target_prop:
            ends = [", ".join(self.caption(v) for v in proxy.get(prop)) or "?"
                    for prop in (schema.source_prop, schema.target_prop)]
            what = f"{ends[0]} → {ends[1]}"
            if proxy.caption and proxy.caption != proxy.id and schema.name not in ("Payment", "Ownership"):
                what = f"{proxy.caption}: {what}"
        dates = [v for prop in schema.temporal_start_props for v in proxy.get(prop)]
        amount = proxy.first("amount", quiet=True)
        if amount:
            try:
                amount = f"{float(amount):,.2f}".rstrip("0").rstrip(".")
            except ValueError:
                pass
            amount = f"{amount} {proxy.first('currency', quiet=True) or ''}".strip()
        if not amount and schema.is_a("Ownership"):
            # The one fact an ownership is there for: the share held.
            share = proxy.first("percentage", quiet=True)
            if share:
                amount = share.strip() if share.strip().endswith("%") else f"{share.strip()}%"
        sources, grade = self.sources(entity_id)
        return {"id": proxy.id, "type": schema.label, "what": what, "date": min(dates) if dates else "",
                "amount": amount or "", "grade": grade or "", "sources": "; ".join(sources)}


def _detector_manifests() -> dict[str, dict[str, str]]:
    """Labels, descriptions and red-flag references of the detectors found.

    Discovery reports and skips a plugin that fails to load, so a broken plugin costs its
    findings their label here, never the report.
    """
    from workbench.plugin_api import detectors

    return {d.id: {"label": d.label or d.id, "description": d.description, "reference": getattr(d, "reference", "")}
            for d in detectors()}


def _parameters_text(parameters: dict[str, Any], limit: int = 90) -> str:
    """``name = value; ...``, long values (keyword lists) cut at ``limit`` characters."""
    parts = []
    for name, value in sorted(parameters.items()):
        text = str(value)
        if len(text) > limit:
            text = text[:limit].rstrip(", ") + f"… ({len(text.split(','))} items)" if "," in text else text[:limit] + "…"
        parts.append(f"{name} = {text}")
    return "; ".join(parts) or "none declared"


def _analyst() -> str:
    return os.environ.get("WORKBENCH_ANALYST") or getpass.getuser()


# ---------------------------------------------------------------------------------- the report


def report_format(path: Path, format: str | None = None) -> str:
    name = (format or path.suffix.lstrip(".")).lower()
    if name == "htm":
        name = "html"
    if name not in REPORT_FORMATS:
        raise CaseError(f"{path}: a report is written as .pdf or .html; name the file so")
    return name


def build_report(
    case: Case,
    path: str | Path,
    *,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    finding_ids: Iterable[int] | None = None,
    include_protected: bool = False,
    title: str | None = None,
    graph_filter: GraphFilter | None = None,
    format: str | None = None,
    recorded_as: str | None = None,
) -> ReportResult:
    """Write the case report of ``case`` to ``path`` (``.pdf`` or ``.html``).

    ``recorded_as`` is where the audit log says the report went, when that is not ``path``
    (``"standard output"`` for ``workbench report CASE -``, drawn into a temporary file first).

    Findings: those in ``finding_ids`` if given, else those whose status is in ``statuses``
    (confirmed only by default; ``None`` for all). ``include_protected`` puts protected
    sources' names, and what only they say, into the report. ``graph_filter`` draws the chart
    as the app's filters show it. The report is recorded in the case's audit log when the case
    is open for writing.
    """
    path = Path(path)
    fmt = report_format(path, format)
    chosen = choose_findings(case, statuses=statuses, finding_ids=finding_ids)
    withheld_entities = set() if include_protected else protected_only_entities(case)
    touched = set() if include_protected else entities_with_protected_facts(case)
    findings, withheld_findings = [], []
    for finding in chosen:
        resting = not include_protected and rests_on_protected(case, finding, withheld_entities, touched)
        (withheld_findings if resting else findings).append(finding)

    context = _context(case, findings, withheld_findings, withheld_entities, include_protected, title,
                       statuses=None if finding_ids else statuses, named=bool(finding_ids))
    images = _pictures(case, findings, include_protected, graph_filter, withheld_entities, context)
    context["images"] = {name: (name if fmt == "pdf" else "data:image/png;base64," + base64.b64encode(data).decode())
                         for name, data in images.items()}
    html = render_html(context)

    pages = None
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        write_text_atomically(path, html)
    else:
        from workbench.ui.rendering import html_to_pdf

        footer = f"{context['title']} · {context['generated_at']}"
        pages = html_to_pdf(html, path, images=images, title=context["title"], footer=footer)
    result = ReportResult(
        path=path, format=fmt, title=context["title"], pages=pages, findings=[f["id"] for f in findings],
        withheld_findings=[f["id"] for f in withheld_findings], withheld_entities=len(withheld_entities),
        protected_sources=context["protected_source_count"], include_protected=include_protected,
        images=images, html=html,
    )
    if not case.readonly:
        # A report is an export: the audit log says what left the case, where to.
        case.record_export(f"report-{fmt}", recorded_as or path, include_protected,
                           {"entities": context["entity_total"], "links": None, "findings": result.findings})
    return result


def render_html(context: dict[str, Any]) -> str:
    """The report template filled with ``context`` (see :func:`build_report` for what it holds)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=FileSystemLoader(str(resources_dir() / "templates")),
                              autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("report.html").render(**context)


def _context(case: Case, findings: list[dict], withheld_findings: list[dict], withheld_entities: set[str],
             include_protected: bool, title: str | None, *, statuses, named: bool) -> dict[str, Any]:
    describe = _Describer(case, include_protected)
    manifests = _detector_manifests()
    counts: dict[str, int] = {}
    for entity_id, schema in case.schemas().items():
        if entity_id not in withheld_entities:
            counts[schema] = counts.get(schema, 0) + 1
    by_type = [{"type": (ftm_model.get(name).plural if ftm_model.get(name) else name), "count": count}
               for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    status_counts = case.finding_counts()

    sources = []
    protected_count = 0
    for source in case.sources(kind=None):
        grade = f"{source['reliability']}{source['credibility']}"
        hidden = bool(source["protected"]) and not include_protected
        protected_count += bool(source["protected"])
        sources.append({
            "id": source["id"],
            "name": PROTECTED_LABEL if hidden else (source["file_name"] or ("analyst's own facts"
                                                                            if source["kind"] == "analyst" else "")),
            "protected": bool(source["protected"]), "hidden": hidden, "kind": source["kind"],
            "importer": "" if hidden else f"{source['importer_id'] or ''} {source['importer_version'] or ''}".strip(),
            "imported_at": source["imported_at"] or "", "grade": grade, "grade_text": _grade_text(grade),
            "sha256": "" if hidden else (source["sha256"] or "")[:16],
            "note": "" if hidden else (source["note"] or ""),
        })

    finding_rows = []
    for finding in findings:
        evidence = finding.get("evidence") or {}
        manifest = manifests.get(finding["detector_id"], {})
        finding_rows.append({
            "id": finding["id"], "detector_id": finding["detector_id"],
            "detector": manifest.get("label") or finding["detector_id"],
            "reference": manifest.get("reference", ""),
            "version": finding["detector_version"], "severity": finding["severity"],
            "score": f"{finding['score']:.2f}", "status": finding["status"],
            "status_reason": finding.get("status_reason") or "", "current": bool(finding["current"]),
            "explanation": finding["explanation"], "parameters": _parameters_text(finding.get("parameters") or {}),
            "marked_at": finding.get("updated_at") or "",
            "parties": [describe.party(e) for e in evidence.get("entities") or []],
            "facts": [describe.fact(f) for f in evidence.get("facts") or []],
        })

    runs = []
    for run in case.latest_detector_runs():
        manifest = manifests.get(run["detector_id"], {})
        runs.append({
            "id": run["detector_id"], "label": manifest.get("label") or run["detector_id"],
            "description": manifest.get("description", ""), "version": run["detector_version"],
            "finished_at": (run["finished_at"] or "")[:16].replace("T", " "), "findings": run["findings"], "error": run["error"] or "",
            "parameters": _parameters_text(json.loads(run["parameters"] or "{}")),
        })

    if named:
        selection = "the findings the analyst chose (" + ", ".join(f"#{f['id']}" for f in findings) + ")"
    elif statuses is None:
        selection = "every current finding, whatever its status, and confirmed findings no longer found"
    else:
        selection = " and ".join(statuses) + " findings"
    case_title = case.meta("title") or case.path.stem
    return {
        "title": title or case_title,
        "case_title": case_title,
        "case_id": case.meta("case_id") or "",
        "case_file": case.path.name,
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "analyst": _analyst(),
        "version": __version__,
        "include_protected": include_protected,
        "entity_total": sum(counts.values()),
        "by_type": by_type,
        "status_counts": {s: status_counts.get(s, 0) for s in ALL_STATUSES},
        "selection": selection,
        "findings": finding_rows,
        "withheld_findings": [f["id"] for f in withheld_findings],
        "withheld_entities": len(withheld_entities),
        "sources": sources,
        "protected_source_count": protected_count,
        "runs": runs,
        "unfinished_run": _unfinished_run(case),
        "reliability_scale": RELIABILITY,
        "credibility_scale": CREDIBILITY,
        "images": {},
        "pictures": {},
        "page_width": PAGE_WIDTH_PX,
    }


def _unfinished_run(case: Case) -> str:
    """Why the findings may be incomplete (a detector run that was cancelled or killed), or ""."""
    from workbench.detecting import unfinished_run

    return unfinished_run(case) or ""


def _pictures(case: Case, findings: list[dict], include_protected: bool, graph_filter: GraphFilter | None,
              withheld: set[str], context: dict[str, Any]) -> dict[str, bytes]:
    """The chart (evidence of the reported findings highlighted) and the timeline, as PNG bytes."""
    from workbench.analysis.timeline_model import timeline_model
    from workbench.ui.chart_model import ChartModel
    from workbench.ui.rendering import export_chart, export_timeline, place_unplaced

    images: dict[str, bytes] = {}
    pictures: dict[str, dict[str, Any]] = {}
    graph = shareable_graph(case, include_protected=include_protected, graph_filter=graph_filter)
    chart = ChartModel()
    chart.load(case, graph)
    facts = {f for finding in findings for f in (finding.get("evidence") or {}).get("facts") or []}
    chart.highlighted_links = {k for k, link in enumerate(chart.links) if link.via in facts}
    captions = None if include_protected else {node: attrs["caption"] for node, attrs in graph.nodes(data=True)}
    timeline = timeline_model(case, leave_out=withheld, captions=captions)

    # Laid out once (if the case never was), for the whole chart and every finding's chart.
    place_unplaced(chart, CHART_SIZE)
    with tempfile.TemporaryDirectory(prefix="workbench-report-") as folder:
        # One framed chart per finding: its evidence and one hop around it, the rest faded, on a
        # picture that reads on an A4 page.
        for finding in findings[:MAX_FINDING_CHARTS]:
            framed = ChartModel()
            framed.load(case, graph)
            framed.positions = chart.positions.copy()
            evidence = framed.focus_finding(finding, hops=1)
            if not evidence:
                continue
            name = f"finding-{finding['id']}.png"
            exported = export_chart(framed, Path(folder) / name, size=finding_chart_size(len(evidence)),
                                    dpi=PICTURE_DPI, legend=False,  # the case chart's page has the key
                                    title="", subtitle=f"Finding #{finding['id']}: its evidence and one link around it")
            images[name] = exported.path.read_bytes()
            pictures[name] = _fitted(exported.width, exported.height) | {"caption": exported.date_line}
        if chart.ids and chart.visible.any():
            exported = export_chart(chart, Path(folder) / "chart.png", size=CHART_SIZE, dpi=PICTURE_DPI, title="",
                                    subtitle="Chart")
            images["chart.png"] = exported.path.read_bytes()
            pictures["chart.png"] = _fitted(exported.width, exported.height) | {"caption": exported.date_line}
        if len(timeline.times) or timeline.bars:
            height = min(max(380, 26 * len(timeline.lanes) + 220), 1100)
            exported = export_timeline(timeline, Path(folder) / "timeline.png", size=(CHART_SIZE[0], height),
                                       dpi=PICTURE_DPI, title="", subtitle="Timeline")
            images["timeline.png"] = exported.path.read_bytes()
            pictures["timeline.png"] = _fitted(exported.width, exported.height) | {"caption": exported.date_line}
    context["pictures"] = pictures
    return images


def _fitted(width: int, height: int) -> dict[str, int]:
    """The size a picture is shown at in the report: the page's text width, its own proportions."""
    return {"width": PAGE_WIDTH_PX, "height": round(height * PAGE_WIDTH_PX / width)}
