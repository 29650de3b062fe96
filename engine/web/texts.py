"""The web pages' own words, Chinese first, English second (the grading texts come from the results)."""

from __future__ import annotations

from schemas.common import Lang

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("党支部分类定级", "Party branch grading"),
    "nav_check": ("自查", "Self-check"),
    "nav_collect": ("收集与评定", "Collect and grade"),
    "nav_rules": ("评定规则", "Rules"),
    "nav_login": ("工作人员登录", "Officer login"),
    "nav_logout": ("退出", "Log out"),
    "switch_lang": ("English", "中文"),
    "check_title": ("支部书记自查", "Branch secretary's self-check"),
    "check_intro": (
        "上传本支部填好的定级工作簿，立即看到每个填写问题（按工作表和单元格）、预评等级、各指标得分和整改事项。"
        "无需账号；文件检查后即删除，不会保存。",
        "Upload your branch's filled grading workbook to see every problem (by sheet and cell), the "
        "provisional grade, the score of each indicator and the items to rectify. No account needed; the "
        "file is deleted once checked and nothing is stored.",
    ),
    "workbook": ("定级工作簿（.xlsx）", "Grading workbook (.xlsx)"),
    "check_button": ("检查", "Check"),
    "check_again": ("再检查一个", "Check another"),
    "problems": ("填写问题", "Problems in the workbook"),
    "no_problems": ("未发现填写问题。", "No problems found."),
    "not_graded": (
        "该工作簿无法评定：请按上面的提示修改后重新上传。",
        "This workbook cannot be graded: fix the problems above and upload it again.",
    ),
    "provisional": ("预评等级", "Provisional grade"),
    "total": ("总分", "Total"),
    "score_grade": ("按分数", "By score"),
    "adjustments": ("等级调整", "Adjustments"),
    "scores": ("各指标得分", "Scores by indicator"),
    "indicator": ("指标", "Indicator"),
    "points": ("满分", "Points"),
    "deducted": ("扣分", "Deducted"),
    "score": ("得分", "Score"),
    "items": ("整改事项", "Items to rectify"),
    "no_items": ("没有整改事项。", "Nothing to rectify."),
    "evidence": ("依据单元格", "Evidence cells"),
    "source": ("依据条款", "Source clause"),
    "fix": ("整改要求", "Fix"),
    "download_list": ("下载我的整改清单", "Download my rectification list"),
    "code": ("编号", "Code"),
    "where": ("位置", "Where"),
    "message": ("问题", "Problem"),
    "severity_error": ("错误", "error"),
    "severity_warning": ("提醒", "warning"),
    "severity_info": ("说明", "note"),
    "login_title": ("工作人员登录", "Officer login"),
    "user": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_button": ("登录", "Log in"),
    "login_failed": ("用户名或密码不正确。", "Wrong user name or password."),
    "login_throttled": (
        "登录失败次数过多，请 10 分钟后再试。",
        "Too many failed logins: try again in 10 minutes.",
    ),
    "collect_title": ("收集工作簿并评定", "Collect workbooks and grade them"),
    "collect_intro": (
        "可一次选择多个工作簿，或上传 zip 压缩包（含 Windows 中文文件名）。"
        "可同时上传支部名册，查看哪些支部尚未提交。",
        "Choose several workbooks at once, or a zip (Chinese Windows file names included). Add the branch "
        "roster to see which branches have not submitted.",
    ),
    "files": ("工作簿或 zip", "Workbooks or zips"),
    "roster": ("支部名册（可选）", "Branch roster (optional)"),
    "grade_button": ("上传并评定", "Upload and grade"),
    "collections": ("已有评定", "Collections"),
    "created": ("时间", "When"),
    "owner": ("上传人", "By"),
    "status": ("状态", "Status"),
    "running": ("评定中", "grading"),
    "done": ("已完成", "done"),
    "failed": ("失败", "failed"),
    "progress": ("评定进度", "Progress"),
    "progress_wait": ("正在评定，请稍候……", "Grading, please wait…"),
    "refresh": ("刷新", "Refresh"),
    "dashboard": ("学院总览", "College dashboard"),
    "distribution": ("等级分布", "Grade distribution"),
    "kpis": ("考核指标与目标", "KPIs against targets"),
    "target": ("目标", "Target"),
    "actual": ("实际", "Actual"),
    "met": ("达标", "Met"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "common": ("最常见的问题", "Most common problems"),
    "per_general": ("按党总支", "Per general branch"),
    "no_general": ("（未填党总支）", "(no general branch)"),
    "branches": ("支部", "Branches"),
    "branch": ("支部", "Branch"),
    "grade": ("等级", "Grade"),
    "files_head": ("文件", "Files"),
    "file": ("文件", "File"),
    "roster_head": ("名册与未提交", "Roster and who has not submitted"),
    "roster_none": ("本次未上传名册。", "No roster was uploaded with this collection."),
    "roster_complete": ("名册中的 {n} 个支部都已提交。", "All {n} branches on the roster submitted."),
    "missing": ("未提交的支部", "Branches that have not submitted"),
    "unknown": ("不在名册中的支部", "Branches not on the roster"),
    "general": ("党总支", "General branch"),
    "downloads": ("下载", "Downloads"),
    "all_lists": ("全部整改清单（zip）", "All rectification lists (zip)"),
    "summary": ("分类定级汇总表", "Grading summary workbook"),
    "results_json": ("results.json（完整结果）", "results.json (full results)"),
    "one_list": ("整改清单", "Rectification list"),
    "trace": ("全部规则的评定过程", "Every rule, as evaluated"),
    "rule": ("规则", "Rule"),
    "outcome": ("结果", "Outcome"),
    "rules_title": ("评定规则目录", "Rule catalogue"),
    "condition": ("条件", "Condition"),
    "params": ("参数", "Parameters"),
    "examples": ("示例", "Examples"),
    "rationale": ("理由", "Rationale"),
    "expect": ("期望", "Expect"),
    "not_found": ("找不到该页面或文件。", "No such page or file."),
    "forbidden": (
        "请求被拒绝：表单已过期或来源不明，请刷新页面后重试。",
        "Request refused: the form expired or did not come from this site. Reload and retry.",
    ),
    "too_large": ("上传内容超过上限 {limit}。", "The upload exceeds the limit of {limit}."),
    "length_required": (
        "上传请求缺少长度信息，已拒绝；请用浏览器上传。",
        "The upload did not say its length and was refused: upload it from a browser.",
    ),
    "too_many": ("一次最多上传 {limit} 个文件。", "At most {limit} files per upload."),
    "no_file": ("请选择要上传的文件。", "Choose a file to upload."),
    "login_needed": ("请先登录。", "Please log in first."),
    "expired": ("该自查结果已过期，请重新上传。", "This self-check has expired: upload the workbook again."),
    "back": ("返回", "Back"),
    "count": ("数量", "Count"),
    "uploaded": ("上传的文件", "Uploaded files"),
    "record_as": ("记入台账轮次（可选）", "Record in the ledger as round (optional)"),
    "no_round": ("不记录", "do not record"),
    "replace_round": (
        "该轮次已记录时重新记录（原记录保留在历史中）",
        "Record again if the round exists (the earlier one stays in history)",
    ),
    "round": ("轮次", "Round"),
    "round_year": (
        "轮次年度（可选，默认按各工作簿的考核年度）",
        "Year of the round (optional: else each form's year)",
    ),
    "bad_year": ("年度应为四位数字，如 2012。", "The year is four digits, such as 2012."),
    "rounds": ("评定轮次", "Grading rounds"),
    "rounds_intro": (
        "每次收集的工作簿可记为本年度的一个轮次（年初定级、中期督查、年终自查、验收），轮次和截止日期由评定方案规定。",
        "Each collection can be recorded as one of the year's rounds (baseline, inspection, self-check, "
        "acceptance); the rounds and their deadlines come from the grading profile.",
    ),
    "profile": ("评定方案", "Profile"),
    "deadline": ("截止日期", "Deadline"),
    "replaced": ("已被重新记录", "replaced"),
    "current": ("有效", "current"),
    "no_rounds": ("台账中还没有轮次。", "No round recorded yet."),
    "recorded": ("已记入台账", "recorded in the ledger"),
    "history": ("各轮次记录", "History across rounds"),
    "no_history": ("台账中还没有该支部的记录。", "The ledger holds no round for this branch yet."),
    "graded_n": ("已评定 {graded} / 工作簿 {files}", "graded {graded} of {files} workbooks"),
    # --- submitting a self-check to the current round (engine/web/submissions.py) ---
    "branch_id_head": ("支部编号", "Branch ID"),
    "branch_name_head": ("支部名称", "Branch name"),
    "nav_rounds": ("轮次与提交", "Rounds"),
    "submit_title": ("提交到本轮", "Submit to the current round"),
    "submit_intro": (
        "以上自查结果没有保存。要把这个工作簿作为本支部{round}的定级材料提交，请输入组织部门发给本支部的提交码。",
        "Nothing above was stored. To submit this workbook as your branch's workbook of {round}, enter the "
        "code the department issued to your branch.",
    ),
    "submit_deadline": ("截止日期：{deadline}", "Deadline: {deadline}"),
    "submit_code": (
        "支部提交码（10 位，如 ABCDE-FGHJK）",
        "Branch code (10 characters, such as ABCDE-FGHJK)",
    ),
    "submit_button": ("提交", "Submit"),
    "submitted_title": ("已提交", "Submitted"),
    "submitted_text": (
        "{branch} 的工作簿“{file}”已作为{round}的定级材料提交（{when}），自查等级：{grade}。"
        "如需修改后重新提交，请联系组织部门重新发码。",
        'The workbook "{file}" of {branch} is submitted as its workbook of {round} ({when}); self-check '
        "grade: {grade}. To submit a corrected one, ask the department for a new code.",
    ),
    "no_round_open": (
        "目前没有接收提交的轮次：请按组织部门通知的时间提交。",
        "No round is taking submissions now: submit when the department says so.",
    ),
    "code_unknown": (
        "提交码不正确：请核对组织部门发给本支部的 10 位提交码。",
        "Wrong code: check the 10-character code the department issued to your branch.",
    ),
    "code_other_round": (
        "该提交码属于{round}，现在接收的是{now}：请使用本轮发放的提交码。",
        "This code belongs to {round}; the round taking submissions is {now}: use this round's code.",
    ),
    "code_replaced": (
        "该提交码已作废（组织部门已重新发码）：请使用新的提交码。",
        "This code was replaced by a new one: use the new code.",
    ),
    "code_used": (
        "该提交码已于 {when} 使用过：如需重新提交，请联系组织部门重新发码。",
        "This code was used at {when}: to submit again, ask the department for a new code.",
    ),
    "code_wrong_branch": (
        "该提交码是发给支部 {code_branch} 的，而工作簿是支部 {branch} 的：请核对工作簿的支部编号或提交码。",
        "This code was issued to branch {code_branch}, but the workbook is branch {branch}'s: check the "
        "workbook's branch ID or the code.",
    ),
    "wrong_year": (
        "工作簿的考核年度是 {year} 年，本轮是 {round_year} 年：请提交本年度的工作簿。",
        "The workbook's assessment year is {year}, the round's is {round_year}: submit this year's workbook.",
    ),
    "not_gradable": (
        "该工作簿无法评定，不能提交：请先按上面的提示修改，再重新自查。",
        "This workbook cannot be graded and cannot be submitted: fix the problems shown, then check it "
        "again.",
    ),
    "code_throttled": (
        "提交码错误次数过多，请 10 分钟后再试。",
        "Too many wrong codes: try again in 10 minutes.",
    ),
    "intake_head": ("接收提交的轮次", "Rounds taking submissions"),
    "open_intro": (
        "开放一个轮次并按支部发放提交码，书记自查后即可凭提交码提交工作簿；开放新轮次时，原来的轮次停止接收。",
        "Open a round and issue a code to each branch: secretaries then submit their self-checked workbook "
        "with it. Opening a round stops the one open before.",
    ),
    "stage": ("阶段", "Stage"),
    "year": ("年度", "Year"),
    "deadline_optional": ("截止日期（可选，如 2012-12-10）", "Deadline (optional, such as 2012-12-10)"),
    "open_button": ("开放提交", "Open for submissions"),
    "open_now": ("接收中", "open"),
    "closed": ("已停止接收", "closed"),
    "close_round": ("停止接收", "Stop taking submissions"),
    "codes": ("提交码", "Codes"),
    "issue_codes": ("发放提交码", "Issue codes"),
    "issue_intro": (
        "每行一个支部：编号 名称；或上传支部名册。已有提交码的支部不重复发放。",
        "One branch a line: ID and name; or upload the branch roster. Branches that hold a code get no "
        "second one.",
    ),
    "branch_lines": ("支部（每行：编号 名称）", "Branches (a line each: ID name)"),
    "issue_button": ("发放", "Issue"),
    "reissue": ("重新发码", "New code"),
    "codes_csv": ("下载提交码（CSV）", "Download the codes (CSV)"),
    "used": ("已使用", "used"),
    "unused": ("未使用", "not used"),
    "submissions": ("已提交的工作簿", "Submitted workbooks"),
    "no_submissions": ("还没有支部提交。", "No branch has submitted yet."),
    "no_codes": ("还没有发放提交码。", "No code issued yet."),
    "not_submitted": ("已发码、未提交", "Holding a code, nothing submitted"),
    "late": ("逾期", "late"),
    "submitted_at": ("提交时间", "Submitted"),
    "checked_grade": ("自查等级", "Self-check grade"),
    "grade_submissions": (
        "评定已提交的工作簿并记入台账",
        "Grade the submitted workbooks and record the round",
    ),
    "replace_recorded": (
        "台账中已有该轮次时重新记录（原记录保留在历史中）",
        "Record again if the ledger holds the round (the earlier one stays in history)",
    ),
    "bad_line": ("第 {line} 行没有支部编号：{text}", "Line {line} has no branch ID: {text}"),
    "no_branches": ("请填写支部或上传支部名册。", "List the branches or upload the branch roster."),
    "bad_deadline": (
        "截止日期应写作年-月-日，如 2012-12-10。",
        "Write the deadline as year-month-day, such as 2012-12-10.",
    ),
    "bad_stage": (
        "阶段 {stage} 不是评定方案中的轮次：{stages}",
        "{stage} is no stage of the profiles: {stages}",
    ),
    "issued_n": ("本次发放 {n} 个提交码。", "{n} codes issued."),
    "nothing_submitted": ("该轮次还没有可评定的提交。", "Nothing submitted to grade in this round yet."),
    # --- the grading year's pages (engine/web/year_pages.py) ---
    "nav_ledger": ("整改台账", "Ledger"),
    "nav_compare": ("轮次比较", "Compare"),
    "nav_replay": ("重演", "What-if"),
    "no_ledger": (
        "还没有台账：先在“收集与评定”中把一次评定记入台账轮次。",
        "No ledger yet: record a collection as a round under Collect and grade first.",
    ),
    "ledger_title": ("整改台账", "Rectification ledger"),
    "ledger_intro": (
        "本年度各已记录轮次的整改事项及其状态。支部填好退回的整改清单在此导入，"
        "状态逐条记入台账（同一文件再次导入不会重复记录）。",
        "Every rectification item of the year's recorded rounds and its state. Import the lists branches "
        "return here: each row's status is added to the ledger (a file imported twice changes nothing).",
    ),
    "items_by_state": ("整改事项状态（按党总支）", "Item states per general branch"),
    "item_count": ("事项", "Items"),
    "open_items": ("未销号", "Open"),
    "overdue": ("逾期", "Overdue"),
    "conflicts": ("冲突", "Conflicts"),
    "export_ledger": ("下载整改台账（xlsx）", "Download the ledger (xlsx)"),
    "import_title": ("导入退回的整改清单", "Import returned lists"),
    "returned_lists": ("填好的整改清单（可多选）", "Filled rectification lists (several at once)"),
    "import_button": ("导入", "Import"),
    "import_result": ("导入结果", "Import result"),
    "compare_title": ("比较两轮定级", "Compare two rounds"),
    "compare_intro": (
        "选择台账中的两轮：等次迁移矩阵、晋位升级与等次下降的支部、整改事项的新增与销号、学院指标的变化。",
        "Choose two recorded rounds: the grade migration matrix, the branches that moved up or down, items "
        "opened and closed, and the college KPIs.",
    ),
    "before_round": ("前一轮", "Earlier round"),
    "after_round": ("后一轮", "Later round"),
    "compare_button": ("比较", "Compare"),
    "download_movement": ("下载变动工作簿（xlsx）", "Download the movement workbook (xlsx)"),
    "replay_title": ("重演（如果规则或参数改变）", "Replay (what if the rules or parameters changed)"),
    "replay_intro": (
        "按另一规则集或改动的参数重新评定已记录的一轮，看哪些支部的等次会变：不记录，不影响台账。",
        "Re-grade a recorded round under another profile or changed parameters to see whose grade would "
        "change: nothing is recorded, the ledger stays as it is.",
    ),
    "replay_settings": (
        "改动的参数（每行一个：参数名=值，可留空）",
        "Parameters to change (one a line: NAME=VALUE; may be empty)",
    ),
    "replay_button": ("重演", "Replay"),
    "replay_died": (
        "重演进程意外退出（可能是内存不足），未得到结果：请稍后重试。",
        "The replay's process ended unexpectedly (perhaps out of memory) without a result: try again later.",
    ),
    "params_of": ("{profile} 的参数", "Parameters of {profile}"),
    "changed_branches": (
        "等次、总分或规则结果有变化的支部",
        "Branches whose grade, total or a rule changed",
    ),
}


def text(key: str, lang: Lang, **fmt: object) -> str:
    zh, en = TEXTS[key]
    s = en if lang == "en" else zh
    return s.format(**fmt) if fmt else s
