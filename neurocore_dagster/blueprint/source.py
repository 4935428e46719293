"""Read a YAML document safely and remember the line of every key.

Only plain YAML (``yaml.SafeLoader``) is accepted: no Python tags, and a
document whose aliases expand past a fixed number of nodes is refused before it
is built, so an alias bomb cannot eat the machine. Duplicate keys, which
``yaml.safe_load`` would silently collapse to the last one, are reported.
"""

from __future__ import annotations

import codecs
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from neurocore_dagster.errors import BlueprintError, BlueprintIssue, Loc, issue

MAX_FILE_BYTES = 1024 * 1024
"""Largest blueprint or project file read (1 MiB); larger files are refused."""

MAX_NODES = 100_000
"""Largest number of YAML nodes a document may expand to (aliases counted each time)."""

MAX_DEPTH = 100
"""Deepest nesting of mappings and sequences accepted."""

# libyaml's safe loader when PyYAML was built with it (same documents, ~10x faster).
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SourceMap:
    """Where each key path of a document was written."""

    file: str | None = None
    lines: Mapping[Loc, int] = field(default_factory=dict)
    path: str | None = None
    """The file's absolute path (``file`` is the name shown in errors)."""
    spellings: Mapping[Loc, str] = field(default_factory=dict)
    """How each key that is not a string was written (``on`` for the key ``True``)."""

    def line_for(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest written parent."""
        probe = tuple(loc)
        while True:
            line = self.lines.get(probe)
            if line is not None:
                return line
            if not probe:
                return None
            probe = probe[:-1]

    def locate(self, found: BlueprintIssue) -> BlueprintIssue:
        """Fill in the file and line of an issue that only knows its key path."""
        line = found.line if found.line is not None else self.line_for(found.loc)
        spelled = self.spellings.get(found.loc) if found.type == "key.not_string" else None
        return BlueprintIssue(
            type=found.type,
            msg=found.msg if spelled is None else f"key {spelled!r}: {found.msg}",
            loc=found.loc,
            file=found.file or self.file,
            line=line,
            input=found.input,
            expected=found.expected,
            has_input=found.has_input,
        )


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    source: SourceMap


def read_yaml_file(path: Path, *, display: str | None = None) -> YamlDocument:
    """Read and parse ``path``; every failure is a located :class:`BlueprintError`.

    Only regular files are read (a directory or a FIFO is refused before it is
    opened), and never more than :data:`MAX_FILE_BYTES` + 1 bytes of them, so a
    file that grows after the size check cannot make the read unbounded.
    """
    shown = display or str(path)
    return located(parse_bytes(read_bounded(path, shown), shown), path, shown)


def parse_bytes(raw: bytes, shown: str) -> YamlDocument:
    """Decode (UTF-8 only) and parse a file's bytes; every failure is a located error."""
    return parse_yaml(_decode(raw, shown), shown)


def located(document: YamlDocument, path: Path, shown: str) -> YamlDocument:
    """``document`` as read from ``path``, named ``shown`` in errors."""
    source = SourceMap(
        file=shown,
        lines=document.source.lines,
        path=str(path.resolve()),
        spellings=document.source.spellings,
    )
    return YamlDocument(data=document.data, source=source)


def read_bounded(path: Path, shown: str) -> bytes:
    """A regular file's bytes, at most :data:`MAX_FILE_BYTES`; else a located error."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BlueprintError(
                [issue("file.not_regular", "not a regular file", file=shown, expected="a file")]
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BlueprintError(
            [issue("file.unreadable", f"cannot read file: {exc.strerror or exc}", file=shown)]
        ) from exc
    if len(raw) > MAX_FILE_BYTES:
        size = max(info.st_size, len(raw))
        raise BlueprintError(
            [
                issue(
                    "file.too_large",
                    f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes",
                    file=shown,
                )
            ]
        )
    return raw


# YAML allows UTF-16 and UTF-32 too; we accept UTF-8 only (with or without its
# byte-order mark), so the bytes a reviewer sees in a diff are the bytes parsed.
_OTHER_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _decode(raw: bytes, shown: str) -> str:
    for bom, name in _OTHER_ENCODINGS:
        if raw.startswith(bom):
            raise BlueprintError(
                [
                    issue(
                        "file.encoding",
                        f"file is {name} (it starts with a {name} byte-order mark); "
                        "blueprints are read as UTF-8 only",
                        file=shown,
                        line=1,
                        expected="a UTF-8 text file",
                    )
                ]
            )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BlueprintError(
            [
                issue(
                    "file.encoding",
                    f"file is not valid UTF-8 (byte {exc.start})",
                    file=shown,
                    line=line,
                    expected="a UTF-8 text file",
                )
            ]
        ) from exc


def parse_yaml(text: str, file: str | None) -> YamlDocument:
    """Parse YAML text into plain Python data plus a :class:`SourceMap`."""
    _refuse_unprintable(text, file)
    loader = _SAFE_LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError as exc:  # only the pure-Python composer recurses
            raise BlueprintError(
                [
                    issue(
                        "yaml.too_deep", f"document nests deeper than {MAX_DEPTH} levels", file=file
                    )
                ]
            ) from exc
        if node is None:
            raise BlueprintError(
                [issue("file.empty", "file is empty", file=file, expected="a YAML mapping")]
            )
        lines: dict[Loc, int] = {}
        problems: list[BlueprintIssue] = []
        spellings: dict[Loc, str] = {}
        walker = _Walker(loader, lines, problems, file, _line_count(text), spellings)
        data = walker.walk(node, ())
        if problems:
            raise BlueprintError(problems)
        if not walker.plain:
            data = _construct(loader, node, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # libyaml puts the end of a stream without a final line break on the next line.
        line = min(mark.line + 1, _line_count(text)) if mark is not None else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise BlueprintError(
            [issue("yaml.syntax", f"invalid YAML: {message}", file=file, line=line)]
        ) from exc
    except yaml.YAMLError as exc:
        raise BlueprintError([issue("yaml.syntax", f"invalid YAML: {exc}", file=file)]) from exc
    finally:
        loader.dispose()
    return YamlDocument(data=data, source=SourceMap(file=file, lines=lines, spellings=spellings))


# What YAML 1.1 counts as a line break (and so as a new line in its marks).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _line_count(text: str) -> int:
    return len(_LINE_BREAK.findall(text)) + 1


# The characters YAML 1.1 forbids in a stream (PyYAML's Reader refuses the same).
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _refuse_unprintable(text: str, file: str | None) -> None:
    """Refuse control characters with their line and column (libyaml gives neither)."""
    found = _UNPRINTABLE.search(text)
    if found is None:
        return
    char = found.group()
    before = text[: found.start()]
    breaks = list(_LINE_BREAK.finditer(before))
    line = len(breaks) + 1
    column = found.start() - (breaks[-1].end() if breaks else 0) + 1
    if char == "\x00":
        kind, what = "file.binary", "file contains NUL bytes (is it a binary file?)"
    else:
        kind, what = (
            "file.control_character",
            f"control character U+{ord(char):04X} at column {column}",
        )
    raise BlueprintError(
        [issue(kind, what, file=file, line=line, expected="printable text (tabs and newlines)")]
    )


_BAD_VALUE_ERRORS = (ValueError, KeyError, AttributeError, TypeError)
"""What PyYAML's scalar constructors raise, unmarked, for a value they cannot build."""


def _construct(loader: yaml.SafeLoader, node: yaml.Node, file: str | None) -> Any:
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


class _Walker:
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
