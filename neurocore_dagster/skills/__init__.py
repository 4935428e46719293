"""Skills: authoring classes, the registry, discovery and built-ins."""

from neurocore_dagster.skills.base import AsyncSkill, Skill, SkillMeta, skill_meta_of
from neurocore_dagster.skills.discovery import discover_skills
from neurocore_dagster.skills.registry import SkillRegistry

__all__ = [
    "AsyncSkill",
    "Skill",
    "SkillMeta",
    "SkillRegistry",
    "discover_skills",
    "skill_meta_of",
]
