"""Which evaluator decides the rules: durable_rules where it is installed, the reference evaluator elsewhere.

durable-rules is a C extension that builds from source: it is declared only for CPython before 3.13 on
Linux and macOS (it has no Windows build and does not import on 3.13). Both evaluators run the same rule
specs and give byte-identical results (property-tested), so ``auto`` — the default — takes durable_rules
where it imports and the reference evaluator everywhere else; ``durable`` or ``reference`` forces one.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

EvaluatorName = Literal["durable", "reference"]
CHOICES = ("auto", "durable", "reference")


class EvaluatorUnavailable(ValueError):
    """The evaluator asked for cannot run here (a usage error: exit 2); ``zh`` and ``en`` say why."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@cache
def durable_available() -> bool:
    """durable_rules' engine imports in this interpreter (the adapter, the one module that imports it,
    tried)."""
    from engine.rulebook import durable_adapter

    return durable_adapter.engine_installed()


def resolve_evaluator(choice: str) -> EvaluatorName:
    """The evaluator ``choice`` (``auto``, ``durable`` or ``reference``) means on this machine."""
    if choice == "reference" or (choice == "auto" and not durable_available()):
        return "reference"
    if choice in ("auto", "durable") and durable_available():
        return "durable"
    if choice == "durable":
        raise EvaluatorUnavailable(
            "本机未安装 durable_rules（它只在 Linux/macOS 的 CPython 3.11、3.12 上安装），请用 --evaluator "
            "reference 或 auto，两者结果相同",
            "durable_rules is not installed here (it installs only on CPython 3.11 and 3.12 on Linux and "
            "macOS): use --evaluator reference or auto, which give the same results",
        )
    raise EvaluatorUnavailable(
        f"--evaluator 只能是 {'、'.join(CHOICES)}（而不是 {choice!r}）",
        f"--evaluator must be one of {', '.join(CHOICES)} (got {choice!r})",
    )

