"""The JSON Schema a model decodes a UI spec against (structured output).

Gemini takes it as ``response_json_schema``; llama.cpp turns it into a grammar for constrained
decoding (``ModelRequest.response_schema`` carries it to either backend). Both support only a
subset of JSON Schema, so this is a simplified form of the catalog's validation schema: the
A2UI message envelope (``version``, ``createSurface``, ``updateComponents``,
``updateDataModel``), every component as a closed object (``id`` and ``component`` first), the
dynamic types as ``anyOf`` of a literal, a ``{"path"}`` binding and a function call; ``oneOf``
becomes ``anyOf``, ``const`` a one-value ``enum``; ``if``/``then``, ``unevaluatedProperties`` and
the rarely useful ``accessibility``/``checks`` properties are left out.

It only steers decoding: every spec is still validated against the published catalog
(:func:`jupyter_codegen.ui.spec.check_spec`).
"""

from __future__ import annotations

from typing import Any

from jupyter_codegen.ui.catalog import CATALOG_ID, PROTOCOL_VERSION

_DROPPED_PROPERTIES = frozenset({"accessibility", "checks"})
_DROPPED_KEYS = frozenset(
    {"default", "unevaluatedProperties", "discriminator", "if", "then", "else", "$schema", "title"}
)
_MAX_DESCRIPTION = 160

_BINDING = {"$ref": "#/$defs/DataBinding"}
_CALL = {"$ref": "#/$defs/FunctionCall"}


def _common_defs() -> dict[str, Any]:
    """The A2UI v0.9 common types, simplified."""
    return {
        "DataBinding": {
            "type": "object",
            "description": "A JSON Pointer into the data model, e.g. /region.",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
            "additionalProperties": False,
        },
        "DynamicString": {"anyOf": [{"type": "string"}, _BINDING, _CALL]},
        "DynamicNumber": {"anyOf": [{"type": "number"}, _BINDING, _CALL]},
        "DynamicBoolean": {"anyOf": [{"type": "boolean"}, _BINDING, _CALL]},
        "DynamicStringList": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, _BINDING, _CALL]
        },
        "DynamicValue": {
            "anyOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "array"},
                _BINDING,
                _CALL,
            ]
        },
        "ComponentId": {"type": "string"},
        "ChildList": {"type": "array", "items": {"type": "string"}},
        "Action": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "event": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "context": {
                                    "type": "object",
                                    "additionalProperties": {"$ref": "#/$defs/DynamicValue"},
                                },
                            },
                            "required": ["name"],
                            "additionalProperties": False,
                        }
                    },
                    "required": ["event"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"functionCall": _CALL},
                    "required": ["functionCall"],
                    "additionalProperties": False,
                },
            ]
        },
    }


def _simplify(node: Any) -> Any:
    if isinstance(node, list):
        return [_simplify(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node:
        # allOf [ $ref, {if/then format checks} ] or [ FunctionCall, {returnType const} ]:
        # the reference alone is what decoding needs.
        refs = [part for part in node["allOf"] if isinstance(part, dict) and "$ref" in part]
        if refs:
            merged = {k: v for k, v in node.items() if k != "allOf"}
            merged["$ref"] = refs[0]["$ref"]
            return _simplify(merged)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "oneOf":
            out["anyOf"] = _simplify(value)
        elif key == "description" and isinstance(value, str):
            out[key] = value if len(value) <= _MAX_DESCRIPTION else value[:157] + "..."
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _simplify(prop)
                for name, prop in value.items()
                if name not in _DROPPED_PROPERTIES
            }
        else:
            out[key] = _simplify(value)
    if "$ref" in out:  # a described reference: the reference is enough
        return {"$ref": out["$ref"]}
    return out


def _component(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    simple = _simplify(schema)
    props: dict[str, Any] = simple.get("properties", {})
    ordered = {"id": {"type": "string"}, "component": {"enum": [name]}}
    ordered.update({k: v for k, v in props.items() if k not in ordered})
    required = [r for r in simple.get("required", []) if r not in _DROPPED_PROPERTIES]
    result: dict[str, Any] = {
        "type": "object",
        "properties": ordered,
        "required": ["id", "component", *[r for r in required if r not in ("id", "component")]],
        "additionalProperties": False,
    }
    if "description" in simple:
        result["description"] = simple["description"]
    return result


def _function(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    args = _simplify(schema.get("properties", {}).get("args", {"type": "object"}))
    args.setdefault("type", "object")
    if "properties" in args:
        args["additionalProperties"] = False
    result: dict[str, Any] = {
        "type": "object",
        "properties": {"call": {"enum": [name]}, "args": args},
        "required": ["call", "args"],
        "additionalProperties": False,
    }
    if "description" in schema:
        result["description"] = _simplify({"description": schema["description"]})["description"]
    return result


def _messages() -> list[dict[str, Any]]:
    """The three A2UI v0.9 messages a spec holds (``createSurface``, ``updateComponents``,
    ``updateDataModel``), each a closed object; the components come from ``$defs``."""
    version = {"enum": [PROTOCOL_VERSION]}
    surface = {"type": "string"}
    create = {
        "type": "object",
        "properties": {
            "version": version,
            "createSurface": {
                "type": "object",
                "properties": {"surfaceId": surface, "catalogId": {"enum": [CATALOG_ID]}},
                "required": ["surfaceId", "catalogId"],
                "additionalProperties": False,
            },
        },
        "required": ["version", "createSurface"],
        "additionalProperties": False,
    }
    update = {
        "type": "object",
        "properties": {
            "version": version,
            "updateComponents": {
                "type": "object",
                "properties": {
                    "surfaceId": surface,
                    "components": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"$ref": "#/$defs/Component"},
                    },
                },
                "required": ["surfaceId", "components"],
                "additionalProperties": False,
            },
        },
        "required": ["version", "updateComponents"],
        "additionalProperties": False,
    }
    data = {
        "type": "object",
        "properties": {
            "version": version,
            "updateDataModel": {
                "type": "object",
                "properties": {
                    "surfaceId": surface,
                    "path": {"type": "string"},
                    "value": {"type": "object"},
                },
                "required": ["surfaceId", "path", "value"],
                "additionalProperties": False,
            },
        },
        "required": ["version", "updateDataModel"],
        "additionalProperties": False,
    }
    return [create, update, data]


def response_schema(validation_schema: dict[str, Any]) -> dict[str, Any]:
    """The decoding schema for a catalog's ``validation_schema``: a JSON array of A2UI v0.9
    messages whose components and function calls come from that catalog."""
    defs = _common_defs()
    refs = []
    for name, schema in validation_schema.get("components", {}).items():
        defs[f"Component{name}"] = _component(name, schema)
        refs.append({"$ref": f"#/$defs/Component{name}"})
    defs["Component"] = {"anyOf": refs}
    defs["FunctionCall"] = {
        "anyOf": [
            _function(name, schema)
            for name, schema in validation_schema.get("functions", {}).items()
        ]
    }
    return {
        "type": "array",
        "description": (
            "A2UI v0.9 messages: createSurface, then updateComponents (the component with id "
            "'root' first), then updateDataModel with the controls' initial values."
        ),
        "minItems": 2,
        "maxItems": 3,
        "items": {"anyOf": _messages()},
        "$defs": defs,
    }
