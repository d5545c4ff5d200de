"""The embedded model's evaluated prompt prefix, kept on disk from one kernel to the next.

Every code request to the embedded model starts with the same system prompt and few-shot
examples (~760 tokens). llama.cpp reuses them from its KV cache while the kernel lives, but the
first prompt cell after a kernel start evaluated them again (~1,000 prompt tokens: ~7 s of its
~9 s on two cores). The first kernel evaluates the prefix's whole 512-token batches on their own
when the model loads (what its first request would have done anyway) and writes llama.cpp's
state, which then holds nothing but them (no user data: the kernel context and the prompt come
after the prefix); the next kernel reads it back in a few milliseconds.

The file is only ever a shortcut: it is keyed by the model file, llama-cpp-python's version and
the context size, checked by a SHA-256 of its contents and by the prefix's own tokens (new
prompts in a new version of this package: written again), and anything wrong with it means it
is not used.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: Fewer shared tokens than this are not worth a file.
MIN_PREFIX_TOKENS = 64
_MAGIC = b"jupyter-codegen kv-prefix 1\n"


def prefix_path(directory: Path, model_path: Path, n_ctx: int) -> Path:
    """Where the prefix of ``model_path`` at ``n_ctx`` is kept, for this llama-cpp-python."""
    import llama_cpp

    stat = model_path.stat()
    key = json.dumps([model_path.name, stat.st_size, llama_cpp.__version__, n_ctx])
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return directory / f"{model_path.stem}-{digest}.kv"


def prefix_tokens(llm: Any, messages: list[dict[str, str]]) -> list[int]:
    """The tokens every request made of ``messages``' system and example turns, then any user
    turn, starts with (the prompts of two different user turns, up to where they differ)."""
    from llama_cpp import llama_chat_format

    template = llm.metadata.get("tokenizer.chat_template")
    if not template or len(messages) < 2:
        return []
    eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "replace")
    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=template, eos_token=eos, bos_token=""
    )
    prompts = []
    for probe in ("\x00", "\x01"):
        turns: Any = [*messages[:-1], {"role": "user", "content": probe}]
        text = formatter(messages=turns).prompt
        prompts.append(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))
    shared = 0
    for one, other in zip(*prompts, strict=False):
        if one != other:
            break
        shared += 1
    return list(prompts[0][:shared])


def save(llm: Any, path: Path) -> None:
    """Write ``llm``'s state (the tokens it holds and their KV cache) to ``path``, atomically."""
    import llama_cpp

    size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
    state = bytes(buffer[:written])
    ids = json.dumps(llm.input_ids[: llm.n_tokens].tolist()).encode("utf-8")
    header = json.dumps(
        {"ids": len(ids), "state": len(state), "sha256": hashlib.sha256(ids + state).hexdigest()}
    ).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kv-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + header + b"\n" + ids + state)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def read(path: Path) -> tuple[list[int], bytes] | None:
    """The token ids and llama.cpp state in ``path``, or None when missing or not intact."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_MAGIC):
        return None
    head, sep, body = blob[len(_MAGIC) :].partition(b"\n")
    try:
        header = json.loads(head)
        ids_len, state_len = int(header["ids"]), int(header["state"])
        if not sep or len(body) != ids_len + state_len:
            return None
        if hashlib.sha256(body).hexdigest() != header["sha256"]:
            return None
        ids = json.loads(body[:ids_len])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        return None
    return ids, body[ids_len:]


def restore(llm: Any, path: Path, tokens: list[int]) -> bool:
    """Load the state in ``path`` into a freshly loaded ``llm`` if it holds exactly ``tokens``;
    whether it did (if not, ``llm`` is as it was)."""
    import llama_cpp

    found = read(path)
    if found is None or found[0] != tokens:
        return False
    state = found[1]
    buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(state)) != len(state):
        llm.reset()
        llm._ctx.kv_cache_clear()
        return False
    llm.input_ids[: len(tokens)] = tokens
    llm.n_tokens = len(tokens)
    return True
