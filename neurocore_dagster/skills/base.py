"""Skill authoring: ``Skill``, ``AsyncSkill`` and ``SkillMeta``, shaped like NeuroCore's.

A skill is a flowengine ``BaseComponent`` class with a ``skill_meta``. Classes
written against NeuroCore itself qualify too: :func:`skill_meta_of` reads any
``skill_meta`` that has NeuroCore's fields, whichever package defined it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flowengine import BaseComponent, FlowContext
from flowengine.agent.meta import ComponentMeta, IOFieldSpec, PortSpec

from neurocore_dagster.errors import SkillError

_REQUIRED_META_FIELDS = ("name", "version", "provides", "consumes", "config_schema")


@dataclass(frozen=True)
class SkillMeta:
    """What a skill is, reads, writes and needs; the retry fields drive Dagster retries."""

    name: str
    version: str
    description: str = ""
    author: str = ""
    requires: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    config_schema: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    requires_llm: bool = False
    max_retries: int = 0
    retry_delay_base: float = 1.0
    retry_delay_max: float = 60.0
    retry_on: tuple[type[BaseException], ...] = field(default_factory=tuple)
    ports: list[str] = field(default_factory=list)
    """The output ports the skill may set (``set_output_port``); empty: not declared.
    When declared, an edge from its node naming another port is refused at load."""


class Skill(BaseComponent):
    """Base class for skills: implement ``process(context) -> context``.

    The instance name defaults to ``skill_meta.name``; in a blueprint it is the
    component's name.
    """

    skill_meta: ClassVar[SkillMeta]

    def __init__(self, name: str | None = None) -> None:
        meta = skill_meta_of(type(self))
        super().__init__(name or meta.name)
        self.llm: Any = None

    def get_meta(self) -> Any:
        """flowengine's ``ComponentMeta`` of this skill, derived from its ``skill_meta``."""
        return skillmeta_to_componentmeta(skill_meta_of(type(self)))

    def validate_config(self) -> list[str]:
        """Config is validated against ``config_schema`` before the skill is built."""
        return []

    def health_check(self) -> bool:
        return self.is_initialized

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class AsyncSkill(Skill):
    """A skill whose ``process`` is a coroutine; it is awaited by the node runner."""

    async def process(self, context: FlowContext) -> FlowContext:  # type: ignore[override]
        raise NotImplementedError


def skill_meta_of(cls: type) -> SkillMeta:
    """The skill metadata of ``cls``, whether it came from this package or NeuroCore.

    Raises :class:`SkillError` naming the class and what is missing.
    """
    if not (isinstance(cls, type) and issubclass(cls, BaseComponent)):
        raise SkillError(f"{cls!r} is not a skill: skills subclass flowengine's BaseComponent")
    meta = getattr(cls, "skill_meta", None)
    if meta is None:
        raise SkillError(f"{_qualname(cls)} has no 'skill_meta'; set skill_meta = SkillMeta(...)")
    if isinstance(meta, SkillMeta):
        return meta
    missing = [f for f in _REQUIRED_META_FIELDS if not hasattr(meta, f)]
    if missing:
        raise SkillError(
            f"{_qualname(cls)}.skill_meta lacks {', '.join(missing)}; "
            "a skill_meta needs name, version, provides, consumes and config_schema"
        )
    values = {f: getattr(meta, f) for f in SkillMeta.__dataclass_fields__ if hasattr(meta, f)}
    try:
        return SkillMeta(**values)
    except TypeError as exc:
        raise SkillError(f"{_qualname(cls)}.skill_meta is not usable: {exc}") from exc


def skillmeta_to_componentmeta(meta: SkillMeta) -> ComponentMeta:
    """flowengine's capability manifest of a skill, as NeuroCore maps it.

    ``consumes``/``provides`` become untyped inputs/outputs; tags, config schema
    and ``requires_llm`` carry over, so flowengine's catalog and semantic checks
    see skills as they see NeuroCore's.
    """
    return ComponentMeta(
        name=meta.name,
        description=meta.description,
        version=meta.version,
        inputs={key: IOFieldSpec(type="any") for key in meta.consumes},
        outputs={key: IOFieldSpec(type="any") for key in meta.provides},
        tags=list(meta.tags),
        config_schema=dict(meta.config_schema),
        requires_llm=meta.requires_llm,
        ports=[PortSpec(name=port) for port in meta.ports],
    )


def declared_ports(cls: type) -> frozenset[str] | None:
    """The ports a skill class declares (``SkillMeta.ports``, or flowengine's class
    attribute ``meta``), or None when it declares none (it may set any port)."""
    ports = set(skill_meta_of(cls).ports)
    flowengine_meta = getattr(cls, "meta", None)
    if isinstance(flowengine_meta, ComponentMeta):
        ports.update(flowengine_meta.port_names)
    return frozenset(ports) if ports else None


def is_skill_class(obj: Any) -> bool:
    """True for a concrete BaseComponent subclass that declares a ``skill_meta`` itself."""
    return (
        isinstance(obj, type)
        and issubclass(obj, BaseComponent)
        and not inspect.isabstract(obj)
        and "skill_meta" in vars(obj)
    )


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
