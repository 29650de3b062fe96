"""Any name the OS allows: no crash, no lost list, names people can read.

Input names that are not UTF-8 (GBK from zips made on Chinese Windows), very long, with newlines or a
leading dash, differing only in case or colliding once a subfolder is flattened: every graded branch
gets exactly one rectification list with a unique Windows-safe name from its ID and name, and every
name is written readably to results.json and the summary."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import pipeline
from engine.intake import MAX_STEM, ListNames, list_file_stem, readable_name
from tests.intake_helpers import COLLEGE, changed, lists, place, results, sheet_rows

WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def _windows_safe(name: str) -> bool:
    stem = name.removesuffix(".xlsx")
    return (
        not any(ch in '<>:"/\\|?*' or unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name)
        and stem == stem.rstrip(". ")
        and stem.split(".")[0].strip().upper() not in WINDOWS_RESERVED
        and not stem.startswith(("-", "."))
        and 0 < len(stem) <= MAX_STEM + 6
    )


@given(st.text(max_size=120), st.text(max_size=120))
def test_list_stems_are_windows_safe(branch_id: str, branch_name: str) -> None:
    stem = list_file_stem(branch_id, branch_name)
    assert _windows_safe(stem + ".xlsx") and len(stem) <= MAX_STEM


@given(st.lists(st.sampled_from(["XS-05 学生", "xs-05 学生", "XS-05 学生 (2)", "CON", "a"]), max_size=12))
def test_list_names_are_unique_ignoring_case(stems: list[str]) -> None:
    names = ListNames()
    given_names = [names.take(list_file_stem(s, "")) for s in stems]
    assert len({n.casefold() for n in given_names}) == len(given_names)
    assert all(_windows_safe(n) for n in given_names)


def test_list_stem_examples() -> None:
    assert list_file_stem("XS-05", "学生第五党支部") == "XS-05 学生第五党支部"
    assert list_file_stem("a/b", 'c:"d"?') == "a_b c__d__"
    assert list_file_stem("CON", "") == "_CON"
    assert list_file_stem("-rf", "x.") == "_rf x"
    assert list_file_stem("", "  ") == "支部"
    assert list_file_stem("JG\n01", "机关\t支部") == "JG_01 机关_支部"


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_readable_names_are_text_every_writer_takes(raw: bytes) -> None:
    name = os.fsdecode(raw)
    shown = readable_name(name)
    shown.encode("utf-8")  # no lone surrogates
    json.dumps(shown, ensure_ascii=False).encode("utf-8")
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in shown)


@given(
    st.lists(
        st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b),
        min_size=2,
        max_size=6,
        unique=True,
    )
)
def test_readable_names_never_merge_two_names(raws: list[bytes]) -> None:
    names = [os.fsdecode(r) for r in raws]
    assert len({readable_name(n) for n in names}) == len(names)


def test_a_gbk_name_reads_escaped_with_its_gbk_reading() -> None:
    name = os.fsdecode("子目录/".encode() + "支部表.xlsx".encode("gbk"))
    shown = readable_name(name)
    assert shown == "子目录/\\xd6\\xa7\\xb2\\xbf\\xb1\\xed.xlsx [GBK: 子目录/支部表.xlsx]"
    assert readable_name("a\nb\\c.xlsx") == "a\\nb\\\\c.xlsx"
    assert readable_name("普通 名字.xlsx") == "普通 名字.xlsx"


HOSTILE = {
    "JG-01.xlsx": b"\xd6\xa7\xb2\xbf\xb1\xed.xlsx",  # 支部表 in GBK: not UTF-8
    # a 245-byte name (the file system allows 255) at the end of a path of over 1,000 bytes
    "JG-02.xlsx": ("很长的文件夹名" * 10 + "/").encode() * 5 + ("很长的名字" * 16 + ".xlsx").encode(),
    "JD-01.xlsx": b"line\nbreak.xlsx",
    "JD-02.xlsx": b"-rf.xlsx",
    "LT-01.xlsx": b"Case.xlsx",
    "LT-02.xlsx": b"case.xlsx",
    "XS-01.xlsx": b"a/b.xlsx",
    "XS-02.xlsx": b"a_b.xlsx",
    "XX-01.xlsx": b"deep/" + b"\xc4\xbf\xc2\xbc/" * 3 + b"CON.xlsx",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if sys.platform == "win32":
        pytest.skip("names that are bytes exist on POSIX file systems only")
    folder = tmp_path_factory.mktemp("hostile")
    for source, name in HOSTILE.items():
        place(folder, name, COLLEGE / source)
    # two branches whose lists would share a name on Windows: IDs that differ only in characters Windows
    # refuses in a file name, names only in case (IDs differing only in case are one branch: 支部编号 is
    # read upper-case)
    changed(COLLEGE / "JC-01.xlsx", folder / "jc.xlsx", branch_id="JC?01", branch_name="Abc支部")
    changed(COLLEGE / "JC-01.xlsx", folder / "JC.xlsx", branch_id="JC:01", branch_name="ABC支部")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_hostile_names_neither_crash_nor_cost_a_list(hostile: Path, tmp_path: Path, workers: int) -> None:
    run = pipeline.grade_folder(hostile, tmp_path / "out", workers=workers)
    assert run.exit_code == 0, [
        (f.file, [p.code for p in f.problems]) for f in run.files if f.status != "graded"
    ]
    graded = [f for f in run.files if f.status == "graded"]
    assert len(graded) == len(HOSTILE) + 2 == len(run.files)
    names = lists(run)
    assert len(names) == len(graded)  # exactly one list per graded branch, none lost, none overwritten
    assert len({n.casefold() for n in names}) == len(names) and all(_windows_safe(n) for n in names)
    assert {"JC_01 ABC支部.xlsx", "JC_01 Abc支部 (2).xlsx"} <= set(names)  # in file order: JC before jc
    data = results(run)  # valid UTF-8 JSON
    shown = {f["file"] for f in data["files"]}
    assert "\\xd6\\xa7\\xb2\\xbf\\xb1\\xed.xlsx [GBK: 支部表.xlsx]" in shown
    assert "line\\nbreak.xlsx" in shown and "-rf.xlsx" in shown and {"a/b.xlsx", "a_b.xlsx"} <= shown
    assert {r["identity"]["file"] for r in data["results"]} == shown
    rows = sheet_rows(run.out / pipeline.SUMMARY_NAME["zh"], "输入文件")
    assert {row[0] for row in rows[1:]} == shown
    manifest = json.loads((run.out / pipeline.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert set(manifest["inputs"]) == shown
