"""Condition expressions, checked when a blueprint is loaded.

flowengine evaluates a condition with only ``context`` (and ``True``, ``False``,
``None``) in scope, after its safe-AST validator has refused calls, lambdas,
comprehensions and assignments. We apply the same validator at load time. What
flowengine refuses only when it evaluates a condition (invalid syntax, a node
its validator refuses, a name other than ``context``, which can only raise
``NameError``) is a located *warning* (:data:`RUN_TIME_REFUSALS`): NeuroCore
accepts such a document, and at run time the condition fails as in flowengine,
so ``on_condition_error`` decides. An empty condition is no condition, as in
flowengine (a warning says so). Refused at load: a name or attribute starting
with an underscore (``context.__class__``; flowengine would evaluate it), and an
expression nested deeper than :data:`MAX_CONDITION_DEPTH` (it could only exhaust
the interpreter's stack, here or when flowengine compiles it).

Conditions are bounded in what they may build. One longer than
:data:`MAX_CONDITION_CHARS` is refused before it is parsed. A repetition or a
``%`` format whose result is visibly larger than :data:`MAX_CONDITION_VALUE`
(``'a' * 100000 * 100000``, ``'%0999999999d' % 1``) is refused here; one that
depends on run data is stopped when it is evaluated (see
:mod:`neurocore_dagster.runtime.expressions`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from flowengine.eval.safe_ast import SafeASTValidator

from neurocore_dagster.blueprint.python_ast import parse_expression

ALLOWED_NAMES = ("context", "True", "False", "None")

RUN_TIME_REFUSALS = frozenset(
    {"condition.syntax", "condition.unsafe", "condition.unknown_name", "condition.empty"}
)
"""Problems flowengine finds only when it evaluates the condition: warnings at load."""

MAX_CONDITION_DEPTH = 50
"""Deepest nesting of a condition's syntax tree (``not not ... x``, ``a.b.c...``)."""

MAX_CONDITION_CHARS = 10_000
"""Longest condition accepted (characters)."""

MAX_CONDITION_VALUE = 1_000_000
"""Most items (characters of a string) a repetition or ``%`` format in a condition may build."""

_FORMAT_FIELD = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
"""A ``%`` conversion's width and precision (``%08.3f``, ``%(name)*d``); ``%%`` has none."""


@dataclass(frozen=True)
class ConditionProblem:
    type: str
    msg: str
    expected: str


def condition_problems(
    expression: str,
    *,
    names: tuple[str, ...] = ALLOWED_NAMES,
    calls: frozenset[str] = frozenset(),
) -> list[ConditionProblem]:
    """Every reason ``expression`` cannot be a condition (empty when it can).

    ``names`` are the names in scope; ``calls`` the functions it may call, each with one
    positional argument (an asset check's condition allows ``len``; a flow's none).
    """
    if len(expression) > MAX_CONDITION_CHARS:
        return [
            ConditionProblem(
                "condition.too_long",
                f"condition is {len(expression)} characters long",
                f"at most {MAX_CONDITION_CHARS} characters (move the logic into a skill)",
            )
        ]
    if not expression:
        return [
            ConditionProblem(
                "condition.empty",
                "condition is empty, which flowengine reads as no condition",
                "a Python expression over `context`, or no condition key",
            )
        ]
    try:
        tree = parse_expression(expression)
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
    problems: list[ConditionProblem] = _size_problems(tree)
    validator = CallsValidator(calls)
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
            elif node.id not in names and not _is_called(tree, node, calls):
                problems.append(
                    ConditionProblem(
                        "condition.unknown_name",
                        f"unknown name {node.id!r}",
                        f"{' or '.join(n for n in names if n[0].islower())} "
                        "(e.g. context.data.score > 0.5)",
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


class CallsValidator(SafeASTValidator):
    """flowengine's validator, also allowing ``f(x)`` for the names in ``calls``."""

    def __init__(self, calls: frozenset[str]) -> None:
        super().__init__()
        self.calls = calls

    def visit_Call(self, node: ast.Call) -> None:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in self.calls
            and len(node.args) == 1
            and not node.keywords
            and not isinstance(node.args[0], ast.Starred)
        ):
            self.visit(node.args[0])
            return
        self.generic_visit(node)


def _is_called(tree: ast.AST, name: ast.Name, calls: frozenset[str]) -> bool:
    """Whether ``name`` is the function of an allowed call."""
    return name.id in calls and any(
        isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree)
    )


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


def format_width(template: str | bytes) -> tuple[int, bool]:
    """The largest width or precision a ``%`` template writes out, and whether one is ``*``
    (taken from the arguments)."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    widest, starred = 0, False
    for match in _FORMAT_FIELD.finditer(text):
        for part in match.groups():
            if part == "*":
                starred = True
            elif part:
                widest = max(widest, int(part))
    return widest, starred


def _size_problems(tree: ast.AST) -> list[ConditionProblem]:
    """A repetition or ``%`` format whose constant operands build too large a value."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp):
            continue
        size = _static_size(node)
        if (size is not None and size > MAX_CONDITION_VALUE) or _wide_format(node):
            return [
                ConditionProblem(
                    "condition.too_large",
                    "condition builds a value of more than "
                    f"{MAX_CONDITION_VALUE:,} items or characters",
                    "a comparison of values the run provides, not a large constant",
                )
            ]
    return []


def _wide_format(node: ast.BinOp) -> bool:
    left = _constant(node.left)
    if not isinstance(node.op, ast.Mod) or not isinstance(left, str | bytes):
        return False
    return format_width(left)[0] > MAX_CONDITION_VALUE


def _static_size(node: ast.AST) -> int | None:
    """The length of the sequence ``node`` builds, when its operands are constants."""
    value = _constant(node)
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(node, ast.List | ast.Tuple):
        return len(node.elts)
    if not isinstance(node, ast.BinOp):
        return None
    if isinstance(node.op, ast.Add):
        left, right = _static_size(node.left), _static_size(node.right)
        return left + right if left is not None and right is not None else None
    if not isinstance(node.op, ast.Mult):
        return None
    for sequence, count in ((node.left, node.right), (node.right, node.left)):
        size, times = _static_size(sequence), _static_int(count)
        if size is not None and times is not None:
            return size * max(times, 0)
    return None


def _static_int(node: ast.AST) -> int | None:
    """The value of an integer expression of constants (``100000 * 100000``), else None."""
    value = _constant(node)
    if isinstance(value, int):
        return int(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _static_int(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Add | ast.Sub):
        left, right = _static_int(node.left), _static_int(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        return left + right if isinstance(node.op, ast.Add) else left - right
    return None


def _constant(node: ast.AST) -> Any:
    return node.value if isinstance(node, ast.Constant) else None
