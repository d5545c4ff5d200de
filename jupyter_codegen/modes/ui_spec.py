"""``%%gemini --ui=spec``: the model returns a declarative A2UI spec; nothing it writes runs.

The core's loop does the rest with this mode's hooks: the request asks for structured output
(:mod:`jupyter_codegen.ui.decoding`), the reply becomes the generated cell (one
``render_a2ui(<document>)`` call, :func:`jupyter_codegen.ui.spec.cell_code`), the precheck
validates the spec before anything is placed or run (a bad spec gets one repair round with the
validation error), and after rendering the surface is exercised like generated widget code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from jupyter_codegen.core.code_loop import Attempt, Failure
from jupyter_codegen.core.job import PromptJob
from jupyter_codegen.core.prompt_run import PromptRun
from jupyter_codegen.model.backends.base import ModelRequest, Reply, Turn
from jupyter_codegen.model.prompting import render
from jupyter_codegen.modes.ui_code import WidgetMode
from jupyter_codegen.session import CodegenSession
from jupyter_codegen.ui.bindings import checked_functions
from jupyter_codegen.ui.catalog import CATALOG_ID, catalog_for
from jupyter_codegen.ui.decoding import response_schema
from jupyter_codegen.ui.exercise import WidgetTracker, exercise, quiet_sync
from jupyter_codegen.ui.spec import (
    SpecError,
    cell_code,
    check_spec,
    document_from_cell,
    format_document,
    is_spec_cell,
    normalize,
    read_messages,
)

#: Modes a backend sees for spec requests (the embedded model keeps the request's own prompt
#: for it and decodes against ``response_schema``).
REQUEST_MODE = "ui_spec"

#: The example in the system prompt (checked by the tests against the catalog).
EXAMPLE: list[dict[str, Any]] = [
    {"version": "v0.9", "createSurface": {"surfaceId": "main", "catalogId": CATALOG_ID}},
    {
        "version": "v0.9",
        "updateComponents": {
            "surfaceId": "main",
            "components": [
                {"id": "root", "component": "Column", "children": ["title", "region", "chart"]},
                {"id": "title", "component": "Text", "text": "Revenue by month", "variant": "h3"},
                {
                    "id": "region",
                    "component": "Dropdown",
                    "label": "Region",
                    "options": {"call": "expr", "args": {"expr": "sorted(sales.region.unique())"}},
                    "value": {"path": "/region"},
                },
                {
                    "id": "chart",
                    "component": "Plot",
                    "kind": "bar",
                    "data": {
                        "call": "expr",
                        "args": {
                            "expr": "sales[sales.region == region].groupby('month').revenue.sum()"
                        },
                    },
                    "title": {"call": "expr", "args": {"expr": "f'Revenue in {region}'"}},
                },
            ],
        },
    },
    {
        "version": "v0.9",
        "updateDataModel": {"surfaceId": "main", "path": "/", "value": {"region": "North"}},
    },
]

#: Extra words for some components in the prompt's catalog listing (how to use them here).
_NOTES = {
    "Text": "Markdown text (a heading with variant h1-h5)",
    "Row": "children side by side",
    "Column": "children one under another",
    "Card": "a framed box around one child",
    "Tabs": "one tab per child",
    "Button": "child is the id of a Text with the label",
    "Slider": "one number",
    "ChoicePicker": "fixed options; its value is a list of the selected values",
    "Dropdown": "one choice; options may be computed from the data",
    "RangeSlider": "a [low, high] range of numbers, or of options such as dates",
    "DateTimeInput": "a date (enableDate) and/or time; the value is an ISO string",
    "Plot": "a chart, redrawn in place when its inputs change",
    "Table": "rows of a DataFrame or records",
    "Value": "one computed number or string, shown large",
}
_REF_TYPES = {
    "DynamicString": "string|binding|call",
    "DynamicNumber": "number|binding|call",
    "DynamicBoolean": "bool|binding|call",
    "DynamicValue": "value|binding|call",
    "DynamicStringList": "[string]|binding|call",
    "ComponentId": "id",
    "ChildList": "[ids]",
    "Action": '{"functionCall": {"call", "args"}} | {"event": {"name", "context"?}}',
}
_SKIPPED = frozenset({"id", "component", "accessibility", "checks", "weight"})


def _type_text(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "value"
    if "$ref" in schema:
        return _REF_TYPES.get(schema["$ref"].rsplit("/", 1)[-1], "value")
    if "allOf" in schema:
        return _type_text(next((p for p in schema["allOf"] if "$ref" in p), {}))
    if "enum" in schema:
        return "|".join(str(v) for v in schema["enum"])
    union = schema.get("oneOf") or schema.get("anyOf")
    if union:
        return "|".join(_type_text(part) for part in union)
    if schema.get("type") == "array":
        items = schema.get("items", {})
        if isinstance(items, dict) and items.get("type") == "object":
            required = set(items.get("required", []))
            keys = [k + ("" if k in required else "?") for k in items.get("properties", {})]
            return "[{" + ", ".join(keys) + "}]"
        return f"[{_type_text(items)}]"
    return str(schema.get("type", "value"))


def catalog_listing(validation_schema: Mapping[str, Any]) -> str:
    """The catalog's components as one line each, from its validation schema."""
    lines = []
    for name, schema in validation_schema.get("components", {}).items():
        required = set(schema.get("required", []))
        props = [
            f"{prop}{'' if prop in required else '?'}: {_type_text(prop_schema)}"
            for prop, prop_schema in schema.get("properties", {}).items()
            if prop not in _SKIPPED
        ]
        note = _NOTES.get(name, "")
        lines.append(f"- {name}({', '.join(props)})" + (f": {note}" if note else ""))
    return "\n".join(lines)


def functions_listing(functions: Mapping[str, Callable[..., Any]]) -> str:
    import inspect

    if not functions:
        return "- This kernel has no registered functions."
    lines = ["- The registered functions:"]
    for name, fn in functions.items():
        try:
            signature = str(inspect.signature(fn, eval_str=True))
        except Exception:  # unresolvable annotations: show them as written
            try:
                signature = str(inspect.signature(fn))
            except (TypeError, ValueError):
                signature = "(...)"
        doc = (inspect.getdoc(fn) or "").strip().splitlines()
        lines.append(f"  - {name}{signature}" + (f": {doc[0]}" if doc else ""))
    return "\n".join(lines)


def registered_functions(session: CodegenSession) -> dict[str, Callable[..., Any]]:
    return checked_functions(session.functions)


class UiSpecMode(WidgetMode):
    """``--ui=spec``: code mode's loop over a declarative spec; the generated cell is one
    ``render_a2ui(<document>)`` call, which the policy trusts (it runs nothing the model wrote)."""

    name = "ui-spec"
    #: The cell is one render call of a fixed shape: no names, charts or frame writes to judge.
    checks_intent = False

    def prepare(self, session: CodegenSession, job: PromptJob) -> PromptJob:
        # One repair round for a bad spec; registered functions are bound in the spec, not
        # called by the model while it writes it (native tools would not mix with structured
        # output).
        return replace(job, max_fixes=min(job.max_fixes, 1), tools="code")

    def first_request(self, run: PromptRun, context: str) -> ModelRequest:
        functions = registered_functions(run.session)
        schema = catalog_for(functions).validation_schema
        system = render(
            "ui_spec_system",
            catalog_id=CATALOG_ID,
            catalog=catalog_listing(schema),
            functions=functions_listing(functions),
            example=format_document(EXAMPLE),
        )
        return ModelRequest(
            mode=REQUEST_MODE,
            system=system,
            turns=(Turn.user(render("ui_spec_task", context=context, task=run.job.prompt)),),
            response_schema=response_schema(schema),
            max_output_tokens=run.session.config.max_output_tokens,
        )

    def extract(self, reply: Reply) -> str:
        """The generated cell for a reply. A reply that is not a readable spec still becomes a
        cell (its text, as a string, never run): the precheck reports why, for the repair."""
        try:
            return cell_code(format_document(normalize(read_messages(reply.text))))
        except SpecError:
            return cell_code(reply.text.strip())

    def precheck(self, run: PromptRun, code: str) -> str | None:
        document = document_from_cell(code)
        if document is None:
            return None  # the user made the cell code: the policy checks it as such
        try:
            check_spec(
                normalize(read_messages(document)),
                namespace=run.shell.user_ns,
                functions=registered_functions(run.session),
            )
        except SpecError as exc:
            return str(exc)
        return None

    def check_widgets(self, tracker: WidgetTracker, shell: Any) -> str | None:
        return verify_surfaces(tracker, shell)

    def repair_request(
        self, run: PromptRun, failed: Attempt, failure: Failure, context: str
    ) -> ModelRequest:
        if failed.request is None:  # a pinned spec that fails today
            first = self.first_request(run, context)
            body = render(
                "ui_spec_pinned_repair",
                context=context,
                task=run.job.prompt,
                document=document_from_cell(failed.code) or failed.code,
                error=failure.text,
            )
            return replace(first, turns=(Turn.user(body),))
        follow_up = render(
            "ui_spec_repair", error=failure.text, context=context, attempt=failed.number
        )
        previous = failed.request
        return replace(
            previous, turns=(*previous.turns, Turn.model(failed.reply_text), Turn.user(follow_up))
        )

    def trusted(self, code: str) -> bool:
        return is_spec_cell(code)


def verify_surfaces(tracker: WidgetTracker, shell: Any) -> str | None:
    """After a run: the outputs that failed on first render or when each control was exercised."""
    from jupyter_codegen.ui.render import SurfaceView

    surfaces = [w.surface for w in tracker.new_widgets() if isinstance(w, SurfaceView)]
    problems: list[str] = []
    for surface in surfaces:
        start = len(surface.error_log)
        problems.extend(_lines(surface, surface.error_log[:start]))
        with quiet_sync(tracker.new_widgets()), surface.restoring_actions():
            exercised = exercise(surface.controls(), shell, hold=[])
        problems.extend(f"- {p.what}: {p.error.strip()}" for p in exercised)
        problems.extend(_lines(surface, surface.error_log[start:]))
    problems = list(dict.fromkeys(problems))
    if not problems:
        return None
    first = problems[0].lstrip("- ")
    return "\n".join(
        [
            f"The interface rendered, but a binding failed: {first}",
            "After rendering, each control was moved once and each button clicked:",
            *problems[:6],
            "Fix the expressions or function arguments (use existing columns and variables).",
        ]
    )


def _lines(surface: Any, entries: list[tuple[str, str]]) -> list[str]:
    out = []
    for cid, message in entries:
        component = surface.spec.components.get(cid, {})
        shown = {k: v for k, v in component.items() if k not in ("id", "component")}
        text = json.dumps(shown, ensure_ascii=False, default=str)
        text = text if len(text) <= 240 else text[:237] + "..."
        out.append(f"- component '{cid}' ({component.get('component', '?')}) {text}: {message}")
    return out
