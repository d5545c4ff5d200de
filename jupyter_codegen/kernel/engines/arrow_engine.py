"""PyArrow: a Table is in memory (its row count and first rows are free: a zero-copy slice); a
Dataset is files on disk, described by its schema and file list, which were read when it was
opened; its row count would read every file's footer, so it is not given."""

from __future__ import annotations

from typing import Any

from jupyter_codegen.kernel.engines.common import NOT_COMPUTED, columns_line, sample_lines

GUIDANCE = (
    "Arrow: use pyarrow.compute (pc) on Tables or convert a small part with .to_pandas(); read "
    "a Dataset with .to_table(columns=..., filter=...) or .head(n), never the whole dataset."
)


def describe_table(name: str, table: Any, sample_rows: bool) -> str:
    schema = table.schema
    lines = [
        f"- {name}: pyarrow.Table (Arrow, in memory), {table.num_rows:,} rows x "
        f"{len(schema)} columns",
        columns_line(zip(schema.names, schema.types, strict=True)),
    ]
    if sample_rows and table.num_rows:
        head = table.slice(0, 3).to_pylist()
        lines.extend(sample_lines(schema.names, [list(row.values()) for row in head]))
    return "\n".join(lines)


def describe_dataset(name: str, dataset: Any, sample_rows: bool) -> str:
    schema = dataset.schema
    files = getattr(dataset, "files", None)
    where = ""
    if files is not None:
        kind = type(dataset.format).__name__.removesuffix("FileFormat").lower()
        where = f", {len(files):,} {kind} files"
    head = (
        f"- {name}: pyarrow.dataset.{type(dataset).__name__} (Arrow, on disk{where}), "
        f"{len(schema)} columns, {NOT_COMPUTED}"
    )
    return head + "\n" + columns_line(zip(schema.names, schema.types, strict=True))


def columns(value: Any) -> list[str]:
    return list(value.schema.names)
