"""The review commands' texts, added to engine.export.i18n's labels (zh, en)."""

from __future__ import annotations

from engine.export.i18n import LABELS

LABELS.update(
    {
        "h_review_app": (
            "审定：记录、导入、查看审定等次，按台账重新生成汇总表与 results.json",
            "review: record, import and show reviewed grades, write a round's summary and results.json again",
        ),
        "h_review_import": (
            "从汇总表的“汇总”工作表导入审定等次、审定理由、审定人（可重复导入）",
            "import reviewed grades, reasons and reviewers from a summary's Summary sheet (re-import is "
            "harmless)",
        ),
        "h_review_files": (
            "填写了审定结果的汇总表（.xlsx）",
            "summary workbooks with reviews entered (.xlsx)",
        ),
        "h_review_round": (
            "审定的轮次，如 2012-年初定级 或轮次编号（默认：汇总表标记的轮次）",
            "the round reviewed, e.g. 2012-年初定级 or its number (default: the round the summary is stamped "
            "with)",
        ),
        "h_reviewer": (
            "审定人（用于审定人一栏为空的行）",
            "the reviewer (for rows whose Reviewer cell is blank)",
        ),
        "h_review_add": (
            "为一个支部记录审定等次（须写明理由与审定人；原计算等次保留）",
            "record a reviewed grade for one branch (reason and reviewer required; the computed grade stays)",
        ),
        "h_review_show": (
            "列出一轮的审定结果；给出支部编号时显示该支部的评定说明与审定记录",
            "list a round's reviews; with a branch ID, that branch's explanation and review history",
        ),
        "h_review_export": (
            "按台账重新生成一轮的汇总表、results.json 与整改清单（含审定结果）",
            "write a round's summary workbook, results.json and lists again from the ledger (with its "
            "reviews)",
        ),
        "h_review_round_arg": (
            "轮次，如 2012-年初定级 或轮次编号",
            "the round, e.g. 2012-年初定级 or its number",
        ),
        "h_review_branch": ("支部编号，如 XS-02", "branch ID, e.g. XS-02"),
        "h_review_grade": ("审定等次（如 较好）", "the reviewed grade (e.g. 较好 or Good)"),
        "h_review_reason": ("审定理由", "the reason for the reviewed grade"),
        "h_review_score": (
            "审定评分（0—100，评分办法含加权总分时使用；等次写 - 则只记录评分）",
            "the review score (0–100, for a profile with a weighted total; GRADE - records the score alone)",
        ),
        "h_review_exception": (
            "破格晋升理由（审定等次超出逐级晋升限制时必填）",
            "the exceptional-promotion reason (needed for a grade above the one-step-a-year limit)",
        ),
        "h_review_out": ("输出文件夹", "the folder to write into"),
        "rv_recorded": (
            "✓ {file}：记录审定 {n} 条，与现有审定相同 {same} 条（轮次 {round}）",
            "✓ {file}: {n} review(s) recorded, {same} equal to the standing review (round {round})",
        ),
        "rv_unchanged": ("= {file}：没有新的审定，未作改动", "= {file}: no new review, nothing changed"),
        "rv_refused": (
            "✗ {file}：未导入（整份文件未记录）",
            "✗ {file}: not imported (nothing of it recorded)",
        ),
        "rv_totals": (
            "导入 {recorded} 份，无新内容 {unchanged} 份，拒绝 {refused} 份",
            "{recorded} file(s) imported, {unchanged} with nothing new, {refused} refused",
        ),
        "rv_added": (
            "✓ 已记录支部 {branch_id} 在轮次 {round} 的审定：{review}",
            "✓ recorded branch {branch_id}'s review in round {round}: {review}",
        ),
        "rv_same": (
            "= 支部 {branch_id} 在轮次 {round} 已是该审定，未作改动",
            "= branch {branch_id} already has this review in round {round}; nothing changed",
        ),
        "rv_none": ("轮次 {round} 尚无审定", "round {round} has no review yet"),
        "rv_row": (
            "{branch_id} {name}：计算等次 {computed} → 审定等次 {reviewed}"
            "（审定理由：{reason}；审定人：{reviewer}；{at}）",
            "{branch_id} {name}: computed {computed} → reviewed {reviewed} (reason: {reason}; reviewer: "
            "{reviewer}; {at})",
        ),
        "rv_history": ("审定记录（最后一条为现行）：", "Review history (the last one stands):"),
        "rv_history_row": (
            "  {at} {reviewed}（审定理由：{reason}；审定人：{reviewer}{source}）",
            "  {at} {reviewed} (reason: {reason}; reviewer: {reviewer}{source})",
        ),
        "rv_from_file": ("；来自 {file}", "; from {file}"),
        "rv_no_branch": (
            "轮次 {round} 中没有支部 {branch_id}",
            "round {round} has no branch {branch_id}",
        ),
        "u_out_not_dir": (
            "{path} 是一个文件，不是文件夹：请用 -o 指定输出文件夹",
            "{path} is a file, not a folder: name the folder to write into with -o",
        ),
        "rv_wrote": (
            "已按台账生成轮次 {round} 的汇总表 {summary}、{results} 与整改清单 {lists}（审定 {n} 个支部）",
            "wrote round {round}'s summary {summary}, {results} and lists {lists} from the ledger ({n} "
            "branch(es) reviewed)",
        ),
    }
)
