"""The shared preamble (core/prompt_run.py): every mode, %gemini fix and the panel chat start
from one PromptRun, so what it guarantees holds for all of them alike."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.errors import UsageError
from jupyter_codegen.model.backends.base import Capabilities, ModelRequest, Turn
from jupyter_codegen.model.backends.scripted import LOCAL_LIKE, ScriptedBackend
from jupyter_codegen.model.compact import load_prompts
from jupyter_codegen.modes import MODES, mode_for, mode_name
from jupyter_codegen.modes.chat import answer_chat
from jupyter_codegen.session import session_for

#: A credential-shaped value (the Gemini key pattern) typed into a prompt.
KEY = "AIzaSyA1234567890abcdefghijklmnopqrstu"


def backend(sh: Any) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]


def sent_text(what: ModelRequest | tuple[Turn, ...]) -> str:
    """Every text a request (or some of its turns) sends, its system prompt included."""
    turns = what.turns if isinstance(what, ModelRequest) else what
    system = what.system if isinstance(what, ModelRequest) else ""
    return "\n".join(getattr(part, "text", "") for turn in turns for part in turn.parts) + system


def fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


def run_mode(sh: Any, mode: str) -> None:
    """One prompt with the key in it, through ``mode``, answered by the scripted backend."""
    prompt = f"Print the length of the key {KEY}, then say done."
    if mode == "code":
        backend(sh).push(fence("print(1)"))
        sh.run_cell_magic("gemini", "", prompt)
    elif mode == "answer":
        backend(sh).push(fence("print(1)"), "FINAL ANSWER: done")
        sh.run_cell_magic("gemini", "--answer", prompt)
    elif mode == "fix":
        sh.run_cell(f"x = 'key {KEY}'\n1 / 0")
        backend(sh).push(fence("print(1)"))
        sh.run_line_magic("gemini", "fix")
    elif mode == "chat":
        backend(sh).push(fence("print(1)"))
        reply = answer_chat(session_for(sh), prompt, "", lambda text: None)
        assert reply.error is None
    else:
        raise AssertionError(mode)


@pytest.mark.parametrize("mode", ["code", "answer", "fix", "chat"])
def test_a_credential_in_the_prompt_never_reaches_the_model_or_the_history(shell, mode):
    run_mode(shell, mode)
    requests = backend(shell).requests
    assert requests, "the model was asked"
    for request in requests:
        assert KEY not in sent_text(request)
    history = session_for(shell).history.entries
    assert history and all(KEY not in entry.prompt for entry in history)


def test_every_mode_in_the_table_loads_and_names_itself():
    for name in MODES:
        assert mode_for(name).name == name


@pytest.mark.parametrize(
    ("mode", "ui", "policy", "expected"),
    [
        ("code", None, None, "code"),
        ("answer", None, None, "answer"),
        ("ui", None, None, "ui-code"),
        ("ui", None, "strict", "ui-spec"),
        ("ui", "code", "strict", "ui-code"),
        ("ui", "spec", None, "ui-spec"),
    ],
)
def test_the_mode_follows_the_flags_and_the_policy(shell, mode, ui, policy, expected):
    job = PromptJob(prompt="x", mode=mode, ui=ui, policy=policy)
    assert mode_name(session_for(shell), job) == expected


def test_a_backend_without_native_tools_offers_functions_as_code_only(shell):
    backend(shell).capabilities = Capabilities()  # no native tools, nothing else either
    shell.run_cell(
        "from jupyter_codegen import register\n@register\ndef f(x: int) -> int:\n    return x\n"
    )
    with pytest.raises(UsageError, match="--tools native needs a model with native tool calls"):
        shell.run_cell_magic("gemini", "--tools native", "call f")
    backend(shell).push(fence("print(f(1))"))
    shell.run_cell_magic("gemini", "", "call f")
    assert backend(shell).requests[-1].tools == ()


def test_a_backend_with_compact_prompts_gets_the_small_model_prompt(shell):
    backend(shell).capabilities = LOCAL_LIKE
    backend(shell).push(fence("print(2)"))
    shell.run_cell_magic("gemini", "", "print two")
    request = backend(shell).requests[-1]
    # The compact system prompt and its few-shot turns, then the task.
    prompts = load_prompts()
    assert request.system == prompts.system_for("code")
    assert len(request.turns) == len(prompts.examples_for("code")) + 1
    assert "print two" in sent_text(request.turns[-1:])


def test_a_backend_without_compact_prompts_gets_the_full_prompt(shell):
    backend(shell).push(fence("print(2)"))
    shell.run_cell_magic("gemini", "", "print two")
    request = backend(shell).requests[-1]
    assert request.system != load_prompts().system_for("code") and len(request.turns) == 1
