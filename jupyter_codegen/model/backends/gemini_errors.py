"""Gemini failures as one-line :class:`~jupyter_codegen.errors.BackendError` messages: what the
google-genai SDK raises (``APIError`` with its status and ``RetryInfo``), google.auth's credential
errors, and the HTTP stack's timeouts and dropped connections, each mapped to a line a user can
act on, with key values scrubbed out.

It is apart from :mod:`jupyter_codegen.model.backends.gemini` because reading an exception
(status, error details, the request's host and timeout) is a job of its own: the backend only
asks which line to raise, and how long the server asked it to wait before a retry.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from jupyter_codegen.errors import BackendError

#: Environment variables that may hold an API key: the client reads them, and their values are
#: scrubbed from every message.
KEY_ENV_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_BASE_URL_ENV_VAR = "GOOGLE_GEMINI_BASE_URL"

#: How much of a server message goes into a one-line error.
_MAX_SERVER_MESSAGE = 240


def secret_values(explicit_key: str | None = None, client: Any = None) -> tuple[str, ...]:
    """Every key value in play, to scrub from messages."""
    values = [explicit_key, *(os.environ.get(v) for v in KEY_ENV_VARS)]
    api_client = getattr(client, "_api_client", None)
    values.append(getattr(api_client, "api_key", None))
    return tuple(v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= 4)


def clip_message(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` on one line, without key values, at most ``_MAX_SERVER_MESSAGE`` characters."""
    for secret in secrets:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > _MAX_SERVER_MESSAGE:
        text = text[: _MAX_SERVER_MESSAGE - 3].rstrip() + "..."
    return text


def is_auth_error(exc: BaseException) -> bool:
    """google.auth's exceptions: Vertex AI found no usable Google Cloud credentials."""
    return type(exc).__module__.startswith("google.auth")


def vertex_credentials_message(exc: BaseException, secrets: tuple[str, ...]) -> str:
    return (
        f"No usable Google Cloud credentials for Vertex AI ({type(exc).__name__}: "
        f"{clip_message(str(exc), secrets)}): run `gcloud auth application-default login`, "
        "or unset GOOGLE_GENAI_USE_VERTEXAI and set GEMINI_API_KEY."
    )


def is_api_error(exc: BaseException) -> bool:
    from google.genai import errors

    return isinstance(exc, errors.APIError)


def _error_details(exc: Any) -> list[dict[str, Any]]:
    body = getattr(exc, "details", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        details = inner.get("details") if isinstance(inner, dict) else None
        if isinstance(details, list):
            return [d for d in details if isinstance(d, dict)]
    return []


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def server_retry_delay(exc: Any) -> float | None:
    """The server's requested wait: ``RetryInfo.retryDelay`` ("2s", "0.05s"), else a numeric
    ``Retry-After`` header."""
    for detail in _error_details(exc):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        try:
            return float(headers.get("retry-after", ""))
        except (TypeError, ValueError):
            return None
    return None


def _request_host(exc: BaseException, client: Any) -> str:
    """``host:port`` the failed request went to."""
    url = None
    try:
        url = str(exc.request.url)  # type: ignore[attr-defined]
    except Exception:
        url = None
    if not url:
        options = getattr(getattr(client, "_api_client", None), "_http_options", None)
        url = getattr(options, "base_url", None) or os.environ.get(_BASE_URL_ENV_VAR)
    if not url:
        return "the Gemini API"
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.hostname}:{parts.port or default}"


def _timeout_s(exc: BaseException, client: Any) -> float | None:
    try:
        timeouts = exc.request.extensions.get("timeout", {})  # type: ignore[attr-defined]
        value = timeouts.get("read") or timeouts.get("connect")
        if value:
            return float(value)
    except Exception:
        pass
    options = getattr(getattr(client, "_api_client", None), "_http_options", None)
    ms = getattr(options, "timeout", None)
    return ms / 1000 if ms else None


def to_backend_error(
    exc: BaseException,
    *,
    model: str | None,
    client: Any,
    attempts: int,
    midstream: bool = False,
    max_delay: float | None = None,
) -> BackendError | None:
    """The one line a user can act on, for a failure of a Gemini call; None for an exception
    that is not such a failure (a bug, whose traceback should stay)."""
    secrets = secret_values(client=client)
    if is_api_error(exc):
        return BackendError(_api_error_message(exc, model, attempts, midstream, max_delay, secrets))
    if is_auth_error(exc):
        return BackendError(vertex_credentials_message(exc, secrets))
    names = {cls.__name__ for cls in type(exc).__mro__}
    host = _request_host(exc, client)
    if "ConnectTimeout" in names:
        return BackendError(
            f"Could not connect to Gemini at {host} within {_fmt_s(_timeout_s(exc, client))}: "
            "check your network or GOOGLE_GEMINI_BASE_URL."
        )
    if names & {"TimeoutException", "Timeout", "TimeoutError"}:
        return BackendError(
            f"Gemini did not answer within {_fmt_s(_timeout_s(exc, client))} (read timeout at "
            f"{host}): try again, or raise it with %gemini config request_timeout=SECONDS."
        )
    if names & {"ConnectError", "ConnectionRefusedError"} or (
        "ConnectionError" in names and "NetworkError" not in names
    ):
        what = (
            "connection refused"
            if "refused" in str(exc).lower()
            else clip_message(str(exc), secrets)
        )
        return BackendError(
            f"Could not connect to Gemini at {host} ({what}): check your network or "
            "GOOGLE_GEMINI_BASE_URL."
        )
    if names & {"RemoteProtocolError", "ReadError", "NetworkError", "ChunkedEncodingError"}:
        when = "mid-reply" if midstream else "before replying"
        return BackendError(f"The connection to Gemini at {host} closed {when}: try again.")
    if "TransportError" in names or "RequestError" in names:
        return BackendError(
            f"Gemini request to {host} failed ({type(exc).__name__}: "
            f"{clip_message(str(exc), secrets)}): try again."
        )
    return None


def _fmt_s(seconds: float | None) -> str:
    return f"{seconds:g} s" if seconds else "the client timeout"


def _api_error_message(
    exc: Any,
    model: str | None,
    attempts: int,
    midstream: bool,
    max_delay: float | None,
    secrets: tuple[str, ...],
) -> str:
    code = int(getattr(exc, "code", 0) or 0)
    status = getattr(exc, "status", None) or ""
    label = f"{code} {status}".strip()
    server = clip_message(str(getattr(exc, "message", "") or ""), secrets)
    said = f": {server}" if server else ""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    model_name = model or "the model"
    if midstream:
        return f"Gemini's reply broke off mid-stream ({label}){said}; try again."
    reasons = {str(d.get("reason", "")) for d in _error_details(exc)}
    if code == 400 and ("API_KEY_INVALID" in reasons or "API key not valid" in server):
        code = 401
    if code in (401, 403):
        return (
            f"Gemini rejected the API key ({label}){said}; check GEMINI_API_KEY "
            "(or GOOGLE_API_KEY), or run offline with -m local."
        )
    if code == 400:
        return f"Gemini rejected the request ({label}){said}"
    if code == 404 and model is None:
        return f"Gemini API endpoint not found ({label}){said}; check GOOGLE_GEMINI_BASE_URL."
    if code == 404:
        return (
            f"Gemini model '{model_name}' was not found ({label}): choose another model with "
            "-m NAME."
        )
    if code == 429:
        delay = server_retry_delay(exc)
        if max_delay is not None and delay is not None and delay > max_delay:
            return (
                f"Gemini quota or rate limit exhausted for {model_name} ({label}); the server "
                f"asks to wait {delay:g} s: try again later, or choose another model with -m."
            )
        return (
            f"Gemini quota or rate limit exhausted for {model_name} ({label}){tries}: "
            "wait a minute and try again, or choose another model with -m."
        )
    if code >= 500:
        return f"Gemini server error ({label}){tries}{said}; try again later."
    return f"Gemini request failed ({label}){said}"
