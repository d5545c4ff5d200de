"""Candidates run from a cell of a real ipykernel: nothing the forked child prints, displays,
draws or sends through the kernel's own stream or a widget's comm reaches the notebook (in
ipykernel a forked child's output is forwarded to IOPub by design), the user's variables stay
as they were, the kernel goes on normally, and the kernel's interrupt ends the cell with
KeyboardInterrupt and leaves no child process."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

pytestmark = [pytest.mark.kernel, pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")]

#: Bound on any one wait for the kernel (generous: a loaded 2-core machine); never a sleep.
WAIT = 120

SETUP = """\
import base64, json, os, sys
import ipywidgets
import matplotlib.pyplot as plt
from jupyter_codegen.kernel.candidates import run_isolated
data = [1, 2, 3]
label = "before"
kernel_stdout = sys.stdout
print(os.getpid())
"""

# Every marker is built at run time, so the cell's own source (execute_input) holds none.
CANDIDATE = """
m = "CHILD-"
print(m + "OUTPUT")
display(m + "DISPLAY")
kernel_stdout.write(m + "STREAM\\n")
kernel_stdout.flush()
os.write(1, (m + "FD1\\n").encode())
os.write(2, (m + "FD2\\n").encode())
data.append(4)
label = "after"
fig, ax = plt.subplots()
ax.plot([1, 2, 3])
plt.show()
display(fig)
display(ipywidgets.IntSlider(value=7))
m + "LAST"
"""

RUN = f"""\
run = run_isolated(globals(), {CANDIDATE!r}, names=["data", "label"], timeout={WAIT})
print("parent got", len(run.output), "characters")
"""

REPORT = """\
report = dict(ok=run.ok, error=run.error_line, output=run.output, values=run.values,
              figures=run.figures, data=data, label=label)
print(base64.b64encode(json.dumps(report).encode()).decode())
"""

MARKERS = ("CHILD-OUTPUT", "CHILD-DISPLAY", "CHILD-STREAM", "CHILD-FD", "CHILD-LAST")


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[tuple[KernelManager, Any, int]]:
    """A started kernel with SETUP run in it; (manager, client, the kernel's pid)."""
    # ipykernel captures fds 1 and 2 (a watcher thread forwards them to IOPub) unless it sees
    # pytest's variable: the kernel must run as a notebook's would.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    try:
        setup = _run(kc, SETUP)
        assert not _errors(setup), _errors(setup)
        yield km, kc, int(_printed(setup).split()[-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc: Any, code: str, on_message: Any = None) -> list[dict[str, Any]]:
    """Execute ``code``; return every IOPub message from the request to its idle status,
    whatever cell it claims to come from (a leak might not carry the right parent)."""
    msg_id = kc.execute(code)
    messages: list[dict[str, Any]] = []
    while True:
        msg = kc.get_iopub_msg(timeout=WAIT)
        messages.append(msg)
        if on_message is not None:
            on_message(msg)
        if (
            msg["parent_header"].get("msg_id") == msg_id
            and msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "idle"
        ):
            return messages


def _mine(messages: list[dict[str, Any]], kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return [m for m in messages if m["msg_type"] in kinds]


def _errors(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["content"] for m in _mine(messages, ("error",))]


def _printed(messages: list[dict[str, Any]]) -> str:
    return "".join(m["content"].get("text", "") for m in _mine(messages, ("stream",)))


def _children_of(pid: int) -> set[int]:
    """Live or zombie processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[1] == str(pid):
                    found.add(int(entry))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_candidate_run_from_a_cell_reaches_neither_the_notebook_nor_the_namespace(
    kernel: tuple[KernelManager, Any, int],
) -> None:
    _, kc, kernel_pid = kernel
    during = _run(kc, RUN)
    assert not _errors(during), _errors(during)
    after = _run(kc, REPORT)  # late forwarded messages would land here
    wire = json.dumps([m["content"] for m in during + after])
    for marker in MARKERS:
        assert marker not in wire, f"{marker} reached IOPub"
    assert "image/png" not in wire
    assert not _mine(during + after, ("comm_open", "comm_msg", "display_data", "clear_output"))
    assert _printed(during).startswith("parent got ")

    report = json.loads(base64.b64decode(_printed(after).split()[-1]))
    assert report["ok"], report["error"]
    assert report["data"] == [1, 2, 3] and report["label"] == "before"
    assert report["values"] == {"data": "[1, 2, 3, 4]", "label": "'after'"}
    assert report["figures"] == 1
    output = report["output"]
    assert "CHILD-OUTPUT\n" in output and "'CHILD-DISPLAY'\n" in output
    assert "<Figure size" in output and "IntSlider(value=7)" in output
    assert output.endswith("'CHILD-LAST'\n")
    # What went to the kernel's own stream and to the fds went nowhere: not to the output,
    # not to the notebook.
    assert "CHILD-STREAM" not in output and "CHILD-FD" not in output
    assert f"parent got {len(output)}" in _printed(during)
    assert _children_of(kernel_pid) == set()
    assert _printed(_run(kc, "print('alive', data, label)")) == "alive [1, 2, 3] before\n"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_interrupting_the_kernel_while_a_candidate_runs_leaves_no_child(
    kernel: tuple[KernelManager, Any, int],
) -> None:
    km, kc, kernel_pid = kernel
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        port = server.getsockname()[1]
        # The candidate says it is running (its pid) over a socket, then spins.
        candidate = (
            "import os, socket\n"
            f"with socket.create_connection(('127.0.0.1', {port})) as s:\n"
            "    s.sendall(str(os.getpid()).encode())\n"
            "while True:\n    pass\n"
        )
        msg_id = kc.execute(f"run_isolated(globals(), {candidate!r}, timeout=600)")
        connection, _ = server.accept()
        with connection:
            connection.settimeout(WAIT)
            child = int(connection.recv(64))
    assert _children_of(kernel_pid) == {child}
    km.interrupt_kernel()  # SIGINT to the kernel's process group, the child included
    errors = []
    while True:
        msg = kc.get_iopub_msg(timeout=WAIT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            errors.append(msg["content"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert [e["ename"] for e in errors] == ["KeyboardInterrupt"]
    assert not os.path.exists(f"/proc/{child}")  # killed and reaped: not even a zombie
    assert _children_of(kernel_pid) == set()
    assert _printed(_run(kc, "print('alive', label)")) == "alive before\n"
