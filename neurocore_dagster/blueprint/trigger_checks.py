"""What a blueprint's triggers say about the rest of it, checked with the blueprint.

An ``asset_sensor`` fills blueprint inputs from an upstream materialization's
metadata, so each input it names must be declared in ``inputs:``, may come from one
place only (metadata, not also ``initial_data``), and one blueprint may watch an
asset once (two triggers on one asset would start it twice per materialization).
Whether the asset exists is not knowable here: it may be defined in the user's other
definitions or in another code location; the sensor says so when it runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from neurocore_dagster.blueprint.triggers import AssetSensorTrigger, Trigger
from neurocore_dagster.errors import BlueprintIssue, issue


def trigger_issues(triggers: Sequence[Trigger], inputs: Mapping[str, Any]) -> list[BlueprintIssue]:
    """Every problem of ``triggers`` against the blueprint's declared ``inputs``."""
    found: list[BlueprintIssue] = []
    watched: dict[str, int] = {}
    for index, trigger in enumerate(triggers):
        spec = trigger.spec
        if not isinstance(spec, AssetSensorTrigger):
            continue
        loc = ("triggers", index, "asset_sensor")
        first = watched.setdefault(spec.asset, index)
        if first != index:
            found.append(
                issue(
                    "trigger.duplicate_asset",
                    f"asset {spec.asset!r} is already watched by trigger {first}; each"
                    " materialization would start this blueprint twice",
                    (*loc, "asset"),
                    input=spec.asset,
                    expected="one asset_sensor per asset in a blueprint",
                )
            )
        found.extend(_input_issues(spec, inputs, loc))
    return found


def _input_issues(
    spec: AssetSensorTrigger, inputs: Mapping[str, Any], loc: tuple[str | int, ...]
) -> list[BlueprintIssue]:
    found = []
    for name, key in spec.inputs.items():
        if name not in inputs:
            found.append(
                issue(
                    "trigger.unknown_input",
                    f"input {name!r} (from metadata {key!r}) is not declared in the"
                    f" blueprint's inputs{_close(name, inputs)}",
                    (*loc, "inputs", name),
                    input=name,
                    expected=f"a declared input: {', '.join(inputs)}"
                    if inputs
                    else "an input declared under inputs: (the blueprint declares none)",
                )
            )
        elif name in spec.initial_data:
            found.append(
                issue(
                    "trigger.duplicate_input",
                    f"input {name!r} comes from metadata {key!r} and is also set in initial_data",
                    (*loc, "initial_data", name),
                    input=name,
                    expected="each input from one place: metadata or initial_data",
                )
            )
    return found


def _close(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
