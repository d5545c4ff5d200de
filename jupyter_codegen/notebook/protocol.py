"""The messages between the kernel and the JupyterLab extension (docs/protocol.md), typed.

Each TypedDict has the name of its interface in ``labextension/src/protocol.ts`` without the
``I`` (``PlaceMsg`` is ``IPlaceMsg``); ``GeneratedMetaJSON`` is ``IGeneratedMeta`` (the name
``GeneratedMeta`` is the dataclass in :mod:`.frontend`). The ``type`` field is a ``Literal``
discriminant. Comm messages are typed without their ``version``: :data:`PROTOCOL_VERSION` is
added when one is sent and checked when one arrives.

What the extension sends is read through :func:`read_hint` and :func:`read_frontend_msg`, which
return None for anything malformed (a comm carries whatever a client sends).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

#: Version of the message set; both sides check it (bump it on any incompatible change).
PROTOCOL_VERSION = 1
#: The comm target the kernel opens (the extension registers it).
COMM_TARGET = "jupyter_codegen"
#: Cell-metadata key (and MIME type suffix) that links a generated cell to its prompt cell.
METADATA_KEY = "jupyter_codegen"


class GeneratedMetaJSON(TypedDict):
    """What a generated cell stores under ``jupyter_codegen`` (``IGeneratedMeta``)."""

    prompt_cell_id: str | None
    prompt_hash: str
    model: str
    mode: str
    created: str
    attempts: int
    source: str
    code_hash: str
    superseded: bool


# --- extension -> kernel: the hint (a silent execute request, before the prompt cell's) -------


class HintLinked(TypedDict):
    """The prompt cell's linked generated cell: the code it holds now and the stored hashes."""

    cell_id: str
    code: str
    code_hash: str | None
    prompt_hash: str | None


class Hint(TypedDict):
    version: int
    #: The kernel connection's client id: the ``session`` of its request headers.
    client: str
    #: The prompt cell about to run.
    cell_id: str
    linked: HintLinked | None
    #: Ask the model again (the badge's Regenerate).
    regenerate: bool


class ConnectData(TypedDict):
    """What the sidebar's ``connect`` silent execute carries."""

    version: int
    client: str


class RanAlreadyData(TypedDict):
    """What the extension's ``ran_already`` silent execute carries: the generated cell it ran
    for a placement is scheduled again straight after (Shift-Enter twice, the second press
    after ``place`` arrived), so that request prints one line instead of running the code."""

    version: int
    client: str
    cell_id: str


class OpenData(TypedDict):
    """``comm_open`` data."""

    version: int
    client: str


# --- kernel -> extension (comm messages) ------------------------------------------------------


class PlaceMsg(TypedDict):
    """Insert or update the generated cell below a prompt cell and run it."""

    type: Literal["place"]
    prompt_cell_id: str
    cell_id: str
    #: True: insert a new cell with ``cell_id`` below the prompt; false: update that cell.
    insert: bool
    #: A user-edited generated cell the new one supersedes (kept, marked).
    supersede_cell_id: str | None
    code: str
    #: None: leave the cell's source and metadata as they are (the user's edit, pinned).
    metadata: GeneratedMetaJSON | None
    run: bool


class ReplaceMsg(TypedDict):
    """A fix of the generated cell that is running: new source and metadata, nothing reruns."""

    type: Literal["replace"]
    cell_id: str
    code: str
    metadata: GeneratedMetaJSON


class RequeueMsg(TypedDict):
    """Cells whose execution was deferred behind a new generated cell: run them again."""

    type: Literal["requeue"]
    cell_ids: list[str]


class ChatDeltaMsg(TypedDict):
    type: Literal["chat_delta"]
    id: str
    text: str


class ChatDoneMsg(TypedDict):
    type: Literal["chat_done"]
    id: str
    text: str
    code: str
    model: str
    error: str | None


class HistoryEntry(TypedDict):
    time: str
    prompt: str
    model: str
    mode: str
    source: str
    attempts: int
    status: str
    code: str | None
    cell_id: str | None


class McpServerInfo(TypedDict):
    """An MCP server bound in the kernel, as ``%gemini mcp list`` shows it (never a secret)."""

    #: The variable it is bound to (what generated code calls: ``name.tool(...)``).
    name: str
    #: ``not started``, ``running``, ``down``, ``failed`` or ``stopped``.
    state: str
    #: The command or URL, without env or headers.
    where: str
    trusted: bool
    #: Its tools' stubs once it started (empty before: servers start at first use).
    tools: list[str]
    #: Tools whose schema could not become a signature, with why.
    skipped: list[str]


class InfoMsg(TypedDict):
    """Backend status, registered functions, MCP servers and this kernel's generations (for
    the sidebar)."""

    type: Literal["info"]
    status: str
    model: str | None
    functions: list[str]
    mcp_servers: list[McpServerInfo]
    history: list[HistoryEntry]
    last_error: str | None


KernelMsg = PlaceMsg | ReplaceMsg | RequeueMsg | ChatDeltaMsg | ChatDoneMsg | InfoMsg


# --- extension -> kernel (comm messages) ------------------------------------------------------


class PlacedMsg(TypedDict):
    """The answer to ``place``: whether the cell was written, and whether it will run."""

    type: Literal["placed"]
    cell_id: str
    ok: bool
    will_run: bool


class ChatMsg(TypedDict):
    """A sidebar chat message: answered with ``chat_delta`` ..., then ``chat_done``."""

    type: Literal["chat"]
    id: str
    text: str
    #: Empty: the kernel's configured model.
    model: str


class InfoRequestMsg(TypedDict):
    type: Literal["info_request"]


FrontendMsg = PlacedMsg | ChatMsg | InfoRequestMsg


# --- the headless runner's hint (in the prompt cell's own execute request; no comm) -----------


class RunnerLinked(TypedDict):
    cell_id: str
    code: str
    prompt_hash: str | None
    #: Decided by the runner (:func:`.cells.is_edited`); the extension's hint sends the stored
    #: hash instead, and the kernel decides.
    edited: bool


class RunnerHint(TypedDict, total=False):
    """``metadata.jupyter_codegen`` of a prompt cell's execute request (``HINT_KEY``)."""

    cell_id: str
    is_next: bool
    regenerate: bool
    linked: RunnerLinked


# --- reading what the extension sent ----------------------------------------------------------


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_hint(data: Any) -> Hint | None:
    """The hint in ``data`` (parsed JSON), None if it is not one of this version.

    Fields this version does not know (an older extension's ``auto_run``) are dropped."""
    if not isinstance(data, dict) or data.get("version") != PROTOCOL_VERSION:
        return None
    client, cell_id, raw = data.get("client"), data.get("cell_id"), data.get("linked")
    if not isinstance(client, str) or not isinstance(cell_id, str):
        return None
    linked: HintLinked | None = None
    if isinstance(raw, dict):
        if not isinstance(raw.get("cell_id"), str) or not isinstance(raw.get("code"), str):
            return None
        linked = HintLinked(
            cell_id=raw["cell_id"],
            code=raw["code"],
            code_hash=_str_or_none(raw.get("code_hash")),
            prompt_hash=_str_or_none(raw.get("prompt_hash")),
        )
    elif raw is not None:
        return None
    return Hint(
        version=PROTOCOL_VERSION,
        client=client,
        cell_id=cell_id,
        linked=linked,
        regenerate=bool(data.get("regenerate")),
    )


def read_connect(data: Any) -> ConnectData | None:
    """The ``connect`` payload in ``data``, None if it is not one of this version."""
    if not isinstance(data, dict) or data.get("version") != PROTOCOL_VERSION:
        return None
    client = data.get("client")
    return ConnectData(version=PROTOCOL_VERSION, client=client) if isinstance(client, str) else None


def read_ran_already(data: Any) -> RanAlreadyData | None:
    """The ``ran_already`` payload in ``data``, None if it is not one of this version."""
    connect = read_connect(data)
    cell_id = data.get("cell_id") if connect is not None else None
    if connect is None or not isinstance(cell_id, str):
        return None
    return RanAlreadyData(version=PROTOCOL_VERSION, client=connect["client"], cell_id=cell_id)


def read_frontend_msg(data: Any) -> FrontendMsg | None:
    """The extension's comm message in ``data``, None if it is malformed, of another version or
    of a type this kernel does not know (a newer extension's)."""
    if not isinstance(data, dict) or data.get("version") != PROTOCOL_VERSION:
        return None
    kind = data.get("type")
    if kind == "placed":
        cell_id = data.get("cell_id")
        if not isinstance(cell_id, str):
            return None
        return PlacedMsg(
            type="placed",
            cell_id=cell_id,
            ok=bool(data.get("ok")),
            will_run=bool(data.get("will_run")),
        )
    if kind == "chat":
        return ChatMsg(
            type="chat",
            id=str(data.get("id", "")),
            text=str(data.get("text", "")),
            model=str(data.get("model") or ""),
        )
    if kind == "info_request":
        return InfoRequestMsg(type="info_request")
    return None


__all__ = [
    "COMM_TARGET",
    "METADATA_KEY",
    "PROTOCOL_VERSION",
    "ChatDeltaMsg",
    "ChatDoneMsg",
    "ChatMsg",
    "ConnectData",
    "FrontendMsg",
    "GeneratedMetaJSON",
    "HintLinked",
    "Hint",
    "HistoryEntry",
    "InfoMsg",
    "InfoRequestMsg",
    "KernelMsg",
    "McpServerInfo",
    "OpenData",
    "PlaceMsg",
    "PlacedMsg",
    "RanAlreadyData",
    "ReplaceMsg",
    "RequeueMsg",
    "RunnerHint",
    "RunnerLinked",
    "read_connect",
    "read_frontend_msg",
    "read_hint",
    "read_ran_already",
]
