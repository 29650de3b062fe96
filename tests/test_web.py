"""The web pages through Starlette's TestClient: every route, and each safeguard tried from outside.

One app (and its warm self-check pool) serves the whole module, with small upload limits so the limits
can be reached cheaply.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from engine.cli import app as cli_app
from engine.ledger import Ledger
from engine.profiles import ProfileChoice
from engine.review.record import review_history
from engine.web import charts
from engine.web.app import create_app
from engine.web.batches import safe_name
from engine.web.security import Limits
from engine.web.store import Store
from tests.web_support import COLLEGE, ROSTER_MISSING, WARNED_CELL, college_zip, roster_csv, warned_workbook

LIMITS = Limits(check_bytes=400_000, collect_bytes=3_000_000, collect_files=25, file_bytes=2_000_000)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-data")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder the self-check workers get (their TMPDIR), to look for anything left there."""
    return tmp_path_factory.mktemp("web-tmp")


@pytest.fixture(scope="module")
def client(data: Path, scratch: Path) -> Iterator[TestClient]:
    Store(data).add_user("officer", PASSWORD)
    app = create_app(data, limits=LIMITS, check_workers=1, batch_workers=2)
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(scratch)  # read by the workers as they start (with the app, below)
    try:
        with TestClient(app, follow_redirects=False) as c:
            _restore("TMPDIR", before)
            tempfile.tempdir = None  # this process goes back to its own temporary folder
            yield c
    finally:
        _restore("TMPDIR", before)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def words(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def fresh(client: TestClient) -> TestClient:
    """Another browser on the same app (no cookies)."""
    other = TestClient(client.app, follow_redirects=False)
    other.cookies.clear()
    return other


def check(client: TestClient, data: bytes, name: str = "branch.xlsx") -> str:
    token = csrf(client.get("/").text)
    response = client.post("/check", data={"csrf": token}, files={"workbook": (name, data)})
    assert response.status_code == 200, response.text
    return response.text


def login(client: TestClient, user: str = "officer", password: str = PASSWORD) -> int:
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"csrf": token, "user": user, "password": password})
    return response.status_code


# --- the secretary's self-check ----------------------------------------------------------------------


def test_a_self_check_shows_the_located_problem_the_grade_and_the_items(
    client: TestClient, tmp_path: Path
) -> None:
    page = check(client, warned_workbook(tmp_path / "JG-02.xlsx").read_bytes(), "JG-02 机关第二党支部.xlsx")
    text = words(page)
    sheet, cell = WARNED_CELL
    assert "IN-12" in text and f"{sheet}!{cell}" in text
    assert re.search(r'id="grade">后进<', page)
    assert "党组织带头人" in text  # the indicator scores
    assert "依据单元格" in text and "依据条款" in text and "娄" in text  # items' evidence cells and clauses
    link = re.search(r'href="(/check/list/[\w-]+)"', page)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert "filename*=UTF-8''JG-02" in download.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(download.content))
    assert any("整改" in str(c.value) for row in wb.worksheets[0].iter_rows() for c in row if c.value)
    # the list is this browser's alone
    assert fresh(client).get(link.group(1)).status_code == 404


def test_a_self_check_shows_the_path_to_the_next_grade_with_the_cap_to_lift_first(
    client: TestClient,
) -> None:
    """XX-02 is capped by satisfaction below 90%: its path names the cap before the items that follow."""
    page = check(client, (COLLEGE / "XX-02.xlsx").read_bytes(), "XX-02.xlsx")
    path = words(page[page.index('id="path"') :])
    assert "晋级路径" in path[:40] and "下一等次：较好" in path
    assert path.index("解除封顶") < path.index("FB-01") < path.index("1. ")


def test_the_self_check_speaks_english_when_switched(client: TestClient) -> None:
    switched = client.get("/lang/en?next=/")
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    try:
        page = check(client, (COLLEGE / "XS-01.xlsx").read_bytes(), "XS-01.xlsx")
        assert "Provisional grade" in page and "Download my rectification list" in page
    finally:
        client.get("/lang/zh?next=/")


def test_a_file_that_is_no_workbook_gets_a_message_not_an_error(client: TestClient) -> None:
    page = check(client, b"PK\x03\x04 this is not really a zip" * 10, "坏文件.xlsx")
    text = words(page)
    assert re.search(r"IN-0\d", text) and "该工作簿无法评定" in text


def test_a_self_check_leaves_nothing_on_disk(client: TestClient, scratch: Path, data: Path) -> None:
    check(client, (COLLEGE / "XS-01.xlsx").read_bytes())
    left = [p for p in scratch.rglob("*") if p.is_file()]
    assert left == []
    assert [p.name for p in scratch.iterdir()], "the workers made their scratch folders here"
    assert not (data / "collections").exists() or all(
        "XS-01" not in p.name for p in (data / "collections").rglob("*")
    )


# --- security: each safeguard tried -----------------------------------------------------------------


def test_every_state_changing_form_refuses_a_post_without_its_csrf_token(client: TestClient) -> None:
    workbook = (COLLEGE / "XS-01.xlsx").read_bytes()
    stranger = fresh(client)
    stranger.get("/")  # has a session of its own, but not this token
    others_token = csrf(client.get("/").text)
    assert stranger.post("/check", files={"workbook": ("a.xlsx", workbook)}).status_code == 403
    assert (
        stranger.post(
            "/check", data={"csrf": others_token}, files={"workbook": ("a.xlsx", workbook)}
        ).status_code
        == 403
    )
    assert stranger.post("/login", data={"user": "officer", "password": PASSWORD}).status_code == 403
    assert (
        stranger.post("/login", data={"csrf": "0" * 64, "user": "officer", "password": PASSWORD}).status_code
        == 403
    )
    assert login(stranger) == 303
    assert stranger.post("/collect", files={"files": ("a.xlsx", workbook)}).status_code == 403
    assert stranger.post("/logout").status_code == 403
    assert stranger.get("/collect").status_code == 200  # the refused logout did not log out


def test_cookies_are_httponly_and_samesite_and_pages_carry_security_headers(client: TestClient) -> None:
    browser = fresh(client)
    response = browser.get("/")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    for path in ("/", "/rules", "/static/app.css", "/no/such/page"):
        headers = browser.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    assert browser.get("/").headers["cache-control"] == "no-store"


def test_passwords_are_stored_hashed_and_a_wrong_one_is_refused(client: TestClient, data: Path) -> None:
    with contextlib.closing(sqlite3.connect(data / "web.sqlite3")) as db:
        (stored,) = db.execute("SELECT hash FROM users WHERE name = 'officer'").fetchone()
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert login(fresh(client), "officer", "wrong password") == 401
    assert login(fresh(client), "nobody", PASSWORD) == 401


def test_repeated_failed_logins_are_throttled(client: TestClient, data: Path) -> None:
    Store(data).add_user("target", PASSWORD)
    browser = fresh(client)
    codes = [login(browser, "target", f"guess {n}") for n in range(6)]
    assert codes == [401] * 5 + [429]
    assert login(browser, "target", PASSWORD) == 429  # even the right password waits


def test_logging_in_replaces_the_session_id(client: TestClient) -> None:
    browser = fresh(client)
    browser.get("/")
    planted = browser.cookies["bg_sid"]
    assert login(browser) == 303
    assert browser.cookies["bg_sid"] != planted
    attacker = fresh(client)
    attacker.cookies.set("bg_sid", planted)
    assert attacker.get("/collect").status_code == 303  # the planted id is not logged in


def test_officer_pages_and_downloads_need_a_login(client: TestClient) -> None:
    anonymous = fresh(client)
    for path in (
        "/collect",
        "/c/AAAAAAAAAAAAAAAAAAAAAA",
        "/c/AAAAAAAAAAAAAAAAAAAAAA/list/0",
        "/c/AAAAAAAAAAAAAAAAAAAAAA/results.json",
    ):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    token = csrf(anonymous.get("/").text)
    posted = anonymous.post("/collect", data={"csrf": token}, files={"files": ("a.xlsx", b"x")})
    assert posted.status_code == 303 and posted.headers["location"] == "/login"


def test_uploads_over_the_limits_are_refused(client: TestClient) -> None:
    too_big = b"\0" * (LIMITS.check_bytes + 1)
    token = csrf(client.get("/").text)
    response = client.post("/check", data={"csrf": token}, files={"workbook": ("big.xlsx", too_big)})
    assert response.status_code == 413 and "上限" in response.text
    officer = fresh(client)
    assert login(officer) == 303
    token = csrf(officer.get("/collect").text)
    many = [("files", (f"{n}.xlsx", b"x")) for n in range(LIMITS.collect_files + 1)]
    response = officer.post("/collect", data={"csrf": token}, files=many)
    assert response.status_code == 413 and str(LIMITS.collect_files) in response.text
    one_big = [("files", ("big.zip", b"\0" * (LIMITS.file_bytes + 1)))]
    assert officer.post("/collect", data={"csrf": token}, files=one_big).status_code == 413
    total = [("files", (f"{n}.zip", b"\0" * (LIMITS.file_bytes - 10))) for n in range(2)]
    assert officer.post("/collect", data={"csrf": token}, files=total).status_code == 413


def test_a_body_of_unknown_length_is_refused_unread(client: TestClient) -> None:
    token = csrf(client.get("/").text)
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="a.xlsx"\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:  # no Content-Length: chunked
        yield head
        for _ in range(LIMITS.check_bytes // 65536 + 2):
            yield b"\0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/check", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 411


def test_upload_names_never_leave_their_folder() -> None:
    taken: set[str] = set()
    names = [
        safe_name(n, taken)
        for n in (
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "/abs/x.xlsx",
            ".hidden.xlsx",
            "a\0b.xlsx",
            "..",
            "x.xlsx",
            "X.xlsx",
        )
    ]
    assert names == [
        "passwd",
        "boot.ini",
        "x.xlsx",
        "hidden.xlsx",
        "a_b.xlsx",
        "upload",
        "x (2).xlsx",
        "X (3).xlsx",
    ]
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)


def test_the_language_switch_never_redirects_off_the_site(client: TestClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = fresh(client).get(f"/lang/en?next={target}")
        assert response.headers["location"] == "/", target


# --- officers: collect, dashboard, branch page, downloads --------------------------------------------


@pytest.fixture(scope="module")
def collected(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, str]:
    """An officer's browser and a finished collection: the college's zip with GBK names, one stray
    workbook under a path-like name, and the roster."""
    folder = tmp_path_factory.mktemp("upload")
    officer = fresh(client)
    assert login(officer) == 303
    token = csrf(officer.get("/collect").text)
    files = [
        ("files", ("各支部.zip", college_zip(folder / "college.zip").read_bytes())),
        ("files", ("../../outside.xlsx", b"not a workbook")),
        ("roster", ("花名册.csv", roster_csv(folder / "roster.csv").read_bytes())),
    ]
    response = officer.post("/collect", data={"csrf": token, "stage": "年初定级"}, files=files)
    return officer, finished(officer, response)


def finished(officer: TestClient, response: Any) -> str:
    """The collection a /collect answer started, once graded."""
    assert response.status_code == 303, response.text
    page = response.headers["location"]
    deadline = time.monotonic() + 120
    while officer.get(f"{page}/progress").status_code != 204:
        assert time.monotonic() < deadline, "the collection was not graded in time"
        time.sleep(0.3)
    return str(page.rsplit("/", 1)[-1])


def test_the_dashboard_shows_the_college(collected: tuple[TestClient, str], data: Path) -> None:
    officer, batch = collected
    page = officer.get(f"/c/{batch}")
    assert page.status_code == 200
    text = words(page.text)
    assert "已评定 18 / 工作簿 19" in text  # the stray file is a workbook by name, ungradable
    assert page.text.count("<svg") == 4  # distribution, KPIs, common problems, per general branch
    assert "TG-01" in text and "先进" in text
    assert ROSTER_MISSING[0] in text and ROSTER_MISSING[1] in text  # who has not submitted
    assert "outside.xlsx" in text  # the stray file is reported, by its safe name
    stored = [p.relative_to(data) for p in (data / "collections" / batch / "in").iterdir()]
    assert sorted(p.name for p in stored) == ["outside.xlsx", "各支部.zip"]
    assert not (data.parent / "outside.xlsx").exists()


def test_the_branch_page_shows_scores_items_evidence_and_the_trace(collected: tuple[TestClient, str]) -> None:
    officer, batch = collected
    page = officer.get(f"/c/{batch}/b/0")
    assert page.status_code == 200
    text = words(page.text)
    assert "各指标得分" in text and "全部规则的评定过程" in text
    assert page.text.count('class="st-') > 20  # every rule's row
    link = re.search(rf'href="(/c/{batch}/list/\d+)"', page.text)
    assert link
    listed = officer.get(link.group(1))
    assert listed.status_code == 200
    openpyxl.load_workbook(io.BytesIO(listed.content))
    assert officer.get(f"/c/{batch}/b/999").status_code == 404


def test_the_downloads(collected: tuple[TestClient, str]) -> None:
    officer, batch = collected
    archive = zipfile.ZipFile(io.BytesIO(officer.get(f"/c/{batch}/lists.zip").content))
    assert len(archive.namelist()) == 18 and all(n.endswith(".xlsx") for n in archive.namelist())
    summary = officer.get(f"/c/{batch}/summary.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(summary.content)).sheetnames
    results = json.loads(officer.get(f"/c/{batch}/results.json").content)
    assert len(results["results"]) == 18
    for path in (
        f"/c/{batch}/list/99",
        f"/c/{batch}/list/-1",
        "/c/..%2F..%2Fetc/results.json",
        f"/c/{batch}/list/..%2F..%2Fweb.sqlite3",
        "/c/short/results.json",
        "/static/../web.sqlite3",
    ):
        assert officer.get(path).status_code == 404, path


def test_the_rule_catalogue_shows_each_rule_with_its_clause_parameters_and_examples(
    client: TestClient,
) -> None:
    choice = ProfileChoice.from_ref("auto")
    for entry in choice.entries:
        page = client.get(f"/rules?profile={entry.name}")
        assert page.status_code == 200
        profile = choice.profile(entry.name)
        assert page.text.count('<article class="rule"') == len(profile.rules) > 0
        rule = profile.rules[0]
        assert rule.source.clause in page.text and rule.code in page.text
        assert "依据条款" in page.text and "示例" in page.text and "参数" in page.text
    assert client.get("/rules?profile=nonesuch").status_code == 404


def test_user_add_on_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        cli_app, ["user", "add", "书记甲", "--data", str(tmp_path), "--password-stdin"], input="long enough\n"
    )
    assert ok.exit_code == 0, ok.output
    assert Store(tmp_path).check_login("书记甲", "long enough")
    again = runner.invoke(
        cli_app, ["user", "add", "书记甲", "--data", str(tmp_path), "--password-stdin"], input="long enough\n"
    )
    assert again.exit_code == 2 and "已存在" in again.output
    short = runner.invoke(
        cli_app, ["user", "add", "x", "--data", str(tmp_path), "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2


def test_chart_labels_are_escaped_and_every_value_is_written() -> None:
    chart = str(charts.bar_chart("<t>", [("<script>alert(1)</script>", 3, "3"), ("乙", 1, "1")], marks=[2]))
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    assert ">3<" in chart and ">1<" in chart and "stroke-dasharray" in chart
    stacked = str(charts.stacked_chart("t", ["先进", "后进"], [("<b>", [2, 1])]))
    assert "<b>" not in stacked and "&lt;b&gt;" in stacked and ">3<" in stacked


def test_collections_are_recorded_as_rounds_and_the_branch_page_shows_the_history(
    collected: tuple[TestClient, str], tmp_path: Path
) -> None:
    officer, _ = collected
    rounds = words(officer.get("/rounds").text)
    assert "2012年 年初定级" in rounds and "验收" in rounds and "2012-12-20" in rounds  # stages, deadlines
    token = csrf(officer.get("/collect").text)
    later = warned_workbook(tmp_path / "JG-02.xlsx").read_bytes()
    response = officer.post(
        "/collect", data={"csrf": token, "stage": "年终自查"}, files={"files": ("JG-02.xlsx", later)}
    )
    second = finished(officer, response)
    assert "已记入台账" in words(officer.get(f"/c/{second}").text)
    history = officer.get(f"/c/{second}/b/0").text
    table = history.split('id="history"', 1)[-1]
    rows = re.findall(r"<tr><td>(2012年 [^<]+)</td><td>([^<]+)</td>", table)
    assert rows, words(officer.get("/rounds").text)[:800]
    assert rows == [("2012年 年初定级", "后进"), ("2012年 年终自查", "后进")]
    again = officer.post(
        "/collect",
        data={"csrf": token, "stage": "年初定级", "year": "2012"},
        files={"files": ("a.xlsx", later)},
    )
    assert again.status_code == 400 and "已有轮次" in again.text  # refused before anything is stored
    unknown = officer.post(
        "/collect", data={"csrf": token, "stage": "期末"}, files={"files": ("a.xlsx", later)}
    )
    assert unknown.status_code == 400 and "年初定级" in unknown.text  # the stages that exist
    # without a year the forms' years decide: the round is refused once graded, and the page says so
    late = officer.post(
        "/collect", data={"csrf": token, "stage": "年初定级"}, files={"files": ("a.xlsx", later)}
    )
    assert "已有轮次" in words(officer.get(f"/c/{finished(officer, late)}").text)


def test_a_self_check_reports_where_its_time_went(client: TestClient) -> None:
    token = csrf(client.get("/").text)
    response = client.post(
        "/check", data={"csrf": token}, files={"workbook": ("a.xlsx", (COLLEGE / "XS-01.xlsx").read_bytes())}
    )
    timings = {k: float(v) for k, v in re.findall(r"(\w+);dur=([0-9.]+)", response.headers["server-timing"])}
    assert set(timings) == {"app", "session", "form", "pool", "worker", "page"}
    assert 0 < timings["worker"] <= timings["pool"]
    assert timings["session"] + timings["form"] + timings["pool"] + timings["page"] <= timings["app"]
    assert re.findall(r"(\w+);dur=", client.get("/rules").headers["server-timing"]) == ["app", "session"]


def test_an_officer_reviews_a_branchs_grade_with_a_reason(
    collected: tuple[TestClient, str], data: Path
) -> None:
    officer, batch = collected
    page = officer.get(f"/c/{batch}/b/0").text
    assert 'id="review"' in page and "尚未审定" in words(page)
    token = csrf(page)
    missing = officer.post(f"/c/{batch}/b/0/review", data={"csrf": token, "grade": "A", "reason": " "})
    assert missing.status_code == 400 and "没有填写审定理由" in words(missing.text)
    unknown = officer.post(f"/c/{batch}/b/0/review", data={"csrf": token, "grade": "Z", "reason": "x"})
    assert unknown.status_code == 400 and "不是评定方案" in words(unknown.text)
    assert officer.post(f"/c/{batch}/b/0/review", data={"grade": "A", "reason": "x"}).status_code == 403
    reason = "经党委会研究，整改已到位"
    done = officer.post(f"/c/{batch}/b/0/review", data={"csrf": token, "grade": "A", "reason": reason})
    assert done.status_code == 303
    shown = words(officer.get(f"/c/{batch}/b/0").text)
    assert f"审定等次: 先进 （{reason} · officer）" in shown
    with Ledger.open(data / "ledger.sqlite3") as led:
        (info,) = [r for r in led.rounds() if r.stage == "年初定级"]
        branch = json.loads(officer.get(f"/c/{batch}/results.json").content)["results"][0]["identity"][
            "branch_id"
        ]
        assert [(e.grade, e.reason, e.reviewer) for e in review_history(led, info.id, branch)] == [
            ("A", reason, "officer")
        ]
    computed = json.loads(officer.get(f"/c/{batch}/results.json").content)["results"][0]["grade"]["name"][
        "zh"
    ]
    assert f"评定等次（计算）: {computed} " in shown  # the computed grade stays as graded
    stranger = fresh(officer)
    assert (
        stranger.post(
            f"/c/{batch}/b/0/review", data={"csrf": csrf(stranger.get("/").text), "grade": "A", "reason": "x"}
        ).headers["location"]
        == "/login"
    )


def test_the_college_named_at_serve_reaches_the_pages_and_the_summary_and_is_kept(tmp_path: Path) -> None:
    college = "Arts & Sciences 学院"
    Store(tmp_path).add_user("officer", PASSWORD)
    officer = TestClient(create_app(tmp_path, college=college, batch_workers=1), follow_redirects=False)
    assert login(officer) == 303
    token = csrf(officer.get("/collect").text)
    files = [("files", (p.name, p.read_bytes())) for p in sorted(COLLEGE.glob("JD-0*.xlsx"))]
    batch = finished(
        officer, officer.post("/collect", data={"csrf": token, "stage": "年初定级"}, files=files)
    )
    dashboard = officer.get(f"/c/{batch}").text
    assert f"{college} · 学院总览" in words(dashboard).replace("&amp;", "&")
    summary = officer.get(f"/c/{batch}/summary.xlsx")
    assert summary.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(summary.content))
    header = book["汇总"].oddHeader
    assert header.left.text.startswith("Arts && Sciences 学院")  # an & doubled, so it prints as typed
    assert header.right.text.startswith("年初定级")  # the round collected, as grade --round prints it
    assert any(college in str(c.value) for row in book["总览"].iter_rows(max_row=3) for c in row)

    kept = TestClient(create_app(tmp_path), follow_redirects=False)  # a later start without --college
    assert 'id="college"' in kept.get("/").text and college in kept.get("/").text.replace("&amp;", "&")
    cleared = TestClient(create_app(tmp_path, college=""), follow_redirects=False)
    assert 'id="college"' not in cleared.get("/").text


def test_a_collection_is_graded_by_the_profile_chosen(client: TestClient) -> None:
    officer = fresh(client)
    assert login(officer) == 303
    token = csrf(officer.get("/collect").text)
    files = [("files", ("JD-01.xlsx", (COLLEGE / "JD-01.xlsx").read_bytes()))]
    refused = officer.post("/collect", data={"csrf": token, "profile": "no-such-profile"}, files=files)
    assert refused.status_code == 400 and "不是本服务器的方案" in words(refused.text)
    assert 'id="collect-profile"' in refused.text  # the form comes back whole, its choices with it
    chosen = officer.post("/collect", data={"csrf": token, "profile": "national-2018"}, files=files)
    page = words(officer.get(f"/c/{finished(officer, chosen)}").text)
    assert "已评定 0" in page and "IN-26" in page  # a 2012 workbook is not national-2018's to grade
    by_year = officer.post("/collect", data={"csrf": token, "profile": "auto"}, files=files)
    assert "已评定 1" in words(officer.get(f"/c/{finished(officer, by_year)}").text)
