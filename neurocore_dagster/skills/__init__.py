"""Skills: authoring classes, the registry, discovery, built-ins and project config."""

from neurocore_dagster.skills.base import AsyncSkill, Skill, SkillMeta, skill_meta_of
from neurocore_dagster.skills.discovery import discover_skills
from neurocore_dagster.skills.project import Project, load_project
from neurocore_dagster.skills.registry import SkillRegistry

__all__ = [
    "AsyncSkill",
    "Project",
    "Skill",
    "SkillMeta",
    "SkillRegistry",
    "discover_skills",
    "load_project",
    "skill_meta_of",
]
