"""The blueprint document model.

Field for field the same documents NeuroCore and flowengine accept. A key
NeuroCore ignores, or a value its lax reading converts, loads as NeuroCore reads
it with a located warning (:mod:`~neurocore_dagster.blueprint.reading`;
``Blueprint.warnings``), and every reference, condition and graph shape is
checked when the model is built, not when a run reaches it. The fields
themselves are strict, so nothing is converted without a warning. The
``approval:`` step shorthand is expanded before validation, so
``Blueprint.model_validate`` and :func:`~neurocore_dagster.load_blueprint`
accept the same documents.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from flowengine.agent.meta import IOFieldSpec
from flowengine.config.schema import (
    ComponentConfig,
    FlowSettings,
    GraphEdgeConfig,
    GraphNodeConfig,
    StepConfig,
)
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError

from neurocore_dagster.blueprint.assets import AssetDecl
from neurocore_dagster.blueprint.condition_check import RUN_TIME_REFUSALS
from neurocore_dagster.blueprint.reading import Reading, Rules, read_as_neurocore
from neurocore_dagster.blueprint.source import SourceMap
from neurocore_dagster.blueprint.sugar import (
    APPROVAL_KEY,
    expand_approval_steps,
    read_approval_spec,
    read_approval_step,
    read_taken_approval_names,
)
from neurocore_dagster.blueprint.triggers import Trigger
from neurocore_dagster.blueprint.values import json_value_issues
from neurocore_dagster.errors import BlueprintIssue, format_loc

FlowType = Literal["sequential", "conditional", "graph"]
ErrorPolicy = Literal["fail", "skip", "continue"]

# Strict types: a value NeuroCore converts (`true` for 1, "5" for 5) is converted by the
# reading before validation, with a warning; the model itself converts nothing.
_FORBID = ConfigDict(extra="forbid", strict=True)


class Settings(FlowSettings):
    """flowengine's ``FlowSettings``, every field and range, with unknown keys refused, and
    a timeout no longer than a thread or event loop can wait (``threading.TIMEOUT_MAX``)."""

    model_config = _FORBID
    timeout_seconds: float = Field(
        default=300.0, gt=0, le=threading.TIMEOUT_MAX, description="Maximum flow execution time"
    )


class Component(ComponentConfig):
    """A named instance of a skill; ``type`` is the skill name in the registry."""

    model_config = _FORBID
    name: str = Field(..., min_length=1, description="Component name, unique in the blueprint")
    type: str = Field(..., min_length=1, description="Skill name")


class Step(StepConfig):
    model_config = _FORBID


class Node(GraphNodeConfig):
    model_config = _FORBID
    id: str = Field(..., min_length=1, description="Unique node id within the graph")
    max_visits: int | None = Field(
        default=None,
        ge=1,
        description="Max executions in cyclic graphs (None = use flow max_iterations)",
    )


class Edge(GraphEdgeConfig):
    model_config = _FORBID


class FieldSpec(IOFieldSpec):
    """A declared flow input or output (type, required, default, description)."""

    model_config = _FORBID


class OutputSpec(FieldSpec):
    """A declared flow output; with ``asset``, a Dagster asset the blueprint's job writes
    (:mod:`~neurocore_dagster.blueprint.assets`). Left out of dumps when not set, so a
    blueprint without assets has the snapshot and job it had before assets existed."""

    asset: AssetDecl | None = Field(default=None, exclude_if=lambda value: value is None)


def _read_own_section(value: Any, loc: Any, warnings: list[BlueprintIssue]) -> Any:
    """A section NeuroCore does not know is read by its own strict model, as written."""
    return value


class Flow(BaseModel):
    model_config = _FORBID

    type: FlowType = "sequential"
    settings: Settings = Field(default_factory=Settings)
    steps: list[Step] | None = None
    nodes: list[Node] | None = None
    edges: list[Edge] | None = None


class Blueprint(BaseModel):
    """A NeuroCore blueprint: components (skill instances) wired by a flow."""

    model_config = _FORBID

    name: str = Field(..., min_length=1)
    version: str = "1.0"
    description: str | None = None
    inputs: dict[str, FieldSpec] = Field(default_factory=dict)
    outputs: dict[str, OutputSpec] = Field(default_factory=dict)
    components: list[Component] = Field(..., min_length=1)
    flow: Flow
    triggers: list[Trigger] = Field(default_factory=list)

    _source: SourceMap = PrivateAttr(default_factory=SourceMap)
    _warnings: list[BlueprintIssue] = PrivateAttr(default_factory=list)

    @property
    def source(self) -> SourceMap:
        """Where the blueprint was written (file and key lines); empty when built in code."""
        return self._source

    @property
    def warnings(self) -> list[BlueprintIssue]:
        """What loaded other than as written (ignored keys, converted values, conditions
        flowengine refuses when it evaluates them), located, in document order."""
        found = [self._source.locate(w) for w in self._warnings]
        return sorted(found, key=lambda w: (w.line or 0, [str(s) for s in w.loc]))

    def with_source(self, source: SourceMap) -> Blueprint:
        """Attach the file and key lines this blueprint was read from."""
        self._source = source
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _read(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Blueprint:
        """NeuroCore's reading first (unless the loader did it), then the JSON rule, the
        approval shorthand and the strict model; the reading's warnings stay with it."""
        if isinstance(data, Blueprint):
            same: Blueprint = handler(data)
            return same
        given = (info.context or {}).get(READING_CONTEXT) if info.context else None
        reading = given if isinstance(given, Reading) else read_blueprint_data(data)
        data = reading.data
        issues = json_value_issues(data) if isinstance(data, dict) else []
        if issues:
            raise _semantic_error(issues)
        blueprint: Blueprint = handler(expand_approval_steps(data))
        blueprint._warnings.extend(reading.warnings)
        return blueprint

    @model_validator(mode="after")
    def _check_semantics(self) -> Blueprint:
        from neurocore_dagster.blueprint.checks import semantic_issues

        issues = semantic_issues(self)
        if any(i.type not in RUN_TIME_REFUSALS for i in issues):
            raise _semantic_error(issues)  # the warnings too: fix everything in one pass
        self._warnings.extend(issues)
        return self

    def component(self, name: str) -> Component:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)


READING_CONTEXT = "neurocore_dagster.reading"
"""Validation context key under which a loader hands over the :class:`Reading` it made."""

BLUEPRINT_RULES = Rules(
    own_sections=(("triggers",),),
    extras={Step: {APPROVAL_KEY: read_approval_spec}, OutputSpec: {"asset": _read_own_section}},
    hooks={Step: read_approval_step, Blueprint: read_taken_approval_names},
    dates_as_text=((Component, "config"),),
)


def read_blueprint_data(data: Any) -> Reading:
    """A blueprint document as NeuroCore reads it (see :mod:`.reading`)."""
    return read_as_neurocore(data, Blueprint, BLUEPRINT_RULES)


def _semantic_error(issues: list[BlueprintIssue]) -> PydanticCustomError:
    """Issues with their own key paths, carried through pydantic to the loader."""
    summary = "; ".join(f"{format_loc(i.loc)}: {i.msg}" for i in issues)
    return PydanticCustomError(
        "blueprint.semantic", "{summary}", {"summary": summary, "issues": issues}
    )
