"""Whether a workbook may carry the tool's stamp is read from the raw bytes of its zip directory: never a
miss (a zip holding ``docProps/custom.xml`` always goes on to the stamp reader), and a plain form is
passed without parsing the zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.export.stamp import CUSTOM_PART, may_hold_stamp, read_output_stamp

ROOT = Path(__file__).resolve().parents[1]
FORMS = sorted((ROOT / "fixtures" / "college").glob("*.xlsx"))

_names = st.lists(
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7FF, exclude_characters="/\\"), max_size=12
    ).filter(bool),
    max_size=30,
    unique=True,
)


def _zip(names: list[str], custom: bool, comment: bytes, before: bytes, big: int) -> bytes:
    buffer = io.BytesIO()
    buffer.write(before)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = comment
        for i, name in enumerate(names):
            archive.writestr(f"xl/{name}.xml", b"<x/>" * (big if i == 0 else 1))
            if custom and i == len(names) // 2:
                archive.writestr(CUSTOM_PART, b"<Properties/>")
        if custom and not names:
            archive.writestr(CUSTOM_PART, b"<Properties/>")
    return buffer.getvalue()


@settings(max_examples=150, deadline=None)
@given(
    names=_names,
    custom=st.booleans(),
    comment=st.binary(max_size=0xFFFF) | st.sampled_from([b"", b"PK\x05\x06", b"PK\x05\x06" + bytes(40)]),
    before=st.binary(max_size=64) | st.just(b""),
    big=st.integers(1, 5000),
)
def test_a_zip_holding_the_custom_part_is_never_passed_over(
    tmp_path_factory: object, names: list[str], custom: bool, comment: bytes, before: bytes, big: int
) -> None:
    data = _zip(names, custom, comment, before, big)
    path = Path(str(tmp_path_factory.mktemp("z"))) / "a.xlsx"  # type: ignore[attr-defined]
    path.write_bytes(data)
    if custom:
        assert may_hold_stamp(path)
    elif not before and b"PK\x05\x06" not in comment:  # a plain archive: its directory names no such part
        assert not may_hold_stamp(path)


@given(cut=st.integers(0, 400))
def test_a_cut_or_damaged_file_is_left_to_zipfile(tmp_path_factory: object, cut: int) -> None:
    data = FORMS[0].read_bytes()
    path = Path(str(tmp_path_factory.mktemp("c"))) / "cut.xlsx"  # type: ignore[attr-defined]
    path.write_bytes(data[: len(data) - cut])
    may_hold_stamp(path)  # never raises
    assert read_output_stamp(path) is None


def test_a_filled_form_is_passed_without_parsing_its_zip(tmp_path: Path) -> None:
    assert not any(may_hold_stamp(form) for form in FORMS)
    assert may_hold_stamp(tmp_path / "gone.xlsx")  # unreadable: zipfile decides (and finds nothing)
    assert read_output_stamp(tmp_path / "gone.xlsx") is None
