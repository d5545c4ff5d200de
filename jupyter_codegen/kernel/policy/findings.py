"""What a check reports and how: the :class:`Finding`, the wording every check's finding gets
(``Blocked: ...``, the ``strict`` policy turning ``confirm`` into ``blocked``), and how the
findings of one code are ranked and summed up into the one that decides what happens to it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

_SEVERITY = {"blocked": 3, "rejected": 2, "confirm": 1}


@dataclass(frozen=True)
class Finding:
    kind: str  # "blocked" | "rejected" | "confirm"
    reason: str
    line: int = 0

    def message(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.reason}{where}"


class _Findings:
    """The part of the analysis that records findings; the other checks build on it, so that
    every finding is worded in one place. The analysis dataclass provides the attributes."""

    policy: str
    findings: list[Finding]

    @property
    def strict(self) -> bool:
        return self.policy == "strict"

    def add(self, kind: str, reason: str, node: ast.AST | None) -> None:
        if kind == "confirm" and self.strict:
            kind, reason = "blocked", f"{reason}, which the strict policy does not allow"
        self.findings.append(Finding(kind, reason, getattr(node, "lineno", 0)))

    def blocked(self, what: str, reason: str, node: ast.AST | None) -> None:
        self.add("blocked", f"Blocked: {what} {reason}", node)

    def strict_block(self, what: str, node: ast.AST | None) -> None:
        if self.strict:
            self.add("blocked", f"Blocked by the strict policy: {what}", node)


def _ranked(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` without repeats, most severe first, then by line."""
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (-_SEVERITY[f.kind], f.line))


def _decision(findings: list[Finding]) -> Finding | None:
    """The finding that decides, from :func:`_ranked` findings: the first, unless it asks for
    confirmation; then one ``confirm`` finding that lists every reason to ask."""
    if not findings:
        return None
    first = findings[0]
    if first.kind != "confirm":
        return first
    reasons = list(dict.fromkeys(f.message() for f in findings))
    shown = "; ".join(reasons[:4]) + (f"; and {len(reasons) - 4} more" if len(reasons) > 4 else "")
    return Finding("confirm", f"Needs your confirmation: {shown}", 0)
