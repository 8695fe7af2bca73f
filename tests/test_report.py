"""The case report, built from the demo case and read back page by page.

No PDF library is installed (and QtPdf is not part of PySide6-Essentials), so the PDF is read
with the small reader below: objects through the cross-reference table, content streams
inflated with zlib, text decoded through each font's ToUnicode map, images counted as image
XObjects painted on each page. That is enough for Qt's own PDFs, which is all it has to read.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from markupsafe import escape

from workbench.cli import _CaseErrors
from workbench.demo import build_demo_case
from workbench.detecting import run_detectors
from workbench.model import SourceInfo, parse_grade
from workbench.report import build_report, choose_findings, shareable_graph
from workbench.report.cli_commands import register
from workbench.store import Case, CaseError

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------- a tiny PDF reader


class PdfPages:
    """Pages of a PDF written by Qt: their text (in drawing order) and the images drawn on them."""

    def __init__(self, data: bytes):
        self.data = data
        self.offsets = self._xref()
        self._cmaps: dict[int, dict[int, str]] = {}
        kids = re.search(rb"/Type /Pages\s*/Kids\s*\[(.*?)\]", data, re.DOTALL)
        self.page_ids = [int(n) for n in re.findall(rb"(\d+) 0 R", kids.group(1))]
        self.texts = [self._text(page) for page in self.page_ids]
        self.images = [self._images(page) for page in self.page_ids]

    def _xref(self) -> dict[int, int]:
        start = int(re.findall(rb"startxref\s+(\d+)", self.data)[-1])
        header = re.match(rb"xref\s+(\d+)\s+(\d+)\s+", self.data[start:])
        first, count = int(header.group(1)), int(header.group(2))
        table = self.data[start + header.end():]
        offsets = {}
        for k in range(count):
            offset, _, kind = table[k * 20: k * 20 + 18].split()
            if kind == b"n":
                offsets[first + k] = int(offset)
        return offsets

    def object(self, number: int) -> tuple[bytes, bytes | None]:
        """An object's dictionary text and its (inflated) stream, if any."""
        at = self.offsets[number]
        body_start = self.data.index(b"obj", at) + 3
        stream_at = self.data.find(b"stream", body_start)
        end_at = self.data.find(b"endobj", body_start)
        if stream_at == -1 or stream_at > end_at:
            return self.data[body_start:end_at], None
        head = self.data[body_start:stream_at]
        length = re.search(rb"/Length (\d+)( 0 R)?", head)
        size = int(self.object(int(length.group(1)))[0]) if length.group(2) else int(length.group(1))
        begin = stream_at + len(b"stream")
        begin += 2 if self.data[begin:begin + 2] == b"\r\n" else 1
        raw = self.data[begin:begin + size]
        return head, (zlib.decompress(raw) if b"/FlateDecode" in head and b"/Image" not in head else raw)

    def _resources(self, page: int) -> bytes:
        head, _ = self.object(page)
        ref = re.search(rb"/Resources (\d+) 0 R", head)
        return self.object(int(ref.group(1)))[0] if ref else head

    def _cmap(self, font: int) -> dict[int, str]:
        if font not in self._cmaps:
            head, _ = self.object(font)
            ref = re.search(rb"/ToUnicode (\d+) 0 R", head)
            mapping: dict[int, str] = {}
            if ref:
                cmap = self.object(int(ref.group(1)))[1].decode("latin-1")
                for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
                    for low, high, target in re.findall(r"<(\w+)>\s*<(\w+)>\s*(\[.*?\]|<\w+>)", block, re.DOTALL):
                        targets = re.findall(r"<(\w+)>", target)
                        for k, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                            value = targets[k] if target.startswith("[") else format(int(targets[0], 16) + k, "04x")
                            mapping[code] = bytes.fromhex(value).decode("utf-16-be", "replace")
                for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
                    for code, value in re.findall(r"<(\w+)>\s*<(\w+)>", block):
                        mapping[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be", "replace")
            self._cmaps[font] = mapping
        return self._cmaps[font]

    def _text(self, page: int) -> str:
        fonts = {name: int(ref) for name, ref in re.findall(rb"/(\w+) (\d+) 0 R", self._resources(page))}
        head, _ = self.object(page)
        content = self.object(int(re.search(rb"/Contents (\d+) 0 R", head).group(1)))[1].decode("latin-1")
        lines = []
        for block in re.findall(r"BT(.*?)ET", content, re.DOTALL):
            cmap: dict[int, str] = {}
            glyphs = []
            for font, hexes in re.findall(r"/(\w+) [\d.]+ Tf|<([0-9A-Fa-f]+)> ?Tj", block):
                if font:
                    cmap = self._cmap(fonts[font.encode()])
                for k in range(0, len(hexes), 4):
                    glyphs.append(cmap.get(int(hexes[k:k + 4], 16), "?"))
            lines.append("".join(glyphs))
        # Qt maps the space glyph to a tab in its ToUnicode tables, and draws "fi" as a ligature.
        return unicodedata.normalize("NFKC", "\n".join(lines).replace("\t", " "))

    def _images(self, page: int) -> list[str]:
        xobjects = dict(re.findall(rb"/(\w+) (\d+) 0 R", self._resources(page)))
        head, _ = self.object(page)
        content = self.object(int(re.search(rb"/Contents (\d+) 0 R", head).group(1)))[1]
        drawn = []
        for name in re.findall(rb"/(\w+)\s+Do", content):
            if name in xobjects and b"/Subtype /Image" in self.object(int(xobjects[name]))[0]:
                drawn.append(name.decode())
        return drawn


def squeeze(text: str) -> str:
    """Text without any white space: lines wrap differently on a page than in a sentence."""
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo case after a detector run, two findings confirmed, one dismissed, the rest open."""
    path = tmp_path_factory.mktemp("report") / "demo.wbcase"
    case = build_demo_case(path)
    run_detectors(case)
    findings = case.findings()
    by_detector = {}
    for finding in findings:
        by_detector.setdefault(finding["detector_id"], finding)
    confirmed = [by_detector["chpl-to-risky-destination"], by_detector["end-use-document-mismatch"]]
    dismissed = by_detector["structuring"]
    for finding in confirmed:
        case.set_finding_status(finding["id"], "confirmed")
    case.set_finding_status(dismissed["id"], "dismissed", "the amounts are the supplier's standard price list")
    opened = [f for f in findings if f["id"] not in {c["id"] for c in confirmed} | {dismissed["id"]}]
    case.close()
    return {"path": path, "confirmed": confirmed, "dismissed": dismissed, "open": opened}


@pytest.fixture(scope="module")
def pdf_report(demo):
    ARTIFACTS.mkdir(exist_ok=True)
    with Case.open(demo["path"]) as case:
        result = build_report(case, ARTIFACTS / "demo_report.pdf")
    for name, data in result.images.items():
        (ARTIFACTS / f"demo_report_{name}").write_bytes(data)
    return result, PdfPages(result.path.read_bytes())


# ---------------------------------------------------------------------------------- the PDF


def test_pdf_pages_carry_the_title_the_confirmed_findings_and_page_numbers(demo, pdf_report):
    result, pages = pdf_report
    assert result.pages == len(pages.texts) >= 4
    assert set(result.findings) == {f["id"] for f in demo["confirmed"]}
    assert "Demo: Vostralin procurement network" in pages.texts[0]
    for number, text in enumerate(pages.texts, start=1):
        assert f"page {number} of {len(pages.texts)}" in text
    whole = squeeze("\n".join(pages.texts))
    for finding in demo["confirmed"]:
        assert squeeze(finding["explanation"]) in whole, f"finding #{finding['id']} missing from the PDF"
        assert f"Finding #{finding['id']}" in "\n".join(pages.texts)


def test_pdf_leaves_out_dismissed_and_open_findings_by_default(demo, pdf_report):
    _, pages = pdf_report
    whole = squeeze("\n".join(pages.texts))
    assert squeeze(demo["dismissed"]["explanation"]) not in whole
    assert squeeze("standard price list") not in whole  # nor the reason it was dismissed
    for finding in demo["open"]:
        assert squeeze(finding["explanation"]) not in whole, f"open finding #{finding['id']} is in the report"


def test_pdf_has_the_chart_and_timeline_pictures_on_their_pages(pdf_report):
    result, pages = pdf_report
    framed = {f"finding-{number}.png" for number in result.findings}
    assert set(result.images) == {"chart.png", "timeline.png"} | framed
    assert all(data.startswith(PNG_MAGIC) for data in result.images.values())
    with_images = [(text, images) for text, images in zip(pages.texts, pages.images) if images]
    assert sum(len(images) for _, images in with_images) == len(result.images)
    assert "Chart" in with_images[0][0] and "Timeline" in with_images[-1][0]
    # Each confirmed finding has its own framed chart on its pages.
    for number in result.findings:
        assert any(f"Finding #{number}" in text for text, _ in with_images[1:-1]), number
    assert squeeze("Links that are evidence of the findings below are highlighted") in squeeze(with_images[0][0])


def test_pdf_evidence_tables_sources_and_method(demo, pdf_report):
    _, pages = pdf_report
    text = "\n".join(pages.texts)
    flat = squeeze(text)
    # Evidence: the parties and the shipment of the CHPL finding, with their source and grade.
    assert squeeze("Atlas Crest General Trading FZE") in flat and squeeze("OOO Tekhsnab-Vostralin") in flat
    assert squeeze("demo.ftm.json line") in flat and squeeze("(B2)") in flat  # the source, where in it, its grade
    assert squeeze("2023-03-19") in flat and squeeze("402,000 USD") in flat
    # Sources with grades, and the method: detectors, versions and parameters used.
    assert squeeze("B2 (usually reliable; probably true)") in flat
    assert "chpl-to-risky-destination" in text and squeeze("tiers = 1,2,3.A") in flat
    assert squeeze("Detector end-use-document-mismatch 1.0; parameters:") in flat


def test_pdf_pages_render_for_the_eye(pdf_report):
    """Keep a picture of each page when poppler is at hand (not needed for the checks above)."""
    import shutil
    import subprocess

    result, _ = pdf_report
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed: nothing to look at, the checks above stand")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(result.path), str(ARTIFACTS / "demo_report_page")],
                   check=True, timeout=60)
    assert list(ARTIFACTS.glob("demo_report_page-*.png"))


# ---------------------------------------------------------------------------------- HTML and choices


def test_html_report_is_self_contained(demo, tmp_path):
    with Case.open(demo["path"]) as case:
        result = build_report(case, tmp_path / "report.html")
    html = result.path.read_text(encoding="utf-8")
    (ARTIFACTS / "demo_report.html").write_text(html, encoding="utf-8")
    for finding in demo["confirmed"]:
        assert str(escape(finding["explanation"])) in html
    assert str(escape(demo["dismissed"]["explanation"])) not in html
    assert not any(str(escape(f["explanation"])) in html for f in demo["open"])
    pictures = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    # The case chart, the timeline and one framed chart per confirmed finding, all inline.
    assert len(pictures) == 2 + len(demo["confirmed"]) and all(base64.b64decode(p).startswith(PNG_MAGIC) for p in pictures)
    assert "demo.ftm.json" in html and "Method" in html and "Summary" in html


def test_chosen_findings_whatever_their_status(demo, tmp_path):
    chosen = [demo["open"][0]["id"], demo["dismissed"]["id"]]
    with Case.open(demo["path"]) as case:
        result = build_report(case, tmp_path / "chosen.html", finding_ids=chosen)
        everything = build_report(case, tmp_path / "all.html", statuses=None)
        with pytest.raises(CaseError, match="no finding #99999"):
            choose_findings(case, finding_ids=[99999])
    assert sorted(result.findings) == sorted(chosen)
    assert str(escape(demo["open"][0]["explanation"])) in result.html
    assert str(escape("the amounts are the supplier's standard price list")) in result.html
    assert str(escape(demo["confirmed"][0]["explanation"])) not in result.html
    assert len(everything.findings) == len(demo["open"]) + 3


def test_report_is_recorded_in_the_audit_log(demo, tmp_path):
    with Case.open(demo["path"]) as case:
        build_report(case, tmp_path / "audited.html")
        entries = [e for e in case.audit_log() if e["action"] == "export"]
        assert entries[-1]["details"]["format"] == "report-html"
        assert entries[-1]["details"]["include_protected"] is False
        assert case.verify_audit_log() is None


# ---------------------------------------------------------------------------------- protected sources


@pytest.fixture
def protected_case(demo, tmp_path):
    """The demo case plus an informant's tip (a protected source): a new party paying Atlas Crest,
    and a phone number for Atlas Crest that only the tip gives; a finding quotes that number."""
    import shutil

    path = tmp_path / "protected.wbcase"
    shutil.copy(demo["path"], path)
    case = Case.open(path)
    tip = [
        {"id": "tip-person-quillfeather", "schema": "Person",
         "properties": {"name": ["Zoltan Quillfeather"], "country": ["ae"]}},
        {"id": "tip-pay-quillfeather-atlas", "schema": "Payment",
         "properties": {"payer": ["tip-person-quillfeather"], "beneficiary": ["demo-co-atlas-crest-trading"],
                        "amount": ["55000"], "currency": ["USD"], "date": ["2023-04-02"]}},
        {"id": "demo-co-atlas-crest-trading", "schema": "Company", "properties": {"phone": ["+971500000999"]}},
    ]
    case.ingest(tip, SourceInfo(file_name="informant-tip-0042.csv", importer_id="ftm-json",
                                grade=parse_grade("C3"), protected=True))
    case.record_detector_run("test-phone", "1.0", {}, [{
        "entities": ["demo-co-atlas-crest-trading"], "evidence": [],
        "explanation": "Atlas Crest General Trading FZE answers on +971500000999."}])
    quoting = next(f for f in case.findings() if f["detector_id"] == "test-phone")
    case.set_finding_status(quoting["id"], "confirmed")
    yield case, quoting
    case.close()


def test_protected_source_stays_out_of_the_report(demo, protected_case, tmp_path):
    case, quoting = protected_case
    result = build_report(case, tmp_path / "shared.html")
    html = result.html
    assert "informant-tip-0042" not in html and "Quillfeather" not in html and "971500000999" not in html
    assert "protected source" in html
    assert quoting["id"] in result.withheld_findings
    # The confirmed findings on Atlas Crest still come: a protected tip also naming it hides nothing public.
    assert {f["id"] for f in demo["confirmed"]} <= set(result.findings)
    assert result.withheld_entities == 2  # the informant's contact and the payment only the tip knows
    graph = shareable_graph(case)
    assert "tip-person-quillfeather" not in graph
    assert not any(d["via"] == "tip-pay-quillfeather-atlas" for _, _, d in graph.edges(data=True))
    pdf = build_report(case, tmp_path / "shared.pdf")
    text = squeeze("\n".join(PdfPages(pdf.path.read_bytes()).texts))
    assert squeeze("informant-tip-0042") not in text and squeeze("protected source") in text


def test_protected_sources_come_only_when_asked(protected_case, tmp_path):
    case, quoting = protected_case
    result = build_report(case, tmp_path / "internal.html", include_protected=True)
    assert "informant-tip-0042.csv" in result.html and "+971500000999" in result.html
    assert quoting["id"] in result.findings and not result.withheld_findings


# ---------------------------------------------------------------------------------- command line


@pytest.fixture
def cli():
    # The real command group turns CaseErrors into one line and an exit code; so does this one.
    group = _CaseErrors()
    register(group)
    return group


def test_report_command_writes_pdf_and_says_what_it_holds(demo, cli, tmp_path):
    out = tmp_path / "cli.pdf"
    outcome = CliRunner().invoke(cli, ["report", str(demo["path"]), str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert out.read_bytes().startswith(b"%PDF") and "2 findings" in outcome.output
    chosen = demo["open"][0]["id"]
    outcome = CliRunner().invoke(cli, ["report", str(demo["path"]), str(tmp_path / "one.html"),
                                       "--finding", str(chosen), "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.output)["findings"] == [chosen]


def test_report_command_refuses_what_it_cannot_do(demo, cli, tmp_path):
    outcome = CliRunner().invoke(cli, ["report", str(demo["path"]), str(tmp_path / "report.docx")])
    assert outcome.exit_code != 0 and ".pdf or .html" in outcome.output
    outcome = CliRunner().invoke(cli, ["report", str(tmp_path / "missing.wbcase"), str(tmp_path / "r.pdf")])
    assert outcome.exit_code == 3 and "no such case file" in outcome.output
    outcome = CliRunner().invoke(cli, ["report", str(demo["path"]), str(tmp_path / "r.pdf"), "--finding", "99999"])
    assert outcome.exit_code != 0 and "no finding #99999" in outcome.output


def test_image_command_draws_chart_and_timeline(demo, cli, tmp_path):
    svg = tmp_path / "chart.svg"
    outcome = CliRunner().invoke(cli, ["image", str(demo["path"]), str(svg), "--size", "1200x900"])
    assert outcome.exit_code == 0, outcome.output
    texts = {"".join(t.itertext()) for t in ElementTree.parse(svg).iter("{http://www.w3.org/2000/svg}text")}
    assert "Atlas Crest General Trading FZE" in texts and "Entities:" in texts
    png = tmp_path / "timeline.png"
    outcome = CliRunner().invoke(cli, ["image", str(demo["path"]), str(png), "--timeline", "--dpi", "192"])
    assert outcome.exit_code == 0, outcome.output
    assert png.read_bytes().startswith(PNG_MAGIC) and "3200x1400 pixels" in outcome.output
    outcome = CliRunner().invoke(cli, ["image", str(demo["path"]), str(tmp_path / "chart.gif")])
    assert outcome.exit_code != 0 and ".png, .svg or .pdf" in outcome.output


# ---------------------------------------------------------------------------------- cases without pictures


@pytest.mark.parametrize("sample", [None, "ofac/sdn.csv", "graphs/les_miserables.gexf", "ftm/eu_fsf_sample.ftm.json"],
                         ids=["empty", "ofac", "gexf", "ftm"])
def test_report_on_a_case_without_chart_or_timeline_says_so(sample, shared_data, tmp_path, monkeypatch):
    from workbench.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["new", "x"]).exit_code == 0
    if sample:
        imported = runner.invoke(main, ["import", "x.wbcase", str(shared_data / sample)])
        assert imported.exit_code == 0, imported.output
    outcome = runner.invoke(main, ["report", "x.wbcase", "x.html"])
    assert outcome.exit_code == 0, outcome.output
    html = (tmp_path / "x.html").read_text(encoding="utf-8")
    if sample is None:
        assert "No chart: this case has nothing to draw" in html and 'alt="Chart of the case"' not in html
    else:
        assert 'alt="Chart of the case"' in html and "No chart" not in html
    assert 'alt="Timeline of the case"' not in html
    assert "No timeline: no payment, shipment, stake or other dated event in this case" in html
    if sample is None:
        pdf = runner.invoke(main, ["report", "x.wbcase", "x.pdf"])
        assert pdf.exit_code == 0, pdf.output
        text = squeeze("\n".join(PdfPages((tmp_path / "x.pdf").read_bytes()).texts))
        assert squeeze("No chart") in text and squeeze("No timeline") in text


def test_ownership_evidence_shows_the_share_and_each_finding_is_framed(tmp_path):
    from workbench.demo import build_demo_case
    from workbench.detecting import run_detectors
    from workbench.report.builder import build_report

    case = build_demo_case(tmp_path / "demo.wbcase")
    run_detectors(case)
    finding = next(f for f in case.findings() if f["detector_id"] == "ofac-50-percent")
    result = build_report(case, tmp_path / "report.html", finding_ids=[finding["id"]])
    case.close()
    facts = result.html.split(f"Finding #{finding['id']}", 1)[1]
    assert "26%" in facts and "25%" in facts  # the stakes of the two listed owners
    assert f"finding-{finding['id']}.png" in result.images
