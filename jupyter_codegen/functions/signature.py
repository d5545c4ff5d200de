"""From Python annotations and callables to the specs of :mod:`jupyter_codegen.functions.schema`:
which :class:`TypeSpec` an annotation gets (:func:`type_spec`), and everything the model is told
about one registered function (:func:`function_schema`, :func:`type_notes`).

It is apart from the spec classes because reading a signature (type hints, defaults, docstrings,
``functools.partial``, callable objects) is a job of its own, and the specs are what it builds.

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
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.functions.docstrings import DocInfo, clip_description, parse_docstring
from jupyter_codegen.functions.schema import (
    AnySpec,
    ArgumentError,
    BoolSpec,
    DataclassSpec,
    DateSpec,
    DictSpec,
    EnumSpec,
    FieldSpec,
    FloatSpec,
    IntSpec,
    ListSpec,
    LiteralSpec,
    NoneSpec,
    PydanticSpec,
    RegistrationError,
    StrSpec,
    TupleSpec,
    TypedDictSpec,
    TypeSpec,
    UnionSpec,
    annotation_source,
    default_repr,
    object_schema,
)

_NoneType = type(None)


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
                f"{annotation_source(tp)}: dictionary keys must be str (JSON objects have "
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
        f"type {annotation_source(tp)} cannot be described to the model; use str, int, float, "
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
            text = f"{p.name}: {annotation_source(p.annotation)}"
            if not p.required:
                text += f" = {default_repr(p.default)}"
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
    parameters = object_schema(fields)
    returns = ""
    if "return" in hints and hints["return"] is not None:
        returns = annotation_source(hints["return"])
    text = description if description is not None else doc.description
    if description is None and doc.returns:
        text = (text + "\n\n" if text else "") + f"Returns: {doc.returns}"
    return FunctionSchema(
        name=name or label,
        description=clip_description(text.strip()),
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
