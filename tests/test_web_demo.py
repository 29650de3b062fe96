"""``make serve-demo``'s preparation: an account and the fixture college graded and recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ledger import Ledger
from engine.web.batches import LEDGER_NAME
from engine.web.demo import prepare
from engine.web.store import Store

pytestmark = pytest.mark.slow


def test_the_demo_data_holds_an_account_and_the_graded_college(tmp_path: Path) -> None:
    password, dashboard = prepare(tmp_path)
    store = Store(tmp_path)
    assert store.check_login("demo", password)
    assert store.college() == "湘中职业技术学院（虚构）"  # as fixtures/college.toml names it
    (batch,) = store.batches()
    assert dashboard == f"/c/{batch.id}" and batch.status == "done"
    with Ledger.open(tmp_path / LEDGER_NAME) as led:
        (info,) = led.rounds()
        assert info.stage == "年初定级" and len(led.branch_records(info.id)) == 18
