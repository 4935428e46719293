"""Where a project is and what its environment adds, as NeuroCore reads them.

Three rules, each NeuroCore's:

* Without an explicit root, the project is the nearest folder at or above the
  working directory that holds ``neurocore.yaml`` (the working directory when
  none does).
* ``<root>/.env`` is loaded into the process environment. Unlike NeuroCore,
  a variable that is already set keeps its value, so a deployment's own
  environment always wins over a file checked out beside the code.
* ``NEUROCORE_<SECTION>__<KEY>`` overrides ``<section>.<key>`` of
  ``neurocore.yaml`` (``__`` nests; names are lower-cased). Values are strings;
  typed settings (``llm.max_tokens``, ``llm.temperature``) are coerced by the
  model as NeuroCore's pydantic model coerces them. Two kinds of value stay
  references to their variable (``{env: NAME}``) instead of being copied, so
  they are read again when a run starts and never stored: ``llm.api_key``, and
  every ``skills.<skill>.<key>`` (typed then by the skill's schema).
  Variables whose first segment is not a section of ``neurocore.yaml`` (this
  package's own ``NEUROCORE_DAGSTER_*`` switches, for one) are not overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

CONFIG_FILE = "neurocore.yaml"
ENV_FILE = ".env"
ENV_PREFIX = "NEUROCORE_"
SECRET_KEYS: tuple[tuple[str, ...], ...] = (("llm", "api_key"),)
"""Key paths whose override is kept as a reference to its variable, never copied."""


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) holding ``neurocore.yaml``."""
    current = (start or Path.cwd()).resolve()
    for folder in (current, *current.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def project_root_of(root: str | Path | None) -> Path:
    """An explicit root as given (resolved); ``None`` is the root found from the cwd."""
    if root is not None:
        return Path(root).resolve()
    return find_project_root() or Path.cwd().resolve()


def load_env_file(root: Path) -> Path | None:
    """Load ``<root>/.env`` without replacing variables already set; the file, if any."""
    env_file = root / ENV_FILE
    if not env_file.is_file():
        return None
    load_dotenv(env_file, override=False)
    return env_file


@dataclass(frozen=True)
class EnvOverride:
    """One ``NEUROCORE_*`` variable and the ``neurocore.yaml`` key path it sets."""

    variable: str
    loc: tuple[str, ...]

    @property
    def shown(self) -> str:
        """How errors name where the value came from."""
        return f"environment variable {self.variable}"


def env_overrides(sections: Mapping[str, Any], environ: Mapping[str, str]) -> list[EnvOverride]:
    """The variables that override a section of ``neurocore.yaml``, in name order."""
    found = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX):
            continue
        parts = tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__"))
        if parts[0] in sections and all(parts):
            found.append(EnvOverride(name, parts))
    return found


def apply_overrides(
    data: dict[str, Any], overrides: list[EnvOverride], environ: Mapping[str, str]
) -> list[EnvOverride]:
    """Set each override's value in ``data`` (in place); the overrides that applied.

    As in NeuroCore, missing intermediate mappings are created, and a variable
    whose path runs through a value that is not a mapping is not applied.
    """
    applied = []
    for override in overrides:
        target = data
        for part in override.loc[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target[override.loc[-1]] = _value(override, environ)
            applied.append(override)
    return applied


def _value(override: EnvOverride, environ: Mapping[str, str]) -> Any:
    if override.loc in SECRET_KEYS or (override.loc[0] == "skills" and len(override.loc) > 2):
        return {"env": override.variable}
    return environ[override.variable]


def origin_of(loc: tuple[Any, ...], applied: list[EnvOverride]) -> EnvOverride | None:
    """The override that set ``loc`` or one of its parents, if one did."""
    for override in applied:
        if tuple(loc[: len(override.loc)]) == override.loc:
            return override
    return None
