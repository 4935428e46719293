"""Faults: a killed step process, a hanging skill, storage that cannot be written."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_cli import dagster_env, job_execute, multiprocess_config, new_dagster_home
from helpers import one_step_blueprint
from skills_lib import registry

from neurocore_dagster import Blueprint, build_job, resume_blueprint, run_config

FAULTY_SKILLS = '''
import os
import time
from pathlib import Path

from neurocore_dagster import Skill, SkillMeta


class Count(Skill):
    skill_meta = SkillMeta(name="count", version="1", provides=["counted"],
                           config_schema={"type": "object",
                                          "properties": {"path": {"type": "string"}}})

    def process(self, context):
        with Path(self.config["path"]).open("a") as handle:
            handle.write(self.name + "\\n")
        context.set(f"{self.name}_value", [self.name, 42])
        return context


class Hang(Skill):
    """Writes its pid, then hangs until the file `go` exists."""

    skill_meta = SkillMeta(name="hang", version="1", config_schema={
        "type": "object", "properties": {"folder": {"type": "string"}}})

    def process(self, context):
        folder = Path(self.config["folder"])
        (folder / "pid").write_text(str(os.getpid()))
        while not (folder / "go").exists():
            time.sleep(0.1)
        context.set("hang_done", True)
        return context
'''


def test_killed_step_process_fails_the_run_and_resume_completes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "skills").mkdir(parents=True)
    (project / "skills" / "faulty.py").write_text(FAULTY_SKILLS)
    (project / "blueprints").mkdir()
    calls = tmp_path / "calls.txt"
    (project / "blueprints" / "fragile.yaml").write_text(
        textwrap.dedent(f"""\
        name: fragile
        components:
          - {{name: first, type: count, config: {{path: "{calls}"}}}}
          - {{name: stuck, type: hang, config: {{folder: "{tmp_path}"}}}}
          - {{name: last, type: count, config: {{path: "{calls}"}}}}
        flow:
          steps: [{{component: first}}, {{component: stuck}}, {{component: last}}]
        """)
    )
    (project / "definitions.py").write_text(
        "from pathlib import Path\nfrom neurocore_dagster import build_definitions\n"
        "defs = build_definitions(Path(__file__).parent, strict=True)\n"
    )
    home = new_dagster_home(tmp_path / "home")
    child = subprocess.Popen(
        job_execute(project / "definitions.py", "fragile", config=multiprocess_config(tmp_path)),
        cwd=project,
        env=dagster_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pid_file = tmp_path / "pid"
    deadline = time.time() + 120
    while not pid_file.exists() and time.time() < deadline:
        time.sleep(0.2)
    assert pid_file.exists(), "the hanging step never started"
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    child.wait(timeout=120)
    instance = dg.DagsterInstance.from_config(str(home))
    [run] = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE
    (tmp_path / "go").touch()
    resumed = resume_blueprint(run.run_id, instance=instance, project_root=project)
    assert resumed.status == "completed", resumed.error
    assert calls.read_text().splitlines() == ["first", "last"]
    assert resumed.context.get("first_value") == ["first", 42]
    assert resumed.context.get("hang_done") is True


def _sleeper(mode: str) -> Blueprint:
    return Blueprint.model_validate(
        {
            "name": f"hang-{mode}",
            "components": [{"name": "a", "type": "trace"}, {"name": "s", "type": "hangs_forever"}],
            "flow": {
                "settings": {"timeout_seconds": 1, "timeout_mode": mode},
                "steps": [{"component": "a"}, {"component": "s"}],
            },
        }
    )


def test_hanging_skill_is_stopped_by_timeout(instance: Any) -> None:
    from skills_lib import HangsForever

    skills = registry()
    skills.register(HangsForever)
    for mode in ("hard_async", "hard_process"):
        job = build_job(_sleeper(mode), skills, project_root=".")
        started = time.perf_counter()
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        elapsed = time.perf_counter() - started
        assert not result.success
        assert elapsed < 20, f"{mode} took {elapsed:.1f}s"
        [failure] = [e for e in result.all_events if e.is_step_failure]
        assert "timeout" in str(failure.step_failure_data.error.cause.message).lower()


def _one_step_job() -> dg.JobDefinition:
    blueprint = one_step_blueprint("readonly")
    return build_job(blueprint, registry(), project_root=".")


def _failure_with_base_dir(instance: Any, base_dir: str) -> str:
    """Every error message (causes included) of a failed run whose contexts go to ``base_dir``.

    A bad folder fails the first write (a step failure); a refused ``base_dir``
    fails the IO manager's initialisation (a resource-init failure in process).
    """
    job = _one_step_job()
    config = run_config(job)
    config["resources"]["io_manager"] = {"config": {"base_dir": base_dir}}
    result = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
    assert not result.success
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
        elif event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
            error = event.event_specific_data.error
        else:
            continue
        while error is not None:
            messages.append(error.message)
            error = error.cause
    assert messages, "the run failed without a step or resource error"
    return "\n".join(messages)


def test_unwritable_storage_fails_clearly(instance: Any) -> None:
    # /sys exists, and nobody (root included) may create folders in it.
    message = _failure_with_base_dir(instance, "/sys")
    assert "cannot store the context of step 'a' at /sys/" in message


@pytest.mark.parametrize(
    ("base_dir", "expected"),
    [
        ("s3://bucket/contexts", "is a URI"),
        ("relative/contexts", "is a relative path"),
        ("{missing}", "is not an existing folder on host"),
    ],
)
def test_base_dir_must_be_an_existing_absolute_folder(
    instance: Any, tmp_path: Path, base_dir: str, expected: str
) -> None:
    """A base_dir that not every step process could share is refused, and never created."""
    missing = tmp_path / "not-mounted" / "contexts"
    value = base_dir.format(missing=missing)
    message = _failure_with_base_dir(instance, value)
    assert f"base_dir {value!r}" in message or f"base_dir {value} " in message
    assert expected in message
    assert not missing.exists()
    assert not Path("relative").exists()


def test_base_dir_may_come_from_the_environment(
    instance: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``{env: NAME}`` keeps the path out of run config (it must be the same everywhere:
    outputs refer to deltas by absolute path)."""
    monkeypatch.setenv("NEUROCORE_TEST_CONTEXT_DIR", str(tmp_path))
    job = _one_step_job()
    config = run_config(job)
    config["resources"]["io_manager"] = {
        "config": {"base_dir": {"env": "NEUROCORE_TEST_CONTEXT_DIR"}}
    }
    result = job.execute_in_process(run_config=config, instance=instance)
    assert result.success
    assert list((tmp_path / result.run_id / "a").glob("*.delta"))
