"""User-facing labels of every export (column headers, sheet names, status words) in Chinese and English,
and the few text formatters every export shares (evidence cells, source clause, numbers).

Chinese is the default everywhere; ``lang="en"`` switches. Labels live here rather than in each writer so
the branch list, the summary workbook and ``explain`` name the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.common import Evidence, Lang, Source, Status
from schemas.results import Review

__all__ = [
    "LABELS",
    "STATUS_ORDER",
    "both",
    "evidence_cells",
    "fmt_num",
    "label",
    "problem_text",
    "source_text",
    "status_label",
]

# key -> (zh, en)
LABELS: dict[str, tuple[str, str]] = {
    # branch identity
    "branch_id": ("支部编号", "Branch ID"),
    "branch_name": ("支部名称", "Branch"),
    "general_branch": ("上级党组织", "Parent organisation"),
    "branch_type": ("支部类型", "Branch type"),
    "secretary": ("支部书记", "Secretary"),
    "secretary_short": ("书记", "Secretary"),
    "assessment_year": ("考核年度", "Assessment year"),
    "file": ("文件", "File"),
    "profile": ("评定方案", "Profile"),
    # grading
    "grade": ("评定等次", "Grade"),
    "score_grade": ("得分等次", "Grade by score"),
    "total": ("总分", "Total"),
    "adjustments": ("调整原因", "Adjustments"),
    "reviewed_grade": ("审定等次", "Reviewed grade"),
    "review_reason": ("审定理由", "Review reason"),
    "reviewer": ("审定人", "Reviewer"),
    "final": ("是否最终", "Final"),
    "review_score_col": ("审定评分", "Review score"),
    "review_exception": ("破格晋升理由", "Exception reason"),
    "review_line": (
        "审定等次：{grade}（审定理由：{reason}；审定人：{reviewer}）",
        "Reviewed grade: {grade} (reason: {reason}; reviewer: {reviewer})",
    ),
    "computed_grade": ("计算等次", "Computed grade"),
    "scores": ("分项得分", "Indicator scores"),
    "points": ("满分", "Points"),
    "deducted": ("扣分", "Deducted"),
    "score": ("得分", "Score"),
    "item_count": ("整改事项数", "Items"),
    # the scoring policy (docs/scoring-policy.md)
    "policy_score": ("评定得分 {n}", "policy score {n}"),
    "review_score": ("审定评分 {n}", "review score {n}"),
    "no_review_score": (
        "未记录审定评分，按依据得分定等（不以0分计入加权）",
        "no review score recorded: graded by the evidence score (a missing score is not weighted as 0)",
    ),
    "policy_previous": ("上一年度等次 {grade}", "last year {grade}"),
    "self_gap": ("自评分 {n}（相差 {gap}）", "self-score {n} (gap {gap})"),
    "policy_computed": ("计算等次 {grade}", "computed grade {grade}"),
    # the path to the next grade (engine/export/path_text.py)
    "path": ("晋级路径", "Path to the next grade"),
    "path_top": ("已是最高等次", "Already at the top grade"),
    "path_target": (
        "下一等次：{grade}（总分须达到{min}分）",
        "Next grade: {grade} (a total of {min} or more)",
    ),
    "path_conditions": ("须先满足（扣分整改无法替代）：", "First (points cannot make up for these):"),
    "path_veto": ("解除一票否决：{rule}", "Lift the veto: {rule}"),
    "path_cap": ("解除封顶：{reason}", "End the cap: {reason}"),
    "path_cap_by": ("——须达到：{rules}", " — by meeting {rules}"),
    "path_cap_no_item": (
        "（无对应整改事项，须先消除该情形）",
        " (no item corrects it: the situation itself must end)",
    ),
    "path_restores": ("，恢复{n}分", ", giving back {n} points"),
    "path_unreachable": (
        "整改全部事项也无法达到{grade}：各指标满分合计{points}分",
        "Correcting every item still would not reach {grade}: the indicators add up to {points}",
    ),
    "path_no_steps": (
        "满足以上条件即可达到{grade}（总分{total}分）",
        "That alone reaches {grade} (total {total})",
    ),
    "path_steps": ("整改以下{n}项（按此顺序）：", "Correct these {n} items, in this order:"),
    "path_steps_then": ("再整改以下{n}项（按此顺序）：", "Then correct these {n} items, in this order:"),
    "path_step": ("{n}. {rule}：{gain}", "{n}. {rule}: {gain}"),
    "path_gain": ("恢复{n}分", "gives back {n}"),
    "path_gain_floored": (
        "暂不回分（该指标仍扣完，与后续事项一并整改后回分）",
        "gives back nothing yet (the indicator is still at 0 until the later items are corrected)",
    ),
    "path_total_after": ("，总分{total}分", ", total {total}"),
    # the rectification table
    "title_suffix": ("整改清单", "Rectification list"),
    "no": ("序号", "No."),
    "code": ("规则编号", "Rule"),
    "indicator": ("指标", "Indicator"),
    "problem": ("存在问题", "Problem"),
    "basis": ("依据", "Basis"),
    "measure": ("整改措施", "Rectification"),
    "owner": ("责任人", "Owner"),
    "deadline": ("整改时限", "Deadline"),
    "rect_status": ("整改状态", "Status"),
    "completion": ("完成情况", "Progress"),
    "done_date": ("完成日期", "Date done"),
    "track": ("跟踪说明", "Follow-up"),
    "item_id": ("事项编号", "Item ID"),
    "no_items": ("无整改事项", "No rectification items"),
    # the sign-off block at the end of the list
    "issued_on": ("清单下发日期", "List issued on"),
    "secretary_sign": ("支部书记签字", "Branch secretary's signature"),
    "sign_date": ("签字日期", "Date signed"),
    "general_opinion": ("党总支意见", "General branch's opinion"),
    "cells": ("单元格", "cells"),
    "in_all": ("等共{n}处", "{n} in all"),
    "none": ("（无）", "(none)"),
    # rectification status dropdown: the first is the default
    "st_todo": ("未开始", "Not started"),
    "st_doing": ("整改中", "In progress"),
    "st_done": ("已完成", "Done"),
    # summary sheets
    "sh_summary": ("汇总", "Summary"),
    "sh_distribution": ("等次分布", "Grade distribution"),
    "sh_items": ("整改事项", "Rectification items"),
    "sh_common": ("常见问题", "Common problems"),
    "sh_kpis": ("学院指标", "College KPIs"),
    "sh_inputs": ("输入文件", "Input files"),
    "sh_tally": ("输入统计", "Input tally"),
    "sh_missing": ("缺交", "Not submitted"),
    "sh_overview": ("总览", "Overview"),
    "ov_title": ("党支部分类定级总览", "Party branch grading overview"),
    "ov_profile": ("评定方案：{v}", "Profile: {v}"),
    "ov_round": ("轮次：{v}", "Round: {v}"),
    "ov_date": ("日期：{v}", "Date: {v}"),
    "ov_kpis": ("学院指标（对照目标）", "College KPIs against their targets"),
    "ov_top": ("主要问题（涉及支部最多的{n}项）", "The {n} most common problems"),
    "ov_no_items": ("没有支部有整改事项", "No branch has a rectification item"),
    # a recorded round's items that continue open items of earlier rounds (the ledger's marks)
    "sh_earlier": ("前期事项", "Earlier items"),
    "round": ("轮次", "Round"),
    "carried": ("结转", "Carried over"),
    "ineffective": ("整改未见成效", "Not effective"),
    "carried_codes": ("结转事项", "Items carried over"),
    "ineffective_codes": ("整改未见成效事项", "Items not effective"),
    "roster_row": ("花名册行号", "Roster row"),
    "general_branch_roster": ("所属党总支", "General branch"),
    "by_general_branch": ("按上级党组织", "By parent organisation"),
    "by_branch_type": ("按支部类型", "By branch type"),
    "sum": ("合计", "Total"),
    "branches": ("支部数", "Branches"),
    "branches_affected": ("涉及支部数", "Branches affected"),
    "share": ("占比", "Share"),
    "rule_title": ("问题", "Problem"),
    "kpi_code": ("编号", "Code"),
    "kpi_title": ("指标", "KPI"),
    "target": ("目标", "Target"),
    "actual": ("实际", "Actual"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "met": ("达标", "Met"),
    "yes": ("是", "Yes"),
    "no_": ("否", "No"),
    "file_status": ("状态", "Status"),
    "graded": ("已评定", "Graded"),
    "ungradable": ("无法评定", "Ungradable"),
    "duplicate": ("待定（支部编号重复）", "Pending (duplicate branch ID)"),
    "copy": ("副本（不重复计算）", "Copy (counted once)"),
    "not_workbook": ("不是定级工作簿", "Not a grading workbook"),
    "output": ("本工具的输出（已跳过）", "Output of this tool (skipped)"),
    "tally_item": ("项目", "Item"),
    "tally_count": ("数量", "Count"),
    "entries": ("文件夹中的文件", "Entries in the folder"),
    "graded_by": ("由 {profile} 评定", "Graded by {profile}"),
    "problem_code": ("编号", "Code"),
    "location": ("位置", "Location"),
    "fix": ("修改方法", "How to fix"),
    "severity": ("严重程度", "Severity"),
    # explain
    "expected_v": ("应为", "expected"),
    "actual_v": ("实际", "actual"),
    "message": ("问题", "Problem"),
    "rectification": ("整改", "Fix"),
    "trace": ("规则核查", "Rule checks"),
    "rules_n": ("共{n}条", "{n} rules"),
    "deduct_n": ("扣{n}分", "deducts {n}"),
    "sha256": ("文件校验值", "sha256"),
    "self_grade": ("自评等次", "Self-assessed grade"),
    "self_score": ("自评得分", "Self-assessed score"),
    "warnings": ("提示", "Warnings"),
    "page_footer": ("第 &P 页，共 &N 页", "Page &P of &N"),
}

# The command line (engine/cli.py): help texts, progress, reports and usage errors. Help is shown before
# --lang is read, so help texts are given in both languages (see ``both``) unless the command line asks
# for one.
LABELS.update(
    {
        "h_app": ("党支部分类定级：评定等次并生成整改清单", "Grade Party branches from filled workbooks"),
        "h_rules": ("查看规则集", "inspect a profile's rules"),
        "h_lang": ("输出语言 zh 或 en", "output language, zh or en"),
        "h_profile": ("规则集名称或文件夹", "profile name or folder"),
        "h_template": ("生成空白定级工作簿", "write the blank grading workbook"),
        "h_template_out": ("要生成的空白工作簿（.xlsx）", "the blank workbook to write (.xlsx)"),
        "h_type": ("预选支部类型：{types}", "preselect the branch type: {types}"),
        "h_year": ("考核年度", "assessment year"),
        "h_roster_template": (
            "改为生成空白支部花名册",
            "write the blank branch roster instead of a grading workbook",
        ),
        "h_validate": ("检查工作簿，一次列出全部问题", "report every problem of each workbook"),
        "h_validate_files": (
            "要检查的工作簿、文件夹或通配符（如 forms/*.xlsx）",
            "workbooks, folders or patterns (e.g. forms/*.xlsx) to check",
        ),
        "h_grade": ("批量评定文件夹内的全部工作簿", "grade every workbook in a folder"),
        "h_grade_folder": (
            "存放各支部工作簿的文件夹，或通配符（如 forms/*.xlsx）",
            "folder of branch workbooks, or a pattern (e.g. forms/*.xlsx)",
        ),
        "h_out": ("输出文件夹", "output folder"),
        "h_workers": (
            "并行进程数（0=本进程；不指定时用全部 CPU 核心，不超过 16 份的小批量在本进程评定）",
            "worker processes (0 = in-process; default: every core, and a batch of at most 16 forms "
            "in-process)",
        ),
        "h_replay_workers": (
            "并行进程数（0=本进程；不指定时用全部 CPU 核心，一轮支部不多时在本进程重演）",
            "worker processes (0 = in-process; default: every core, and a small round in-process)",
        ),
        "h_force": (
            "不再需要：每次运行写入新的结果文件夹，旧结果保留；为兼容旧脚本而保留",
            "no longer needed: each run writes a new run folder and keeps the earlier ones; "
            "accepted for old scripts",
        ),
        "h_progress": ("显示进度条", "show a progress bar"),
        "h_roster": (
            "支部花名册（.xlsx 或 .csv），用于列出未提交的支部",
            "branch roster (.xlsx or .csv), to list the branches that submitted nothing",
        ),
        "h_issued": (
            "整改清单的下发日期（如 2012-12-15，默认今天）：整改时限从该日起算，不早于该日",
            "the day the rectification lists are issued (e.g. 2012-12-15, default today): deadlines are "
            "counted from it and never fall before it",
        ),
        "h_lint_verbose": ("同时列出提示（info 级别）", "also list the notes (info level)"),
        "h_college": (
            "学院名称，印在汇总表每页的页眉上",
            "the college's name, printed in the header of every page of the summary",
        ),
        "h_explain": ("逐条说明一个支部的评定过程", "print one branch's full trace"),
        "h_explain_file": ("一个支部的工作簿", "one branch workbook"),
        "h_rules_list": ("列出规则", "list the rules of a profile"),
        "h_rules_show": (
            "显示一条规则：条件、参数、依据、示例",
            "show one rule: condition, parameters, source, examples",
        ),
        "h_rule_code": ("规则编号，如 OL-02", "rule code, e.g. OL-02"),
        "h_rules_catalogue": ("重新生成规则目录 CATALOGUE.md", "regenerate the profile's CATALOGUE.md"),
        "h_rules_lint": (
            "检查规则集：未知事实或参数、重复编号、分数段缺口或重叠、达不到的等次、示例错误等",
            "lint a profile: unknown facts or parameters, duplicate codes, band gaps, unreachable grades, "
            "failing examples",
        ),
        "u_lang": ("--lang 只能是 zh 或 en（实际为 {value}）", "--lang must be zh or en (got {value})"),
        "u_type": ("--type 只能是 {choices}", "--type must be one of {choices}"),
        "u_xlsx_name": ("文件名须以 .xlsx 结尾：{path}", "the file name must end in .xlsx: {path}"),
        "u_exists": ("{path} 已存在，不会覆盖", "{path} exists; not overwriting"),
        "u_not_found": ("找不到文件：{paths}", "file not found: {paths}"),
        "u_no_match": (
            "没有与“{pattern}”匹配的工作簿（.xlsx/.xlsm/.xls/.ods）；请检查路径和通配符",
            "no workbook (.xlsx/.xlsm/.xls/.ods) matches “{pattern}”; check the path and the pattern",
        ),
        "u_empty_folder": (
            "文件夹 {path} 中没有工作簿（.xlsx/.xlsm/.xls/.ods）",
            "folder {path} holds no workbook (.xlsx/.xlsm/.xls/.ods)",
        ),
        "u_workers": ("--workers 不能为负数", "--workers must be 0 or more"),
        "u_issued": (
            "--issued 应为日期，如 2012-12-15（实际为“{value}”）",
            "--issued must be a date such as 2012-12-15 (got “{value}”)",
        ),
        "u_no_rule": ("规则 {code} 不存在于 {profile}", "no rule {code} in {profile}"),
        "wrote": ("已生成 {path}", "wrote {path}"),
        "ok_file": ("{mark} {name}：未发现问题", "{mark} {name}: no problems"),
        "bad_file": (
            "{mark} {name}：{errors} 个错误，{warnings} 个提醒",
            "{mark} {name}: {errors} error(s), {warnings} warning(s)",
        ),
        "grading": ("评定中", "grading"),
        "batch_done": (
            "共 {files} 个工作簿，已评定 {graded} 个（{dist}）。结果在 {out}",
            "Graded {graded} of {files} workbooks ({dist}). Outputs in {out}",
        ),
        "cleared_leftovers": (
            "已清理上次未完成的运行留下的文件：{cleared}",
            "Removed what an unfinished earlier run left: {cleared}",
        ),
        "batch_tally": (
            "评定方案：{by}。文件夹共 {entries} 个文件：{tally}。",
            "By profile: {by}. The folder holds {entries} entries: {tally}.",
        ),
        "evaluator_ran": ("规则求值器：{evaluator}", "Rule evaluator: {evaluator}"),
        "evaluator_durable": ("durable_rules", "durable_rules"),
        "evaluator_reference": ("reference（纯 Python）", "reference (plain Python)"),
        "h_evaluator": (
            "规则求值器 auto|durable|reference（auto：有 durable_rules 时用它，否则用参照求值器，结果相同）",
            "rule evaluator auto|durable|reference; auto takes durable_rules where it is installed, else the "
            "reference evaluator (same results)",
        ),
        "h_profile_auto": (
            "规则集名称或文件夹；auto 按每个工作簿的考核年度选择",
            "profile name or folder; auto chooses by each workbook's assessment year",
        ),
        "lint_counts": (
            "{errors} 个错误，{warnings} 个警告，{infos} 个提示",
            "{errors} error(s), {warnings} warning(s), {infos} note(s)",
        ),
        "lint_notes_hidden": (
            "另有 {infos} 个提示未显示（加 --verbose 显示）",
            "{infos} note(s) not shown (add --verbose to see them)",
        ),
        "u_roster": ("花名册 {path} 不能使用：", "the roster {path} cannot be used:"),
        "u_roster_type": (
            "--roster 生成的花名册不分支部类型，不能与 --type/--year/--profile 同用",
            "--roster writes the roster, which takes no --type, --year or --profile",
        ),
        "u_template_year": (
            "规则集 {profile} 适用于 {years} 年，不适用于 --year {year}；请换用适用于该年度的规则集",
            "profile {profile} grades {years}, not --year {year}; use the profile of that year",
        ),
        "h_template_profile": (
            "按该规则集的表格生成（默认：2012 年表格）",
            "write the form of this profile (default: the 2012 form)",
        ),
        "missing_head": (
            "缺交：花名册中有 {n} 个支部未提交定级表",
            "Not submitted: {n} branch(es) on the roster sent no workbook",
        ),
        "missing_row": (
            "  {mark} {branch_id} {name}（{general}）",
            "  {mark} {branch_id} {name} ({general})",
        ),
        "roster_complete": (
            "{mark} 花名册中的 {n} 个支部均已提交",
            "{mark} all {n} branches on the roster submitted",
        ),
        "unknown_head": (
            "提醒：{n} 个已评定的支部不在花名册中",
            "Warning: {n} graded branch(es) are not on the roster",
        ),
        "unknown_row": ("  {branch_id}（{file}）", "  {branch_id} ({file})"),
        "list_sep": ("、", ", "),
        "period": ("期", "period"),
        "part": ("未达到的项", "unmet part"),
        "r_indicator": ("指标", "indicator"),
        "r_condition": ("条件", "condition"),
        "r_expression": ("条件表达式", "expression"),
        "r_applies": ("适用", "applies"),
        "r_years": ("（仅 {years} 年）", " (only in {years})"),
        "r_params": ("参数", "parameters"),
        "r_source": ("依据", "source"),
        "r_rationale": ("理由", "rationale"),
        "r_fix": ("整改", "fix"),
        "r_example": ("示例", "example"),
        "r_points": ("扣{points}分", "{points} point(s)"),
        "r_no_facts": ("各项均未填写", "nothing filled in"),
        "r_sep": ("，", ", "),
        "r_example_text": ("{given} → {outcome}（{name}）", "{given} → {outcome} ({name})"),
        "r_with_params": ("（参数 {params}）", " (parameters {params})"),
        "kind_deduction": ("扣分", "deduction"),
        "kind_veto": ("一票否决", "veto"),
        "kind_suggestion": ("建议", "suggestion"),
    }
)

_STATUS: dict[Status, tuple[str, str]] = {
    Status.FAILED: ("未通过", "Failed"),
    Status.NOT_EVIDENCED: ("未能核实", "Not evidenced"),
    Status.NOT_APPLICABLE: ("不适用", "Not applicable"),
    Status.PASSED: ("通过", "Passed"),
}

# The order explain() and the docs present outcomes in: what needs action first.
STATUS_ORDER: tuple[Status, ...] = (Status.FAILED, Status.NOT_EVIDENCED, Status.NOT_APPLICABLE, Status.PASSED)

# How many cells a problem text lists before it summarises the rest; a long register can name hundreds.
MAX_CELLS = 8


def label(key: str, lang: Lang = "zh", **fmt: object) -> str:
    """The label ``key`` in ``lang``; ``fmt`` fills ``{n}``-style placeholders."""
    zh, en = LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def both(key: str, **fmt: object) -> str:
    """The label ``key`` in Chinese and English, ``中文 / English``: for help shown before --lang is read."""
    return f"{label(key, 'zh', **fmt)} / {label(key, 'en', **fmt)}"


def status_label(status: Status, lang: Lang = "zh") -> str:
    zh, en = _STATUS[status]
    return en if lang == "en" else zh


def fmt_num(value: float) -> str:
    """A score as people write it: 14 rather than 14.0, 13.5 as is; never scientific notation."""
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def evidence_cells(evidence: Iterable[Evidence], lang: Lang = "zh", limit: int = MAX_CELLS) -> str:
    """``会议活动!A12、A15、基本信息!C3 等共12处``: the cells behind a value, sheet named once per run.

    The file is left out: in a branch's own list every cell is in its own workbook. Evidence without a
    sheet (a whole-file fact) contributes nothing; evidence with a sheet but no cell names the sheet.
    """
    sep = ", " if lang == "en" else "、"
    parts: list[str] = []
    seen: set[str] = set()
    total = 0
    last_sheet: str | None = None
    for ev in evidence:
        if not ev.sheet:
            continue
        ref = f"{ev.sheet}!{ev.cell}" if ev.cell else ev.sheet
        if ref in seen:
            continue
        seen.add(ref)
        total += 1
        if len(parts) >= limit:
            continue  # keep counting so the summary says how many there are
        if ev.cell and ev.sheet == last_sheet:
            parts.append(ev.cell)
        else:
            parts.append(ref)
        last_sheet = ev.sheet
    text = sep.join(parts)
    if total > len(parts):
        more = label("in_all", lang, n=total)
        text += f" … {more}" if lang == "en" else f" {more}"
    return text


def problem_text(message: str, evidence: Iterable[Evidence], lang: Lang = "zh") -> str:
    """The finding message followed by ``（单元格：…）`` on its own line when there are cells to name."""
    cells = evidence_cells(evidence, lang)
    if not cells:
        return message
    if lang == "en":
        return f"{message}\n({label('cells', lang)}: {cells})"
    return f"{message}\n（{label('cells', lang)}：{cells}）"


def source_text(source: Source | None, with_quote: bool = True) -> str:
    """``娄职院委函[2012]3号 三(二)3`` and, on the next line, the quoted clause when known."""
    if source is None:
        return ""
    text = f"{source.document} {source.clause}".strip()
    if with_quote and source.text:
        text += f"\n“{source.text}”"
    return text


def review_text(review: Review | None, lang: Lang = "zh") -> str | None:
    """A reviewed grade in words — grade, reason and reviewer — as every output shows it beside the
    computed grade; None when the branch was not reviewed."""
    if review is None:
        return None
    name = review.grade.name.get(lang)
    return label("review_line", lang, grade=name, reason=review.reason, reviewer=review.reviewer)
