"""The parse cache: a reload parses only changed files, and never changes a result.

Every test builds real definitions from real files and reads what the cache did
from the line ``build_definitions`` logs after reading the project's files (how
many came from the cache, how many were parsed, how many entries were unusable).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flowengine import FlowContext
from skills_lib import registry

from neurocore_dagster import BlueprintError, Skill, SkillMeta, SkillRegistry, build_definitions
from neurocore_dagster.blueprint.cache import (
    CACHE_DIR_ENV,
    CACHE_ENV,
    CACHE_FOLDER,
    ParseCache,
)
from neurocore_dagster.blueprint.loader import read_blueprint
from neurocore_dagster.keys import APPROVE_JOB_NAME

REPORT = re.compile(
    r"blueprint files: (?P<hits>\d+) from the parse cache, (?P<parsed>\d+) parsed "
    r"\((?P<rebuilt>\d+) cache entries unusable\), (?P<removed>\d+) stale entries removed"
)


@dataclass(frozen=True)
class Load:
    jobs: dict[str, str]
    """Job name -> description."""
    hits: int
    parsed: int
    rebuilt: int
    removed: int


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The cache as users get it, whatever the environment running the suite says."""
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    yield


def blueprint_text(name: str, by: int = 1, description: str = "counts") -> str:
    return (
        f"name: {name}\n"
        f"description: {description}\n"
        "components:\n"
        f"  - {{name: first, type: incr, config: {{by: {by}}}}}\n"
        "  - {name: second, type: incr}\n"
        "flow:\n"
        "  type: graph\n"
        "  nodes: [{id: a, component: first}, {id: b, component: second}]\n"
        "  edges: [{source: a, target: b, condition: 'context.data.count > 0'}]\n"
    )


def make_project(root: Path, count: int) -> Path:
    (root / "blueprints").mkdir(parents=True)
    for index in range(count):
        (root / "blueprints" / f"flow_{index:02d}.yaml").write_text(blueprint_text(f"f{index}"))
    return root


def load(
    root: Path,
    caplog: pytest.LogCaptureFixture,
    skills: SkillRegistry | None = None,
) -> Load:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="neurocore_dagster"):
        defs = build_definitions(root, registry=skills or registry())
    jobs = {
        job.name: job.description or ""
        for job in defs.resolve_all_job_defs()
        if job.name != APPROVE_JOB_NAME
    }
    [found] = [m for m in map(REPORT.search, caplog.messages) if m]
    return Load(jobs, *(int(found.group(g)) for g in ("hits", "parsed", "rebuilt", "removed")))


def entries(root: Path) -> list[Path]:
    return sorted((root / CACHE_FOLDER).glob("blueprints-*/*.json"))


def test_a_change_to_one_blueprint_reparses_only_that_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path, 12)
    cold = load(root, caplog)
    assert (cold.hits, cold.parsed) == (0, 12)
    assert len(entries(root)) == 12
    warm = load(root, caplog)
    assert (warm.hits, warm.parsed, warm.rebuilt) == (12, 0, 0)
    assert warm.jobs == cold.jobs
    changed = root / "blueprints" / "flow_05.yaml"
    changed.write_text(blueprint_text("f5", description="counts twice"))
    reload = load(root, caplog)
    assert (reload.hits, reload.parsed, reload.removed) == (11, 1, 1)
    assert reload.jobs["f5"] == "counts twice"
    assert {k: v for k, v in reload.jobs.items() if k != "f5"} == {
        k: v for k, v in cold.jobs.items() if k != "f5"
    }
    assert len(entries(root)) == 12


def test_an_entry_serves_only_the_same_bytes(tmp_path: Path) -> None:
    """The key is the content: a copy hits, one changed byte misses."""
    folder = tmp_path / "blueprints"
    folder.mkdir()
    first, copy, other = folder / "a.yaml", folder / "b.yaml", folder / "c.yaml"
    first.write_text(blueprint_text("same"))
    copy.write_text(blueprint_text("same"))
    other.write_text(blueprint_text("same", by=2))
    cache = ParseCache.for_project(tmp_path, folder)
    assert cache is not None
    read_blueprint(first, "a.yaml", cache)
    copied = read_blueprint(copy, "b.yaml", cache)
    changed = read_blueprint(other, "c.yaml", cache)
    assert (cache.stats.hits, cache.stats.parsed) == (1, 2)
    assert copied.source.file == "b.yaml" and copied.source.path == str(copy.resolve())
    assert changed.components[0].config == {"by": 2}
    fresh = read_blueprint(copy, "b.yaml")
    assert copied == fresh
    assert dict(copied.source.lines) == dict(fresh.source.lines)  # found when asked for


def test_an_entry_serves_only_the_same_parser(tmp_path: Path) -> None:
    """Another parser (package version, parser source, PyYAML) never reads this one's entries."""
    path = tmp_path / "a.yaml"
    path.write_text(blueprint_text("same"))
    folder = tmp_path / "cache"
    ParseCache(folder, b"parser one").read(path)
    other = ParseCache(folder, b"parser two")
    other.read(path)
    again = ParseCache(folder, b"parser one")
    again.read(path)
    assert (other.stats.hits, other.stats.parsed) == (0, 1)
    assert (again.stats.hits, again.stats.parsed) == (1, 0)


class StrictIncr(Skill):
    """``incr`` after an upgrade: ``by`` must now be a string."""

    skill_meta = SkillMeta(
        name="incr",
        version="2.0.0",
        description="incr with a stricter schema",
        provides=["count"],
        config_schema={"type": "object", "properties": {"by": {"type": "string"}}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        return context


def test_a_changed_skill_is_checked_against_cached_blueprints(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Entries hold parsed YAML only: every use validates against the skills of now."""
    root = make_project(tmp_path, 3)
    assert load(root, caplog).jobs.keys() == {"f0", "f1", "f2"}
    upgraded = registry().copy()
    upgraded.register(StrictIncr, replace=True)
    after = load(root, caplog, upgraded)
    assert (after.hits, after.parsed) == (3, 0)
    assert set(after.jobs) == {"broken__flow_00", "broken__flow_01", "broken__flow_02"}
    assert "blueprints/flow_00.yaml:4" in after.jobs["broken__flow_00"]
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, registry=upgraded, strict=True)
    assert {i.type for i in caught.value.issues} == {"config.type"}


def test_a_changed_neurocore_yaml_is_checked_against_cached_blueprints(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path, 2)
    assert len(load(root, caplog).jobs) == 2
    (root / "neurocore.yaml").write_text("skills:\n  incr:\n    key: 5\n")
    after = load(root, caplog)
    assert (after.hits, after.parsed) == (2, 0)
    assert set(after.jobs) == {"broken__flow_00", "broken__flow_01"}
    assert "neurocore.yaml:3" in after.jobs["broken__flow_00"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "",
        lambda text: "\x00\xff garbage",
        lambda text: json.dumps({**json.loads(text), "key": "0" * 64}),
        lambda text: json.dumps({**json.loads(text), "format": 0}),
        lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "data"}),
        lambda text: json.dumps([1, 2]),
    ],
    ids=["truncated", "empty", "garbage", "other key", "other format", "no data", "not a mapping"],
)
def test_a_damaged_entry_is_ignored_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    root = make_project(tmp_path, 2)
    cold = load(root, caplog)
    entry = entries(root)[0]
    assert callable(damage)
    entry.write_text(damage(entry.read_text()), encoding="utf-8", errors="surrogateescape")
    after = load(root, caplog)
    assert (after.hits, after.parsed, after.rebuilt) == (1, 1, 1)
    assert after.jobs == cold.jobs
    again = load(root, caplog)
    assert (again.hits, again.parsed, again.rebuilt) == (2, 0, 0)


def test_an_entry_under_another_name_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry copied to another key's file name is refused: the key inside must match."""
    root = make_project(tmp_path, 2)
    load(root, caplog)
    first, second = entries(root)
    second.write_bytes(first.read_bytes())
    after = load(root, caplog)
    assert (after.hits, after.parsed, after.rebuilt) == (1, 1, 1)
    assert set(after.jobs) == {"f0", "f1"}


def test_broken_blueprints_fail_alike_cold_and_warm(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A YAML error is never stored (parsed every time); a semantic error is found anew."""
    root = make_project(tmp_path, 1)
    (root / "blueprints" / "bad_yaml.yaml").write_text("name: x\ncomponents: [\n")
    (root / "blueprints" / "bad_ref.yaml").write_text(
        blueprint_text("bad").replace("component: second", "component: third")
    )
    cold = load(root, caplog)
    warm = load(root, caplog)
    assert (cold.parsed, warm.hits, warm.parsed) == (3, 2, 1)
    assert warm.jobs == cold.jobs
    assert {"broken__bad_yaml", "broken__bad_ref", "f0"} == set(warm.jobs)
    from_cache = _strict_errors(root)
    monkeypatch.setenv(CACHE_ENV, "0")
    assert _strict_errors(root) == from_cache
    assert "blueprints/bad_ref.yaml:8" in from_cache
    assert "blueprints/bad_yaml.yaml:3" in from_cache


def _strict_errors(root: Path) -> str:
    with pytest.raises(BlueprintError) as caught:
        build_definitions(root, registry=registry(), strict=True)
    return str(caught.value)


def test_documents_json_cannot_hold_exactly_are_parsed_each_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A date, or a node shared through an alias, is not stored: JSON would change it."""
    root = make_project(tmp_path, 1)
    text = blueprint_text("dated")
    (root / "blueprints" / "dated.yaml").write_text(text.replace("counts", "2024-01-01"))
    shared = text.replace("config: {by: 1}", "config: &c {by: 1}").replace(
        "type: incr}\n", "type: incr, config: *c}\n"
    )
    (root / "blueprints" / "shared.yaml").write_text(shared.replace("dated", "shared"))
    load(root, caplog)
    warm = load(root, caplog)
    assert (warm.hits, warm.parsed) == (1, 2)
    assert len(entries(root)) == 1


def test_a_deleted_blueprint_loses_its_entry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path, 3)
    load(root, caplog)
    (root / "blueprints" / "flow_01.yaml").unlink()
    after = load(root, caplog)
    assert (after.hits, after.removed) == (2, 1)
    assert len(entries(root)) == 2


def test_the_cache_folder_ignores_itself(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = make_project(tmp_path, 1)
    load(root, caplog)
    assert (root / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (root / CACHE_FOLDER / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f")


def test_the_cache_can_be_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path, 2)
    monkeypatch.setenv(CACHE_ENV, "0")
    with caplog.at_level(logging.INFO, logger="neurocore_dagster"):
        defs = build_definitions(root, registry=registry())
    assert {job.name for job in defs.resolve_all_job_defs()} == {"f0", "f1", APPROVE_JOB_NAME}
    assert not (root / CACHE_FOLDER).exists()
    assert not any(REPORT.search(m) for m in caplog.messages)


def test_the_cache_can_live_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path / "project", 2)
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv(CACHE_DIR_ENV, str(elsewhere))
    load(root, caplog)
    assert (load(root, caplog).hits, len(list(elsewhere.glob("*/*.json")))) == (2, 2)
    assert not (root / CACHE_FOLDER).exists()
    assert not (elsewhere / ".gitignore").exists()


def test_an_unwritable_cache_only_costs_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project(tmp_path, 2)
    (root / CACHE_FOLDER).write_text("a file where the cache folder would go")
    cold = load(root, caplog)
    assert "not writable" in caplog.text
    warm = load(root, caplog)
    assert (warm.hits, warm.parsed) == (0, 2)
    assert warm.jobs == cold.jobs
