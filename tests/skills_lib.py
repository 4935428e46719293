"""Skills used by the test suite: small, deterministic, and observable."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

from flowengine import FlowContext

from neurocore_dagster import AsyncSkill, Skill, SkillMeta, SkillRegistry


def _meta(name: str, **extra: object) -> SkillMeta:
    return SkillMeta(name=name, version="1.0.0", description=f"test skill {name}", **extra)


class Trace(Skill):
    """Appends its component name to ``trace`` in place, and sets ``last``."""

    skill_meta = _meta("trace", provides=["trace", "last"])

    def process(self, context: FlowContext) -> FlowContext:
        trace = context.get("trace")
        if trace is None:
            context.set("trace", [self.name])
        else:
            trace.append(self.name)
        context.set("last", self.name)
        return context


class SetValue(Skill):
    """Sets config ``key`` to config ``value``."""

    skill_meta = _meta(
        "set",
        provides=["*"],
        config_schema={
            "type": "object",
            "properties": {"key": {"type": "string"}, "value": {}},
            "required": ["key"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set(self.config["key"], self.config.get("value"))
        return context


class Replace(Skill):
    """Stores a fresh copy of config ``value`` at config ``key`` without reading the key.

    A whole-value replacement: whatever a parallel branch put there, in place or
    not, flowengine's last write wins.
    """

    skill_meta = _meta(
        "replace",
        config_schema={
            "type": "object",
            "properties": {"key": {"type": "string"}, "value": {}},
            "required": ["key"],
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set(self.config["key"], copy.deepcopy(self.config.get("value")))
        return context


class Increment(Skill):
    skill_meta = _meta(
        "incr",
        provides=["count"],
        config_schema={
            "type": "object",
            "properties": {
                "key": {"type": "string", "default": "count"},
                "by": {"type": "integer", "default": 1},
            },
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        key = self.config.get("key", "count")
        context.set(key, (context.get(key) or 0) + self.config.get("by", 1))
        return context


class DictPut(Skill):
    """Writes ``config.sub`` = component name into the dict at ``config.key``, in place."""

    skill_meta = _meta(
        "dictput",
        config_schema={
            "type": "object",
            "properties": {"key": {"type": "string"}, "sub": {"type": "string"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        key = self.config.get("key", "info")
        current = context.get(key)
        if current is None:
            context.set(key, {self.config.get("sub", self.name): self.name})
        else:
            # flowengine hands dicts out wrapped in a DotDict, which writes through
            # to the stored dict on attribute assignment (item assignment raises).
            setattr(current, self.config.get("sub", self.name), self.name)
        return context


class PortFrom(Skill):
    """Sets its output port from the context key ``config.key`` (or ``config.port``)."""

    skill_meta = _meta(
        "port",
        config_schema={
            "type": "object",
            "properties": {"key": {"type": "string"}, "port": {"type": "string"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        port = context.get(self.config["key"]) if "key" in self.config else self.config["port"]
        trace = context.get("trace") or []
        context.set("trace", [*trace, self.name])
        if port is not None:
            self.set_output_port(context, str(port))
        return context


class Loop(Skill):
    """Counts visits in ``loops``; port ``again`` until ``config.until``, then ``done``."""

    skill_meta = _meta(
        "loop",
        config_schema={
            "type": "object",
            "properties": {"until": {"type": "integer", "default": 3}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        count = (context.get("loops") or 0) + 1
        context.set("loops", count)
        context.set("trace", [*(context.get("trace") or []), self.name])
        self.set_output_port(context, "again" if count < self.config.get("until", 3) else "done")
        return context


class Fail(Skill):
    skill_meta = _meta("fail")

    def process(self, context: FlowContext) -> FlowContext:
        context.set("touched_by_fail", True)
        raise ValueError(f"{self.name} always fails")


class Delete(Skill):
    skill_meta = _meta(
        "delete", config_schema={"type": "object", "properties": {"key": {"type": "string"}}}
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.delete(self.config["key"])
        return context


class AsyncTrace(AsyncSkill):
    skill_meta = _meta("atrace", provides=["trace"])

    async def process(self, context: FlowContext) -> FlowContext:  # type: ignore[override]
        await asyncio.sleep(0.001)
        context.set("trace", [*(context.get("trace") or []), self.name])
        return context


class CountCalls(Skill):
    """Appends a line to the file ``config.path`` on every call (counts invocations)."""

    skill_meta = _meta(
        "countcalls", config_schema={"type": "object", "properties": {"path": {"type": "string"}}}
    )

    def process(self, context: FlowContext) -> FlowContext:
        with Path(self.config["path"]).open("a") as handle:
            handle.write(self.name + "\n")
        context.set(f"called_{self.name}", True)
        return context


ALL = (
    Trace,
    SetValue,
    Replace,
    Increment,
    DictPut,
    PortFrom,
    Loop,
    Fail,
    Delete,
    AsyncTrace,
    CountCalls,
)


def registry() -> SkillRegistry:
    reg = SkillRegistry()
    for cls in ALL:
        reg.register(cls)
    return reg


class Flaky(Skill):
    """Fails with ``ConnectionError`` for the first ``fail_times`` calls (counted in a file)."""

    skill_meta = _meta(
        "flaky",
        max_retries=3,
        retry_delay_base=0.01,
        retry_delay_max=0.02,
        retry_on=(ConnectionError,),
        config_schema={
            "type": "object",
            "properties": {"path": {"type": "string"}, "fail_times": {"type": "integer"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        path = Path(self.config["path"])
        calls = len(path.read_text().splitlines()) if path.exists() else 0
        with path.open("a") as handle:
            handle.write("call\n")
        if calls < self.config.get("fail_times", 1):
            raise ConnectionError(f"attempt {calls + 1} failed")
        context.set("flaky_calls", calls + 1)
        return context


class WrongError(Skill):
    """Raises ``KeyError``, which ``retry_on`` does not cover; counts calls in a file."""

    skill_meta = _meta(
        "wrong_error",
        max_retries=3,
        retry_delay_base=0.01,
        retry_on=(ConnectionError,),
        config_schema={"type": "object", "properties": {"path": {"type": "string"}}},
    )

    def process(self, context: FlowContext) -> FlowContext:
        with Path(self.config["path"]).open("a") as handle:
            handle.write("call\n")
        raise KeyError("not retried")


class FailUntilFile(Skill):
    """Fails while the file ``config.path`` does not exist; counts calls in ``config.calls``."""

    skill_meta = _meta(
        "fail_until_file",
        config_schema={
            "type": "object",
            "properties": {"path": {"type": "string"}, "calls": {"type": "string"}},
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        with Path(self.config["calls"]).open("a") as handle:
            handle.write(self.name + "\n")
        if not Path(self.config["path"]).exists():
            raise RuntimeError(f"{self.config['path']} does not exist yet")
        context.set(f"done_{self.name}", True)
        trace = context.get("trace") or []
        context.set("trace", [*trace, self.name])
        return context


class Sleepy(Skill):
    """Sleeps in small slices, checking the flow deadline between them."""

    skill_meta = _meta(
        "sleepy", config_schema={"type": "object", "properties": {"seconds": {"type": "number"}}}
    )

    def process(self, context: FlowContext) -> FlowContext:
        import time

        end = time.time() + self.config.get("seconds", 0.3)
        while time.time() < end:
            self.check_deadline(context)
            time.sleep(0.02)
        context.set("slept", True)
        return context


ALL = (*ALL, Flaky, WrongError, FailUntilFile, Sleepy)


class HangsForever(Skill):
    """Sleeps far past any timeout without checking the deadline."""

    skill_meta = _meta("hangs_forever")

    def process(self, context: FlowContext) -> FlowContext:
        import time

        time.sleep(60)
        return context
