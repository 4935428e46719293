"""Materializing a blueprint's assets runs the blueprint's job (a real instance)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from neurocore_dagster import build_definitions, final_context
from neurocore_dagster.keys import MATERIALIZED_FROM_RUN_TAG

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("materialize-project")
    shutil.copytree(ROOT / "skills", root / "skills")
    shutil.copy(ROOT / "neurocore.yaml", root / "neurocore.yaml")
    (root / "blueprints").mkdir()
    shutil.copy(ROOT / "blueprints" / "ticket_assets.yaml", root / "blueprints")
    return root


def test_materializing_the_assets_runs_the_blueprint_job(project: Path) -> None:
    defs = build_definitions(project)
    job = defs.get_job_def("ticket_assets")
    reply = dg.AssetKey(["support", "ticket_reply"])
    selection = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            selection,
            instance=instance,
            # One blueprint run writes all its assets: selecting one selects its siblings.
            selection=dg.AssetSelection.assets(reply).required_multi_asset_neighbors(),
            run_config={
                "ops": {
                    "neurocore__materialize__ticket_assets": {
                        "config": {"initial_data": {"ticket": "the app crashes"}}
                    }
                }
            },
        )
        assert result.success
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job.name))
        [child] = runs  # exactly one run of the blueprint's own job
        assert child.tags[MATERIALIZED_FROM_RUN_TAG] == result.run_id
        assert child.status == dg.DagsterRunStatus.SUCCESS
        assert final_context(child, instance=instance).get("category") == "bug"
        record = instance.fetch_materializations(reply, limit=5).records
        assert [r.run_id for r in record] == [child.run_id]  # recorded by the job's op
        category = dg.AssetKey(["support", "ticket_category"])
        assert [r.run_id for r in instance.fetch_materializations(category, limit=5).records] == [
            child.run_id
        ]
        # The asset run itself recorded no materialization of its own.
        assert not instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records


def test_materialize_fails_naming_the_run_when_the_blueprint_fails(
    project: Path, tmp_path: Path
) -> None:
    """A blocking check that fails fails the blueprint's run, and so the asset run."""
    text = (project / "blueprints" / "ticket_assets.yaml").read_text()
    broken = tmp_path / "broken"
    shutil.copytree(project, broken)
    (broken / "blueprints" / "ticket_assets.yaml").write_text(
        text.replace(
            '{expression: "len(value) > 20", name: long_enough}',
            '{expression: "len(value) > 100000", name: long_enough, blocking: true}',
        )
    )
    defs = build_definitions(broken, strict=True)
    selection = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    with dg.instance_for_test() as instance:
        result = dg.materialize(selection, instance=instance, raise_on_error=False)
        assert not result.success
        [child] = instance.get_runs(filters=dg.RunsFilter(job_name="ticket_assets"))
        assert child.status == dg.DagsterRunStatus.FAILURE
        failure = result.get_step_failure_events()[0]
        assert child.run_id in failure.step_failure_data.user_failure_data.description


def test_checks_executed_on_their_own_read_the_last_materialization(project: Path) -> None:
    """The UI's "Execute" of a check evaluates the value of the run that last wrote it."""
    defs = build_definitions(project)
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    checks = list(defs.asset_checks or [])
    reply = dg.AssetKey(["support", "ticket_reply"])
    with dg.instance_for_test() as instance:
        never = dg.materialize(
            [*assets, *checks],
            instance=instance,
            selection=dg.AssetSelection.checks_for_assets(reply),
            raise_on_error=False,
        )
        unwritten = never.get_asset_check_evaluations()
        assert len(unwritten) == 2  # never a pass by default
        for evaluation in unwritten:
            assert not evaluation.passed
            assert "launch job ticket_assets" in str(evaluation.description)
        assert dg.materialize(assets, instance=instance).success
        [child] = instance.get_runs(filters=dg.RunsFilter(job_name="ticket_assets"))
        again = dg.materialize(
            [*assets, *checks],
            instance=instance,
            selection=dg.AssetSelection.checks_for_assets(reply),
        )
        evaluations = {e.check_name: e for e in again.get_asset_check_evaluations()}
        assert set(evaluations) == {"not_empty", "long_enough"}
        assert all(e.passed for e in evaluations.values())
        assert evaluations["long_enough"].metadata["run_id"].value == child.run_id
