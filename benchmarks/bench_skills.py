"""Skills of the benchmark projects (copied into each temporary project's ``skills/``).

They do as little as possible, so that a benchmark measures the package and
Dagster around a skill rather than the skill: set one key, write one large
value, or wait on a timer the way a skill waits on the network.
"""

from __future__ import annotations

import asyncio
import os
import time

from flowengine import FlowContext

from neurocore_dagster import AsyncSkill, Skill, SkillMeta

_KEY_VALUE_SCHEMA = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "default": "value", "description": "Key to set."},
        "value": {"type": "integer", "default": 0, "description": "Value to set it to."},
    },
}
_SLEEP_SCHEMA = {
    "type": "object",
    "properties": {"seconds": {"type": "number", "default": 1.0, "description": "Wait."}},
}


class BenchStep(Skill):
    """Sets one key: the smallest useful step."""

    skill_meta = SkillMeta(
        name="bench_step",
        version="1.0.0",
        description="Sets config key to config value.",
        provides=["*"],
        config_schema=_KEY_VALUE_SCHEMA,
    )

    def process(self, context: FlowContext) -> FlowContext:
        context.set(self.config.get("key", "value"), self.config.get("value", 0))
        return context


class BenchPayload(Skill):
    """Writes ``size_bytes`` random (incompressible) bytes under ``key``."""

    skill_meta = SkillMeta(
        name="bench_payload",
        version="1.0.0",
        description="Writes one large value.",
        provides=["payload"],
        config_schema={
            "type": "object",
            "properties": {
                "key": {"type": "string", "default": "payload"},
                "size_bytes": {"type": "integer", "default": 5 * 1024 * 1024},
            },
        },
    )

    def process(self, context: FlowContext) -> FlowContext:
        size = int(self.config.get("size_bytes", 5 * 1024 * 1024))
        context.set(self.config.get("key", "payload"), os.urandom(size))
        return context


class BenchSleep(Skill):
    """Blocks its thread for ``seconds``, as a skill blocked on a synchronous I/O call."""

    skill_meta = SkillMeta(
        name="bench_sleep",
        version="1.0.0",
        description="Blocks on I/O (time.sleep).",
        provides=["*"],
        config_schema=_SLEEP_SCHEMA,
    )

    def process(self, context: FlowContext) -> FlowContext:
        seconds = float(self.config.get("seconds", 1.0))
        time.sleep(seconds)
        context.set(f"slept_{self.name}", seconds)
        return context


class BenchAsyncSleep(AsyncSkill):
    """Awaits ``seconds``, as an async skill awaiting the network."""

    skill_meta = SkillMeta(
        name="bench_async_sleep",
        version="1.0.0",
        description="Awaits I/O (asyncio.sleep).",
        provides=["*"],
        config_schema=_SLEEP_SCHEMA,
    )

    async def process(self, context: FlowContext) -> FlowContext:  # type: ignore[override]
        seconds = float(self.config.get("seconds", 1.0))
        await asyncio.sleep(seconds)
        context.set(f"slept_{self.name}", seconds)
        return context
