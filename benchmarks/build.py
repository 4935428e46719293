"""build: ``build_definitions`` on a project of blueprints vs the same graphs in plain Dagster.

Subject: ``build_definitions(project)`` on a temporary project of 100 graph
blueprints of 20 nodes (a fork into 3 chains and a join; one configured
component per node), read from YAML, plus resolving the ``Definitions`` into a
repository, as Dagster does when it loads a code location.

Baseline: the same graphs written directly in Dagster, from the same data
already in memory (no YAML, no package): per node an ``OpDefinition`` with a fan-in
input, an optional output per outgoing edge and a config schema holding the
component's values; a ``GraphDefinition`` per blueprint turned into a job with a
filesystem IO manager; ``Definitions`` of all jobs, resolved the same way.

Both run in this process, interleaved, after one warm-up each (skill import,
Python's caches). Every build reads and parses every file, as every load of a
code location does. Target: subject <= 1.3x baseline.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import dagster as dg

from neurocore_dagster import build_definitions

TARGET = 1.3


@dataclass(frozen=True)
class Sizes:
    blueprints: int
    nodes: int
    repeats: int


FULL = Sizes(blueprints=100, nodes=20, repeats=5)
QUICK = Sizes(blueprints=5, nodes=20, repeats=1)


def blueprints(sizes: Sizes) -> list[dict[str, Any]]:
    return [common.graph_blueprint(f"bench-{i:03d}", sizes.nodes) for i in range(sizes.blueprints)]


def plain_definitions(documents: Sequence[Mapping[str, Any]]) -> dg.Definitions:
    """The blueprints' graphs written directly as Dagster definitions."""
    return dg.Definitions(jobs=[plain_job(document) for document in documents])


def plain_job(document: Mapping[str, Any]) -> dg.JobDefinition:
    job_name = document["name"].replace("-", "_")
    flow = document["flow"]
    edges = [(e["source"], e["target"]) for e in flow["edges"]]
    configs = {c["name"]: c["config"] for c in document["components"]}
    ops = [
        plain_op(job_name, node["id"], configs[node["component"]], edges) for node in flow["nodes"]
    ]
    dependencies: dict[Any, Any] = {}
    for node in flow["nodes"]:
        sources = [dg.DependencyDefinition(a, f"to_{b}") for a, b in edges if b == node["id"]]
        invocation = dg.NodeInvocation(f"{job_name}__{node['id']}", alias=node["id"])
        dependencies[invocation] = (
            {"upstream": dg.MultiDependencyDefinition(sources)} if sources else {}
        )
    graph = dg.GraphDefinition(name=job_name, node_defs=ops, dependencies=dependencies)
    return graph.to_job(resource_defs={"io_manager": dg.FilesystemIOManager()})


def plain_op(
    job_name: str, node: str, config: Mapping[str, Any], edges: Sequence[tuple[str, str]]
) -> dg.OpDefinition:
    targets = [b for a, b in edges if a == node]
    outs = {"result": dg.Out(description="The context.")}
    outs.update({f"to_{t}": dg.Out(is_required=False) for t in targets})
    ins = {"upstream": dg.In()} if any(b == node for _, b in edges) else {}

    def compute(context, inputs: dict[str, Any]) -> Iterator[dg.Output]:  # type: ignore[no-untyped-def]
        merged: dict[str, Any] = {}
        for value in inputs.get("upstream") or []:
            merged.update(value)
        merged[context.op_config["key"]] = context.op_config["value"]
        yield dg.Output(merged, "result")
        for target in targets:
            yield dg.Output(merged, f"to_{target}")

    return dg.OpDefinition(
        name=f"{job_name}__{node}",
        compute_fn=compute,
        ins=ins,
        outs=outs,
        description=f"Node {node}.",
        config_schema={
            key: dg.Field(
                dg.Int if isinstance(value, int) else dg.String,
                is_required=False,
                default_value=value,
            )
            for key, value in config.items()
        },
    )


def resolved(definitions: dg.Definitions) -> int:
    """Resolve the definitions as a code location load does; the number of ops."""
    jobs = definitions.get_repository_def().get_all_jobs()
    return sum(len(job.graph.node_defs) for job in jobs)


def compare(name: str, root: Path, documents: Sequence[Mapping[str, Any]], repeats: int) -> None:
    """Interleaved builds of the project and of the plain graphs; the result line."""
    subjects, baselines = common.interleave(
        lambda: common.measure(lambda: resolved(build_definitions(root))),
        lambda: common.measure(lambda: resolved(plain_definitions(documents))),
        repeats,
    )
    common.note_samples(subjects, baselines)
    common.report(common.Comparison(name, common.wall(subjects), common.wall(baselines), TARGET))


def main(argv: Sequence[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats
    common.header(
        "build", {"blueprints": sizes.blueprints, "nodes": sizes.nodes, "repeats": repeats}
    )
    documents = blueprints(sizes)
    with common.temp_dir("build") as root:
        common.write_project(root, documents)
        subject_ops = resolved(build_definitions(root))
        baseline_ops = resolved(plain_definitions(documents))
        common.note(f"ops: subject {subject_ops}, baseline {baseline_ops} (after one warm-up each)")
        compare("build", root, documents, repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
