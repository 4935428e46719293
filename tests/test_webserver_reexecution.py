"""Runs started by the CLI are re-executed from the Dagster UI (a real ``dagster-webserver``).

A project with a ``definitions.py`` and a skill that fails until a flag file
exists: its runs are started by ``neurocore-dagster run`` (the CLI's ``main``,
on the instance of the webserver's ``DAGSTER_HOME``), fail at that step, and are
re-executed over GraphQL as the UI's buttons do ("from failure", and "from a
chosen step" with the selector read from the run's origin). The result equals
what ``runs resume`` gives, and the step that succeeded is not run again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from webserver_process import INSTANCE_YAML, Webserver

from neurocore_dagster import final_context
from neurocore_dagster.cli.main import main
from neurocore_dagster.dagster_layer.storage.run_outcome import run_failure_message

SKILLS = """
from pathlib import Path
from neurocore_dagster import Skill, SkillMeta

LOG = Path(__file__).parent / "prepared.log"

class Prepare(Skill):
    skill_meta = SkillMeta(name="prepare", version="1.0", provides=["trail"], consumes=["flag"],
                           config_schema={"type": "object", "properties": {}})

    def process(self, context):
        with LOG.open("a") as log:
            log.write(context.get("flag") + "\\n")
        context.set("trail", ["prepared"])
        return context

class NeedsFlag(Skill):
    skill_meta = SkillMeta(name="needs_flag", version="1.0", provides=["trail"],
                           consumes=["flag", "trail"],
                           config_schema={"type": "object", "properties": {}})

    def process(self, context):
        if not Path(context.get("flag")).exists():
            raise RuntimeError("flag file missing")
        context.set("trail", [*context.get("trail"), "gated"])
        return context

class Finish(Skill):
    skill_meta = SkillMeta(name="finish", version="1.0", provides=["summary"],
                           consumes=["trail"], config_schema={"type": "object", "properties": {}})

    def process(self, context):
        context.set("summary", "+".join(context.get("trail")))
        return context
"""

BLUEPRINT = """\
name: flaky-flow
inputs:
  flag: {type: string, required: true}
components:
  - {name: prepare, type: prepare}
  - {name: gate, type: needs_flag}
  - {name: finish, type: finish}
flow:
  type: sequential
  steps: [{component: prepare}, {component: gate}, {component: finish}]
"""

DEFINITIONS = """\
from pathlib import Path
from neurocore_dagster import build_definitions

defs = build_definitions(project_root=Path(__file__).parent)
"""

REEXECUTE = """
mutation($params: ExecutionParams, $reexecution: ReexecutionParams) {
  launchPipelineReexecution(executionParams: $params, reexecutionParams: $reexecution) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
  }
}"""

ORIGIN = """
query($id: ID!) { runOrError(runId: $id) { ... on Run {
  runConfigYaml
  repositoryOrigin { repositoryLocationName repositoryName }
} } }"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reexec-project")
    (root / "skills").mkdir()
    (root / "skills" / "steps.py").write_text(SKILLS)
    (root / "blueprints").mkdir()
    (root / "blueprints" / "flaky.yaml").write_text(BLUEPRINT)
    (root / "definitions.py").write_text(DEFINITIONS)
    return root


@pytest.fixture(scope="module")
def webserver(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    home = tmp_path_factory.mktemp("reexec-home")
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    server = Webserver(home, project / "definitions.py")
    yield server
    server.stop()


@pytest.fixture()
def cli(
    project: Path,
    webserver: Webserver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """``neurocore-dagster --project <project> ...`` on the webserver's instance: (code, JSON)."""
    monkeypatch.setenv("DAGSTER_HOME", str(webserver.home))

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        code = main(["--project", str(project), *args])
        out = capsys.readouterr().out
        return code, json.loads(out[out.index("{") :])

    return run


def failed_cli_run(cli: Any, project: Path, flag: Path) -> str:
    code, outcome = cli("run", str(project / "blueprints" / "flaky.yaml"), "-d", f"flag={flag}")
    assert code == 1 and "flag file missing" in outcome["error"], outcome
    return str(outcome["run_id"])


def finished(server: Webserver, run_id: str) -> str:
    """The run's final status, and why it failed when it did."""
    status = server.wait_for_run(run_id)
    if status != "SUCCESS":
        with dg.DagsterInstance.from_config(str(server.home)) as instance:
            return f"{status}: {run_failure_message(instance, run_id)}"
    return status


def reexecute(server: Webserver, **variables: Any) -> str:
    result = server.graphql(REEXECUTE, variables)["launchPipelineReexecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return str(result["run"]["runId"])


def prepared_flags(project: Path) -> list[str]:
    return (project / "skills" / "prepared.log").read_text().splitlines()


def test_ui_reexecutes_a_cli_run_from_failure_as_runs_resume_does(
    cli: Any, project: Path, webserver: Webserver, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    from_ui, from_cli = failed_cli_run(cli, project, flag), failed_cli_run(cli, project, flag)
    with dg.DagsterInstance.from_config(str(webserver.home)) as instance:
        origin = instance.get_run_by_id(from_ui).remote_job_origin
        assert origin is not None and origin.location_name == "definitions.py"
    flag.touch()
    child = reexecute(webserver, reexecution={"parentRunId": from_ui, "strategy": "FROM_FAILURE"})
    assert finished(webserver, child) == "SUCCESS"
    code, resumed = cli("runs", "resume", from_cli)
    assert code == 0 and resumed["status"] == "completed"
    with dg.DagsterInstance.from_config(str(webserver.home)) as instance:
        ui_context = final_context(child, instance=instance)
        cli_context = final_context(resumed["run_id"], instance=instance)
        run = instance.get_run_by_id(child)
        assert run.parent_run_id == from_ui
        assert set(run.step_keys_to_execute or ()) == {"gate", "finish"}
    assert ui_context.data == cli_context.data
    assert ui_context.get("summary") == "prepared+gated"
    assert prepared_flags(project).count(str(flag)) == 2  # the two CLI runs, never again


def test_ui_reexecutes_a_cli_run_from_a_chosen_step(
    cli: Any, project: Path, webserver: Webserver, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    parent = failed_cli_run(cli, project, flag)
    found = webserver.graphql(ORIGIN, {"id": parent})["runOrError"]
    origin = found["repositoryOrigin"]
    assert origin == {
        "repositoryLocationName": "definitions.py",
        "repositoryName": "__repository__",
    }
    flag.touch()
    selector = {
        "repositoryLocationName": origin["repositoryLocationName"],
        "repositoryName": origin["repositoryName"],
        "jobName": "flaky_flow",
    }
    params = {
        "selector": selector,
        "runConfigData": found["runConfigYaml"],
        "stepKeys": ["gate", "finish"],
        "executionMetadata": {"parentRunId": parent, "rootRunId": parent},
    }
    child = reexecute(webserver, params=params)
    assert finished(webserver, child) == "SUCCESS"
    with dg.DagsterInstance.from_config(str(webserver.home)) as instance:
        assert final_context(child, instance=instance).get("summary") == "prepared+gated"
    assert prepared_flags(project).count(str(flag)) == 1
