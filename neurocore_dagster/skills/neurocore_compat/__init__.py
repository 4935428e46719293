"""``import neurocore`` for NeuroCore skills when neurocore-ai is not installed.

Why: NeuroCore skill files and skill packages import their base classes from
``neurocore`` (``from neurocore import AsyncSkill, SkillMeta``,
``from neurocore.skills.base import ...``, ``from neurocore.llm.provider import
LLMMessage``). neurocore-ai needs Python 3.13, this package runs on 3.11+, and a
project should run unchanged either way. So skill discovery installs an import
hook (a ``sys.meta_path`` finder) that answers those module paths with this
package's equivalents, and the NeuroCore name of each class is the same object
as ours (``neurocore.Skill is neurocore_dagster.Skill``).

The hook never shadows a real package: where any other finder can import
``neurocore`` (neurocore-ai installed, or any package of that name on
``sys.path``; a bare folder of that name does not count), it stays silent and
NeuroCore's own classes are used (they are skills here as they are).
``neurocore_ai``, the module name some skill packages use (neurocore-ai itself
has no such module), is answered too: by the stand-in without neurocore-ai, as
a view of the real ``neurocore`` with it.

The names served, module by module, are in :mod:`.names`; a NeuroCore name this
package does not provide fails to import with an error that says so.
"""

from neurocore_dagster.skills.neurocore_compat.finder import install, is_active

__all__ = ["install", "is_active"]
