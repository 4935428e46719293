"""Context deltas: what one op changed, and how branches' changes merge.

An op stores only its delta (keys set or deleted, items appended to lists,
dicts changed key by key, metadata entries added), tagged with its position in
flowengine's execution order. A node's input is the initial data with its
ancestors' deltas applied in that order, and the run's final context is every
executed op's delta applied in that order. So a join sees list items in the
order flowengine would have appended them, dicts merged key by key, and for one
scalar key written by two parallel branches the write flowengine makes last.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Literal

from flowengine import FlowContext

from neurocore_dagster.runtime.access import AccessLog

ChangeKind = Literal["set", "delete", "extend", "merge"]

_META_LISTS = (
    "errors",
    "condition_errors",
    "skipped_components",
    "completed_nodes",
    "loop_timings",
)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    value: Any = None
    children: Mapping[str, Change] = field(default_factory=dict)


@dataclass(frozen=True)
class MetaDelta:
    """Metadata an op added: list entries appended, loop counters set, suspension."""

    appended: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    node_visit_counts: Mapping[str, int] | None = None
    iteration_count: int | None = None
    max_iterations_reached: bool | None = None
    suspended_at: str | None = None
    suspension_reason: str | None = None


@dataclass(frozen=True)
class Delta:
    """The changes of one op, at its place (``order``) in flowengine's order."""

    op: str
    order: int
    data: Mapping[str, Change] = field(default_factory=dict)
    meta: MetaDelta = field(default_factory=MetaDelta)
    port: str | None = None
    location: tuple[str, str, str] | None = field(default=None, compare=False)
    """Where the delta is stored (run id, step key, file); set by the IO manager on load."""

    def overwritten_keys(self) -> set[str]:
        """Keys whose value this op stored whole (or deleted), discarding what was there."""
        return {k for k, c in self.data.items() if c.kind in ("set", "delete")}


def diff_data(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    replaced: AbstractSet[str] = frozenset(),
) -> dict[str, Change]:
    """The changes that turn ``before`` into ``after`` (``before`` must be a snapshot).

    Keys in ``replaced`` were written without being read first: they are stored
    whole (``set``, or ``delete`` when gone), even when equal to what was there,
    because in flowengine's shared context that write is the one that counts.
    """
    changes: dict[str, Change] = {}
    for key, value in after.items():
        if key in replaced:
            changes[key] = Change("set", value)
        elif key not in before:
            changes[key] = _created(value)
        else:
            change = _diff_value(before[key], value)
            if change is not None:
                changes[key] = change
    for key in before:
        if key not in after:
            changes[key] = Change("delete")
    for key in replaced:
        if key not in after and key not in before:
            changes[key] = Change("delete")
    return changes


def _created(value: Any) -> Change:
    """A list or dict created after reading that the key was absent extends or merges.

    So two parallel branches that each start the same list or dict after finding
    it missing combine their items or keys, as they would have in flowengine's
    shared context. (Written without that read, it is a replacement instead.)
    """
    if type(value) is list:
        return Change("extend", tuple(value))
    if type(value) is dict:
        return Change("merge", children=diff_data({}, value))
    return Change("set", value)


def _diff_value(old: Any, new: Any) -> Change | None:
    if type(old) is list and type(new) is list and len(new) >= len(old):
        if _same(new[: len(old)], old):
            return Change("extend", tuple(new[len(old) :])) if len(new) > len(old) else None
        return Change("set", new)
    if type(old) is dict and type(new) is dict:
        children = diff_data(old, new)
        return Change("merge", children=children) if children else None
    if type(old) is type(new) and _same(old, new):
        return None
    return Change("set", new)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


def apply_data(data: dict[str, Any], changes: Mapping[str, Change]) -> None:
    """Apply ``changes`` to ``data`` in place, copying values so no two contexts share them."""
    for key, change in changes.items():
        if change.kind == "set":
            data[key] = copy.deepcopy(change.value)
        elif change.kind == "delete":
            data.pop(key, None)
        elif change.kind == "extend":
            current = data.get(key)
            base = list(current) if isinstance(current, list) else []
            data[key] = base + copy.deepcopy(list(change.value))
        else:
            current = data.get(key)
            target = current if isinstance(current, dict) else {}
            apply_data(target, change.children)
            data[key] = target


def ordered(deltas: Iterable[Delta]) -> list[Delta]:
    """Unique deltas (by op) in flowengine's order.

    Two deltas of one op (a loop region that suspended, then resumed: ``op`` and
    ``op/resumed``) share its order; the name puts the earlier part first.
    """
    unique = {d.op: d for d in deltas}
    return sorted(unique.values(), key=lambda d: (d.order, d.op))


RESUMED_SUFFIX = "/resumed"


def without_suspension(delta: Delta) -> Delta:
    """``delta`` as the first part of an op that went on after its suspension was decided."""
    meta = dataclasses.replace(delta.meta, suspended_at=None, suspension_reason=None)
    return dataclasses.replace(delta, meta=meta, location=None)


INITIAL_OP = "__initial__"


def initial_delta(data: Mapping[str, Any]) -> Delta:
    """The run's initial data as the first delta of every lineage."""
    return Delta(op=INITIAL_OP, order=-1, data={k: Change("set", v) for k, v in data.items()})


def build_context(deltas: Sequence[Delta]) -> FlowContext:
    """A fresh context with ``deltas`` applied in order (data and metadata)."""
    context = FlowContext()
    data: dict[str, Any] = {}
    meta = context.metadata
    for delta in deltas:
        apply_data(data, delta.data)
        for name, items in delta.meta.appended.items():
            getattr(meta, name).extend(copy.deepcopy(list(items)))
        if delta.meta.node_visit_counts is not None:
            meta.node_visit_counts = dict(delta.meta.node_visit_counts)
        if delta.meta.iteration_count is not None:
            meta.iteration_count = delta.meta.iteration_count
        if delta.meta.max_iterations_reached is not None:
            meta.max_iterations_reached = delta.meta.max_iterations_reached
        if delta.meta.suspended_at is not None:
            context.suspend(delta.meta.suspended_at, delta.meta.suspension_reason or "")
    for key, value in data.items():
        context.set(key, value)
    return context


@dataclass(frozen=True)
class Snapshot:
    """What a context held before an op ran, to compute the op's delta afterwards."""

    data: dict[str, Any]
    meta_lengths: dict[str, int]
    visits: dict[str, int]
    iteration: int
    max_reached: bool

    @classmethod
    def of(cls, context: FlowContext) -> Snapshot:
        meta = context.metadata
        return cls(
            data=copy.deepcopy(context.data.to_dict()),
            meta_lengths={name: len(getattr(meta, name)) for name in _META_LISTS},
            visits=dict(meta.node_visit_counts),
            iteration=meta.iteration_count,
            max_reached=meta.max_iterations_reached,
        )

    def delta(self, op: str, order: int, after: FlowContext, log: AccessLog | None) -> Delta:
        """What the op changed; ``log`` says which keys it replaced (None: compare values)."""
        meta = after.metadata
        appended = {
            name: tuple(getattr(meta, name)[self.meta_lengths[name] :]) for name in _META_LISTS
        }
        return Delta(
            op=op,
            order=order,
            data=diff_data(
                self.data, after.data.to_dict(), log.replaced if log is not None else frozenset()
            ),
            meta=MetaDelta(
                appended={k: v for k, v in appended.items() if v},
                node_visit_counts=(
                    dict(meta.node_visit_counts) if meta.node_visit_counts != self.visits else None
                ),
                iteration_count=(
                    meta.iteration_count if meta.iteration_count != self.iteration else None
                ),
                max_iterations_reached=(
                    meta.max_iterations_reached
                    if meta.max_iterations_reached != self.max_reached
                    else None
                ),
                suspended_at=meta.suspended_at_node if meta.suspended else None,
                suspension_reason=meta.suspension_reason if meta.suspended else None,
            ),
            port=after.get_active_port(),
        )


def overwrite_conflicts(
    deltas: Sequence[Delta], ancestors: Mapping[str, frozenset[str]]
) -> list[tuple[str, str, str]]:
    """(key, earlier op, later op) where a later op overwrites what a parallel op wrote.

    Both wrote the key, and the later one (in flowengine's order) stored it whole,
    so the earlier parallel write is lost, as it would be in flowengine.
    """
    found = []
    written = [d for d in deltas if d.op != INITIAL_OP]
    for i, first in enumerate(written):
        for second in written[i + 1 :]:
            if first.op in ancestors.get(second.op, frozenset()) or second.op in ancestors.get(
                first.op, frozenset()
            ):
                continue
            for key in sorted(second.overwritten_keys() & first.data.keys()):
                found.append((key, first.op, second.op))
    return found


def final_context(
    lineages: Iterable[Sequence[Delta]], unreached: Iterable[tuple[str, int, str]]
) -> FlowContext:
    """The run's final context: every delta once, plus a recorded skip per unreached node.

    ``unreached`` holds (op, order, component) for graph nodes Dagster skipped,
    which flowengine lists in ``skipped_components`` at their place in its order.
    """
    deltas = [d for lineage in lineages for d in lineage]
    for op, order, component in unreached:
        deltas.append(
            Delta(op=op, order=order, meta=MetaDelta(appended={"skipped_components": (component,)}))
        )
    return build_context(ordered(deltas))
