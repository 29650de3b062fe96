"""What is in the input folder: every entry found, classified, and named as people can read it.

Each entry of the folder (recursively) becomes one ``Entry``: a grading workbook to grade, or a file
that is not one (another file type, an Office lock file, a hidden file, a broken or looping link, an
entry that cannot be accessed), or an earlier output of this tool (recognised by its stamp). Those that
are not graded carry their ``FileReport`` at once, with the reason and the fix, so every entry is
accounted for in the console, the summary and results.json.

Names are whatever the file system allows: on Linux a name is bytes, and a zip made on Chinese Windows
brings GBK-encoded names that Python holds as lone surrogates; such a ``str`` opens the file but cannot
be written to JSON or a workbook. ``readable_name`` is the one place a path becomes text for people.
``list_file_stem`` and ``ListNames`` make each rectification list's Windows-safe, unique name.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import stat
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.export.stamp import read_output_stamp
from engine.ingest.preflight import Limits
from schemas.batch import FileReport
from schemas.common import Evidence, Finding, Text
from schemas.problems import make_problem

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
STAMPED_SUFFIXES = (".xlsx", ".xlsm")  # the tool writes .xlsx only; a renamed one may be .xlsm


def is_workbook_name(name: str) -> bool:
    """Whether a file called ``name`` is to be read as a grading workbook: a workbook's suffix, and not an
    Office lock file (``~$x.xlsx``) or a hidden file."""
    return os.path.splitext(name)[1].lower() in WORKBOOK_SUFFIXES and not name.startswith(("~$", "."))


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


_FORM_FIX = _t(
    "请用组织部下发的定级模板填写，保存为 Excel 工作簿（.xlsx）后放入文件夹",
    "Fill in the grading template from the organization department and save it as an Excel workbook (.xlsx)",
)
_NOTHING = _t("无需处理", "Nothing to do")
_SAVE_AS = _t(
    "请在 Excel 中“另存为” Excel 工作簿（.xlsx）后重新评定", "In Excel, “Save as” an Excel workbook (.xlsx)"
)

# Other file types met in a folder of forms: (suffixes, what it is, the fix)
_OTHER_TYPES: tuple[tuple[tuple[str, ...], Text, Text], ...] = (
    (
        (".et", ".ett"),
        _t("WPS 表格文件（.et）", "a WPS spreadsheet (.et)"),
        _t("WPS 默认保存为 .et，请另存为 .xlsx", "WPS saves as .et by default: “Save as” .xlsx"),
    ),
    ((".xlsb",), _t("Excel 二进制工作簿（.xlsb）", "an Excel binary workbook (.xlsb)"), _SAVE_AS),
    (
        (".csv", ".tsv", ".txt"),
        _t("文本文件，没有定级模板的工作表", "a text file without the template's sheets"),
        _FORM_FIX,
    ),
    (
        (".numbers",),
        _t("Numbers 表格", "a Numbers spreadsheet"),
        _t("请在 Numbers 中“导出为” Excel（.xlsx）", "In Numbers, “Export to” Excel (.xlsx)"),
    ),
    ((".pdf",), _t("PDF 文档", "a PDF document"), _FORM_FIX),
    (
        (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".webp"),
        _t("图片", "an image"),
        _FORM_FIX,
    ),
    ((".doc", ".docx", ".wps", ".rtf", ".odt"), _t("文字处理文档", "a word-processing document"), _FORM_FIX),
    (
        (".zip", ".rar", ".7z"),
        _t("压缩包", "an archive"),
        _t("解压后再评定", "Extract it into the folder, then grade again"),
    ),
)
_BY_SUFFIX = {suffix: (what, fix) for suffixes, what, fix in _OTHER_TYPES for suffix in suffixes}
_OUTPUT_KIND = {
    "整改清单": _t("整改清单", "rectification list"),
    "branch-list": _t("整改清单", "rectification list"),
    "汇总": _t("汇总表", "summary workbook"),
    "summary": _t("汇总表", "summary workbook"),
}


@dataclass(frozen=True)
class Entry:
    """One entry of the input folder. ``report`` is None for a grading workbook still to be graded."""

    path: Path  # where to read it (a zip's member: its copy in the run's scratch folder)
    name: str  # its path below the folder as people read it (readable_name)
    mtime: float | None
    report: FileReport | None = None
    key: str = ""  # its path below the folder as Python holds it: the order of entries

    @property
    def is_workbook(self) -> bool:
        return self.report is None


# --- names as people read them ---------------------------------------------------------------------

_ESCAPED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape(text: str) -> str:
    """Control and invisible characters as escapes (``\\x01``, ``\\u200e``; ``\\x80``–``\\xff`` are left
    to raw bytes), a backslash doubled."""
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            out.append(
                f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "".join(out)


def _undecodable(part: str) -> bool:
    return any(0xDC80 <= ord(ch) <= 0xDCFF for ch in part)


def _shown_part(part: str) -> str:
    """One path component: as text, or, when its bytes are not UTF-8, every non-ASCII byte as ``\\xb5``
    (a GBK name's bytes may happen to hold a valid UTF-8 sequence: showing that as a character would be
    noise)."""
    if not _undecodable(part):
        return _escape(part)
    raw = part.encode("utf-8", "surrogateescape")
    return "".join(_escape(chr(b)) if b < 0x80 else f"\\x{b:02x}" for b in raw)


def _as_gbk(part: str) -> str | None:
    try:
        return part.encode("utf-8", "surrogateescape").decode("gbk")
    except UnicodeError:
        return None


def readable_name(name: str) -> str:
    """``name`` (a path as Python holds it, ``/``-separated) as text every writer accepts and people can
    read: a component whose bytes are not UTF-8 with its non-ASCII bytes as ``\\xb5``, control and
    invisible format characters escaped, a backslash doubled (so two different names never read the
    same); when those components read as GBK (names from a zip made on Chinese Windows), that reading
    follows in brackets: ``\\xd6\\xa7.xlsx [GBK: 支.xlsx]``."""
    parts = name.split("/")
    shown = "/".join(_shown_part(p) for p in parts)
    if not _undecodable(name):
        return shown
    decoded = [_as_gbk(p) if _undecodable(p) else p for p in parts]
    if any(d is None for d in decoded):
        return shown
    return f"{shown} [GBK: {_escape('/'.join(d for d in decoded if d is not None))}]"


def readable_time(mtime: float) -> str:
    """A file's saved time as people read it, in this computer's time zone: ``2012-12-08 17:05``."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime))


# --- rectification list names ----------------------------------------------------------------------

MAX_STEM = 80  # characters of a list's name before the suffix: well inside Windows' 260-character paths
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def list_file_stem(branch_id: str, branch_name: str) -> str:
    """The Windows-safe name (without ``.xlsx``) of a branch's rectification list: ``XS-05 学生第五党支部``.

    Characters Windows refuses (``<>:"/\\|?*``), control and invisible characters become ``_``, runs of
    white space one space; no leading dash (it reads as an option on a command line) or dot, no trailing
    dot or space, never a reserved device name (CON, NUL, COM1 …), at most ``MAX_STEM`` characters."""
    text = f"{branch_id.strip()} {branch_name.strip()}".strip()
    text = "".join("_" if unicodedata.category(ch) in (*_ESCAPED_CATEGORIES, "Co") else ch for ch in text)
    text = " ".join(_UNSAFE.sub("_", text).split())[:MAX_STEM].rstrip(". ")
    text = re.sub(r"^[-.]", "_", text)  # no option-like or hidden name (nor a worker's temporary one)
    if not text:
        return "支部"
    if text.split(".")[0].strip().upper() in _RESERVED:
        text = "_" + text
    return text


class ListNames:
    """Hands out unique list names in the order asked: the first ``stem.xlsx``, then ``stem (2).xlsx``
    and so on. Names are compared as Windows does (ignoring case), so no two lists share a file there."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, stem: str) -> str:
        n = 1
        name = f"{stem}.xlsx"
        while name.casefold() in self._taken:
            n += 1
            name = f"{stem} ({n}).xlsx"
        self._taken.add(name.casefold())
        return name


# --- the folder's entries ---------------------------------------------------------------------------


def discover(folder: Path, scratch: Path | None = None) -> list[Entry]:
    """Every entry under ``folder``, in a stable order (by relative path, never the file system's order).

    Folders are walked, not listed; a hidden folder is one entry (not walked), and a link is followed to
    a file but not into a folder (a link may loop). Nothing is opened except a possible workbook's zip
    directory, to look for the tool's stamp. Raises ``OSError`` when ``folder`` itself cannot be listed.

    With a ``scratch`` folder a ``.zip``'s members are entries too (``forms.zip/a.xlsx``): its workbooks
    are copied out into ``scratch`` (bounded, see ``_zip_members``) to be graded like any other file;
    without, a zip is reported as not a grading workbook (extract it first).
    """
    found: list[Entry] = []
    unzipped = _Scratch(scratch) if scratch is not None else None
    stack = [(folder, "")]
    while stack:
        current, prefix = stack.pop()
        try:
            with os.scandir(current) as listing:
                children = list(listing)
        except OSError as exc:
            if not prefix:
                raise  # the folder itself: the caller reports it
            found.append(_inaccessible(current, prefix.rstrip("/"), None, _os_reason(exc)))
            continue
        for child in children:
            rel = prefix + child.name
            path = Path(child.path)
            try:
                if child.is_dir(follow_symlinks=False):
                    if child.name.startswith("."):
                        found.append(
                            _not_workbook(path, rel, None, _t("隐藏文件夹", "a hidden folder"), _NOTHING)
                        )
                    else:
                        stack.append((path, rel + "/"))
                    continue
                zipped = child.name.lower().endswith(".zip") and not child.name.startswith((".", "~$"))
                if unzipped is not None and zipped and child.is_file():
                    found.extend(_zip_members(path, rel, unzipped))
                else:
                    found.append(_classify(path, rel, child.is_symlink()))
            except OSError as exc:
                found.append(_inaccessible(path, rel, None, _os_reason(exc)))
    return sorted(found, key=lambda e: e.key)


def _classify(path: Path, rel: str, link: bool, name: str | None = None) -> Entry:
    """The entry of the file at ``path``; ``name`` (default the path's) decides its kind."""
    name = name if name is not None else path.name
    try:
        info = path.stat()  # follows a link
    except OSError as exc:
        reason = (
            _t("链接指向的文件不存在或链接循环", "a link to nothing, or a link loop")
            if link
            else _os_reason(exc)
        )
        return _inaccessible(path, rel, None, reason)
    if stat.S_ISDIR(info.st_mode):
        return _not_workbook(
            path,
            rel,
            info.st_mtime,
            _t("指向文件夹的链接（不进入）", "a link to a folder (not followed)"),
            _NOTHING,
        )
    if not stat.S_ISREG(info.st_mode):
        return _inaccessible(path, rel, info.st_mtime, _t("不是普通文件", "not a regular file"))
    if name.startswith("~$"):
        what = _t("Office 打开文件时生成的临时锁文件", "an Office lock file, made while a workbook is open")
        fix = _t(
            "无需处理；关闭 Excel/WPS 后它会自动消失", "Nothing to do; it goes away when Excel/WPS closes"
        )
        return _not_workbook(path, rel, info.st_mtime, what, fix)
    if name.startswith("."):
        return _not_workbook(path, rel, info.st_mtime, _t("隐藏文件", "a hidden file"), _NOTHING)
    suffix = os.path.splitext(name)[1].lower()
    if suffix in WORKBOOK_SUFFIXES:
        stamp = read_output_stamp(path) if suffix in STAMPED_SUFFIXES else None
        if stamp is not None:
            kind = _OUTPUT_KIND[next(k for k in _OUTPUT_KIND if stamp.startswith(k))]
            problem = make_problem("IN-23", Evidence(file=readable_name(rel)), kind=kind)
            return _skipped(path, rel, info.st_mtime, "output", problem)
        return Entry(path, readable_name(rel), info.st_mtime, key=rel)
    what, fix = _BY_SUFFIX.get(
        suffix,
        (
            _t(
                f"未知的文件类型（{suffix or '无扩展名'}）",
                f"an unknown file type ({suffix or 'no extension'})",
            ),
            _FORM_FIX,
        ),
    )
    return _not_workbook(path, rel, info.st_mtime, what, fix)


def _os_reason(exc: OSError) -> Text:
    reason = exc.strerror or type(exc).__name__
    return _t(f"系统无法读取（{reason}）", f"the system cannot read it ({reason})")


def _not_workbook(path: Path, rel: str, mtime: float | None, what: Text, fix: Text) -> Entry:
    problem = make_problem("IN-22", Evidence(file=readable_name(rel)), reason=what, fix=fix)
    return _skipped(path, rel, mtime, "not_workbook", problem)


def _inaccessible(path: Path, rel: str, mtime: float | None, reason: Text) -> Entry:
    fix = _t(
        "请确认文件存在、可以打开，并把它（而不是快捷方式或链接）复制到文件夹中",
        "Make sure the file exists and opens, and copy the file itself (not a shortcut or link) "
        "into the folder",
    )
    problem = make_problem("IN-24", Evidence(file=readable_name(rel)), reason=reason, fix=fix)
    return _skipped(path, rel, mtime, "not_workbook", problem)


def _skipped(
    path: Path,
    rel: str,
    mtime: float | None,
    status: Literal["not_workbook", "output", "ungradable"],
    problem: Finding,
) -> Entry:
    report = FileReport(file=readable_name(rel), sha256="", status=status, problems=(problem,))
    return Entry(path, readable_name(rel), mtime, report, key=rel)


# --- the members of a zip ----------------------------------------------------------------------------

MAX_ZIP_MEMBERS = 10_000  # members of one zip looked at; the rest are reported, not read
MAX_MEMBER_BYTES = Limits().max_file_bytes  # a workbook larger than this is refused by ingest anyway
MAX_UNZIPPED_BYTES = 2 * 1024**3  # copied out of all the zips of one folder together


@dataclass
class _Scratch:
    """Where a folder's zip members are copied out, and how much has been so far."""

    folder: Path
    files: int = 0
    bytes: int = 0


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as the file system would hold it: UTF-8 when the zip says so (flag bit 11), else
    its raw bytes (zips made on Chinese Windows store GBK without saying so) held like a file name, so
    ``readable_name`` shows them escaped with their GBK reading."""
    if info.flag_bits & 0x800:
        return info.filename
    return info.filename.encode("cp437").decode("utf-8", "surrogateescape")


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _zip_members(path: Path, rel: str, scratch: _Scratch) -> list[Entry]:
    """The entries of the zip at ``path``: each member, its workbooks copied out into ``scratch`` under a
    name of their own (never the member's path: ``../`` or an absolute name cannot escape). A member is
    copied only while it stays within ``MAX_MEMBER_BYTES`` (an encrypted one is not copied), and all
    zips of a run within ``MAX_UNZIPPED_BYTES``; a zip inside the zip is reported, not opened."""
    found: list[Entry] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            seen: set[str] = set()
            for n, info in enumerate(members):
                name = _member_name(info)
                member_rel = f"{rel}/{name}"
                while member_rel in seen:  # a zip may hold one name twice
                    member_rel += "~"
                seen.add(member_rel)
                mtime = _zip_time(info)
                base = name.rsplit("/", 1)[-1]
                if n >= MAX_ZIP_MEMBERS:
                    found.append(
                        _inaccessible(path, member_rel, mtime, _t("压缩包内文件过多", "too many members"))
                    )
                    continue
                if not is_workbook_name(base):
                    entry = _classify(path, member_rel, False, base)  # by its name alone
                    found.append(dataclasses.replace(entry, mtime=mtime))
                    continue
                refusal = _uncopyable(info, member_rel, scratch)
                if refusal is not None:
                    found.append(_skipped(path, member_rel, mtime, "ungradable", refusal))
                    continue
                target = scratch.folder / f"{scratch.files}{os.path.splitext(base)[1].lower()}"
                _copy_member(archive, info, target, scratch)
                entry = _classify(target, member_rel, False, base)
                found.append(dataclasses.replace(entry, mtime=mtime))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        what = _t(f"无法打开的压缩包（{exc}）", f"a zip that cannot be opened ({exc})")
        fix = _t("请重新压缩，或直接提交 .xlsx 文件", "Zip it again, or hand in the .xlsx files themselves")
        return [_not_workbook(path, rel, None, what, fix)]
    return found


def _uncopyable(info: zipfile.ZipInfo, rel: str, scratch: _Scratch) -> Finding | None:
    where = Evidence(file=readable_name(rel))
    if info.flag_bits & 0x1:
        return make_problem("IN-02", where)
    limit = MAX_MEMBER_BYTES if scratch.bytes + info.file_size <= MAX_UNZIPPED_BYTES else 0
    if info.file_size > limit:
        return make_problem(
            "IN-03",
            where,
            what=_t("压缩包内文件解压后的大小", "the unzipped size of the member"),
            actual=f"{info.file_size // 1024} KB",
            limit=f"{limit // 1024} KB",
        )
    return None


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, scratch: _Scratch) -> None:
    """Copy a member out, never more than its declared size (zipfile checks the size and CRC)."""
    scratch.files += 1
    scratch.bytes += info.file_size
    with archive.open(info) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
