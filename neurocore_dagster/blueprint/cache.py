"""An on-disk cache of parsed blueprint files: a reload parses only the files that changed.

Parsing YAML with line numbers and the safety checks is most of the cost of
reading a blueprint; validating the parsed data is cheap. So an entry holds only
the plain data that parsing a file's bytes produced, never a validated model. A
cached document is validated, compiled and checked against the skills and
``neurocore.yaml`` exactly like a freshly parsed one, so no change to a skill or
to the project's config can be hidden by the cache, and every error is the one a
fresh parse gives: the lines that place an error message are found, when one
needs them, by parsing the same bytes again.

Rules:

* **Key**: SHA-256 of the file's bytes and of the parser's fingerprint (the cache
  format, the package version, the parser's own source, PyYAML's version and
  whether it uses libyaml, Python's version and its limit on integer digits). The
  same bytes read by the same parser give the same document, so an entry cannot be
  stale.
* **What is stored**: documents that parsed without error and whose data JSON
  holds exactly (string keys; strings, numbers, booleans, nulls, lists, mappings;
  no node shared through YAML aliases). Anything else is parsed every time.
* **Format**: JSON, never pickle, so reading the cache cannot run code. An entry
  is written to a temporary file and renamed into place: a reader sees a whole
  entry or none. An entry that cannot be read, or does not hold what its key
  promises, is ignored, parsed again and rewritten.
* **Where**: ``<project root>/.neurocore_cache/blueprints-<id>/``, one folder per
  blueprints folder, which holds its own ``.gitignore`` (``*``) and
  ``CACHEDIR.TAG``. ``NEUROCORE_DAGSTER_CACHE_DIR`` puts it under another folder;
  ``NEUROCORE_DAGSTER_CACHE=0`` turns it off. Deleting it is always safe.
* **Pruning**: a load of the whole project removes the entries it did not use
  (files deleted or changed since), so the folder holds about one entry per file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from neurocore_dagster.blueprint import source as source_module
from neurocore_dagster.blueprint import yaml_nodes
from neurocore_dagster.blueprint.source import (
    SourceMap,
    YamlDocument,
    located,
    parse_bytes,
    read_bounded,
)
from neurocore_dagster.errors import BlueprintError, Loc

log = logging.getLogger("neurocore_dagster")

CACHE_FORMAT = 3
"""Bumped with any change to what parsing returns (3: key lines and spellings are kept under
the key the data holds, `True` for `on`); the parser's source is part of the key too."""
CACHE_FOLDER = ".neurocore_cache"
CACHE_ENV = "NEUROCORE_DAGSTER_CACHE"
"""``0`` (or ``off``, ``false``, ``no``) turns the parse cache off."""
CACHE_DIR_ENV = "NEUROCORE_DAGSTER_CACHE_DIR"
"""A folder to hold the parse cache instead of ``<project root>/.neurocore_cache``."""
_OFF = frozenset({"0", "off", "false", "no"})
_SUFFIX = ".json"
_NO_ENTRY: Any = object()
_GITIGNORE_TEXT = "# neurocore-dagster's parse cache (safe to delete)\n*\n"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# neurocore-dagster's parse cache (safe to delete); see https://bford.info/cachedir/\n"
)


@dataclass
class CacheStats:
    """What one load did: entries used, files parsed (broken ones included), entries found
    unusable (and so parsed again), entries written."""

    hits: int = 0
    parsed: int = 0
    rebuilt: int = 0
    written: int = 0


class ParseCache:
    """Parsed blueprint documents on disk, keyed by content; see the module docstring."""

    def __init__(self, folder: Path, fingerprint: bytes) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.stats = CacheStats()
        self._used: set[str] = set()
        self._writable = True

    @classmethod
    def for_project(cls, root: Path, blueprints_dir: Path) -> ParseCache | None:
        """The cache of a project's blueprints folder; None when ``NEUROCORE_DAGSTER_CACHE=0``."""
        if os.environ.get(CACHE_ENV, "").strip().lower() in _OFF:
            return None
        try:
            fingerprint = _fingerprint()
        except OSError as exc:  # the parser's source is not a readable file
            log.warning("blueprint parse cache off: cannot fingerprint the parser (%s)", exc)
            return None
        custom = os.environ.get(CACHE_DIR_ENV, "").strip()
        base = Path(custom) if custom else root / CACHE_FOLDER
        place = str(blueprints_dir.resolve())
        if custom:  # one folder may serve several projects
            place = f"{root.resolve()}\0{place}"
        folder_id = hashlib.sha256(place.encode()).hexdigest()[:12]
        return cls(base / f"blueprints-{folder_id}", fingerprint)

    def read(self, path: Path, display: str | None = None) -> YamlDocument:
        """:func:`~neurocore_dagster.blueprint.source.read_yaml_file`, parsing only on a miss."""
        shown = display or str(path)
        raw = read_bounded(path, shown)
        key = hashlib.sha256(self.fingerprint + raw).hexdigest()
        self._used.add(key)
        data = self._load(key)
        if data is _NO_ENTRY:
            self.stats.parsed += 1
            document = parse_bytes(raw, shown)
            self._store(key, document)
        else:
            self.stats.hits += 1
            document = YamlDocument(data=data, source=SourceMap(lines=_LinesOnDemand(raw, shown)))
        return located(document, path, shown)

    def prune(self) -> int:
        """Remove every entry this cache neither read nor wrote; the number removed.

        Call it only after reading every blueprint file of the folder it serves.
        """
        removed = 0
        try:
            entries = list(self.folder.glob(f"*{_SUFFIX}"))
        except OSError as exc:
            log.debug("parse cache %s not pruned: %s", self.folder, exc)
            return 0
        for entry in entries:
            if entry.name.removesuffix(_SUFFIX) in self._used:
                continue
            try:
                entry.unlink()
                removed += 1
            except OSError as exc:
                log.debug("parse cache entry %s not removed: %s", entry, exc)
        return removed

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}{_SUFFIX}"

    def _load(self, key: str) -> Any:
        """The data of the entry for ``key``, or ``_NO_ENTRY``."""
        path = self._entry(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _NO_ENTRY
        except (OSError, UnicodeDecodeError) as exc:
            log.debug("parse cache entry %s unreadable (%s); parsing again", path, exc)
            self.stats.rebuilt += 1
            return _NO_ENTRY
        data = _decode_entry(text, key)
        if data is _NO_ENTRY:
            log.debug("parse cache entry %s is not a valid entry; parsing again", path)
            self.stats.rebuilt += 1
        return data

    def _store(self, key: str, document: YamlDocument) -> None:
        if not self._writable or not _json_exact(document.data, set()):
            return
        entry = {"format": CACHE_FORMAT, "key": key, "data": document.data}
        try:
            self._prepare_folder()
            _write_atomically(self._entry(key), json.dumps(entry, separators=(",", ":")))
        except OSError as exc:
            self._writable = False
            log.warning(
                "blueprint parse cache %s is not writable (%s); every load parses every "
                "file. Set %s to a writable folder, or %s=0 to turn the cache off.",
                self.folder,
                exc,
                CACHE_DIR_ENV,
                CACHE_ENV,
            )
            return
        self.stats.written += 1

    def _prepare_folder(self) -> None:
        """Create the folder; the default one is marked as a cache git and backups leave out."""
        if self.folder.is_dir():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        top = self.folder.parent
        if top.name != CACHE_FOLDER:  # a folder the user named: add nothing to it
            return
        for name, text in ((".gitignore", _GITIGNORE_TEXT), ("CACHEDIR.TAG", _TAG_TEXT)):
            if not (top / name).exists():
                _write_atomically(top / name, text)


def _decode_entry(text: str, key: str) -> Any:
    """The data an entry holds, or ``_NO_ENTRY`` unless it is a whole entry for ``key``.

    Only the shape is checked: the data is validated as any parsed document is.
    """
    try:
        entry = json.loads(text)
    except ValueError:
        return _NO_ENTRY
    if (
        not isinstance(entry, dict)
        or entry.get("format") != CACHE_FORMAT
        or entry.get("key") != key
        or "data" not in entry
    ):
        return _NO_ENTRY
    return entry["data"]


class _LinesOnDemand(Mapping[Loc, int]):
    """The key lines of a document read from the cache, found when first asked for.

    Lines only place error messages, and most documents have none, so an entry
    holds the data alone. Asked for a line, this parses the very bytes the entry
    was made from (kept until then), which gives the lines their first parse gave.
    """

    def __init__(self, raw: bytes, shown: str) -> None:
        self._raw: bytes | None = raw
        self._shown = shown
        self._lines: Mapping[Loc, int] | None = None

    def _found(self) -> Mapping[Loc, int]:
        if self._lines is None:
            assert self._raw is not None
            try:
                self._lines = parse_bytes(self._raw, self._shown).source.lines
            except BlueprintError as error:  # same bytes, same parser: not expected
                log.warning("lines of %s unavailable for its errors:\n%s", self._shown, error)
                self._lines = {}
            self._raw = None
        return self._lines

    def __getitem__(self, loc: Loc) -> int:
        return self._found()[loc]

    def __iter__(self) -> Iterator[Loc]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())


def _json_exact(value: Any, containers: set[int]) -> bool:
    """Whether JSON gives ``value`` back equal and of the same types (no shared containers)."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return True
    if kind not in (list, dict) or id(value) in containers:
        return False
    containers.add(id(value))
    if kind is list:
        return all(_json_exact(item, containers) for item in value)
    return all(type(k) is str and _json_exact(v, containers) for k, v in value.items())


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would lock out other users of the project
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone after the rename; left by a failure


@functools.cache
def _fingerprint() -> bytes:
    """What, besides a file's bytes, decides what parsing it gives."""
    try:
        version = metadata.version("neurocore-dagster")
    except metadata.PackageNotFoundError:
        version = "unknown"
    parser = b"".join(Path(str(m.__file__)).read_bytes() for m in (source_module, yaml_nodes))
    parts = [
        f"format {CACHE_FORMAT}",
        f"package {version}",
        f"parser {hashlib.sha256(parser).hexdigest()}",
        f"pyyaml {yaml.__version__} libyaml {getattr(yaml, '__with_libyaml__', False)}",
        f"python {sys.version_info[0]}.{sys.version_info[1]}",
        f"int digits {sys.get_int_max_str_digits()}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).digest()
