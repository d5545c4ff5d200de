"""The JupyterLab extension's kernel side (comm_frontend) on a real InteractiveShell, with a fake
comm and a fake kernel parent (the execute request being handled)."""

from __future__ import annotations

import json
from typing import Any

import comm as comm_module
import pytest
from shells import close_session, open_session

from jupyter_codegen import comm_frontend
from jupyter_codegen.comm_frontend import PROTOCOL_VERSION, CommFrontend
from jupyter_codegen.errors import CodeFailedError
from jupyter_codegen.notebook.frontend import GeneratedMeta, Placement, code_hash
from jupyter_codegen.session import session_for

CLIENT = "client-1"


class FakeComm:
    def __init__(self, **kwargs: Any) -> None:
        self.opened = kwargs
        self.sent: list[dict[str, Any]] = []
        self.handler: Any = None
        self.closed: Any = None

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def on_msg(self, handler: Any) -> None:
        self.handler = handler

    def on_close(self, handler: Any) -> None:
        self.closed = handler

    def close(self) -> None:
        pass

    def receive(self, data: dict[str, Any]) -> None:
        self.handler({"content": {"data": {"version": PROTOCOL_VERSION, **data}}})


class FakeKernel:
    """Only what comm_frontend reads: the parent request."""

    def __init__(self) -> None:
        self.parent: dict[str, Any] = {}

    def get_parent(self, channel: str | None = None) -> dict[str, Any]:
        return self.parent

    def request(self, cell_id: str, msg_id: str, client: str = CLIENT, silent: bool = False):
        self.parent = {
            "header": {"msg_type": "execute_request", "session": client, "msg_id": msg_id},
            "metadata": {"cellId": cell_id},
            "content": {"silent": silent},
        }


@pytest.fixture
def shell(tmp_path, monkeypatch):
    comms: list[FakeComm] = []

    def create_comm(**kwargs: Any) -> FakeComm:
        comms.append(FakeComm(**kwargs))
        return comms[-1]

    monkeypatch.setattr(comm_module, "create_comm", create_comm)
    sh, session = open_session(tmp_path, monkeypatch)
    sh.kernel = FakeKernel()
    sh.fake_comms = comms
    yield sh
    if isinstance(session.frontend, CommFrontend):
        session.frontend.uninstall()
    close_session(sh, session)
    del sh.kernel
    del sh.fake_comms


def hint(cell_id: str, linked: dict[str, Any] | None = None, **extra: Any) -> None:
    payload = {"version": PROTOCOL_VERSION, "client": CLIENT, "cell_id": cell_id}
    comm_frontend.hint(json.dumps({**payload, "linked": linked, **extra}))


def frontend(sh) -> CommFrontend:
    f = session_for(sh).frontend
    assert isinstance(f, CommFrontend)
    return f


def placement(code: str = "x = 1\n", prompt: str = "P", **kw: Any) -> Placement:
    meta = GeneratedMeta(
        prompt, "ph", "scripted", "code", "2026-01-01T00:00:00+00:00", 1, "generated"
    )
    return Placement(prompt, code, meta, fresh=True, **kw)


def test_hint_installs_frontend_opens_comm_and_decides_edited(shell):
    code = "print(1)"
    hint("P", {"cell_id": "G", "code": code, "code_hash": code_hash(code), "prompt_hash": "h"})
    link = session_for(shell).link.linked_cell("P")
    assert link is not None and link.cell_id == "G" and not link.edited
    assert shell.fake_comms[0].opened["data"] == {"version": PROTOCOL_VERSION, "client": CLIENT}
    hint(
        "P", {"cell_id": "G", "code": "print(2)", "code_hash": code_hash(code), "prompt_hash": "h"}
    )
    assert session_for(shell).link.linked_cell("P").edited
    assert len(shell.fake_comms) == 1  # one comm per client


def test_a_linked_cell_without_a_stored_hash_counts_as_edited(shell):
    """Nothing says the cell is unedited, so a regeneration keeps it (superseded) instead of
    overwriting it, and it is the pinned answer (notebook/cells.py: is_edited)."""
    hint("P", {"cell_id": "G", "code": "print(2)", "code_hash": None, "prompt_hash": "h"})
    link = session_for(shell).link.linked_cell("P")
    assert link is not None and link.edited and link.code == "print(2)"
    frontend(shell).place(placement("print(2)"))
    sent = shell.fake_comms[0].sent[-1]
    assert sent["cell_id"] == "G" and sent["insert"] is False and sent["metadata"] is None


def test_hint_fields_the_kernel_does_not_read_are_ignored(shell):
    """An extension of the same version that still sends ``auto_run`` (dropped from the hint)."""
    code = "print(1)"
    linked = {"cell_id": "G", "code": code, "code_hash": code_hash(code), "prompt_hash": "h"}
    hint("P", linked, auto_run=True, regenerate=True)
    assert not session_for(shell).link.linked_cell("P").edited
    assert session_for(shell).link.take_regenerate("P")


def test_a_malformed_hint_is_ignored(shell):
    hint("P", {"cell_id": "G"})  # no code
    assert not isinstance(session_for(shell).frontend, CommFrontend)


def test_other_protocol_versions_are_ignored(shell):
    comm_frontend.hint(json.dumps({"version": 99, "client": CLIENT, "cell_id": "P"}))
    assert not isinstance(session_for(shell).frontend, CommFrontend)


def test_unhinted_prompt_falls_back(shell):
    hint("P")
    assert frontend(shell).place(placement(prompt="other")) is False
    assert shell.fake_comms[0].sent == []


def test_place_sends_insert_and_registers_pending(shell):
    hint("P")
    assert frontend(shell).place(placement()) is True
    sent = shell.fake_comms[0].sent[-1]
    assert sent["type"] == "place" and sent["insert"] is True and sent["run"] is True
    assert sent["prompt_cell_id"] == "P" and sent["code"] == "x = 1\n"
    assert sent["metadata"]["code_hash"] == code_hash("x = 1\n")
    assert list(frontend(shell).pending) == [sent["cell_id"]]


def test_edited_linked_cell_runs_in_place_and_keeps_its_metadata(shell):
    hint("P", {"cell_id": "G", "code": "mine()", "code_hash": "0" * 16, "prompt_hash": "h"})
    frontend(shell).place(placement("mine()"))
    sent = shell.fake_comms[0].sent[-1]
    assert sent["cell_id"] == "G" and sent["insert"] is False and sent["metadata"] is None


def test_generated_cell_runs_the_placed_code_exactly_once(shell):
    hint("P")
    frontend(shell).place(placement("ran = globals().get('ran', 0) + 1"))
    cell_id = shell.fake_comms[0].sent[-1]["cell_id"]
    shell.kernel.request(cell_id, "m1")
    shell.run_cell("old_code_from_the_queued_request = 1")
    assert shell.user_ns["ran"] == 1 and "old_code_from_the_queued_request" not in shell.user_ns
    shell.kernel.request(cell_id, "m2")
    shell.run_cell("ran += 10")  # later: an ordinary cell
    assert shell.user_ns["ran"] == 11


def test_a_second_run_the_extension_reports_prints_one_line_instead_of_the_code(shell, capsys):
    hint("P")
    frontend(shell).place(placement("ran = globals().get('ran', 0) + 1"))
    cell_id = shell.fake_comms[0].sent[-1]["cell_id"]
    shell.kernel.request(cell_id, "m1")
    shell.run_cell("pass")
    payload = {"version": PROTOCOL_VERSION, "client": CLIENT, "cell_id": cell_id}
    comm_frontend.ran_already(json.dumps(payload))
    comm_frontend.ran_already(json.dumps({**payload, "client": "another-client", "cell_id": "X"}))
    shell.kernel.request(cell_id, "m2")
    # IPython may transform one request more than once: the same line each time.
    assert frontend(shell)._transform(["x\n"]) == frontend(shell)._transform(["x\n"])
    shell.run_cell("ran = globals().get('ran', 0) + 1")
    assert shell.user_ns["ran"] == 1
    assert "this code already ran just now" in capsys.readouterr().out
    shell.kernel.request(cell_id, "m3")  # once more: an ordinary cell
    shell.run_cell("ran = globals().get('ran', 0) + 1")
    shell.kernel.request("X", "m4")  # another client's report does not skip this one's cell
    shell.run_cell("ran += 10")
    assert shell.user_ns["ran"] == 12
    comm_frontend.ran_already(json.dumps({"version": 99, "client": CLIENT, "cell_id": "Y"}))
    assert "Y" not in frontend(shell).ran_already


def test_cells_queued_behind_an_unanswered_placement_are_deferred_once(shell):
    hint("P")
    frontend(shell).place(placement("x = 1"))
    comm = shell.fake_comms[0]
    cell_id = comm.sent[-1]["cell_id"]
    shell.kernel.request("after", "m1")
    # IPython transforms a request more than once: still the same deferral.
    assert frontend(shell)._transform(["y = x\n"]) == frontend(shell)._transform(["y = x\n"])
    shell.run_cell("y = x")
    assert "y" not in shell.user_ns
    assert comm.sent[-1] == {"version": 1, "type": "requeue", "cell_ids": ["after"]}
    silent = shell.kernel.parent
    shell.kernel.request("hint", "m2", silent=True)  # hints are never deferred
    assert frontend(shell)._transform(["z = 1\n"]) == ["z = 1\n"]
    shell.kernel.parent = silent
    comm.receive({"type": "placed", "cell_id": cell_id, "ok": True, "will_run": True})
    shell.kernel.request(cell_id, "m3")
    shell.run_cell("pass")
    shell.kernel.request("after", "m4")  # the requeued request
    shell.run_cell("y = x")
    assert shell.user_ns["y"] == 1


def test_answered_placement_whose_cell_never_ran_is_dropped(shell):
    hint("P")
    frontend(shell).place(placement("x = 1"))
    comm = shell.fake_comms[0]
    cell_id = comm.sent[-1]["cell_id"]
    comm.receive({"type": "placed", "cell_id": cell_id, "ok": True, "will_run": True})
    shell.kernel.request("other", "m1")  # the generated cell's request was aborted
    shell.run_cell("v = 2")
    assert shell.user_ns["v"] == 2 and frontend(shell).pending == {}


def test_placed_messages_of_another_version_or_type_are_ignored(shell):
    hint("P")
    frontend(shell).place(placement("x = 1"))
    comm = shell.fake_comms[0]
    cell_id = comm.sent[-1]["cell_id"]
    comm.handler({"content": {"data": {"version": 99, "type": "placed", "cell_id": cell_id}}})
    comm.receive({"type": "unknown"})
    assert not frontend(shell).pending[cell_id].acked
    comm.receive({"type": "placed", "cell_id": cell_id, "ok": True, "will_run": True})
    assert frontend(shell).pending[cell_id].acked


def test_placement_not_run_by_the_extension_is_dropped(shell):
    hint("P")
    frontend(shell).place(placement("x = 1"))
    comm = shell.fake_comms[0]
    comm.receive(
        {"type": "placed", "cell_id": comm.sent[-1]["cell_id"], "ok": True, "will_run": False}
    )
    assert frontend(shell).pending == {}


def test_failing_placed_code_fails_the_generated_cell(shell):
    hint("P")
    frontend(shell).place(placement("1 / 0"))
    cell_id = shell.fake_comms[0].sent[-1]["cell_id"]
    with pytest.raises(CodeFailedError):
        frontend(shell).run_pending(cell_id)


def test_chat_streams_a_reply_through_the_engine(shell):
    backend = session_for(shell).backends["scripted"]
    backend.push("Count them:\n```python\nprint(len(rows))\n```\n")
    shell.user_ns["rows"] = [1, 2, 3]
    comm_frontend.connect(json.dumps({"version": PROTOCOL_VERSION, "client": CLIENT}))
    comm = shell.fake_comms[0]
    assert comm.sent[-1]["type"] == "info"
    comm.receive({"type": "chat", "id": "c1", "text": "how many rows?", "model": ""})
    kinds = [m["type"] for m in comm.sent]
    assert "chat_delta" in kinds
    done = next(m for m in comm.sent if m["type"] == "chat_done")
    assert done["code"].strip() == "print(len(rows))" and done["error"] is None
    assert "rows: list, len 3" in backend.requests[0].turns[0].parts[0].text
    assert comm.sent[-1]["type"] == "info" and comm.sent[-1]["history"][-1]["mode"] == "chat"
    assert "rows" not in session_for(shell).shell.user_ns.get("_", "")  # nothing ran
