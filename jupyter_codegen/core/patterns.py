"""Prompt patterns tried only where their words are (the intent checks read every prompt)."""

from __future__ import annotations

import re
from collections.abc import Iterator


class Gated:
    """A pattern tried only on text that holds one of ``needles`` (lowercase, separated by
    spaces), substrings that every match holds. Most prompts hold none of most patterns'
    words, and a pattern that misses tries every position of the prompt: the ~25 of them were
    half of reading a prompt's intent, and a fifth of a prompt cell's own time on an empty
    namespace. tests/test_patterns.py holds each needle list to its pattern."""

    __slots__ = ("pattern", "needles")

    def __init__(self, pattern: re.Pattern[str], needles: str) -> None:
        self.pattern, self.needles = pattern, tuple(needles.split())

    def _may(self, text: str) -> bool:
        return any(map(text.lower().__contains__, self.needles))  # (C loop, no generator)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self._may(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self._may(text) else iter(())
