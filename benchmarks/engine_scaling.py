"""The engine rows of ``context_scaling.py``: context build time against data size for a Dask
frame on a dask.distributed LocalCluster, a DuckDB relation, a Polars lazy plan and (full mode)
a Spark DataFrame in local mode, each built lazily over 1e3 ... 1e9 rows (1e7 for Spark) and
never materialised, with the engine work counted during the builds:

* Dask: tasks the scheduler sent to workers (a scheduler plugin);
* DuckDB: calls of a Python UDF in the relation's every row (a query that ran would call it);
* Polars: calls of a ``map_batches`` function in the plan;
* Spark: jobs in the status tracker.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import report

from jupyter_codegen.kernel.context import build_context


@dataclass
class EnginePoint:
    engine: str
    rows: int
    cpu: float
    work_unit: str
    work: int
    chars: int


@contextmanager
def dask_cluster() -> Iterator[Callable[[], int]]:
    """A LocalCluster in this process; yields a function reading its executed-task count."""
    from distributed import Client, LocalCluster
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Tasks(SchedulerPlugin):
        count = 0

        def transition(self, key: Any, start: str, finish: str, *a: Any, **k: Any) -> None:
            if finish == "processing":
                Tasks.count += 1

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster),
    ):
        cluster.scheduler.add_plugin(Tasks())
        yield lambda: Tasks.count


def dask_frame(rows: int) -> Any:
    import dask.dataframe as dd

    per = min(rows, 1_000_000)
    meta = pd.DataFrame({"region": pd.Series([], dtype="str"), "amount": np.array([], "f8")})
    return dd.from_map(lambda i: meta, range(rows // per), meta=meta)


def duckdb_relation(rows: int) -> tuple[Any, Callable[[], int]]:
    import duckdb

    calls = [0]

    def tick(x: int) -> int:
        calls[0] += 1
        return x

    con = duckdb.connect()
    con.create_function("tick", tick)
    rel = con.sql(f"select tick(range) as id, range % 7 as store from range({rows})")
    return rel, lambda: calls[0]


def polars_plan(rows: int) -> tuple[Any, Callable[[], int]]:
    import polars as pl

    calls = [0]

    def batch(frame: Any) -> Any:
        calls[0] += 1
        return frame

    plan = (
        pl.LazyFrame()
        .select(pl.int_range(0, rows, dtype=pl.Int64).alias("id"))
        .map_batches(batch, schema={"id": pl.Int64})
        .with_columns(store=pl.col("id") % 7)
    )
    return plan, lambda: calls[0]


def measure(obj: Any, extra: dict[str, Any], reps: int) -> tuple[float, int]:
    ns = {**extra, "data": obj}
    build_context(ns, prompt="Summarise `data`.")  # warm-up
    cpus = []
    for _ in range(reps):
        gc.collect()
        c0 = time.process_time()
        text = build_context(ns, prompt="Summarise `data`.").render()
        cpus.append(time.process_time() - c0)
    return report.median(cpus), len(text)


def run(quick: bool, reps: int, extra: dict[str, Any]) -> list[EnginePoint]:
    """Every engine's points; ``extra``: the small variables beside the big one."""
    sizes = [10**3, 10**6] if quick else [10**k for k in range(3, 10)]
    points: list[EnginePoint] = []
    with dask_cluster() as tasks:
        for rows in sizes:
            frame = dask_frame(rows)
            before = tasks()
            cpu, chars = measure(frame, extra, reps)
            points.append(
                EnginePoint("Dask (LocalCluster)", rows, cpu, "tasks", tasks() - before, chars)
            )
    for rows in sizes:
        rel, calls = duckdb_relation(rows)
        cpu, chars = measure(rel, extra, reps)
        points.append(EnginePoint("DuckDB relation", rows, cpu, "UDF calls", calls(), chars))
    for rows in sizes:
        plan, calls = polars_plan(rows)
        cpu, chars = measure(plan, extra, reps)
        points.append(EnginePoint("Polars LazyFrame", rows, cpu, "plan runs", calls(), chars))
    if not quick:
        points.extend(spark_points([10**k for k in range(3, 8)], reps, extra))
    return points


def spark_points(sizes: list[int], reps: int, extra: dict[str, Any]) -> list[EnginePoint]:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    tracker = spark.sparkContext.statusTracker()
    points = []
    try:
        for rows in sizes:
            frame = spark.range(rows).selectExpr("id", "id % 7 as store", "rand() as amount")
            before = len(tracker.getJobIdsForGroup(None))
            cpu, chars = measure(frame, extra, reps)
            jobs = len(tracker.getJobIdsForGroup(None)) - before
            points.append(EnginePoint("Spark local[1]", rows, cpu, "jobs", jobs, chars))
    finally:
        spark.stop()
    return points


def table(points: list[EnginePoint]) -> str:
    header = ["engine", "rows", "ms (CPU)", "engine work during the builds", "chars"]
    rows = [
        [p.engine, f"{p.rows:.0e}", report.ms(p.cpu), f"{p.work} {p.work_unit}", p.chars]
        for p in points
    ]
    return report.table(header, rows)


def verdicts(points: list[EnginePoint], flat: float) -> tuple[list[str], list[str]]:
    """The lines saying whether each engine is flat in rows and did no work, and problems."""
    lines, problems = [], []
    for engine in dict.fromkeys(p.engine for p in points):
        pts = [p for p in points if p.engine == engine]
        ratio = pts[-1].cpu / pts[0].cpu if pts[0].cpu else 1.0
        # Sub-millisecond builds: a ratio of two tiny numbers is noise, allow 0.5 ms.
        ok = ratio <= flat or pts[-1].cpu - pts[0].cpu < 0.0005
        work = sum(p.work for p in pts)
        lines.append(
            f"{engine}: rows {pts[0].rows:.0e} -> {pts[-1].rows:.0e}: CPU time x{ratio:.2f} "
            f"({'flat: ok' if ok else 'NOT flat'}); engine work {work} {pts[0].work_unit}"
            f" ({'ok' if work == 0 else 'NO'})"
        )
        if not ok:
            problems.append(f"{engine} not flat in rows")
        if work:
            problems.append(f"{engine} did engine work while describing")
    return lines, problems
