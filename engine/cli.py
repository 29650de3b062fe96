"""The ``branchgrade`` command: a thin layer over engine.pipeline and the stage APIs.

Exit codes: 0 every workbook graded (or valid), 1 some workbook could not be graded, 2 usage error.
Output is Chinese by default; ``--lang en`` switches to English.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from engine import pipeline
from engine.export.explain import explain
from engine.export.template import write_template
from engine.rulebook import RulebookError, load_profile, render_catalogue
from engine.rulebook.choice import evaluator_label
from engine.rulebook.conditions import parse
from engine.rulebook.lint import counts as lint_counts
from engine.rulebook.lint import lint_profile
from schemas.common import Lang, Severity
from schemas.form_layout import BRANCH_TYPES
from schemas.rules import Profile

EXIT_OK, EXIT_UNGRADABLE, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="党支部分类定级：评定等次并生成整改清单。Grade Party branches from filled workbooks.",
)
rules_app = typer.Typer(no_args_is_help=True, help="查看规则集 / inspect a profile's rules")
app.add_typer(rules_app, name="rules")

out = Console(soft_wrap=True)  # long Chinese lines stay whole for copying and grep
err = Console(stderr=True)

LangOpt = Annotated[str, typer.Option("--lang", help="输出语言 zh 或 en / output language")]
ProfileOpt = Annotated[str, typer.Option("--profile", help="规则集名称或文件夹 / profile name or folder")]
EvaluatorOpt = Annotated[
    str,
    typer.Option(
        "--evaluator",
        help="规则求值器 auto|durable|reference（auto：有 durable_rules 时用它）/ rule evaluator; auto "
        "takes durable_rules where it is installed, else the reference evaluator (same results)",
    ),
]


def _lang(value: str) -> Lang:
    if value not in ("zh", "en"):
        err.print(f"--lang 只能是 zh 或 en / --lang must be zh or en (got {value!r})")
        raise typer.Exit(EXIT_USAGE)
    return "en" if value == "en" else "zh"


def _usage(message: str) -> typer.Exit:
    err.print(message, markup=False)
    return typer.Exit(EXIT_USAGE)


@app.command()
def template(
    output: Annotated[Path, typer.Argument(help="要生成的空白工作簿 / the blank workbook to write (.xlsx)")],
    branch_type: Annotated[
        str | None,
        typer.Option("--type", help="预选支部类型 / preselect the branch type: " + "|".join(BRANCH_TYPES)),
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="考核年度 / assessment year")] = None,
) -> None:
    """生成空白定级工作簿 / write the blank grading workbook."""
    if branch_type is not None and branch_type not in BRANCH_TYPES:
        raise _usage(
            f"--type 只能是 {'、'.join(BRANCH_TYPES)} / --type must be one of {', '.join(BRANCH_TYPES)}"
        )
    if output.suffix.lower() != ".xlsx":
        raise _usage("模板文件名须以 .xlsx 结尾 / the template file name must end in .xlsx")
    if output.exists():
        raise _usage(f"{output} 已存在，不会覆盖 / {output} exists; not overwriting")
    write_template(output, branch_type=branch_type, year=year)
    out.print(f"已生成 {output}", markup=False)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="要检查的工作簿 / workbooks to check")],
    lang: LangOpt = "zh",
    profile: ProfileOpt = "loudi-2012",
) -> None:
    """检查工作簿，一次列出全部问题 / report every problem of each workbook."""
    language = _lang(lang)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise _usage(("找不到文件 / file not found: ") + ", ".join(missing))
    try:
        checked = pipeline.check_files(files, profile)
    except RulebookError as exc:
        raise _usage(str(exc)) from exc
    any_error = False
    for name, problems in checked:
        errors = [p for p in problems if p.severity is Severity.ERROR]
        any_error = any_error or bool(errors)
        if not problems:
            out.print(f"✓ {name}: " + ("no problems" if language == "en" else "未发现问题"), markup=False)
            continue
        head = (
            f"✗ {name}: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)"
            if language == "en"
            else f"✗ {name}：{len(errors)} 个错误，{len(problems) - len(errors)} 个提醒"
        )
        out.print(head, markup=False)
        for p in problems:
            out.print("  " + p.render(language), markup=False)
    raise typer.Exit(EXIT_UNGRADABLE if any_error else EXIT_OK)


@app.command()
def grade(
    folder: Annotated[Path, typer.Argument(help="存放各支部工作簿的文件夹 / folder of branch workbooks")],
    output: Annotated[Path, typer.Option("-o", "--out", help="输出文件夹 / output folder")],
    lang: LangOpt = "zh",
    profile: ProfileOpt = "loudi-2012",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="并行进程数（0=本进程）/ worker processes (0 = in-process)"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="覆盖上次运行的输出 / replace a previous run's outputs")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="显示进度条 / show a progress bar")
    ] = True,
    evaluator: EvaluatorOpt = "auto",
) -> None:
    """批量评定文件夹内的全部工作簿 / grade every workbook in a folder."""
    language = _lang(lang)
    if workers is not None and workers < 0:
        raise _usage("--workers 不能为负数 / --workers must be ≥ 0")
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not progress,
        transient=True,
    )
    task = bar.add_task("评定中" if language == "zh" else "grading", total=None)
    try:
        with bar:
            run = pipeline.grade_folder(
                folder,
                output,
                profile,
                language,
                workers,
                force,
                sys.argv,
                on_start=lambda n: bar.update(task, total=n),
                on_done=lambda _o: bar.advance(task),
                evaluator=evaluator,
            )
    except (pipeline.UsageError, RulebookError) as exc:
        raise _usage(str(exc)) from exc
    _print_batch(run, language)
    out.print(evaluator_label(run.evaluator, language), markup=False)
    raise typer.Exit(run.exit_code)


def _print_batch(run: pipeline.BatchRun, lang: Lang) -> None:
    # run.files/.grades/.kpis, not run.report: that loads every result back from results.json.
    graded = [f for f in run.files if f.status == "graded"]
    bad = [f for f in run.files if f.status == "ungradable"]
    sep = ", " if lang == "en" else "，"
    dist = sep.join(f"{grade.name.get(lang)} {n}" for grade, n in run.grades)  # codes sort best first
    if lang == "en":
        out.print(
            f"Graded {len(graded)} of {len(run.files)} workbooks ({dist}). Outputs in {run.out}",
            markup=False,
        )
    else:
        out.print(
            f"共 {len(run.files)} 个工作簿，已评定 {len(graded)} 个（{dist}）。结果在 {run.out}",
            markup=False,
        )
    for kpi in run.kpis:
        actual = "—" if kpi.actual is None else f"{kpi.actual:.0%}"
        mark = "✓" if kpi.met else "✗"
        out.print(f"{mark} {kpi.code} {kpi.title.get(lang)}: {actual}", markup=False)
    for f in bad:
        out.print(("✗ ungradable: " if lang == "en" else "✗ 无法评定：") + f.file, markup=False)
        for p in f.problems:
            if p.severity is Severity.ERROR:
                out.print("    " + p.render(lang), markup=False)


@app.command("explain")
def explain_cmd(
    file: Annotated[Path, typer.Argument(help="一个支部的工作簿 / one branch workbook")],
    lang: LangOpt = "zh",
    profile: ProfileOpt = "loudi-2012",
    evaluator: EvaluatorOpt = "auto",
) -> None:
    """逐条说明一个支部的评定过程 / print one branch's full trace."""
    language = _lang(lang)
    if not file.is_file():
        raise _usage(f"找不到文件 / file not found: {file}")
    try:
        name = pipeline.choose_evaluator(evaluator)
        outcome = pipeline.explain_file(file, profile, name)
    except (pipeline.UsageError, RulebookError) as exc:
        raise _usage(str(exc)) from exc
    if outcome.result is None:
        for p in outcome.report.problems:
            out.print(p.render(language), markup=False)
        raise typer.Exit(EXIT_UNGRADABLE)
    out.print(explain(outcome.result, lang=language), markup=False)
    out.print(evaluator_label(name, language), markup=False)


@rules_app.command("list")
def rules_list(profile: ProfileOpt = "loudi-2012", lang: LangOpt = "zh") -> None:
    """列出规则 / list the rules of a profile."""
    language = _lang(lang)
    loaded = _load(profile)
    for rule in loaded.rules:
        out.print(
            f"{rule.code}  {rule.kind:<10} {rule.indicator:<12} {rule.title.get(language)}", markup=False
        )


@rules_app.command("show")
def rules_show(code: str, profile: ProfileOpt = "loudi-2012", lang: LangOpt = "zh") -> None:
    """显示一条规则 / show one rule: title, rationale, source, condition, examples."""
    language = _lang(lang)
    loaded = _load(profile)
    rule = next((r for r in loaded.rules if r.code == code.upper()), None)
    if rule is None:
        raise _usage(f"规则 {code} 不存在 / no rule {code} in {loaded.name}")
    zh = language == "zh"
    used = parse(rule.condition, rule.code).names() | parse(rule.applies, rule.code).names()
    params = ", ".join(f"{name} = {loaded.params[name]}" for name in sorted(used) if name in loaded.params)
    deduction = f"{rule.deduction.points:g}" + (
        f" × {'期' if zh else 'period'} ≤ {rule.deduction.ceiling:g}" if rule.deduction.per_period else ""
    )
    rows = [
        ("指标" if zh else "indicator", f"{rule.indicator} · {rule.kind} · {deduction}"),
        ("条件" if zh else "condition", rule.condition),
        ("适用" if zh else "applies", rule.applies + (f"  years={list(rule.years)}" if rule.years else "")),
        ("参数" if zh else "parameters", params or "—"),
        ("依据" if zh else "source", f"{rule.source.document} {rule.source.clause} {rule.source.text}"),
        ("理由" if zh else "rationale", rule.rationale.get(language)),
        ("整改" if zh else "fix", rule.rectification.get(language)),
    ]
    rows += [
        ("示例" if zh else "example", f"{ex.name}: {ex.facts} -> {ex.expect.value}") for ex in rule.examples
    ]
    lines = [f"{rule.code} {rule.title.get(language)}", *(f"  {label}: {value}" for label, value in rows)]
    out.print("\n".join(lines), markup=False)


@rules_app.command("catalogue")
def rules_catalogue(profile: ProfileOpt = "loudi-2012") -> None:
    """重新生成规则目录 CATALOGUE.md / regenerate the profile's CATALOGUE.md."""
    loaded = _load(profile)
    from engine.rulebook import catalogue_path

    path = catalogue_path(profile)
    path.write_text(render_catalogue(loaded), encoding="utf-8")
    out.print(f"wrote {path}", markup=False)


@rules_app.command("lint")
def rules_lint(profile: ProfileOpt = "loudi-2012", lang: LangOpt = "zh") -> None:
    """检查规则集：未知事实或参数、重复编号、分数段缺口或重叠、达不到的等次、示例错误等 / lint a profile."""
    language = _lang(lang)
    try:
        issues = lint_profile(profile)
    except RulebookError as exc:  # no such profile folder: a usage error
        raise _usage(str(exc)) from exc
    for issue in issues:
        out.print(issue.render(language), markup=False)
    n = lint_counts(issues)
    errors, warnings, infos = n[Severity.ERROR], n[Severity.WARNING], n[Severity.INFO]
    if language == "en":
        out.print(f"{errors} error(s), {warnings} warning(s), {infos} note(s)", markup=False)
    else:
        out.print(f"{errors} 个错误，{warnings} 个警告，{infos} 个提示", markup=False)
    raise typer.Exit(EXIT_UNGRADABLE if errors else EXIT_OK)


def _load(profile: str) -> Profile:
    try:
        return load_profile(profile)
    except RulebookError as exc:
        raise _usage(str(exc)) from exc


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # python -m engine.cli
    app()
