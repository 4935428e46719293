"""Condition expressions, checked when a blueprint is loaded.

flowengine evaluates a condition with only ``context`` (and ``True``, ``False``,
``None``) in scope, after its safe-AST validator has refused calls, lambdas,
comprehensions and assignments. We apply the same validator at load time, and
are stricter in two ways that turn run-time surprises into load-time errors:
any other name is unknown (it could only ever raise ``NameError``), and no name
or attribute may start with an underscore (``context.__class__`` is refused).
An expression nested deeper than :data:`MAX_CONDITION_DEPTH` is refused too: it
could only exhaust the interpreter's stack, here or when flowengine compiles it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from flowengine.eval.safe_ast import SafeASTValidator

ALLOWED_NAMES = ("context", "True", "False", "None")

MAX_CONDITION_DEPTH = 50
"""Deepest nesting of a condition's syntax tree (``not not ... x``, ``a.b.c...``)."""


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
    except (RecursionError, MemoryError):
        return [_too_deep()]
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        return [
            ConditionProblem(
                "condition.syntax",
                f"invalid syntax{where}: {exc.msg}",
                "a Python expression over `context`",
            )
        ]
    if _depth(tree) > MAX_CONDITION_DEPTH:
        return [_too_deep()]
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


def _too_deep() -> ConditionProblem:
    return ConditionProblem(
        "condition.too_deep",
        f"condition nests deeper than {MAX_CONDITION_DEPTH} levels",
        "a flatter expression (split it over several steps or edges)",
    )


def _depth(tree: ast.AST) -> int:
    """The depth of ``tree``, measured without recursion (the tree may be very deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _private(name: str) -> ConditionProblem:
    return ConditionProblem(
        "condition.private_name",
        f"names starting with '_' are not allowed ({name!r})",
        "public attributes such as context.data.<key>",
    )


def _is_subscript_key(tree: ast.AST, constant: ast.Constant) -> bool:
    return any(isinstance(n, ast.Subscript) and n.slice is constant for n in ast.walk(tree))
