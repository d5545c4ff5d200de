"""User-settable configuration: traitlets (``c.Codegen.model = ...`` in ipython_config.py),
``%gemini config key=value`` at run time, and environment variables for the model."""

from __future__ import annotations

import os
from typing import Any

from traitlets import Bool, Dict, Enum, Float, Int, TraitError, Unicode, validate
from traitlets.config import Configurable

from jupyter_codegen.errors import UsageError

#: The default Gemini model lives here and only here.
DEFAULT_GEMINI_MODEL = "gemini-3.8-flash"
#: Environment variable that overrides the model when no -m flag is given.
MODEL_ENV = "JUPYTER_CODEGEN_MODEL"
#: Code candidates a prompt cell samples where the backend samples cheaply and nothing says:
#: one. On the quality set (benchmarks/README.md, section 5) k = 3 and k = 5 raised the pass
#: rate of neither embedded model (1.5B: 52/72 at k = 1 and k = 3, at 1.5x the median seconds)
#: and turned honest failures into silent wrong answers; ``--candidates N`` opts in.
AUTO_CANDIDATES = 1
#: What ``c.Codegen.openai_lacks`` may name: the request fields an OpenAI-compatible server may
#: not support (native function calls, JSON-schema output).
OPENAI_FEATURES = ("tools", "response_format")


def candidates_for(
    flag: int | None, configured: int, *, cheap_sampling: bool, can_fork: bool
) -> tuple[int, str]:
    """How many code candidates a prompt cell samples, and why (for ``%gemini status``):
    ``--candidates``, else ``c.Codegen.candidates``, else by the backend's capability; 1 where
    the process cannot fork isolated copies of the kernel."""
    if not can_fork:
        return 1, "this system cannot fork isolated copies of the kernel"
    if flag:
        return flag, "--candidates"
    if configured:
        return configured, "c.Codegen.candidates"
    if cheap_sampling:
        return AUTO_CANDIDATES, (
            "auto: one code (more candidates did not raise the pass rate on the quality set); "
            "--candidates N samples N and keeps the agreed result"
        )
    return 1, "auto: this model's samples are not cheap; --candidates N samples more"


class Codegen(Configurable):
    """Settings of ``%%gemini``. Every trait can be set in ipython_config.py or with
    ``%gemini config name=value``."""

    model = Unicode(
        "",
        help=f"Model to use (e.g. {DEFAULT_GEMINI_MODEL}, local, local:qwen2.5-coder-1.5b). "
        f"Empty: ${MODEL_ENV}, else Gemini when a key is set, else the embedded local model.",
    ).tag(config=True)
    max_fixes = Int(2, min=0, max=10, help="Repair rounds when generated code raises.").tag(
        config=True
    )
    candidates = Int(
        0,
        min=0,
        max=9,
        help="Code candidates sampled and run in isolated copies of the kernel, the winner chosen "
        "by agreement of their results. 0: one (measured: more did not raise the pass rate "
        "on the quality set).",
    ).tag(config=True)
    timeout = Float(
        60.0, min=0.0, help="Seconds generated code may run before it is stopped (0: no limit)."
    ).tag(config=True)
    request_timeout = Float(120.0, min=1.0, help="Seconds to wait for the model's reply.").tag(
        config=True
    )
    policy = Enum(
        ["strict", "default", "off"], "default", help="Static check applied to generated code."
    ).tag(config=True)
    context_chars = Int(
        6000, min=500, help="Hard bound on the size of the kernel context sent to the model."
    ).tag(config=True)
    sample_rows = Bool(True, help="Include up to 3 sample rows of DataFrames in the context.").tag(
        config=True
    )
    max_output_tokens = Int(4096, min=64, help="Longest reply the model may write.").tag(
        config=True
    )
    max_tool_rounds = Int(
        25, min=1, max=200, help="Rounds of native function calls before the model must answer."
    ).tag(config=True)
    confirm = Enum(
        ["", "ask", "auto-yes", "auto-no"],
        "",
        help="Code that needs a confirmation (file writes, network; --confirm): 'ask' shows Run / "
        "Cancel, 'auto-yes' runs it, 'auto-no' refuses (for headless runs). Empty: "
        "$JUPYTER_CODEGEN_CONFIRM, else 'ask'.",
    ).tag(config=True)
    quiet = Bool(False, help="Hide the code header and status line under prompt cells.").tag(
        config=True
    )
    openai_base_url = Unicode(
        "",
        help="Base URL of the OpenAI-compatible server for -m openai:MODEL (e.g. "
        "http://localhost:8000/v1); empty: the SDK's OPENAI_BASE_URL, else OpenAI's API. "
        "The key comes only from OPENAI_API_KEY.",
    ).tag(config=True)
    openai_lacks = Unicode(
        "",
        help="What the OpenAI-compatible server cannot do, comma-separated: 'tools' (native "
        "function calls: registered functions are then called from generated code) and/or "
        "'response_format' (JSON-schema output: --ui=spec replies are read as text and "
        "validated). Requests leave them out from the start. Empty: found on first use, from a "
        "400 that names them.",
    ).tag(config=True)

    @validate("openai_lacks")
    def _known_features(self, proposal: Any) -> str:
        names = [n.strip().lower() for n in str(proposal["value"]).replace(" ", ",").split(",")]
        names = [n for n in names if n]
        unknown = [n for n in names if n not in OPENAI_FEATURES]
        if unknown:
            raise TraitError(f"unknown {unknown[0]!r}: use {', '.join(OPENAI_FEATURES)}")
        return ",".join(sorted(set(names)))

    mcp_servers = Dict(
        {},
        help="MCP servers whose tools generated code may call, in the common mcpServers shape: "
        '{"weather": {"command": "python", "args": ["server.py"], "env": {...}}, "notes": '
        '{"url": "http://host/mcp", "headers": {...}, "trusted": true}}. Each is bound under its '
        "name and starts at first use.",
    ).tag(config=True)

    def effective_model(self) -> str:
        """The configured model: this config's trait, else the environment variable; may be ''."""
        return self.model or os.environ.get(MODEL_ENV, "").strip()

    def settable(self) -> dict[str, Any]:
        """What ``%gemini config`` shows: every setting, the MCP servers by name only (their
        env and headers hold secrets)."""
        shown = {name: getattr(self, name) for name in sorted(self.trait_names(config=True))}
        shown["mcp_servers"] = sorted(self.mcp_servers)
        return shown

    def set_from_text(self, assignment: str) -> None:
        """Apply ``name=value`` from ``%gemini config``; one-line error on a bad name or value."""
        name, sep, raw = assignment.partition("=")
        name, raw = name.strip(), raw.strip()
        names = sorted(self.trait_names(config=True))
        if name == "mcp_servers":
            raise UsageError(
                "Add MCP servers with %gemini mcp add NAME -- CMD ARGS... (or --url URL), or "
                "c.Codegen.mcp_servers in ipython_config.py."
            )
        if not sep or name not in names:
            raise UsageError(f"Unknown setting '{assignment}'. Settings: {', '.join(names)}.")
        trait = self.traits()[name]
        value: Any = raw
        try:
            if isinstance(trait, Bool):
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(raw)
                value = raw.lower() in ("true", "1", "yes", "on")
            elif isinstance(trait, Int):
                value = int(raw)
            elif isinstance(trait, Float):
                value = float(raw)
            setattr(self, name, value)
        except Exception as exc:  # traitlets raises TraitError with a multi-line message
            raise UsageError(f"Bad value for {name}: {raw!r} ({type(exc).__name__}).") from None
