"""The translator's composite hooks reach Dagster, and the package's own tags win.

``get_job_spec`` and ``get_op_spec`` return specs of Dagster's own types; every
field of them must arrive on the built job or op (no hook whose result is
dropped), package-owned tags are laid over the translator's, and a subclass
that still overrides a hook of earlier releases is refused, not ignored.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skills_lib import registry

from neurocore_dagster import Blueprint, BlueprintTranslator, build_job
from neurocore_dagster.dagster_layer.translation.translator import JobSpec, OpSpec
from neurocore_dagster.plan.model import ExecutionPlan, PlanOp

BLUEPRINT = Blueprint.model_validate(
    {
        "name": "spec-flow",
        "description": "writes one key",
        "components": [{"name": "writer", "type": "set", "config": {"key": "k", "value": "v"}}],
        "flow": {"steps": [{"component": "writer"}]},
    }
)
PACKAGE_OP_TAGS = ("neurocore/blueprint", "neurocore/skill", "neurocore/skill_version")


class EveryField(BlueprintTranslator):
    """Sets every field of both specs."""

    def get_job_spec(self, blueprint: Blueprint, plan: ExecutionPlan) -> JobSpec:
        return (
            super()
            .get_job_spec(blueprint, plan)
            .replace(name="nc_spec", description="custom job", executor_def=dg.in_process_executor)
            .merge(tags={"team": "ml"}, metadata={"owner": dg.MetadataValue.text("me")})
        )

    def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
        return (
            super()
            .get_op_spec(plan, op)
            .replace(name="w", description="custom op", pool="slow_api")
            .merge(tags={"team": "ml"})
        )


def test_every_spec_field_reaches_the_dagster_job() -> None:
    default = build_job(BLUEPRINT, registry())
    job = build_job(BLUEPRINT, registry(), translator=EveryField())
    assert default.name == "spec_flow" and default.description == "writes one key"
    assert job.name == "nc_spec" and job.description == "custom job"
    assert job.executor_def is dg.in_process_executor
    assert job.tags["team"] == "ml" and job.tags["neurocore/blueprint"] == "spec-flow"
    assert job.metadata["owner"] == dg.MetadataValue.text("me")
    assert "neurocore/plan" in job.metadata
    [node] = job.graph.node_dict.values()
    assert node.name == "w"
    op = node.definition
    assert isinstance(op, dg.OpDefinition)
    assert op.description == "custom op" and op.pool == "slow_api"
    assert op.tags["team"] == "ml" and op.tags["neurocore/kind"] == "step"
    assert op.tags["neurocore/skill"] == "set"


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*PACKAGE_OP_TAGS, "neurocore/kind", "team", "a/b"]),
        st.text("abcxyz", min_size=1, max_size=5),
    )
)
def test_package_op_tags_win_over_the_translators(tags: dict[str, str]) -> None:
    class Tagging(BlueprintTranslator):
        def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> OpSpec:
            return super().get_op_spec(plan, op).replace(tags=tags)

    [node] = build_job(BLUEPRINT, registry(), translator=Tagging()).graph.node_dict.values()
    got = node.definition.tags
    expected = {
        **tags,
        "neurocore/blueprint": "spec-flow",
        "neurocore/skill": "set",
        "neurocore/skill_version": "1.0.0",
    }
    assert dict(got) == expected


@pytest.mark.parametrize(
    "hook", ["get_job_name", "get_job_tags", "get_executor", "get_op_name", "get_op_metadata"]
)
def test_a_hook_of_earlier_releases_is_refused_naming_its_place(hook: str) -> None:
    def old_hook(self: Any, *args: Any) -> Any:
        raise AssertionError("never called")

    line = old_hook.__code__.co_firstlineno
    old = type("OldStyle", (BlueprintTranslator,), {hook: old_hook})
    replacement = "get_job_spec" if hook.startswith(("get_job", "get_executor")) else "get_op_spec"
    with pytest.raises(TypeError) as refused:
        build_job(BLUEPRINT, registry(), translator=old())
    text = str(refused.value)
    assert f"{__file__}:{line}" in text
    assert f"OldStyle.{hook} is no longer a translator hook" in text
    assert f"override {replacement} instead" in text


def test_a_hook_that_returns_no_spec_is_refused_naming_its_place() -> None:
    class Sloppy(BlueprintTranslator):
        def get_op_spec(self, plan: ExecutionPlan, op: PlanOp) -> Any:
            return {"name": "x"}

    line = Sloppy.get_op_spec.__code__.co_firstlineno
    with pytest.raises(TypeError) as refused:
        build_job(BLUEPRINT, registry(), translator=Sloppy())
    text = str(refused.value)
    assert f"{__file__}:{line}" in text
    assert "Sloppy.get_op_spec returned dict, not OpSpec" in text
