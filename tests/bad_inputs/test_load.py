"""Load: four notebooks of 50 prompt cells each, run at once in four kernels against one Gemini
test server that injects faults (429 then success, 500, dropped connections, slow replies,
mid-stream errors). Every cell must end in its result or a one-line error, nothing may hang,
and each kernel's memory stays bounded. Runs in the default test run (about a minute on two
cores); deselect with ``-m "not load"``."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from badkit import Router, code_reply
from gemini_server import FAKE_GEMINI_KEY, GeminiTestServer, Reply, drop, error, midstream_error
from gemini_server import stall as slow
from nbclient import NotebookClient
from nbrun import errors_of, make_notebook, text_of
from shells import fresh_cache

pytestmark = [pytest.mark.kernel, pytest.mark.load]

NOTEBOOKS = 4
CELLS = 50
#: What the server does for the i-th prompt cell of a notebook, by i % 10.
FAULTS = {3: "429-then-ok", 5: "500", 7: "drop", 8: "slow", 9: "midstream"}
FAILING = {"500", "drop", "midstream"}
MAX_RSS_MB = 1024


def _reply_for(tag: str) -> Any:
    nb, i = (int(x) for x in re.findall(r"\d+", tag))
    ok = code_reply(f"result_{i} = {i} * 2\nprint('ok-{nb}-{i}', result_{i})")
    fault = FAULTS.get(i % 10)

    def reply(n: int) -> Reply:
        if fault == "429-then-ok" and n == 1:
            return error(429, "Resource exhausted.", retry_delay=0.02)
        if fault == "500":
            return error(500, "Internal error encountered.")
        if fault == "drop":
            return drop()
        if fault == "slow":
            return slow(0.3, then=ok)
        if fault == "midstream":
            return midstream_error("```python\nprint(", code=503)
        return ok

    return reply


class _Cases(dict[str, Any]):
    """Router cases made on first use: ``cases[tag].replies(n)``."""

    def __missing__(self, tag: str) -> Any:
        case = type("LoadCase", (), {"replies": staticmethod(_reply_for(tag))})()
        self[tag] = case
        return case

    def __contains__(self, tag: object) -> bool:
        return isinstance(tag, str) and tag.startswith("n")


def _notebook(k: int) -> Any:
    cells = ["%load_ext jupyter_codegen\n%gemini config request_timeout=20\nsentinel = 123"]
    cells += [f"%%gemini\nCompute item {i}. [case:n{k}c{i}]" for i in range(CELLS)]
    cells.append(
        "import resource\n"
        "print('STATE', sentinel, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
    )
    return make_notebook(cells)


async def _run_all(notebooks: list[Any], cwd: Path) -> None:
    clients = [
        NotebookClient(
            nb,
            timeout=60,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(cwd)}},
        )
        for nb in notebooks
    ]
    await asyncio.gather(*(client.async_execute() for client in clients))


@pytest.mark.timeout(300)
def test_four_notebooks_of_fifty_prompts_with_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = Router(_Cases())
    with GeminiTestServer(responder=router) as server:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        fresh_cache(monkeypatch, tmp_path / "cache")
        monkeypatch.setenv("JUPYTER_CODEGEN_MODEL", "gemini-3.8-flash")
        monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
        notebooks = [_notebook(k) for k in range(NOTEBOOKS)]
        asyncio.run(_run_all(notebooks, tmp_path))
    for k, nb in enumerate(notebooks):
        nbformat.validate(nb)
        assert not errors_of(nb.cells[0]), text_of(nb.cells[0])
        for i in range(CELLS):
            cell = nb.cells[1 + i]
            out, errors = text_of(cell), errors_of(cell)
            if FAULTS.get(i % 10) in FAILING:
                assert errors, f"notebook {k} cell {i}: expected a one-line error: {out!r}"
                last = errors[-1]
                assert last.ename == "BackendError", (k, i, last.ename)
                assert len(last.traceback) == 1 and "\n" not in last.traceback[0], (k, i)
            else:
                assert not errors, f"notebook {k} cell {i}: {out[-500:]!r}"
                printed = "".join(o.text for o in cell.outputs if o.output_type == "stream")
                assert f"ok-{k}-{i} {i * 2}" in printed, f"notebook {k} cell {i}: {out!r}"
        final = text_of(nb.cells[-1])
        match = re.search(r"STATE 123 (\d+)", final)
        assert match, f"notebook {k}: the kernel did not survive: {final!r}"
        assert int(match.group(1)) < MAX_RSS_MB, f"notebook {k}: {match.group(1)} MB"
    # Each 429 was retried once; nothing else was retried or lost.
    assert sum(router.counts.values()) == NOTEBOOKS * (CELLS + CELLS // 10)
