"""Blueprint assets through a real dagster-webserver's GraphQL: the asset graph with its
lineage, exactly the produced assets materialized, checks visible, a blocking one stopping
the run."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from webserver_process import INSTANCE_YAML, REPOSITORY, Webserver

from neurocore_dagster.keys import MATERIALIZED_FROM_RUN_TAG

ROOT = Path(__file__).resolve().parent.parent
LOCATION = "definitions.py"

DEFINITIONS = """\
from pathlib import Path

import dagster as dg

from neurocore_dagster import build_definitions

# A placeholder for the upstream asset the example reads (plain Dagster).
raw_tickets = dg.AssetSpec(dg.AssetKey(["raw", "tickets"]), group_name="raw")
defs = dg.Definitions.merge(
    build_definitions(project_root=Path(__file__).parent), dg.Definitions(assets=[raw_tickets])
)
"""

GUARDED = {
    "name": "guarded-reply",
    "outputs": {
        "reply": {
            "type": "string",
            "asset": {
                "key": "web/reply",
                "deps": ["support/ticket_category"],
                "checks": [
                    {"not_empty": {}},
                    {"condition": {"expression": "len(value) > 1000", "name": "long"}},
                ],
            },
        },
        "escalated": {"type": "boolean", "asset": {"key": "web/escalated"}},
    },
    "components": [
        {"name": "handler", "type": "handle", "config": {"team": "web"}},
        {"name": "replier", "type": "reply"},
        {"name": "escalator", "type": "escalate"},
    ],
    "flow": {
        "steps": [
            {"component": "handler"},
            {"component": "replier"},
            {"component": "escalator", "condition": "context.data.escalate == True"},
        ]
    },
}


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    project = tmp_path_factory.mktemp("assets-project")
    shutil.copytree(ROOT / "skills", project / "skills")
    shutil.copy(ROOT / "neurocore.yaml", project / "neurocore.yaml")
    (project / "blueprints").mkdir()
    shutil.copy(ROOT / "blueprints" / "ticket_assets.yaml", project / "blueprints")
    (project / "blueprints" / "guarded.yaml").write_text(yaml.safe_dump(GUARDED))
    blocking = yaml.safe_load(yaml.safe_dump(GUARDED).replace("web/", "block/"))
    blocking["name"] = "blocking-reply"
    blocking["outputs"]["reply"]["asset"]["checks"][1]["condition"]["blocking"] = True
    (project / "blueprints" / "blocking.yaml").write_text(yaml.safe_dump(blocking))
    (project / LOCATION).write_text(DEFINITIONS)
    home = tmp_path_factory.mktemp("assets-home")
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    server = Webserver(home, project / LOCATION)
    yield server
    server.stop()


ASSET_NODES = """
{ assetNodes { assetKey { path } dependencyKeys { path } groupName
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }
"""

LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""

MATERIALIZATIONS = """
query($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) {
    ... on Asset { assetMaterializations(limit: 10) { runId } }
  }
}"""

CHECK_EXECUTIONS = """
query($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 5) {
    runId status evaluation { success severity }
  }
}"""


def _key(text: str) -> dict[str, list[str]]:
    return {"path": text.split("/")}


def _launch(server: Webserver, job: str, initial_data: dict[str, Any]) -> str:
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": job,
        },
        "runConfigData": {"resources": {"neurocore": {"config": {"initial_data": initial_data}}}},
    }
    result = server.graphql(LAUNCH, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return str(result["run"]["runId"])


def _materialized_in(server: Webserver, run_id: str, keys: list[str]) -> set[str]:
    found = set()
    for key in keys:
        data = server.graphql(MATERIALIZATIONS, {"key": _key(key)})["assetOrError"]
        if any(m["runId"] == run_id for m in data.get("assetMaterializations") or []):
            found.add(key)
    return found


def test_asset_graph_holds_the_declared_assets_and_lineage(webserver: Webserver) -> None:
    nodes = {
        "/".join(n["assetKey"]["path"]): n for n in webserver.graphql(ASSET_NODES)["assetNodes"]
    }
    reply = nodes["support/ticket_reply"]
    assert [d["path"] for d in reply["dependencyKeys"]] == [["raw", "tickets"]]
    assert reply["groupName"] == "support"
    checks = {c["name"]: c["blocking"] for c in reply["assetChecksOrError"]["checks"]}
    assert checks == {"not_empty": True, "long_enough": False}
    assert [d["path"] for d in nodes["web/reply"]["dependencyKeys"]] == [
        ["support", "ticket_category"]
    ]
    assert {"raw/tickets", "support/ticket_category", "web/escalated"} <= set(nodes)


def test_a_run_materializes_exactly_what_its_steps_produced(webserver: Webserver) -> None:
    keys = ["web/reply", "web/escalated"]
    quiet = _launch(webserver, "guarded_reply", {"ticket": "hello", "escalate": False})
    assert webserver.wait_for_run(quiet) == "SUCCESS"
    assert _materialized_in(webserver, quiet, keys) == {"web/reply"}
    loud = _launch(webserver, "guarded_reply", {"ticket": "hello", "escalate": True})
    assert webserver.wait_for_run(loud) == "SUCCESS"
    assert _materialized_in(webserver, loud, keys) == {"web/reply", "web/escalated"}
    executions = webserver.graphql(CHECK_EXECUTIONS, {"key": _key("web/reply"), "name": "long"})
    latest = executions["assetCheckExecutions"][0]
    assert latest["runId"] == loud
    assert latest["evaluation"] == {"success": False, "severity": "WARN"}  # visible, not fatal


def test_a_blocking_check_stops_downstream_and_fails_the_run(webserver: Webserver) -> None:
    run_id = _launch(webserver, "blocking_reply", {"ticket": "hello", "escalate": True})
    assert webserver.wait_for_run(run_id) == "FAILURE"
    assert _materialized_in(webserver, run_id, ["block/reply", "block/escalated"]) == {
        "block/reply"
    }
    executions = webserver.graphql(CHECK_EXECUTIONS, {"key": _key("block/reply"), "name": "long"})
    latest = executions["assetCheckExecutions"][0]
    assert latest["runId"] == run_id
    assert latest["evaluation"] == {"success": False, "severity": "ERROR"}
    with dg.DagsterInstance.from_config(str(webserver.home)) as instance:
        steps = {
            s.step_key: s.status.value
            for s in instance.get_run_step_stats(run_id)  # escalator never started
        }
    assert steps.get("replier") == "FAILURE" and "escalator" not in steps


def test_materializing_from_the_asset_graph_runs_the_blueprint(webserver: Webserver) -> None:
    """What the UI's "Materialize" sends: a launch of the asset job with an asset selection."""
    keys = ["support/ticket_reply", "support/ticket_category"]
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": "__ASSET_JOB",
            "assetSelection": [_key(k) for k in keys],
            "assetCheckSelection": [],
        },
        "runConfigData": {},
    }
    result = webserver.graphql(LAUNCH, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    asset_run = result["run"]["runId"]
    assert webserver.wait_for_run(asset_run) == "SUCCESS"
    with dg.DagsterInstance.from_config(str(webserver.home)) as instance:
        [child] = instance.get_runs(filters=dg.RunsFilter(job_name="ticket_assets"))
        assert child.tags[MATERIALIZED_FROM_RUN_TAG] == asset_run
        assert child.status == dg.DagsterRunStatus.SUCCESS
    assert _materialized_in(webserver, child.run_id, keys) == set(keys)
    assert _materialized_in(webserver, asset_run, keys) == set()


@pytest.mark.services
def test_chromium_shows_the_asset_graph(webserver: Webserver, tmp_path: Path) -> None:
    """The asset lineage page renders the blueprint's assets beside their upstream
    (docs/assets_graph.png was taken the same way, with --screenshot for --dump-dom)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium not found: apt-get install chromium (see README, Tests)"
    webserver.graphql("mutation { setNuxSeen }")  # no community dialog over the graph
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=30000",
            "--window-size=1500,700",
            "--dump-dom",
            f"{webserver.url}/locations/{LOCATION}/asset-groups/support/lineage",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    dom = result.stdout
    for name in ("ticket_category", "ticket_reply", "tickets"):
        assert name in dom, (name, result.stderr[-2000:])
