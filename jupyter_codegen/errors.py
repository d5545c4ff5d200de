"""The project's own exception types: each carries one line a user can act on."""

from __future__ import annotations


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
