"""What ``dg scaffold defs neurocore_dagster.BlueprintsComponent NAME`` writes.

A ``defs.yaml`` (or ``component.py`` with ``--format python``) naming the
folders, plus the example skill and blueprint of ``neurocore-dagster new``, so
the new component loads and its job runs as scaffolded. Existing files are
kept, never overwritten.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from neurocore_dagster.project.scaffold import FILES

EXAMPLE_FILES = ("skills/hello.py", "blueprints/hello.yaml")

DEFS_YAML = """\
type: {type_name}
attributes:
  # Folders relative to this file; each blueprint file becomes a Dagster job.
  blueprints: blueprints
  skills: skills
  # neurocore_yaml: neurocore.yaml   # skill config and llm settings (optional)
  # strict: true                     # default: strict under `dg check defs` only
  # overrides:                       # per blueprint name
  #   hello:
  #     tags: {{team: data}}
  #     executor: in_process       # or multiprocess, threads, celery
  #     config: {{greeter: {{greeting: Hi}}}}
"""

COMPONENT_PY = """\
import dagster as dg

from {module} import {class_name}


@dg.component_instance
def load(context: dg.ComponentLoadContext) -> {class_name}:
    return {class_name}(blueprints="blueprints", skills="skills")
"""


class BlueprintsScaffolder(dg.Scaffolder):
    """``dg scaffold defs neurocore_dagster.BlueprintsComponent NAME``: a working example."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        scaffold_blueprints(request)


def scaffold_blueprints(request: dg.ScaffoldRequest) -> None:
    """Write the component file and the example files into ``request.target_path``."""
    folder = Path(request.target_path)
    if request.scaffold_format == "python":
        module, class_name = request.type_name.rsplit(".", 1)
        text = COMPONENT_PY.format(module=module, class_name=class_name)
        _write_new(folder / "component.py", text)
    elif request.append:
        # ``--append`` names an existing defs.yaml: add this component as another document.
        with Path(request.target_path).open("a", encoding="utf-8") as handle:
            handle.write("---\n" + DEFS_YAML.format(type_name=request.type_name))
        folder = folder.parent
    else:
        _write_new(folder / "defs.yaml", DEFS_YAML.format(type_name=request.type_name))
    for relative in EXAMPLE_FILES:
        _write_new(folder / relative, FILES[relative].format(name=folder.name))


def _write_new(path: Path, text: str) -> None:
    if path.exists():
        print(f"Kept existing {path}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
