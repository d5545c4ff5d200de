"""The generations of this kernel, newest last (``%gemini history``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_codegen.functions.registry import CallRecord


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class HistoryEntry:
    time: str
    prompt: str
    model: str
    mode: str
    source: str  # generated | pinned | repaired
    attempts: int
    #: ok | placed | not run | answered | chat | failed: ... | blocked | interrupted | ...
    status: str
    code: str | None
    cell_id: str | None = None
    #: Calls of registered functions during the prompt (native and from the code), in order.
    calls: tuple[CallRecord, ...] = ()

    @property
    def problem(self) -> bool:
        """The prompt did not end as asked (what ``%gemini status`` calls the last problem)."""
        return not (self.status in _FINE or self.status.startswith("ok"))


#: Statuses of prompts that ended as asked (and "ok (confirmed)"): ran, handed to the generated
#: cell, written without running (``--no-run``), answered, a sidebar chat turn.
_FINE = frozenset({"ok", "placed", "not run", "answered", "chat"})


@dataclass
class History:
    entries: list[HistoryEntry] = field(default_factory=list)
    limit: int = 200

    def add(self, entry: HistoryEntry) -> None:
        self.entries.append(entry)
        del self.entries[: -self.limit]

    def replace(self, old: HistoryEntry, new: HistoryEntry) -> None:
        """Put ``new`` where ``old`` is (or at the end if ``old`` is gone)."""
        for i, entry in enumerate(self.entries):
            if entry is old:
                self.entries[i] = new
                return
        self.add(new)

    def render(self, last: int = 20) -> str:
        if not self.entries:
            return "No generations in this kernel yet."
        rows = []
        for i, e in enumerate(self.entries[-last:], start=max(1, len(self.entries) - last + 1)):
            prompt = " ".join(e.prompt.split())
            prompt = prompt[:60] + ("..." if len(prompt) > 60 else "")
            rows.append(
                f"{i:>3}  {e.time[11:19]}  {e.model:<18} {e.mode:<6} {e.source:<9} "
                f"x{e.attempts}  {e.status:<10} {prompt}"
                + (f"  [{len(e.calls)} call{'s' if len(e.calls) != 1 else ''}]" if e.calls else "")
            )
        return "\n".join(rows)
