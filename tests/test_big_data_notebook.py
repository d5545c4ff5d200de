"""notebooks/big_data.ipynb headless through the runner, on the Gemini test server (every reply
scripted by notebooks/big_data_rules.json): a real dask.distributed LocalCluster, a DuckDB
database file, a Polars lazy plan, an Arrow dataset of parquet files, xarray with
dask chunks and Spark in local mode. Each prompt's generated code runs
in its own engine in a real kernel, and its printed result is checked against the same
numbers computed here with pandas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from gemini_server import rules_responder
from nbrun import text_of
from shells import fresh_cache

from jupyter_codegen.notebook.frontend import METADATA_KEY
from jupyter_codegen.notebook.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "big_data.ipynb"
RULES = ROOT / "notebooks" / "big_data_rules.json"

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(600)]


def expected_results() -> dict[str, object]:
    """The notebook's data, made again with the same seed, and the answers by pandas."""
    rng = np.random.default_rng(7)
    regions = np.array(["North", "South", "East", "West"])
    orders = pd.DataFrame(
        {"region": rng.choice(regions, 20_000), "amount": rng.gamma(2.0, 30.0, 20_000).round(2)}
    )
    events = pd.DataFrame(
        {"user": rng.integers(0, 50, 5_000), "seconds": rng.exponential(20.0, 5_000).round(1)}
    )
    stores = pd.Series([i % 4 for i in range(100_000) if (i % 97) * 1.5 > 100]).value_counts()
    minutes = (events.seconds / 60).groupby(events.user).sum().sort_values(ascending=False)
    return {
        "north_mean": round(orders[orders.region == "North"].amount.mean(), 2),
        "north_count": int((orders.region == "North").sum()),
        "store": (int(stores.sort_index().idxmax()), int(stores.max())),
        "top_user": int(minutes.index[0]),
    }


def test_big_data_notebook_on_gemini(gemini_env, tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (.ci/run installs one)")
    fresh_cache(monkeypatch, tmp_path / "cache")
    monkeypatch.delenv("JUPYTER_CODEGEN_MODEL", raising=False)
    gemini_env.responder = rules_responder(json.loads(RULES.read_text(encoding="utf-8")))
    path = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, path)
    report = run_notebook(path, progress=lambda line: None)
    assert report.failures == []
    assert (report.prompts, report.generated) == (6, 6)
    nb = nbformat.read(tmp_path / "big_data.out.ipynb", as_version=4)
    generated = [c for c in nb.cells if METADATA_KEY in c.get("metadata", {})]
    dask_out, duck_out, polars_out, arrow_out, xarray_out, spark_out = map(_shown, generated)
    want = expected_results()
    north = next(line for line in dask_out.splitlines() if line.startswith("North"))
    assert north.split()[1:] == [str(want["north_count"]), f"{want['north_mean']:g}"], dask_out
    store, rows = want["store"]  # type: ignore[misc]
    assert f"store {store} rows {rows}" in duck_out
    lines = polars_out.splitlines()
    first_row = lines[next(i for i, line in enumerate(lines) if line.startswith("╞")) + 1]
    assert first_row.split()[1] == str(want["top_user"]), polars_out
    assert "Lima 21.0" in arrow_out and "Oslo 2.0" in arrow_out and "Pune 31.0" in arrow_out
    assert "a 10.0" in xarray_out and "c 30.0" in xarray_out
    assert "   0  20000" in spark_out and "   4  20000" in spark_out
    # Every prompt saw each engine by its schema, with the advice, and no row count.
    first = json.dumps(gemini_env.requests[0].body)
    assert "dask.dataframe.DataFrame (Dask, lazy and distributed)" in first
    assert "region (str" in first and "8 partitions, rows: not computed" in first
    spark_request = json.dumps(gemini_env.requests[5].body)
    for expected in (
        "pyspark.sql.DataFrame (PySpark, lazy and distributed), 3 columns",
        "duckdb.DuckDBPyRelation (DuckDB, lazy: a query not yet run), 2 columns",
        "database file shop.duckdb",
        "polars.LazyFrame (Polars, lazy query plan), 3 columns",
        "- PySpark: lazy and distributed",
        "pyarrow.dataset.FileSystemDataset (Arrow, on disk, 3 parquet files)",
        "xarray.Dataset (xarray with dask chunks (lazy)), dims time=100, site=3",
    ):
        assert expected in spark_request, expected
    context_cell = next(c for c in nb.cells if c.source.strip() == "%gemini context")
    shown = text_of(context_cell)
    assert "table sales: store (BIGINT), price (DECIMAL" in shown or "table sales:" in shown
    assert "closed" in text_of(nb.cells[-1])


def _shown(cell) -> str:
    """What a cell printed, stream parts joined as written (a kernel may split one print into
    several stream messages when its flush timer fires in between), then its displays."""
    streams = "".join(o.text for o in cell.outputs if o.output_type == "stream")
    return (
        streams
        + "\n"
        + text_of({"outputs": [o for o in cell.outputs if o.output_type != "stream"]})
    )
