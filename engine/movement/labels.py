"""The words of the movement outputs (compare workbook, history, replay) in Chinese and English.

Kept with the package rather than in engine/export/i18n.py: they name things only these commands show.
Shared words (支部编号, 评定等次, 总分 …) come from i18n's ``LABELS`` through :func:`word`.
"""

from __future__ import annotations

from engine.export.i18n import LABELS
from schemas.common import Lang

# key -> (zh, en)
MOVEMENT_LABELS: dict[str, tuple[str, str]] = {
    # directions and item states
    "up": ("晋位升级", "moved up"),
    "down": ("等次下降", "moved down"),
    "same": ("等次持平", "stayed"),
    "only_before": ("仅在前一轮", "only in the earlier round"),
    "only_after": ("仅在后一轮", "only in the later round"),
    "opened": ("新增", "opened"),
    "closed": ("已销号", "closed"),
    "still_open": ("仍未整改", "still open"),
    # workbook sheets and headings
    "s_overview": ("概览", "Overview"),
    "s_matrix": ("等次迁移", "Grade migration"),
    "s_branches": ("支部变动", "Branch movement"),
    "s_rules": ("整改事项（按规则）", "Items by rule"),
    "s_items": ("整改事项明细", "Item list"),
    "title": ("{before} → {after} 分类定级变动", "Grading movement: {before} → {after}"),
    "round_before": ("前一轮", "Earlier round"),
    "round_after": ("后一轮", "Later round"),
    "branches": ("支部数", "Branches"),
    "in_both": ("两轮均有", "In both rounds"),
    "kpis": ("学院指标变动", "College KPI movement"),
    "kpi_code": ("指标编号", "KPI"),
    "kpi_title": ("指标", "Figure"),
    "target": ("目标", "Target"),
    "change_pp": ("变化（百分点）", "Change (points)"),
    "met_before": ("前一轮达标", "Met before"),
    "met_after": ("后一轮达标", "Met after"),
    "grade_before": ("前一轮等次", "Grade before"),
    "grade_after": ("后一轮等次", "Grade after"),
    "reviewed_before": ("前一轮审定", "Reviewed before"),
    "reviewed_after": ("后一轮审定", "Reviewed after"),
    "c_reviewed": (
        "审定（{round}）：{branch_id} {name} 计算等次 {computed}；{review}",
        "reviewed ({round}): {branch_id} {name} computed {computed}; {review}",
    ),
    "total_before": ("前一轮总分", "Total before"),
    "total_after": ("后一轮总分", "Total after"),
    "total_change": ("总分变化", "Change in total"),
    "direction": ("变动", "Movement"),
    "sum": ("合计", "Total"),
    "matrix_corner": ("前一轮 \\ 后一轮", "Before \\ after"),
    "chart_grades": ("各等次支部数", "Branches by grade"),
    "chart_rules": ("整改事项变动（按规则）", "Items by rule"),
    "rule_title": ("规则", "Rule"),
    "item_status": ("事项状态", "Item status"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "none": ("—", "—"),
    # history
    "h_head": ("支部 {branch_id} {name} 的历次定级", "Grading history of {branch_id} {name}"),
    "h_row": (
        "{round}（{profile}）：{grade}，总分 {total}，整改事项 {items} 项（新增 {opened}，销号 {closed}）",
        "{round} ({profile}): {grade}, total {total}, {items} items ({opened} opened, {closed} closed)",
    ),
    "h_absent": ("{round}：本轮无该支部", "{round}: the branch is not in this round"),
    "h_opened": ("  新增：{codes}", "  opened: {codes}"),
    "h_closed": ("  销号：{codes}", "  closed: {codes}"),
    # replay
    "r_head": (
        "重演 {round}：{n} 个支部按 {profile} 重新评定（未记录）",
        "Replay of {round}: {n} branches re-graded under {profile} (nothing recorded)",
    ),
    "r_head_record": (
        "重演 {round}：{n} 个支部按 {profile} 重新评定",
        "Replay of {round}: {n} branches re-graded under {profile}",
    ),
    "r_recorded": (
        "已记录为模拟轮次 {round}（编号 {id}），重演自 {source}，已记录的轮次不变；"
        "比较：branchgrade compare {source_ref} {ref}",
        "Recorded as the what-if round {round} (number {id}), a replay of {source}; the recorded round is "
        "unchanged. Compare: branchgrade compare {source_ref} {ref}",
    ),
    "r_settings": ("改动的参数：{settings}", "Parameters changed: {settings}"),
    "r_unchanged": ("等次与规则结果均无变化", "No grade and no rule outcome changed"),
    "r_matrix": ("等次迁移（行：已记录，列：重演）", "Grade migration (rows: recorded, columns: replayed)"),
    "r_counts": (
        "等次变化 {changed} 个（升 {up}，降 {down}），规则结果有变化的支部 {rules} 个",
        "{changed} grades changed ({up} up, {down} down); {rules} branches with a rule outcome changed",
    ),
    "r_branch": (
        "{branch_id} {name}：{before} → {after}，总分 {total_before} → {total_after}",
        "{branch_id} {name}: {before} → {after}, total {total_before} → {total_after}",
    ),
    "r_rule": ("  {code} {title}：{before} → {after}", "  {code} {title}: {before} → {after}"),
    "r_absent_rule": ("（无此规则）", "(no such rule)"),
    "r_fact_params": (
        "注意：本轮的事实按 {recorded} 生成，{profile} 的以下事实参数与之不同，"
        "重演仍沿用已记录的事实：{names}",
        "Note: this round's facts were built under {recorded}; {profile} sets these facts-stage parameters "
        "differently, and the replay keeps the recorded facts: {names}",
    ),
    "r_year": (
        "注意：本轮为 {year} 年度，{profile} 是为 {profile_year} 年度制定的规则集",
        "Note: this round is of {year}; {profile} was written for {profile_year}",
    ),
    # compare console
    "c_done": (
        "{before} → {after}：两轮均有 {both} 个支部，晋位升级 {up}，等次下降 {down}，持平 {same}；"
        "整改事项新增 {opened}，销号 {closed}，仍未整改 {still}",
        "{before} → {after}: {both} branches in both rounds, {up} moved up, {down} moved down, {same} "
        "stayed; items {opened} opened, {closed} closed, {still} still open",
    ),
    "wrote": ("已写出 {path}", "wrote {path}"),
    # usage errors
    "u_set_form": (
        "--set {item!r}：应写成 参数名=值（如 --set study_day=16）",
        "--set {item!r}: write it as NAME=VALUE (e.g. --set study_day=16)",
    ),
    "u_set_unknown": (
        "--set {name}：{where} [params] 中没有此参数{hint}。可用参数见 `branchgrade rules show 规则编号`",
        "--set {name}: {where} [params] has no such parameter{hint}. `branchgrade rules show CODE` lists a "
        "rule's parameters",
    ),
    "u_set_hint": ("（是否指 {names}？）", " (did you mean {names}?)"),
    "u_set_value": (
        "--set {name}={value}：{where} [params] 中该参数为{kind}（现值 {current}），请给出同类的值",
        "--set {name}={value}: {where} [params] has this parameter as {kind} (now {current}); give a value "
        "of that kind",
    ),
    "u_set_facts": (
        "--set {name}：该参数由事实阶段读取（{what}），重演沿用已记录的事实，改动不会生效；"
        "请修改 {where} 后重新评定工作簿",
        "--set {name}: this parameter is read by the facts stage ({what}); a replay keeps the recorded "
        "facts, so the change would not take effect. Change it in {where} and grade the workbooks again",
    ),
    "u_set_twice": ("--set {name} 出现了两次，请只保留一个值", "--set {name} is given twice: keep one value"),
    "u_set_invalid": (
        "--set：改动后的规则集 {where} 无法使用：{problem}",
        "--set: the profile {where} cannot be used with these values: {problem}",
    ),
    "u_no_branch": (
        "台账中没有支部 {branch_id} 的定级记录（已有 {n} 个支部，如 {examples}）",
        "the ledger holds no round of branch {branch_id} ({n} branches there, e.g. {examples})",
    ),
    "u_out_suffix": ("输出文件应以 {suffix} 结尾：{path}", "the output file must end in {suffix}: {path}"),
    "u_out_dir": ("输出文件所在的文件夹不存在：{path}", "the output file's folder does not exist: {path}"),
    "u_empty_round": ("{round} 没有支部记录", "{round} holds no branch"),
    "u_record_name": (
        "--record 需要一个名称（如 --record 年终自查 或 --record 严格组织生活）",
        "--record needs a name (e.g. --record 年终自查 or --record strict-org-life)",
    ),
    "u_replace_alone": (
        "--replace 只与 --record 一起使用（重新记录同名的模拟轮次）",
        "--replace only goes with --record (recording a what-if round of that name again)",
    ),
    "u_workers": (
        "--workers 不能为负数（0 表示在本进程中重演）",
        "--workers cannot be negative (0: replay in this process)",
    ),
    "u_replay_broken": (
        "重演中止：一个工作进程意外退出（{problem}）。请用 --workers 0 在本进程中重演，或稍后重试",
        "the replay stopped: a worker process ended unexpectedly ({problem}). Replay in this process with "
        "--workers 0, or try again later",
    ),
    # kinds of parameter values, for u_set_value
    "k_int": ("整数", "a whole number"),
    "k_float": ("数值", "a number"),
    "k_bool": ("是/否（true 或 false）", "true or false"),
    "k_str": ("文字", "text"),
    "k_date": ("日期（如 2012-12-10）", "a date (e.g. 2012-12-10)"),
    "k_list": ("列表（如 [2, 3, 4]）", "a list (e.g. [2, 3, 4])"),
}


def word(key: str, lang: Lang = "zh", **fmt: object) -> str:
    """A movement label, or one of the shared export labels, in ``lang``; ``fmt`` fills placeholders."""
    zh, en = MOVEMENT_LABELS[key] if key in MOVEMENT_LABELS else LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text
