"""A real dagster-webserver on 127.0.0.1 serving the example project, and a real Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from webserver_process import LOCATION, Webserver

from neurocore_dagster import final_context
from neurocore_dagster.keys import DECIDED_IN_TAG

ROOT = Path(__file__).resolve().parent.parent


def test_graphql_lists_every_example_job(webserver: Webserver) -> None:
    data = webserver.graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { "
        "name jobs { name } schedules { name } sensors { name } } } } }"
    )
    [repo] = data["repositoriesOrError"]["nodes"]
    jobs = {j["name"] for j in repo["jobs"]}
    assert {
        "greet_flow",
        "ticket_priority",
        "support_triage",
        "refine_draft",
        "publish_with_approval",
        "summarize_ticket",
        "ticket_batch",
    } <= jobs
    assert {s["name"] for s in repo["schedules"]} == {"weekday_billing_check"}
    assert {s["name"] for s in repo["sensors"]} == {
        "summarize_ticket_files_0",
        "summarize_ticket_after_support_triage_1",
        "ticket_batch_asset_0",
    }


def test_launch_with_run_config(webserver: Webserver) -> None:
    run_id = webserver.launch(
        "greet_flow",
        {
            "resources": {
                "neurocore": {"config": {"initial_data": {"user_name": "Web", "loud": False}}},
                "greeter": {"config": {"greeting": "Howdy"}},
            }
        },
    )
    assert webserver.wait_for_run(run_id) == "SUCCESS"
    with webserver.instance() as instance:
        assert final_context(run_id, instance=instance).get("greeting") == "Howdy, Web!"


def test_launchpad_refuses_wrong_resource_config(webserver: Webserver) -> None:
    result = webserver.launch_result(
        "greet_flow", {"resources": {"greeter": {"config": {"greeting": 5}}}}
    )
    assert result["__typename"] == "RunConfigValidationInvalid"
    assert any("greeting" in e["message"] for e in result["errors"])


def test_launchpad_refuses_an_undeclared_input(webserver: Webserver) -> None:
    data = {"user_nme": "Web"}
    config = {"resources": {"neurocore": {"config": {"initial_data": data}}}}
    result = webserver.launch_result("greet_flow", config)
    assert result["__typename"] == "RunConfigValidationInvalid", result
    [error] = [e["message"] for e in result["errors"]]
    assert '"user_nme"' in error and "user_name?: String" in error
    config["resources"]["neurocore"]["config"] = {"undeclared_data": data}
    run_id = webserver.launch("greet_flow", config)
    assert webserver.wait_for_run(run_id) == "SUCCESS"
    with webserver.instance() as instance:
        assert final_context(run_id, instance=instance).get("user_nme") == "Web"


def test_launchpad_reexecution_decides_an_approval(webserver: Webserver) -> None:
    run_id = webserver.suspended_run()
    decision = {
        "resources": {
            "neurocore": {
                "config": {
                    "resume_data": {"approved": True, "note": "from the launchpad", "by": "ui"}
                }
            }
        }
    }
    child = webserver.reexecute(
        "publish_with_approval", run_id, ["editor_review", "publisher"], decision
    )
    assert webserver.wait_for_run(child) == "SUCCESS"
    with webserver.instance() as instance:
        context = final_context(child, instance=instance)
        assert context.get("approval") == {
            "approved": True,
            "note": "from the launchpad",
            "by": "ui",
        }
        assert context.get("published", "").startswith("Human-in-the-loop")
        assert instance.get_run_by_id(run_id).tags[DECIDED_IN_TAG] == child


@pytest.mark.services
def test_chromium_shows_the_blueprint_graph(webserver: Webserver, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium not found: apt-get install chromium (see README, Tests)"
    page = f"{webserver.url}/locations/{LOCATION}/jobs/support_triage"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=30000",
            "--window-size=1600,1000",
            "--dump-dom",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    dom = result.stdout
    assert "support_triage" in dom, result.stderr[-2000:]
    for node in ("classify", "bug", "billing", "other", "escalate", "reply"):
        assert f">{node}<" in dom or f'"{node}"' in dom, node
