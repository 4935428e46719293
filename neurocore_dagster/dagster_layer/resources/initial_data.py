"""The run config of a run's initial data: declared inputs, and the keys no input declares.

A blueprint that declares ``inputs`` gets a closed ``initial_data`` section: the
inputs' types, defaults and ``required`` flags, and nothing else, so the
launchpad refuses a misspelled key before the run starts (Dagster names the key
and lists the declared inputs). NeuroCore hands every initial key to the run,
declared or not, and so do the CLI (with a warning), ``execute_blueprint`` and
the triggers (a file sensor's ``key``, a run_status trigger's ``pass_keys``, a
trigger's own ``initial_data``): :func:`split_initial_data` puts keys no input
declares in the section :data:`UNDECLARED_DATA`, whose keys are free. The run's
initial data is both sections together; a key in both is refused when the run
starts. A blueprint without ``inputs`` keeps one free-form ``initial_data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.dagster_layer.jobs.config_types import CONFIG_SCALARS
from neurocore_dagster.errors import ExecutionError

INITIAL_DATA = "initial_data"
UNDECLARED_DATA = "undeclared_data"
"""The run resource's config section for initial keys the blueprint's inputs do not declare."""

_INPUT_TYPES: dict[str, Any] = {**CONFIG_SCALARS, "array": [dg.Any], "object": dg.Permissive()}
"""The run-config type of each declared input type (a free list, a free dict)."""

FREE_FORM_DATA = dg.Field(
    dg.Permissive(),
    is_required=False,
    default_value={},
    description="Initial context data (free-form).",
)
UNDECLARED_DATA_FIELD = dg.Field(
    dg.Permissive(),
    is_required=False,
    default_value={},
    description="Initial context data the blueprint does not declare as inputs (NeuroCore "
    "passes every key to the run; so do the CLI and triggers). Declared inputs go in "
    "initial_data.",
)


def initial_data_field(blueprint: Blueprint) -> dg.Field:
    """Typed fields from the blueprint's ``inputs``, no other key; free-form data without them."""
    if not blueprint.inputs:
        return FREE_FORM_DATA
    fields = {}
    for name, spec in blueprint.inputs.items():
        kind = _INPUT_TYPES.get(spec.type, dg.Any)
        if spec.default is not None:
            fields[name] = dg.Field(
                kind, is_required=False, default_value=spec.default, description=spec.description
            )
        else:
            fields[name] = dg.Field(
                kind if spec.required else dg.Noneable(kind),
                is_required=spec.required,
                description=spec.description,
            )
    description = (
        f"Initial context data: the blueprint's declared inputs ({', '.join(sorted(fields))}). "
        f"Keys it does not declare go in {UNDECLARED_DATA}."
    )
    shape = dg.Shape(fields)
    if any(f.is_required for f in fields.values()):
        return dg.Field(shape, is_required=True, description=description)
    return dg.Field(shape, description=description)


def split_initial_data(
    accepted: frozenset[str] | None, data: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The run resource's config sections for ``data``: ``accepted`` keys (the declared
    inputs; ``None``: any key) in ``initial_data``, the others in :data:`UNDECLARED_DATA`."""
    if accepted is None:
        return {INITIAL_DATA: dict(data)}
    sections: dict[str, dict[str, Any]] = {INITIAL_DATA: {}}
    for key, value in data.items():
        section = INITIAL_DATA if key in accepted else UNDECLARED_DATA
        sections.setdefault(section, {})[key] = value
    return sections


def declared_inputs(job: dg.JobDefinition, resource_key: str) -> frozenset[str] | None:
    """The keys ``job``'s ``initial_data`` section accepts; ``None`` when it accepts any."""
    resource = job.resource_defs.get(resource_key)
    if resource is None or resource.config_schema is None:
        return None
    config_type = resource.config_schema.as_field().config_type
    fields = getattr(config_type, "fields", {})
    if UNDECLARED_DATA not in fields:
        return None
    return frozenset(fields[INITIAL_DATA].config_type.fields)


def run_initial_data(config: Mapping[str, Any]) -> dict[str, Any]:
    """The run's initial data from its run resource's config: both sections together."""
    declared = dict(config.get(INITIAL_DATA) or {})
    undeclared = dict(config.get(UNDECLARED_DATA) or {})
    both = sorted(set(declared) & set(undeclared))
    if both:
        raise ExecutionError(
            f"initial data key(s) {', '.join(map(repr, both))} given both in {INITIAL_DATA} "
            f"(declared inputs) and in {UNDECLARED_DATA}; give each once, in {INITIAL_DATA}"
        )
    return {**undeclared, **declared}
