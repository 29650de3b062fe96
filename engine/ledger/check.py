"""``branchgrade ledger check``: SQLite's own integrity check, then the ledger's invariants."""

from __future__ import annotations

import re
import sqlite3
import zlib

from engine.ledger.capture import item_identity, round_ref
from engine.ledger.record import CLAIMS, DECISIONS
from engine.ledger.replay_inputs import decode_inputs, decode_titles, inputs_from_stored, titles_from_stored
from engine.ledger.store import WHAT_IF_PREFIX, Ledger
from schemas.common import Text

__all__ = ["check_ledger"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_ledger(led: Ledger) -> list[Text]:
    """Every problem found, each in both languages (empty: the ledger is sound)."""
    conn = led.conn
    problems: list[Text] = []
    try:
        for (line,) in conn.execute("PRAGMA integrity_check").fetchall():
            if line != "ok":
                problems.append(Text(zh=f"SQLite 完整性检查：{line}", en=f"SQLite integrity check: {line}"))
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(
                Text(
                    zh=f"表 {table} 第 {rowid} 行引用了 {parent} 中不存在的记录",
                    en=f"row {rowid} of {table} refers to a missing row of {parent}",
                )
            )
        if problems:  # the rest reads rows a damaged file may not hold
            return problems
        problems += _rounds(conn)
        problems += _items(conn)
        problems += _events(conn)
        problems += _blobs(conn)
        if not problems:  # compared with the stored facts and results, which must be readable first
            problems += _replay_inputs(conn)
    except sqlite3.DatabaseError as exc:
        problems.append(Text(zh=f"读取台账时出错：{exc}", en=f"reading the ledger failed: {exc}"))
    return problems


def _rounds(conn: sqlite3.Connection) -> list[Text]:
    out: list[Text] = []
    for year, stage, n in conn.execute(
        "SELECT year, stage, count(*) AS n FROM rounds WHERE replaced_by IS NULL "
        "GROUP BY year, stage HAVING n > 1"
    ):
        out.append(
            Text(
                zh=f"{round_ref(year, stage)} 有 {n} 个当前轮次（应只有一个）",
                en=f"{year}-{stage} has {n} current rounds",
            )
        )
    for rid, year, stage, by, by_year, by_stage in conn.execute(
        "SELECT r.id, r.year, r.stage, r.replaced_by, n.year, n.stage FROM rounds r "
        "LEFT JOIN rounds n ON n.id = r.replaced_by WHERE r.replaced_by IS NOT NULL"
    ):
        if by_year != year or by_stage != stage or by <= rid:
            out.append(
                Text(
                    zh=f"轮次 {rid}（{round_ref(year, stage)}）被编号 {by} 替换，"
                    "但后者不是同年度同阶段的后续轮次",
                    en=f"round {rid} ({year}-{stage}) is replaced by {by}, which is not a later round of it",
                )
            )
    for rid, year, stage, source, source_year in conn.execute(
        "SELECT r.id, r.year, r.stage, r.replay_of, s.year FROM rounds r "
        "LEFT JOIN rounds s ON s.id = r.replay_of"
    ):
        marked = source is not None
        if stage.startswith(WHAT_IF_PREFIX) != marked or (marked and (source_year != year or source == rid)):
            out.append(
                Text(
                    zh=f"轮次 {rid}（{round_ref(year, stage)}）的模拟标记与其阶段名或所重演的轮次不符",
                    en=f"round {rid} ({year}-{stage}): its what-if mark disagrees with its stage or the "
                    "round it replays",
                )
            )
    for rid, sha in conn.execute("SELECT id, profile_sha256 FROM rounds"):
        if not _SHA256.fullmatch(sha or ""):
            out.append(
                Text(
                    zh=f"轮次 {rid} 的规则集哈希格式不对：{sha!r}",
                    en=f"round {rid}: malformed profile hash {sha!r}",
                )
            )
    for rid, branch, sha in conn.execute("SELECT round_id, branch_id, source_sha256 FROM branches"):
        if not _SHA256.fullmatch(sha or ""):
            out.append(
                Text(
                    zh=f"轮次 {rid} 支部 {branch} 的输入文件哈希格式不对：{sha!r}",
                    en=f"round {rid} branch {branch}: malformed input hash {sha!r}",
                )
            )
    return out


def _items(conn: sqlite3.Connection) -> list[Text]:
    out: list[Text] = []
    rows = conn.execute(
        "SELECT i.id, i.identity, i.branch_id, i.rule_code, r.year, r.stage, "
        "EXISTS (SELECT 1 FROM branches b WHERE b.round_id = i.round_id AND b.branch_id = i.branch_id) "
        "FROM items i JOIN rounds r ON r.id = i.round_id"
    )
    for item_id, identity, branch, code, year, stage, recorded in rows:
        if identity != item_identity(round_ref(year, stage), branch, code):
            out.append(
                Text(
                    zh=f"事项 {item_id} 的编号 {identity} 与其轮次、支部、规则不符",
                    en=f"item {item_id}: identity {identity} does not match its round, branch and rule",
                )
            )
        if not recorded:
            out.append(
                Text(
                    zh=f"事项 {identity} 的支部未记录在其轮次中",
                    en=f"item {identity}: its branch is not recorded in its round",
                )
            )
    return out


def _events(conn: sqlite3.Connection) -> list[Text]:
    out: list[Text] = []
    rows = conn.execute(
        "SELECT e.seq, e.status, e.source, e.source_sha256, e.round_id, i.id FROM events e "
        "LEFT JOIN items i ON i.id = e.item_id"
    )
    for seq, status, source, sha, round_id, item in rows:
        if item is None:
            out.append(
                Text(
                    zh=f"状态记录 {seq} 指向不存在的事项",
                    en=f"status event {seq} names an item that does not exist",
                )
            )
        allowed = CLAIMS if source == "import" else DECISIONS
        if status not in allowed:
            out.append(
                Text(
                    zh=f"状态记录 {seq} 的状态 {status!r} 不是 {source} 可有的状态",
                    en=f"status event {seq}: {status!r} is not a {source} status",
                )
            )
        if source == "import" and not _SHA256.fullmatch(sha or ""):
            out.append(
                Text(
                    zh=f"状态记录 {seq} 的来源文件哈希格式不对",
                    en=f"status event {seq}: malformed source file hash",
                )
            )
        if source == "round" and round_id is None:
            out.append(
                Text(zh=f"状态记录 {seq} 未写明作出判定的轮次", en=f"status event {seq}: no deciding round")
            )
    return out


def _blobs(conn: sqlite3.Connection) -> list[Text]:
    out: list[Text] = []
    for rid, branch, result, facts in conn.execute("SELECT round_id, branch_id, result, facts FROM branches"):
        try:
            zlib.decompress(result)
            zlib.decompress(facts)
        except zlib.error:
            out.append(
                Text(
                    zh=f"轮次 {rid} 支部 {branch} 的评定结果无法解压",
                    en=f"round {rid} branch {branch}: stored result cannot be read",
                )
            )
    return out


def _replay_inputs(conn: sqlite3.Connection) -> list[Text]:
    """Every branch has its replay inputs, and they say what its stored facts and result say."""
    out: list[Text] = []
    query = (
        "SELECT b.round_id, b.branch_id, b.facts, b.result, r.inputs, r.titles FROM branches b "
        "LEFT JOIN replay_inputs r ON r.round_id = b.round_id AND r.branch_id = b.branch_id"
    )
    for rid, branch, facts, result, inputs, titles in conn.execute(query):
        problem = _inputs_problem(inputs, titles, facts, result)
        if problem is not None:
            zh, en = problem
            out.append(Text(zh=f"轮次 {rid} 支部 {branch} {zh}", en=f"round {rid} branch {branch}: {en}"))
    return out


def _inputs_problem(
    inputs: bytes | None, titles: bytes | None, facts: bytes, result: bytes
) -> tuple[str, str] | None:
    """What is wrong with a branch's replay inputs against its stored facts and result (as the migration
    makes them from those), in each language; None when nothing is."""
    if inputs is None or titles is None:
        return "缺少复算用的事实值（replay_inputs）", "its replay inputs (replay_inputs) are missing"
    try:
        agree = decode_inputs(inputs) == decode_inputs(inputs_from_stored(facts, result))
        agree = agree and decode_titles(titles) == decode_titles(titles_from_stored(result))
    except (zlib.error, ValueError, KeyError, TypeError):
        agree = False
    if agree:
        return None
    return (
        "的复算用事实值（replay_inputs）与所存事实、结果不符或无法读取",
        "its replay inputs (replay_inputs) are unreadable or disagree with its stored record",
    )
