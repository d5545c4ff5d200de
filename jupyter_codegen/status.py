"""``%gemini status``: which model runs, why, and how it is configured (never the key)."""

from __future__ import annotations

from jupyter_codegen.config import candidates_for
from jupyter_codegen.errors import CodegenError
from jupyter_codegen.mcp.servers import found
from jupyter_codegen.model.backends import backend_kind
from jupyter_codegen.session import CodegenSession


def describe_status(session: CodegenSession) -> str:
    from jupyter_codegen.model.backends import gemini, local

    lines = []
    try:
        choice = session.choose_model()
        lines.append(f"model: {choice.model} ({choice.why})")
        if backend_kind(choice.model) == "openai":
            from jupyter_codegen.model.backends import openai_compat as server

            endpoint = server.describe_endpoint(choice.model, session.config.openai_base_url)
            lines.append(f"endpoint: {endpoint}")
            lacking = getattr(session.backends.get(choice.model), "unsupported", ())
            lines.append("server: " + server.describe_capabilities(session.config, lacking))
        lines.append("candidates: " + _candidates(session, choice.model))
    except CodegenError as exc:
        lines.append(f"model: none — {exc}")
    lines.append("gemini key: " + ("set" if gemini.has_credentials() else "not set"))
    lines.append("offline model: " + local.describe())
    lines.append("frontend: " + type(session.frontend).__name__)
    servers = found(session.shell.user_ns)
    if servers:
        lines.append(
            "mcp servers: " + ", ".join(f"{name} ({mcp.state})" for name, mcp in servers.items())
        )
    lines.append(f"pins: {session.pins.root}")
    lines.append(f"generations this kernel: {len(session.history.entries)}")
    last = next((e for e in reversed(session.history.entries) if e.problem), None)
    if last is not None:
        lines.append(f"last problem: {last.status}")
    return "\n".join(lines)


def _candidates(session: CodegenSession, model: str) -> str:
    """How many code candidates a prompt cell samples on ``model``, and why."""
    from jupyter_codegen.kernel.candidates import can_isolate

    capabilities = session.capabilities(model)
    count, why = candidates_for(
        None,
        session.config.candidates,
        cheap_sampling=capabilities.cheap_sampling,
        can_fork=can_isolate(),
    )
    return f"{count} ({why})"
