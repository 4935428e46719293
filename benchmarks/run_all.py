"""Run every benchmark script and print a summary table with the machine it ran on.

Each script runs in its own Python process (fresh imports, its own memory), one
after the other; their output is passed through, and their result lines are
collected into a Markdown table. ``--quick`` passes ``--quick`` on (a smoke
run); ``--only build,exec`` picks scripts. Exit status: 0 when every script ran
(over-target ratios included), 1 when a script failed or printed no result line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import common

SCRIPTS = ("build", "exec", "storage", "parallel", "startup", "large_project", "ui_launch")


@dataclass(frozen=True)
class ScriptRun:
    script: str
    returncode: int
    wall_s: float
    results: list[dict[str, str]]


def run_script(script: str, quick: bool) -> ScriptRun:
    """Run one script, echoing its output, and collect its result lines."""
    command = [sys.executable, str(common.BENCH_DIR / f"{script}.py")]
    if quick:
        command.append("--quick")
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        print(completed.stderr[-4000:], file=sys.stderr, flush=True)
    results = [m.groupdict() for m in common.RESULT_LINE.finditer(completed.stdout)]
    return ScriptRun(script, completed.returncode, wall_s, results)


def table(runs: Sequence[ScriptRun]) -> list[str]:
    lines = [
        "| benchmark | subject | baseline | ratio | target | verdict |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        if run.returncode != 0 or not run.results:
            lines.append(f"| {run.script} | - | - | - | - | FAILED (exit {run.returncode}) |")
        for r in run.results:
            lines.append(
                f"| {r['name']} | {r['subject']} {r['unit']} | {r['baseline']} {r['unit']} "
                f"| {r['ratio']}x | <= {r['target']}x | {r['verdict']} |"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("--only", default=",".join(SCRIPTS), help="comma-separated scripts")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(SCRIPTS)}")
    before = common.machine_facts()
    runs = [run_script(script, args.quick) for script in chosen]
    after = common.machine_facts()
    print("\n== summary" + (" (quick: smoke sizes, not figures)" if args.quick else ""))
    for key, value in before.items():
        print(f"{key}: {value}")
    print(f"load average at the end: {after['load average (1/5/15 min)']}")
    print("script wall times: " + ", ".join(f"{r.script} {r.wall_s:.0f} s" for r in runs))
    print()
    print("\n".join(table(runs)))
    return 0 if all(r.returncode == 0 and r.results for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
