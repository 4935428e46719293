"""Blueprint jobs with their steps on two real Celery workers (dagster-celery, Redis).

The project below is what a user deploys: skills, blueprints, and a
``definitions.py`` whose translator gives every job dagster-celery's executor.
The run is launched from this process (the run worker); its steps go through a
Redis broker that the tests start on 127.0.0.1 to two worker processes, each
running one task at a time. Runs and events are in PostgreSQL, and contexts in a
shared folder, as on a volume every machine mounts: the IO manager's ``base_dir``
when run config names it, else the instance's storage folder, which
``dagster.yaml`` puts on that volume.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from celery_workers import celery_workers, worker_logs
from dagster._core.definitions.reconstruct import ReconstructableRepository
from oracle import comparable, run_flowengine

from neurocore_dagster import (
    discover_skills,
    final_context,
    load_blueprint,
    resume_blueprint,
    run_config,
)

SKILLS = '''
import time
from pathlib import Path

from neurocore_dagster import Skill, SkillMeta


class Work(Skill):
    """Works for `seconds`, then appends its name to `trace` and sets `<name>_done`."""

    skill_meta = SkillMeta(
        name="work", version="1", provides=["trace"],
        config_schema={"type": "object", "properties": {"seconds": {"type": "number"}}},
    )

    def process(self, context):
        time.sleep(self.config.get("seconds", 0))
        trace = context.get("trace")
        if trace is None:
            context.set("trace", [self.name])
        else:
            trace.append(self.name)
        context.set(f"{self.name}_done", True)
        return context


class Gate(Skill):
    """Fails while the file `path` does not exist; logs every call to the file `calls`."""

    skill_meta = SkillMeta(
        name="gate", version="1", provides=["gate_open"],
        config_schema={"type": "object", "properties": {
            "path": {"type": "string"}, "calls": {"type": "string"}}},
    )

    def process(self, context):
        with Path(self.config["calls"]).open("a") as handle:
            handle.write(self.name + "\\n")
        if not Path(self.config["path"]).exists():
            raise RuntimeError(f"{self.config['path']} does not exist yet")
        context.set("gate_open", True)
        return context
'''

FAN = """
name: fan
description: one root, three parallel branches, one join
components:
  - {name: start, type: work}
  - {name: left, type: work, config: {seconds: 1.0}}
  - {name: middle, type: work, config: {seconds: 1.0}}
  - {name: right, type: work, config: {seconds: 1.0}}
  - {name: join, type: work}
flow:
  type: graph
  nodes:
    - {id: start, component: start}
    - {id: left, component: left}
    - {id: middle, component: middle}
    - {id: right, component: right}
    - {id: join, component: join}
  edges:
    - {source: start, target: left}
    - {source: start, target: middle}
    - {source: start, target: right}
    - {source: left, target: join}
    - {source: middle, target: join}
    - {source: right, target: join}
"""

FRAGILE = """
name: fragile
components:
  - {{name: start, type: work}}
  - {{name: steady, type: work, config: {{seconds: 0.5}}}}
  - {{name: gated, type: gate, config: {{path: "{gate}", calls: "{calls}"}}}}
  - {{name: join, type: work}}
flow:
  type: graph
  nodes:
    - {{id: start, component: start}}
    - {{id: steady, component: steady}}
    - {{id: gated, component: gated}}
    - {{id: join, component: join}}
  edges:
    - {{source: start, target: steady}}
    - {{source: start, target: gated}}
    - {{source: steady, target: join}}
    - {{source: gated, target: join}}
"""

DEFINITIONS = '''
"""Every blueprint job runs its steps on Celery workers."""
import os
import threading
from pathlib import Path

from dagster_celery import celery_executor

from neurocore_dagster import BlueprintTranslator, build_definitions


class CeleryTranslator(BlueprintTranslator):
    def get_job_spec(self, blueprint, plan):
        return super().get_job_spec(blueprint, plan).replace(executor_def=celery_executor)


# One line per process that builds the project (the test counts them).
with Path(__file__).with_name("builds.log").open("a") as log:
    log.write(f"{os.getpid()}\\n")
defs = build_definitions(Path(__file__).parent, translator=CeleryTranslator(), strict=True)
'''

WORKERS = ("alpha", "beta")
RUN_TIMEOUT_S = 120.0

# dagster-celery registers its task again for every step it submits; harmless.
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")


@dataclass
class Cluster:
    """The deployment under test; ``shared`` is the folder runs name as ``base_dir``."""

    project: Path
    instance: dg.DagsterInstance
    execution: dict[str, Any]
    shared: Path
    hosts: list[str]
    logs: Path
    gate: Path
    calls: Path


def _write_project(project: Path, gate: Path, calls: Path) -> None:
    (project / "skills").mkdir(parents=True)
    (project / "blueprints").mkdir()
    (project / "skills" / "distributed.py").write_text(SKILLS)
    (project / "blueprints" / "fan.yaml").write_text(FAN)
    (project / "blueprints" / "fragile.yaml").write_text(FRAGILE.format(gate=gate, calls=calls))
    (project / "definitions.py").write_text(DEFINITIONS)


def _write_instance(home: Path, postgres_url: str, storage: Path) -> None:
    """Runs and events in PostgreSQL, as they must be when workers are on other
    machines (they write step events directly); the instance's storage folder on the
    shared volume, so runs that set no base_dir keep contexts in <storage>/storage/neurocore.
    """
    home.mkdir()
    settings = {
        "storage": {"postgres": {"postgres_url": postgres_url}},
        "local_artifact_storage": {
            "module": "dagster._core.storage.root",
            "class": "LocalArtifactStorage",
            "config": {"base_dir": str(storage)},
        },
    }
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))


@pytest.fixture(scope="module")
def cluster(
    redis_url: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """The project, an instance, a shared folder, and two workers serving them."""
    root = tmp_path_factory.mktemp("celery")
    project, home, shared, logs = root / "project", root / "home", root / "shared", root / "logs"
    gate, calls = root / "gate", root / "calls.txt"
    _write_project(project, gate, calls)
    _write_instance(home, postgres_url, shared / "dagster")
    (shared / "contexts").mkdir(parents=True)
    logs.mkdir()
    execution = {"config": {"broker": redis_url, "backend": redis_url}}
    config_yaml = root / "celery.yaml"
    config_yaml.write_text(yaml.safe_dump({"execution": execution}))
    with (
        dg.DagsterInstance.from_config(str(home)) as instance,
        celery_workers(
            WORKERS,
            broker=redis_url,
            config_yaml=config_yaml,
            dagster_home=home,
            cwd=project,
            logs=logs,
        ) as hosts,
    ):
        yield Cluster(project, instance, execution, shared / "contexts", hosts, logs, gate, calls)


def _job(cluster: Cluster, name: str) -> dg.ReconstructableJob:
    """The job as the code location points at it: ``definitions.py``, attribute ``defs``."""
    repository = ReconstructableRepository.for_file(
        str(cluster.project / "definitions.py"), "defs", working_directory=str(cluster.project)
    )
    return repository.get_reconstructable_job(name)


def _execute(cluster: Cluster, job: dg.ReconstructableJob, **kwargs: Any) -> dg.ExecutionResult:
    """``dg.execute_job`` with this process as the run worker; a run the workers never
    finish fails the test instead of hanging it (Dagster waits on Celery without a limit)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = dg.execute_job(job, cluster.instance, **kwargs)
        except Exception as exc:  # re-raised in the test's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="celery-run-worker", daemon=True)
    thread.start()
    thread.join(RUN_TIMEOUT_S)
    if thread.is_alive():
        pytest.fail(f"the run did not finish in {RUN_TIMEOUT_S:.0f} s\n{worker_logs(cluster.logs)}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _config(
    cluster: Cluster,
    job: dg.ReconstructableJob,
    *,
    base_dir: Path | None = None,
    resources: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run config: the broker, and ``base_dir`` if given (else the instance's storage)."""
    config = run_config(job.get_definition(), resources=resources)
    config["execution"] = cluster.execution
    if base_dir is not None:
        config["resources"]["io_manager"] = {"config": {"base_dir": str(base_dir)}}
    return config


def _instance_contexts(cluster: Cluster) -> Path:
    """Where contexts go without a base_dir: ``<instance storage>/neurocore``."""
    return Path(cluster.instance.storage_directory()) / "neurocore"


def _records(instance: dg.DagsterInstance, run_id: str) -> list[Any]:
    return [r.event_log_entry for r in instance.get_records_for_run(run_id, limit=100_000).records]


def _step_starts(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """Step key -> pid of the process that ran it; each step started once."""
    starts = [
        (entry.step_key, entry.dagster_event.pid)
        for entry in _records(instance, run_id)
        if entry.dagster_event is not None
        and entry.dagster_event.event_type == dg.DagsterEventType.STEP_START
    ]
    assert len(starts) == len(dict(starts)), f"a step started twice: {starts}"
    return dict(starts)


def _celery_hosts(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Step key -> the Celery worker that took it, from dagster-celery's engine events."""
    hosts = {}
    for entry in _records(instance, run_id):
        event = entry.dagster_event
        if event is None or event.event_type != dg.DagsterEventType.ENGINE_EVENT:
            continue
        metadata = event.engine_event_data.metadata
        if "Celery worker" in metadata:
            hosts[event.step_key] = metadata["Celery worker"].value
    return hosts


def _oracle(cluster: Cluster, blueprint_file: str) -> dict[str, Any]:
    blueprint = load_blueprint(cluster.project / "blueprints" / blueprint_file)
    outcome = run_flowengine(blueprint, discover_skills(cluster.project))
    assert not outcome.failed, outcome.error
    return comparable(outcome.context)


def _stored_under(cluster: Cluster, run_id: str) -> set[Path]:
    """Every folder the run's context outputs were stored in."""
    folders = set()
    for entry in _records(cluster.instance, run_id):
        event = entry.dagster_event
        if event is not None and event.event_type == dg.DagsterEventType.HANDLED_OUTPUT:
            refs = event.event_specific_data.metadata.get("refs_path")
            if refs is not None:
                folders.add(Path(refs.value).parents[2])
    return folders


def _assert_built_once(cluster: Cluster, pids: set[int]) -> None:
    """Each worker process built the project once, however many steps it ran: it keeps
    the code location it loaded (Dagster caches the module and its definitions)."""
    builds = [int(pid) for pid in (cluster.project / "builds.log").read_text().split()]
    assert all(builds.count(pid) == 1 for pid in pids), f"builds: {builds}, step pids: {pids}"


def test_graph_steps_run_on_both_workers_with_flowengine_results(cluster: Cluster) -> None:
    job = _job(cluster, "fan")
    result = _execute(cluster, job, run_config=_config(cluster, job, base_dir=cluster.shared))
    run_id = result.run_id
    assert result.success, worker_logs(cluster.logs)

    context = final_context(run_id, instance=cluster.instance)
    assert comparable(context) == _oracle(cluster, "fan.yaml")

    starts = _step_starts(cluster.instance, run_id)
    assert set(starts) == {"start", "left", "middle", "right", "join"}
    hosts = _celery_hosts(cluster.instance, run_id)
    assert set(hosts) == set(starts), "every step went through a Celery task"
    assert set(hosts.values()) == set(cluster.hosts), f"steps per worker: {hosts}"
    assert os.getpid() not in starts.values()
    assert len(set(starts.values())) == 2, f"pids: {starts}"
    _assert_built_once(cluster, set(starts.values()))

    assert _stored_under(cluster, run_id) == {cluster.shared}
    assert not (_instance_contexts(cluster) / run_id).exists()


def test_failed_step_is_re_executed_from_failure_on_the_workers(cluster: Cluster) -> None:
    """No base_dir in run config: contexts go to the instance's (shared) storage folder."""
    job = _job(cluster, "fragile")
    config = _config(cluster, job)
    failed = _execute(cluster, job, run_config=config, raise_on_error=False)
    assert not failed.success
    assert set(_step_starts(cluster.instance, failed.run_id)) == {"start", "steady", "gated"}

    cluster.gate.touch()
    options = dg.ReexecutionOptions.from_failure(failed.run_id, cluster.instance)
    resumed = _execute(cluster, job, run_config=config, reexecution_options=options)
    assert resumed.success, worker_logs(cluster.logs)
    ran_again = _step_starts(cluster.instance, resumed.run_id)
    assert set(ran_again) == {"gated", "join"}
    assert set(_celery_hosts(cluster.instance, resumed.run_id)) == {"gated", "join"}
    assert cluster.calls.read_text().splitlines() == ["gated", "gated"]
    _assert_built_once(cluster, set(ran_again.values()))

    context = final_context(resumed.run_id, instance=cluster.instance)
    assert comparable(context) == _oracle(cluster, "fragile.yaml")
    assert _stored_under(cluster, resumed.run_id) == {_instance_contexts(cluster)}


def test_resume_blueprint_finishes_a_celery_run_in_the_calling_process(cluster: Cluster) -> None:
    """``resume_blueprint`` re-executes in process, reading the parent's contexts from the
    shared ``base_dir`` its run config names."""
    job = _job(cluster, "fragile")
    gate, calls = cluster.gate.with_name("gate-resume"), cluster.calls.with_name("calls-resume")
    gated = {"gated": {"path": str(gate), "calls": str(calls)}}
    config = _config(cluster, job, base_dir=cluster.shared, resources=gated)
    failed = _execute(cluster, job, run_config=config, raise_on_error=False)
    assert not failed.success

    gate.touch()
    resumed = resume_blueprint(
        failed.run_id, instance=cluster.instance, project_root=cluster.project
    )
    assert resumed.status == "completed", resumed.error
    ran_again = _step_starts(cluster.instance, resumed.run_id)
    assert set(ran_again) == {"gated", "join"}
    assert set(ran_again.values()) == {os.getpid()}
    assert calls.read_text().splitlines() == ["gated", "gated"]
    cluster.gate.touch()  # the oracle runs the blueprint as written
    assert comparable(resumed.context) == _oracle(cluster, "fragile.yaml")
    assert _stored_under(cluster, resumed.run_id) == {cluster.shared}
