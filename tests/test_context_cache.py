"""The description cache: reused text must always equal a fresh description."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_codegen.kernel.context import build_context
from jupyter_codegen.kernel.context_cache import DescriptionCache

# In-place edits are what the cache must notice; pandas 3.1 deprecates some ``inplace=True``.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


def _both(ns: dict, cache: DescriptionCache, prompt: str = "") -> str:
    """The cached build's text, checked against an uncached build of the same namespace."""
    cached = build_context(ns, prompt=prompt, cache=cache).render()
    fresh = build_context(ns, prompt=prompt).render()
    assert cached == fresh
    return cached


def _namespace() -> dict:
    return {
        "sales": pd.DataFrame(
            {
                "month": pd.date_range("2024-01-01", periods=6, freq="MS"),
                "region": ["North", "South", "East"] * 2,
                "revenue": [10.5, 20.0, 30.25, 40.0, 50.0, 60.0],
            }
        ),
        "prices": pd.Series([1.0, 2.0, 3.0, 4.0], name="price"),
        "arr": np.arange(5.0),
        "label": "quarterly",
        "count": 3,
        "items": [1, 2, 3],
        "params": {"alpha": 1},
        "nested": {"runs": [1, 2, 3], "name": "base"},
        "rows": ([1, 2], [3, 4]),
        "dated": pd.DataFrame({"v": [1.5, 2.5]}, index=pd.Index(["a", "b"])),
    }


def test_unchanged_namespace_is_served_from_the_cache():
    ns, cache = _namespace(), DescriptionCache()
    first = _both(ns, cache)
    misses = cache.misses
    assert _both(ns, cache) == first
    assert cache.misses == misses  # every variable came back from the cache
    ns["tags"] = {"a", "b"}  # sets are described afresh every time
    _both(ns, cache)
    misses = cache.misses
    _both(ns, cache)
    assert cache.misses - misses == 1


@pytest.mark.parametrize(
    "change, shows",
    [
        (lambda ns: ns["sales"].loc.__setitem__((0, "revenue"), 99.5), "99.5"),
        (lambda ns: ns["sales"].loc.__setitem__((1, "region"), "West"), "West"),
        (lambda ns: ns["sales"].loc.__setitem__((2, "month"), pd.Timestamp("2030-05-01")), "2030"),
        (lambda ns: ns["sales"].__setitem__("cost", 1.0), "cost (float64)"),
        (lambda ns: ns["sales"].rename(columns={"region": "area"}, inplace=True), "area"),
        (lambda ns: ns["sales"].set_index("month", inplace=True), "index: DatetimeIndex"),
        (lambda ns: setattr(ns["dated"].index, "name", "key"), "name='key'"),
        (lambda ns: ns["sales"].__setitem__("revenue", ns["sales"]["revenue"].astype(int)), "(int"),
        (lambda ns: ns["sales"].drop(index=[0], inplace=True), "5 rows"),
        (lambda ns: ns["prices"].iloc.__setitem__(0, 7.25), "7.25"),
        (lambda ns: setattr(ns["prices"], "name", "cost"), "name='cost'"),
        (lambda ns: ns["arr"].__setitem__(1, 42.0), "42.0"),
        (lambda ns: ns["items"].append(4), "len 4"),
        (lambda ns: ns["params"].__setitem__("beta", 2), "'beta': 2"),
        (lambda ns: ns["nested"]["runs"].append(4), "'runs': [1, 2, 3, 4]"),
        (lambda ns: ns["nested"]["runs"].__setitem__(0, 9), "'runs': [9, 2, 3]"),
        (lambda ns: ns["rows"][0].append("x"), "([1, 2, 'x'],"),
        (lambda ns: ns["rows"][1].__setitem__(0, "ok"), "['ok', 4]"),
        (lambda ns: ns.__setitem__("label", "monthly"), "monthly"),
    ],
)
def test_a_change_the_description_reads_is_seen(change, shows):
    ns, cache = _namespace(), DescriptionCache()
    before = _both(ns, cache)
    assert shows not in before
    change(ns)
    assert shows in _both(ns, cache)


def test_a_redefined_function_is_described_again():
    ns, cache = {}, DescriptionCache()
    exec("def area(r):\n    'Circle area.'\n    return 3.14 * r * r", ns)
    ns.pop("__builtins__")
    assert "area(r)" in _both(ns, cache)
    exec("def area(r, squared=True):\n    'Disc area.'\n    return r", ns)
    ns.pop("__builtins__")
    text = _both(ns, cache)
    assert "area(r, squared=True)" in text and "Disc area." in text


def test_objects_inside_containers_are_never_trusted():
    class Box:
        def __init__(self) -> None:
            self.n = 1

        def __repr__(self) -> str:
            return f"Box({self.n})"

    ns, cache = {"boxes": [Box()], "big": {f"k{i}": i for i in range(10)}}, DescriptionCache()
    assert "Box(1)" in _both(ns, cache)
    ns["boxes"][0].n = 2  # same list, same item, new repr
    assert "Box(2)" in _both(ns, cache)
    ns["big"]["k0"] = "changed"  # a dict of more than six items: always described afresh
    assert "changed" in _both(ns, cache)


def test_the_cache_keeps_no_user_data_alive():
    ns, cache = _namespace(), DescriptionCache()
    frame = ns["sales"]
    probe = weakref.ref(frame)
    _both(ns, cache)
    del ns["sales"], frame
    gc.collect()
    assert probe() is None  # described, cached, and still freed at once
    _both(ns, cache)
    assert "sales" not in cache._entries  # dropped at the next build


def test_secrets_are_masked_in_cached_text_too():
    ns, cache = _namespace(), DescriptionCache()
    _both(ns, cache)
    ns["note"] = "server said sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX1234 ok"
    assert "sk-proj" not in _both(ns, cache)
    # A value described earlier becomes a known secret once a secret-named variable holds it.
    ns["label"] = "hunter2-very-private"
    _both(ns, cache)
    ns["db_password"] = "hunter2-very-private"
    text = _both(ns, cache)
    assert "hunter2" not in text and "<redacted>" in text


_OPS = st.sampled_from(
    [
        "set_head",
        "set_tail",
        "add_col",
        "drop_col",
        "rename",
        "astype",
        "rebind_copy",
        "sort",
        "reindex",
        "series_head",
        "array_head",
        "list_append",
        "nested_set",
        "dict_set",
        "nothing",
    ]
)


def _apply(op: str, ns: dict, step: int) -> None:
    df = ns["frame"]
    if op == "set_head":
        df.iloc[step % 3, step % df.shape[1]] = step * 1.5  # every column stays a float
    elif op == "set_tail" and len(df) > 5:
        df.iloc[-1, 0] = step
    elif op == "add_col":
        df[f"c{step}"] = float(step)
    elif op == "drop_col" and df.shape[1] > 1:
        df.drop(columns=df.columns[-1], inplace=True)
    elif op == "rename":
        df.rename(columns={df.columns[0]: f"r{step}"}, inplace=True)
    elif op == "astype":
        df[df.columns[0]] = df[df.columns[0]].astype("float32" if step % 2 else "float64")
    elif op == "rebind_copy":
        ns["frame"] = df.copy()
    elif op == "sort":
        df.sort_values(df.columns[0], ascending=bool(step % 2), inplace=True)
    elif op == "reindex":
        ns["frame"] = df.reset_index(drop=True)
    elif op == "series_head":
        ns["series"].iloc[0] = float(step)
    elif op == "array_head":
        ns["array"][0] = step
    elif op == "list_append":
        ns["items"].append(step)
    elif op == "nested_set":
        ns["config"]["runs"][step % len(ns["config"]["runs"])] = step
    elif op == "dict_set":
        ns["config"][f"k{step % 8}"] = step


def _frame(wide: bool) -> pd.DataFrame:
    """A narrow frame (one block), or a wide one built column by column: a block per column,
    more columns than the sample shows (the cache reads the heads of the sampled blocks only)."""
    rng = np.random.default_rng(0)
    if not wide:
        return pd.DataFrame(rng.standard_normal((8, 3)), columns=["a", "b", "c"])
    frame = pd.DataFrame({f"w{j}": rng.standard_normal(8) for j in range(16)}, copy=False)
    assert len(frame._mgr.blocks) == 16
    return frame


@pytest.mark.parametrize("wide", [False, True])
@settings(max_examples=60, deadline=None)
@given(st.lists(_OPS, min_size=1, max_size=12))
def test_any_sequence_of_changes_matches_a_fresh_description(wide, ops):
    rng = np.random.default_rng(0)
    ns = {
        "frame": _frame(wide),
        "series": pd.Series(rng.standard_normal(6)),
        "array": np.arange(6),
        "items": [1, 2],
        "config": {"runs": [1, 2, 3], "name": "x"},
    }
    cache = DescriptionCache()
    _both(ns, cache)
    for step, op in enumerate(ops, start=1):
        _apply(op, ns, step)
        _both(ns, cache)
