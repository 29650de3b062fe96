"""The web pages in a real browser: Debian's Chromium driven by Playwright (never ``playwright install``:
the browser is the system's, given by path). One ``branchgrade serve`` subprocess on 127.0.0.1 and a
free port serves the module. Screenshots of the main pages go to test-results/screenshots/ for a reviewer
(not compared pixel by pixel).

Needs ``chromium`` (``apt-get install -y --no-install-recommends chromium fonts-noto-cjk``). Skipped
without it, unless BRANCHGRADE_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.web.store import Store
from tests.web_support import (
    ROOT,
    ROSTER_MISSING,
    WARNED_CELL,
    college_zip,
    roster_csv,
    server,
    warned_workbook,
)

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-results" / "screenshots"
PASSWORD = "a long enough password"
COLLEGE_NAME = "湘中职业技术学院（虚构）"  # as fixtures/college.toml names the fixture college


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    if found is None:
        message = (
            "Chromium not installed (apt-get install -y --no-install-recommends chromium fonts-noto-cjk)"
        )
        if os.environ.get("BRANCHGRADE_REQUIRE_BROWSER") == "1":
            pytest.fail("BRANCHGRADE_REQUIRE_BROWSER=1 but " + message)
        pytest.skip(message + "; set BRANCHGRADE_REQUIRE_BROWSER=1 to make this a failure")
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "accept_downloads": True,
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium()
    data = tmp_path_factory.mktemp("served")
    Store(data).add_user("office", PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with server(data, college=COLLEGE_NAME) as base:
        yield base


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_secretary_checks_a_workbook_and_downloads_the_list(page: Any, url: str, tmp_path: Path) -> None:
    workbook = warned_workbook(tmp_path / "JG-02 机关第二党支部.xlsx")
    page.goto(url + "/")
    shot(page, "self-check")
    page.set_input_files("input[name=workbook]", str(workbook))
    page.click("#check")
    page.wait_for_selector("#grade")
    assert page.inner_text("#grade") == "后进"
    body = page.inner_text("body")
    assert "IN-12" in body and f"{WARNED_CELL[0]}!{WARNED_CELL[1]}" in body
    shot(page, "self-check-result")
    with page.expect_download() as info:
        page.click("#download-list")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.startswith("JG-02")
    assert openpyxl.load_workbook(saved).worksheets


def test_an_officer_collects_a_zip_and_reads_the_results(page: Any, url: str, tmp_path: Path) -> None:
    page.goto(url + "/collect")
    assert page.url.endswith("/login")
    shot(page, "login")
    page.fill("input[name=user]", "office")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login")
    page.wait_for_url("**/collect")
    page.set_input_files("input[name=files]", str(college_zip(tmp_path / "各支部.zip")))
    page.set_input_files("input[name=roster]", str(roster_csv(tmp_path / "花名册.csv")))
    page.select_option("#stage", "年初定级")  # recorded in the ledger as the year's baseline round
    shot(page, "collect")
    page.click("#grade")
    page.wait_for_selector("#graded-count", timeout=120_000)  # the progress page turns into the dashboard
    assert "已评定 18" in page.inner_text("#graded-count")
    assert page.locator("svg.chart").count() == 4
    assert ROSTER_MISSING[1] in page.inner_text("#missing")
    assert "已记入台账" in page.inner_text("#round-note")
    assert COLLEGE_NAME in page.inner_text("h1")
    shot(page, "dashboard")
    page.click("#branches a >> nth=0")
    page.wait_for_selector("#grade")
    assert page.locator("table.trace tr").count() > 20
    assert "2012年 年初定级" in page.inner_text("#history")
    shot(page, "branch")
    page.select_option("#review-grade", "B")  # the reviewed grade, with its reason, beside the computed one
    page.fill("#review-reason", "经党委会研究，按整改实际审定")
    page.click("#review-button")
    page.wait_for_selector("#review-standing")
    assert "经党委会研究，按整改实际审定" in page.inner_text("#review-standing")
    shot(page, "branch-review")
    with page.expect_download() as info:
        page.click("#branch-list")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    assert any("整改" in str(c.value) for row in sheet.iter_rows() for c in row if c.value)


def test_a_post_without_the_csrf_token_is_refused_in_the_browser(page: Any, url: str) -> None:
    page.goto(url + "/")
    status = page.evaluate(
        """async () => {
            const form = new FormData();
            form.append("workbook", new Blob(["x"]), "a.xlsx");
            return (await fetch("/check", {method: "POST", body: form})).status;
        }"""
    )
    assert status == 403


def test_the_rule_catalogue_and_the_english_pages(page: Any, url: str) -> None:
    page.goto(url + "/rules")
    assert page.locator("article.rule").count() > 0
    shot(page, "rules")
    page.click("a.lang")
    page.wait_for_selector("text=Rule catalogue")
    page.goto(url + "/")
    assert "Branch secretary's self-check" in page.inner_text("h1")
    shot(page, "self-check-en")


def log_in(page: Any, url: str, target: str) -> None:
    page.goto(url + target)
    if page.url.endswith("/login"):
        page.fill("input[name=user]", "office")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login")
        page.wait_for_url("**/collect")
        page.goto(url + target)


def test_a_secretary_submits_a_checked_workbook_with_the_branch_code(
    page: Any, browser: Any, url: str, tmp_path: Path
) -> None:
    log_in(page, url, "/rounds")
    page.fill("#open-year", "2012")
    page.select_option("#open-stage", "中期督查")
    page.fill("#open-deadline", "2099-06-30")
    shot(page, "rounds")
    page.click("#open-round")
    page.wait_for_selector("#code-table")
    page.fill("#branches", "JG-02 机关第二党支部\nXS-01 学生第一党支部")
    page.click("#issue")
    page.wait_for_selector("text=本次发放 2 个提交码")
    row = page.locator("#code-table tr", has_text="JG-02")
    code = row.locator("td.code-value").inner_text()
    shot(page, "round-codes")

    secretary = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        own = secretary.new_page()
        own.goto(url + "/")
        own.set_input_files("input[name=workbook]", str(warned_workbook(tmp_path / "JG-02.xlsx")))
        own.click("#check")
        own.wait_for_selector("#submit")
        own.fill("#code", "WRONG-CODE0")
        own.click("#submit-button")
        own.wait_for_selector(".error")
        assert "提交码不正确" in own.inner_text(".error")
        shot(own, "submit-refused")
        own.fill("#code", code.lower())  # typed as it comes, in any case
        own.click("#submit-button")
        own.wait_for_selector("#submitted")
        assert "JG-02" in own.inner_text("#submitted") and "2012年 中期督查" in own.inner_text("#submitted")
        shot(own, "submitted")
    finally:
        secretary.close()

    page.reload()
    assert "JG-02" in page.inner_text("#submissions") and "已使用" in row.inner_text()
    assert "XS-01" in page.inner_text("#waiting")  # holding a code, nothing submitted yet
    shot(page, "round-submissions")
    page.click("#grade-round")
    page.wait_for_selector("#graded-count", timeout=120_000)
    assert "已评定 1" in page.inner_text("#graded-count") and "已记入台账" in page.inner_text("#round-note")


def test_the_ledger_comparing_rounds_and_a_replay(page: Any, url: str, tmp_path: Path) -> None:
    year = ROOT / "fixtures" / "year"
    log_in(page, url, "/collect")
    page.set_input_files("input[name=files]", [str(p) for p in sorted((year / "december").glob("*.xlsx"))])
    page.select_option("#stage", "年终自查")
    page.click("#grade")
    page.wait_for_selector("#graded-count", timeout=120_000)
    page.goto(url + "/ledger")
    page.set_input_files("input[name=lists]", [str(p) for p in sorted((year / "returned").glob("*.xlsx"))])
    page.click("#import")
    page.wait_for_selector("#import-result")
    assert page.locator("#import-result ul.outcomes > li").count() == 4
    shot(page, "ledger")
    with page.expect_download() as info:
        page.click("#export-ledger")
    saved = tmp_path / "ledger.xlsx"
    info.value.save_as(saved)
    assert len(openpyxl.load_workbook(saved).worksheets) == 2

    page.goto(url + "/compare")
    page.select_option("#round-a", label="2012年 年初定级 (loudi-2012)")
    page.select_option("#round-b", label="2012年 年终自查 (loudi-2012)")
    page.click("#compare")
    page.wait_for_selector("#movement-title")
    assert page.locator("svg.matrix").count() == 1 and page.locator("#moves tr").count() > 1
    shot(page, "compare")

    page.goto(url + "/replay")
    page.select_option("#replay-round", label="2012年 年初定级 (loudi-2012)")
    page.fill("#replay-settings", "branch_study_per_year = 30")
    page.click("#replay")
    page.wait_for_selector("#replay-result", timeout=120_000)
    assert "branch_study_per_year = 30" in page.inner_text("#replay-result")
    assert page.locator("#replay-result svg.matrix").count() == 1
    shot(page, "replay")


def test_a_round_is_published_and_an_objection_recorded_and_decided(
    page: Any, url: str, tmp_path: Path
) -> None:
    log_in(page, url, "/ledger")
    page.select_option("#notice-round", label="2012年 年初定级 (loudi-2012)")
    page.fill("#notice-from", "2012-04-02")
    page.fill("#notice-contact", "学院党委组织部，电话 0738-1234567")
    shot(page, "notice-form")
    with page.expect_download() as info:
        page.click("#notice-button")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert "0738-1234567" in " ".join(
        str(c.value)
        for row in openpyxl.load_workbook(saved).worksheets[0].iter_rows()
        for c in row
        if c.value
    )

    page.goto(url + "/ledger")
    page.click("#notice-rounds tr:has-text('年初定级') a")
    page.wait_for_selector("#objection-form")
    assert "2012-04-05 至 2012-04-11" in page.inner_text("#notice-state")  # 清明 off, by the calendar
    page.select_option("#objection-branch", "JD-01")
    page.fill("#objection-by", "党员 李某")
    page.fill("#objection-content", "三会一课记录不全，等次偏高")
    page.click("#objection-button")
    page.wait_for_selector("#objections .undecided")
    assert page.locator("#round-final").count() == 0
    shot(page, "objections")
    row = page.locator("#objections tr", has_text="党员 李某")
    row.locator("select[name=outcome]").select_option("dismissed")
    row.locator("input[name=decision]").fill("经核查记录齐全，维持原等次")
    row.locator("button").click()
    page.wait_for_selector("#round-final")
    assert "异议不成立" in page.inner_text("#objections")
    shot(page, "objections-decided")
