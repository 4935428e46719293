"""A project of 1,000 blueprints loads through a real dagster-webserver within Dagster's
default code-server timeout (180 s).

The blueprints mix sequential, conditional and graph flows of 5 to 20 steps or
nodes; ``benchmarks/large_project.py`` measures the same kind of project.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from webserver_process import INSTANCE_YAML, STARTUP_TIMEOUT_S, Webserver

from neurocore_dagster.keys import BROKEN_PREFIX

BLUEPRINTS = 1000
SKILL = """
from flowengine import FlowContext

from neurocore_dagster import Skill, SkillMeta


class SetKey(Skill):
    skill_meta = SkillMeta(
        name="set_key",
        version="1.0.0",
        description="Sets config key to config value.",
        provides=["*"],
        config_schema={
            "type": "object",
            "properties": {"key": {"type": "string"}, "value": {"type": "integer"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set(self.config["key"], self.config["value"])
        return context
"""
DEFINITIONS = (
    "from pathlib import Path\n\n"
    "from neurocore_dagster import build_definitions\n\n"
    "defs = build_definitions(project_root=Path(__file__).parent)\n"
)
JOBS = "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"


def blueprint(index: int, rng: random.Random) -> dict[str, Any]:
    """Blueprint ``index``: sequential, conditional or graph (a fork and a join)."""
    size = rng.randint(5, 20)
    components = [
        {"name": f"c{i}", "type": "set_key", "config": {"key": f"k{i}", "value": i}}
        for i in range(size)
    ]
    kind = ("sequential", "conditional", "graph")[index % 3]
    flow: dict[str, Any] = {"type": kind}
    if kind == "sequential":
        flow["steps"] = [{"component": c["name"]} for c in components]
        flow["steps"][-1]["condition"] = "context.data.k0 >= 0"
    elif kind == "conditional":
        flow["steps"] = [
            {"component": c["name"], "condition": f"context.data.level <= {i}"}
            for i, c in enumerate(components[:-1])
        ] + [{"component": components[-1]["name"]}]
    else:
        ids = [c["name"] for c in components]
        flow["nodes"] = [{"id": i, "component": i} for i in ids]
        middle = ids[1:-1]
        flow["edges"] = [{"source": ids[0], "target": m} for m in middle] + [
            {"source": m, "target": ids[-1]} for m in middle
        ]
    return {"name": f"flow-{index:04d}", "components": components, "flow": flow}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large-project")
    (root / "skills").mkdir()
    (root / "skills" / "set_key.py").write_text(SKILL)
    (root / "blueprints").mkdir()
    rng = random.Random(6)
    for index in range(BLUEPRINTS):
        document = blueprint(index, rng)
        path = root / "blueprints" / f"{document['name']}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    (root / "definitions.py").write_text(DEFINITIONS)
    return root


def test_a_thousand_blueprints_load_in_the_webserver(
    project: Path, tmp_path: Path, record_property: Any
) -> None:
    (tmp_path / "dagster.yaml").write_text(INSTANCE_YAML)
    started = time.perf_counter()
    server = Webserver(tmp_path, project / "definitions.py")
    try:
        data = server.graphql(JOBS)
        loaded_s = time.perf_counter() - started
    finally:
        server.stop()
    [repository] = data["repositoriesOrError"]["nodes"]
    names = {job["name"] for job in repository["jobs"]}
    assert {f"flow_{i:04d}" for i in range(BLUEPRINTS)} <= names
    assert not any(name.startswith(BROKEN_PREFIX) for name in names)
    record_property("webserver_load_s", round(loaded_s, 1))
    assert loaded_s < STARTUP_TIMEOUT_S
