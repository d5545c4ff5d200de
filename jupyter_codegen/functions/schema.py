"""JSON Schema for registered functions, from type hints and docstrings, and the argument check
that goes with it.

One :class:`TypeSpec` per annotation does three jobs, so that the declaration the model sees and
the check applied to its arguments can never disagree:

- ``schema``: the JSON Schema sent as a Gemini function declaration (``parametersJsonSchema``);
- ``coerce(value)``: checks a value against the type and converts the JSON forms a model sends
  into the Python objects the function expects (an Enum's value to the member, a dict to a
  dataclass or Pydantic model, a list to a tuple, an integral float to an int), raising
  :class:`ArgumentError` with a path and one clear reason otherwise;
- ``describe()``: the annotation as Python source, for the code-mode prompt.

Supported: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``, ``Literal[...]``, ``Enum``
subclasses, dataclasses, ``TypedDict``, Pydantic models (when pydantic is installed),
``list[...]``, ``set[...]``, ``tuple[...]``, ``dict[str, ...]``, ``X | None`` / ``Optional``,
other unions, ``Annotated[T, "description"]``, ``datetime.date`` / ``datetime.datetime`` (ISO
strings). Parameter descriptions come from Google-, NumPy- or Sphinx-style docstrings.
Everything else, and parameters without annotations, is a :class:`RegistrationError`.

The SDK's automatic declaration building is not used: it fails silently on ``Literal`` and
``Enum`` (see the Gemini wire notes).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import inspect
import numbers
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_codegen.errors import UsageError

_NoneType = type(None)
#: Longest description kept for one parameter or function (characters).
_MAX_DESCRIPTION = 1000


class RegistrationError(UsageError):
    """A function cannot be offered to the model (missing or unsupported annotations, ...)."""


class ArgumentError(Exception):
    """One argument does not match its declared type. ``path`` is where (``unit``,
    ``stops[2].city``), ``reason`` what was expected and what came."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(value: Any) -> str:
    return f"got {_short(value)} ({type(value).__name__})"


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# --- docstrings ---------------------------------------------------------------------------

_GOOGLE_PARAM_HEADERS = {"args", "arguments", "parameters", "params", "keyword args", "kwargs"}
_GOOGLE_HEADERS = _GOOGLE_PARAM_HEADERS | {
    "attributes",
    "returns",
    "return",
    "yields",
    "raises",
    "example",
    "examples",
    "note",
    "notes",
    "see also",
    "warning",
    "warnings",
    "todo",
    "references",
    "keyword arguments",
    "other parameters",
}
_PARAM_SECTIONS = _GOOGLE_PARAM_HEADERS | {"attributes", "other parameters", "keyword arguments"}
_RETURN_HEADERS = {"returns", "return", "yields"}
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_SPHINX_RETURNS = re.compile(r"^:returns?\s*:\s*(.*)$")


@dataclass(frozen=True)
class DocInfo:
    """What a docstring says: the description (text before any section), the parameter
    descriptions by name (``Args``/``Parameters``/``Attributes``), and the ``Returns`` text."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    returns: str = ""

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.splitlines()[0] if self.description else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _collapse(lines: Iterable[str]) -> str:
    return " ".join(" ".join(lines).split())


def parse_docstring(doc: str | None) -> DocInfo:
    """Parse a Google-, NumPy- or Sphinx-style docstring (mixed styles are tolerated)."""
    if not doc:
        return DocInfo()
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, list[str]] = {}
    returns: list[str] = []
    #: ("google" | "numpy" | "sphinx", header) of the section being read; None: description.
    section: tuple[str, str] | None = None
    entry: list[str] = []  # names of the parameter entry being read
    entry_indent = -1
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        i += 1
        if stripped and i < len(lines) and _NUMPY_UNDERLINE.match(lines[i]):
            section, entry, entry_indent = ("numpy", stripped.lower()), [], _indent(line)
            i += 1
            continue
        if stripped.endswith(":") and stripped.rstrip(":").lower() in _GOOGLE_HEADERS:
            section, entry, entry_indent = ("google", stripped.rstrip(":").lower()), [], -1
            continue
        if match := _SPHINX_PARAM.match(stripped):
            section, entry = ("sphinx", "param"), [match.group(1)]
            params[match.group(1)] = [match.group(2)]
            continue
        if stripped.startswith((":type ", ":rtype", ":raises", ":raise ", ":var ", ":ivar ")):
            section, entry = ("sphinx", "other"), []
            continue
        if match := _SPHINX_RETURNS.match(stripped):
            section, entry = ("sphinx", "returns"), []
            returns.append(match.group(1))
            continue
        if section is None:
            description.append(line)
            continue
        if not stripped:
            continue
        style, header = section
        if style == "google" and entry_indent < 0:
            entry_indent = _indent(line)
        if style == "google" and _indent(line) < entry_indent:
            section = None  # dedented text ends the section
            description.append(line)
            continue
        if style == "sphinx":
            if _indent(line) == 0:
                section = None
                description.append(line)
            elif header == "returns":
                returns.append(stripped)
            elif entry:
                params[entry[0]].append(stripped)
            continue
        if header in _RETURN_HEADERS:
            if style == "google" or _indent(line) > entry_indent:
                returns.append(stripped)
            continue
        if header not in _PARAM_SECTIONS:
            continue
        if _indent(line) <= entry_indent:
            if style == "google":
                match = _GOOGLE_ENTRY.match(stripped)
                if match is None:
                    continue
                entry = [match.group(1)]
                first = match.group(3)
            else:  # numpy: "name : type" or "x, y : int", the description indented below
                names = stripped.split(":", 1)[0].split(",")
                entry = [
                    n.strip().lstrip("*") for n in names if n.strip().lstrip("*").isidentifier()
                ]
                first = ""
            for name in entry:
                params[name] = [first] if first else []
        else:
            for name in entry:
                params[name].append(stripped)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(description).strip())
    return DocInfo(
        _clip(text),
        {name: _clip(_collapse(body)) for name, body in params.items()},
        _clip(_collapse(returns)),
    )


def _clip(text: str, limit: int = _MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


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


def _object_schema(fields: list[FieldSpec], description: str = "") -> dict[str, Any]:
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
        self.schema = _object_schema(fields, _class_doc(cls))

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
                text += f" = {_default_repr(f.default)}" if f.has_default else " (optional)"
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
            text = f"{name}: {_annotation_source(info.annotation)}"
            if not info.is_required():
                text += f" = {_default_repr(info.default)}"
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


def _is_pydantic_model(tp: Any) -> bool:
    if not isinstance(tp, type):
        return False
    try:
        import pydantic
    except ImportError:
        return False
    return issubclass(tp, pydantic.BaseModel)


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


_SCALARS: dict[Any, TypeSpec] = {
    str: StrSpec(),
    int: IntSpec(),
    float: FloatSpec(),
    bool: BoolSpec(),
    _NoneType: NoneSpec(),
    None: NoneSpec(),
    Any: AnySpec(),
}


def type_spec(tp: Any, *, _seen: tuple[type, ...] = ()) -> TypeSpec:
    """The :class:`TypeSpec` of an annotation; :class:`RegistrationError` if unsupported."""
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        inner = type_spec(args[0], _seen=_seen)
        note = next((a for a in args[1:] if isinstance(a, str)), None)
        note = note or next(
            (getattr(a, "description", None) for a in args[1:] if getattr(a, "description", None)),
            None,
        )
        if note:
            return _Described(inner, note)
        return inner
    if origin is typing.Literal:
        return LiteralSpec(tuple(a.value if isinstance(a, enum.Enum) else a for a in args))
    if origin in (typing.Union, types.UnionType):
        return UnionSpec([type_spec(a, _seen=_seen) for a in args])
    if origin in (list, set, frozenset, tuple) or tp in (list, set, frozenset, tuple):
        container = origin or tp
        if container is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if args == ((),):
                return TupleSpec([])
            return TupleSpec([type_spec(a, _seen=_seen) for a in args])
        item = type_spec(args[0], _seen=_seen) if args else AnySpec()
        return ListSpec(item, container, unique=container in (set, frozenset))
    if origin in (typing.Sequence, typing.MutableSequence) or _abc_origin(origin, "Sequence"):
        return ListSpec(type_spec(args[0], _seen=_seen) if args else AnySpec(), list)
    if origin is dict or tp is dict or _abc_origin(origin, "Mapping"):
        if args and args[0] is not str:
            raise RegistrationError(
                f"{_annotation_source(tp)}: dictionary keys must be str (JSON objects have "
                "string keys)."
            )
        return DictSpec(type_spec(args[1], _seen=_seen) if args else AnySpec())
    if isinstance(tp, type):
        if tp in _seen:
            raise RegistrationError(
                f"Recursive type {tp.__name__} cannot be described to the model."
            )
        if issubclass(tp, enum.Enum):
            return EnumSpec(tp)
        if tp in (datetime.date, datetime.datetime):
            return DateSpec(tp)
        if dataclasses.is_dataclass(tp):
            return DataclassSpec(tp, _dataclass_fields(tp, (*_seen, tp)))
        if _is_typeddict(tp):
            return TypedDictSpec(tp, _typeddict_fields(tp, (*_seen, tp)))
        if _is_pydantic_model(tp):
            return PydanticSpec(tp)
    if isinstance(tp, (str, typing.ForwardRef)):
        name = tp if isinstance(tp, str) else tp.__forward_arg__
        raise RegistrationError(f"annotation {name!r} could not be resolved; define it first.")
    raise RegistrationError(
        f"type {_annotation_source(tp)} cannot be described to the model; use str, int, float, "
        "bool, Literal, an Enum, a dataclass, a Pydantic model, list[...] or dict[str, ...]."
    )


def _abc_origin(origin: Any, name: str) -> bool:
    import collections.abc as cabc

    target = getattr(cabc, name)
    return isinstance(origin, type) and origin is target


class _Described(TypeSpec):
    """An ``Annotated[T, "description"]``: T's behaviour, with a description in the schema."""

    def __init__(self, inner: TypeSpec, note: str) -> None:
        self.inner = inner
        self.note = note
        self.schema = {**inner.schema, "description": note}

    def coerce(self, value: Any, path: str) -> Any:
        return self.inner.coerce(value, path)

    def describe(self) -> str:
        return self.inner.describe()

    def named_types(self) -> list[type]:
        return self.inner.named_types()


def _hints(obj: Any, what: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except NameError as exc:
        raise RegistrationError(
            f"{what}: annotation {exc.name!r} could not be resolved; define it first."
        ) from None
    except Exception as exc:
        raise RegistrationError(f"{what}: annotations could not be read ({exc}).") from None


def _dataclass_fields(cls: type, seen: tuple[type, ...]) -> list[FieldSpec]:
    hints = _hints(cls, cls.__name__)
    docs = parse_docstring(inspect.getdoc(cls)).params
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = None if f.default is dataclasses.MISSING else f.default
        spec = _field_spec(hints.get(f.name), f"{cls.__name__}.{f.name}", seen)
        out.append(FieldSpec(f.name, spec, required, default, docs.get(f.name, "")))
    return out


def _typeddict_fields(cls: type, seen: tuple[type, ...]) -> list[FieldSpec]:
    hints = _hints(cls, cls.__name__)
    docs = parse_docstring(inspect.getdoc(cls)).params
    required = getattr(cls, "__required_keys__", frozenset(hints))
    return [
        FieldSpec(
            name,
            _field_spec(tp, f"{cls.__name__}.{name}", seen),
            name in required,
            None,
            docs.get(name, ""),
            has_default=False,
        )
        for name, tp in hints.items()
    ]


def _field_spec(tp: Any, where: str, seen: tuple[type, ...]) -> TypeSpec:
    if tp is None:
        raise RegistrationError(f"{where} has no type annotation.")
    try:
        return type_spec(tp, _seen=seen)
    except RegistrationError as exc:
        raise RegistrationError(f"{where}: {exc}") from None


# --- source forms -------------------------------------------------------------------------


def _annotation_source(tp: Any) -> str:
    """An annotation as a reader would write it: ``list[Stop]``, ``Literal['C', 'F']``."""
    if tp is _NoneType or tp is None:
        return "None"
    if tp is Any:
        return "Any"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _annotation_source(args[0])
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_annotation_source(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
        inner = ", ".join("..." if a is Ellipsis else _annotation_source(a) for a in args)
        return f"{name}[{inner}]" if args else name
    if isinstance(tp, type):
        return tp.__name__ if tp.__module__ != "datetime" else f"datetime.{tp.__name__}"
    if isinstance(tp, typing.ForwardRef):
        return tp.__forward_arg__
    return str(tp).replace("typing.", "")


def _default_repr(value: Any) -> str:
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


# --- functions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    name: str
    spec: TypeSpec
    kind: inspect._ParameterKind
    required: bool
    default: Any
    description: str
    annotation: Any


@dataclass(frozen=True)
class FunctionSchema:
    """Everything the model is told about one function, and how its arguments are checked."""

    name: str
    description: str
    params: tuple[ParamSpec, ...]
    #: The JSON Schema object of the parameters (a Gemini ``parametersJsonSchema``).
    parameters: dict[str, Any]
    returns: str
    doc: DocInfo
    is_async: bool
    signature: inspect.Signature

    def python_signature(self) -> str:
        """``(city: str, unit: Literal['C', 'F'] = 'C') -> dict``, from the resolved hints."""
        parts = []
        seen_kw_only = False
        for p in self.params:
            if p.kind is inspect.Parameter.KEYWORD_ONLY and not seen_kw_only:
                parts.append("*")
                seen_kw_only = True
            text = f"{p.name}: {_annotation_source(p.annotation)}"
            if not p.required:
                text += f" = {_default_repr(p.default)}"
            parts.append(text)
            if p.kind is inspect.Parameter.POSITIONAL_ONLY and (
                p is self.params[-1]
                or self.params[self.params.index(p) + 1].kind
                is not inspect.Parameter.POSITIONAL_ONLY
            ):
                parts.append("/")
        return f"({', '.join(parts)})" + (f" -> {self.returns}" if self.returns else "")

    def check(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Coerce named arguments (a model's JSON ``args``, or bound Python arguments) to the
        declared types. Raises :class:`ArgumentError` naming every bad argument."""
        by_name = {p.name: p for p in self.params}
        problems: list[str] = []
        unknown = [k for k in arguments if k not in by_name]
        if unknown:
            problems.append(
                f"unexpected argument {unknown[0]!r} (parameters: {', '.join(by_name) or 'none'})"
            )
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in arguments:
                try:
                    out[p.name] = p.spec.coerce(arguments[p.name], p.name)
                except ArgumentError as exc:
                    problems.append(str(exc))
            elif p.required:
                problems.append(f"missing required argument {p.name!r}")
        if problems:
            raise ArgumentError("", "; ".join(problems))
        return out


def function_schema(
    fn: Callable[..., Any], name: str | None = None, description: str | None = None
) -> FunctionSchema:
    """Build the schema of ``fn``; :class:`RegistrationError` (one line) when it cannot be."""
    label = name or getattr(fn, "__name__", None) or type(fn).__name__
    if not callable(fn):
        raise RegistrationError(f"{label!r} is not callable; register a function.")
    if name is not None and not name.isidentifier():
        raise RegistrationError(f"{name!r} is not a valid Python name; choose another name.")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise RegistrationError(
            f"{label}: its signature cannot be read; wrap it in a def."
        ) from None
    target = inspect.unwrap(fn)
    hint_source: Any = target
    while isinstance(hint_source, functools.partial):
        hint_source = hint_source.func
    if not (inspect.isfunction(hint_source) or inspect.ismethod(hint_source)):
        hint_source = type(hint_source).__call__  # a callable object
    hints = _hints(hint_source, label)
    doc = parse_docstring(inspect.getdoc(fn))
    params: list[ParamSpec] = []
    missing = []
    for p in signature.parameters.values():
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            star = "*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise RegistrationError(
                f"{label}: {star}{p.name} cannot be offered to the model; give the function "
                "named parameters."
            )
        if p.name not in hints:
            missing.append(p.name)
            continue
        annotation = hints[p.name]
        try:
            spec = type_spec(annotation)
        except RegistrationError as exc:
            raise RegistrationError(f"{label}: parameter {p.name!r}: {exc}") from None
        required = p.default is inspect.Parameter.empty
        params.append(
            ParamSpec(
                p.name,
                spec,
                p.kind,
                required,
                None if required else p.default,
                doc.params.get(p.name, ""),
                annotation,
            )
        )
    if missing:
        names = ", ".join(missing)
        raise RegistrationError(
            f"{label}: parameter(s) {names} have no type annotation; annotate every parameter "
            "(e.g. city: str) so the model knows what to pass."
        )
    fields = [FieldSpec(p.name, p.spec, p.required, p.default, p.description) for p in params]
    parameters = _object_schema(fields)
    returns = ""
    if "return" in hints and hints["return"] is not None:
        returns = _annotation_source(hints["return"])
    text = description if description is not None else doc.description
    if description is None and doc.returns:
        text = (text + "\n\n" if text else "") + f"Returns: {doc.returns}"
    return FunctionSchema(
        name=name or label,
        description=_clip(text.strip()),
        params=tuple(params),
        parameters=parameters,
        returns=returns,
        doc=doc,
        is_async=inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(fn),
        signature=signature,
    )


def type_notes(schema: FunctionSchema) -> list[str]:
    """One line per Enum / dataclass / TypedDict / Pydantic class in the signature, saying how to
    pass it (generated code may pass plain values: the wrapper converts them)."""
    seen: dict[type, None] = {}
    for p in schema.params:
        for t in p.spec.named_types():
            seen.setdefault(t, None)
    lines = []
    for t in seen:
        if isinstance(t, type) and issubclass(t, enum.Enum):
            values = ", ".join(repr(m.value) for m in t)
            lines.append(f"{t.__name__}: Enum of {values} (pass a member or its value)")
        elif dataclasses.is_dataclass(t) or _is_typeddict(t):
            spec = type_spec(t)
            kind = "TypedDict" if _is_typeddict(t) else "dataclass"
            assert isinstance(spec, DataclassSpec)
            lines.append(f"{t.__name__}: {kind} ({spec.field_line()}) (or a dict of these)")
        elif _is_pydantic_model(t):
            pspec = type_spec(t)
            assert isinstance(pspec, PydanticSpec)
            lines.append(
                f"{t.__name__}: Pydantic model ({pspec.field_line()}) (or a dict of these)"
            )
    return lines
