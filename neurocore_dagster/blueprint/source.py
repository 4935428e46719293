"""Read a YAML document safely and remember the line of every key.

Only plain YAML (``yaml.SafeLoader``) is accepted: no Python tags, and a
document whose aliases expand past a fixed number of nodes is refused before it
is built, so an alias bomb cannot eat the machine. Duplicate keys, which
``yaml.safe_load`` would silently collapse to the last one, are reported.
"""

from __future__ import annotations

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
        return BlueprintIssue(
            type=found.type,
            msg=found.msg,
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
    """Read and parse ``path``; every failure is a located :class:`BlueprintError`."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BlueprintError(
            [issue("file.unreadable", f"cannot read file: {exc.strerror or exc}", file=shown)]
        ) from exc
    if size > MAX_FILE_BYTES:
        raise BlueprintError(
            [
                issue(
                    "file.too_large",
                    f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes",
                    file=shown,
                )
            ]
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
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
    document = parse_yaml(text, shown)
    source = SourceMap(file=shown, lines=document.source.lines, path=str(path.resolve()))
    return YamlDocument(data=document.data, source=source)


def parse_yaml(text: str, file: str | None) -> YamlDocument:
    """Parse YAML text into plain Python data plus a :class:`SourceMap`."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise BlueprintError(
            [issue("file.binary", "file contains NUL bytes", file=file, line=line)]
        )
    loader = _SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise BlueprintError(
                [issue("file.empty", "file is empty", file=file, expected="a YAML mapping")]
            )
        lines: dict[Loc, int] = {}
        problems: list[BlueprintIssue] = []
        _Walker(lines, problems, file).walk(node, ())
        if problems:
            raise BlueprintError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise BlueprintError(
            [issue("yaml.syntax", f"invalid YAML: {message}", file=file, line=line)]
        ) from exc
    except yaml.YAMLError as exc:
        raise BlueprintError([issue("yaml.syntax", f"invalid YAML: {exc}", file=file)]) from exc
    finally:
        loader.dispose()
    return YamlDocument(data=data, source=SourceMap(file=file, lines=lines))


class _Walker:
    """Record key lines and refuse bombs, deep nesting and duplicate keys."""

    def __init__(self, lines: dict[Loc, int], problems: list[BlueprintIssue], file: str | None):
        self.lines = lines
        self.problems = problems
        self.file = file
        self.count = 0

    def walk(self, node: yaml.Node, loc: Loc) -> None:
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
                        line=node.start_mark.line + 1,
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
                        line=node.start_mark.line + 1,
                    )
                ]
            )
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self._walk_mapping(node, loc)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*loc, index))

    def _walk_mapping(self, node: yaml.MappingNode, loc: Loc) -> None:
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.walk(value_node, loc)
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                self.problems.append(
                    issue(
                        "yaml.duplicate_key",
                        f"key {key!r} is written twice (first on line {seen[key]}); "
                        "YAML would silently keep only the last one",
                        (*loc, key),
                        file=self.file,
                        line=line,
                    )
                )
            seen[key] = line
            self.lines[(*loc, key)] = line
            self.walk(value_node, (*loc, key))
            self.lines[(*loc, key)] = line
