"""The project's own exception types: each carries one line a user can act on."""

from __future__ import annotations


class CodegenError(Exception):
    """A user-facing failure. ``str(err)`` is one line: what went wrong, what to do."""

    def __init__(self, message: str) -> None:
        # One line, always: tracebacks are for bugs, not for user errors.
        super().__init__(" ".join(message.split()))


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
