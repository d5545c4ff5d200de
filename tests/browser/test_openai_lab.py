"""``-m openai:MODEL`` in a real JupyterLab: a prompt cell against tests/openai_server.py (the
kernel's backend talks to it through the real ``openai`` SDK; its URL set with ``%gemini config
openai_base_url=...``) gets its generated cell below, run there; and one chat turn in the
sidebar panel on the same model. Screenshots under tests/artifacts/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from labpage import Notebook, ask_the_sidebar, output_text
from openai_server import Chat, OpenAITestServer, Reply
from test_generated_cells import SETUP
from test_panel import PANEL_ID, _artifact

MODEL = "openai:tiny-coder"


class Replies:
    """The scripted server's replies, in turn; the test fills them."""

    def __init__(self) -> None:
        self.queue: list[Reply] = []

    def __call__(self, body: dict[str, Any], n: int) -> Reply:
        return self.queue.pop(0) if self.queue else Chat(text="No more replies scripted.")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[OpenAITestServer, Replies]]:
    replies = Replies()
    with OpenAITestServer(replies) as server:
        yield server, replies


def _fresh(served: tuple[OpenAITestServer, Replies]) -> tuple[OpenAITestServer, Replies]:
    server, replies = served
    replies.queue.clear()
    server.requests.clear()
    return server, replies


def _setup(url: str) -> str:
    return f"{SETUP}\n%gemini config openai_base_url={url}"


def test_openai_prompt_cell_generates_and_runs_its_cell(
    page: Any, lab_server: Any, served: Any
) -> None:
    server, replies = _fresh(served)
    code = "total = sales['revenue'].sum()\nprint('total revenue', total)"
    replies.queue.append(Chat(text=f"Sure.\n```python\n{code}\n```\n"))
    nb = Notebook.write(
        page,
        lab_server,
        "openai.ipynb",
        [_setup(server.url), f"%%gemini -m {MODEL}\nPrint the total `revenue` of sales."],
    ).open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    nb.shift_enter(1)
    nb.wait("(panel) => panel.content.model.sharedModel.cells.length === 4")
    generated = nb.wait_output(2, "total revenue 60.5")
    assert generated["source"] == code
    link = generated["metadata"]["jupyter_codegen"]
    assert link["prompt_cell_id"] == "cell-1" and link["model"] == MODEL
    prompt = nb.wait_executed(1)
    assert f"✓ {MODEL}" in output_text(prompt)  # the prompt cell's status line
    assert "total revenue 60.5" not in output_text(prompt)
    (request,) = server.chat_requests()
    assert request.body["model"] == "tiny-coder"
    assert "revenue" in json.dumps(request.body["messages"])  # the live DataFrame's context
    page.locator(".jp-codegen-badge").first.wait_for()
    page.screenshot(path=str(_artifact("test_openai_prompt_cell.png")))
    assert page.console_errors == []


def test_panel_chat_turn_on_an_openai_model(page: Any, lab_server: Any, served: Any) -> None:
    server, replies = _fresh(served)
    code = "print('rows', len(sales))"
    replies.queue.append(Chat(text=f"Count the rows:\n```python\n{code}\n```\n"))
    nb = Notebook.write(
        page,
        lab_server,
        "openai-panel.ipynb",
        [f"{_setup(server.url)}\n%gemini config model={MODEL}"],
    ).open()
    nb.shift_enter(0)
    nb.wait_executed(0)
    panel, reply = ask_the_sidebar(page, PANEL_ID, "How many rows does sales have?")
    assert code in reply.inner_text()
    reply.locator("[data-codegen-action=insert-run]").click()
    nb.wait("(panel) => panel.content.model.sharedModel.cells.length === 3")
    assert nb.wait_output(2, "rows 3")["source"] == code
    panel.locator("[data-codegen=status]").get_by_text(MODEL).first.wait_for()
    (request,) = server.chat_requests()
    body = json.dumps(request.body)
    assert request.body["model"] == "tiny-coder"
    assert "How many rows" in body and "revenue" in body  # the kernel's engine and context
    page.screenshot(path=str(_artifact("test_openai_panel.png")))
    assert page.console_errors == []
