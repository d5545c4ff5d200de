"""PySpark: a DataFrame is described by its schema, which Spark resolves by analysing the plan
(no job runs: no ``count()``, no ``show()``). A stopped session fails in one line."""

from __future__ import annotations

from typing import Any

from jupyter_codegen.kernel.engines.common import NOT_COMPUTED, columns_line

GUIDANCE = (
    "PySpark: lazy and distributed; use DataFrame methods and pyspark.sql.functions (F.col, "
    "groupBy().agg(), filter); bring to the driver (.toPandas(), .collect()) only an aggregation "
    "or a .limit(n), never the whole frame."
)


def describe_frame(name: str, frame: Any, sample_rows: bool) -> str:
    fields = frame.schema.fields
    head = (
        f"- {name}: pyspark.sql.DataFrame (PySpark, lazy and distributed), "
        f"{len(fields)} columns, {NOT_COMPUTED}"
    )
    return head + "\n" + columns_line((f.name, f.dataType.simpleString()) for f in fields)


def frame_columns(frame: Any) -> list[str]:
    return list(frame.columns)
