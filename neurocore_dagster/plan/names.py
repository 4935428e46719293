"""Unique names: the one rule by which the package gives a second holder of a name ``_2``."""

from __future__ import annotations


def unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, else the first of ``wanted_2``, ``wanted_3`` ... not in ``taken``.

    The name returned is added to ``taken``, so a loop over several wanted names
    gives each a different one (op keys, route outputs, placeholder jobs).
    """
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}_{n}"
    taken.add(name)
    return name
