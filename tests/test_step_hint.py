"""Issue 17: the step-blueprint hint is per run, never process-global state.

Step processes of the multiprocess executor build only their own blueprint's
job. The hint must reach them without touching ``os.environ``: two runs of
different blueprints started at once from one process must each get their own.
"""

from __future__ import annotations

import os
import textwrap
import threading
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster_cli import new_dagster_home

from neurocore_dagster import final_context

PROBE_SKILL = '''
import os
import sys

from flowengine import FlowContext

from neurocore_dagster import Skill, SkillMeta


class Probe(Skill):
    """Records what its step process sees: the environment and the jobs it built."""

    skill_meta = SkillMeta(name="probe", version="1.0")

    def process(self, context: FlowContext) -> FlowContext:
        defs = sys.modules["definitions"].defs
        context.set("jobs_built", sorted(job.name for job in defs.jobs))
        context.set("hint_in_env", any("STEP_BLUEPRINT" in key for key in os.environ))
        context.set("pid", os.getpid())
        return context
'''


def _project(root: Path) -> Path:
    (root / "skills").mkdir(parents=True)
    (root / "blueprints").mkdir()
    (root / "skills" / "probe.py").write_text(PROBE_SKILL)
    for name in ("first", "second", "third"):
        (root / "blueprints" / f"{name}.yaml").write_text(
            textwrap.dedent(f"""\
            name: {name}
            components: [{{name: p, type: probe}}]
            flow: {{steps: [{{component: p}}]}}
            """)
        )
    (root / "definitions.py").write_text(
        "from pathlib import Path\n\nfrom neurocore_dagster import build_definitions\n\n"
        "defs = build_definitions(Path(__file__).parent)\n"
    )
    return root / "definitions.py"


MULTIPROCESS = {"execution": {"config": {"multiprocess": {}}}}


def test_concurrent_runs_each_tell_their_step_processes_their_own_blueprint(
    tmp_path: Path,
) -> None:
    definitions = _project(tmp_path / "project")
    repository = ReconstructableRepository.for_file(
        str(definitions), "defs", working_directory=str(definitions.parent)
    )
    outcomes: dict[str, Any] = {}
    # An instance as users have it: instance_for_test's yaml log handlers make Dagster
    # reconfigure logging per run, which deadlocks two runs starting in one process.
    home = new_dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        before = dict(os.environ)

        recons = {job: repository.get_reconstructable_job(job) for job in ("first", "second")}
        for recon in recons.values():
            recon.get_definition()  # load the code location once, not in two threads at once

        def run(job: str) -> None:
            with dg.execute_job(recons[job], instance, run_config=MULTIPROCESS) as result:
                outcomes[job] = (result.success, result.run_id)

        threads = [threading.Thread(target=run, args=(job,)) for job in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert dict(os.environ) == before
        for job in ("first", "second"):
            success, run_id = outcomes[job]
            assert success, job
            data = final_context(run_id, instance=instance).data.to_dict()
            assert data["pid"] != os.getpid()
            assert data["jobs_built"] == [job], data
            assert data["hint_in_env"] is False
