"""Read a YAML file safely into plain data and remember the line of every key.

Only regular UTF-8 files up to :data:`MAX_FILE_BYTES` are read, and only plain
YAML (``yaml.SafeLoader``) is accepted: no Python tags. The walk over the parsed
nodes (bombs, nesting, duplicate keys, key lines) is
:mod:`neurocore_dagster.blueprint.yaml_nodes`; this module reads the bytes and
turns every failure into a located :class:`BlueprintError`.
"""

from __future__ import annotations

import codecs
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from neurocore_dagster.blueprint.yaml_nodes import MAX_DEPTH, NodeWalker, construct_located
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, Loc, issue

MAX_FILE_BYTES = 1024 * 1024
"""Largest blueprint or project file read (1 MiB); larger files are refused."""

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
        walker = NodeWalker(loader, lines, problems, file, _line_count(text), spellings)
        data = walker.walk(node, ())
        if problems:
            raise BlueprintError(problems)
        if not walker.plain:
            data = construct_located(loader, node, file)
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
