"""The numbers of an ``--answer`` answer, checked against what the steps showed.

A number found in no observation (nor the question) was not computed here; it is flagged in
the rendered answer. Apart from the run: pure text functions, with their own tolerances
(rounding, percentages, scales, exact ratios).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

_SEP = r"(?:,|\{,\}|\\,)"
_NUMBER = re.compile(
    rf"""
    (?<![\w.\\])(?P<sign>[-−+])?
    (?P<num>\d{{1,3}}(?:{_SEP}\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    (?P<exp>[eE][-+]?\d+)?
    (?:[ \t]*(?P<pct>%|\\%|percent\b|per[ \t]cent\b))?
    (?:[ \t]*(?P<scale>thousand|million|billion|trillion|bn|k|K|M)\b)?
    """,
    re.X,
)
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "K": 1e3,
    "million": 1e6,
    "M": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
#: Small whole numbers ("3 regions", "step 2", "top 5") are too common to check.
_EXEMPT_BELOW = 10


@dataclass(frozen=True)
class Figure:
    text: str
    start: int
    end: int
    value: float
    tolerance: float
    percent: bool


def _figures(text: str) -> Iterator[Figure]:
    for m in _NUMBER.finditer(text):
        digits = re.sub(_SEP, "", m.group("num"))
        value = abs(float(digits + (m.group("exp") or "")))
        decimals = len(digits.partition(".")[2])
        scale = _SCALES.get(m.group("scale") or "", 1.0)
        tolerance = 0.5 * 10.0**-decimals * scale
        yield Figure(
            m.group(0).strip(),
            m.start(),
            m.end(),
            value * scale,
            tolerance,
            m.group("pct") is not None,
        )


_RATIO = re.compile(r"(?<![\w.])(\d+)\s*/\s*(\d+)(?![\w.])|Fraction\((-?\d+), (\d+)\)")


def _values(texts: Iterable[str]) -> list[float]:
    """Every number in ``texts``, a percentage also as its fraction, and the value of each
    exact ratio (``1/3``, ``Fraction(1, 3)``): the model is told to compute with fractions and
    may answer in decimals."""
    values: set[float] = set()
    for text in texts:
        for figure in _figures(text):
            values.add(figure.value)
            if figure.percent:  # "17%" in the question vouches for 0.17 in the answer
                values.add(figure.value / 100)
        for m in _RATIO.finditer(text):
            num, den = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if int(den):
                values.add(abs(int(num) / int(den)))
    return sorted(values)


def _near(values: list[float], target: float, tolerance: float) -> bool:
    slack = tolerance + 1e-9 * max(1.0, target)
    i = bisect.bisect_left(values, target - slack)
    return i < len(values) and values[i] <= target + slack


def _checked(figure: Figure) -> bool:
    small = figure.value < _EXEMPT_BELOW and figure.value == int(figure.value)
    return not (small and figure.tolerance >= 0.5 and not figure.percent)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def unsupported_figures(answer: str, evidence: Iterable[str]) -> list[Figure]:
    """Numbers in ``answer`` that appear in none of the ``evidence`` texts.

    Rounding is allowed to the answer's own precision (12.35 matches 12.3456; "1.2 million"
    matches 1,234,567); a percentage also matches its fraction (12.5 % matches 0.125); signs are
    ignored ("fell by 3 %" for -3). Code spans are not checked; LaTeX math is.
    """
    values = _values(evidence)
    out = []
    for figure in _figures(_blank(answer, _CODE_SPAN)):
        if not _checked(figure):
            continue
        if _near(values, figure.value, figure.tolerance):
            continue
        if figure.percent and _near(values, figure.value / 100, figure.tolerance / 100):
            continue
        out.append(figure)
    return out


def flag_unsupported(answer: str, figures: Sequence[Figure]) -> str:
    """``answer`` with a visible mark after each unsupported number outside math."""
    math = [(m.start(), m.end()) for m in _MATH_SPAN.finditer(answer)]
    marked = answer
    for figure in sorted(figures, key=lambda f: f.end, reverse=True):
        if any(a <= figure.start < b for a, b in math):
            continue
        marked = f"{marked[: figure.end]}⚠{marked[figure.end :]}"
    return marked
