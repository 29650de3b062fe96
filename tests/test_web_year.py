"""The officers' pages of the grading year through TestClient, over the fixture year recorded through
the web pages themselves: March collected as 年初定级, the branches' returned lists imported, December
collected as 年终自查; then the 整改台账 and its download, comparing the two rounds and replaying March
under a changed parameter."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

from engine.ledger import Ledger
from engine.notice.record import finality, latest_notice, objections
from engine.web.app import create_app
from engine.web.store import Store
from tests.test_web import PASSWORD, csrf, finished, login, words

YEAR = Path(__file__).resolve().parent.parent / "fixtures" / "year"


@dataclass(frozen=True)
class Year:
    officer: TestClient
    data: Path
    march: int
    december: int


def collect(officer: TestClient, folder: Path, stage: str) -> str:
    token = csrf(officer.get("/collect").text)
    files = [("files", (p.name, p.read_bytes())) for p in sorted(folder.glob("*.xlsx"))]
    return finished(officer, officer.post("/collect", data={"csrf": token, "stage": stage}, files=files))


def import_lists(officer: TestClient, paths: list[tuple[str, bytes]]) -> tuple[int, str]:
    token = csrf(officer.get("/ledger").text)
    response = officer.post("/ledger/import", data={"csrf": token}, files=[("lists", p) for p in paths])
    return response.status_code, words(response.text)


RETURNED = [(p.name, p.read_bytes()) for p in sorted((YEAR / "returned").glob("*.xlsx"))]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    data = tmp_path_factory.mktemp("web-year")
    Store(data).add_user("officer", PASSWORD)
    with TestClient(create_app(data, batch_workers=1), follow_redirects=False) as officer:
        assert login(officer) == 303
        collect(officer, YEAR / "march", "年初定级")
        status, _ = import_lists(officer, RETURNED)
        assert status == 200
        collect(officer, YEAR / "december", "年终自查")
        with Ledger.open(data / "ledger.sqlite3") as led:
            march, december = (led.find_round(f"2012-{s}").id for s in ("年初定级", "年终自查"))
        yield Year(officer, data, march, december)


def test_returned_lists_import_once_and_a_stranger_file_is_refused_with_its_reason(year: Year) -> None:
    status, said = import_lists(year.officer, RETURNED)
    assert status == 200 and "此前已导入 4 份" in said  # the same files again change nothing
    status, said = import_lists(
        year.officer, [("随便一个.xlsx", (YEAR / "march" / "JD-01.xlsx").read_bytes())]
    )
    assert status == 200 and "拒绝 1 份" in said and "随便一个.xlsx" in said and "IN-30" in said
    kept = [p.name for p in (year.data / "imports").rglob("*.xlsx")]
    assert sorted(kept) == sorted([n for n, _ in RETURNED] * 2 + ["随便一个.xlsx"])  # what was imported stays


def test_the_ledger_page_counts_items_and_downloads_the_ledger_workbook(year: Year) -> None:
    page = year.officer.get("/ledger")
    assert page.status_code == 200
    text = words(page.text)
    assert "整改事项状态（按党总支）" in text and page.text.count("<svg") == 1
    counts = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td>", page.text)
    assert counts and all(int(n) > 0 for _, n in counts)
    download = year.officer.get("/ledger/export.xlsx")
    assert (
        download.status_code == 200
        and "filename*=UTF-8''%E6%95%B4%E6%94%B9" in download.headers["content-disposition"]
    )
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    items = book.worksheets[1]
    states = {row[8] for row in items.iter_rows(min_row=2, values_only=True)}
    assert {"已销号", "整改未见成效"} <= states  # closed by December's forms, or claimed but still failing
    english = year.officer.get("/lang/en?next=/ledger")
    assert english.status_code == 303
    try:
        assert "Rectification ledger" in year.officer.get("/ledger").text
    finally:
        year.officer.get("/lang/zh?next=/")


def test_comparing_the_two_rounds_shows_the_migration_and_who_moved(year: Year) -> None:
    page = year.officer.get(f"/compare?a={year.march}&b={year.december}")
    assert page.status_code == 200, words(page.text)
    text = words(page.text)
    assert "2012年 年初定级 → 2012年 年终自查" in text
    assert page.text.count("<svg") == 3  # the migration matrix, the movement, the items
    moves = dict(re.findall(r'<tr class="move-(\w+)"><td>([A-Z]{2}-\d\d)', page.text)[::1])
    by_branch = {b: d for d, b in re.findall(r'<tr class="move-(\w+)"><td>([A-Z]{2}-\d\d)', page.text)}
    assert moves and by_branch["XX-01"] == "up" and by_branch["XS-02"] == "down"
    assert "已销号" in text and "学院指标变动" in text
    workbook = year.officer.get(f"/compare/movement.xlsx?a={year.march}&b={year.december}")
    assert workbook.status_code == 200
    assert "等次迁移" in openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    missing = year.officer.get(f"/compare?a=999&b={year.december}")
    assert missing.status_code == 400 and "没有轮次" in words(missing.text)
    assert year.officer.get("/compare?a=../x&b=1").status_code == 404


def test_replaying_a_round_under_a_changed_parameter_shows_the_migration_and_records_nothing(
    year: Year,
) -> None:
    def replay(settings: str) -> tuple[int, str, str]:
        token = csrf(year.officer.get("/replay").text)
        fields = {"csrf": token, "round": str(year.march), "profile": "loudi-2012", "settings": settings}
        response = year.officer.post("/replay", data=fields)
        return response.status_code, response.text, words(response.text)

    status, page, text = replay("")
    assert status == 200 and "等次与规则结果均无变化" in text and "<svg" in page
    status, page, text = replay("branch_study_per_year = 30\n")  # ten study sessions are not enough now
    assert status == 200, text
    assert "改动的参数：branch_study_per_year = 30" in text and "规则结果有变化的支部 4 个" in text
    changed = re.findall(r'<tr class="move-same"><td>([A-Z]{2}-\d\d)', page)
    assert changed == ["JD-01", "JD-02", "XS-02", "XX-01"] and "ED-07" in text and "通过 → 未通过" in text
    status, _, text = replay("org_life=2")
    assert status == 400 and "org_life" in text
    with Ledger.open(year.data / "ledger.sqlite3") as led:  # nothing recorded
        assert [r.stage for r in led.rounds(include_replaced=True)] == ["年初定级", "年终自查"]
    token = csrf(year.officer.get("/replay").text)
    other = {"csrf": token, "round": str(year.march), "profile": "../../etc", "settings": ""}
    assert year.officer.post("/replay", data=other).status_code == 400  # only this server's profiles


def test_the_year_pages_are_for_officers_and_their_forms_need_the_csrf_token(
    year: Year, tmp_path: Path
) -> None:
    stranger = TestClient(year.officer.app, follow_redirects=False)
    for path in ("/ledger", "/ledger/export.xlsx", "/compare", "/compare/movement.xlsx?a=1&b=2", "/replay"):
        assert stranger.get(path).headers.get("location") == "/login", path
    assert year.officer.post("/ledger/import", files=[("lists", RETURNED[0])]).status_code == 403
    fields = {"round": str(year.march), "profile": "loudi-2012", "settings": ""}
    assert year.officer.post("/replay", data=fields).status_code == 403
    notice = {"round": str(year.march), "from": "2012-04-02", "days": "5", "contact": "组织部 王老师"}
    assert year.officer.post("/notice", data=notice).status_code == 403
    assert stranger.post("/notice", data=notice).status_code in (303, 403)


def test_publishing_a_round_records_its_notice_and_downloads_the_notice_workbook(year: Year) -> None:
    page = year.officer.get("/ledger").text
    assert 'id="notice-form"' in page
    token = csrf(page)
    asked = {
        "csrf": token,
        "round": str(year.december),
        "from": "2012-12-21",
        "days": "5",
        "contact": "组织部 王老师",
    }
    bad = year.officer.post("/notice", data={**asked, "from": "12月21日"})
    assert bad.status_code == 400 and "2012-12-21 这样的日期" in words(bad.text)
    unknown = year.officer.post("/notice", data={**asked, "round": "999"})
    assert unknown.status_code == 400 and 'role="alert"' in unknown.text
    done = year.officer.post("/notice", data=asked)
    assert done.status_code == 200 and "filename*=UTF-8''" in done.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(done.content)).worksheets[0]
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "组织部 王老师" in cells and "JD-01" in cells
    with Ledger.open(year.data / "ledger.sqlite3") as led:
        notice = latest_notice(led, year.december)
    assert (
        notice is not None
        and notice.first_day.isoformat() == "2012-12-21"
        and notice.contact == "组织部 王老师"
    )


def test_without_a_ledger_the_pages_say_what_to_do_first(tmp_path: Path) -> None:
    Store(tmp_path).add_user("officer", PASSWORD)
    officer = TestClient(create_app(tmp_path), follow_redirects=False)  # no lifespan: no self-check pool
    assert login(officer) == 303
    for path in ("/ledger", "/compare", "/replay"):
        page = officer.get(path)
        assert page.status_code == 200 and "还没有台账" in words(page.text), path
    assert officer.get("/ledger/export.xlsx").status_code == 400
    assert not (tmp_path / "ledger.sqlite3").exists()


# --- 公示: objections entered and decided on the round's page ------------------------------------------


def objection_page(year: Year, round_id: int) -> tuple[str, str]:
    page = year.officer.get(f"/notice/{round_id}")
    assert page.status_code == 200
    return page.text, csrf(page.text)


def test_objections_are_recorded_and_decided_on_the_page_and_the_round_becomes_final(year: Year) -> None:
    march = year.march
    page, token = objection_page(year, march)
    assert "本轮尚未公示" in words(page) and 'id="objection-form"' not in page
    assert year.officer.get(f"/notice/{march}/notice.xlsx").status_code == 404  # nothing published yet
    early = {
        "csrf": token,
        "branch": "JD-01",
        "by": "党员 李某",
        "on": "2012-04-03",
        "content": "会议记录不全",
    }
    refused = year.officer.post(f"/notice/{march}/objections", data=early)
    assert refused.status_code == 400 and "尚未公示" in words(refused.text)  # the library's own refusal

    published = {"csrf": token, "round": str(march), "from": "2012-04-02", "days": "5", "contact": "组织部"}
    assert year.officer.post("/notice", data=published).status_code == 200
    page, token = objection_page(year, march)
    assert "公示期 2012-04-05 至 2012-04-11（5 个工作日）" in words(page)  # 清明 2012: 4月2–4日 off
    assert 'id="round-final"' in page  # the period is over and nobody objected: every grade is final
    again = year.officer.get(f"/notice/{march}/notice.xlsx")  # the notice's workbook, downloaded again
    sheet = openpyxl.load_workbook(io.BytesIO(again.content)).worksheets[0]
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "组织部" in cells and "JD-01" in cells and "2012年4月5日" in cells
    assert f'href="/notice/{march}"' in year.officer.get("/ledger").text

    asked = {**early, "csrf": token}
    empty = year.officer.post(f"/notice/{march}/objections", data={**asked, "content": " "})
    assert empty.status_code == 400 and "请填写提出人和异议内容" in words(empty.text)
    assert 'value="党员 李某"' in empty.text  # what was typed stays in the form
    bad_day = year.officer.post(f"/notice/{march}/objections", data={**asked, "on": "4月3日"})
    assert bad_day.status_code == 400 and "2012-12-21 这样的日期" in words(bad_day.text)
    assert "会议记录不全" in bad_day.text
    stranger_branch = year.officer.post(f"/notice/{march}/objections", data={**asked, "branch": "ZZ-99"})
    assert stranger_branch.status_code == 400 and "不在轮次" in words(stranger_branch.text)

    added = year.officer.post(f"/notice/{march}/objections", data=asked)
    assert added.status_code == 303
    with Ledger.open(year.data / "ledger.sqlite3") as led:
        (raised,) = objections(led, march)
    assert (raised.branch_id, raised.raised_by, raised.raised_on.isoformat()) == (
        "JD-01",
        "党员 李某",
        "2012-04-03",
    )
    page, token = objection_page(year, march)
    row = words(page.split(f'id="objection-{raised.id}"', 1)[1].split("</tr>", 1)[0])
    assert "会议记录不全" in row and "待处理" in row
    assert 'id="round-final"' not in page and "JD-01" in words(page.split('id="waiting-final"', 1)[1])

    decide = f"/notice/{march}/objections/{raised.id}/decide"
    asked_decision = {"csrf": token, "outcome": "dismissed", "decision": "经核查记录齐全", "by": "officer"}
    wrong = year.officer.post(decide, data={**asked_decision, "outcome": "maybe"})
    assert wrong.status_code == 400 and "异议成立或异议不成立" in words(wrong.text)
    unsaid = year.officer.post(decide, data={**asked_decision, "decision": ""})
    assert unsaid.status_code == 400 and "请填写处理意见和处理人" in words(unsaid.text)
    assert (
        year.officer.post(f"/notice/{march}/objections/9999/decide", data=asked_decision).status_code == 404
    )
    other_round = f"/notice/{year.december}/objections/{raised.id}/decide"
    assert year.officer.post(other_round, data=asked_decision).status_code == 404
    assert year.officer.post(decide, data=asked_decision).status_code == 303
    page, _ = objection_page(year, march)
    assert "异议不成立" in words(page) and "经核查记录齐全" in words(page) and 'id="round-final"' in page
    with Ledger.open(year.data / "ledger.sqlite3") as led:
        (decided,) = objections(led, march)
        assert finality(led, march, datetime.date.today()).round_final
    assert decided.decision is not None and decided.decision.decided_by == "officer"


def test_the_objection_page_speaks_english_and_refuses_in_english(year: Year) -> None:
    assert year.officer.get("/lang/en?next=/").status_code == 303
    try:
        page = year.officer.get(f"/notice/{year.march}")
        assert page.status_code == 200 and "notice and objections" in page.text
        data = {"csrf": csrf(page.text), "branch": "JD-01", "by": "", "content": "x", "on": "2012-04-03"}
        refused = year.officer.post(f"/notice/{year.march}/objections", data=data)
        assert refused.status_code == 400 and "Fill in who raised the objection" in words(refused.text)
    finally:
        year.officer.get("/lang/zh?next=/")


def test_the_objection_forms_are_for_officers_and_need_the_csrf_token(year: Year) -> None:
    stranger = TestClient(year.officer.app, follow_redirects=False)
    path = f"/notice/{year.march}"
    fields = {"branch": "JD-01", "by": "某", "on": "2012-04-03", "content": "某"}
    decision = {"outcome": "upheld", "decision": "某", "by": "某"}
    assert stranger.get(path).headers.get("location") == "/login"
    assert stranger.post(path + "/objections", data=fields).headers.get("location") == "/login"
    assert stranger.post(path + "/objections/1/decide", data=decision).headers.get("location") == "/login"
    assert year.officer.post(path + "/objections", data=fields).status_code == 403
    assert year.officer.post(path + "/objections/1/decide", data=decision).status_code == 403
    assert year.officer.get("/notice/999").status_code == 404
