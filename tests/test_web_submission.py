"""Submitting a self-check to the current round with a branch code, and the officers' rounds and codes:
the flow end to end, and every way around the code tried (wrong, used, replaced, another branch's,
another round's, no CSRF token, another browser, guessing)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from engine.ledger import Ledger
from engine.web.app import create_app
from engine.web.security import Limits
from engine.web.store import Store
from engine.web.submission_pages import CODE_TRIES, parse_branches
from engine.web.submissions import CODE_ALPHABET, CODE_LENGTH, shown_code, typed_code
from tests.test_web import PASSWORD, csrf, finished, login, words
from tests.web_support import COLLEGE

XS01 = (COLLEGE / "XS-01.xlsx").read_bytes()
JG02 = (COLLEGE / "JG-02.xlsx").read_bytes()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-submission")


@pytest.fixture(scope="module")
def app(data: Path) -> Iterator[TestClient]:
    Store(data).add_user("officer", PASSWORD)
    application = create_app(data, limits=Limits(), check_workers=1, batch_workers=1)
    with TestClient(application, follow_redirects=False) as client:
        yield client


def browser(app: TestClient, address: str = "testclient") -> TestClient:
    """Another browser on the same app (no cookies), from ``address``."""
    return TestClient(app.app, follow_redirects=False, client=(address, 50000))


@pytest.fixture(scope="module")
def officer(app: TestClient) -> TestClient:
    client = browser(app)
    assert login(client) == 303
    return client


def open_round(officer: TestClient, year: str = "2012", stage: str = "年终自查", **extra: str) -> int:
    token = csrf(officer.get("/rounds").text)
    response = officer.post("/rounds/open", data={"csrf": token, "year": year, "stage": stage, **extra})
    assert response.status_code == 303, words(response.text)
    return int(response.headers["location"].rsplit("/", 1)[1])


def issue(officer: TestClient, round_id: int, lines: str) -> dict[str, str]:
    """Issue codes for ``lines``; returns every live code of the round by branch id."""
    token = csrf(officer.get(f"/intake/{round_id}").text)
    response = officer.post(f"/intake/{round_id}/codes", data={"csrf": token, "branches": lines})
    assert response.status_code == 200, words(response.text)
    return codes_of(officer, round_id)


def codes_of(officer: TestClient, round_id: int) -> dict[str, str]:
    page = officer.get(f"/intake/{round_id}").text
    return dict(
        re.findall(
            r"<tr><td>([A-Z]{2}-\d\d)</td><td>[^<]*</td><td class=\"cell code-value\">([A-Z0-9-]+)<", page
        )
    )


def self_check(
    client: TestClient, workbook: bytes, name: str = "XS-01 学生第一党支部.xlsx"
) -> tuple[str, str | None]:
    """The answer page of a self-check and the token its submission form carries (None: no form)."""
    token = csrf(client.get("/").text)
    page = client.post("/check", data={"csrf": token}, files={"workbook": (name, workbook)}).text
    held = re.search(r'name="token" value="([\w-]+)"', page)
    return page, held.group(1) if held else None


def submit(client: TestClient, token: str | None, code: str, with_csrf: bool = True) -> tuple[int, str]:
    fields = {"token": token or "", "code": code}
    if with_csrf:
        fields["csrf"] = csrf(client.get("/").text)
    response = client.post("/check/submit", data=fields)
    return response.status_code, words(response.text)


def ready(
    app: TestClient, officer: TestClient, address: str, lines: str = "XS-01", **round_fields: str
) -> tuple[int, dict[str, str], TestClient, str | None]:
    """A round opened with codes for ``lines``, and a secretary at ``address`` who has just self-checked
    XS-01: the round, its codes, the secretary's browser and the token of the answer to submit."""
    round_id = open_round(officer, **round_fields)
    codes = issue(officer, round_id, lines)
    secretary = browser(app, address)
    _, token = self_check(secretary, XS01)
    return round_id, codes, secretary, token


def stored(data: Path, round_id: int) -> list[Path]:
    folder = data / "intake" / str(round_id)
    return (
        sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith("roster"))
        if folder.exists()
        else []
    )


def test_a_checked_workbook_is_submitted_with_its_branch_code(
    app: TestClient, officer: TestClient, data: Path
) -> None:
    round_id = open_round(officer, deadline="2099-12-10")
    codes = issue(officer, round_id, "XS-01 学生第一党支部\nJG-02, 机关第二党支部\n")
    assert set(codes) == {"XS-01", "JG-02"} and re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", codes["XS-01"])
    secretary = browser(app)
    page, token = self_check(secretary, XS01)
    assert token and "提交到本轮" in words(page) and "2012年 年终自查" in words(page)
    assert stored(data, round_id) == []  # a self-check stores nothing
    status, said = submit(secretary, token, codes["XS-01"].lower().replace("-", " "))  # typed loosely
    assert status == 200 and "已提交" in said and "XS-01" in said and "2012年 年终自查" in said
    (kept,) = stored(data, round_id)
    assert kept.read_bytes() == XS01 and "XS-01" not in kept.name  # under a generated name
    page = words(officer.get(f"/intake/{round_id}").text)
    assert "已使用" in page and "XS-01 学生第一党支部.xlsx" in page and "逾期" not in page
    assert "已发码、未提交" in page and "JG-02" in page.split("已发码、未提交", 1)[1]
    download = officer.get(f"/intake/{round_id}/file/0")
    assert download.status_code == 200 and download.content == XS01
    assert officer.get(f"/intake/{round_id}/file/1").status_code == 404
    listed = officer.get(f"/intake/{round_id}/codes.csv")
    assert listed.content.startswith("\ufeff".encode()) and codes["JG-02"] in listed.text


def test_wrong_used_replaced_and_other_branches_codes_are_refused(
    app: TestClient, officer: TestClient, data: Path
) -> None:
    round_id, codes, secretary, token = ready(
        app, officer, "10.0.0.2", "XS-01 学生第一党支部\nJG-02 机关第二党支部"
    )
    status, said = submit(secretary, token, "ABCDE-FGHJK")
    assert status == 400 and "提交码不正确" in said
    status, said = submit(secretary, token, codes["JG-02"])  # another branch's code
    assert status == 400 and "发给支部 JG-02" in said and "XS-01" in said
    assert stored(data, round_id) == []
    assert submit(secretary, token, codes["XS-01"])[0] == 200
    status, said = submit(secretary, token, codes["XS-01"])  # the same code again
    assert status == 400 and "已于" in said and "重新发码" in said
    token_page = officer.get(f"/intake/{round_id}").text
    reissued = officer.post(f"/intake/{round_id}/reissue", data={"csrf": csrf(token_page), "branch": "XS-01"})
    assert reissued.status_code == 303
    new = codes_of(officer, round_id)["XS-01"]
    assert new != codes["XS-01"]
    status, said = submit(secretary, token, codes["XS-01"])
    assert status == 400 and "已作废" in said
    assert submit(secretary, token, new)[0] == 200  # the branch submits again; the first stays on disk
    assert len(stored(data, round_id)) == 2
    assert words(officer.get(f"/intake/{round_id}").text).count("XS-01 学生第一党支部.xlsx") == 1
    later = open_round(officer, stage="验收")
    status, said = submit(secretary, token, codes["JG-02"])  # a code of a round no longer open
    assert status == 400 and "2012年 年终自查" in said and "2012年 验收" in said
    assert stored(data, later) == []


def test_only_a_gradable_workbook_of_the_rounds_year_is_taken(app: TestClient, officer: TestClient) -> None:
    _, codes, secretary, token = ready(app, officer, "10.0.0.3", "XS-01", year="2013")
    status, said = submit(secretary, token, codes["XS-01"])
    assert status == 400 and "考核年度是 2012" in said
    page, none = self_check(secretary, b"PK\x03\x04 not a workbook" * 10, "坏.xlsx")
    assert none is None and "提交到本轮" not in words(page)  # nothing to submit, no form


def test_a_submission_needs_the_csrf_token_and_the_browser_that_checked(
    app: TestClient, officer: TestClient, data: Path
) -> None:
    round_id, codes, secretary, token = ready(app, officer, "10.0.0.4", "XS-01")
    assert submit(secretary, token, codes["XS-01"], with_csrf=False)[0] == 403
    status, said = submit(browser(app, "10.0.0.4"), token, codes["XS-01"])  # another browser, same token
    assert status == 404 and "过期" in said
    assert submit(secretary, "made-up-token", codes["XS-01"])[0] == 404
    assert stored(data, round_id) == []
    assert submit(secretary, token, codes["XS-01"])[0] == 200


def test_guessing_codes_is_throttled(app: TestClient, officer: TestClient) -> None:
    _, codes, guesser, token = ready(app, officer, "10.0.0.66", "XS-01")
    assert [submit(guesser, token, f"WRONG{n:05d}")[0] for n in range(CODE_TRIES)] == [400] * CODE_TRIES
    status, said = submit(guesser, token, codes["XS-01"])
    assert status == 429 and "次数过多" in said  # even the right code waits


def test_without_an_open_round_a_self_check_offers_no_submission(
    app: TestClient, officer: TestClient
) -> None:
    round_id = open_round(officer)
    token = csrf(officer.get(f"/intake/{round_id}").text)
    assert officer.post(f"/intake/{round_id}/close", data={"csrf": token}).status_code == 303
    assert "已停止接收" in words(officer.get(f"/intake/{round_id}").text)
    page, held = self_check(browser(app, "10.0.0.5"), XS01)
    assert held is None and "提交到本轮" not in words(page)


def test_officers_round_forms_refuse_bad_input_and_strangers(app: TestClient, officer: TestClient) -> None:
    token = csrf(officer.get("/rounds").text)
    for fields, said in (
        ({"year": "12", "stage": "年终自查"}, "四位数字"),
        ({"year": "2012", "stage": "期末"}, "年初定级"),
        ({"year": "2012", "stage": "年终自查", "deadline": "12/10/2012"}, "年-月-日"),
    ):
        response = officer.post("/rounds/open", data={"csrf": token, **fields})
        assert response.status_code == 400 and said in words(response.text)
    round_id = open_round(officer)
    page = officer.get(f"/intake/{round_id}").text
    response = officer.post(f"/intake/{round_id}/codes", data={"csrf": csrf(page), "branches": "学生支部"})
    assert response.status_code == 400 and "第 1 行没有支部编号" in words(response.text)
    stranger = browser(app)
    for path in (
        f"/intake/{round_id}",
        f"/intake/{round_id}/codes.csv",
        f"/intake/{round_id}/file/0",
        "/rounds",
    ):
        assert stranger.get(path).headers.get("location") == "/login", path
    stranger_token = csrf(stranger.get("/").text)
    posted = stranger.post("/rounds/open", data={"csrf": stranger_token, "year": "2012", "stage": "验收"})
    assert posted.headers.get("location") == "/login"
    assert officer.post("/rounds/open", data={"year": "2012", "stage": "验收"}).status_code == 403
    assert officer.post(f"/intake/{round_id}/codes", data={"branches": "XS-01"}).status_code == 403
    assert officer.get("/intake/9999").status_code == 404


def test_the_rounds_submissions_are_graded_and_recorded_as_the_round(
    app: TestClient, officer: TestClient, data: Path
) -> None:
    round_id = open_round(officer, stage="中期督查")
    codes = issue(officer, round_id, "XS-01\nJG-02")
    for workbook, branch, address in ((XS01, "XS-01", "10.0.1.1"), (JG02, "JG-02", "10.0.1.2")):
        secretary = browser(app, address)
        _, token = self_check(secretary, workbook, f"{branch}.xlsx")
        assert submit(secretary, token, codes[branch])[0] == 200
    token = csrf(officer.get(f"/intake/{round_id}").text)
    batch = finished(officer, officer.post(f"/intake/{round_id}/grade", data={"csrf": token}))
    assert "已记入台账" in words(officer.get(f"/c/{batch}").text)
    with Ledger.open(data / "ledger.sqlite3") as led:
        info = led.find_round("2012-中期督查")
        assert sorted(led.branch_grades(info.id)) == ["JG-02", "XS-01"]
    again = officer.post(f"/intake/{round_id}/grade", data={"csrf": token})
    assert again.status_code == 400 and "已有轮次" in words(again.text)  # recorded once, unless replaced


def test_branch_lines_are_read_as_ids_and_names() -> None:
    found, bad = parse_branches(
        "JD-01 机电工程学院教工党支部\n\n  XS-02,学生第二党支部\nJG-03\t机关\n没有编号\n"
    )
    assert found == [("JD-01", "机电工程学院教工党支部"), ("XS-02", "学生第二党支部"), ("JG-03", "机关")]
    assert bad == [(5, "没有编号")]


@given(
    st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH),
    st.sampled_from(["", " ", "-"]),
)
def test_a_code_reads_back_however_it_is_spaced_or_cased(code: str, gap: str) -> None:
    typed = shown_code(code).replace("-", gap).lower()
    assert typed_code(typed) == code


def test_a_round_is_opened_with_the_profile_that_grades_it(app: TestClient, officer: TestClient) -> None:
    token = csrf(officer.get("/rounds").text)
    unknown = {"csrf": token, "year": "2019", "stage": "年终自查", "profile": "no-such-profile"}
    refused = officer.post("/rounds/open", data=unknown)
    assert refused.status_code == 400 and "不是本服务器的方案" in words(refused.text)
    round_id = open_round(officer, year="2019", profile="national-2018")
    assert "national-2018" in words(officer.get(f"/intake/{round_id}").text)
    assert "national-2018" in words(officer.get("/rounds").text.split('id="intake-rounds"', 1)[1])
    by_year = open_round(officer)  # without a choice: each workbook by its year, as grade does
    assert "按工作簿年度自动选择" in words(officer.get(f"/intake/{by_year}").text)
