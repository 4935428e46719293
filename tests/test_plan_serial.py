"""The plan record (plan.serial) on its own: no Dagster job is built here.

Every compiled plan's record survives JSON both ways unchanged; a record of
another format, or with fields missing or added, is refused naming where it
came from and what was expected.
"""

from __future__ import annotations

import json

import pytest
from graph_strategies import GraphCase, graph_cases
from hypothesis import given, settings
from skills_lib import registry

from neurocore_dagster.blueprint.model import Blueprint
from neurocore_dagster.errors import ExecutionError
from neurocore_dagster.plan.compile import compile_plan
from neurocore_dagster.plan.model import UnitOp
from neurocore_dagster.plan.serial import PLAN_FORMAT, PlanRecord, plan_record


def _record(case: GraphCase) -> PlanRecord:
    plan = compile_plan(Blueprint.model_validate(case.document), registry())
    names = {op.key: f"op_{op.key}" for op in plan.ops}
    keys = {c["name"]: f"res_{c['name']}" for c in case.document["components"]}
    return plan_record(plan, names, keys)


@settings(max_examples=30)
@given(case=graph_cases(cyclic=True))
def test_a_plan_record_survives_json(case: GraphCase) -> None:
    record = _record(case)
    text = json.dumps(record.to_dict())
    assert PlanRecord.from_dict(json.loads(text), "job 'x'") == record
    assert json.loads(text)["format"] == PLAN_FORMAT


@settings(max_examples=20)
@given(case=graph_cases(cyclic=False))
def test_the_record_says_what_each_op_is(case: GraphCase) -> None:
    plan = compile_plan(Blueprint.model_validate(case.document), registry())
    record = _record(case)
    assert [op.key for op in record.ops] == [op.key for op in plan.ops]
    assert record.op_names() == {op.key: f"op_{op.key}" for op in plan.ops}
    for op, recorded in zip(plan.ops, record.ops, strict=True):
        assert recorded.records_skip == op.records_skip
        assert recorded.component == (op.unit.component if isinstance(op, UnitOp) else None)


def test_another_format_is_refused_naming_the_run() -> None:
    with pytest.raises(ExecutionError, match=r"run abc recorded its plan in format 7; .* format 2"):
        PlanRecord.from_dict({"format": 7, "ops": [], "resource_keys": {}}, "run abc")


def test_a_record_with_other_fields_is_refused_listing_them() -> None:
    op = {"key": "a", "name": "a", "kind": "node", "order": 0, "records_skip": True}
    data = {"format": PLAN_FORMAT, "ops": [op], "resource_keys": {}}
    with pytest.raises(ExecutionError, match=r"job 'j'.*RecordedOp.*expected component, "):
        PlanRecord.from_dict(data, "job 'j'")
