"""User-facing labels of every export (column headers, sheet names, status words) in Chinese and English,
and the few text formatters every export shares (evidence cells, source clause, numbers).

Chinese is the default everywhere; ``lang="en"`` switches. Labels live here rather than in each writer so
the branch list, the summary workbook and ``explain`` name the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.common import Evidence, Lang, Source, Status

__all__ = [
    "LABELS",
    "STATUS_ORDER",
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
    "scores": ("分项得分", "Indicator scores"),
    "points": ("满分", "Points"),
    "deducted": ("扣分", "Deducted"),
    "score": ("得分", "Score"),
    "item_count": ("整改事项数", "Items"),
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
    "no_items": ("无整改事项", "No rectification items"),
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
