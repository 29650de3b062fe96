"""The catalogue of ``rules lint`` codes as data: code, symbol, severity, message and fix in zh and en.

Every issue ``rules lint`` reports is listed here once; ``engine.rulebook.lint`` builds each issue from its
entry with ``lint_text`` and ``docs/lint-codes.md`` is generated from it (``make docs``). Codes are grouped
by tens: L0x the loader's refusals, L1x grade bands, L2x one rule, L3x parameters, deadlines and facts,
L4x rule examples. Templates use ``{placeholders}``; a ``Text`` context value reads differently per language.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import Scalar, Severity, Text, fill_template


@dataclass(frozen=True)
class LintCode:
    code: str
    symbol: str  # a readable name for the code, stable like the code
    severity: Severity
    message: Text
    fix: Text


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO  # error, warning, note

LINT_CODES: tuple[LintCode, ...] = (
    LintCode(
        "L01",
        "loader-refuses",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t("按提示修改该文件后重新运行 rules lint", "correct the file as the problem says and lint again"),
    ),
    LintCode(
        "L02",
        "unknown-name",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t(
            "改用 schemas/facts.py FACTS 中的事实名、profile.toml [params] 中的参数、"
            "[deadlines] 中的期限或已有指标",
            "use a fact of schemas/facts.py FACTS, a parameter of profile.toml [params], a deadline of "
            "[deadlines] or a known indicator",
        ),
    ),
    LintCode(
        "L03",
        "duplicate-code",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t(
            "给其中一条规则换一个未用过的编号（文件名随之改名）",
            "give one of the rules an unused code (and rename its file)",
        ),
    ),
    LintCode(
        "L04",
        "retired-code-reused",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t("退役编号永不复用：换一个新编号", "retired codes are never reused: pick a new code"),
    ),
    LintCode(
        "L05",
        "alias-collides",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t(
            "别名只用于保留规则改号前的旧编号：删除与现有编号或其他别名相同的别名",
            "an alias keeps a renumbered rule's old code: remove an alias that is a rule's code or "
            "another rule's alias",
        ),
    ),
    LintCode(
        "L10",
        "bands-overlap",
        E,
        _t(
            "等次 {band}（下限 {min}）不低于前一等次 {prev}（下限 {prev_min}）：分数段重叠或顺序颠倒",
            "band {band} (min {min}) is not below the band before it, {prev} (min {prev_min}): "
            "the bands overlap or are out of order",
        ),
        _t("等次按从好到差排列，下限严格递减", "list bands best first with strictly decreasing minimums"),
    ),
    LintCode(
        "L11",
        "band-gap-below",
        E,
        _t(
            "最低等次 {band} 的下限是 {min}，不是 0：低于它的总分没有对应分数段",
            "the lowest band {band} starts at {min}, not 0: totals below it fall in no band",
        ),
        _t("把最低等次的 min 设为 0", "set min = 0 for the lowest band"),
    ),
    LintCode(
        "L12",
        "top-band-out-of-reach",
        E,
        _t(
            "最高等次 {band} 需要 {min} 分，而各指标满分合计只有 {points} 分",
            "the top band {band} needs {min} but the indicators add up to {points}",
        ),
        _t("降低最高等次的下限或调整指标分值", "lower the top band's minimum or the indicators' points"),
    ),
    LintCode(
        "L13",
        "band-unreachable",
        E,
        _t(
            "等次 {band}（{name}）无法达到：可能的总分（{low}–{high}，共 {count} 种）"
            "没有一个落在该分数段，也没有否决或封顶会定为该等次",
            "band {band} ({name}) cannot be reached: none of the {count} achievable totals "
            "({low}–{high}) falls in it, and no veto or cap leads to it",
        ),
        _t(
            "调整等次下限或规则扣分，使该分数段可以达到",
            "move the band's minimum or the rules' deductions so that some total falls in it",
        ),
    ),
    LintCode(
        "L14",
        "unknown-grade",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t("改为 [[grading.grades]] 中已有的等次代码", "use a grade code listed in [[grading.grades]]"),
    ),
    LintCode(
        "L15",
        "cap-lifted-by-unknown-rule",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t(
            "lifted_by 只列本规则集中条件恰为该封顶解除条件的规则编号（如 FB-01），或删去该项",
            "list in lifted_by only codes of this profile's rules whose condition is the cap's lifting "
            "(e.g. FB-01), or remove the entry",
        ),
    ),
    LintCode(
        "L16",
        "weights-do-not-sum-to-one",
        E,
        _t(
            "[policy] 加权：依据得分权重 {evidence} 与审定评分权重 {review} 之和为 {sum}，不是 1",
            "[policy] weights: evidence {evidence} and review {review} add up to {sum}, not 1",
        ),
        _t(
            "调整 weights，使两者之和为 1（如 0.7 与 0.3）",
            "make the two weights add up to 1 (e.g. 0.7 and 0.3)",
        ),
    ),
    LintCode(
        "L17",
        "quota-cannot-be-met",
        E,
        _t("[policy] 第 {n} 条名额限制无法满足：{why}", "[policy] quota {n} cannot be met: {why}"),
        _t(
            "上限只能设在最低等次之上（超出者降一个等次）；删去或改正该条",
            "a cap needs a band below it (branches beyond it move down one band): remove or correct it",
        ),
    ),
    LintCode(
        "L18",
        "quota-makes-band-unreachable",
        E,
        _t(
            "[policy] 第 {n} 条名额限制使等次 {bands} 无法达到：{why}",
            "[policy] quota {n} makes {bands} unreachable: {why}",
        ),
        _t(
            "名额比例应大于 0（上限）或小于 1（下限），否则相应等次永远无人",
            "a cap's share must be above 0 and a floor's below 1, or those bands stay empty",
        ),
    ),
    LintCode(
        "L20",
        "deduction-exceeds-indicator",
        W,
        _t(
            "{rule} 最多扣 {ceiling} 分，超过指标 {indicator} 的满分 {points} 分",
            "{rule} can deduct {ceiling}, more than its indicator {indicator} is worth ({points})",
        ),
        _t(
            "把 deduction 的 points / max 降到不超过指标分值",
            "lower deduction.points / max to at most the indicator's points",
        ),
    ),
    LintCode(
        "L21",
        "veto-with-deduction",
        E,
        _t(
            "{rule} 是一票否决规则，却设置了扣分 {ceiling}（评定时不计）",
            "{rule} is a veto rule with a deduction of {ceiling}, which grading ignores",
        ),
        _t(
            '否决规则写 deduction = {{ points = 0 }}；要扣分就改为 kind = "deduction"',
            'write deduction = {{ points = 0 }} for a veto; make it kind = "deduction" to deduct points',
        ),
    ),
    LintCode(
        "L22",
        "zero-deduction",
        E,
        _t(
            "{rule} 是扣分规则，但扣分为 0，永远不会扣分",
            "{rule} is a deduction rule that deducts 0 points: it can never take a point",
        ),
        _t(
            '设置 deduction.points；若只作提醒，改为 kind = "suggestion"；若为否决，改为 kind = "veto"',
            'set deduction.points, or make it kind = "suggestion" (a reminder) or kind = "veto"',
        ),
    ),
    LintCode(
        "L23",
        "suggestion-with-deduction",
        W,
        _t(
            "{rule} 是建议类规则，设置的扣分 {ceiling} 在评定时不计",
            "{rule} is a suggestion; its deduction of {ceiling} is ignored by grading",
        ),
        _t(
            '建议类规则写 deduction = {{ points = 0 }}，或改为 kind = "deduction"',
            'write deduction = {{ points = 0 }}, or make it kind = "deduction"',
        ),
    ),
    LintCode(
        "L24",
        "rule-never-decides",
        W,
        _t("{rule}：{why}", "{rule}: {why}"),
        _t(
            "修正 years / applies，让 condition 比较事实与参数，或删除该规则",
            "correct years / applies, make condition compare a fact with a parameter, or remove the rule",
        ),
    ),
    LintCode(
        "L30",
        "unused-parameter",
        W,
        _t(
            "参数 {name} 没有被任何规则、封顶条件、KPI 或事实计算使用",
            "parameter {name} is used by no rule, cap, KPI nor the facts stage (dead parameter)",
        ),
        _t("删除该参数，或在规则中使用它", "remove the parameter or use it in a rule"),
    ),
    LintCode(
        "L31",
        "unused-fact",
        N,
        _t(
            "事实 {name}（{title}）没有被本规则集的任何规则或封顶条件使用",
            "fact {name} ({title}) is used by no rule or cap of this profile",
        ),
        _t(
            "如有相应要求，为它写一条规则；否则可忽略",
            "write a rule for it if the plan asks for one; otherwise nothing to do",
        ),
    ),
    LintCode(
        "L32",
        "unused-deadline",
        W,
        _t(
            "期限 {name}（{date}）没有被任何规则的整改期限、条件或评估窗口使用",
            "deadline {name} ({date}) is used by no rule's deadline or condition and by no window "
            "(dead deadline)",
        ),
        _t(
            "删除该期限，或在规则的 deadline / condition 中使用它",
            "remove the deadline or name it in a rule's deadline or condition",
        ),
    ),
    LintCode(
        "L40",
        "example-expect-wrong",
        E,
        _t(
            "{rule} 示例 {example} 预期 {expect}，实际为 {actual}",
            "{rule} example {example} expects {expect} but evaluates to {actual}",
        ),
        _t(
            "修正示例的 expect（或事实、参数），或修正规则条件",
            "correct the example's expect (or its facts or params), or the rule's condition",
        ),
    ),
    LintCode(
        "L41",
        "example-cannot-run",
        E,
        _t("{subject}：{problem}", "{subject}: {problem}"),
        _t(
            "检查示例中事实与参数的值类型和最近修改的条件；两个求值器不一致是求值器的缺陷，请报告，修复前不要发布结果",
            "check the types of the example's facts and params and the conditions changed most recently; "
            "evaluators that disagree are an evaluator bug: report it and publish no results until fixed",
        ),
    ),
    LintCode(
        "L42",
        "example-missing-outcome",
        E,
        _t("规则库无法加载：{problem}", "the loader refuses this: {problem}"),
        _t("补充一个预期为 passed / failed 的示例", "add an example expecting passed / failed"),
    ),
    LintCode(
        "L43",
        "example-missing-not-applicable",
        W,
        _t(
            "{rule} 有适用条件（{applies}），但没有预期 not_applicable 的示例",
            "{rule} has an applicability condition ({applies}) but no example expecting not_applicable",
        ),
        _t("补充一个不适用的示例", "add an example where the rule does not apply"),
    ),
)

LINT_CATALOGUE: dict[str, LintCode] = {c.code: c for c in LINT_CODES}


def lint_text(code: str, **ctx: Scalar | Text) -> tuple[Text, Text]:
    """The message and fix of lint ``code`` with ``ctx`` filled in, per language."""
    spec = LINT_CATALOGUE[code]
    rendered: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    for lang in ("zh", "en"):
        values = {k: (v.get(lang) if isinstance(v, Text) else _shown(v)) for k, v in ctx.items()}
        for part in ("message", "fix"):
            rendered[lang][part] = fill_template(getattr(spec, part).get(lang), values, code)
    return (
        Text(zh=rendered["zh"]["message"], en=rendered["en"]["message"]),
        Text(zh=rendered["zh"]["fix"], en=rendered["en"]["fix"]),
    )


def _shown(value: Scalar) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
