"""Ingest: good workbooks read with positions intact; every kind of bad file becomes an IN- finding."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from engine.ingest import Limits, read_workbook
from schemas.raw import RawWorkbook

ROOT = Path(__file__).resolve().parents[1]


def _xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "基本信息"
    ws["C3"] = "支部名称"
    ws["D3"] = "第一党支部"
    ws["D5"] = 12
    hidden = wb.create_sheet("_meta")
    hidden["A1"] = "branchgrade-template"
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def _only_problem(raw: RawWorkbook) -> str:
    assert raw.sheets == {}
    assert len(raw.problems) == 1
    finding = raw.problems[0]
    assert finding.kind == "input" and finding.status is None
    assert finding.evidence[0].file == raw.file
    assert finding.message.zh and finding.message.en and finding.rectification.zh
    return finding.code


def test_reads_values_at_their_cells_and_visibility(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "支部.xlsx")
    before = path.read_bytes()
    raw = read_workbook(path, display_name="学院/支部.xlsx")
    assert raw.problems == ()
    assert raw.file == "学院/支部.xlsx"
    assert raw.sha256 == hashlib.sha256(before).hexdigest()
    sheet = raw.sheets["基本信息"]
    assert sheet.rows[2][2] == "支部名称" and sheet.rows[2][3] == "第一党支部"  # C3, D3: no shifting
    assert sheet.rows[4][3] == 12
    assert not sheet.hidden and raw.sheets["_meta"].hidden
    assert path.read_bytes() == before  # never modified


def test_content_not_extension_decides(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "a.xlsx").rename(tmp_path / "renamed.xls")
    assert read_workbook(path).problems == ()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "空的"),
        (b"\x00\x01\x02garbage\xff" * 10, "无法识别"),
        ("<html><body><table><tr><td>支部名称</td></tr></table></body></html>".encode(), "HTML"),
        ("支部名称,支部编号\n第一支部,JG-01\n".encode(), "CSV"),
        (b"%PDF-1.4 ...", "PDF"),
        (b"PK\x05\x06" + b"\x00" * 18, "空的压缩包"),
    ],
)
def test_not_a_workbook_says_what_it_is(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "form.xls"
    path.write_bytes(content)
    raw = read_workbook(path)
    assert _only_problem(raw) == "IN-01"
    assert says in raw.problems[0].message.zh


def test_missing_file_and_folder(tmp_path: Path) -> None:
    # a listed file that is no longer there went missing since (IN-28); a folder is no workbook (IN-01)
    assert _only_problem(read_workbook(tmp_path / "nope.xlsx")) == "IN-28"
    assert _only_problem(read_workbook(tmp_path)) == "IN-01"


def test_truncated_zip(tmp_path: Path) -> None:
    good = _xlsx(tmp_path / "a.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    raw = read_workbook(path)
    assert _only_problem(raw) == "IN-01"
    assert "损坏" in raw.problems[0].message.zh


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    raw = read_workbook(path)
    assert _only_problem(raw) == "IN-01" and "Word" in raw.problems[0].message.zh


def _ole2(stream_name: str) -> bytes:
    """A minimal OLE2 header followed by a directory entry name, as an encrypted package carries it."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + stream_name.encode("utf-16-le") + b"\x00" * 512
    )


def test_encrypted_workbook(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(_ole2("EncryptedPackage"))
    assert _only_problem(read_workbook(path)) == "IN-02"


def test_broken_ole2_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(_ole2("Workbook"))
    assert _only_problem(read_workbook(path)) == "IN-01"


def _hand_made_xlsx(sheet_xml: str, extra: dict[str, str] | None = None) -> bytes:
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            "spreadsheetml.sheet."
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _sheet(cells: str, dimension: str = "A1") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    )


SPARSE_CORNER = _sheet(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>'
)


def _read_in_subprocess(path: Path) -> str:
    """Read a risky file in a child: if the pre-flight missed it, calamine's SIGABRT kills only the child."""
    code = (
        "import sys; from pathlib import Path; from engine.ingest import read_workbook;"
        "raw = read_workbook(Path(sys.argv[1]));"
        "print(','.join(p.code for p in raw.problems), len(raw.sheets))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"reader crashed: rc={done.returncode} {done.stderr[-500:]}"
    return done.stdout.strip()


def test_hand_made_xlsx_is_readable(tmp_path: Path) -> None:
    path = tmp_path / "small.xlsx"
    path.write_bytes(_hand_made_xlsx(_sheet('<row r="2"><c r="B2"><v>7</v></c></row>', "B2")))
    raw = read_workbook(path)
    assert raw.problems == () and raw.sheets["S"].rows[1][1] == 7


@pytest.mark.parametrize(
    "sheet_xml",
    [
        SPARSE_CORNER,
        _sheet('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFD1048576"),  # a lying dimension
        _sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="200000"><c r="A200000"><v>2</v></c></row>'),
        _sheet('<row r="1"><c r="A1"><v>1</v><x:c r="ZZZZ1"/></c></row>'),
    ],
)
def test_far_cell_references_are_refused_before_calamine(tmp_path: Path, sheet_xml: str) -> None:
    path = tmp_path / "far.xlsx"
    path.write_bytes(_hand_made_xlsx(sheet_xml))
    assert _read_in_subprocess(path) == "IN-03 0"


def test_dtd_and_entities_are_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        + _sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>').split("?>", 1)[1]
    )
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_hand_made_xlsx(bomb))
    raw = read_workbook(path)
    assert _only_problem(raw) == "IN-03" and "DTD" in raw.problems[0].message.zh


def test_compression_ratio_and_size_limits(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>0</v></c></row>' for r in range(1, 3000))
    path = tmp_path / "ratio.xlsx"
    path.write_bytes(_hand_made_xlsx(_sheet(rows), {"xl/padding.xml": "<a>" + " " * 2_000_000 + "</a>"}))
    raw = read_workbook(path)
    assert _only_problem(raw) == "IN-03" and "压缩比" in raw.problems[0].message.zh
    assert read_workbook(path, limits=Limits(max_ratio=10_000)).problems == ()
    assert _only_problem(read_workbook(path, limits=Limits(max_file_bytes=1000))) == "IN-03"
    assert _only_problem(read_workbook(path, limits=Limits(max_ratio=10_000, max_rows=1000))) == "IN-03"
    assert (
        _only_problem(read_workbook(path, limits=Limits(max_ratio=10_000, max_uncompressed_bytes=10_000)))
        == "IN-03"
    )


def test_zip_level_encryption_flag(tmp_path: Path) -> None:
    data = bytearray(_hand_made_xlsx(_sheet("")))
    data[6] |= 0x1  # general-purpose flag of the first local header: "encrypted"
    central = data.rfind(b"PK\x01\x02", 0)
    first_central = data.find(b"PK\x01\x02")
    assert central >= first_central >= 0
    data[first_central + 8] |= 0x1  # and of its central-directory entry, which zipfile reads
    path = tmp_path / "zipcrypto.xlsx"
    path.write_bytes(bytes(data))
    assert _only_problem(read_workbook(path)) == "IN-02"
