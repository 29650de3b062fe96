"""Read-back snapshots of the workbooks branchgrade writes as outputs: the 整改清单 and the summary.

Each workbook is read back (openpyxl, and the package's raw XML for what openpyxl does not expose: the
package's members, content types and relationships, charts) into plain text, one fact per line in a stable
order: every cell's value and style (font, fill, border, alignment, number format, protection), column
widths, row heights, merged ranges, panes, filters, page setup, print area and titles, header and footer,
data validations, defined names, sheet protection, charts (type, series references, titles) and the
stamp (docProps/custom.xml). The texts are committed under tests/snapshots/; tests/test_workbook_snapshots.py
writes the same workbooks again and fails with a diff when one differs.

Regenerate after an intended change of the look: ``make snapshots`` (``python -m tests.workbook_snapshots``),
then review the diff before committing it.
"""

from __future__ import annotations

import io
import json
import posixpath
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl

from engine import pipeline
from engine.export.branch_list import branch_list_bytes
from engine.export.summary import write_summary
from schemas.batch import BatchReport
from schemas.common import Lang

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
COMMAND = "make snapshots"

_NS = {
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_REL_TYPE = "http://schemas.openxmlformats.org/"


# ------------------------------------------------------------------------------------------ values


def _text(value: Any) -> str:
    """A value as people read it: text quoted (escapes visible), dates as dates, numbers as numbers."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _color(color: Any) -> str | None:
    if color is None:
        return None
    if color.type == "rgb":
        return str(color.rgb)
    if color.type == "theme":
        return f"theme{color.theme}" + (f"{color.tint:+g}" if color.tint else "")
    if color.type == "indexed":
        return f"indexed{color.indexed}"
    return f"auto{color.auto}" if color.type == "auto" else str(color.type)


def _style(c: Any) -> str:
    """The cell's style, only what differs from a plain cell: 11-pt Calibri, no fill, border or
    alignment, General, locked."""
    facts: list[str] = []
    font = c.font
    if font.name != "Calibri":
        facts.append(f"font {font.name}")
    if font.sz != 11:
        facts.append(f"size {font.sz:g}")
    facts += [name for name, on in (("bold", font.b), ("italic", font.i), ("strike", font.strike)) if on]
    if font.u:
        facts.append(f"underline {font.u}")
    if _color(font.color) not in (None, "theme1"):
        facts.append(f"color {_color(font.color)}")
    fill = c.fill
    if fill.fill_type:
        facts.append(f"fill {fill.fill_type} {_color(fill.fgColor)}")
    sides = [(name, getattr(c.border, name).style) for name in ("left", "right", "top", "bottom")]
    if len({style for _, style in sides}) == 1:
        if sides[0][1]:
            facts.append(f"border {sides[0][1]}")
    else:
        facts += [f"border-{name} {style}" for name, style in sides if style]
    al = c.alignment
    for name, value in (("align", al.horizontal), ("valign", al.vertical), ("indent", al.indent or None)):
        if value:
            facts.append(f"{name} {value}")
    facts += [name for name, on in (("wrap", al.wrap_text), ("shrink", al.shrink_to_fit)) if on]
    if c.number_format != "General":
        facts.append(f"format {c.number_format}")
    if not c.protection.locked:
        facts.append("unlocked")
    if c.protection.hidden:
        facts.append("hidden")
    return ", ".join(facts)


# ------------------------------------------------------------------------------------------ the package


def _xml(package: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(package.read(name))


def _rels(package: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """The relationships of ``part``: id -> (short type, target part)."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", f"{base}.rels")
    if name not in package.namelist():
        return {}
    out = {}
    for rel in _xml(package, name).findall("rel:Relationship", _NS):
        target = posixpath.normpath(posixpath.join(folder, rel.get("Target", "")))
        out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], target)
    return out


def _package_lines(package: zipfile.ZipFile) -> Iterator[str]:
    for name in package.namelist():
        yield f"member {name}"
    for override in _xml(package, "[Content_Types].xml").findall("ct:Override", _NS):
        yield f"content type {override.get('PartName')}: {override.get('ContentType')}"
    for rid, (kind, target) in sorted(_rels(package, "").items()):
        yield f"relationship {rid}: {kind} -> {target}"


def _chart_lines(package: zipfile.ZipFile, part: str) -> Iterator[str]:
    """The charts drawn on the sheet ``part``: where, what type, which series, which titles."""
    for kind, drawing in sorted(_rels(package, part).values()):
        if kind != "drawing":
            continue
        charts = _rels(package, drawing)
        for anchor in _xml(package, drawing):
            start = anchor.find("xdr:from", _NS)
            ref = anchor.find(".//c:chart", _NS)
            if start is None or ref is None:
                continue
            col, row = (start.findtext(f"xdr:{k}", "", _NS) for k in ("col", "row"))
            chart = _xml(package, charts[ref.get(f"{{{_NS['r']}}}id", "")][1])
            yield f"chart at col {col} row {row}"
            yield from _describe_chart(chart)


def _title(element: ElementTree.Element | None) -> str | None:
    if element is None:
        return None
    return "".join(t.text or "" for t in element.iterfind(".//a:t", _NS))


def _describe_chart(chart: ElementTree.Element) -> Iterator[str]:
    yield f"  title: {_text(_title(chart.find('c:chart/c:title', _NS)))}"
    plot = chart.find("c:chart/c:plotArea", _NS)
    assert plot is not None, "a chart without a plot area"
    for group in plot:
        tag = group.tag.rsplit("}", 1)[-1]
        if tag.endswith("Chart"):
            options = [
                f"{name} {group.find(f'c:{name}', _NS).get('val')}"  # type: ignore[union-attr]
                for name in ("barDir", "grouping")
                if group.find(f"c:{name}", _NS) is not None
            ]
            yield f"  type: {tag} {' '.join(options)}".rstrip()
            for ser in group.iterfind("c:ser", _NS):
                refs = [f"{key} {ser.findtext(f'c:{key}//c:f', '-', _NS)}" for key in ("tx", "cat", "val")]
                labels = ser.find("c:dLbls/c:showVal", _NS)
                shown = " labels" if labels is not None and labels.get("val") == "1" else ""
                yield f"  series: {', '.join(refs)}{shown}"
        elif tag.endswith("Ax"):
            orientation = group.find("c:scaling/c:orientation", _NS)
            title = _title(group.find("c:title", _NS))
            grid = " gridlines" if group.find("c:majorGridlines", _NS) is not None else ""
            where = orientation.get("val") if orientation is not None else "-"
            yield f"  axis {tag}: {where}{grid}" + (f" title {_text(title)}" if title else "")
    yield f"  legend: {'yes' if chart.find('c:chart/c:legend', _NS) is not None else 'no'}"


# ------------------------------------------------------------------------------------------ the sheets


def _header_footer(name: str, hf: Any) -> Iterator[str]:
    for part in ("left", "center", "right"):
        text = getattr(hf, part).text
        if text:
            yield f"{name} {part}: {_text(text)}"


def _sheet_lines(ws: Any) -> Iterator[str]:
    yield f"dimension: {ws.dimensions}"
    yield f"state: {ws.sheet_state}"
    view = ws.sheet_view
    yield f"view: selected {view.tabSelected}, zoom {view.zoomScale}, gridlines {view.showGridLines}"
    yield f"freeze: {ws.freeze_panes}"
    yield f"filter: {ws.auto_filter.ref}"
    yield f"protection: {'on' if ws.protection.sheet else 'off'}"
    setup, margins, options = ws.page_setup, ws.page_margins, ws.print_options
    fit = ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None
    yield (
        f"page: {setup.orientation}, paper {setup.paperSize}, fit to page {fit}, "
        f"{setup.fitToWidth} wide, {setup.fitToHeight} tall, scale {setup.scale}"
    )
    yield (
        f"margins: left {margins.left}, right {margins.right}, top {margins.top}, bottom {margins.bottom}, "
        f"header {margins.header}, footer {margins.footer}"
    )
    yield f"centred: horizontally {options.horizontalCentered}, vertically {options.verticalCentered}"
    yield f"print area: {ws.print_area}"
    yield f"print titles: rows {ws.print_title_rows}, columns {ws.print_title_cols}"
    yield from _header_footer("header", ws.oddHeader)
    yield from _header_footer("footer", ws.oddFooter)
    for key, dim in sorted(ws.column_dimensions.items(), key=lambda kv: (len(kv[0]), kv[0])):
        yield f"column {key}: width {dim.width}{' custom' if dim.customWidth else ''}" + (
            " hidden" if dim.hidden else ""
        )
    for key, dim in sorted(ws.row_dimensions.items()):
        if dim.height is not None or dim.hidden:
            yield f"row {key}: height {dim.height}{' hidden' if dim.hidden else ''}"
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        yield f"merged: {merged}"
    for dv in ws.data_validations.dataValidation:
        yield (
            f"validation {dv.sqref}: {dv.type} {dv.formula1}, allow blank {dv.allow_blank}, "
            f"error {dv.showErrorMessage} {_text(dv.errorTitle)} {_text(dv.error)}"
        )
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            value = "(blank)" if c.value is None else f"{_text(c.value)} ({c.data_type})"
            style = _style(c)
            yield f"{c.coordinate}: {value}" + (f" | {style}" if style else "")


def describe(data: bytes) -> str:
    """The workbook ``data`` (xlsx bytes) as snapshot text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "data validation extension not supported"
        wb = openpyxl.load_workbook(io.BytesIO(data))
    lines = ["== package"]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        lines += _package_lines(package)
        for prop in wb.custom_doc_props.props:
            lines.append(f"custom property {prop.name}: {type(prop).__name__} {_text(prop.value)}")
        for name, defined in sorted(wb.defined_names.items()):
            lines.append(f"defined name {name}: {defined.attr_text}")
        lines.append(f"sheets: {', '.join(wb.sheetnames)}")
        workbook_rels = _rels(package, "xl/workbook.xml")
        sheet_parts = [
            workbook_rels[sheet.get(f"{{{_NS['r']}}}id", "")][1]
            for sheet in _xml(package, "xl/workbook.xml").iterfind(
                "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheets/*"
            )
        ]
        for ws, part in zip(wb.worksheets, sheet_parts, strict=True):
            lines.append(f"== sheet {ws.title}")
            lines += _sheet_lines(ws)
            lines += _chart_lines(package, part)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ the cases

COLLEGES = {"college": "loudi-2012", "college-2019": "national-2018"}


@cache
def graded(folder: str) -> BatchReport:
    """The fixture college ``folder`` graded by its profile (once per process)."""
    with tempfile.TemporaryDirectory() as out:
        return pipeline.grade_folder(
            ROOT / "fixtures" / folder, Path(out), COLLEGES[folder], workers=0
        ).report


def _summary(folder: str, lang: Lang) -> bytes:
    with tempfile.TemporaryDirectory() as out:
        path = Path(out) / "summary.xlsx"
        write_summary(graded(folder), path, lang)
        return path.read_bytes()


def cases() -> dict[str, Callable[[], bytes]]:
    """Snapshot name -> the workbook's bytes: lists of both colleges in both languages — the branch with
    the most items and one without any — and each college's summary."""
    out: dict[str, Callable[[], bytes]] = {}
    for folder in COLLEGES:
        results = graded(folder).results
        most = max(results, key=lambda r: (len(r.items), r.identity.branch_id))
        picked = [most, *[r for r in results if not r.items][:1]]
        for result in picked:
            for lang in ("zh", "en"):
                out[f"branch_list.{folder}.{result.identity.branch_id}.{lang}"] = (
                    lambda result=result, lang=lang: branch_list_bytes(result, lang)  # type: ignore[misc]
                )
        for lang in ("zh", "en"):
            out[f"summary.{folder}.{lang}"] = lambda folder=folder, lang=lang: _summary(folder, lang)  # type: ignore[misc]
    return out


def main() -> int:
    SNAPSHOTS.mkdir(exist_ok=True)
    wanted = cases()
    for stale in sorted(SNAPSHOTS.glob("*.txt")):
        if stale.stem not in wanted:
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}")
    for name, make in wanted.items():
        path = SNAPSHOTS / f"{name}.txt"
        text = describe(make())
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
