"""The JupyterLab extension's side in the kernel: a :class:`~.frontend.Frontend` over the
``jupyter_codegen`` comm (protocol: docs/protocol.md).

Flow of one prompt cell P in JupyterLab:

1. When P is scheduled, the extension sends a *hint* as a silent execute request (shell
   messages are handled in order, so it lands before P's own request, even before
   ``%load_ext``): P's id, its linked generated cell G (id, code, stored hashes), its client id.
   :func:`hint` records it in the session's :class:`~.frontend.FrontendLink` (the engine pins
   from it without a model call), installs :class:`CommFrontend` and opens the comm.
2. The engine offers the code (:meth:`CommFrontend.place`): the kernel sends ``place``; the
   extension inserts or updates G below P without moving the selection and runs it, unless G is
   already queued (Run All, Shift-Enter twice); it answers ``placed``.
3. G's execute request: an input transformer swaps in the placed code (G's queued request may
   hold older code) and runs it through the engine's repair loop; a fix is sent as ``replace``
   (the extension rewrites G's source, nothing runs twice). Exactly once: the placement is
   consumed by G's first execution.
4. Run All on a prompt with no generated cell yet: the cells queued behind P would run before
   the new G. While a placement is unanswered, requests from the same client are *deferred*:
   they run nothing, and ``requeue`` asks the extension to run them again, after G.

Without the extension nobody hints, this frontend is never installed for the cell, and the
engine's fallback (code under the prompt cell, ``set_next_input``) runs unchanged.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.notebook.cells import code_hash, is_edited
from jupyter_codegen.notebook.frontend import FallbackFrontend, LinkedCell, Placement
from jupyter_codegen.notebook.protocol import (
    COMM_TARGET,
    METADATA_KEY,
    PROTOCOL_VERSION,
    ChatDeltaMsg,
    ChatDoneMsg,
    ChatMsg,
    GeneratedMetaJSON,
    Hint,
    HistoryEntry,
    InfoMsg,
    KernelMsg,
    McpServerInfo,
    OpenData,
    PlacedMsg,
    PlaceMsg,
    ReplaceMsg,
    RequeueMsg,
    read_connect,
    read_frontend_msg,
    read_hint,
    read_ran_already,
)
from jupyter_codegen.session import CodegenSession, current_session

_MODULE = "jupyter_codegen.comm_frontend"


_RAN_ALREADY = (
    "[jupyter-codegen] this code already ran just now, placed by the prompt cell above; "
    "run this cell again to run it once more."
)


def _call(function: str, *args: str) -> list[str]:
    """Source lines that call ``function`` of this module (what a transformed cell runs)."""
    rendered = ", ".join(repr(a) for a in args)
    return [f"__import__({_MODULE!r}, fromlist=['_']).{function}({rendered})\n"]


@dataclass
class _Pending:
    """A placement the extension was asked to run in the generated cell ``cell_id``."""

    cell_id: str
    client: str
    placement: Placement
    #: The extension answered ``placed``: requests after that come after G's own request.
    acked: bool = False


class CommFrontend:
    """Places generated code through the JupyterLab extension, for the prompt cells it hinted.

    Prompt cells nobody hinted (a console on the same kernel, a run before the extension loaded)
    go to the fallback, so the engine behaves exactly as without the extension.
    """

    def __init__(self, session: CodegenSession) -> None:
        self.session = session
        self.shell = session.shell
        self.fallback = FallbackFrontend(session.shell)
        self.comms: dict[str, Any] = {}
        #: Prompt cell id -> the client (kernel connection id) that hinted it.
        self.hinted: dict[str, str] = {}
        self.pending: dict[str, _Pending] = {}
        #: Cells deferred while a placement was unanswered -> the deferred request's msg_id
        #: (a cell is deferred once; IPython may transform one request more than once).
        self.deferred: dict[str, str] = {}
        #: The pending placement whose code runs now, in its generated cell.
        self.running: _Pending | None = None
        #: Generated cells the extension says already ran for their placement -> the client;
        #: their next request prints one line instead (exactly once, as PRODUCT.md decides).
        self.ran_already: dict[str, str] = {}
        #: (cell id, msg_id) of the request that printed it (IPython may transform it again).
        self.skipped: tuple[str, str] | None = None

    # --- installation -----------------------------------------------------------------------

    @classmethod
    def install(cls, session: CodegenSession) -> CommFrontend:
        """The session's CommFrontend, installed (and its input transformer) on first use."""
        if isinstance(session.frontend, CommFrontend):
            return session.frontend
        frontend = cls(session)
        session.frontend = frontend
        session.shell.input_transformers_post.append(frontend._transform)
        return frontend

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            self.shell.input_transformers_post.remove(self._transform)
        for comm in list(self.comms.values()):
            comm.close()
        self.comms.clear()
        if self.session.frontend is self:
            self.session.frontend = self.fallback

    def comm_for(self, client: str) -> Any:
        """The open comm to ``client``, opened on first use (the extension registers the target)."""
        comm = self.comms.get(client)
        if comm is None:
            from comm import create_comm

            comm = create_comm(
                target_name=COMM_TARGET, data=OpenData(version=PROTOCOL_VERSION, client=client)
            )

            def on_msg(msg: dict[str, Any]) -> None:
                self._on_msg(client, msg)

            def on_close(msg: dict[str, Any]) -> None:
                self.comms.pop(client, None)

            comm.on_msg(on_msg)
            comm.on_close(on_close)
            self.comms[client] = comm
        return comm

    def send(self, client: str, message: KernelMsg) -> None:
        self.comm_for(client).send({"version": PROTOCOL_VERSION, **message})

    # --- 1. hints ---------------------------------------------------------------------------

    def on_hint(self, hint: Hint) -> None:
        client, prompt_id = hint["client"], hint["cell_id"]
        self.comm_for(client)
        self.hinted[prompt_id] = client
        raw = hint["linked"]
        linked = None
        if raw is not None:
            linked = LinkedCell(
                prompt_cell_id=prompt_id,
                cell_id=raw["cell_id"],
                code=raw["code"],
                prompt_hash=raw["prompt_hash"],
                # The rule (notebook/cells.py, as the runner and the badge decide it): a cell
                # without a stored hash counts as edited.
                edited=is_edited(raw["code"], raw["code_hash"]),
            )
        self.session.link.hint(prompt_id, linked, regenerate=hint["regenerate"])

    # --- 2. placement -----------------------------------------------------------------------

    def place(self, placement: Placement) -> bool:
        if self.running is not None:
            # A fix of the code running in its generated cell: rewrite that cell, run nothing.
            running = self.running
            running.placement = placement
            self.send(
                running.client,
                ReplaceMsg(
                    type="replace",
                    cell_id=running.cell_id,
                    code=placement.code,
                    metadata=self._metadata(placement),
                ),
            )
            return False
        prompt_id = placement.prompt_cell_id
        client = self.hinted.get(prompt_id) if prompt_id else None
        if prompt_id is None or client is None or client not in self.comms:
            return self.fallback.place(placement)
        cell_id = placement.update_cell_id or f"codegen-{uuid.uuid4().hex[:12]}"
        insert = placement.update_cell_id is None
        metadata: GeneratedMetaJSON | None = self._metadata(placement)
        linked = self.session.link.linked_cell(prompt_id)
        if insert and linked is not None and linked.edited and linked.code == placement.code:
            # The user's edit is the pinned answer: run that cell as it is, and keep its
            # metadata (its stored hash, or the lack of one, is what marks it as edited).
            cell_id, insert, metadata = linked.cell_id, False, None
        run = bool(getattr(placement, "run", True))
        if run:
            self.pending[cell_id] = _Pending(cell_id, client, placement)
        self.send(
            client,
            PlaceMsg(
                type="place",
                prompt_cell_id=prompt_id,
                cell_id=cell_id,
                insert=insert,
                supersede_cell_id=placement.supersede_cell_id,
                code=placement.code,
                metadata=metadata,
                run=run,
            ),
        )
        return True

    @staticmethod
    def _metadata(placement: Placement) -> GeneratedMetaJSON:
        meta = placement.meta.to_json()
        meta["code_hash"] = meta.get("code_hash") or code_hash(placement.code)
        return meta

    # --- 3./4. executions -------------------------------------------------------------------

    def _request(self) -> tuple[str | None, str | None, str | None]:
        """(cell id, client, msg_id) of the execute request being handled, or Nones for
        anything else (silent requests such as hints, messages without a cell id)."""
        kernel = getattr(self.shell, "kernel", None)
        parent = kernel.get_parent() if kernel is not None else None
        if not parent or parent.get("header", {}).get("msg_type") != "execute_request":
            return None, None, None
        if parent.get("content", {}).get("silent"):
            return None, None, None
        header = parent["header"]
        cell_id = (parent.get("metadata") or {}).get("cellId")
        return cell_id, header.get("session"), header.get("msg_id")

    def _transform(self, lines: list[str]) -> list[str]:
        if self.running is not None or not (self.pending or self.ran_already or self.skipped):
            return lines
        cell_id, client, msg_id = self._request()
        if cell_id is None:
            return lines
        if self.ran_already.get(cell_id) == client:
            del self.ran_already[cell_id]
            self.skipped = (cell_id, str(msg_id))
        if self.skipped == (cell_id, msg_id):
            return [f"print({_RAN_ALREADY!r})\n"]
        self.skipped = None
        if not self.pending:
            return lines
        if cell_id in self.pending:
            return _call("_run_pending", cell_id)
        waiting = [p for p in self.pending.values() if p.client == client]
        if any(not p.acked for p in waiting) and self.deferred.get(cell_id, msg_id) == msg_id:
            self.deferred[cell_id] = str(msg_id)
            return _call("_defer", cell_id, str(client))
        # Any other request after the extension answered: the generated cell's own request was
        # aborted (an error above it, an interrupt); its placement no longer applies.
        for p in waiting:
            if p.acked:
                self.pending.pop(p.cell_id, None)
        return lines

    @contextlib.contextmanager
    def _running(self, pending: _Pending) -> Iterator[None]:
        self.running = pending
        try:
            yield
        finally:
            self.running = None

    def run_pending(self, cell_id: str) -> None:
        """Run a placement's code in its generated cell (the cell's own execution)."""
        pending = self.pending.pop(cell_id)
        self.deferred.clear()
        with self._running(pending):
            resume = getattr(pending.placement, "resume", None)
            if resume is not None:
                resume()  # the engine's checks and repair loop, fixes come back through place()
            else:
                from jupyter_codegen.errors import CodeFailedError
                from jupyter_codegen.kernel.executor import run_code

                outcome = run_code(self.shell, pending.placement.code)
                if not outcome.ok:
                    raise CodeFailedError(f"The generated code failed: {outcome.error_line}")

    def defer(self, cell_id: str, client: str) -> None:
        """Run nothing now; the extension runs the cell again after the pending generated cell."""
        self.send(client, RequeueMsg(type="requeue", cell_ids=[cell_id]))

    # --- messages from the extension --------------------------------------------------------

    def _on_msg(self, client: str, msg: dict[str, Any]) -> None:
        data = read_frontend_msg(msg.get("content", {}).get("data"))
        if data is None:
            return  # malformed, another version, or a type this kernel does not know
        if data["type"] == "placed":
            self.on_placed(client, data)
        elif data["type"] == "chat":
            self.chat(client, data)
        elif data["type"] == "info_request":
            self.send_info(client)

    def on_placed(self, client: str, placed: PlacedMsg) -> None:
        pending = self.pending.get(placed["cell_id"])
        if pending is not None:
            if placed["ok"] and placed["will_run"]:
                pending.acked = True
            else:
                self.pending.pop(pending.cell_id, None)
        self.send_info(client)

    # --- the sidebar ------------------------------------------------------------------------

    def chat(self, client: str, msg: ChatMsg) -> None:
        """A sidebar question (:mod:`jupyter_codegen.modes.chat`), streamed back as
        ``chat_delta`` messages and ended by ``chat_done``; the code is not run."""
        from jupyter_codegen.modes.chat import answer_chat

        chat_id = msg["id"]

        def on_text(delta: str) -> None:
            self.send(client, ChatDeltaMsg(type="chat_delta", id=chat_id, text=delta))

        reply = answer_chat(self.session, msg["text"], msg["model"], on_text)
        self.send(
            client,
            ChatDoneMsg(
                type="chat_done",
                id=chat_id,
                text=reply.text,
                code=reply.code,
                model=reply.model,
                error=reply.error,
            ),
        )
        self.send_info(client)

    def send_info(self, client: str) -> None:
        """Backend status, registered functions and history, for the sidebar."""
        from jupyter_codegen.errors import CodegenError
        from jupyter_codegen.status import describe_status

        session = self.session
        try:
            model: str | None = session.choose_model().model
        except CodegenError:
            model = None
        history = [
            HistoryEntry(
                time=e.time,
                prompt=e.prompt,
                model=e.model,
                mode=e.mode,
                source=e.source,
                attempts=e.attempts,
                status=e.status,
                code=e.code,
                cell_id=e.cell_id,
            )
            for e in session.history.entries[-50:]
        ]
        self.send(
            client,
            InfoMsg(
                type="info",
                status=describe_status(session),
                model=model,
                functions=list(session.functions.describe_for_prompt()),
                mcp_servers=_mcp_servers(session),
                history=history,
                last_error=session.last_error,
            ),
        )


def _mcp_servers(session: CodegenSession) -> list[McpServerInfo]:
    from jupyter_codegen.mcp import servers

    return [
        McpServerInfo(
            name=name,
            state=server.state,
            where=server.spec.describe(),
            trusted=server.trusted,
            tools=servers.tool_stubs(name, server),
            skipped=[f"{tool}: {why}" for tool, why in server.skipped.items()],
        )
        for name, server in servers.found(session.shell.user_ns).items()
    ]


def hint(payload: str) -> None:
    """What the extension sends (a silent execute) before a prompt cell's execute request."""
    data = read_hint(json.loads(payload))
    if data is None:
        return  # an extension of another version (or a broken hint): its cells use the fallback
    CommFrontend.install(current_session()).on_hint(data)


def connect(payload: str) -> None:
    """The sidebar asks for the comm before any prompt cell ran (a silent execute)."""
    data = read_connect(json.loads(payload))
    if data is None:
        return
    client = data["client"]
    frontend = CommFrontend.install(current_session())
    frontend.comm_for(client)
    frontend.send_info(client)


def ran_already(payload: str) -> None:
    """The extension: the generated cell it ran for a placement is scheduled again at once."""
    data = read_ran_already(json.loads(payload))
    if data is not None:
        CommFrontend.install(current_session()).ran_already[data["cell_id"]] = data["client"]


def _frontend() -> CommFrontend:
    frontend = current_session().frontend
    assert isinstance(frontend, CommFrontend)
    return frontend


def _run_pending(cell_id: str) -> None:
    _frontend().run_pending(cell_id)


def _defer(cell_id: str, client: str) -> None:
    _frontend().defer(cell_id, client)


__all__ = [
    "COMM_TARGET",
    "METADATA_KEY",
    "PROTOCOL_VERSION",
    "CommFrontend",
    "connect",
    "hint",
    "ran_already",
]
