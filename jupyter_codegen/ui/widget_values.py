"""Values between a spec's data model and ipywidgets: dropdown options from lists, pandas
objects or dicts; ranges; dates and times to and from ISO text (what the data model holds)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jupyter_codegen.ui.tables import plain_value


def first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def options(value: Any) -> list[tuple[str, Any]]:
    """Dropdown options as (label, value) pairs from a list, a pandas object or a dict."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return [(str(label), v) for v, label in value.items()]
    out: list[tuple[str, Any]] = []
    for item in value or []:
        if isinstance(item, dict) and "value" in item:
            out.append((str(item.get("label", item["value"])), item["value"]))
        else:
            item = plain_value(item)
            out.append((str(item), item))
    return out


def pair(value: Any, low: Any, high: Any) -> tuple[Any, Any]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return low, high


def index(values: list[Any], value: Any, default: int) -> int:
    try:
        return values.index(value)
    except ValueError:
        return default


def iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def parse_time(value: Any) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
