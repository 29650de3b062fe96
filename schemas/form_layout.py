"""The grading form as data: every sheet, label, column, type and dropdown list.

One description serves three readers: the template writer (which cells to write, lock, validate),
the validate stage (which label or header to look for, how to parse it) and the fixture generator.
Values are found by their labels and headers, never by fixed addresses, so a user who inserts a row or
reorders columns does not break the import. ``aliases`` are other headers accepted on read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

TEMPLATE_VERSION = "2012.3"
META_SHEET = "_meta"  # hidden sheet: A1 = "branchgrade-template", B1 = TEMPLATE_VERSION
META_MARK = "branchgrade-template"
INSTRUCTIONS_SHEET = "填表说明"


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"  # a non-negative whole number ("12", "12次", "１２")
    NUMBER = "number"  # a non-negative number (hours, rates)
    DATE = "date"
    BOOL = "bool"  # 是 / 否
    ENUM = "enum"  # one of ``choices``


YES_NO = ("是", "否")
BRANCH_TYPES = ("教工", "学生", "机关", "离退休")
MEETING_TYPES = (
    "支部党员大会",
    "支委会",
    "党小组会",
    "党课",
    "学习日",
    "集中学习",
    "班子集体学习",
    "组织生活",
    "组织生活会",
    "民主评议",
    "主题活动",
    "教育周",
    "网上学习",
    "党政联席会议",
    "谈心谈话",
    "主题党日",
    "动员会",
    "征求意见会",
)
COMMITTEE_POSTS = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员", "青年委员", "统战委员", "委员")
TRAINING_TYPES = ("集中培训", "专题培训", "党务培训", "实践活动")
IDENTITIES = ("教师", "学生", "其他")
BALLOT_METHODS = ("无记名投票", "举手表决")
STUDY_YEARS = ("一年级", "二年级", "三年级")
GRADES = ("先进", "较好", "一般", "后进")
# The meeting register's note names, in “…”, only types that are dropdown choices of every form
# (tests/test_form_wording.py keeps it so): 组织生活 (an ordinary organisational-life event) and
# 组织生活会 (the meeting of criticism and self-criticism) are different things in Party practice.
MEETINGS_NOTE = (
    "每次会议或活动填一行，“类型”从下拉列表中选择。“组织生活会”专指对照检查、开展批评和自我批评的组织生活会；"
    "其他没有专门类型的日常组织生活选“组织生活”。"
)
RECTIFICATION_STATES = ("未开始", "整改中", "已完成")


@dataclass(frozen=True)
class FieldSpec:
    """One value of the form: a labelled cell (key-value sheets) or a column (tables)."""

    name: str  # snake_case identifier used by schemas and facts
    zh: str  # the label or header as printed in the template
    en: str
    kind: Kind = Kind.TEXT
    choices: tuple[str, ...] = ()
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 14  # column width in the template (Chinese characters need ~2 units each)
    hint: str = ""  # input prompt shown by Excel/WPS when the cell is selected
    # The branch types whose rules read this value (tests/test_form_applicability.py derives them from the
    # rules' ``applies``); ``template --type`` greys it out for the others, and says so in the sheet's note.
    applies_to: tuple[str, ...] = BRANCH_TYPES

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.zh, *self.aliases)

    @property
    def explanation(self) -> str:
        """The Chinese text of the template's 说明 column: the hint, or what to enter for the field's kind.

        The reader skips this text (and the English label older templates printed there) when it looks for
        a field's value, so it depends on nothing but the field."""
        if self.hint:
            return self.hint
        if self.kind in (Kind.ENUM, Kind.BOOL):
            return "从下拉列表中选择：" + "、".join(self.choices or YES_NO)
        return _KIND_EXPLANATIONS[self.kind]


_KIND_EXPLANATIONS = {
    Kind.TEXT: "填写文字",
    Kind.INT: "只填整数，不带“人”“次”等单位",
    Kind.NUMBER: "只填数字，可以有小数，不带单位",
    Kind.DATE: "日期，按“年-月-日”填写",
}


@dataclass(frozen=True)
class ItemSpec:
    """A fixed row of a checklist sheet, found by its label in the first column."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = BRANCH_TYPES  # as FieldSpec.applies_to

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.zh, *self.aliases)


@dataclass(frozen=True)
class TableSpec:
    """A register: a header row followed by one row per record, up to the first blank row run."""

    name: str
    zh: str
    en: str
    columns: tuple[FieldSpec, ...]
    template_rows: int = 30  # rows prepared (unlocked, validated) in the template

    def column(self, name: str) -> FieldSpec:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of the form. A sheet holds key-value fields, a checklist, a table, or fields then a table."""

    name: str  # the sheet name (Chinese)
    key: str  # snake_case name of the section in BranchForm
    en: str
    fields: tuple[FieldSpec, ...] = ()
    items: tuple[ItemSpec, ...] = ()
    item_columns: tuple[FieldSpec, ...] = ()
    item_header: str = "项目"
    table: TableSpec | None = None
    required: bool = True
    applies_to: tuple[str, ...] = BRANCH_TYPES
    note: str = ""  # one-line instruction printed under the sheet title
    aliases: tuple[str, ...] = field(default=())
    # Checklist rows of older forms that the current form registers elsewhere: read when a workbook has
    # them (a workbook made from an older template still grades), never written, never asked for.
    former_items: tuple[ItemSpec, ...] = ()


F = FieldSpec

BASIC = SheetSpec(
    name="基本信息",
    key="basic",
    en="Basic information",
    note="请在黄色单元格中填写；带*为必填。支委会成员请填写在下方表格中。",
    fields=(
        F("branch_name", "支部名称", "Branch name", required=True, width=30),
        F("branch_id", "支部编号", "Branch ID", required=True, hint="组织部分配的编号，如 JG-01"),
        F("general_branch", "上级党组织", "Parent organisation", aliases=("所属党总支", "上级党总支")),
        F("branch_type", "支部类型", "Branch type", Kind.ENUM, BRANCH_TYPES, required=True),
        F("window_department", "是否窗口部门", "Window department", Kind.BOOL, YES_NO),
        F("full_members", "正式党员数", "Full members", Kind.INT, required=True),
        F("probationary_members", "预备党员数", "Probationary members", Kind.INT),
        F("secretary", "支部书记", "Secretary", required=True, aliases=("书记",)),
        F("last_election", "上次换届日期", "Date of last election", Kind.DATE),
        F("contact_leader", "联系领导", "Linked leading cadre"),
        F("assessment_year", "考核年度", "Assessment year", Kind.INT, required=True),
        F("filled_on", "填表日期", "Date filled in", Kind.DATE),
        F("filled_by", "填表人", "Filled in by"),
        F(
            "directly_reporting",
            "是否直属党支部",
            "Reports directly to the college committee",
            Kind.BOOL,
            YES_NO,
        ),
        F("party_groups", "党小组数", "Party groups", Kind.INT),
        F(
            "young_teachers_non_members",
            "非党员青年教师人数",
            "Young teachers who are not members",
            Kind.INT,
            width=18,
            hint="教工支部填写：本单位尚未入党的青年教师人数",
            applies_to=("教工",),
        ),
    ),
    table=TableSpec(
        name="committee",
        zh="支委会成员",
        en="Committee members",
        columns=(
            F("name", "姓名", "Name", required=True),
            F("post", "职务", "Post", Kind.ENUM, COMMITTEE_POSTS, required=True),
            F(
                "admin_post",
                "是否兼任行政职务",
                "Also holds an administrative post",
                Kind.BOOL,
                YES_NO,
                width=18,
                applies_to=("教工", "机关"),
            ),
        ),
        template_rows=9,
    ),
)

MEETINGS = SheetSpec(
    name="会议活动",
    key="meetings",
    en="Meetings and activities",
    aliases=("会议活动台账", "会议记录"),
    note=MEETINGS_NOTE,
    table=TableSpec(
        name="meetings",
        zh="会议活动台账",
        en="Meeting and activity register",
        columns=(
            F("date", "日期", "Date", Kind.DATE, required=True, width=14),
            F(
                "type",
                "类型",
                "Type",
                Kind.ENUM,
                MEETING_TYPES,
                required=True,
                width=16,
                aliases=("会议类型",),
            ),
            F(
                "chair",
                "主持人/主讲人",
                "Chair or lecturer",
                width=16,
                aliases=("主持人", "主讲人", "主持/主讲"),
            ),
            F("topic", "主题", "Topic", width=30),
            F("expected", "应到人数", "Expected attendance", Kind.INT, aliases=("应到",)),
            F("present", "实到人数", "Present", Kind.INT, aliases=("实到",)),
            F(
                "tags",
                "主题标签",
                "Topic tags",
                width=18,
                hint="思想政治/理想信念/法律法规，可多个，用顿号分隔",
            ),
            F("online", "是否线上", "Online", Kind.BOOL, YES_NO),
            F("minutes", "是否有纪要", "Minutes kept", Kind.BOOL, YES_NO, aliases=("纪要",)),
            F(
                "leader_present",
                "联系领导是否参加",
                "Linked leading cadre present",
                Kind.BOOL,
                YES_NO,
                width=16,
            ),
            F("note", "备注", "Note", width=20),
        ),
        template_rows=300,
    ),
)

STUDY_HOURS = SheetSpec(
    name="学习学时",
    key="study_hours",
    en="Study hours",
    applies_to=("教工", "学生", "机关"),  # retired members are taught flexibly (hours_exempt_types)
    note="每名党员一行，按季度填写参加教育培训的学时（不要填写合计，系统自动计算）。",
    table=TableSpec(
        name="study_hours",
        zh="党员学习学时",
        en="Member study hours",
        columns=(
            F("name", "姓名", "Name", required=True),
            F("leader", "是否班子成员", "Leadership member", Kind.BOOL, YES_NO, width=14),
            F("q1", "第一季度", "Q1", Kind.NUMBER, aliases=("一季度", "Q1")),
            F("q2", "第二季度", "Q2", Kind.NUMBER, aliases=("二季度", "Q2")),
            F("q3", "第三季度", "Q3", Kind.NUMBER, aliases=("三季度", "Q3")),
            F("q4", "第四季度", "Q4", Kind.NUMBER, aliases=("四季度", "Q4")),
        ),
        template_rows=150,
    ),
)

# Named for whom it registers: every committee member (支委), not only the secretary; workbooks made
# before the sheet was renamed call it 书记培训, which still reads.
TRAINING = SheetSpec(
    name="支委培训",
    key="training",
    en="Committee training",
    aliases=("书记培训",),
    note=(
        "登记支委会每一名成员（书记、副书记和各委员，不只是书记）参加集中培训、专题培训、党务培训和实践活动的"
        "情况，每人每次一行；支委培训按人逐一核对。"
    ),
    table=TableSpec(
        name="training",
        zh="支委成员培训与实践",
        en="Committee members' training and practice",
        columns=(
            F(
                "name",
                "姓名",
                "Name",
                required=True,
                hint="书记或支委的姓名，与基本信息表“支委会成员”中的写法一致",
            ),
            F("date", "日期", "Date", Kind.DATE, required=True),
            F("type", "类型", "Type", Kind.ENUM, TRAINING_TYPES, required=True),
            F("organiser", "组织单位", "Organiser", width=20),
            F("topic", "主题", "Topic", width=24, hint="如：学习贯彻十八大精神专题培训"),
            F("hours", "学时", "Hours", Kind.NUMBER),
        ),
        template_rows=30,
    ),
)

CANDIDATES = SheetSpec(
    name="发展党员",
    key="candidates",
    en="Member development",
    note="本年度接收预备党员的每名发展对象一行；本年度未发展党员则留空。",
    table=TableSpec(
        name="candidates",
        zh="发展党员",
        en="Candidates",
        columns=(
            F("name", "姓名", "Name", required=True),
            F("identity", "身份", "Identity", Kind.ENUM, IDENTITIES),
            F("applied_on", "申请入党日期", "Application date", Kind.DATE),
            F("activist_on", "确定积极分子日期", "Activist date", Kind.DATE, width=16),
            F("candidate_on", "确定发展对象日期", "Development-candidate date", Kind.DATE, width=16),
            F("notice_start", "公示开始日期", "Notice start", Kind.DATE),
            F("notice_end", "公示结束日期", "Notice end", Kind.DATE),
            F("voters_due", "应到有表决权正式党员", "Voting full members due", Kind.INT, width=20),
            F("voters_present", "实到有表决权正式党员", "Voting full members present", Kind.INT, width=20),
            F("votes_yes", "赞成票数", "Yes votes", Kind.INT),
            F("ballot", "表决方式", "Ballot method", Kind.ENUM, BALLOT_METHODS),
            F("vote_on", "支部大会表决日期", "Vote date", Kind.DATE, width=16),
            F("approved_on", "上级审批日期", "Approval date", Kind.DATE),
            F("young_teacher", "是否青年教师", "Young teacher", Kind.BOOL, YES_NO, applies_to=("教工",)),
            F(
                "backbone",
                "是否业务骨干",
                "Teaching/research/management backbone",
                Kind.BOOL,
                YES_NO,
                applies_to=("教工", "机关"),
            ),
            F("dossier_complete", "档案材料是否齐全", "Dossier complete", Kind.BOOL, YES_NO, width=16),
            F(
                "failed_courses",
                "挂科门数",
                "Failed courses",
                Kind.INT,
                hint="学生填写：上学期不及格课程门数",
                applies_to=("学生",),
            ),
            F("sanctioned", "是否受处分", "Disciplinary sanction", Kind.BOOL, YES_NO),
        ),
        template_rows=30,
    ),
)

SYSTEMS = SheetSpec(
    name="制度落实",
    key="systems",
    en="Systems in practice",
    note="逐项填写是否落实，并注明日期、数量和佐证材料。",
    item_header="项目",
    items=(
        ItemSpec("written_systems", "组织生活等五项制度成文", "Five core systems written down"),
        ItemSpec(
            "democratic_centralism",
            "民主集中制与党政联席会议制度",
            "Democratic centralism and joint meetings",
        ),
        ItemSpec("commitments_signed", "党员承诺书签订", "Commitment letters signed"),
        ItemSpec("commitments_public", "党员承诺公示", "Commitments publicised"),
        ItemSpec("annual_plan", "年度工作计划", "Annual plan"),
        ItemSpec("annual_summary", "年度工作总结", "Annual summary"),
        ItemSpec("party_worker", "专兼职党务工作者", "Designated Party-affairs worker"),
        ItemSpec("venue", "党员活动场所", "Activity venue"),
        ItemSpec("facilities", "教育设施", "Education facilities"),
        ItemSpec("funds", "党建工作经费", "Party-building funds"),
        ItemSpec("info_system", "全国党员管理信息系统录入更新", "Member information system up to date"),
        ItemSpec("badges", "窗口岗位党员佩戴党徽", "Badges worn in window posts"),
        ItemSpec("responsibility_zones", "党员责任区/示范岗/先锋岗", "Responsibility zones and model posts"),
        ItemSpec("self_check", "年终自查报告", "Year-end self-check report"),
        ItemSpec("cxzy_plan", "创先争优活动方案", "创先争优 activity plan"),
        ItemSpec("task_division", "年度任务责任分工", "Responsibilities for the year's tasks"),
        ItemSpec("supervision", "党员监督制度", "Member supervision system"),
        ItemSpec("venue_inspection", "活动场所检查与整改", "Venue inspected and rectified"),
        ItemSpec("plan_submitted", "建设年实施方案报送组织部", "Implementation plan submitted"),
        ItemSpec("working_group", "建设年工作小组", "Construction-year working group"),
        ItemSpec("experience_summary", "经验总结与制度固化", "Experience summarised into standing rules"),
        ItemSpec("publicity", "好做法宣传与评选推荐", "Good practice publicised and nominated"),
        ItemSpec("seminar", "创先争优理论研讨", "创先争优 theory seminar"),
        ItemSpec("ningxiang", "学习宁乡经验大讨论", "Ningxiang-experience discussion"),
        ItemSpec(
            "cadre_pairing",
            "干部下基层结对联系",
            "Cadres paired with the grassroots",
            applies_to=("教工", "机关"),
        ),
        ItemSpec("party_school", "系部党校培训", "Department Party-school training"),
        ItemSpec("named_lagging", "被学院通报批评", "Publicly named by the college as lagging"),
    ),
    item_columns=(
        F("done", "是否落实", "In place", Kind.BOOL, YES_NO),
        F("date", "日期", "Date", Kind.DATE),
        F("count", "数量", "Count", Kind.NUMBER, hint="如：签订人数、经费（元）、责任区个数"),
        F("note", "佐证说明", "Evidence note", width=30),
    ),
    # Forms up to 2012.2 counted 党务公开 on this sheet (是否落实 and 数量); the 党务公开记录 register dates
    # each disclosure instead.
    former_items=(ItemSpec("transparency", "党务公开", "Party-affairs transparency"),),
)

# 党务公开 as a dated log (domain.md: 党务公开记录 — date, content, channel): one row per disclosure, so the
# quarters it covers can be counted, not only how many there were.
TRANSPARENCY_LOG = SheetSpec(
    name="党务公开记录",
    key="transparency_log",
    en="Party-affairs disclosures",
    required=False,
    note=(
        "每公开一次党务填一行：公开日期、公开内容、公开形式和范围、佐证材料。按学院党务公开实施方案，"
        "每季度至少公开一次；本年度未公开的季度请先公开再登记，不要用空表代替。"
    ),
    table=TableSpec(
        name="disclosures",
        zh="党务公开记录",
        en="Party-affairs disclosure log",
        columns=(
            F("date", "公开日期", "Date", Kind.DATE, required=True, aliases=("日期",)),
            F(
                "content",
                "公开内容",
                "Content",
                required=True,
                width=30,
                aliases=("内容",),
                hint="如：年度工作计划、发展党员公示、党费收缴情况、民主评议结果",
            ),
            F(
                "channel",
                "公开形式/范围",
                "Channel and audience",
                width=24,
                aliases=("公开形式", "公开范围", "公开形式和范围"),
                hint="如：公示栏、学院网站、党员大会；全院或本支部",
            ),
            F("evidence", "佐证", "Evidence", width=24, aliases=("佐证材料",)),
        ),
        template_rows=30,
    ),
)

STUDENT_CLASSES = SheetSpec(
    name="学生班级",
    key="student_classes",
    en="Student classes",
    required=False,
    applies_to=("学生",),
    note="学生党支部填写：每个班级一行。",
    table=TableSpec(
        name="student_classes",
        zh="学生班级",
        en="Student classes",
        columns=(
            F("class_name", "班级", "Class", required=True, width=20),
            F("study_year", "年级", "Year of study", Kind.ENUM, STUDY_YEARS),
            F("students", "学生人数", "Students", Kind.INT),
            F("members", "党员人数", "Members", Kind.INT),
            F("full_members", "其中正式党员", "of whom full members", Kind.INT),
            F("party_group", "是否建立党小组", "Party group set up", Kind.BOOL, YES_NO, width=16),
            F("failing_members", "挂科党员人数", "Members with failed courses", Kind.INT, width=14),
        ),
        template_rows=30,
    ),
)

SATISFACTION = SheetSpec(
    name="满意度测评",
    key="satisfaction",
    en="Satisfaction survey",
    note="党员群众满意度测评结果（人数）。满意率 =（满意+基本满意）÷ 参评人数。",
    fields=(
        F("surveyed_on", "测评日期", "Survey date", Kind.DATE),
        F("respondents", "参评人数", "Respondents", Kind.INT),
        F("satisfied", "满意", "Satisfied", Kind.INT),
        F("basically_satisfied", "基本满意", "Basically satisfied", Kind.INT),
        F("dissatisfied", "不满意", "Dissatisfied", Kind.INT),
    ),
)

NEGATIVE_LIST = SheetSpec(
    name="负面清单",
    key="negative_list",
    en="Veto conditions",
    note="逐项如实填写“是”或“否”；任一项为“是”，定为后进。",
    item_header="情形",
    items=(
        ItemSpec(
            "discipline", "班子成员近两年受到严重违纪违法处理", "Team member seriously disciplined in 2 years"
        ),
        ItemSpec(
            "inactive",
            "一年以上未开展组织活动或换届严重超期",
            "No activity for a year or election long overdue",
        ),
        ItemSpec(
            "petition", "近一年发生群体性上访或重大投诉", "Mass petition or major complaint in the last year"
        ),
        ItemSpec("disunity", "班子不团结、书记长期空缺", "Team disunited or secretary post long vacant"),
    ),
    item_columns=(
        F("present", "是否存在", "Applies", Kind.BOOL, YES_NO, required=True),
        F("note", "说明", "Explanation", width=40),
    ),
)

SELF_ASSESSMENT = SheetSpec(
    name="自评",
    key="self_assessment",
    en="Self-assessment",
    note="支部自评结果，以及分类定级时查找出的问题和整改措施。",
    fields=(
        F(
            "self_score",
            "本轮支部自评得分",
            "Self score",
            Kind.NUMBER,
            aliases=("自评得分",),
            hint="本支部对本轮（年初定级或年终自查）打出的自评分",
        ),
        F(
            "self_grade",
            "本轮支部自评等次",
            "Self grade",
            Kind.ENUM,
            GRADES,
            aliases=("自评等次",),
            hint="本支部对本轮（年初定级或年终自查）的自评结果，从下拉列表选择",
        ),
        F(
            "graded_on",
            "分类定级会议日期",
            "Grading meeting date",
            Kind.DATE,
            width=18,
            hint="支部召开本轮分类定级（自评）会议的日期",
        ),
        F(
            "baseline_grade",
            "年初上级定级等次",
            "Grade at the March grading",
            Kind.ENUM,
            GRADES,
            aliases=("年初定级等次",),
            hint="本年度年初定级时上级党组织评定的等次（不是支部自评），从下拉列表选择",
        ),
        F(
            "declared_committee_meetings",
            "全年支委会次数（填报）",
            "Committee meetings (declared)",
            Kind.INT,
            width=22,
        ),
        F("declared_lectures", "全年党课次数（填报）", "Party lectures (declared)", Kind.INT, width=22),
    ),
    table=TableSpec(
        name="problems",
        zh="存在问题与整改措施",
        en="Problems found and measures",
        columns=(
            F("problem", "存在问题", "Problem", required=True, width=36),
            F("measure", "整改措施", "Measure", width=36),
            F("owner", "责任人", "Owner"),
            F("due", "整改时限", "Deadline", Kind.DATE),
            F("state", "整改状态", "Status", Kind.ENUM, RECTIFICATION_STATES),
        ),
        template_rows=20,
    ),
)

SHEETS: tuple[SheetSpec, ...] = (
    BASIC,
    MEETINGS,
    STUDY_HOURS,
    TRAINING,
    CANDIDATES,
    SYSTEMS,
    TRANSPARENCY_LOG,
    STUDENT_CLASSES,
    SATISFACTION,
    NEGATIVE_LIST,
    SELF_ASSESSMENT,
)


def sheet(key: str) -> SheetSpec:
    return next(s for s in SHEETS if s.key == key)


@dataclass(frozen=True)
class FormLayout:
    """One profile's form: the sheets its template writes and its workbooks are read with, and the version
    stamped in the template's ``_meta`` sheet, which tells on reading which form a workbook was made from.
    ``profile`` names the profile the form was made for (its profile.toml says ``form = …``)."""

    profile: str
    version: str
    sheets: tuple[SheetSpec, ...]
    example_year: int  # the year of the date shown as an example when the template presets none
    # Versions earlier templates of this form stamped: their workbooks are still read with this form (what
    # moved elsewhere is read where they kept it, e.g. SheetSpec.former_items), and still belong to it.
    former_versions: tuple[str, ...] = ()
    # Versions this form's template stamped before it changed in a way an old workbook cannot be read by:
    # such a workbook is refused with the version and the fix (IN-47), not read as the current form.
    retired_versions: tuple[str, ...] = ()

    def sheet(self, key: str) -> SheetSpec:
        return next(s for s in self.sheets if s.key == key)

    def has(self, key: str) -> bool:
        return any(s.key == key for s in self.sheets)


# the seed's form (also the default); 2012.3 registers 党务公开 as a dated log
FORM_2012 = FormLayout("loudi-2012", TEMPLATE_VERSION, SHEETS, 2012, former_versions=("2012.1", "2012.2"))
