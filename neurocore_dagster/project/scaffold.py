"""``neurocore-dagster new``: a small runnable project."""

from __future__ import annotations

from pathlib import Path

from neurocore_dagster.errors import ExecutionError

FILES = {
    "neurocore.yaml": """\
project:
  name: {name}
  version: 0.1.0
paths:
  skills: skills
  blueprints: blueprints
skills:
  hello:
    greeting: Hello
""",
    "definitions.py": """\
\"\"\"Dagster entry point: `dagster dev -f definitions.py`.\"\"\"

from pathlib import Path

from neurocore_dagster import build_definitions

defs = build_definitions(project_root=Path(__file__).parent)
""",
    "skills/hello.py": """\
from flowengine import FlowContext

from neurocore_dagster import Skill, SkillMeta


class Hello(Skill):
    skill_meta = SkillMeta(
        name="hello",
        version="0.1.0",
        description="Greets someone.",
        provides=["message"],
        consumes=["name"],
        config_schema={{
            "type": "object",
            "properties": {{"greeting": {{"type": "string", "default": "Hello"}}}},
        }},
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set("message", f"{{self.config['greeting']}}, {{context.get('name', 'world')}}!")
        return context
""",
    "blueprints/hello.yaml": """\
name: hello
description: Says hello.
inputs:
  name: {{type: string, default: world}}
components:
  - name: greeter
    type: hello
flow:
  steps:
    - component: greeter
""",
    ".gitignore": ".dagster/\n__pycache__/\n",
}


def create_project(folder: Path) -> Path:
    """Write the scaffold into a new (or empty) folder; never overwrite a file."""
    if folder.exists() and any(folder.iterdir()):
        raise ExecutionError(f"{folder} exists and is not empty; choose a new folder")
    for relative, text in FILES.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(name=folder.name))
    return folder
