"""The ``sys.meta_path`` finder and loader that serve :data:`.names.MODULES`."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from neurocore_dagster.skills.neurocore_compat.names import (
    EMULATED_VERSION,
    IMPORTED_WITH,
    MODULES,
    canonical,
    is_package,
)

_LOCK = threading.Lock()
MARKER = "__neurocore_dagster_compat__"
"""Set on every module the hook made, so code (and tests) can tell them from the real ones."""


class _CompatLoader(importlib.abc.Loader):
    """Makes a module whose names resolve, on first use, to this package's objects."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        table = MODULES[self.path]
        setattr(module, MARKER, True)
        module.__doc__ = (
            f"NeuroCore's {self.path}, answered by neurocore-dagster (neurocore-ai is not "
            "installed): see neurocore_dagster.skills.neurocore_compat."
        )
        module.__all__ = sorted(table)  # type: ignore[attr-defined]
        if self.path == "neurocore":
            module.__version__ = EMULATED_VERSION  # type: ignore[attr-defined]
        module.__getattr__ = _resolver(module, self.path, table)  # type: ignore[attr-defined]
        module.__dir__ = lambda: sorted({*vars(module), *table})  # type: ignore[attr-defined]
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
        except AttributeError:
            raise ImportError(
                f"{path}.{name} is NeuroCore's, and neurocore-dagster does not provide it "
                f"(looked for {source}.{attribute}); install neurocore-ai (Python 3.13+) "
                "to use NeuroCore's own",
                name=module.__name__,
            ) from None
        setattr(module, name, value)
        return value

    return resolve


class CompatFinder(importlib.abc.MetaPathFinder):
    """Serves NeuroCore's module paths only where no other finder can.

    It sits last on ``sys.meta_path`` and, for a top-level name, first asks every
    other finder for ``neurocore`` (and the name itself), so an installed
    package always wins, even one whose finder was added after this one. A
    submodule is served only below a module this finder made.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        parent, _, _ = fullname.rpartition(".")
        if parent and not getattr(sys.modules.get(parent), MARKER, False):
            return None
        table_path = canonical(fullname)
        if table_path is None:
            if parent:  # below a stand-in: nobody else can serve it, so say why
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: neurocore-dagster stands in for "
                    f"NeuroCore's {', '.join(MODULES)} only; install neurocore-ai "
                    "(Python 3.13+) for the rest",
                    name=fullname,
                )
            return None
        if not parent and (_real_module("neurocore") or _real_module(fullname)):
            return None
        package = is_package(table_path)
        spec = importlib.machinery.ModuleSpec(
            fullname, _CompatLoader(table_path), origin="neurocore-dagster", is_package=package
        )
        if package:
            spec.submodule_search_locations = []
        return spec


def _real_module(name: str) -> bool:
    """True when ``name`` is imported, or importable, from somewhere other than this hook."""
    module = sys.modules.get(name)
    if module is not None:
        return not getattr(module, MARKER, False)
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if isinstance(finder, CompatFinder) or find is None:
            continue
        if find(name, None) is not None:
            return True
    return False


def _installed() -> CompatFinder | None:
    return next((f for f in sys.meta_path if isinstance(f, CompatFinder)), None)


def install() -> None:
    """Put the finder last on ``sys.meta_path`` (once); harmless when neurocore-ai is installed."""
    with _LOCK:
        if _installed() is None:
            sys.meta_path.append(CompatFinder())


def is_active() -> bool:
    """True when ``import neurocore`` gives (or would give) this package's stand-in."""
    return _installed() is not None and not _real_module("neurocore")
