"""Parse and compile condition expressions one thread at a time.

CPython 3.11 and 3.12 keep the AST converter's recursion depth per interpreter, not per
thread, so two threads parsing (or compiling an AST) at the same moment can fail with
``SystemError: AST constructor recursion depth mismatch`` (python/cpython#106905).
Parallel steps on the threads executor evaluate conditions at once, and a refused
condition is parsed again on every evaluation: every parse and compile of a condition
goes through this lock. The work under it is short (a condition is bounded in size).
"""

from __future__ import annotations

import ast
import threading
from types import CodeType

_AST_LOCK = threading.Lock()


def parse_expression(source: str) -> ast.Expression:
    """``ast.parse(source, mode="eval")``, safe to call from any thread."""
    with _AST_LOCK:
        return ast.parse(source, mode="eval")


def compile_expression(tree: ast.Expression, filename: str) -> CodeType:
    """``compile(tree, filename, "eval")``, safe to call from any thread."""
    with _AST_LOCK:
        return compile(tree, filename, "eval")
