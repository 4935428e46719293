"""Evaluate a condition as flowengine's ``ConditionEvaluator`` does, compiled once and bounded.

The meaning is flowengine's: the same safe-AST validation, the same names in
scope (``context``, ``True``, ``False``, ``None``, no builtins), the truth of
the result, and the same ``ConditionEvaluationError`` texts. Two things
differ, neither in a result:

* each condition is parsed, validated and compiled once per process (an LRU
  cache of code objects), not at every evaluation;
* every ``*`` and ``%`` runs through a guard that first checks the size of
  what it would build: a sequence repeated, or a ``%`` template's widths,
  past :data:`~neurocore_dagster.blueprint.condition_check.MAX_CONDITION_VALUE`
  raises ``ConditionEvaluationError`` naming the condition (flowengine would
  try to allocate it), which the flow's ``on_condition_error`` policy handles.
"""

from __future__ import annotations

import ast
import functools
from types import CodeType
from typing import Any

from flowengine import FlowContext
from flowengine.errors import ConditionEvaluationError
from flowengine.eval.safe_ast import SafeASTValidator

from neurocore_dagster.blueprint.condition_check import (
    MAX_CONDITION_VALUE,
    CallsValidator,
    format_width,
)
from neurocore_dagster.blueprint.python_ast import compile_expression, parse_expression

_MUL = "__neurocore_mul"
_MOD = "__neurocore_mod"
_SEQUENCES = (str, bytes, list, tuple)


class _TooLarge(Exception):
    """A guarded operation would build a value past the bound (raised before it is built)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def evaluate(condition: str, context: FlowContext) -> bool:
    """flowengine's ``ConditionEvaluator().evaluate(condition, context)``, bounded."""
    return _evaluate(condition, _compiled(condition), {"context": context})


def evaluate_check(condition: str, value: Any, context: FlowContext) -> bool:
    """An asset check's condition: the same language, bounds and errors, with ``value``
    (the asset's value) in scope beside ``context`` and ``len`` the one call allowed."""
    code = _compiled(condition, frozenset({"len"}))
    return _evaluate(condition, code, {"context": context, "value": value, "len": len})


def _evaluate(condition: str, code: CodeType, names: dict[str, Any]) -> bool:
    namespace = {
        **names,
        "True": True,
        "False": False,
        "None": None,
        _MUL: _guarded_mul,
        _MOD: _guarded_mod,
    }
    try:
        return bool(eval(code, {"__builtins__": {}}, namespace))  # the AST was validated
    except _TooLarge as exc:
        raise ConditionEvaluationError(
            f"condition would build {exc.what}; the limit is "
            f"{MAX_CONDITION_VALUE:,} items or characters",
            condition=condition,
        ) from None
    except Exception as exc:
        raise ConditionEvaluationError(
            f"Runtime error evaluating condition: {exc}", condition=condition
        ) from exc


@functools.lru_cache(maxsize=1024)
def _compiled(condition: str, calls: frozenset[str] = frozenset()) -> CodeType:
    """The guarded code of a valid condition (errors as flowengine words them; not cached);
    ``calls`` are the functions it may call (none in a flow's conditions)."""
    try:
        tree = parse_expression(condition)
    except SyntaxError as exc:
        raise ConditionEvaluationError(f"Invalid syntax: {exc}", condition=condition) from exc
    validator = CallsValidator(calls) if calls else SafeASTValidator()
    if not validator.validate(tree):
        raise ConditionEvaluationError(f"Unsafe condition: {validator.errors}", condition=condition)
    guarded = ast.fix_missing_locations(_Guard().visit(tree))
    return compile_expression(guarded, "<condition>")


class _Guard(ast.NodeTransformer):
    """``a * b`` becomes ``__neurocore_mul(a, b)`` and ``a % b`` ``__neurocore_mod(a, b)``;
    operands are still evaluated left to right, once each."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        name = {ast.Mult: _MUL, ast.Mod: _MOD}.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(
            func=ast.Name(id=name, ctx=ast.Load()), args=[node.left, node.right], keywords=[]
        )
        return ast.copy_location(call, node)


def _guarded_mul(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, _SEQUENCES) and isinstance(count, int):
            size = len(sequence) * count
            if size > MAX_CONDITION_VALUE:
                raise _TooLarge(f"a {type(sequence).__name__} of {size:,} items")
    return left * right


def _guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        width, starred = format_width(left)
        if starred:  # '*' takes a width from the arguments
            given = right if isinstance(right, tuple) else (right,)
            width = max([width, *(abs(a) for a in given if isinstance(a, int))])
        if width > MAX_CONDITION_VALUE:
            raise _TooLarge(f"a formatted field {width:,} characters wide")
    return left % right
