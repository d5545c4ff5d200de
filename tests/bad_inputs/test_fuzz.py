"""Hypothesis-fuzzed model replies: the code extractor, the policy and the UI spec parser take
any text a model can send and end in a value or the project's own one-line error, never a
traceback."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_codegen.errors import CodegenError, NoCodeError
from jupyter_codegen.kernel.policy import analyze
from jupyter_codegen.model.backends.base import CodeEvent, Reply
from jupyter_codegen.model.extract import extract_code

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never flakes on a new seed
    suppress_health_check=[HealthCheck.too_slow],
)

#: Pieces a model reply is made of, so the fuzzer hits fences and code far more often than
#: uniformly random text would.
_PIECES = st.sampled_from(
    [
        "```", "```python", "```py", "~~~", "```bash", "\n", " ", "    ", "print(1)", "x = ",
        "(", ")", "[", "]", "{", "}", ":", "import os", "os.system('x')", "def f():",
        "return", "'", '"', "\\", "#", ">>> ", "%matplotlib inline", "!ls", "\x00", "é", "🙂",
        "Here is the code:", "<a2ui-json>", "</a2ui-json>", "{\"components\": []}",
    ]
)  # fmt: skip
REPLIES = st.one_of(
    st.text(max_size=300),
    st.lists(_PIECES, max_size=40).map("".join),
    st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map("".join),
)


def _one_line(err: CodegenError) -> None:
    assert "\n" not in str(err) and len(str(err)) < 300


@FUZZ
@given(REPLIES)
def test_extractor_returns_code_or_one_line(reply_text: str) -> None:
    try:
        code = extract_code(Reply(text=reply_text))
    except NoCodeError as err:
        _one_line(err)
        return
    assert isinstance(code, str) and code.strip() and code.endswith("\n")


@FUZZ
@given(st.lists(st.text(max_size=60), min_size=1, max_size=4))
def test_executable_code_parts_win(parts: list[str]) -> None:
    reply = Reply(text="```python\nignored = 1\n```", code_parts=[CodeEvent(p) for p in parts])
    try:
        code = extract_code(reply)
    except NoCodeError as err:
        _one_line(err)
        assert not "".join(parts).strip()
        return
    assert "ignored" not in code or any("ignored" in p for p in parts)


_BODY = st.text(
    alphabet=string.ascii_letters + string.digits + " =+-*/()[]{}:,.'\"#_\n", max_size=200
).filter(lambda s: s.strip() and "```" not in s)
_PROSE = st.text(alphabet=string.ascii_letters + " .,!?\n", max_size=80)


@FUZZ
@given(_PROSE, _BODY, _PROSE)
def test_fenced_body_is_extracted_verbatim(before: str, body: str, after: str) -> None:
    reply = f"{before}\n```python\n{body}\n```\n{after}"
    assert extract_code(Reply(text=reply)) == body.strip("\n").rstrip() + "\n"


@FUZZ
@given(REPLIES, st.sampled_from(["strict", "default"]))
def test_policy_never_crashes(code: str, policy: str) -> None:
    findings = analyze(code, {"df", "api_key"}, policy=policy, registered={"f"})
    assert all(f.kind in ("blocked", "rejected", "confirm") for f in findings)


# --- the declarative UI spec parser (``--ui=spec``) -------------------------------------------

_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["id", "component", "children", "text", "value", "label", "updateComponents",
                 "components", "createSurface", "surfaceId", "updateDataModel", "path", "version",
                 "dataModel", "action", "x"]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)  # fmt: skip


@FUZZ
@given(st.one_of(REPLIES, _JSONISH.map(lambda v: __import__("json").dumps(v))))
def test_spec_reader_returns_messages_or_one_line(reply_text: str) -> None:
    spec = pytest.importorskip("jupyter_codegen.ui.spec")
    pytest.importorskip("a2ui")
    try:
        messages = spec.read_messages(reply_text)
    except spec.SpecError as err:
        _one_line(err)
        return
    assert isinstance(messages, list) and all(isinstance(m, dict) for m in messages)
    normalized = spec.normalize(messages)
    try:
        spec.check_spec(normalized, namespace={}, functions={})
    except spec.SpecError as err:
        _one_line(err)
