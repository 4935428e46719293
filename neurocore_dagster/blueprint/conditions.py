"""Condition expressions, checked when a blueprint is loaded.

flowengine evaluates a condition with only ``context`` (and ``True``, ``False``,
``None``) in scope, after its safe-AST validator has refused calls, lambdas,
comprehensions and assignments. We apply the same validator at load time, and
are stricter in two ways that turn run-time surprises into load-time errors:
any other name is unknown (it could only ever raise ``NameError``), and no name
or attribute may start with an underscore (``context.__class__`` is refused).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from flowengine.eval.safe_ast import SafeASTValidator

ALLOWED_NAMES = ("context", "True", "False", "None")


@dataclass(frozen=True)
class ConditionProblem:
    type: str
    msg: str
    expected: str


def condition_problems(expression: str) -> list[ConditionProblem]:
    """Every reason ``expression`` cannot be a condition (empty when it can)."""
    if not expression.strip():
        return [
            ConditionProblem(
                "condition.empty", "condition is empty", "a Python expression over `context`"
            )
        ]
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        return [
            ConditionProblem(
                "condition.syntax",
                f"invalid syntax{where}: {exc.msg}",
                "a Python expression over `context`",
            )
        ]
    problems: list[ConditionProblem] = []
    validator = SafeASTValidator()
    if not validator.validate(tree):
        kinds = sorted({e.removeprefix("Disallowed node type: ") for e in validator.errors})
        problems.append(
            ConditionProblem(
                "condition.unsafe",
                f"conditions may not contain {', '.join(kinds)}",
                "comparisons, boolean logic, arithmetic, literals, attribute and item access",
            )
        )
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                problems.append(_private(node.id))
            elif node.id not in ALLOWED_NAMES:
                problems.append(
                    ConditionProblem(
                        "condition.unknown_name",
                        f"unknown name {node.id!r}",
                        "context (e.g. context.data.score > 0.5)",
                    )
                )
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            problems.append(_private(node.attr))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("_")
            and _is_subscript_key(tree, node)
        ):
            problems.append(_private(node.value))
    return problems


def _private(name: str) -> ConditionProblem:
    return ConditionProblem(
        "condition.private_name",
        f"names starting with '_' are not allowed ({name!r})",
        "public attributes such as context.data.<key>",
    )


def _is_subscript_key(tree: ast.AST, constant: ast.Constant) -> bool:
    return any(isinstance(n, ast.Subscript) and n.slice is constant for n in ast.walk(tree))
