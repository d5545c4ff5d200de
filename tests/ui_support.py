"""Shared pieces of the generative-UI tests: specs, data, a shell with the scripted backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from shells import close_session, open_session

from jupyter_codegen.model.backends.scripted import ScriptedBackend
from jupyter_codegen.session import session_for
from jupyter_codegen.ui.catalog import CATALOG_ID


def sales_frame() -> pd.DataFrame:
    months = list(range(1, 13))
    return pd.DataFrame(
        {
            "region": ["North", "South", "East"] * 8,
            "month": (months * 2),
            "year": [2023] * 12 + [2024] * 12,
            "revenue": [float(10 * i + (i % 3)) for i in range(24)],
            "date": pd.date_range("2024-01-01", periods=24, freq="7D").strftime("%Y-%m-%d"),
        }
    )


def messages(
    components: list[dict[str, Any]], data: dict[str, Any] | None = None, surface: str = "main"
) -> list[dict[str, Any]]:
    """A complete A2UI v0.9 message list for ``components``."""
    out: list[dict[str, Any]] = [
        {"version": "v0.9", "createSurface": {"surfaceId": surface, "catalogId": CATALOG_ID}},
        {
            "version": "v0.9",
            "updateComponents": {"surfaceId": surface, "components": components},
        },
    ]
    if data is not None:
        out.append(
            {
                "version": "v0.9",
                "updateDataModel": {"surfaceId": surface, "path": "/", "value": data},
            }
        )
    return out


def expr(source: str) -> dict[str, Any]:
    return {"call": "expr", "args": {"expr": source}}


#: A dashboard over `sales`: a region dropdown, a month range, a chart, a table and a total.
DASHBOARD = messages(
    [
        {"id": "root", "component": "Column", "children": ["title", "controls", "chart", "total"]},
        {"id": "title", "component": "Text", "text": "Sales", "variant": "h3"},
        {"id": "controls", "component": "Row", "children": ["region", "months"]},
        {
            "id": "region",
            "component": "Dropdown",
            "label": "Region",
            "options": expr("sorted(sales.region.unique())"),
            "value": {"path": "/region"},
        },
        {
            "id": "months",
            "component": "RangeSlider",
            "label": "Months",
            "min": 1,
            "max": 12,
            "value": {"path": "/months"},
        },
        {
            "id": "chart",
            "component": "Plot",
            "kind": "bar",
            "data": expr(
                "sales[(sales.region == region) & sales.month.between(months[0], months[1])]"
                ".groupby('month').revenue.sum()"
            ),
            "title": expr("f'Revenue in {region}'"),
        },
        {
            "id": "total",
            "component": "Value",
            "label": "Total",
            "value": expr("sales[sales.region == region].revenue.sum()"),
            "format": ",.1f",
        },
    ],
    {"region": "North", "months": [1, 12]},
)


def dumps(value: Any) -> str:
    return json.dumps(value)


@pytest.fixture
def ui_shell(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """An InteractiveShell with the extension loaded, the scripted model and `sales`."""
    sh, session = open_session(tmp_path, monkeypatch)
    sh.user_ns["sales"] = sales_frame()
    yield sh
    close_session(sh, session)


def scripted(sh: InteractiveShell) -> ScriptedBackend:
    return session_for(sh).backends["scripted"]  # type: ignore[return-value]
