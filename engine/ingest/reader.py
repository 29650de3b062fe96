"""Read one workbook file into a ``RawWorkbook``: every sheet's values with their positions, or IN- problems.

The file is read once into memory (it is at most ``Limits.max_file_bytes``), hashed, and checked by the
pre-flight, which also says what python-calamine may parse: for a zip-based workbook, an archive of just
the parts it checked (``preflight.Cleared``, built by ``repack``). That is handed to calamine as a file
object, so the content, not the extension, decides the format (an .xlsx renamed .xls still opens).
Nothing here raises for bad input.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path
from typing import cast

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from engine.ingest.preflight import OLE2_MAGIC, Cleared, Format, Limits, Refusal, Refused, preflight
from schemas.common import Evidence, Finding, Text
from schemas.problems import make_problem
from schemas.raw import CellValue, RawSheet, RawWorkbook

_HASH_CHUNK = 1 << 20


def _hash_file(path: Path) -> str:
    """sha256 of the file's bytes, streamed, for files too big to be read into memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _refusal_finding(refusal: Refusal, evidence: Evidence) -> Finding:
    if refusal.sheet is not None:
        evidence = evidence.model_copy(update={"sheet": refusal.sheet})
    if refusal.code == "IN-01":
        reason = refusal.reason or Text(zh="无法识别的文件格式", en="the file format is not recognised")
        return make_problem("IN-01", evidence, reason=reason)
    if refusal.code == "IN-03":
        what = refusal.what or Text(zh="文件", en="the file")
        return make_problem("IN-03", evidence, what=what, actual=refusal.actual, limit=refusal.limit)
    return make_problem(refusal.code, evidence)


def _unreadable(file: str, sha256: str, zh: str, en: str) -> RawWorkbook:
    finding = make_problem("IN-01", Evidence(file=file), reason=Text(zh=zh, en=en))
    return RawWorkbook(file=file, sha256=sha256, problems=(finding,))


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine reaches Python as ``pyo3_runtime.PanicException``, which derives from
    ``BaseException`` (so ``except Exception`` misses it) and cannot be imported by name."""
    return type(exc).__name__ == "PanicException"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def parsed_unchecked(path: Path) -> bool:
    """Whether calamine would parse the file at ``path`` without the pre-flight's structural checks: an
    OLE2 file (.xls, or what the pre-flight cannot tell from one), passed on as it is. Every other file is
    a zip the pre-flight clears part by part before calamine sees it, or is refused without being parsed.
    An unreadable file is no risk: reading it is refused before any parser runs."""
    try:
        with path.open("rb") as stream:
            return stream.read(len(OLE2_MAGIC)) == OLE2_MAGIC
    except OSError:
        return False


def read_workbook(path: Path, display_name: str | None = None, limits: Limits | None = None) -> RawWorkbook:
    """Read ``path`` (xlsx, xlsm, xls, ods; judged by content) into a ``RawWorkbook``.

    ``display_name`` is the name users see in messages (default: the file name). Bad input never raises:
    it comes back as IN- findings in ``problems`` with no sheets.
    """
    limits = limits or Limits()
    file = display_name or path.name
    where = Evidence(file=file)
    try:
        size = path.stat().st_size
        if not path.is_file():
            return _unreadable(
                file, "", "这不是一个文件（可能是文件夹）", "it is not a regular file (perhaps a folder)"
            )
        if size > limits.max_file_bytes:
            finding = make_problem(
                "IN-03",
                where,
                what=Text(zh="文件大小", en="the file size"),
                actual=f"{size / (1024 * 1024):.1f} MB",
                limit=f"{limits.max_file_bytes / (1024 * 1024):.1f} MB",
            )
            return RawWorkbook(file=file, sha256=_hash_file(path), problems=(finding,))
        with path.open("rb") as stream:  # read-only; the input is never modified
            data = stream.read(limits.max_file_bytes + 1)
    except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        # it was listed, so it went missing (or out of reach) since: the batch decides if the folder did
        reason = Text(
            zh=f"文件已不在原处或无权读取（{_short(exc)}）", en=f"it is gone or unreadable ({_short(exc)})"
        )
        return RawWorkbook(file=file, sha256="", problems=(make_problem("IN-28", where, reason=reason),))
    except OSError as exc:
        return _unreadable(
            file, "", f"无法打开文件（{_short(exc)}）", f"the file cannot be opened ({_short(exc)})"
        )
    sha256 = hashlib.sha256(data).hexdigest()
    if len(data) > limits.max_file_bytes:  # the file grew between stat and read
        finding = make_problem(
            "IN-03",
            where,
            what=Text(zh="文件大小", en="the file size"),
            actual="?",
            limit=str(limits.max_file_bytes),
        )
        return RawWorkbook(file=file, sha256=sha256, problems=(finding,))

    try:
        cleared = preflight(data, limits)
    except Refused as refused:
        return RawWorkbook(file=file, sha256=sha256, problems=(_refusal_finding(refused.refusal, where),))

    try:
        sheets = _read_sheets(cleared, limits)
    except Refused as refused:
        return RawWorkbook(file=file, sha256=sha256, problems=(_refusal_finding(refused.refusal, where),))
    except PasswordError:
        return RawWorkbook(file=file, sha256=sha256, problems=(make_problem("IN-02", where),))
    except BaseException as exc:  # calamine: CalamineError, XmlError, ZipError ... and Rust panics
        if not isinstance(exc, Exception) and not _is_panic(exc):
            raise  # KeyboardInterrupt, SystemExit: not a property of the file
        kind = {
            Format.XLS: "Excel 97-2003 (.xls)",
            Format.ODS: "OpenDocument (.ods)",
            Format.XLSX: "Excel (.xlsx)",
        }
        return _unreadable(
            file,
            sha256,
            f"按 {kind[cleared.format]} 格式读取失败：{_short(exc)}",
            f"reading it as {kind[cleared.format]} failed: {_short(exc)}",
        )
    return RawWorkbook(file=file, sha256=sha256, sheets=sheets)


def _read_sheets(cleared: Cleared, limits: Limits) -> dict[str, RawSheet]:
    sheets: dict[str, RawSheet] = {}
    with CalamineWorkbook.from_filelike(BytesIO(cleared.data)) as workbook:
        for meta in workbook.sheets_metadata:
            if meta.typ not in (SheetTypeEnum.WorkSheet, SheetTypeEnum.MacroSheet):
                continue  # chart and dialog sheets hold no cells
            sheet = workbook.get_sheet_by_name(meta.name)
            # .xls files skip the zip pre-flight: check the extent calamine reports before materialising.
            end = sheet.end
            if end is not None:
                rows, columns = end[0] + 1, end[1] + 1
                if (
                    rows > limits.max_rows
                    or columns > limits.max_columns
                    or rows * columns > limits.max_cells
                ):
                    raise Refused(
                        Refusal(
                            "IN-03",
                            what=Text(
                                zh=f"工作表“{meta.name}”的单元格区域",
                                en=f"the cell range of sheet “{meta.name}”",
                            ),
                            actual=f"{rows} × {columns}",
                            limit=f"{limits.max_rows} × {limits.max_columns}",
                        )
                    )
            # skip_empty_area=False keeps rows[r][c] at cell (r+1, c+1); the default would shift
            # everything when the first rows or columns are empty.
            try:
                rows_read = cast(list[list[CellValue]], sheet.to_python(skip_empty_area=False))
                # to_python already builds a fresh list of lists; copy only if a version ever does not
                if type(rows_read) is not list or not all(type(row) is list for row in rows_read):
                    rows_read = [list(row) for row in rows_read]
            except BaseException as exc:
                if not _is_panic(exc):
                    raise
                # e.g. a huge negative number in a date-formatted cell panics calamine's date conversion
                raise Refused(
                    Refusal(
                        "IN-01",
                        reason=Text(
                            zh=f"工作表“{meta.name}”中有无法转换的单元格值（例如日期格式的单元格里填了"
                            f"超出日期范围的数字）：{_short(exc)}",
                            en=f"sheet “{meta.name}” holds a cell value that cannot be converted (e.g. a "
                            f"number far outside the date range in a date-formatted cell): {_short(exc)}",
                        ),
                        sheet=meta.name,
                    )
                ) from None
            sheets[meta.name] = RawSheet(
                name=meta.name,
                rows=rows_read,
                hidden=meta.visible != SheetVisibleEnum.Visible,
                merged=cleared.merged.get(meta.name, ())
                if cleared.format is not Format.XLS
                else tuple(a for a in sheet.merged_cell_ranges or () if a[1][0] > a[0][0]),
            )
    return sheets
