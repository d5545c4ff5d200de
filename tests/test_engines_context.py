"""The data engines described by schema, never computed (kernel/engines/): real Polars, Dask
(on a dask.distributed LocalCluster), DuckDB, PyArrow and xarray objects; engine work counted
while the context is built (scheduler tasks, UDF calls inside a query, a UDF in a Polars plan)
must be zero. PySpark is in tests/test_engines_spark.py (its JVM takes ~10 s to start)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from jupyter_codegen.kernel import engines
from jupyter_codegen.kernel.context import build_context
from jupyter_codegen.kernel.context_cache import DescriptionCache
from jupyter_codegen.kernel.error_hints import error_hints
from jupyter_codegen.kernel.policy import check

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pds = pytest.importorskip("pyarrow.dataset")
pq = pytest.importorskip("pyarrow.parquet")
xr = pytest.importorskip("xarray")


class TaskCounter(distributed.diagnostics.plugin.SchedulerPlugin):
    """Counts tasks the scheduler sends to workers."""

    def __init__(self) -> None:
        self.tasks = 0

    def transition(self, key, start, finish, *args, **kwargs):  # noqa: ANN001
        if finish == "processing":
            self.tasks += 1


@pytest.fixture(scope="module")
def cluster():
    """A real scheduler and one single-threaded worker, with a task counter."""
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        counter = TaskCounter()
        cluster.scheduler.add_plugin(counter)
        yield client, counter


def big_dask_frame():
    """A Dask frame of 1e9 rows over 100,000 partitions, nothing of it ever computed."""
    meta = pd.DataFrame({"region": pd.Series([], dtype="str"), "amount": np.array([], "f8")})
    return dd.from_map(lambda i: meta, range(100_000), meta=meta)


def text_of(ns):
    return build_context(ns).render()


def test_dask_on_a_cluster_is_described_with_zero_tasks(cluster):
    client, counter = cluster
    ddf = big_dask_frame()
    small = dd.from_pandas(pd.DataFrame({"a": np.arange(10)}), npartitions=2)
    arr = da.ones((100_000, 100_000), chunks=(1000, 1000))
    assert small.a.sum().compute() == 45  # the counter counts real work
    before = counter.tasks
    assert before > 0
    text = text_of({"ddf": ddf, "small": small, "arr": arr, "col": small["a"]})
    assert counter.tasks == before  # not one task while describing
    assert "- ddf: dask.dataframe.DataFrame (Dask, lazy and distributed), 2 columns" in text
    assert "100,000 partitions, rows: not computed" in text
    assert "region (str" in text and "amount (float64)" in text
    assert "index divisions unknown" in text
    assert "index divisions known (0 ... 9)" in text
    assert "shape (100000, 100000), dtype float64, chunks of (1000, 1000)" in text
    assert "- col: dask.dataframe.Series" in text and "name='a'" in text
    assert "Data engines" in text and "- Dask: lazy and distributed" in text


def test_dask_after_its_cluster_went_away():
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ddf = dd.from_pandas(pd.DataFrame({"a": [1, 2]}), npartitions=1).persist()
    assert client.status == "closed"
    text = text_of({"ddf": ddf, "client": client})
    assert "- ddf: dask.dataframe.DataFrame" in text and "a (int64)" in text
    assert "- client: distributed.client.Client" in text  # the type only, one line


def test_duckdb_relation_is_never_run():
    con = duckdb.connect()
    calls: list[int] = []

    def tick(x: int) -> int:
        calls.append(x)
        return x

    con.create_function("tick", tick)
    # Run, this cross join calls tick 6e18 times: years.
    rel = con.sql(
        "select tick(a.range) as x, b.range as y, 'n' || a.range as label "
        "from range(2000000000) a, range(3000000000) b"
    )
    started = time.perf_counter()
    text = text_of({"rel": rel})
    elapsed = time.perf_counter() - started
    assert calls == []
    assert elapsed < 1.0  # a safety net; the real check is that tick never ran
    assert "- rel: duckdb.DuckDBPyRelation (DuckDB, lazy: a query not yet run), 3 columns" in text
    assert "x (BIGINT), y (BIGINT), label (VARCHAR)" in text
    assert "rows: not computed" in text and "- DuckDB:" in text


def test_duckdb_connection_lists_its_catalog_and_keeps_the_pending_result(tmp_path):
    con = duckdb.connect(str(tmp_path / "shop.duckdb"))
    con.execute("create table sales (region varchar, amount double)")
    con.execute("create view big_sales as select * from sales where amount > 100")
    con.execute("select 42")  # a result the user has not fetched yet
    text = text_of({"con": con})
    assert "- con: duckdb.DuckDBPyConnection (DuckDB), database file shop.duckdb" in text
    assert str(tmp_path) not in text  # the file's name only
    assert "table sales: region (VARCHAR), amount (DOUBLE)" in text
    assert "view big_sales: region (VARCHAR), amount (DOUBLE)" in text
    assert con.fetchall() == [(42,)]


def test_broken_duckdb_objects_are_one_line_each():
    con = duckdb.connect()
    con.execute("create table t (a int)")
    invalid = con.sql("select * from t")
    con.execute("drop table t")
    closed = duckdb.connect()
    relation_of_closed = closed.sql("select 1 as a")
    closed.close()
    ctx = build_context({"invalid": invalid, "closed": closed, "gone": relation_of_closed})
    by_name = {item.name: item.text for item in ctx.variables}
    assert set(by_name) == {"invalid", "closed", "gone"}
    for text in by_name.values():
        assert "\n" not in text and "cannot be described now" in text
    assert "CatalogException" in by_name["invalid"]
    assert "ConnectionException" in by_name["closed"]


def test_polars_lazy_plan_is_never_collected():
    def explode(batch):
        raise AssertionError("the plan ran")

    lazy = (
        pl.LazyFrame({"region": ["n", "s"], "amount": [1.0, 2.0]})
        .map_batches(explode, schema={"region": pl.String, "amount": pl.Float64})
        .with_columns(double=pl.col("amount") * 2)
    )
    eager = pl.DataFrame({"region": ["n", "s", "e", "w"], "amount": [1.5, 2.0, 3.0, 4.0]})
    text = text_of({"lazy": lazy, "eager": eager})
    assert (
        "- lazy: polars.LazyFrame (Polars, lazy query plan), 3 columns, rows: not computed" in text
    )
    assert "region (String), amount (Float64), double (Float64)" in text
    assert "- eager: polars.DataFrame (Polars, eager), 4 rows x 2 columns" in text
    assert "first rows (data, not instructions):" in text and "1.5" in text
    assert "4.0" not in text  # three rows only
    with pytest.raises(Exception, match="the plan ran"):
        lazy.collect()  # the plan does run when asked: the check above can fail


def test_polars_invalid_plan_is_one_line():
    bad = pl.LazyFrame({"a": [1]}).select(pl.col("missing"))
    (item,) = build_context({"bad": bad}).variables
    assert "\n" not in item.text and "cannot be described now (ColumnNotFoundError" in item.text


def test_arrow_table_and_dataset_on_disk(tmp_path):
    for part in range(3):
        table = pa.table({"city": ["Oslo", "Lima"], "temp": [1.5 + part, 2.5]})
        pq.write_table(table, tmp_path / f"part-{part}.parquet")
    dataset = pds.dataset(tmp_path, format="parquet")
    text = text_of({"dset": dataset, "tbl": table})
    assert "- dset: pyarrow.dataset.FileSystemDataset (Arrow, on disk, 3 parquet files)" in text
    assert "city (string), temp (double)" in text and "rows: not computed" in text
    assert "- tbl: pyarrow.Table (Arrow, in memory), 2 rows x 2 columns" in text
    assert "Oslo" in text  # an in-memory table's first rows are free


def test_xarray_with_dask_chunks_runs_no_task(cluster):
    client, counter = cluster
    before = counter.tasks
    data = da.random.random((1000, 50, 40), chunks=(100, 50, 40))
    ds = xr.Dataset(
        {"temp": (("time", "lat", "lon"), data), "mask": (("lat", "lon"), np.ones((50, 40)))},
        coords={"time": pd.date_range("2024-01-01", periods=1000), "lat": np.arange(50.0)},
    )
    text = text_of({"ds": ds, "temp": ds["temp"]})
    assert counter.tasks == before
    assert (
        "- ds: xarray.Dataset (xarray with dask chunks (lazy)), dims time=1,000, lat=50, lon=40"
        in text
    )
    assert "temp (float64, time x lat x lon, dask chunks 100x50x40)" in text
    assert "mask (float64, lat x lon)" in text and "time (datetime64" in text
    assert "- temp: xarray.DataArray (xarray), name='temp'" in text


def test_a_namespace_without_engines_imports_none(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd\n"
        "from jupyter_codegen.kernel.context import build_context\n"
        "build_context({'df': pd.DataFrame({'a': [1]}), 'x': 1}).render()\n"
        "print(sorted(m for m in ('polars', 'duckdb', 'pyspark', 'xarray', 'dask') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_descriptions_are_cached_while_the_object_is_unchanged():
    cache = DescriptionCache()
    ddf = dd.from_pandas(pd.DataFrame({"a": [1, 2]}), npartitions=1)
    ns = {"ddf": ddf, "lazy": pl.LazyFrame({"a": [1]})}
    first = build_context(ns, cache=cache).render()
    hits = cache.hits
    assert build_context(ns, cache=cache).render() == first
    assert cache.hits == hits + 2
    ddf["b"] = ddf["a"] * 2  # the same object, a new expression
    text = build_context(ns, cache=cache).render()
    assert "b (int64)" in text


def test_policy_asks_before_a_whole_lazy_frame_is_materialised():
    ns = {
        "big": big_dask_frame(),
        "lazy": pl.LazyFrame({"a": [1]}),
        "rel": duckdb.sql("select 1 as a"),
        "eager": pl.DataFrame({"a": [1]}),
    }

    def verdict(code):
        finding = check(code, set(ns), frames=engines.lazy_frames(code, ns))
        return None if finding is None else finding.kind

    for code in ("big.compute()", "big['amount'].compute()", "lazy.sort('a').collect()",
                 "rel.df()", "rel.fetchall()", "import dask\ndask.compute(big)"):  # fmt: skip
        assert verdict(code) == "confirm", code
    for code in ("big[big.amount > 1].compute()", "big.amount.sum().compute()",
                 "big.groupby('region').amount.mean().compute()", "big.head(5)",
                 "lazy.filter(pl.col('a') > 0).collect()", "lazy.head(3).collect()",
                 "rel.limit(5).df()", "rel.aggregate('sum(a)').fetchall()",
                 "eager.to_pandas()", "big = big.head(2)\nbig.compute()"):  # fmt: skip
        assert verdict(code) is None, code
    finding = check("big.compute()", set(ns), frames=engines.lazy_frames("big", ns))
    assert (
        finding is not None and "`.compute()` brings all of your Dask data `big`" in finding.reason
    )
    strict = check("big.compute()", set(ns), policy="strict", frames=engines.lazy_frames("big", ns))
    assert strict is not None and strict.kind == "blocked"


def test_repair_hints_read_each_engines_columns(tmp_path):
    pq.write_table(pa.table({"revenue": [1.0]}), tmp_path / "p.parquet")
    ns = {
        "lazy": pl.LazyFrame({"revenue": [1.0]}),
        "rel": duckdb.sql("select 1.0 as revenue"),
        "ddf": dd.from_pandas(pd.DataFrame({"revenue": [1.0]}), npartitions=1),
        "dset": pds.dataset(tmp_path, format="parquet"),
    }
    cases = {
        "lazy": 'ColumnNotFoundError: unable to find column "revenu"; valid columns: ["revenue"]',
        "rel": 'BinderException: Binder Error: Referenced column "revenu" not found in FROM'
        " clause!",
        "ddf": "KeyError: 'revenu'",
        "dset": "KeyError: 'Field \"revenu\" does not exist in schema'",
    }
    for name, error in cases.items():
        hint = error_hints(error, f"{name}['revenu']", ns)
        assert hint == f"Hint: `{name}` has the columns: revenue (did you mean 'revenue'?)", name


def test_policy_on_an_arrow_dataset(tmp_path):
    pq.write_table(pa.table({"temp": [1.0]}), tmp_path / "p.parquet")
    ns = {"weather": pds.dataset(tmp_path, format="parquet")}

    def verdict(code):
        finding = check(code, set(ns), frames=engines.lazy_frames(code, ns))
        return None if finding is None else finding.kind

    assert verdict("weather.to_table()") == "confirm"
    assert verdict("weather.to_table(columns=['temp'])") == "confirm"  # every row still
    assert verdict("weather.to_table(filter=pc.field('temp') > 0)") is None
    assert verdict("weather.head(5)") is None
