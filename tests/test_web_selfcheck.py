"""The self-check's warm pool: a workbook that kills its worker costs only its own check."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from engine.web import selfcheck
from engine.web.selfcheck import CheckAnswer, CheckPool
from schemas.common import Lang
from tests.web_support import COLLEGE


def crashing_check(data: bytes, name: str, lang: Lang) -> CheckAnswer:
    """Test hook, a worker's task (pickled by reference): a ``crash-*`` workbook kills its worker the way
    a native parser abort does; any other is checked as usual."""
    if name.startswith("crash-"):
        os.abort()
    return selfcheck._check(data, name, lang)


def test_a_workbook_that_kills_its_worker_is_reported_and_the_others_are_answered() -> None:
    good = (COLLEGE / "XS-01.xlsx").read_bytes()
    pool = CheckPool(2, task=crashing_check)
    try:
        with ThreadPoolExecutor(3) as threads:
            futures = [
                threads.submit(pool.check, good, "XS-01.xlsx", "zh"),
                threads.submit(pool.check, b"anything", "crash-1.xlsx", "zh"),
                threads.submit(pool.check, good, "XS-01 again.xlsx", "en"),
            ]
            answers = [f.result(timeout=120) for f in futures]
        assert [a.result is not None for a in answers] == [True, False, True]
        (problem,) = answers[1].report.problems
        assert problem.code == "IN-01" and problem.evidence[0].file == "crash-1.xlsx"
        assert answers[0].list_bytes and answers[2].list_bytes  # each in the language asked for
        assert pool.check(good, "XS-01.xlsx", "zh").result is not None  # the renewed pool goes on
    finally:
        pool.close()


def test_awaited_answers_survive_a_worker_that_dies_too() -> None:
    good = (COLLEGE / "XS-01.xlsx").read_bytes()
    pool = CheckPool(2, task=crashing_check)

    async def three() -> list[CheckAnswer]:
        return list(
            await asyncio.gather(
                pool.answer(good, "XS-01.xlsx", "zh"),
                pool.answer(b"anything", "crash-2.xlsx", "zh"),
                pool.answer(good, "XS-01 again.xlsx", "en"),
            )
        )

    async def one() -> CheckAnswer:
        return await pool.answer(good, "XS-01.xlsx", "zh")

    try:
        with ThreadPoolExecutor(1) as thread:  # an event loop of its own, whatever else this process runs
            answers = thread.submit(asyncio.run, three()).result(timeout=120)
            assert [a.result is not None for a in answers] == [True, False, True]
            assert answers[1].report.problems[0].code == "IN-01"
            assert thread.submit(asyncio.run, one()).result(timeout=60).result is not None
    finally:
        pool.close()


def test_the_answer_carries_what_the_page_shows_and_not_the_trace() -> None:
    pool = CheckPool(1)
    try:
        answer = pool.check((COLLEGE / "JG-02.xlsx").read_bytes(), "JG-02.xlsx", "zh")
    finally:
        pool.close()
    result = answer.result
    assert result is not None and answer.list_bytes
    assert result.items and result.scores and result.path is not None and result.identity.branch_id == "JG-02"
    assert all(item.evidence for item in result.items if item.code.startswith("ED"))  # cells the page lists
    assert result.trace == () and result.facts == {} and result.fact_evidence == {}
