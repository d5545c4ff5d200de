"""How a dotted path finds its rule in :mod:`jupyter_codegen.kernel.policy.rules`: exact
entries, ``prefix.`` entries for a whole module, ``prefix*`` wildcards; and the questions the
analysis asks of the tables (is this path allowed under ``strict``, how dangerous is it).

Kept apart from the tables so that they stay plain data, and apart from the analysis because
every check asks them.
"""

from __future__ import annotations

from jupyter_codegen.kernel.policy.rules import (
    _BLOCKED,
    _CONFIRM,
    _SENSITIVE_MODULES,
    STRICT_MODULES,
)


def _wildcards(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The ``prefix*`` entries of ``table``, as (prefix, reason)."""
    return tuple((key[:-1], reason) for key, reason in table.items() if key.endswith("*"))


#: The tables' ``prefix*`` entries, found once (a lookup scanned the whole table for them).
_WILDCARDS = {id(table): _wildcards(table) for table in (_BLOCKED, _CONFIRM)}
#: Their prefixes, for one ``str.startswith`` over all of them.
_WILDCARD_STARTS = {key: tuple(prefix for prefix, _ in found) for key, found in _WILDCARDS.items()}


def _lookup(table: dict[str, str], name: str) -> str | None:
    """The reason for ``name`` in ``table`` (exact, ``prefix.`` or ``prefix*`` entries)."""
    if not name:
        return None
    if name in table:
        return table[name]
    end = len(name)
    while (end := name.rfind(".", 0, end)) > 0:  # "a.b.c": "a.b", then "a"
        prefix = name[:end]
        reason = table.get(prefix + ".") or table.get(prefix)
        if reason is not None:
            return reason
    wildcards = _WILDCARDS.get(id(table))
    if wildcards is None:
        wildcards = _wildcards(table)
    elif not name.startswith(_WILDCARD_STARTS[id(table)]):
        return None  # (one C-level test: most names start like no wildcard)
    for prefix, reason in wildcards:
        if name.startswith(prefix) and "." not in name[len(prefix) :].strip("()"):
            return reason
    return None


def _root(path: str) -> str:
    return path.split(".", 1)[0]


def _strict_module(path: str) -> bool:
    parts = path.replace("()", "").split(".")
    return any(".".join(parts[:i]) in STRICT_MODULES for i in range(1, len(parts) + 1)) and not (
        _lookup(_CONFIRM, path) or _lookup(_BLOCKED, path)
    )


def _severity_of(path: str) -> int:
    if _lookup(_BLOCKED, path) or _root(path) in _SENSITIVE_MODULES:
        return 2
    return 1 if _lookup(_CONFIRM, path) else 0
