"""A small project on disk whose skills count their calls in a file, driven by the real CLI.

Used by the tests of one decision per suspension, resume once, and dead runs:
the counter file shows how often a step's side effect ran, across processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SKILLS = '''
import time
from pathlib import Path

from neurocore_dagster import Skill, SkillMeta

_PATH = {"type": "object", "properties": {"path": {"type": "string"}}}


class CountCalls(Skill):
    """Appends its component name to the file at config.path on every call."""

    skill_meta = SkillMeta(name="count_calls", version="1.0", provides=["counted"],
                           config_schema=_PATH)

    def process(self, context):
        with Path(self.config["path"]).open("a") as handle:
            handle.write(self.name + "\\n")
        context.set("counted", True)
        return context


class NeedsFile(Skill):
    """Fails until the file at config.path exists."""

    skill_meta = SkillMeta(name="needs_file", version="1.0", provides=["had_file"],
                           config_schema=_PATH)

    def process(self, context):
        if not Path(self.config["path"]).exists():
            raise RuntimeError(f"{self.config['path']} does not exist yet")
        context.set("had_file", True)
        return context


class WaitForFile(Skill):
    """Writes <path>.started, then waits (up to a minute) until <path> exists."""

    skill_meta = SkillMeta(name="wait_for_file", version="1.0", provides=["waited"],
                           config_schema=_PATH)

    def process(self, context):
        path = Path(self.config["path"])
        Path(str(path) + ".started").write_text("started")
        deadline = time.time() + 60
        while not path.exists():
            if time.time() > deadline:
                raise RuntimeError(f"{path} never appeared")
            time.sleep(0.05)
        context.set("waited", True)
        return context
'''


@dataclass(frozen=True)
class Project:
    root: Path
    home: Path
    counter: Path
    go: Path

    def calls(self) -> list[str]:
        return self.counter.read_text().splitlines() if self.counter.exists() else []

    def env(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        return {**os.environ, "DAGSTER_HOME": str(self.home), "PYTHONPATH": path}

    def cli(self, *args: str) -> subprocess.Popen[str]:
        """``neurocore-dagster --project <root> ARGS`` in a new process."""
        command = [sys.executable, "-m", "neurocore_dagster.cli.main", "--project", str(self.root)]
        return subprocess.Popen(
            [*command, *args],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def make_project(folder: Path) -> Project:
    """A project with the counting skills, blueprints gated, waits and fails, and an instance.

    ``waits`` and ``fails`` go on once the file ``<folder>/go`` exists.
    """
    root = folder / "project"
    (root / "skills").mkdir(parents=True)
    (root / "blueprints").mkdir()
    (root / "skills" / "counting.py").write_text(SKILLS)
    counter = folder / "calls.txt"
    (root / "blueprints" / "gated.yaml").write_text(
        textwrap.dedent(f"""\
        name: gated
        components:
          - {{name: before, type: count_calls, config: {{path: "{counter}"}}}}
          - {{name: after, type: count_calls, config: {{path: "{counter}"}}}}
        flow:
          steps:
            - component: before
            - approval: {{name: gate, message: Go?}}
            - component: after
        """)
    )
    (root / "blueprints" / "waits.yaml").write_text(
        textwrap.dedent(f"""\
        name: waits
        components:
          - {{name: before, type: count_calls, config: {{path: "{counter}"}}}}
          - {{name: wait, type: wait_for_file, config: {{path: "{folder / "go"}"}}}}
          - {{name: after, type: count_calls, config: {{path: "{counter}"}}}}
        flow:
          steps: [{{component: before}}, {{component: wait}}, {{component: after}}]
        """)
    )
    (root / "blueprints" / "fails.yaml").write_text(
        textwrap.dedent(f"""\
        name: fails
        components:
          - {{name: before, type: count_calls, config: {{path: "{counter}"}}}}
          - {{name: needs, type: needs_file, config: {{path: "{folder / "go"}"}}}}
          - {{name: after, type: count_calls, config: {{path: "{counter}"}}}}
        flow:
          steps: [{{component: before}}, {{component: needs}}, {{component: after}}]
        """)
    )
    home = folder / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    return Project(root=root, home=home, counter=counter, go=folder / "go")
