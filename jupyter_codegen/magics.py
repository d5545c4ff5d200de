"""``%%gemini`` (a prompt) and ``%gemini <subcommand>``: thin methods over session and engine."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError as IPythonUsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.errors import BackendError, CodegenError, UsageError
from jupyter_codegen.modes import run_job
from jupyter_codegen.session import CodegenSession

_MCP_USAGE = (
    "Usage: %gemini mcp add NAME [--trusted] [--env K=V ...] -- CMD ARGS... | "
    "%gemini mcp add NAME --url URL [--header K=V ...] [--trusted] | %gemini mcp list | "
    "%gemini mcp remove NAME"
)
_FLAGS = (
    "-m/--model, -r/--regenerate, -n/--no-run, --max-fixes N, --candidates N, -q/--quiet, "
    "-a/--answer, "
    "--max-steps N, --sandbox, --ui [code|spec], --tools code|native|both, "
    "--policy strict|default|off, --timeout S, --confirm"
)


@magics_class
class GeminiMagics(Magics):
    def __init__(self, shell: Any, session: CodegenSession) -> None:
        super().__init__(shell)
        self.session = session
        self._defaults: argparse.Namespace | None = None  # the flags of a bare %%gemini
        self.subcommands: dict[str, Callable[[list[str]], None]] = {
            "status": self._status,
            "context": self._context,
            "config": self._config,
            "history": self._history,
            "functions": self._functions,
            "fix": self._fix,
            "models": self._models,
            "mcp": self._mcp,
            "help": self._help,
        }

    @magic_arguments()
    @argument("-m", "--model", default="", help="Model to use (default: see %%gemini status).")
    @argument("-r", "--regenerate", action="store_true", help="Ignore pinned code; ask the model.")
    @argument(
        "-n", "--no-run", action="store_true", help="Write the generated cell, do not run it."
    )
    @argument("--max-fixes", type=int, default=None, help="Repair rounds if the code raises.")
    @argument(
        "--candidates",
        type=int,
        default=None,
        metavar="N",
        help="Sample N code candidates, run each in an isolated copy, keep the agreed result.",
    )
    @argument("-q", "--quiet", action="store_true", help="Hide the code header and status line.")
    @argument(
        "-a",
        "--answer",
        action="store_true",
        help="Compute, then answer in prose with the computed numbers.",
    )
    @argument("--max-steps", type=int, default=None, help="--answer: most code steps (default 6).")
    @argument(
        "--sandbox",
        action="store_true",
        help="--answer with Gemini's code execution on Google's servers (no kernel access).",
    )
    @argument(
        "--ui",
        nargs="?",
        const="auto",
        default=None,
        choices=["auto", "code", "spec"],
        help="Build an interactive ipywidgets interface (code, or a declarative spec).",
    )
    @argument(
        "--tools",
        choices=["code", "native", "both"],
        default=None,
        help="How registered functions are offered to the model.",
    )
    @argument(
        "--policy",
        choices=["strict", "default", "off"],
        default=None,
        help="Static check of generated code (default: %%gemini config policy).",
    )
    @argument("--timeout", type=float, default=None, help="Seconds generated code may run.")
    @argument("--confirm", action="store_true", help="Show the code and wait for a click to run.")
    @line_cell_magic
    def gemini(self, line: str, cell: str | None = None) -> None:
        """Turn the natural-language cell below into code that runs in this kernel.

        %%gemini [flags]
        <what you want, in words; name your variables, e.g. `sales`>

        Line form: %gemini status | context | config [name=value] | history | functions | fix | help
        """
        if cell is None:
            return self._subcommand(line)
        args = self._parse(line)
        prompt = cell.strip()
        if not prompt:
            raise UsageError("Empty prompt: write what you want in the cell below %%gemini.")
        max_fixes = self.session.config.max_fixes if args.max_fixes is None else args.max_fixes
        if args.candidates is not None and not 1 <= args.candidates <= 9:
            raise UsageError(f"--candidates takes 1 to 9, not {args.candidates}.")
        if max_fixes < 0:
            raise UsageError("--max-fixes must be 0 or more.")
        if args.answer and args.ui:
            raise UsageError("Choose one of --answer and --ui.")
        mode = "answer" if args.answer else "ui" if args.ui else "code"
        job = PromptJob(
            prompt=prompt,
            mode=mode,
            model_flag=args.model,
            regenerate=args.regenerate,
            run=not args.no_run,
            max_fixes=max_fixes,
            candidates=args.candidates,
            quiet=args.quiet or self.session.config.quiet,
            policy=args.policy,
            timeout=args.timeout,
            confirm=args.confirm,
            tools=args.tools,
            max_steps=args.max_steps,
            sandbox=args.sandbox,
            ui=None if args.ui in (None, "auto") else args.ui,
        )
        try:
            run_job(self.session, job)
        except KeyboardInterrupt:
            raise CodegenError("Interrupted: nothing more was run.") from None

    def _parse(self, line: str) -> Any:
        if not line.strip():  # a bare %%gemini (most cells): the defaults, without argparse
            if self._defaults is None:
                self._defaults = parse_argstring(self.gemini, "")
            return argparse.Namespace(**vars(self._defaults))
        try:
            return parse_argstring(self.gemini, line)
        except IPythonUsageError as exc:
            problem = str(exc).splitlines()[-1] if str(exc).strip() else "bad flags"
            raise UsageError(f"{problem}. Valid flags: {_FLAGS}.") from None

    # --- line magic ------------------------------------------------------------------------

    def _subcommand(self, line: str) -> None:
        name, _, rest = line.strip().partition(" ")
        if not name:
            return self._help([])
        handler = self.subcommands.get(name)
        if handler is None:
            raise UsageError(
                f"Unknown subcommand '{name}'. Use one of: {', '.join(self.subcommands)}; "
                "or write a prompt in a %%gemini cell."
            )
        if name == "context":  # a prompt as typed: "what's the total" has no closing quote
            return handler([rest.strip()] if rest.strip() else [])
        try:
            words = shlex.split(rest)
        except ValueError as exc:
            raise UsageError(f"%gemini {name}: {exc} in {rest.strip()!r}.") from None
        handler(words)

    def _status(self, args: list[str]) -> None:
        from jupyter_codegen.status import describe_status

        print(describe_status(self.session))

    def _context(self, args: list[str]) -> None:
        # As the model a prompt cell would use sees it (a small model's is focused).
        try:
            small = self.session.capabilities(self.session.choose_model().model).compact_prompts
        except BackendError:  # no model yet: the whole context
            small = False
        print(self.session.context(" ".join(args), focused=small).render())

    def _config(self, args: list[str]) -> None:
        for assignment in args:
            self.session.config.set_from_text(assignment)
        # After a change, what changed (a notebook's setup cell need not list every setting).
        changed = {a.partition("=")[0].strip() for a in args}
        for name, value in self.session.config.settable().items():
            if not changed or name in changed:
                print(f"{name} = {value!r}")

    def _history(self, args: list[str]) -> None:
        print(self.session.history.render())

    def _functions(self, args: list[str]) -> None:
        lines = self.session.functions.listing()
        print(
            "\n".join(lines) if lines else "No registered functions (see jupyter_codegen.register)."
        )

    def _fix(self, args: list[str]) -> None:
        from jupyter_codegen.modes.fix import fix_last_error

        model = args[1] if len(args) == 2 and args[0] in ("-m", "--model") else ""
        if args and not model:
            raise UsageError("Usage: %gemini fix [-m MODEL]")
        try:
            fix_last_error(self.session, model)
        except KeyboardInterrupt:
            raise CodegenError("Interrupted: nothing was inserted.") from None

    def _models(self, args: list[str]) -> None:
        model = args[1] if len(args) == 2 and args[0] in ("-m", "--model") else ""
        if args and not model:
            raise UsageError("Usage: %gemini models [-m MODEL] (e.g. -m ollama: or -m openai:)")
        model = model or self.session.choose_model().model
        names = self.session.served_models(model)
        if not names:
            print(
                f"{model}: nothing to list (the embedded model is local, local:qwen2.5-coder-1.5b)"
            )
            return
        print("\n".join(names))

    def _mcp(self, args: list[str]) -> None:
        from jupyter_codegen.mcp import servers

        namespace = self.session.shell.user_ns
        if args[:1] == ["list"] and len(args) == 1:
            print("\n".join(servers.listing(namespace)))
        elif args[:1] == ["remove"] and len(args) == 2:
            self.session.mcp.remove(args[1], namespace)
            print(f"Removed the MCP server {args[1]!r}.")
        elif args[:1] == ["add"] and len(args) >= 3:
            name, entry = servers.entry_from_words(args[1:])
            server = servers.server_from_entry(name, entry)
            self.session.mcp.add(server, namespace)
            try:
                tools = server.tools
            except CodegenError:
                self.session.mcp.remove(name, namespace)
                raise
            print(f"{name}: {len(tools)} tools ({', '.join(tools)}); call them as {name}.TOOL(...)")
        else:
            raise UsageError(_MCP_USAGE)

    def _help(self, args: list[str]) -> None:
        print(
            "%%gemini [flags] + a prompt: generate code, run it here, fix it if it fails.\n"
            f"Flags: {_FLAGS}. Details: %%gemini?\n"
            "Subcommands: %gemini status | models [-m MODEL] | context [prompt] | config "
            "[name=value ...] | history "
            "| functions | mcp add|list|remove | fix | help"
        )
