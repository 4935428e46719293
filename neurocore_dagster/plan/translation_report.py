"""The translation report: how each place in a blueprint maps to Dagster."""

from __future__ import annotations

from neurocore_dagster.plan.model import ExecutionPlan, LoopOp, PlanOp, Route, RouterOp


def render_report(plan: ExecutionPlan, job_name: str) -> str:
    lines = [
        f"blueprint {plan.blueprint!r} ({plan.flow_type}) -> Dagster job {job_name!r}",
        f"{len(plan.ops)} op(s), in flowengine's execution order:",
        "",
    ]
    for op in plan.ops:
        lines.extend(_op_lines(op))
        lines.append("")
    if plan.warnings:
        lines.append("warnings:")
        lines.extend(f"  - {w}" for w in plan.warnings)
    return "\n".join(lines).rstrip() + "\n"


def _route(route: Route) -> str:
    parts = [route.target]
    if route.port is not None:
        parts.append(f"when port == {route.port!r}")
    if route.condition:
        parts.append(f"if {route.condition}")
    return " ".join(parts)


def _op_lines(op: PlanOp) -> list[str]:
    head = f"[{op.order}] op {op.key!r}"
    if isinstance(op, RouterOp):
        out = [f"{head}: router; evaluates step conditions in order, first match runs"]
        out += [f"    step {u.key!r} if {u.condition or 'True'}" for u in op.candidates]
        out.append(
            "    -> exactly one optional output is yielded; the other steps are skipped by Dagster"
        )
        return out
    if isinstance(op, LoopOp):
        out = [
            f"{head}: loop region run in one op by flowengine's loop executor",
            f"    members: {', '.join(op.region.members)}",
            f"    starts at: {', '.join(op.region.seed)}",
            "    back edges: " + ", ".join(f"{s} -> {t}" for s, t in sorted(op.region.back_edges)),
            "    every visit is logged (node, iteration, port, duration); re-execution "
            "re-runs the region from its input",
        ]
        out += _inputs(op)
        return out
    unit = op.unit
    out = [
        f"{head}: {op.kind} running component {unit.component!r} "
        f"(skill {unit.skill} {unit.skill_version})"
    ]
    if unit.condition:
        out.append(f"    condition: {unit.condition} (false -> recorded skip, context passes)")
    if unit.on_error != "fail":
        out.append(f"    on_error: {unit.on_error}")
    if unit.retry is not None:
        out.append(
            f"    retries: up to {unit.retry.max_retries}, backoff "
            f"{unit.retry.delay_base}s..{unit.retry.delay_max}s with full jitter"
        )
    out += _inputs(op)
    for route in op.routes:
        out.append(f"    output -> {_route(route)} (yielded only when active)")
    if op.records_skip and op.inputs:
        out.append(
            "    skipped by Dagster when no incoming route is active (recorded in "
            "skipped_components)"
        )
    return out


def _inputs(op: PlanOp) -> list[str]:
    if not op.inputs:
        return ["    input: the run's initial data"]
    if len(op.inputs) == 1:
        return [f"    input: from {op.inputs[0].source}"]
    sources = ", ".join(r.source for r in op.inputs)
    return [
        f"    join: fan-in from {sources}; runs once when all have finished or been "
        "skipped and at least one route is active; ancestors' changes merge in "
        "flowengine's order"
    ]
