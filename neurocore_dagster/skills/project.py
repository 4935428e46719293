"""A project's ``neurocore.yaml``: where skills and blueprints live, and skill config.

The file is optional; without it the skills folder is ``skills/`` and the
blueprints folder is ``blueprints/``. NeuroCore's ``logging``, ``llm`` and
``persistence`` sections are accepted so one file serves both tools. The file
is read as NeuroCore reads it (:mod:`neurocore_dagster.blueprint.reading`): an
unknown section or key, or a value its lax reading converts, loads with a
located warning, as does each ``logging``/``persistence`` key (Dagster does
their job here: :mod:`~neurocore_dagster.skills.project_sections`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from neurocore_dagster.blueprint.reading import Rules, read_as_neurocore
from neurocore_dagster.blueprint.source import SourceMap, read_yaml_file
from neurocore_dagster.blueprint.values import json_value_issues
from neurocore_dagster.errors import BlueprintError, BlueprintIssue, issue
from neurocore_dagster.skills.project_sections import (
    LoggingSettings,
    PersistenceSettings,
    section_warnings,
)

CONFIG_FILE = "neurocore.yaml"
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


LLM_PROVIDERS = ("offline", "mock", "openai", "openai-compatible", "ollama", "vllm", "litellm")


class LLMSettings(BaseModel):
    """The ``llm:`` section: the provider given to skills with ``requires_llm``.

    ``offline`` (alias ``mock``) is a deterministic stand-in; every other name is
    an OpenAI-compatible chat-completions endpoint at ``base_url``. The key is
    read from the environment variable ``api_key_env`` (or ``api_key: {env: NAME}``).
    """

    model_config = _FORBID
    provider: str = ""
    model: str = ""
    base_url: str = ""
    api_key: str | dict[str, str] = ""
    api_key_env: str = ""
    max_tokens: int = 1024
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
    """Read ``<root>/neurocore.yaml`` if present (``root`` defaults to the working directory)."""
    folder = Path(root if root is not None else Path.cwd()).resolve()
    config_file = folder / CONFIG_FILE
    if not config_file.is_file():
        return Project(root=folder)
    return load_project_file(config_file)


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
    try:
        config = ProjectFile.model_validate(data)
    except ValidationError as exc:
        from neurocore_dagster.blueprint.loader import issues_from_validation

        raise BlueprintError(
            [document.source.locate(i) for i in issues_from_validation(exc, ProjectFile)]
        ) from None
    ordered = sorted(warnings, key=lambda w: w.line or 0)
    return Project(root=folder, config=config, source=document.source, warnings=tuple(ordered))
