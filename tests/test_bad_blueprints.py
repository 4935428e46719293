"""A corpus of bad blueprints: each is refused fast, located, and harmless.

Every file in ``fixtures/bad_blueprints`` starts with a comment line
``# expect <issue type>[ at line <n>]: <what it tests>`` (in the file's own
encoding, for the UTF-16/32 cases). Each must be refused with a
:class:`BlueprintError` that has an issue of that type, names the file (and the
line, when the header gives one), in under a second. Files the loader accepts
(an unknown skill, a config value the skill's schema refuses) must be refused
when the job is built, which ``execute_blueprint`` does before it starts a run.

"Harmless" is checked on every case: the blueprints are refused inside a
project whose ``skills/`` folder holds a module that records its import and
raises, and against a fresh Dagster instance that must still have no runs.

Encodings: blueprints are UTF-8 (a UTF-8 byte-order mark is allowed). YAML
would also allow UTF-16 and UTF-32; we refuse them with ``file.encoding`` so
that the bytes a reviewer sees are the bytes parsed.
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from skills_lib import registry

from neurocore_dagster import (
    BlueprintError,
    SkillError,
    build_definitions,
    discover_skills,
    execute_blueprint,
    load_blueprint,
)
from neurocore_dagster.blueprint.loader import blueprint_from_data
from neurocore_dagster.blueprint.source import MAX_FILE_BYTES, SourceMap
from neurocore_dagster.errors import MAX_RENDERED_ISSUES
from neurocore_dagster.keys import APPROVE_JOB_NAME, BROKEN_PREFIX

CORPUS = Path(__file__).parent / "fixtures" / "bad_blueprints"
HEADER = re.compile(r"^# expect (?P<type>[a-z_]+\.[A-Za-z_]+)(?: at line (?P<line>\d+))?: \S")
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
TRAP_SKILL = """\
from pathlib import Path

Path(__file__).with_name("IMPORTED").write_text("a project skill was imported")
raise RuntimeError("a bad blueprint made the package import a project skill")
"""
VALID = """\
name: valid
components:
  - {name: a, type: trace}
flow:
  steps: [{component: a}]
"""


@dataclass(frozen=True)
class Expectation:
    type: str
    line: int | None


def expectation(path: Path) -> Expectation:
    """The issue type (and line) the file's first-line comment promises."""
    raw = path.read_bytes()
    codec = next((c for bom, c in _BOMS if raw.startswith(bom)), None)
    if codec is not None:
        first = raw.decode(codec).lstrip("\ufeff").split("\n", 1)[0]
    else:
        first = raw.split(b"\n", 1)[0].decode("ascii")
    found = HEADER.match(first)
    assert found, f"{path.name}: first line must be '# expect <type>[ at line <n>]: <what>'"
    line = found.group("line")
    return Expectation(found.group("type"), int(line) if line else None)


CASES = sorted(CORPUS.glob("*.yaml"))


@pytest.fixture(scope="module")
def trap_project() -> Iterator[Path]:
    """A project whose only skill module, if ever imported, leaves a mark and raises."""
    with tempfile.TemporaryDirectory(prefix="nc-trap-") as root:
        (Path(root) / "skills").mkdir()
        (Path(root) / "skills" / "trap_skill.py").write_text(TRAP_SKILL)
        yield Path(root)


@pytest.fixture(scope="module")
def fresh_instance() -> Iterator[dg.DagsterInstance]:
    """A Dagster instance of its own, so "no run was started" can be counted."""
    with (
        tempfile.TemporaryDirectory(prefix="nc-bad-home-") as home,
        dg.instance_for_test(temp_dir=home) as inst,
    ):
        yield inst


def refuse(path: Path, project: Path, instance: dg.DagsterInstance) -> tuple[BlueprintError, float]:
    """Load ``path`` and, if the loader accepts it, try to run it; return the refusal."""
    started = time.perf_counter()
    with pytest.raises(BlueprintError) as caught:
        blueprint = load_blueprint(path)
        execute_blueprint(blueprint, registry(), instance=instance, project_root=project)
    return caught.value, time.perf_counter() - started


def assert_harmless(project: Path, instance: dg.DagsterInstance) -> None:
    assert not (project / "skills" / "IMPORTED").exists(), "a project skill was imported"
    assert not any("trap_skill" in name for name in sys.modules)
    assert instance.get_runs_count() == 0, "a run was started"


def assert_refused(
    error: BlueprintError, path: Path, expected: Expectation, elapsed_s: float
) -> None:
    message = str(error)
    assert path.name in message
    assert all(i.file is not None and path.name in i.file for i in error.issues), message
    kinds = [i.type for i in error.issues]
    matching = [i for i in error.issues if i.type == expected.type]
    assert matching, f"expected {expected.type}, got {kinds}\n{message}"
    if expected.line is not None:
        assert matching[0].line == expected.line, message
        assert f"{path.name}:{expected.line}:" in message
    assert elapsed_s < 1.0, f"{path.name} took {elapsed_s:.2f} s to refuse"


def test_corpus_is_broad() -> None:
    assert len(CASES) >= 40
    kinds = {expectation(p).type.split(".")[0] for p in CASES}
    for family in ("yaml", "file", "document", "key", "value", "condition", "flow", "component"):
        assert family in kinds, family


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_blueprint_is_refused(
    path: Path, trap_project: Path, fresh_instance: dg.DagsterInstance
) -> None:
    expected = expectation(path)
    error, elapsed_s = refuse(path, trap_project, fresh_instance)
    assert_refused(error, path, expected, elapsed_s)
    assert_harmless(trap_project, fresh_instance)


def test_trap_project_would_notice_an_import(trap_project: Path, tmp_path: Path) -> None:
    """The harmlessness check is real: discovering the trap project's skills trips it."""
    project = tmp_path / "copy"
    shutil.copytree(trap_project, project)
    with pytest.raises(SkillError, match=r"trap_skill\.py:\d+ failed to import"):
        discover_skills(project)
    assert (project / "skills" / "IMPORTED").exists()


def test_corpus_as_a_project_gives_one_placeholder_job_per_file(
    trap_project: Path, tmp_path: Path
) -> None:
    """The whole corpus in one project: every file becomes a ``broken__`` job and the
    repository still loads (it once failed on the second placeholder)."""
    project = tmp_path / "project"
    shutil.copytree(trap_project, project)
    shutil.copytree(CORPUS, project / "blueprints")
    defs = build_definitions(project, registry=registry())
    names = [job.name for job in defs.resolve_all_job_defs() if job.name != APPROVE_JOB_NAME]
    assert len(names) == len(set(names)) == len(CASES)
    assert all(name.startswith(BROKEN_PREFIX) for name in names)
    with pytest.raises(BlueprintError) as caught:
        build_definitions(project, registry=registry(), strict=True)
    assert {i.file for i in caught.value.issues} == {f"blueprints/{p.name}" for p in CASES}
    assert not (project / "skills" / "IMPORTED").exists(), "a project skill was imported"


# Cases generated here rather than committed (sizes, file kinds, empty files).


def test_huge_file_is_refused_by_size(
    tmp_path: Path, trap_project: Path, fresh_instance: dg.DagsterInstance
) -> None:
    path = tmp_path / "huge.yaml"
    padding = MAX_FILE_BYTES - len(VALID) + 1
    path.write_text(VALID + "#" * (padding - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES + 1
    error, elapsed_s = refuse(path, trap_project, fresh_instance)
    assert_refused(error, path, Expectation("file.too_large", None), elapsed_s)
    assert str(MAX_FILE_BYTES) in str(error)
    assert_harmless(trap_project, fresh_instance)


def test_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "limit.yaml"
    path.write_text(VALID + "#" * (MAX_FILE_BYTES - len(VALID) - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_blueprint(path).name == "valid"


@pytest.mark.parametrize(
    "make,kind",
    [
        (lambda p: p.write_bytes(b""), "file.empty"),
        (lambda p: p.write_text("  \n\n"), "file.empty"),
        (lambda p: p.mkdir(), "file.not_regular"),
        (lambda p: None, "file.unreadable"),
        pytest.param(
            lambda p: os.mkfifo(p),
            "file.not_regular",
            marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only"),
        ),
    ],
    ids=["empty", "blank", "directory", "missing", "fifo"],
)
def test_unusable_files_are_refused(
    make, kind: str, tmp_path: Path, trap_project: Path, fresh_instance: dg.DagsterInstance
) -> None:
    path = tmp_path / "blueprint.yaml"
    make(path)
    error, elapsed_s = refuse(path, trap_project, fresh_instance)
    assert_refused(error, path, Expectation(kind, None), elapsed_s)
    assert_harmless(trap_project, fresh_instance)


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(codecs.BOM_UTF8 + VALID.encode())
    assert load_blueprint(path).name == "valid"


def test_many_problems_render_boundedly(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(VALID + "".join(f"extra_{i}: {i}\n" for i in range(3 * MAX_RENDERED_ISSUES)))
    started = time.perf_counter()
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path, strict=True)
    assert time.perf_counter() - started < 1.0
    error = caught.value
    assert len(error.issues) == 3 * MAX_RENDERED_ISSUES
    message = str(error)
    assert message.startswith(f"{3 * MAX_RENDERED_ISSUES} problems in ")
    assert message.count("[type=key.ignored") == MAX_RENDERED_ISSUES
    assert f"... and {2 * MAX_RENDERED_ISSUES} more" in message


def test_unprintable_input_still_renders() -> None:
    """An int past Python's digit limit (possible from code, not YAML) is shown, not raised."""
    data = {"name": 10**5000, "components": [{"name": "a", "type": "t"}], "flow": {"steps": []}}
    with pytest.raises(BlueprintError) as caught:
        blueprint_from_data(data, SourceMap(file="in-memory.yaml"))
    assert "int too large to show" in str(caught.value)
