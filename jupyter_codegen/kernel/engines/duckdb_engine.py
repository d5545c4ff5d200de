"""DuckDB: a relation is a query not yet run; its columns and types come from the bound plan
(``columns``/``types``), never from running it (``shape`` and ``len`` do run it). A connection
is described from its catalog, read on a cursor of its own so the user's pending result stays
as it was; secrets (``CREATE SECRET``) and attached databases' connection strings are never
read."""

from __future__ import annotations

import os
from typing import Any

from jupyter_codegen.kernel.engines.common import NOT_COMPUTED, clip, columns_line

GUIDANCE = (
    "DuckDB: write SQL or the relational API (con.sql(...), rel.filter/aggregate/limit); a "
    "relation runs only when fetched: fetch (.df(), .fetchall(), .pl()) an aggregate or a "
    "LIMIT, never the whole relation."
)
#: Columns read from a connection's catalog, at most (a bounded read whatever the database).
_MAX_CATALOG_COLUMNS = 300
_MAX_TABLES = 20


def describe_relation(name: str, relation: Any, sample_rows: bool) -> str:
    pairs = list(zip(relation.columns, relation.types, strict=False))
    head = (
        f"- {name}: duckdb.DuckDBPyRelation (DuckDB, lazy: a query not yet run), "
        f"{len(pairs)} columns, {NOT_COMPUTED}"
    )
    return head + "\n" + columns_line(pairs)


def _database_file(cursor: Any) -> str:
    rows = cursor.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    path = rows[0][0] if rows and rows[0][0] else ""
    # Only the file's name: a directory can say more about the user than the model needs.
    return f"database file {os.path.basename(path)}" if path else "in-memory database"


def describe_connection(name: str, connection: Any, sample_rows: bool) -> str:
    cursor = connection.cursor()  # its own result set: the user's pending one is kept
    try:
        where = _database_file(cursor)
        columns = cursor.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where not internal and database_name = current_database() "
            f"order by schema_name, table_name, column_index limit {_MAX_CATALOG_COLUMNS}"
        ).fetchall()
        views = {
            row[0]
            for row in cursor.execute(
                "select view_name from duckdb_views() "
                "where not internal and database_name = current_database()"
            ).fetchall()
        }
    finally:
        cursor.close()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in columns:
        tables.setdefault(table, []).append((column, dtype))
    lines = [
        f"- {name}: duckdb.DuckDBPyConnection (DuckDB), {where}, {len(tables)} tables or views"
    ]
    for table, pairs in list(tables.items())[:_MAX_TABLES]:
        kind = "view" if table in views else "table"
        lines.append(columns_line(pairs, label=f"{kind} {clip(table, 60)}"))
    if len(tables) > _MAX_TABLES:
        lines.append(f"    ... and {len(tables) - _MAX_TABLES} more tables")
    return "\n".join(lines)


def relation_columns(relation: Any) -> list[str]:
    return list(relation.columns)
