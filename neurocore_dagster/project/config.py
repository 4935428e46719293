"""A project's ``neurocore.yaml``: where skills and blueprints live, skill and LLM config.

The file is optional; without it the skills folder is ``skills/`` and the
blueprints folder is ``blueprints/``. NeuroCore's ``logging``, ``llm`` and
``persistence`` sections are accepted so one file serves both tools. The file
is read as NeuroCore reads it (:mod:`neurocore_dagster.blueprint.reading`): an
unknown section or key, or a value its lax reading converts, loads with a
located warning, as does each ``logging``/``persistence`` key (Dagster does
their job here: :mod:`~neurocore_dagster.project.sections`). The
project's ``.env`` and ``NEUROCORE_*`` variables apply as NeuroCore applies
them (see :mod:`neurocore_dagster.project.env`).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from neurocore_dagster.blueprint.reading import Rules, read_as_neurocore
from neurocore_dagster.blueprint.source import SourceMap, read_yaml_file
from neurocore_dagster.blueprint.values import json_value_issues
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue
from neurocore_dagster.project.component_config import ConfigLayer
from neurocore_dagster.project.env import (
    CONFIG_FILE,
    EnvOverride,
    apply_overrides,
    env_overrides,
    load_env_file,
    origin_of,
    project_root_of,
)
from neurocore_dagster.project.sections import (
    LoggingSettings,
    PersistenceSettings,
    section_warnings,
)

_FORBID = ConfigDict(extra="forbid")


class ProjectInfo(BaseModel):
    model_config = _FORBID
    name: str = "neurocore-project"
    version: str = "0.1.0"


class Paths(BaseModel):
    model_config = _FORBID
    skills: str = "skills"
    blueprints: str = "blueprints"
    data: str = "data"
    logs: str = "logs"


class LLMSettings(BaseModel):
    """The ``llm:`` section: the provider given to skills with ``requires_llm``.

    ``provider`` is one of NeuroCore's names (or ``offline``); which ones exist,
    their SDKs and default endpoints are in :mod:`neurocore_dagster.llm.catalog`.
    The key is ``api_key`` (``{env: NAME}``, or ``NEUROCORE_LLM__API_KEY``) or
    else the variable ``api_key_env`` names. ``max_tokens`` and ``temperature``
    apply to calls that do not pass their own; ``timeout_seconds`` and
    ``max_retries`` are this package's (the SDKs' request timeout and retries).
    """

    model_config = _FORBID
    provider: str = ""
    model: str = ""
    base_url: str = ""
    api_key: str | dict[str, str] = ""
    api_key_env: str = ""
    max_tokens: int = 8192
    temperature: float = 1.0
    timeout_seconds: float = 60.0
    max_retries: int = 2


class ProjectFile(BaseModel):
    """The document model of ``neurocore.yaml``."""

    model_config = _FORBID
    project: ProjectInfo = Field(default_factory=ProjectInfo)
    paths: Paths = Field(default_factory=Paths)
    skills: dict[str, dict[str, Any]] = Field(default_factory=dict)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    persistence: PersistenceSettings = Field(default_factory=PersistenceSettings)


@dataclass(frozen=True)
class Project:
    """A project folder with its (possibly default) ``neurocore.yaml``."""

    root: Path
    config: ProjectFile = field(default_factory=ProjectFile)
    source: SourceMap = field(default_factory=SourceMap)
    overrides: tuple[EnvOverride, ...] = ()
    """The ``NEUROCORE_*`` variables that set values of ``config``."""
    warnings: tuple[BlueprintIssue, ...] = ()
    """Located: what the file holds that is ignored, converted or NeuroCore's alone."""

    @property
    def skills_dir(self) -> Path:
        return self._resolve(self.config.paths.skills)

    @property
    def blueprints_dir(self) -> Path:
        return self._resolve(self.config.paths.blueprints)

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    def skill_config(self, skill: str) -> dict[str, Any]:
        return dict(self.config.skills.get(skill, {}))

    def skill_config_layers(self, skill: str) -> list[ConfigLayer]:
        """``skills.<skill>`` as config layers: the file's keys, then one per variable.

        A key a ``NEUROCORE_SKILLS__<SKILL>__<KEY>`` variable set is its own layer,
        so an error about it names the variable instead of a line of the file.
        """
        values = self.skill_config(skill)
        by_key = {key: origin_of(("skills", skill, key), list(self.overrides)) for key in values}
        layers = [
            ConfigLayer(
                {k: v for k, v in values.items() if by_key[k] is None},
                self.source,
                ("skills", skill),
            )
        ]
        for key, override in by_key.items():
            if override is not None:
                layers.append(
                    ConfigLayer(
                        {key: values[key]}, SourceMap(file=override.shown), ("skills", skill)
                    )
                )
        return layers

    def locate(self, found: BlueprintIssue) -> BlueprintIssue:
        """``found`` placed in ``neurocore.yaml``, or at the variable that set its value."""
        override = origin_of(found.loc, list(self.overrides))
        if override is None:
            return self.source.locate(found)
        return replace(found, file=override.shown, line=None)

    def with_folders(
        self, *, blueprints: Path | None = None, skills: Path | None = None
    ) -> Project:
        """This project with its blueprints and/or skills folder replaced by absolute paths.

        Used where the folders are named outside ``neurocore.yaml`` (a Dagster
        component's ``defs.yaml``); ``None`` keeps the folder the file names.
        """
        changes = {
            key: str(path.resolve())
            for key, path in (("blueprints", blueprints), ("skills", skills))
            if path is not None
        }
        paths = self.config.paths.model_copy(update=changes)
        return replace(self, config=self.config.model_copy(update={"paths": paths}))

    def _resolve(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else (self.root / candidate).resolve()


def load_project(root: str | Path | None = None) -> Project:
    """The project at ``root``, or (``None``) the nearest one at or above the cwd.

    ``neurocore.yaml`` is optional; its ``.env`` and ``NEUROCORE_*`` variables
    apply either way.
    """
    folder = project_root_of(root)
    config_file = folder / CONFIG_FILE
    if config_file.is_file():
        return load_project_file(config_file)
    load_env_file(folder)
    return _project_from(folder, {}, SourceMap())


def load_project_file(config_file: Path, *, display: str | None = None) -> Project:
    """The project whose config is ``config_file`` (any name); its folder is the project root.

    The file must exist: a missing or unreadable file is a located
    :class:`BlueprintError`, named ``display`` when given.
    """
    config_file = config_file.resolve()
    folder = config_file.parent
    document = read_yaml_file(config_file, display=display)
    data = {} if document.data is None else document.data
    if not isinstance(data, dict):
        raise BlueprintError(
            [
                document.source.locate(
                    issue(
                        "document.not_mapping",
                        "neurocore.yaml must be a mapping",
                        input=data,
                        expected="keys project, paths, skills",
                    )
                )
            ]
        )
    reading = read_as_neurocore(data, ProjectFile, Rules(dates_as_text=((ProjectFile, "skills"),)))
    data = reading.data
    warnings = [document.source.locate(w) for w in (*reading.warnings, *section_warnings(data))]
    bad_values = json_value_issues(data)
    if bad_values:  # skill config becomes run config, which holds JSON only
        raise BlueprintError([document.source.locate(i) for i in bad_values])
    load_env_file(folder)
    ordered = tuple(sorted(warnings, key=lambda w: w.line or 0))
    return _project_from(folder, data, document.source, ordered)


def _project_from(
    folder: Path,
    data: dict[str, Any],
    source: SourceMap,
    warnings: tuple[BlueprintIssue, ...] = (),
) -> Project:
    """Validate ``data`` with the ``NEUROCORE_*`` overrides applied; located errors."""
    data = copy.deepcopy(data)
    overrides = env_overrides(ProjectFile.model_fields, os.environ)
    applied = tuple(apply_overrides(data, overrides, os.environ))
    project = Project(root=folder, source=source, overrides=applied, warnings=warnings)
    try:
        config = ProjectFile.model_validate(data)
    except ValidationError as exc:
        from neurocore_dagster.blueprint.loader import issues_from_validation

        raise BlueprintError(
            [project.locate(i) for i in issues_from_validation(exc, ProjectFile)]
        ) from None
    return replace(project, config=config)
