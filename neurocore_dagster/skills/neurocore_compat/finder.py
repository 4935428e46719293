"""The ``sys.meta_path`` finder and loader that serve :data:`.names.MODULES`."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from neurocore_dagster.skills.neurocore_compat.names import (
    EMULATED_VERSION,
    IMPORTED_WITH,
    MODULES,
    ROOTS,
    canonical,
    is_package,
)

_LOCK = threading.Lock()
MARKER = "__neurocore_dagster_compat__"
"""Set on every module the hook made, so code (and tests) can tell them from the real ones."""
STAND_IN = "stand-in"
"""Marker value of a module answered from :data:`.names.MODULES` (no neurocore installed)."""
ALIAS = "alias"
"""Marker value of a ``neurocore_ai.*`` module that forwards to the installed ``neurocore``."""


class _CompatLoader(importlib.abc.Loader):
    """Makes a module whose names resolve, on first use, to this package's objects."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        table = MODULES[self.path]
        setattr(module, MARKER, STAND_IN)
        module.__doc__ = (
            f"NeuroCore's {self.path}, answered by neurocore-dagster (neurocore-ai is not "
            "installed): see neurocore_dagster.skills.neurocore_compat."
        )
        module.__all__ = sorted(table)  # type: ignore[attr-defined]
        if self.path == "neurocore":
            module.__version__ = EMULATED_VERSION  # type: ignore[attr-defined]
        module.__getattr__ = _resolver(module, self.path, table)  # type: ignore[method-assign]
        module.__dir__ = lambda: sorted({*vars(module), *table})  # type: ignore[method-assign]
        for child in IMPORTED_WITH.get(self.path, ()):
            importlib.import_module(f"{module.__name__}.{child}")


def _resolver(module: ModuleType, path: str, table: dict[str, str]) -> Callable[[str], Any]:
    def resolve(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(
                f"module {module.__name__!r} (neurocore-dagster's stand-in for NeuroCore's "
                f"{path}) has no {name!r}; it provides: {', '.join(sorted(table)) or '(none)'}"
            )
        source, _, attribute = target.partition(":")
        try:
            value = getattr(importlib.import_module(source), attribute)
        except (AttributeError, ImportError) as exc:
            raise ImportError(
                f"{path}.{name} is NeuroCore's, and neurocore-dagster does not provide it "
                f"(looked for {source}.{attribute}: {type(exc).__name__}: {exc}); install "
                "neurocore-ai (Python 3.13+) to use NeuroCore's own",
                name=module.__name__,
            ) from exc
        setattr(module, name, value)
        return value

    return resolve


class _AliasLoader(importlib.abc.Loader):
    """Makes ``neurocore_ai.x`` a view of the installed ``neurocore.x``: same objects."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        real = importlib.import_module(self.target)
        setattr(module, MARKER, ALIAS)
        module.__doc__ = f"{self.target} (neurocore-ai), under the name some skill packages use."
        module.__getattr__ = lambda name: getattr(real, name)  # type: ignore[method-assign]
        module.__dir__ = lambda: dir(real)  # type: ignore[method-assign]


class CompatFinder(importlib.abc.MetaPathFinder):
    """Serves NeuroCore's module paths only where no other finder can.

    It sits first on ``sys.meta_path`` (so a bare ``neurocore/`` folder, which
    Python's path finder would import as an empty namespace package, does not hide
    it) and, for a top-level name, first asks every other finder: an installed
    package always wins, wherever its finder sits. Without a real ``neurocore``
    it answers ``neurocore.*`` and ``neurocore_ai.*`` from :data:`.names.MODULES`;
    with one, it answers only ``neurocore_ai.*``, as views of the real modules.
    A submodule is served only below a module this finder made, in the same mode.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        root = fullname.partition(".")[0]
        if root not in ROOTS:
            return None
        parent = fullname.rpartition(".")[0]
        if parent:
            mode = getattr(sys.modules.get(parent), MARKER, None)
        elif _real_module(fullname):
            return None
        else:
            mode = ALIAS if _real_module("neurocore") else STAND_IN
        if mode == ALIAS:
            return _alias_spec(fullname, "neurocore" + fullname[len(root) :])
        if mode == STAND_IN:
            return _stand_in_spec(fullname)
        return None


def _alias_spec(fullname: str, target: str) -> importlib.machinery.ModuleSpec | None:
    real = importlib.util.find_spec(target)
    if real is None:
        return None
    spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(target), origin=real.origin)
    if real.submodule_search_locations is not None:
        spec.submodule_search_locations = []
    return spec


def _stand_in_spec(fullname: str) -> importlib.machinery.ModuleSpec:
    table_path = canonical(fullname)
    if table_path is None:  # below a stand-in nobody else can serve it, so say why
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: neurocore-dagster stands in for NeuroCore's "
            f"{', '.join(MODULES)} only; install neurocore-ai (Python 3.13+) for the rest",
            name=fullname,
        )
    package = is_package(table_path)
    spec = importlib.machinery.ModuleSpec(
        fullname, _CompatLoader(table_path), origin="neurocore-dagster", is_package=package
    )
    if package:
        spec.submodule_search_locations = []
    return spec


def _real_module(name: str) -> bool:
    """True when ``name`` is imported, or importable, from somewhere other than this hook.

    A bare folder of that name (a namespace package, say ``neurocore/`` in the
    working directory) does not count: it is not a package that provides anything.
    """
    module = sys.modules.get(name)
    if module is not None:
        return not getattr(module, MARKER, False)
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if isinstance(finder, CompatFinder) or find is None:
            continue
        spec = find(name, None)
        if spec is not None and spec.origin not in (None, "namespace"):
            return True
    return False


def _installed() -> CompatFinder | None:
    return next((f for f in sys.meta_path if isinstance(f, CompatFinder)), None)


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once); harmless when neurocore-ai is installed."""
    with _LOCK:
        if _installed() is None:
            sys.meta_path.insert(0, CompatFinder())


def is_active() -> bool:
    """True when ``import neurocore`` gives (or would give) this package's stand-in."""
    return _installed() is not None and not _real_module("neurocore")
