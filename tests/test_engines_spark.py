"""PySpark in local mode (a real JVM, local[1]): a DataFrame is described by its schema with no
Spark job run, a stopped session is described in one line, and no Spark configuration (where
credentials live) enters the context. One session for the module: the JVM starts in ~10 s."""

from __future__ import annotations

import shutil

import pytest

from jupyter_codegen.kernel import engines
from jupyter_codegen.kernel.context import build_context
from jupyter_codegen.kernel.policy import check

pyspark_sql = pytest.importorskip("pyspark.sql")
if shutil.which("java") is None:
    pytest.skip("PySpark needs a Java runtime (.ci/run installs one)", allow_module_level=True)

SECRET = "s3cr3t-VALUE-do-not-leak-123"


@pytest.fixture(scope="module")
def spark():
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("jupyter-codegen-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.hadoop.fs.s3a.secret.key", SECRET)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def jobs(spark) -> int:
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(None))


def test_spark_frame_is_described_with_zero_jobs(spark):
    sdf = spark.range(10_000_000).selectExpr(
        "id", "id % 7 as region", "cast(id as string) as label", "rand() * 100 as amount"
    )
    spark.range(3).groupBy().count().collect()  # the counter counts real work
    before = jobs(spark)
    assert before >= 1
    text = build_context({"sdf": sdf, "spark": spark}).render()
    assert jobs(spark) == before  # not one Spark job while describing
    assert "- sdf: pyspark.sql.DataFrame (PySpark, lazy and distributed), 4 columns" in text
    assert "id (bigint), region (bigint), label (string), amount (double)" in text
    assert "rows: not computed" in text and "- PySpark: lazy and distributed" in text
    assert SECRET not in text and "secret.key" not in text


def test_spark_policy_and_hints(spark):
    sdf = spark.range(5).selectExpr("id", "id * 2.0 as revenue")
    ns = {"sdf": sdf}
    whole = check("sdf.toPandas()", set(ns), frames=engines.lazy_frames("sdf", ns))
    assert whole is not None and whole.kind == "confirm"
    small = "sdf.groupBy('id').sum('revenue').toPandas()"
    assert check(small, set(ns), frames=engines.lazy_frames(small, ns)) is None
    limited = "sdf.limit(10).toPandas()"
    assert check(limited, set(ns), frames=engines.lazy_frames(limited, ns)) is None
    assert engines.columns_of(sdf) == ["id", "revenue"]


def test_stopped_session_last(spark):
    sdf = spark.range(3).selectExpr("id as n", "id * 2 as m")
    spark.stop()
    ctx = build_context({"sdf": sdf, "spark": spark})
    texts = {item.name: item.text for item in ctx.variables}
    assert set(texts) == {"sdf", "spark"}
    # Spark may still answer from the plan it holds, or fail: either way one entry, no raise.
    assert texts["sdf"].startswith("- sdf: pyspark.sql.DataFrame")
    assert "cannot be described now" in texts["sdf"] or "n (bigint), m (bigint)" in texts["sdf"]
    assert "\n" not in texts["spark"]
