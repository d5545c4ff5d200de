"""A declarative UI spec: an A2UI v0.9 message list, read from a model reply, checked, and kept
as the generated cell.

The flow: :func:`read_messages` reads the reply (tolerating fences, ``<a2ui-json>`` tags,
trailing commas), :func:`normalize` fills in what the envelope must say (version, surface and
catalog ids) so that small models' near misses still count, :func:`check_spec` validates the
messages with the A2UI SDK against the published catalog (:mod:`jupyter_codegen.ui.catalog`) and
then checks what the SDK cannot know: that expressions are allowed and name existing variables,
that paths are bound, that called functions are registered. The result is a :class:`UISpec`.

The generated cell holds the spec as its document, in one call that renders it
(:func:`cell_code`); :func:`document_from_cell` reads it back from a pinned or edited cell.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_codegen.errors import SpecError
from jupyter_codegen.ui.catalog import CATALOG_ID, EXPR_FUNCTION, PROTOCOL_VERSION, catalog_for
from jupyter_codegen.ui.expr import SAFE_BUILTINS, ExprError, compile_expr, is_data

#: The function the generated cell calls.
RENDER_FUNCTION = "render_a2ui"
DEFAULT_SURFACE = "main"
_MESSAGE_KINDS = ("createSurface", "updateComponents", "updateDataModel", "deleteSurface")
#: Components whose ``value`` is a control's state, written to the data model.
CONTROLS = frozenset(
    {
        "Slider",
        "RangeSlider",
        "Dropdown",
        "ChoicePicker",
        "CheckBox",
        "TextField",
        "DateTimeInput",
    }
)
_TAGS = re.compile(r"</?a2ui-json[^>]*>", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n(.*?)\n?\s*```\s*$", re.DOTALL)


@dataclass(frozen=True)
class Binding:
    """Where a dynamic value comes from: the data-model keys and kernel names it reads."""

    keys: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class UISpec:
    """A checked A2UI surface."""

    messages: tuple[dict[str, Any], ...]
    surface_id: str
    #: Components by id, in document order.
    components: dict[str, dict[str, Any]]
    #: The initial data model (every ``updateDataModel`` applied in order).
    data: dict[str, Any] = field(default_factory=dict)

    def document(self) -> str:
        """The spec as the generated cell shows it (see :func:`format_document`)."""
        return format_document(list(self.messages))


# --- reading a reply ------------------------------------------------------------------------


def read_messages(text: str) -> list[dict[str, Any]]:
    """The JSON in a model reply, as a list of objects. Raises :class:`SpecError`."""
    from a2ui.inference_formats.direct_json.json_reader import read_json

    body = _TAGS.sub("", text).strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    elif "```" in body:  # prose around a fenced block
        match = re.search(r"```[A-Za-z0-9_-]*\s*\n(.*?)\n?\s*```", body, re.DOTALL)
        body = match.group(1).strip() if match else body
    if not body:
        raise SpecError("The model returned no UI spec (an empty reply).")
    start = min((i for i in (body.find("["), body.find("{")) if i >= 0), default=-1)
    if start < 0:
        raise SpecError(f"The reply is not a JSON UI spec: {_clip(body)!r}")
    try:
        value = read_json(body[start:])
    except ValueError as exc:
        raise SpecError(f"The UI spec is not valid JSON: {exc}.") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise SpecError("The UI spec must be a JSON array of A2UI messages (objects).")
    return value


def normalize(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Complete the envelope: ``version``, one ``createSurface`` with this catalog, and the
    surface id on every message. A bare ``{"components": [...], "dataModel": {...}}`` becomes
    the three messages it stands for. Nothing about the UI itself is changed."""
    expanded: list[dict[str, Any]] = []
    for message in messages:
        if not any(kind in message for kind in _MESSAGE_KINDS) and "components" in message:
            expanded.append({"updateComponents": {"components": message["components"]}})
            data = message.get("dataModel", message.get("data"))
            if isinstance(data, dict):
                expanded.append({"updateDataModel": {"path": "/", "value": data}})
        else:
            expanded.append(message)
    surface = next(
        (
            body.get("surfaceId")
            for m in expanded
            for body in [m.get("createSurface")]
            if isinstance(body, dict) and isinstance(body.get("surfaceId"), str)
        ),
        None,
    ) or next(
        (
            m[k]["surfaceId"]
            for m in expanded
            for k in _MESSAGE_KINDS
            if isinstance(m.get(k), dict) and isinstance(m[k].get("surfaceId"), str)
        ),
        DEFAULT_SURFACE,
    )
    out: list[dict[str, Any]] = []
    if not any("createSurface" in m for m in expanded):
        out.append({"createSurface": {"surfaceId": surface, "catalogId": CATALOG_ID}})
    for message in expanded:
        message = dict(message)
        for kind in _MESSAGE_KINDS:
            body = message.get(kind)
            if isinstance(body, dict):
                body = {"surfaceId": surface, **body} if "surfaceId" not in body else dict(body)
                if kind == "createSurface":
                    body["catalogId"] = CATALOG_ID
                message[kind] = body
        out.append(message)
    return [
        {"version": PROTOCOL_VERSION, **{k: v for k, v in m.items() if k != "version"}} for m in out
    ]


# --- checking -------------------------------------------------------------------------------


def check_spec(
    messages: list[dict[str, Any]],
    *,
    namespace: Mapping[str, Any] | None = None,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> UISpec:
    """Validate ``messages`` against the catalog (A2UI SDK) and the kernel they will run in.

    ``namespace`` is the kernel's user namespace (for the names expressions read) and
    ``functions`` the registered functions. Raises :class:`SpecError` with the first problem.
    """
    from a2ui.core import A2uiError
    from a2ui.utils.validation import validate_payload

    functions = dict(functions or {})
    namespace = namespace if namespace is not None else {}
    if not messages:
        raise SpecError("The UI spec is empty: send createSurface and updateComponents.")
    for message in messages:
        if "deleteSurface" in message:
            raise SpecError("deleteSurface is not supported here: describe one surface.")
        _check_shape(message)
        for component in (message.get("updateComponents") or {}).get("components") or []:
            if isinstance(component, dict) and isinstance(component.get("children"), dict):
                raise SpecError(
                    f"Component '{component.get('id')}' ({component.get('component')}): "
                    "template children are not supported here; list the child ids."
                )
    surfaces = {m["createSurface"].get("surfaceId") for m in messages if "createSurface" in m}
    if len(surfaces) > 1:
        raise SpecError("The UI spec creates several surfaces; describe exactly one.")
    try:
        validate_payload([catalog_for(functions)], _without_id_lookalikes(messages))
    except A2uiError as exc:
        text = _clip(_one_line(exc).replace(_MARK, ""), 220)  # the SDK lists every problem
        raise SpecError(f"The UI spec is not valid A2UI v0.9: {text}") from None
    surface_id = str(next(iter(surfaces))) if surfaces else DEFAULT_SURFACE
    components: dict[str, dict[str, Any]] = {}
    data: dict[str, Any] = {}
    for message in messages:
        if "updateComponents" in message:
            for component in message["updateComponents"]["components"]:
                components[component["id"]] = component
        if "updateDataModel" in message:
            body = message["updateDataModel"]
            set_path(data, body.get("path") or "/", body.get("value"))
    spec = UISpec(tuple(messages), surface_id, components, data)
    _check_semantics(spec, namespace, functions)
    return spec


def _check_shape(message: dict[str, Any]) -> None:
    """The message bodies the checks below read are objects, and a component list is a list
    (a model may send ``{"updateComponents": 1}``); the SDK checks everything else."""
    for kind in ("createSurface", "updateComponents", "updateDataModel"):
        if kind in message and not isinstance(message[kind], dict):
            found = type(message[kind]).__name__
            raise SpecError(f"The UI spec's {kind} must be an object, not {found}.")
    components = message.get("updateComponents", {}).get("components", [])
    if not isinstance(components, list):
        raise SpecError("The UI spec's updateComponents.components must be a list of components.")


#: Components whose child slots the catalog declares (ComponentId / ChildList references).
_CONTAINERS = {"Row": "children", "Column": "children", "Card": "child", "Button": "child"}
#: Keys the SDK never reads as child references (its v0.8 heuristic's exclusions).
_NOT_REFERENCES = frozenset(
    {
        "text",
        "title",
        "label",
        "description",
        "icon",
        "url",
        "path",
        "value",
        "key",
        "id",
        "component",
        "type",
        "variant",
        "size",
        "color",
        "action",
        "style",
        "styles",
        "theme",
        "weight",
        "align",
        "distribution",
        "disabled",
        "selected",
    }
)
_MARK = "\u2060"


def _without_id_lookalikes(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``messages`` for the SDK's validation in which no component id equals a string
    in a leaf component's properties.

    For components without declared child slots (all leaves) the SDK falls back to a heuristic
    from A2UI v0.8: a string property, or a string in a list, that equals some component's id
    counts as a child reference. A Dropdown option or a Plot column named like a component would
    then make a false cycle. Such ids are renamed in the copy (with their declared references);
    errors are reported with the original names.
    """
    components = [
        c
        for m in messages
        for c in (m.get("updateComponents") or {}).get("components", [])
        if isinstance(c, dict)
    ]
    ids = {c.get("id") for c in components}
    lookalikes: set[str] = set()
    for c in components:
        if c.get("component") in _CONTAINERS or c.get("component") == "Tabs":
            continue
        for key, value in c.items():
            if key in _NOT_REFERENCES:
                continue
            items = value if isinstance(value, list) else [value]
            lookalikes.update(i for i in items if isinstance(i, str) and i in ids)
    lookalikes.discard("root")
    if not lookalikes:
        return messages

    def rename(cid: Any) -> Any:
        return f"{cid}{_MARK}" if cid in lookalikes else cid

    out = copy.deepcopy(messages)
    for m in out:
        for c in (m.get("updateComponents") or {}).get("components", []):
            if not isinstance(c, dict):
                continue
            c["id"] = rename(c.get("id"))
            slot = _CONTAINERS.get(c.get("component", ""))
            if slot == "children" and isinstance(c.get("children"), list):
                c["children"] = [rename(x) for x in c["children"]]
            elif slot == "child":
                c["child"] = rename(c.get("child"))
            elif c.get("component") == "Tabs" and isinstance(c.get("tabs"), list):
                for tab in c["tabs"]:
                    if isinstance(tab, dict):
                        tab["child"] = rename(tab.get("child"))
    return out


def _check_semantics(
    spec: UISpec, namespace: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
) -> None:
    """What a renderer in this kernel needs beyond the catalog's schema."""
    keys = set(spec.data)
    for cid, component in spec.components.items():
        kind = component["component"]
        if kind in CONTROLS:
            path = value_path(component)
            keys.add(top_key(path))
        if kind == "Button":
            keys.add(cid)  # a button's last result is readable under its id
    for cid, component in spec.components.items():
        kind = component["component"]
        for prop, value in component.items():
            if prop in ("id", "component", "children", "child", "tabs"):
                continue
            if kind == "Button" and prop == "action":
                if "functionCall" in value:
                    targets = [value["functionCall"]]
                else:
                    targets = list((value.get("event", {}).get("context") or {}).values())
                for item in targets:
                    _check_value(cid, kind, prop, item, keys, namespace, functions)
                continue
            if kind in CONTROLS and prop == "value":
                if isinstance(value, dict) and "call" in value:
                    raise SpecError(
                        f"Component '{cid}' ({kind}): a control's value must be a literal or a "
                        'data path like {"path": "/name"}, not a function call.'
                    )
                continue
            _check_value(cid, kind, prop, value, keys, namespace, functions)


def _check_value(
    cid: str,
    kind: str,
    prop: str,
    value: Any,
    keys: set[str],
    namespace: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]],
) -> None:
    where = f"Component '{cid}' ({kind}), '{prop}'"
    for node in _dynamic_nodes(value):
        if "path" in node and len(node) == 1:
            key = top_key(str(node["path"]))
            if key not in keys:
                raise SpecError(
                    f"{where}: the path {node['path']!r} is not in the data model and no "
                    f"control writes it (known: {', '.join(sorted(keys)) or 'none'})."
                )
        elif "call" in node:
            name = node["call"]
            if name == EXPR_FUNCTION:
                source = (node.get("args") or {}).get("expr", "")
                try:
                    expression = compile_expr(str(source))
                except ExprError as exc:
                    raise SpecError(f"{where}: expression {source!r}: {exc}.") from None
                for used in expression.names:
                    if used in keys or used in functions or used in SAFE_BUILTINS:
                        continue
                    if used in namespace:
                        if not is_data(namespace[used]):
                            raise SpecError(
                                f"{where}: expression {source!r} uses `{used}`, which is not "
                                "data (a module, class or function); call registered functions "
                                "only."
                            )
                        continue
                    raise SpecError(
                        f"{where}: expression {source!r} uses the unknown name `{used}`: it is "
                        "neither a control's value in the data model nor a variable in the "
                        "kernel."
                    )
            elif name not in functions:
                raise SpecError(f"{where}: the function '{name}' is not registered.")


def _dynamic_nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every binding or function call in ``value``, nested arguments included."""
    if isinstance(value, dict):
        if "path" in value and len(value) == 1:
            yield value
            return
        if "call" in value:
            yield value
            for arg in (value.get("args") or {}).values():
                yield from _dynamic_nodes(arg)
            return
        for item in value.values():
            yield from _dynamic_nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dynamic_nodes(item)


def binding_of(value: Any, expressions: Callable[[str], Any] = compile_expr) -> Binding:
    """The data-model keys and names a dynamic value reads (for recomputing on change)."""
    keys: set[str] = set()
    names: set[str] = set()
    for node in _dynamic_nodes(value):
        if "path" in node and len(node) == 1:
            keys.add(top_key(str(node["path"])))
        elif node.get("call") == EXPR_FUNCTION:
            names.update(expressions(str((node.get("args") or {}).get("expr", ""))).names)
    return Binding(frozenset(keys), frozenset(names))


def value_path(component: Mapping[str, Any]) -> str:
    """The data path a control writes: its ``{"path": ...}`` binding, else ``/<id>``."""
    value = component.get("value")
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        return str(value["path"])
    return f"/{component['id']}"


# --- JSON pointers ----------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    parts = [p for p in path.strip().split("/") if p != ""]
    return [p.replace("~1", "/").replace("~0", "~") for p in parts]


def top_key(path: str) -> str:
    parts = _pointer(path)
    return parts[0] if parts else ""


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at a JSON pointer (``/a/b``, ``/items/0``), or None."""
    node: Any = data
    for part in _pointer(path):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a JSON pointer, creating objects on the way; ``/`` replaces all."""
    parts = _pointer(path)
    if not parts:
        data.clear()
        if isinstance(value, dict):
            data.update(value)
        return
    node: Any = data
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


# --- the document in the generated cell -------------------------------------------------------


def format_document(messages: list[dict[str, Any]]) -> str:
    """The messages as JSON, one message per line and one component per line: compact, and
    easy to edit by hand."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["["]
    for i, message in enumerate(messages):
        comma = "," if i < len(messages) - 1 else ""
        body = message.get("updateComponents")
        if isinstance(body, dict) and isinstance(body.get("components"), list):
            head = {k: v for k, v in message.items() if k != "updateComponents"}
            inner = {k: v for k, v in body.items() if k != "components"}
            prefix = dump(head)[:-1] + ', "updateComponents": ' + dump(inner)[:-1]
            lines.append(f'  {prefix}, "components": [')
            components = body["components"]
            for j, component in enumerate(components):
                sep = "," if j < len(components) - 1 else ""
                lines.append(f"    {dump(component)}{sep}")
            lines.append(f"  ]}}}}{comma}")
        else:
            lines.append(f"  {dump(message)}{comma}")
    lines.append("]")
    return "\n".join(lines)


def cell_code(document: str) -> str:
    """The generated cell for a spec: one call that renders the document, nothing else."""
    literal = _string_literal(document)
    return (
        "# A2UI v0.9 interface from %%gemini --ui=spec: a declarative spec, rendered with\n"
        "# ipywidgets; no model-written code runs. Edit the JSON to change it.\n"
        f"from jupyter_codegen.ui import {RENDER_FUNCTION}\n\n"
        f"{RENDER_FUNCTION}({literal})\n"
    )


def _string_literal(text: str) -> str:
    """A Python literal for ``text``: a raw triple-quoted block when that reads back exactly,
    else ``repr`` (model text never becomes code, whatever it contains)."""
    candidate = f'r"""\n{text}\n"""'
    if '"""' not in text and not text.endswith("\\"):
        try:
            if ast.literal_eval(candidate) == f"\n{text}\n":
                return candidate
        except (SyntaxError, ValueError):
            pass
    return repr(text)


def is_spec_cell(code: str) -> bool:
    """Whether ``code`` is exactly a spec cell as :func:`cell_code` writes it: the import of the
    renderer and one call of it with a string literal. Such a cell runs nothing the model wrote
    (the document is data), so the code policy need not look inside; any other shape, an edited
    cell included, is checked as code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    if len(tree.body) != 2:
        return False
    head, tail = tree.body
    call = tail.value if isinstance(tail, ast.Expr) else None
    return (
        isinstance(head, ast.ImportFrom)
        and head.module == "jupyter_codegen.ui"
        and head.level == 0
        and [(a.name, a.asname) for a in head.names] == [(RENDER_FUNCTION, None)]
        and isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == RENDER_FUNCTION
        and not call.keywords
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    )


def document_from_cell(code: str) -> str | None:
    """The spec document in a generated cell, or None when the cell is not (or no longer) a
    single render call with a literal document."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    found: str | None = None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and _call_name(call.func) == RENDER_FUNCTION
            and len(call.args) == 1
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
            and found is None
        ):
            found = call.args[0].value
            continue
        return None
    return found


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
