"""The catalogue of input problems (``IN-`` codes) as data, and the one way to make such a finding.

Every problem the ingest and validate stages (and the batch pipeline) can report is listed here once, with
its title, message and fix in Chinese and English. A message names the specific problem; the location
(file, sheet, cell) travels in the finding's evidence and ``Finding.render`` prints it between the
message and the fix, so users read: problem, where, what to do.

Templates use ``{placeholders}``. A context value may be a plain scalar or a ``Text`` when the wording
differs by language (a reason, a part of the form); ``make_problem`` renders each language with its own
wording and keeps both in ``ctx`` (``key`` holds the Chinese, ``key_en`` the English).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import Evidence, Finding, Scalar, Severity, Text, fill_template


@dataclass(frozen=True)
class ProblemSpec:
    """One input problem: stable code, title, message and fix templates, and its usual severity."""

    code: str
    title: Text
    message: Text
    fix: Text
    severity: Severity = Severity.ERROR


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


PROBLEMS: tuple[ProblemSpec, ...] = (
    ProblemSpec(
        "IN-01",
        _t("文件无法作为电子表格读取", "File cannot be read as a spreadsheet"),
        _t("无法作为 Excel 工作簿读取：{reason}", "Cannot be read as an Excel workbook: {reason}"),
        _t(
            "请用 Excel 或 WPS 打开原始填报表，“另存为” Excel 工作簿（.xlsx）后重新提交",
            "Open the original form in Excel or WPS, “Save as” an Excel workbook (.xlsx) and submit it again",
        ),
    ),
    ProblemSpec(
        "IN-02",
        _t("文件设置了打开密码", "File is password-protected"),
        _t(
            "文件已加密（设置了打开密码），无法读取",
            "The file is encrypted (has an opening password) and cannot be read",
        ),
        _t(
            "请在 Excel/WPS 中取消打开密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码），"
            "保存后重新提交",
            "Remove the opening password in Excel/WPS "
            "(File → Info → Protect Workbook → Encrypt with Password, "
            "clear it), save and submit again",
        ),
    ),
    ProblemSpec(
        "IN-03",
        _t("文件超出安全限制", "File exceeds a safety limit"),
        _t(
            "{what}超出安全限制（实际 {actual}，上限 {limit}），为安全起见不予读取",
            "{what} exceeds a safety limit (found {actual}, limit {limit}); refused for safety",
        ),
        _t(
            "请使用组织部下发的模板重新填写，删除多余的行、列、图片和工作表，另存为 .xlsx 后重新提交",
            "Fill in the template issued by the organization department again, delete extra rows, columns, "
            "pictures and sheets, save as .xlsx and submit again",
        ),
    ),
    ProblemSpec(
        "IN-04",
        _t("缺少必需的工作表", "Required sheet missing"),
        _t(
            "缺少工作表“{sheet}”（文件中的工作表：{found}）",
            "Sheet “{sheet_zh}” ({sheet_en}) is missing (sheets found: {found})",
        ),
        _t(
            "请使用最新模板填写，不要删除或重命名工作表“{sheet}”",
            "Use the latest template and do not delete or rename the sheet “{sheet_zh}”",
        ),
    ),
    ProblemSpec(
        "IN-05",
        _t("找不到必需的栏目", "Required label or column missing"),
        _t(
            "找不到{part}“{label}”（已查找：{searched}）",
            "Cannot find {part} “{label_zh}” ({label_en}) (searched: {searched})",
        ),
        _t(
            "请恢复模板中的“{label}”{part}，不要删除或改写模板的标题文字",
            "Restore the {part} “{label_zh}” of the template; "
            "do not delete or reword the template's headings",
        ),
    ),
    ProblemSpec(
        "IN-06",
        _t("必填项未填写", "Required value blank"),
        _t("“{label}”是必填项，但未填写", "“{label_zh}” ({label_en}) is required but blank"),
        _t("请填写“{label}”", "Fill in “{label_zh}” ({label_en})"),
    ),
    ProblemSpec(
        "IN-07",
        _t("不是有效的数字", "Not a number"),
        _t(
            "“{label}”应填写数字，填写的是“{value}”（{reason}）",
            "“{label_zh}” ({label_en}) must be a number, found “{value}” ({reason})",
        ),
        _t(
            "请只填写阿拉伯数字，如 12；不要填写“约”“多”等文字",
            "Enter digits only, e.g. 12; no words such as “about” or “more than”",
        ),
    ),
    ProblemSpec(
        "IN-08",
        _t("不是有效的日期", "Not a valid date"),
        _t(
            "“{label}”的日期“{value}”无效（{reason}）",
            "“{label_zh}” ({label_en}): date “{value}” is invalid ({reason})",
        ),
        _t("请按 2012-03-15 的格式填写真实日期", "Enter a real date in the form 2012-03-15"),
    ),
    ProblemSpec(
        "IN-09",
        _t("不是可选的值", "Not one of the allowed choices"),
        _t(
            "“{label}”填写的“{value}”不是可选值（可选：{choices}）",
            "“{label_zh}” ({label_en}): “{value}” is not one of the allowed choices ({choices})",
        ),
        _t("请从下拉列表中选择：{choices}", "Choose from the drop-down list: {choices}"),
    ),
    ProblemSpec(
        "IN-10",
        _t("数值不合理", "Value out of range"),
        _t(
            "“{label}”的值“{value}”不合理：{reason}",
            "“{label_zh}” ({label_en}): value “{value}” is out of range: {reason}",
        ),
        _t("请核对并改正“{label}”：{hint}", "Check and correct “{label_zh}” ({label_en}): {hint}"),
    ),
    ProblemSpec(
        "IN-11",
        _t("模板版本不一致", "Template version missing or different"),
        _t(
            "填报表的模板版本为“{actual}”，当前模板版本为“{expected}”",
            "The form's template version is “{actual}”, the current template is “{expected}”",
        ),
        _t(
            "请确认使用的是组织部本年度下发的最新模板；如栏目有变化，请将内容转填到新模板",
            "Make sure the form is this year's template from the organization department; "
            "if its headings changed, copy the entries into the new template",
        ),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-12",
        _t("日期不在考核年度内", "Date outside the assessment year"),
        _t(
            "“{label}”的日期 {value} 不在考核年度 {year} 年内",
            "“{label_zh}” ({label_en}): date {value} is outside the assessment year {year}",
        ),
        _t(
            "请核对日期；只填写 {year} 年度的记录，往年的记录请删除",
            "Check the date; enter records of {year} only and delete earlier years' records",
        ),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-13",
        _t("支部编号重复", "Duplicate branch ID"),
        _t(
            "支部编号“{branch_id}”出现在 {count} 个内容不同的工作簿中：{files}；无法判断以哪一份为准，"
            "该支部暂不评定（待定）",
            "Branch ID “{branch_id}” appears in {count} workbooks with different contents: {files}; "
            "which one counts cannot be told, so the branch is not graded (pending)",
        ),
        _t(
            "请核对这些文件，把不应计入的那一份移出文件夹（或改正其支部编号），然后重新运行评定",
            "Check these files, move the one that should not count out of the folder (or correct its "
            "branch ID), then run the grading again",
        ),
    ),
    ProblemSpec(
        "IN-21",
        _t("重复提交的相同文件", "Identical copy"),
        _t(
            "与 {original} 内容完全相同（副本），不重复计算，结果见 {original}",
            "Identical to {original} (a copy): counted once, see {original}",
        ),
        _t("无需处理；如不需要，可删除此副本", "Nothing to do; delete the copy if it is not needed"),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-22",
        _t("不是定级工作簿", "Not a grading workbook"),
        _t("不是定级工作簿：{reason}", "Not a grading workbook: {reason}"),
        _t("{fix}", "{fix}"),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-23",
        _t("本工具此前生成的文件", "An earlier output of this tool"),
        _t(
            "这是本工具此前生成的{kind}，不是支部填报表，已跳过",
            "This is a {kind} this tool wrote earlier, not a branch form; skipped",
        ),
        _t(
            "无需处理；建议把历次评定结果与填报表分开存放",
            "Nothing to do; keep earlier results apart from the branch forms",
        ),
        Severity.INFO,
    ),
    ProblemSpec(
        "IN-24",
        _t("文件无法访问", "Entry cannot be accessed"),
        _t("无法访问：{reason}", "Cannot be accessed: {reason}"),
        _t("{fix}", "{fix}"),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-25",
        _t("没有适用于该年度的规则集", "No profile for this year"),
        _t(
            "考核年度为 {year} 年，没有适用于该年度的规则集（现有规则集：{profiles}），未予评定",
            "The assessment year is {year} and no profile covers it (profiles: {profiles}); not graded",
        ),
        _t(
            "请核对“考核年度”；如年度无误，请联系管理员添加 {year} 年度的规则集后再评定",
            "Check the assessment year; if it is right, ask the administrator to add a profile for "
            "{year} and grade again",
        ),
    ),
    ProblemSpec(
        "IN-26",
        _t("考核年度与指定的规则集不符", "Assessment year differs from the chosen profile"),
        _t(
            "考核年度为 {year} 年，而指定的规则集 {profile} 适用于 {profile_year} 年，未予评定",
            "The assessment year is {year} but the chosen profile {profile} is for {profile_year}; "
            "not graded",
        ),
        _t("请核对“考核年度”；如年度无误，请{fix}", "Check the assessment year; if it is right, {fix}"),
    ),
    ProblemSpec(
        "IN-27",
        _t("多个规则集适用于同一年度", "Several profiles cover this year"),
        _t(
            "考核年度为 {year} 年，有多个规则集适用：{profiles}；无法确定用哪一个，未予评定",
            "The assessment year is {year} and several profiles cover it: {profiles}; "
            "which one applies cannot be told, not graded",
        ),
        _t(
            "请用 --profile 指定其中一个规则集后重新评定",
            "Name one of them with --profile and grade again",
        ),
    ),
    ProblemSpec(
        "IN-14",
        _t("未填写的内容使要求无法核实", "Blank entries leave requirements unproven"),
        _t(
            "工作表“{sheet}”{what}，评定时以下 {n} 项要求将无法核实（记为“未能核实”）：{rules}",
            "Sheet “{sheet}” {what}, so grading cannot verify these {n} requirement(s) "
            "(they will be “not evidenced”): {rules}",
        ),
        _t(
            "请在“{sheet}”中如实填写已开展的工作；确未开展的，请按要求开展后再填写",
            "Fill in “{sheet}” with the work that was done; what was not done yet, do it, then record it",
        ),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-15",
        _t("花名册缺少必需的栏目", "Roster column missing"),
        _t(
            "花名册缺少“{label}”栏（已在第 {rows} 行查找表头）",
            "The roster has no “{label_zh}” ({label_en}) column (header looked for in row {rows})",
        ),
        _t(
            "请在花名册的表头行写上“{label}”；可用 branchgrade template --roster 生成花名册模板",
            "Add the header “{label_zh}” to the roster's header row; "
            "branchgrade template --roster writes a blank roster",
        ),
    ),
    ProblemSpec(
        "IN-16",
        _t("花名册中支部编号重复", "Branch ID twice on the roster"),
        _t(
            "支部编号“{branch_id}”在花名册中重复（第 {first} 行与第 {row} 行）",
            "Branch ID “{branch_id}” is on the roster twice (rows {first} and {row})",
        ),
        _t(
            "每个支部只列一行：请删除重复的行，或改正其中一个编号",
            "List each branch once: delete the repeated row or correct one of the IDs",
        ),
    ),
    ProblemSpec(
        "IN-17",
        _t("花名册中缺少支部编号", "Roster row without a branch ID"),
        _t(
            "花名册第 {row} 行填写了支部信息，但“{column}”为空",
            "Row {row} of the roster describes a branch but its “{column}” is blank",
        ),
        _t(
            "请填写该支部的编号（与其定级表“基本信息”中的支部编号一致），或删除该行",
            "Enter the branch's ID (as on the 基本信息 sheet of its workbook) or delete the row",
        ),
    ),
    ProblemSpec(
        "IN-18",
        _t("花名册无法读取", "Roster cannot be read"),
        _t("花名册无法读取：{reason}", "The roster cannot be read: {reason}"),
        _t(
            "请用 Excel 或 WPS 打开花名册，另存为 Excel 工作簿（.xlsx）或 CSV 后重试",
            "Open the roster in Excel or WPS, save it as an Excel workbook (.xlsx) or CSV and try again",
        ),
    ),
    ProblemSpec(
        "IN-19",
        _t("支部不在花名册中", "Branch not on the roster"),
        _t(
            "已评定的支部“{branch_id}”不在花名册 {roster} 中",
            "Graded branch “{branch_id}” is not on the roster {roster}",
        ),
        _t(
            "请核对定级表“基本信息”中的支部编号是否与花名册一致；新成立的支部请补入花名册",
            "Check that the branch ID on the 基本信息 sheet matches the roster; "
            "add a new branch to the roster",
        ),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-28",
        _t("文件在评定时无法访问", "File could not be accessed during the run"),
        _t(
            "评定开始时列出了该文件，读取时却无法访问：{reason}",
            "The file was listed when the run started but could not be accessed when read: {reason}",
        ),
        _t(
            "请确认文件仍在输入文件夹中（未被移走、删除或改名），且当前用户有权读取，然后重新评定",
            "Make sure the file is still in the input folder (not moved, deleted or renamed) and readable "
            "by the current user, then run again",
        ),
    ),
)

# A workbook made from one profile's form and graded under a profile with another form (profile choice).
PROBLEMS += (
    ProblemSpec(
        "IN-29",
        _t("工作簿的表格不属于评定所用的规则集", "Workbook made from another profile's form"),
        _t(
            "此工作簿由规则集 {form_profile} 的表格填写（模板版本 {version}），而评定所用的规则集 {profile} "
            "使用另一份表格，栏目不同，未予评定",
            "This workbook was filled in on the form of profile {form_profile} (template version {version}), "
            "but the profile grading it, {profile}, uses another form with other entries; not graded",
        ),
        _t(
            "请核对“考核年度”；如年度无误，请用“branchgrade template --profile {profile}”生成的表格重新填写",
            "Check the assessment year; if it is right, fill in the form written by "
            "“branchgrade template --profile {profile}”",
        ),
    ),
)

PROBLEMS += (
    ProblemSpec(
        "IN-20",
        _t("登记表中有模板以外的列", "Column not in the template"),
        _t(
            "{sheet}的第 {column} 列“{header}”不是本表的栏目，其中的内容不会被读取",
            "Column {column} “{header}” of {sheet} is not a column of this register; "
            "what it holds is not read",
        ),
        _t(
            "如该列内容需要计入，请填到模板对应的栏目（可在“备注”中说明）；否则删除该列",
            "If what it holds should count, move it into the template's column for it (or into the notes "
            "column); otherwise delete the column",
        ),
        Severity.WARNING,
    ),
)

# Returned rectification lists (``branchgrade status import``): refusals of a whole file, and cells the
# import cannot read.
PROBLEMS += (
    ProblemSpec(
        "IN-30",
        _t("不是本工具生成的整改清单", "Not a rectification list written by branchgrade"),
        _t(
            "该文件没有整改清单的标记（未注明支部），不能导入整改状态",
            "The file carries no rectification-list stamp naming its branch; no status can be imported "
            "from it",
        ),
        _t(
            "请在 branchgrade 生成的整改清单上填写整改状态后交回（不要复制到新建的工作簿中）",
            "Fill in the status on the list branchgrade wrote and return that file (do not copy it into a "
            "new workbook)",
        ),
    ),
    ProblemSpec(
        "IN-31",
        _t("整改清单不属于任何已记录的轮次", "List belongs to no recorded round"),
        _t(
            "支部 {branch_id} 的这份整改清单生成时未记录轮次（评定时未加 --round），台账中没有它的事项",
            "This list of branch {branch_id} was written by a run not recorded as a round (graded without "
            "--round); the ledger holds none of its items",
        ),
        _t(
            "请用 branchgrade grade … --round 阶段 重新评定并下发新生成的整改清单，由支部在新清单上填写",
            "Grade again with branchgrade grade … --round STAGE and send out the new lists; the branch fills "
            "in the new one",
        ),
    ),
    ProblemSpec(
        "IN-32",
        _t("整改清单所属轮次不在台账中", "List's round not in the ledger"),
        _t(
            "整改清单属于轮次 {round}，台账中没有该轮次（已有：{rounds}）",
            "The list belongs to round {round}, which the ledger does not hold (it holds: {rounds})",
        ),
        _t(
            "请确认使用的是记录该轮次的台账（--ledger 或环境变量 BRANCHGRADE_LEDGER）",
            "Make sure this is the ledger that recorded that round (--ledger or BRANCHGRADE_LEDGER)",
        ),
    ),
    ProblemSpec(
        "IN-33",
        _t("事项编号被改动", "Item ID altered"),
        _t(
            "事项编号“{identity}”不是台账中轮次 {round} 该支部的事项；整份清单未导入",
            "Item ID “{identity}” is not an item of this branch in round {round} in the ledger; the list "
            "was not imported",
        ),
        _t(
            "事项编号列不可修改：请在原清单上填写（或恢复该单元格原值）后重新交回",
            "The item ID column must not be edited: fill in the original list (or restore the cell) and "
            "return it again",
        ),
    ),
    ProblemSpec(
        "IN-34",
        _t("事项属于其他支部", "Item of another branch"),
        _t(
            "事项编号“{identity}”不属于本清单的支部 {branch_id}（或不属于本清单的轮次）；整份清单未导入",
            "Item ID “{identity}” is not an item of this list's branch {branch_id} (or of its round); the "
            "list was not imported",
        ),
        _t(
            "每个支部只在自己的整改清单上填写：请把该行移回所属支部的清单",
            "Each branch fills in its own list only: move the row back to its own branch's list",
        ),
    ),
    ProblemSpec(
        "IN-35",
        _t("整改状态无法识别", "Status not recognised"),
        _t(
            "整改状态“{value}”不是下拉选项之一（{choices}），该行未导入",
            "Status “{value}” is not one of the dropdown's choices ({choices}); the row was not imported",
        ),
        _t(
            "请从下拉列表中选择整改状态后重新交回",
            "Choose the status from the dropdown and return the list again",
        ),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-36",
        _t("完成日期不是日期", "Date done is not a date"),
        _t(
            "完成日期“{value}”不是日期，已按未填写导入",
            "Date done “{value}” is not a date; imported as blank",
        ),
        _t("请填写日期，如 2012-11-30", "Enter a date, e.g. 2012-11-30"),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-37",
        _t("整改状态与较新的记录冲突", "Status conflicts with a newer entry"),
        _t(
            "事项 {identity} 的填报与台账中较新的记录（或后续轮次的核验结论）不一致：已保留并标记为冲突，"
            "未改变该事项的状态",
            "The entry for item {identity} differs from a newer entry in the ledger (or a later round's "
            "verdict): kept and flagged as a conflict, the item's state unchanged",
        ),
        _t(
            "请核对是否交回了旧版本的清单；如该填报才是最新情况，请在最新的清单上重新填写后交回",
            "Check whether an older copy of the list was returned; if this entry is the latest, fill it in "
            "on the latest list and return that",
        ),
        Severity.WARNING,
    ),
    ProblemSpec(
        "IN-38",
        _t("工作日历未覆盖该年份", "Working calendar does not cover the year"),
        _t(
            "已安装的国家工作日历（法定节假日和调休）只覆盖{covered}年，{years}年的工作日按周一至周五计算，"
            "节假日和调休未计入",
            "The installed official working calendar (public holidays and make-up days) covers "
            "{covered} only: working days in {years} were counted Monday–Friday, holidays and make-up "
            "days ignored",
        ),
        _t(
            "请升级 chinese-calendar（pip install -U chinese-calendar，新版本收录新公布的年份）后重新评定；"
            "或人工核对所列日期期间是否有法定节假日或调休",
            "Upgrade chinese-calendar (pip install -U chinese-calendar: new releases add newly announced "
            "years) and grade again, or check by hand whether the dates listed span a public holiday or a "
            "make-up day",
        ),
        Severity.WARNING,
    ),
    # IN-39…IN-46: reviewed grades (审定) — entered in the summary's 汇总 sheet or given to the library call
    ProblemSpec(
        "IN-39",
        _t("不是可导入审定结果的汇总表", "Not a summary workbook with review columns"),
        _t(
            "找不到“{sheet}”工作表中带“{column}”列的表头，无法导入审定结果",
            "No “{sheet}” sheet with a “{column}” column header was found; no review can be imported",
        ),
        _t(
            "请在 branchgrade 生成的汇总表（分类定级汇总.xlsx）的汇总工作表中填写审定等次、审定理由后导入",
            "Enter the reviewed grades and reasons in the Summary sheet of a summary workbook branchgrade "
            "wrote, and import that",
        ),
    ),
    ProblemSpec(
        "IN-40",
        _t("未指明审定的轮次", "No round named for the review"),
        _t(
            "该汇总表没有记录轮次的标记，无法判断审定结果属于哪一轮",
            "This summary carries no round stamp: which round the reviews belong to is unknown",
        ),
        _t(
            "请用 --round 指定轮次（如 2012-年初定级；branchgrade review show 可列出轮次）",
            "Name the round with --round (e.g. 2012-年初定级)",
        ),
    ),
    ProblemSpec(
        "IN-41",
        _t("审定的轮次不在台账中", "Reviewed round not in the ledger"),
        _t(
            "台账中没有轮次 {round}（已有：{rounds}）",
            "The ledger holds no round {round} (it holds: {rounds})",
        ),
        _t(
            "请核对轮次（年度-阶段，如 2012-年初定级）及所用台账（--ledger 或环境变量 BRANCHGRADE_LEDGER）",
            "Check the round (year-stage, e.g. 2012-年初定级) and the ledger used (--ledger or "
            "BRANCHGRADE_LEDGER)",
        ),
    ),
    ProblemSpec(
        "IN-42",
        _t("审定的支部不在该轮次中", "Reviewed branch not in the round"),
        _t(
            "支部编号“{branch_id}”不是轮次 {round} 中评定过的支部",
            "Branch ID “{branch_id}” is not a branch graded in round {round}",
        ),
        _t(
            "请核对支部编号（不要修改汇总表中的支部编号列），或确认该支部的工作簿已在此轮评定",
            "Check the branch ID (leave the summary's Branch ID column as written), or make sure the "
            "branch's workbook was graded in this round",
        ),
    ),
    ProblemSpec(
        "IN-43",
        _t("审定缺少理由", "Review without a reason"),
        _t(
            "支部 {branch_id} 审定为“{grade}”，但没有填写审定理由",
            "Branch {branch_id} is reviewed as “{grade}” without a reason",
        ),
        _t(
            "审定等次须写明理由：请在审定理由列填写（如 实地核查发现……），或清空审定等次",
            "A reviewed grade needs its reason: fill in the Review reason column, or clear the reviewed "
            "grade",
        ),
    ),
    ProblemSpec(
        "IN-44",
        _t("审定等次不可用", "Reviewed grade not allowed"),
        _t(
            "支部 {branch_id} 的审定等次“{grade}”不是评定方案 {profile} 允许的等次（可选：{grades}）",
            "Branch {branch_id}'s reviewed grade “{grade}” is not one profile {profile} allows (choices: "
            "{grades})",
        ),
        _t(
            "请从审定等次下拉列表中选择",
            "Choose the reviewed grade from the dropdown",
        ),
    ),
    ProblemSpec(
        "IN-45",
        _t("审定缺少审定人", "Review without a reviewer"),
        _t(
            "支部 {branch_id} 的审定没有审定人",
            "Branch {branch_id}'s review names no reviewer",
        ),
        _t(
            "请在审定人列填写姓名，或导入时用 --reviewer 姓名 指定",
            "Fill in the Reviewer column, or give --reviewer NAME when importing",
        ),
    ),
    ProblemSpec(
        "IN-46",
        _t("有审定理由但没有审定等次", "Review reason without a grade"),
        _t(
            "支部 {branch_id} 填写了审定理由，但审定等次为空，该行未导入",
            "Branch {branch_id} has a review reason but no reviewed grade; the row was not imported",
        ),
        _t(
            "请在审定等次列选择等次（维持原等次也请选择），或清空审定理由",
            "Choose the reviewed grade (the computed one to confirm it), or clear the reason",
        ),
        Severity.WARNING,
    ),
    # IN-48, IN-49: the scoring policy's part of a review (docs/scoring-policy.md)
    ProblemSpec(
        "IN-48",
        _t("审定评分不是0—100的数", "Review score not a number from 0 to 100"),
        _t(
            "支部 {branch_id} 的审定评分“{score}”不是 0 到 100 之间的数",
            "Branch {branch_id}'s review score “{score}” is not a number from 0 to 100",
        ),
        _t(
            "请填写 0—100 的审定评分（如 86 或 86.5），或清空该格",
            "Enter a review score from 0 to 100 (e.g. 86 or 86.5), or clear the cell",
        ),
    ),
    ProblemSpec(
        "IN-49",
        _t("审定等次超出逐级晋升限制", "Reviewed grade above the one-step-a-year limit"),
        _t(
            "支部 {branch_id} 上一年度（{year}年）最终等次为“{previous}”，逐级晋升每年最多晋升{step}个等次，"
            "审定为“{grade}”须写明破格晋升理由",
            "Branch {branch_id} ended {year} at “{previous}”; one step a year allows at most {step} band(s) "
            "up, so a review to “{grade}” needs an exceptional-promotion reason",
        ),
        _t(
            "请在破格晋升理由列（或 --exception）写明破格理由，或选择不超过限制的等次",
            "Give the reason in the Exception reason column (or --exception), or choose a grade within the "
            "limit",
        ),
    ),
)

# IN-47: a workbook of a form version its form no longer reads (schemas/form_layout.py retired_versions)
PROBLEMS += (
    ProblemSpec(
        "IN-47",
        _t("工作簿由旧版表格填写", "Workbook made from an earlier version of the form"),
        _t(
            "此工作簿由规则集 {form_profile} 的旧版表格填写（模板版本 {version}），当前表格为 {current} 版，"
            "栏目已改变（如民主评议、谈心谈话改为逐人登记），按新表格读取会漏记内容，未予评定",
            "This workbook was filled in on an earlier version ({version}) of profile {form_profile}'s form; "
            "the current form is version {current} and its entries changed (appraisals and talks are now "
            "registered person by person), so reading it as the current form would lose entries; not graded",
        ),
        _t(
            "请用“branchgrade template --profile {form_profile}”生成的新表格重新填写（可将原有内容转填过去）",
            "Fill in the new form written by “branchgrade template --profile {form_profile}” (the entries "
            "can be copied over)",
        ),
    ),
)

PROBLEMS = tuple(sorted(PROBLEMS, key=lambda p: p.code))  # catalogue order: by code

CATALOGUE: dict[str, ProblemSpec] = {p.code: p for p in PROBLEMS}

ContextValue = Scalar | Text


def make_problem(
    code: str,
    evidence: Evidence | tuple[Evidence, ...],
    severity: Severity | None = None,
    **ctx: ContextValue,
) -> Finding:
    """Build the ``Finding`` for input problem ``code`` with its message and fix rendered in zh and en.

    A ``Text`` context value is rendered per language; ``{key_zh}`` and ``{key_en}`` name one language
    explicitly (the English message quotes the Chinese label the user sees in the sheet, then its
    translation). A scalar value reads the same in both, unless ``key_en`` is passed alongside it.
    """
    spec = CATALOGUE[code]
    # ``reason="…", reason_en="…"`` is the same as ``reason=Text(zh="…", en="…")``.
    for key in [k for k in ctx if f"{k}_en" in ctx and not isinstance(ctx[k], Text)]:
        english = ctx.pop(f"{key}_en")
        ctx[key] = Text(zh=str(ctx[key]), en=str(english.en if isinstance(english, Text) else english))
    zh_values: dict[str, Scalar] = {}
    en_values: dict[str, Scalar] = {}
    stored: dict[str, Scalar] = {}
    for key, value in ctx.items():
        zh, en = (value.zh, value.en) if isinstance(value, Text) else (value, value)
        zh_values[key], en_values[key] = zh, en
        for values in (zh_values, en_values):
            values[f"{key}_zh"], values[f"{key}_en"] = zh, en
        stored[key] = zh
        if en != zh:
            stored[f"{key}_en"] = en
    evidence_tuple = (evidence,) if isinstance(evidence, Evidence) else tuple(evidence)
    return Finding(
        code=code,
        status=None,
        severity=severity or spec.severity,
        kind="input",
        title=spec.title,
        message=Text(
            zh=fill_template(spec.message.zh, zh_values, code),
            en=fill_template(spec.message.en, en_values, code),
        ),
        ctx=stored,
        evidence=evidence_tuple,
        rectification=Text(
            zh=fill_template(spec.fix.zh, zh_values, code),
            en=fill_template(spec.fix.en, en_values, code),
        ),
    )
