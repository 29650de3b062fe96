"""The notice and objection commands' texts, added to engine.export.i18n's labels (zh, en)."""

from __future__ import annotations

from engine.export.i18n import LABELS

LABELS.update(
    {
        "nt_sheet": ("公示名单", "Public notice"),
        "nt_book_name": ("公示名单.xlsx", "public-notice.xlsx"),
        "nt_title": ("{round}党支部分类定级结果公示", "Party branch grades of {round}: public notice"),
        "nt_text": (
            "经支部自评、党总支审核、学院党委审定，现将 {n} 个党支部的分类定级结果予以公示。"
            "公示期为 {first} 至 {last}（{days} 个工作日）。公示期间如有异议，请向{contact}反映。",
            "After self-assessment, review and approval, the grades of {n} Party branches are published "
            "for objections from {first} to {last} ({days} working days). Objections: {contact}.",
        ),
        "nt_footer": ("第 &P 页，共 &N 页", "Page &P of &N"),
        "h_publish": (
            "公示一轮的定级结果：生成公示名单（按等次排列，每 50 个支部一页 A4），记录公示期（工作日）",
            "publish a round's grades: write the public notice (by grade, one A4 page per 50 branches) and "
            "record its period in working days",
        ),
        "h_publish_from": ("公示开始日期，如 2012-12-03", "the notice's first day, e.g. 2012-12-03"),
        "h_publish_days": ("公示期（工作日，默认 5）", "the notice period in working days (default 5)"),
        "h_publish_contact": (
            "异议受理方式（如 学院党委组织部，电话 0738-1234567）",
            "where objections go (e.g. the organisation department's office and telephone)",
        ),
        "h_publish_out": ("要写入的公示名单（.xlsx）", "the notice workbook to write (.xlsx)"),
        "h_objection_app": ("公示异议：登记、处理、查看", "objections to a notice: record, decide, list"),
        "h_objection_add": ("登记对一个支部等次的异议", "record an objection to a branch's published grade"),
        "h_objection_by": ("提出人 / 处理人", "who raised it / who decided"),
        "h_objection_content": ("异议内容", "what the objection says"),
        "h_objection_on": ("提出日期（默认今天）", "the day it was raised (default today)"),
        "h_objection_decide": (
            "处理一条异议（异议成立或不成立）",
            "decide an objection (upheld or dismissed)",
        ),
        "h_objection_id": ("异议编号（见 objection list）", "the objection's number (see objection list)"),
        "h_objection_outcome": ("处理结果：upheld（成立）或 dismissed（不成立）", "upheld or dismissed"),
        "h_objection_decision": ("处理意见", "the decision in words"),
        "h_objection_list": (
            "列出一轮的公示、异议及哪些等次已成为最终等次",
            "list a round's notice, its objections and which grades are final",
        ),
        "h_today": ("按哪一天判断（默认今天）", "the day to judge on (default today)"),
        "u_date": (
            "{option} 应为日期，如 2012-12-03（给出的是 {value}）",
            "{option} must be a date such as 2012-12-03 (given: {value})",
        ),
        "nt_done": (
            "已公示轮次 {round}：{n} 个支部，公示期 {first} 至 {last}（{days} 个工作日）"
            "→ {path}（{pages} 页）",
            "published round {round}: {n} branch(es), from {first} to {last} ({days} working days) → {path} "
            "({pages} page(s))",
        ),
        "ob_added": (
            "已登记异议 {id}：支部 {branch_id}，提出人 {by}（{on}）",
            "recorded objection {id}: branch {branch_id}, raised by {by} ({on})",
        ),
        "ob_decided": (
            "已处理异议 {id}：{outcome}（{decision}；处理人 {by}）",
            "decided objection {id}: {outcome} ({decision}; by {by})",
        ),
        "ob_none_notice": ("轮次 {round} 尚未公示", "round {round} has not been published"),
        "ob_notice": (
            "轮次 {round} 公示期 {first} 至 {last}（{days} 个工作日），异议受理：{contact}",
            "round {round} published from {first} to {last} ({days} working days); objections: {contact}",
        ),
        "ob_row": (
            "  {id}. {branch_id} {by}（{on}）：{content} — {state}",
            "  {id}. {branch_id} {by} ({on}): {content} — {state}",
        ),
        "ob_undecided": ("待处理", "undecided"),
        "ob_decision": ("{outcome}：{decision}（{by}）", "{outcome}: {decision} ({by})"),
        "ob_final": (
            "截至 {today}：{final}/{n} 个支部的等次已成为最终等次{round_final}",
            "as of {today}: {final} of {n} branch grade(s) final{round_final}",
        ),
        "ob_round_final": ("，本轮定级结果已最终确定", "; the round is final"),
        "ob_waiting": (
            "  尚未最终：{branches}（公示期未满、异议待处理或公示后等次有变）",
            "  not final yet: {branches} (the period not over, an objection undecided, or the grade changed "
            "since the notice)",
        ),
    }
)
