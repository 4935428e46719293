"""Options NeuroCore users type: ``--project-root``/``-p`` anywhere, ``--version``.

NeuroCore's commands each take ``--project-root``/``-p`` after the command
(``neurocore run flow.yaml -p proj``); this CLI's ``--project`` goes before it.
Both spellings work in both places: the option is added to every subcommand,
where it only overrides the top-level value when given.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

PROJECT_FLAGS = ("--project", "--project-root", "-p")
PROJECT_HELP = (
    "project folder (default: the nearest folder at or above the working "
    "directory that holds neurocore.yaml, else the working directory)"
)
DISTRIBUTION = "neurocore-dagster"


def package_version() -> str:
    """The installed distribution's version (``--version``)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "(not installed: running from a source tree)"


def add_project_option_everywhere(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand, at every depth, the project option (absent unless given)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in set(action.choices.values()):
            sub.add_argument(
                *PROJECT_FLAGS, dest="project", default=argparse.SUPPRESS, help=PROJECT_HELP
            )
            add_project_option_everywhere(sub)
