"""``init`` and ``new``: projects laid out as NeuroCore lays them out, runnable offline.

``new NAME --template T`` (or NeuroCore's ``new T NAME``) copies a template from
``project_templates/`` into ``--dir``/NAME; ``new --list`` lists them. Each
template matches one of NeuroCore's five in shape (same flow, same skills'
roles) and runs as created with the ``mock`` LLM provider; its neurocore.yaml
says how to switch to a real provider. ``new NAME`` alone gives this package's
small ``hello`` project. ``init`` makes the current folder (or ``init NAME``:
a new folder, as NeuroCore's ``init`` does) a project, and never overwrites a
file: every file already there is named and nothing is written.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurocore_dagster.errors import NeuroCoreDagsterError
from neurocore_dagster.project.scaffold import create_project

TEMPLATES_DIR = Path(__file__).parent.parent / "project_templates"
COMMON_DIR = TEMPLATES_DIR / "_common"
PLACEHOLDER = "{{ project_name }}"
HELLO = "hello"


class TemplateError(NeuroCoreDagsterError):
    """An unknown template, a missing name, or files that would be overwritten (exit 2)."""


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    run: str
    """The command that runs its blueprint, from inside the project."""


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(HELLO, "this package's smallest project: one skill, one step", "hello.yaml"),
        Template("multi-agent-debate", "proposer, critic and judge in a graph", "debate.yaml"),
        Template("ollama-agent", "one chat step; switch to a local Ollama model", "chat.yaml"),
        Template("rag-agent", "retrieve passages, answer grounded in them", "rag.yaml"),
        Template("research-agent", "gather sources, write a cited summary", "research.yaml"),
        Template("tool-agent", "call a tool, explain its result", "tool.yaml"),
    )
}

INIT_FILES = {
    "neurocore.yaml": """\
project:
  name: "{{ project_name }}"
  version: "0.1.0"

# Uncomment to give skills that ask for one an LLM (`mock` works offline):
# llm:
#   provider: mock
#   model: mock-model

paths:
  skills: "skills"
  blueprints: "blueprints"

# Base config per skill type; a blueprint component's `config` overrides it.
skills: {}
""",
    "definitions.py": (COMMON_DIR / "definitions.py").read_text(),
}


def add_template_commands(commands: Any) -> None:
    init = commands.add_parser("init", help="make the current folder (or NAME) a project")
    init.add_argument("name", nargs="?", help="create this new folder instead (NeuroCore's form)")
    init.add_argument("--dir", "-d", default=".", help="the folder NAME is created in (default: .)")
    init.set_defaults(handler=_init)
    new = commands.add_parser("new", help="create a runnable project from a template")
    new.add_argument("names", nargs="*", metavar="[TEMPLATE] NAME", help="project folder to create")
    new.add_argument("--template", "-t", help=f"one of: {', '.join(TEMPLATES)} (default hello)")
    new.add_argument("--list", "-l", action="store_true", help="list the templates")
    new.add_argument("--dir", "-d", default=".", help="the folder NAME is created in (default: .)")
    new.set_defaults(handler=_new)


def _new(args: argparse.Namespace) -> int:
    if args.list:
        _print_templates()
        return 0
    template, name = _template_and_name(args.names, args.template)
    folder = new_project(Path(args.dir) / name, template)
    run = TEMPLATES[template].run
    print(
        f"created {folder} (template {template})\n\nnext:\n  cd {folder}\n"
        f"  neurocore-dagster run blueprints/{run}\n  dagster dev -f definitions.py"
    )
    return 0


def _template_and_name(names: list[str], flag: str | None) -> tuple[str, str]:
    """``NAME`` (template from --template, else hello) or NeuroCore's ``TEMPLATE NAME``."""
    if len(names) == 2 and flag is None:
        template, name = names
    elif len(names) == 1:
        template, name = flag or HELLO, names[0]
    elif not names:
        raise TemplateError("new needs a project NAME (new NAME --template T); new --list lists T")
    else:
        raise TemplateError(
            f"new takes NAME with --template T, or TEMPLATE NAME; got {' '.join(names)!r}"
            + (f" and --template {flag}" if flag else "")
        )
    if template not in TEMPLATES:
        raise TemplateError(f"unknown template {template!r}; templates: {', '.join(TEMPLATES)}")
    return template, name


def _print_templates() -> None:
    for template in TEMPLATES.values():
        print(f"{template.name:20} {template.description}")


def new_project(folder: Path, template: str) -> Path:
    """Write ``template`` into ``folder`` (new or empty), its name put in where it belongs."""
    if template == HELLO:
        return create_project(folder)
    if folder.exists() and any(folder.iterdir()):
        raise TemplateError(f"{folder} exists and is not empty; choose a new folder")
    files = {**_tree(COMMON_DIR), **_tree(TEMPLATES_DIR / template)}
    _write(folder, files)
    return folder


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _write(folder: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(PLACEHOLDER, folder.resolve().name), encoding="utf-8")


def _init(args: argparse.Namespace) -> int:
    folder = Path(args.dir) / args.name if args.name else Path(args.dir)
    init_project(folder)
    print(
        f"{folder.resolve()} is a project: neurocore.yaml, definitions.py, skills/, blueprints/\n"
        "next: put skill files in skills/ and blueprints in blueprints/, then\n"
        "  neurocore-dagster validate"
    )
    return 0


def init_project(folder: Path) -> None:
    """Make ``folder`` a project; refused, naming each one, if any file it writes exists."""
    taken = [name for name in INIT_FILES if (folder / name).exists()]
    taken += [name for name in ("skills", "blueprints") if (folder / name).is_file()]
    if taken:
        raise TemplateError(
            f"{folder.resolve()}: {', '.join(taken)} already exist(s); init writes nothing "
            "over existing files (move them away, or init another folder)"
        )
    _write(folder, INIT_FILES)
    for name in ("skills", "blueprints"):
        (folder / name).mkdir(exist_ok=True)
