"""Walk a parsed YAML node tree: refuse bombs and deep nesting, report duplicate keys,
remember every key's line, and build the plain data.

A document whose aliases expand past :data:`MAX_NODES` nodes is refused before it
is built, so an alias bomb cannot eat the machine. Duplicate keys, which
``yaml.safe_load`` would silently collapse to the last one, are reported.
Reading the file and parsing its text is :mod:`neurocore_dagster.blueprint.source`.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from neurocore_dagster.errors import BlueprintError, BlueprintIssue, Loc, issue

MAX_NODES = 100_000
"""Largest number of YAML nodes a document may expand to (aliases counted each time)."""

MAX_DEPTH = 100
"""Deepest nesting of mappings and sequences accepted."""


_BAD_VALUE_ERRORS = (ValueError, KeyError, AttributeError, TypeError)
"""What PyYAML's scalar constructors raise, unmarked, for a value they cannot build."""


def construct_located(loader: yaml.SafeLoader, node: yaml.Node, file: str | None) -> Any:
    """Build Python data; a scalar Python cannot represent is a located error.

    YAML resolves ``2001-02-30`` to a date and a 5,000-digit number to an int;
    building them raises ``ValueError`` (an impossible date, Python's limit on
    int digits), and an explicit tag on text it cannot read (``!!bool maybe``,
    ``!!timestamp soon``) raises ``KeyError`` or ``AttributeError``; PyYAML
    marks none of them with a line.
    """
    # A walk that gave up on building may have left PyYAML's bookkeeping half done.
    loader.constructed_objects = {}
    loader.recursive_objects = {}
    try:
        return loader.construct_document(node)
    except _BAD_VALUE_ERRORS as exc:
        bad = _first_bad_scalar(loader, node)
        line = bad.start_mark.line + 1 if bad is not None else None
        shown = bad.value if bad is not None else ...
        message = f"YAML value cannot be read: {exc}"
        expected = (
            "a valid date or a number of at most "
            f"{sys.get_int_max_str_digits()} digits (quote it to keep it a string)"
        )
        if not isinstance(exc, ValueError) and bad is not None:
            tag = bad.tag.replace(_TAG, "!!")
            message = f"YAML value cannot be read as {tag}"
            expected = f"a value that {tag} reads, or no tag"
        raise BlueprintError(
            [issue("yaml.bad_value", message, file=file, line=line, input=shown, expected=expected)]
        ) from exc


def _first_bad_scalar(loader: yaml.SafeLoader, root: yaml.Node) -> yaml.ScalarNode | None:
    # The failed construction left nodes marked "in progress"; start clean.
    loader.constructed_objects = {}
    loader.recursive_objects = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except _BAD_VALUE_ERRORS:
                return node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
    return None


_TAG = "tag:yaml.org,2002:"
_STR_TAG, _MAP_TAG, _SEQ_TAG, _MERGE_TAG = (_TAG + t for t in ("str", "map", "seq", "merge"))
_SCALAR_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "binary", "timestamp"))
"""Tags whose PyYAML constructors are plain functions of one scalar (no pending state)."""
_SCALAR_ERRORS = (yaml.YAMLError, ValueError, KeyError, AttributeError, TypeError)


class NodeWalker:
    """Record key lines, refuse bombs, deep nesting and duplicate keys, and build the data.

    Building the data in this pass spares PyYAML's constructor a second walk over
    every node. Only plain YAML is built here: mappings, sequences and scalars with
    their standard tags, each scalar by PyYAML's own constructor for its tag. On
    anything else (a merge key, ``!!set``, ``!!omap``, a key that is not a scalar, a
    scalar PyYAML refuses) ``plain`` turns False and the caller builds the document
    with PyYAML's constructor, so data and errors stay PyYAML's own. A node used
    through aliases is one shared object, as PyYAML builds it.
    """

    def __init__(
        self,
        loader: yaml.SafeLoader,
        lines: dict[Loc, int],
        problems: list[BlueprintIssue],
        file: str | None,
        last_line: int,
        spellings: dict[Loc, str],
    ):
        self.loader = loader
        self.spellings = spellings
        self.lines = lines
        self.problems = problems
        self.file = file
        self.last_line = last_line
        self.count = 0
        self.plain = True
        self._built: dict[int, Any] = {}

    def line(self, node: yaml.Node) -> int:
        """The node's line; an empty node at the end of the stream is on the last line."""
        return min(node.start_mark.line + 1, self.last_line)

    def walk(self, node: yaml.Node, loc: Loc) -> Any:
        """Check ``node`` (at ``loc``) and what it holds; its data while ``plain`` holds."""
        self.count += 1
        if self.count > MAX_NODES:
            raise BlueprintError(
                [
                    issue(
                        "yaml.too_many_nodes",
                        f"document expands to more than {MAX_NODES} nodes "
                        "(aliases are counted each time they are used)",
                        loc,
                        file=self.file,
                        line=self.line(node),
                    )
                ]
            )
        if len(loc) > MAX_DEPTH:
            raise BlueprintError(
                [
                    issue(
                        "yaml.too_deep",
                        f"document nests deeper than {MAX_DEPTH} levels",
                        loc[:5],
                        file=self.file,
                        line=self.line(node),
                    )
                ]
            )
        self.lines.setdefault(loc, self.line(node))
        if isinstance(node, yaml.MappingNode):
            value: Any = self._walk_mapping(node, loc)
        elif isinstance(node, yaml.SequenceNode):
            value = [self.walk(item, (*loc, index)) for index, item in enumerate(node.value)]
            self.plain = self.plain and node.tag == _SEQ_TAG
        else:
            return self._scalar(node)
        return self._built.setdefault(id(node), value) if self.plain else None

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG:
            return node.value
        if not self.plain or node.tag not in _SCALAR_TAGS:
            self.plain = False
            return None
        try:
            return self.loader.construct_object(node)
        except _SCALAR_ERRORS:
            # PyYAML's constructor, run again on the whole document, raises it located.
            self.plain = False
            return None

    def _walk_mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        data: dict[Any, Any] = {}
        self.plain = self.plain and node.tag == _MAP_TAG
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.plain = False
                self.walk(value_node, loc)
                continue
            key = self._key(key_node)
            line = self.line(key_node)
            if key in seen:
                written = key_node.value if isinstance(key_node, yaml.ScalarNode) else key
                self.problems.append(
                    issue(
                        "yaml.duplicate_key",
                        f"key {written!r} is written twice (first on line {seen[key]}); "
                        "YAML would silently keep only the last one",
                        (*loc, key),
                        file=self.file,
                        line=line,
                    )
                )
            seen[key] = line
            self.lines[(*loc, key)] = line
            if not isinstance(key, str) and isinstance(key_node, yaml.ScalarNode):
                self.spellings[(*loc, key)] = key_node.value
            value = self.walk(value_node, (*loc, key))
            self.lines[(*loc, key)] = line
            if self.plain and isinstance(key_node, yaml.ScalarNode):
                data[key] = value
            else:
                self.plain = False
        return data

    def _key(self, node: yaml.Node) -> Any:
        """A key as the data holds it (``yes`` is ``True``), so its line is found under
        the path an error names; a key PyYAML cannot build stays its text."""
        if not isinstance(node, yaml.ScalarNode):
            return repr(node)
        if node.tag == _STR_TAG or node.tag not in _SCALAR_TAGS:
            return node.value
        try:
            key = self.loader.construct_object(node)
            hash(key)
        except _SCALAR_ERRORS:
            return node.value
        return key
