"""One prompt cell's run, set up once: every mode, ``%gemini fix`` and the panel chat start here.

:meth:`PromptRun.start` does the per-cell preamble in one place: the prompt is redacted, the
model chosen and its backend's capabilities read, the running cell and its linked generated cell
looked up, the pin identity (prompt hash, pin key) computed, the status line and code header
made, the policy and time limit resolved. The run then keeps the one history record of the cell.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from jupyter_codegen.core import tool_calls
from jupyter_codegen.core.intent import Intent, intent_for
from jupyter_codegen.core.job import PromptJob, Source
from jupyter_codegen.core.stream import Extractor, generate, stream_reply
from jupyter_codegen.functions.copied_stubs import drop_copied_stubs
from jupyter_codegen.functions.registry import CallLog
from jupyter_codegen.kernel.engines import lazy_frames
from jupyter_codegen.kernel.policy import Finding, check, code_aliases
from jupyter_codegen.kernel.redact import NamespaceScan, redact, scan_namespace
from jupyter_codegen.model.backends import Capabilities
from jupyter_codegen.model.backends.base import BackendEvent, ModelRequest, Reply
from jupyter_codegen.model.extract import extract_code
from jupyter_codegen.notebook.display import CodeHeader, StatusLine
from jupyter_codegen.notebook.frontend import GeneratedMeta, LinkedCell, code_hash
from jupyter_codegen.notebook.history import HistoryEntry, now_iso
from jupyter_codegen.notebook.pins import PinStore, prompt_hash
from jupyter_codegen.session import CodegenSession


@dataclass
class PromptRun:
    """The values every stage of one prompt cell's run reads; built by :meth:`start`."""

    session: CodegenSession
    #: The job with its prompt redacted (and ``regenerate`` set by a runner's hint).
    job: PromptJob
    model: str
    capabilities: Capabilities
    #: The cell being executed and the generated cell linked to it (None outside a cell).
    cell_id: str | None
    linked: LinkedCell | None
    #: The pin's identity: the prompt hash stored in the generated cell, the pin store's key.
    prompt_hash: str
    pin_key: str
    status: StatusLine
    header: CodeHeader
    #: How registered functions are offered ("code", "native", "both").
    tools: str
    calls: CallLog
    policy: str
    timeout: float
    #: The namespace as read at the start of the cell (secrets, what the context reads).
    scan: NamespaceScan
    _recorded: HistoryEntry | None = field(default=None, repr=False)

    @classmethod
    def start(cls, session: CodegenSession, job: PromptJob, *, in_cell: bool = True) -> PromptRun:
        """Set up the run of ``job``. ``in_cell``: the job is a prompt cell (False for
        ``%gemini fix`` and the panel chat, which have no generated cell of their own)."""
        shell, config = session.shell, session.config
        session.just_ran = None  # this prompt cell is "the cell after" any earlier one
        # A credential typed into the prompt never reaches the model, the history or the pins.
        scan = scan_namespace(shell.user_ns)  # once a cell: the secrets, what the context reads
        job = replace(job, prompt=redact(job.prompt, scan.secrets))
        model = session.choose_model(job.model_flag).model
        cell_id = session.running_cell_id() if in_cell else None
        if session.link.take_regenerate(cell_id):
            job = replace(job, regenerate=True)
        capabilities = session.capabilities(model)
        return cls(
            session=session,
            job=job,
            model=model,
            capabilities=capabilities,
            cell_id=cell_id,
            linked=session.link.linked_cell(cell_id),
            prompt_hash=prompt_hash(job.prompt, job.mode, job.model_flag),
            pin_key=PinStore.key(job.prompt, model, job.mode),
            status=StatusLine(shell, enabled=not job.quiet),
            header=CodeHeader(job.quiet),
            tools=tool_calls.offer_mode(job.tools, capabilities),
            calls=CallLog(shell, show=not job.quiet),
            policy=job.policy or config.policy,
            timeout=config.timeout if job.timeout is None else job.timeout,
            scan=scan,
        )

    @property
    def shell(self) -> Any:
        return self.session.shell

    # --- what the model sees ------------------------------------------------------------------

    def context(self, *, fresh: bool = False) -> str:
        """The kernel context for this prompt. ``fresh``: the namespace changed since the cell
        started (code ran), so it is read again instead of reusing the cell-start scan."""
        scan = None if fresh else self.scan
        focused = self.capabilities.compact_prompts
        return tool_calls.context_text(
            self.session, self.job.prompt, self.tools, scan, focused=focused
        )

    def with_tools(self, request: ModelRequest) -> ModelRequest:
        """``request`` with the registered functions (and the MCP servers' read-only tools that
        best match the prompt) declared as tools, as offered."""
        native = self.session.native_functions(self.job.prompt, self.scan)  # (before any run)
        return tool_calls.with_tools(request, native, self.tools)

    def stream(
        self,
        request: ModelRequest,
        label: str,
        observe: Callable[[BackendEvent], None] | None = None,
    ) -> Reply:
        return stream_reply(self.session, request, self.model, self.status, label, observe)

    def generate(
        self, request: ModelRequest, label: str, extract: Extractor = extract_code
    ) -> tuple[Reply, str]:
        registered = self.session.functions.names()

        def code_of(reply: Reply) -> str:
            return drop_copied_stubs(extract(reply), registered)

        return generate(self.session, request, self.model, self.status, label, code_of, self.calls)

    # --- what the prompt asks for --------------------------------------------------------------

    def intent(self) -> Intent:
        """The named results (and kinds) the prompt asks for, read against the cell-start
        namespace (core/intent.py)."""
        return intent_for(
            self.job.prompt,
            self.scan.values,
            self.session.functions.names(),
            frames=lambda: self.scan.frames,  # (only if a name is looked up in all)
        )

    # --- pins ---------------------------------------------------------------------------------

    def pinned_code(self) -> str | None:
        """The code that answers this prompt without a model call: the linked generated cell's
        (when it was edited, or generated for this same prompt), else the pin store's."""
        if self.job.regenerate:
            return None
        linked = self.linked
        if linked is not None and (linked.edited or linked.prompt_hash == self.prompt_hash):
            return linked.code
        pin = self.session.pins.get(self.pin_key)
        return pin.code if pin is not None else None

    def meta(
        self, source: Source, attempts: int, code: str, created: str | None = None
    ) -> GeneratedMeta:
        """The generated cell's metadata for ``code``; ``created``: when (now when None)."""
        return GeneratedMeta(
            self.cell_id,
            self.prompt_hash,
            self.model,
            self.job.mode,
            now_iso() if created is None else created,
            attempts,
            source,
            code_hash=code_hash(code),
        )

    # --- the policy ---------------------------------------------------------------------------

    def check(
        self,
        code: str,
        user_names: Any,
        scan: NamespaceScan | None = None,
        tree: ast.Module | None = None,
    ) -> Finding | None:
        """The policy's finding on ``code`` (None: it may run). ``scan``: the cell-start scan
        while no code has run since (the MCP servers are read from it); ``tree``: the code
        parsed already, for the static checks."""
        if self.policy == "off":
            return None
        return check(
            code,
            user_names,
            policy=self.policy,
            registered=self.session.functions.names(),
            aliases=code_aliases(code, self.shell.user_ns),
            prompt=self.job.prompt,
            frames=lazy_frames(code, self.shell.user_ns),
            tool_servers=self.session.tool_servers(scan),
            tree=tree,
        )

    # --- the record ---------------------------------------------------------------------------

    def record(
        self,
        source: str,
        attempts: int,
        status_text: str,
        code: str | None,
        *,
        prompt: str | None = None,
    ) -> None:
        """The cell's one history entry: a later outcome (a placed run's end, a confirmation)
        replaces the earlier one. Shows the log of function calls made since the last record.
        ``prompt``: what the history shows as the prompt, when not the job's."""
        entry = HistoryEntry(
            now_iso(),
            self.job.prompt if prompt is None else prompt,
            self.model,
            self.job.mode,
            source,
            attempts,
            status_text,
            code,
            self.cell_id,
            tuple(self.calls.records),
        )
        if self._recorded is not None:
            self.session.history.replace(self._recorded, entry)
        else:
            self.session.history.add(entry)
        self._recorded = entry
        self.calls.finish()
