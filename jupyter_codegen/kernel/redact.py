"""Keep credentials out of everything we send or store: by variable name and by value pattern.

Three layers, because each alone leaks:

* **names** (:func:`is_secret_name`): ``api_key``, ``dbPassword``, ``AUTH_TOKEN`` are never
  described to the model, and generated code may not read them (see :mod:`.policy`);
* **shapes** (:func:`contains_secret`, :func:`redact`): Google ``AIza...`` keys, ``sk-...``,
  GitHub/Slack/AWS/Hugging Face tokens, JWTs, private-key blocks, ``user:password@`` URLs,
  ``password=...`` pairs, whatever variable they sit in (a DataFrame cell, an error message);
* **known values** (:func:`secret_values`): the exact values of secret-named variables and
  environment variables, so ``db_password = "hunter2-hunter2"`` is caught even though it has no
  recognisable shape when it shows up in a traceback or a printed line.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Name parts (split on "_" and camelCase) that mark a credential wherever they appear.
_SECRET_PARTS = frozenset(
    [
        "apikey",
        "secret",
        "secrets",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "credential",
        "credentials",
        "creds",
        "bearer",
        "dsn",
        "privatekey",
        "accesskey",
        "secretkey",
    ]
)
# Parts that mark a credential only as the last part: `auth_token` and `stripe_key` are
# secrets, `token_ids` and `key_column` are not.
_SECRET_LAST_PARTS = frozenset(["token", "key", "auth", "cookie", "pass"])
# `key` after these is a data-modelling word, not a credential.
_BENIGN_KEY_PREFIXES = frozenset(
    [
        "sort",
        "primary",
        "foreign",
        "join",
        "group",
        "dict",
        "map",
        "lookup",
        "index",
        "partition",
        "cache",
        "hash",
        "row",
        "col",
        "column",
        "unique",
        "composite",
        "natural",
        "surrogate",
        "merge",
        "legend",
        "color",
        "colour",
        "music",
        "piano",
        "hot",
        "short",
        "keyboard",
        "next",
        "prev",
        "max",
        "min",
        "first",
        "last",
    ]
)
_NAME_PART = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Value shapes that are credentials whatever the variable is called.
_SECRET_VALUE = re.compile(
    r"|".join(
        [
            r"AIza[0-9A-Za-z_\-]{30,}",  # Google API keys
            r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}",  # OpenAI/Anthropic-style keys
            r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe keys
            r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}",  # GitHub tokens
            r"\bglpat-[A-Za-z0-9_\-]{20,}",  # GitLab tokens
            r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face tokens
            r"\bnpm_[A-Za-z0-9]{30,}",  # npm tokens
            r"\bpypi-[A-Za-z0-9_\-]{40,}",  # PyPI tokens
            r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack tokens
            r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",  # SendGrid keys
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
            r"\bya29\.[0-9A-Za-z_\-]{20,}",  # Google OAuth access tokens
            r"\b1//0[0-9A-Za-z_\-]{30,}",  # Google OAuth refresh tokens
            r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{5,}",  # JWTs
            # URLs with user:password@ (bounded: an unbounded scheme is quadratic on long text)
            r"\b[a-zA-Z][a-zA-Z0-9+.\-]{0,30}://[^\s:/@]{1,256}:[^\s@/]{1,256}@",
            r"\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=[A-Za-z0-9+/=%]{16,}",
            r"\b[Bb]earer\s+[A-Za-z0-9_\-.=+/]{16,}",
            r"(?i:\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token"
            r"|token|client[_-]?secret)\b['\"]?\s*[=:]\s*['\"]?[^\s'\",;]{4,})",
        ]
    )
)

REDACTED = "<redacted>"
#: Environment variables whose names look secret but are not (the shell's working directory).
_NOT_SECRET_ENV = frozenset(["PWD", "OLDPWD"])
#: Known values shorter than this are not redacted by value (too many false hits: "1234").
_MIN_VALUE_LEN = 6


@functools.lru_cache(maxsize=1 << 16)  # the same names come back on every cell (LRU: a scan
# of more names than this would evict every entry before its next use)
def is_secret_name(name: str) -> bool:
    """True for variable names that suggest a credential (``api_key``, ``db_password``...)."""
    parts = [p.lower() for p in _NAME_PART.findall(name)]
    if not parts:
        return False
    joined = "".join(parts)
    if joined in _SECRET_PARTS or any(p in _SECRET_PARTS or p.startswith("passw") for p in parts):
        return True
    last = parts[-1]
    if last in _SECRET_LAST_PARTS:
        if last == "key":
            return len(parts) > 1 and parts[-2] not in _BENIGN_KEY_PREFIXES
        return True
    return False


# Every pattern above needs one of these substrings: a cheap test first keeps long outputs
# (a 5 MB print) from paying for the full regular expression.
_LITERALS = (
    "AIza", "sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    "glpat-", "hf_", "npm_", "pypi-", "xox", "SG.", "AKIA", "ASIA", "ya29.", "1//0",
    "-----BEGIN", "eyJ", "://", "Key=", "Signature=", "sig=", "earer",
)  # fmt: skip
_WORDS = ("password", "passwd", "pwd", "secret", "api", "access", "auth", "token")


def _may_hold_secret(text: str) -> bool:
    if any(literal in text for literal in _LITERALS):
        return True
    lowered = text.lower()
    return any(word in lowered for word in _WORDS)


def contains_secret(text: str) -> bool:
    """True if ``text`` holds something shaped like a credential."""
    return _may_hold_secret(text) and bool(_SECRET_VALUE.search(text))


def redact(text: str, known: Iterable[str] = ()) -> str:
    """Replace every credential-shaped substring of ``text``, and every ``known`` secret
    value in it, with ``<redacted>``."""
    for value in sorted(known, key=len, reverse=True):
        if len(value) >= _MIN_VALUE_LEN and value in text:
            text = text.replace(value, REDACTED)
    return _SECRET_VALUE.sub(REDACTED, text) if _may_hold_secret(text) else text


@dataclass(frozen=True)
class NamespaceScan:
    """The user's namespace read once at the start of a prompt cell: the secret scan, and the
    variables the kernel context then describes (both used to walk the whole namespace, a
    large part of a prompt cell's cost with hundreds of variables)."""

    #: Name -> value of every name not starting with ``_``, in definition order.
    values: dict[str, Any]
    #: Those of the names that look like credentials (never described, values masked).
    secret_names: frozenset[str]
    #: The exact values to redact (see :func:`secret_values`).
    secrets: frozenset[str]
    #: :meth:`of_type`'s answers, by type.
    _of_type: dict[type, dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @functools.cached_property
    def frames(self) -> list[tuple[str, Any]]:
        """(name, value) of the variables whose type is named ``DataFrame`` (pandas', Polars',
        Spark's...): the intent checks and the frame-write check both start from them."""
        return [(n, v) for n, v in self.values.items() if type(v).__name__ == "DataFrame"]

    def of_type(self, kind: type) -> dict[str, Any]:
        """Name -> value of the variables of exactly type ``kind``, found once per scan (a
        prompt cell asks for its MCP servers at four stages before any code runs)."""
        if kind not in self._of_type:
            self._of_type[kind] = {n: v for n, v in self.values.items() if type(v) is kind}
        return dict(self._of_type[kind])


def scan_namespace(
    namespace: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> NamespaceScan:
    """Read ``namespace`` (and the environment) once; see :func:`secret_values`."""
    found: set[str] = set()
    # One copy at C speed (no thread can change it under the loops below), then the variables:
    # (``globals()[1] = 2`` puts a name that is not a string in the namespace: no variable.)
    # Pairs are unpacked as they come, never kept: 700 (name, value) tuples a cell were enough
    # to set off the garbage collector twice in a prompt cell over 500 variables.
    values = {
        name: value
        for name, value in dict(namespace or {}).items()
        if isinstance(name, str) and not name.startswith("_")
    }
    secret_names = frozenset(filter(is_secret_name, values))
    for name in secret_names:
        _take(values[name], found)
    for mapping in [v for v in values.values() if isinstance(v, dict) and len(v) <= 200]:
        for key, item in list(mapping.items()):
            if isinstance(key, str) and is_secret_name(key):
                _take(item, found)
    if environ is None and isinstance(raw := getattr(os.environ, "_data", None), dict):
        # POSIX keeps the environment as bytes: decoding every entry on each call cost more
        # than the rest of the scan; only secret-named ones are decoded.
        for raw_name, raw_value in list(raw.items()):
            if _is_secret_env_name(raw_name):
                _take(raw_value, found)
    else:
        env = os.environ if environ is None else environ
        for name, value in list(env.items()):
            if _is_secret_env_name(name):
                _take(value, found)
    return NamespaceScan(values, secret_names, frozenset(found))


def secret_values(
    namespace: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """Exact values to redact: string values of secret-named variables in ``namespace`` (and in
    dicts they hold, one level deep) and of secret-named environment variables (``os.environ``
    when ``environ`` is None). Values shorter than 6 characters are left out."""
    return scan_namespace(namespace, environ).secrets


def _take(value: Any, found: set[str]) -> None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and len(value.strip()) >= _MIN_VALUE_LEN:
        found.add(value.strip())


@functools.lru_cache(maxsize=4096)
def _is_secret_env_name(raw_name: bytes | str) -> bool:
    name = raw_name.decode("utf-8", "replace") if isinstance(raw_name, bytes) else raw_name
    return is_secret_name(name) and name.upper() not in _NOT_SECRET_ENV
