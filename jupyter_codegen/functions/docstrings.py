"""Docstring parsing: the description, parameter descriptions and ``Returns`` text of a
Google-, NumPy- or Sphinx-style docstring.

It is its own module because two jobs read docstrings: the function schemas
(:mod:`jupyter_codegen.functions.signature`, a parameter's description) and the type specs
(:mod:`jupyter_codegen.functions.schema`, an Enum's, dataclass's or Pydantic model's description);
neither needs the other to parse one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Longest description kept for one parameter or function (characters).
_MAX_DESCRIPTION = 1000

_GOOGLE_PARAM_HEADERS = {"args", "arguments", "parameters", "params", "keyword args", "kwargs"}
_GOOGLE_HEADERS = _GOOGLE_PARAM_HEADERS | {
    "attributes",
    "returns",
    "return",
    "yields",
    "raises",
    "example",
    "examples",
    "note",
    "notes",
    "see also",
    "warning",
    "warnings",
    "todo",
    "references",
    "keyword arguments",
    "other parameters",
}
_PARAM_SECTIONS = _GOOGLE_PARAM_HEADERS | {"attributes", "other parameters", "keyword arguments"}
_RETURN_HEADERS = {"returns", "return", "yields"}
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_SPHINX_RETURNS = re.compile(r"^:returns?\s*:\s*(.*)$")


@dataclass(frozen=True)
class DocInfo:
    """What a docstring says: the description (text before any section), the parameter
    descriptions by name (``Args``/``Parameters``/``Attributes``), and the ``Returns`` text."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    returns: str = ""

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.splitlines()[0] if self.description else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _collapse(lines: Iterable[str]) -> str:
    return " ".join(" ".join(lines).split())


def _entry_head(style: str, stripped: str) -> tuple[list[str], str] | None:
    """The names the first line of a parameter entry declares, and the start of their
    description; None for a Google-style line that is not an entry (``name (type): text``)."""
    if style == "google":
        match = _GOOGLE_ENTRY.match(stripped)
        if match is None:
            return None
        return [match.group(1)], match.group(3)
    # numpy: "name : type" or "x, y : int", the description indented below
    names = stripped.split(":", 1)[0].split(",")
    return [n.strip().lstrip("*") for n in names if n.strip().lstrip("*").isidentifier()], ""


def parse_docstring(doc: str | None) -> DocInfo:
    """Parse a Google-, NumPy- or Sphinx-style docstring (mixed styles are tolerated)."""
    if not doc:
        return DocInfo()
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, list[str]] = {}
    returns: list[str] = []
    #: ("google" | "numpy" | "sphinx", header) of the section being read; None: description.
    section: tuple[str, str] | None = None
    entry: list[str] = []  # names of the parameter entry being read
    entry_indent = -1
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        i += 1
        if stripped and i < len(lines) and _NUMPY_UNDERLINE.match(lines[i]):
            section, entry, entry_indent = ("numpy", stripped.lower()), [], _indent(line)
            i += 1
            continue
        if stripped.endswith(":") and stripped.rstrip(":").lower() in _GOOGLE_HEADERS:
            section, entry, entry_indent = ("google", stripped.rstrip(":").lower()), [], -1
            continue
        if match := _SPHINX_PARAM.match(stripped):
            section, entry = ("sphinx", "param"), [match.group(1)]
            params[match.group(1)] = [match.group(2)]
            continue
        if stripped.startswith((":type ", ":rtype", ":raises", ":raise ", ":var ", ":ivar ")):
            section, entry = ("sphinx", "other"), []
            continue
        if match := _SPHINX_RETURNS.match(stripped):
            section, entry = ("sphinx", "returns"), []
            returns.append(match.group(1))
            continue
        if section is None:
            description.append(line)
            continue
        if not stripped:
            continue
        style, header = section
        if style == "google" and entry_indent < 0:
            entry_indent = _indent(line)
        if style == "google" and _indent(line) < entry_indent:
            section = None  # dedented text ends the section
            description.append(line)
            continue
        if style == "sphinx":
            if _indent(line) == 0:
                section = None
                description.append(line)
            elif header == "returns":
                returns.append(stripped)
            elif entry:
                params[entry[0]].append(stripped)
            continue
        if header in _RETURN_HEADERS:
            if style == "google" or _indent(line) > entry_indent:
                returns.append(stripped)
            continue
        if header not in _PARAM_SECTIONS:
            continue
        if _indent(line) <= entry_indent:
            head = _entry_head(style, stripped)
            if head is None:
                continue
            entry, first = head
            for name in entry:
                params[name] = [first] if first else []
        else:
            for name in entry:
                params[name].append(stripped)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(description).strip())
    return DocInfo(
        clip_description(text),
        {name: clip_description(_collapse(body)) for name, body in params.items()},
        clip_description(_collapse(returns)),
    )


def clip_description(text: str, limit: int = _MAX_DESCRIPTION) -> str:
    """``text`` cut to ``limit`` characters: one long docstring must not crowd the declaration
    or the prompt."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
