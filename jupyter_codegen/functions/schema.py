"""The type specs of registered functions: for each supported annotation, its JSON Schema and
the argument check that goes with it.

One :class:`TypeSpec` per annotation does three jobs, so that the declaration the model sees and
the check applied to its arguments can never disagree:

- ``schema``: the JSON Schema sent as a Gemini function declaration (``parametersJsonSchema``);
- ``coerce(value)``: checks a value against the type and converts the JSON forms a model sends
  into the Python objects the function expects (an Enum's value to the member, a dict to a
  dataclass or Pydantic model, a list to a tuple, an integral float to an int), raising
  :class:`ArgumentError` with a path and one clear reason otherwise;
- ``describe()``: the annotation as Python source, for the code-mode prompt.

Which annotation gets which spec, and the schema of a whole function, are in
:mod:`jupyter_codegen.functions.signature`; docstrings are parsed by
:mod:`jupyter_codegen.functions.docstrings`.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import inspect
import numbers
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.errors import ArgumentError, RegistrationError
from jupyter_codegen.functions.docstrings import parse_docstring

_NoneType = type(None)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(value: Any) -> str:
    return f"got {_short(value)} ({type(value).__name__})"


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# --- type specs ---------------------------------------------------------------------------


class TypeSpec:
    """The schema, the check and the source form of one annotation."""

    schema: dict[str, Any]

    def coerce(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def named_types(self) -> list[type]:
        """Enum, dataclass, TypedDict and Pydantic classes this annotation mentions, for the
        prompt's notes on how to build them."""
        return []


class AnySpec(TypeSpec):
    schema: dict[str, Any] = {}

    def coerce(self, value: Any, path: str) -> Any:
        return value

    def describe(self) -> str:
        return "Any"


class NoneSpec(TypeSpec):
    schema = {"type": "null"}

    def coerce(self, value: Any, path: str) -> Any:
        if value is not None:
            raise ArgumentError(path, f"expected None, {_got(value)}")
        return None

    def describe(self) -> str:
        return "None"


class StrSpec(TypeSpec):
    schema = {"type": "string"}

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise ArgumentError(path, f"expected a string, {_got(value)}")
        return value

    def describe(self) -> str:
        return "str"


class BoolSpec(TypeSpec):
    schema = {"type": "boolean"}

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if type(value).__name__ == "bool_":  # numpy.bool_
            return bool(value)
        raise ArgumentError(path, f"expected True or False, {_got(value)}")

    def describe(self) -> str:
        return "bool"


class IntSpec(TypeSpec):
    schema = {"type": "integer"}

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            raise ArgumentError(path, f"expected an integer, {_got(value)}")
        if isinstance(value, numbers.Integral):
            return int(value)
        # JSON has one number type: 3.0 from a model means 3.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ArgumentError(path, f"expected an integer, {_got(value)}")

    def describe(self) -> str:
        return "int"


class FloatSpec(TypeSpec):
    schema = {"type": "number"}

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ArgumentError(path, f"expected a number, {_got(value)}")
        return float(value)

    def describe(self) -> str:
        return "float"


class DateSpec(TypeSpec):
    def __init__(self, cls: type) -> None:
        self.cls = cls
        fmt = "date-time" if cls is datetime.datetime else "date"
        self.schema = {"type": "string", "format": fmt}

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, self.cls):
            return value
        if isinstance(value, str):
            try:
                return self.cls.fromisoformat(value)  # type: ignore[attr-defined]
            except ValueError:
                pass
        what = "an ISO date-time" if self.cls is datetime.datetime else "an ISO date (YYYY-MM-DD)"
        raise ArgumentError(path, f"expected {what}, {_got(value)}")

    def describe(self) -> str:
        return f"datetime.{self.cls.__name__}"


def _json_type(values: Iterable[Any]) -> str | None:
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("boolean")
        elif isinstance(v, int):
            kinds.add("integer")
        elif isinstance(v, float):
            kinds.add("number")
        elif isinstance(v, str):
            kinds.add("string")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


class LiteralSpec(TypeSpec):
    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.schema = {"enum": list(values)}
        kind = _json_type(values)
        if kind is not None:
            self.schema = {"type": kind, "enum": list(values)}

    def coerce(self, value: Any, path: str) -> Any:
        for allowed in self.values:
            if value == allowed and isinstance(value, bool) == isinstance(allowed, bool):
                return allowed
        options = ", ".join(repr(v) for v in self.values)
        raise ArgumentError(path, f"expected one of {options}, {_got(value)}")

    def describe(self) -> str:
        return f"Literal[{', '.join(repr(v) for v in self.values)}]"


class EnumSpec(TypeSpec):
    """Enum members travel as their values; names are accepted too (``"CELSIUS"``)."""

    def __init__(self, cls: type[enum.Enum]) -> None:
        self.cls = cls
        values = [m.value for m in cls]
        if not values:
            raise RegistrationError(f"Enum {cls.__name__} has no members.")
        kind = _json_type(values)
        if kind is None:
            raise RegistrationError(
                f"Enum {cls.__name__} has values that are not str, int or float; "
                "give it plain values."
            )
        self.schema = {"type": kind, "enum": values}
        doc = _class_doc(cls)
        if doc:
            self.schema["description"] = doc

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, self.cls):
            return value
        if not isinstance(value, bool):
            try:
                return self.cls(value)
            except (ValueError, TypeError):
                pass
        if isinstance(value, str) and value in self.cls.__members__:
            return self.cls.__members__[value]
        options = ", ".join(repr(m.value) for m in self.cls)
        raise ArgumentError(path, f"expected one of {options} ({self.cls.__name__}), {_got(value)}")

    def describe(self) -> str:
        return self.cls.__name__

    def named_types(self) -> list[type]:
        return [self.cls]


def _class_doc(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    # A dataclass without a docstring gets "Name(field: type, ...)"; Enum/TypedDict inherit one.
    for base in (enum.Enum, enum.IntEnum, enum.StrEnum if hasattr(enum, "StrEnum") else enum.Enum):
        if doc == (inspect.getdoc(base) or ""):
            return ""
    if dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "("):
        return ""
    if doc in (inspect.getdoc(dict) or "", inspect.getdoc(object) or ""):
        return ""
    return parse_docstring(doc).description


class ListSpec(TypeSpec):
    """``list[T]``, ``set[T]``, ``frozenset[T]``, ``tuple[T, ...]`` (and bare ``list``)."""

    def __init__(self, item: TypeSpec, container: type, unique: bool = False) -> None:
        self.item = item
        self.container = container
        self.schema = {"type": "array", "items": item.schema}
        if unique:
            self.schema["uniqueItems"] = True

    def coerce(self, value: Any, path: str) -> Any:
        items = _as_sequence(value, path)
        out = [self.item.coerce(v, _join(path, i)) for i, v in enumerate(items)]
        return self.container(out)

    def describe(self) -> str:
        if self.container is tuple:
            return f"tuple[{self.item.describe()}, ...]"
        return f"{self.container.__name__}[{self.item.describe()}]"

    def named_types(self) -> list[type]:
        return self.item.named_types()


class TupleSpec(TypeSpec):
    """Fixed-length ``tuple[A, B]``."""

    def __init__(self, items: list[TypeSpec]) -> None:
        self.items = items
        self.schema = {
            "type": "array",
            "prefixItems": [s.schema for s in items],
            "minItems": len(items),
            "maxItems": len(items),
        }

    def coerce(self, value: Any, path: str) -> Any:
        seq = _as_sequence(value, path)
        if len(seq) != len(self.items):
            raise ArgumentError(path, f"expected {len(self.items)} items, got {len(seq)}")
        return tuple(
            s.coerce(v, _join(path, i))
            for i, (s, v) in enumerate(zip(self.items, seq, strict=True))
        )

    def describe(self) -> str:
        return f"tuple[{', '.join(s.describe() for s in self.items)}]"

    def named_types(self) -> list[type]:
        return [t for s in self.items for t in s.named_types()]


def _as_sequence(value: Any, path: str) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset, range)):
        return list(value)
    tolist = getattr(value, "tolist", None)  # numpy arrays, pandas Series / Index
    if callable(tolist) and not isinstance(value, (str, bytes, Mapping)):
        out = tolist()
        if isinstance(out, list):
            return out
    raise ArgumentError(path, f"expected a list, {_got(value)}")


class DictSpec(TypeSpec):
    """``dict[str, T]`` (and bare ``dict``)."""

    def __init__(self, value: TypeSpec) -> None:
        self.value = value
        self.schema = {"type": "object"}
        if value.schema:
            self.schema["additionalProperties"] = value.schema

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, Mapping):
            raise ArgumentError(path, f"expected a dict, {_got(value)}")
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ArgumentError(path, f"expected string keys, got key {_short(k)}")
            out[k] = self.value.coerce(v, _join(path, k))
        return out

    def describe(self) -> str:
        return f"dict[str, {self.value.describe()}]"

    def named_types(self) -> list[type]:
        return self.value.named_types()


class UnionSpec(TypeSpec):
    """``A | B | None``: the first option that accepts the value wins (in declaration order)."""

    def __init__(self, options: list[TypeSpec]) -> None:
        self.options = options
        non_null = [o for o in options if not isinstance(o, NoneSpec)]
        nullable = len(non_null) < len(options)
        if len(non_null) == 1 and nullable:
            self.schema = _nullable(non_null[0].schema)
        else:
            self.schema = {"anyOf": [o.schema for o in options]}

    def coerce(self, value: Any, path: str) -> Any:
        failures: list[ArgumentError] = []
        for option in self.options:
            try:
                return option.coerce(value, path)
            except ArgumentError as exc:
                failures.append(exc)
        real = [
            f for o, f in zip(self.options, failures, strict=True) if not isinstance(o, NoneSpec)
        ]
        if len(real) == 1:  # X | None: what was wrong with X is the useful part
            raise real[0]
        expected = " | ".join(o.describe() for o in self.options)
        raise ArgumentError(path, f"expected {expected}, {_got(value)}")

    def describe(self) -> str:
        return " | ".join(o.describe() for o in self.options)

    def named_types(self) -> list[type]:
        return [t for o in self.options for t in o.named_types()]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and set(schema) <= {"type", "enum", "description", "format"}:
        out = dict(schema, type=[kind, "null"])
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


@dataclass
class FieldSpec:
    name: str
    spec: TypeSpec
    required: bool
    default: Any = None
    description: str = ""
    #: False for an optional TypedDict key: it may be left out, but has no default value.
    has_default: bool = True


def object_schema(fields: list[FieldSpec], description: str = "") -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in fields:
        prop = dict(f.spec.schema)
        if f.description:
            prop["description"] = f.description
        if not f.required and f.has_default and _is_jsonable(f.default):
            prop["default"] = _jsonable_default(f.default)
        props[f.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": props}
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def _coerce_fields(fields: list[FieldSpec], value: Any, path: str, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ArgumentError(path, f"expected {what} (or a dict with its fields), {_got(value)}")
    known = {f.name: f for f in fields}
    unknown = [k for k in value if k not in known]
    if unknown:
        raise ArgumentError(
            path,
            f"unexpected field {unknown[0]!r} for {what}; fields: {', '.join(known) or 'none'}",
        )
    out = {}
    for f in fields:
        if f.name in value:
            out[f.name] = f.spec.coerce(value[f.name], _join(path, f.name))
        elif f.required:
            raise ArgumentError(path, f"missing field {f.name!r} for {what}")
    return out


class DataclassSpec(TypeSpec):
    def __init__(self, cls: type, fields: list[FieldSpec]) -> None:
        self.cls = cls
        self.fields = fields
        self.schema = object_schema(fields, _class_doc(cls))

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, self.cls):
            return value
        return self.cls(**_coerce_fields(self.fields, value, path, self.cls.__name__))

    def describe(self) -> str:
        return self.cls.__name__

    def named_types(self) -> list[type]:
        return [self.cls, *(t for f in self.fields for t in f.spec.named_types())]

    def field_line(self) -> str:
        parts = []
        for f in self.fields:
            text = f"{f.name}: {f.spec.describe()}"
            if not f.required:
                text += f" = {default_repr(f.default)}" if f.has_default else " (optional)"
            parts.append(text)
        return ", ".join(parts)


class TypedDictSpec(DataclassSpec):
    def coerce(self, value: Any, path: str) -> Any:
        return _coerce_fields(self.fields, value, path, self.cls.__name__)


class PydanticSpec(TypeSpec):
    def __init__(self, cls: Any) -> None:
        self.cls = cls
        try:
            raw = cls.model_json_schema()
        except Exception as exc:
            raise RegistrationError(
                f"Pydantic model {cls.__name__} has no JSON schema: {exc}"
            ) from None
        self.schema = _strip_titles(_inline_refs(raw, raw.get("$defs", {}), ()))

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, self.cls):
            return value
        if not isinstance(value, Mapping):
            raise ArgumentError(
                path, f"expected {self.cls.__name__} (or a dict with its fields), {_got(value)}"
            )
        try:
            return self.cls.model_validate(dict(value))
        except Exception as exc:  # pydantic.ValidationError
            errors = getattr(exc, "errors", None)
            if callable(errors):
                items = errors()
                reasons = [
                    f"{_join(path, '.'.join(str(p) for p in e.get('loc', ())))}: {e.get('msg')}"
                    for e in items[:3]
                ]
                raise ArgumentError("", "; ".join(reasons)) from None
            raise ArgumentError(path, str(exc).splitlines()[0]) from None

    def describe(self) -> str:
        return str(self.cls.__name__)

    def named_types(self) -> list[type]:
        return [self.cls]

    def field_line(self) -> str:
        parts = []
        for name, info in self.cls.model_fields.items():
            text = f"{name}: {annotation_source(info.annotation)}"
            if not info.is_required():
                text += f" = {default_repr(info.default)}"
            parts.append(text)
        return ", ".join(parts)


def _inline_refs(node: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    """Pydantic's ``$ref``/``$defs`` inlined (Gemini's schema support for refs is partial)."""
    if isinstance(node, list):
        return [_inline_refs(v, defs, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.split("/")[-1]
        if name in seen:
            raise RegistrationError(f"Recursive type {name} cannot be described to the model.")
        target = _inline_refs(defs.get(name, {}), defs, (*seen, name))
        extra = {k: _inline_refs(v, defs, seen) for k, v in node.items() if k != "$ref"}
        return {**target, **extra}
    return {k: _inline_refs(v, defs, seen) for k, v in node.items() if k != "$defs"}


def _strip_titles(node: Any) -> Any:
    """Pydantic's schema without ``title`` keys, and object descriptions (class docstrings)
    reduced to their description part."""
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    if isinstance(node, dict):
        if "properties" in node and isinstance(node.get("description"), str):
            node = {**node, "description": parse_docstring(node["description"]).description}
        return {
            k: (
                _strip_titles(v)
                if k != "properties"
                else {p: _strip_titles(s) for p, s in v.items()}
            )
            for k, v in node.items()
            if k != "title"
        }
    return node


# --- source forms -------------------------------------------------------------------------


def annotation_source(tp: Any) -> str:
    """An annotation as a reader would write it: ``list[Stop]``, ``Literal['C', 'F']``."""
    if tp is _NoneType or tp is None:
        return "None"
    if tp is Any:
        return "Any"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return annotation_source(args[0])
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(annotation_source(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
        inner = ", ".join("..." if a is Ellipsis else annotation_source(a) for a in args)
        return f"{name}[{inner}]" if args else name
    if isinstance(tp, type):
        return tp.__name__ if tp.__module__ != "datetime" else f"datetime.{tp.__name__}"
    if isinstance(tp, typing.ForwardRef):
        return tp.__forward_arg__
    return str(tp).replace("typing.", "")


def default_repr(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return _short(value, 40)


def _is_jsonable(value: Any) -> bool:
    if isinstance(value, enum.Enum):
        return _is_jsonable(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_jsonable(v) for k, v in value.items())
    return False


def _jsonable_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_jsonable_default(v) for v in value]
    return value
