"""From an MCP tool's JSON input schema to a Python callable: a real ``inspect.signature``,
a docstring from the description, and the arguments checked before the server is called
(a wrong argument costs no round trip and gets a one-line error naming the parameter)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from jupyter_codegen.errors import MCPError

_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _annotation(prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    if isinstance(kind, str) and kind in _JSON_TYPES:
        return _JSON_TYPES[kind]
    return Any


def return_annotation(output_schema: Any) -> Any:
    """What a call returns, from the tool's output schema (the SDK wraps a non-object return
    as ``{"result": ...}``, which the runtime unwraps)."""
    if not isinstance(output_schema, dict):
        return Any
    props = output_schema.get("properties")
    if isinstance(props, dict) and list(props) == ["result"] and isinstance(props["result"], dict):
        return _annotation(props["result"])
    return _annotation(output_schema)


def tool_signature(name: str, schema: Any, output_schema: Any = None) -> inspect.Signature:
    """The signature of a tool (required arguments first); a schema that is not an object of
    properties is an :class:`MCPError` (the caller skips that tool with a note)."""
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise MCPError(f"tool {name!r}: its input schema is not a JSON object schema")
    props = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(props, dict) or not isinstance(required, list):
        raise MCPError(f"tool {name!r}: malformed 'properties' or 'required' in its input schema")
    params = []
    for key, prop in props.items():
        if not isinstance(key, str) or not key.isidentifier() or not isinstance(prop, dict):
            raise MCPError(f"tool {name!r}: parameter {key!r} cannot be a Python argument")
        default = inspect.Parameter.empty if key in required else prop.get("default", None)
        params.append(
            inspect.Parameter(
                key,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=default,
                annotation=_annotation(prop),
            )
        )
    # Positional calls work too, in the schema's order with the required arguments first
    # (models write ``weather.get_forecast("Oslo", 2)`` as often as the keyword form).
    params.sort(key=lambda p: p.default is not inspect.Parameter.empty)
    return inspect.Signature(params, return_annotation=return_annotation(output_schema))


def _type_ok(value: Any, prop: dict[str, Any]) -> bool:
    kind = prop.get("type")
    if value is None or not isinstance(kind, str) or kind not in _JSON_TYPES:
        return True
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, (list, tuple))
    return isinstance(value, _JSON_TYPES[kind])


def check_arguments(
    name: str,
    sig: inspect.Signature,
    schema: dict[str, Any],
    kwargs: dict[str, Any],
    args: tuple[Any, ...] = (),
) -> dict[str, Any]:
    """The arguments to send by name (explicit ones only), or a one-line :class:`TypeError`."""
    try:
        kwargs = dict(sig.bind(*args, **kwargs).arguments)
    except TypeError as exc:
        raise TypeError(f"{name}(): {exc}") from None
    props = schema.get("properties", {})
    for key, value in kwargs.items():
        prop = props.get(key, {})
        if not _type_ok(value, prop):
            raise TypeError(
                f"{name}(): argument {key!r} must be {prop.get('type')}, got {type(value).__name__}"
            )
        if "enum" in prop and value not in prop["enum"]:
            raise TypeError(f"{name}(): argument {key!r} must be one of {prop['enum']!r}")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}


def make_callable(
    name: str,
    description: str,
    schema: dict[str, Any],
    call: Callable[[dict[str, Any]], Any],
    output_schema: Any = None,
) -> Callable[..., Any]:
    """One Python function for one tool: arguments checked, then ``call(arguments)``."""
    sig = tool_signature(name, schema, output_schema)

    def tool(*args: Any, **kwargs: Any) -> Any:
        return call(check_arguments(name, sig, schema, kwargs, args))

    tool.__name__ = tool.__qualname__ = name
    tool.__doc__ = description or f"MCP tool {name}."
    tool.__signature__ = sig  # type: ignore[attr-defined]
    # (typing.get_type_hints reads these, not the signature: native declarations need them)
    tool.__annotations__ = {p.name: p.annotation for p in sig.parameters.values()}
    tool.__annotations__["return"] = sig.return_annotation
    return tool
