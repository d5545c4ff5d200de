"""Every exception type of the project, in one place.

:class:`CodegenError` and its subclasses are what users see: one line they can act on, shown by
IPython without a traceback; the headless runner knows each of them by name. The three at the
end are not user errors: :class:`ExprError` and :class:`ArgumentError` are signals inside the
UI expressions and the argument checker (caught and worded by their callers), and
:class:`InvalidArgumentsError` is the ``TypeError`` a generated call of a registered function
raises, so the code's own error handling and the repair loop see an ordinary TypeError.
"""

from __future__ import annotations

from typing import Any


class CodegenError(Exception):
    """A user-facing failure. ``str(err)`` is one line: what went wrong, what to do."""

    def __init__(self, message: str) -> None:
        # One line, always: tracebacks are for bugs, not for user errors.
        super().__init__(" ".join(message.split()))

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the error stays one line, and the cell
        # still ends in an error so Run All stops here.
        return [f"{type(self).__name__}: {self}"]


class UsageError(CodegenError):
    """Bad flags, unknown subcommands, empty prompts."""


class BackendError(CodegenError):
    """The model could not be reached or refused to answer."""


class NoCodeError(CodegenError):
    """The model replied without any code."""


class PolicyError(CodegenError):
    """Generated code was blocked by the static check and was not run."""


class CodeFailedError(CodegenError):
    """Generated code still raised after every repair round."""


class NoAnswerError(CodegenError):
    """``--answer``: the model stopped, or ran out of steps, without a final answer."""


class SpecError(CodegenError):
    """A UI spec that is not valid: one line saying what and where."""


class RegistrationError(UsageError):
    """A function cannot be offered to the model (missing or unsupported annotations, ...)."""


class ConfirmationPending(CodegenError):
    """The code waits for a click on *Run* below the prompt cell; nothing ran yet."""

    panel: Any = None


class ExprError(Exception):
    """An expression that is not allowed, or that failed; the message is one line."""


class ArgumentError(Exception):
    """One argument does not match its declared type. ``path`` is where (``unit``,
    ``stops[2].city``), ``reason`` what was expected and what came."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


class InvalidArgumentsError(TypeError):
    """Generated code called a registered function with arguments that do not match its
    declared types. ``reason`` is the short part (for the call log)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class MCPError(CodegenError):
    """An MCP server would not start, crashed, timed out, or a tool reported an error."""
